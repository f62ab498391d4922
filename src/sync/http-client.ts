// The client's view of a remote repository: one method per protocol step (docs/PROTOCOL.md), over
// undici with keep-alive. Every answer is checked before use: JSON against the protocol schemas,
// binary bodies by size, and error bodies turned into CairnErrors that say what to do.
import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { ZodType } from 'zod';
import { CairnError, type ErrorCode } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import { ErrorBody, MEDIA, PushObjectsResponse, PushRefsResponse, RefsResponse, type Endpoint } from './protocol.js';
import { decodeBitmap, decodeIds, encodeIds } from './wire.js';

/** A hostile server cannot make the client buffer more than this for one JSON answer. */
const MAX_ANSWER = 512 << 20;
/**
 * Nor more than this for a fetch-list answer: 8M ids, what a server accepts back in one
 * fetch-objects request (docs/PROTOCOL.md limits). Each id becomes a 64-character string here, so
 * 512 MiB of ids would be some 2 GB of heap: the client would die instead of refusing.
 */
const MAX_ID_ANSWER = 256 << 20;

export interface RemoteOptions {
  token?: string;
  /** Extra CA certificates (PEM) to trust for https URLs. */
  ca?: Buffer;
  /**
   * Longest wait, in ms, for the server's next byte (connecting, the answer's headers, and between
   * two pieces of a body): a server that stalls fails the command with REMOTE instead of hanging
   * it. Default DEFAULT_TIMEOUT_MS.
   */
  timeoutMs?: number;
}

/** Five minutes: longer than any honest server needs to list or locate objects between two writes. */
export const DEFAULT_TIMEOUT_MS = 300_000;

export interface RefUpdateWire {
  name: string;
  old: ObjectId | null;
  new: ObjectId | null;
  force: boolean;
}

export class RemoteClient {
  private readonly base: string;
  private readonly agent: Agent;
  /** Bytes sent and received in bodies, for reports and the wire-size benchmark. */
  readonly traffic = { sent: 0, received: 0, requests: 0 };

  constructor(
    readonly url: string,
    private readonly opts: RemoteOptions = {},
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new CairnError('USAGE', `not a URL: ${url}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CairnError('USAGE', `remote URL must start with http:// or https://: ${url}`);
    if (u.username !== '' || u.password !== '') throw new CairnError('USAGE', 'remote URL must not carry a user or password: use CAIRN_TOKEN or the credentials file');
    this.base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout <= 0) throw new CairnError('USAGE', `the remote timeout must be a positive number of milliseconds, not ${timeout}`);
    this.agent = new Agent({
      connections: 8,
      connect: { timeout, ...(opts.ca === undefined ? {} : { ca: opts.ca }) },
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  async refs(): Promise<RefsResponse> {
    const res = await this.call('refs', 'GET');
    return this.json(res, RefsResponse);
  }

  async fetchList(wants: readonly ObjectId[], haves: readonly ObjectId[]): Promise<{ ids: ObjectId[]; commits: number }> {
    const res = await this.call('fetch-list', 'POST', MEDIA.json, JSON.stringify({ wants, haves }));
    const buf = await this.bytes(res, MAX_ID_ANSWER);
    return { ids: decodeIds(buf, 'fetch-list answer'), commits: Number(res.headers['x-cairn-commits'] ?? 0) };
  }

  /** Asks for exactly `ids`; returns the object stream as it arrives. */
  async fetchObjects(ids: readonly ObjectId[]): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.call('fetch-objects', 'POST', MEDIA.ids, encodeIds(ids));
    const counter = this.traffic;
    const url = this.url;
    return (async function* () {
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          counter.received += chunk.length;
          yield chunk;
        }
      } catch (err) {
        throw bodyFailure(url, err);
      }
    })();
  }

  async pushLacks(ids: readonly ObjectId[]): Promise<boolean[]> {
    const res = await this.call('push-lacks', 'POST', MEDIA.ids, encodeIds(ids));
    return decodeBitmap(await this.bytes(res, Math.ceil(ids.length / 8)), ids.length);
  }

  async pushObjects(stream: AsyncIterable<Buffer>): Promise<PushObjectsResponse> {
    const counter = this.traffic;
    const counted = Readable.from(
      (async function* () {
        for await (const chunk of stream) {
          counter.sent += chunk.length;
          yield chunk;
        }
      })(),
    );
    const res = await this.call('push-objects', 'POST', MEDIA.stream, counted);
    return this.json(res, PushObjectsResponse);
  }

  async pushRefs(updates: readonly RefUpdateWire[]): Promise<PushRefsResponse> {
    const res = await this.call('push-refs', 'POST', MEDIA.json, JSON.stringify({ updates }));
    return this.json(res, PushRefsResponse);
  }

  private async call(endpoint: Endpoint, method: 'GET' | 'POST', type?: string, body?: string | Buffer | Readable): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'user-agent': 'cairn/1' };
    if (type !== undefined) headers['content-type'] = type;
    if (this.opts.token !== undefined) headers['authorization'] = `Bearer ${this.opts.token}`;
    if (typeof body === 'string' || Buffer.isBuffer(body)) this.traffic.sent += Buffer.byteLength(body);
    this.traffic.requests++;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.base}/v1/${endpoint}`, { method, headers, body: body ?? null, dispatcher: this.agent });
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new CairnError('REMOTE', `cannot reach ${this.url}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim(), { url: this.url, cause: e.code }, err);
    }
    if (res.statusCode >= 400) throw await this.failure(res, endpoint);
    return res;
  }

  private async failure(res: Dispatcher.ResponseData, endpoint: Endpoint): Promise<CairnError> {
    // At most 4 KiB of an error body is read: a hostile server's endless error page costs nothing.
    let text = '';
    try {
      const parts: Buffer[] = [];
      let total = 0;
      for await (const c of res.body as AsyncIterable<Buffer>) {
        parts.push(c);
        total += c.length;
        if (total >= 4096) break;
      }
      text = Buffer.concat(parts).subarray(0, 4096).toString('utf8');
    } catch {
      /* the server cut the connection: the status says enough */
    } finally {
      res.body.destroy();
    }
    let parsed: ErrorBody | undefined;
    try {
      const r = ErrorBody.safeParse(JSON.parse(text));
      if (r.success) parsed = r.data;
    } catch {
      /* not JSON */
    }
    const status = res.statusCode;
    const remoteMessage = parsed?.error.message ?? (text.replace(/\s+/g, ' ').slice(0, 200) || `HTTP ${status}`);
    const data = { url: this.url, status, endpoint, remoteCode: parsed?.error.code, ...(parsed?.error.data ?? {}) };
    if (status === 401) return new CairnError('REMOTE', `${this.url}: authentication required (${remoteMessage}); set CAIRN_TOKEN or add the URL to your credentials file`, data);
    if (status === 403) return new CairnError('REMOTE', `${this.url}: permission denied (${remoteMessage})`, data);
    const code: ErrorCode = status === 404 ? 'NOT_FOUND' : status === 409 ? 'REJECTED' : status === 503 ? 'LOCKED' : 'REMOTE';
    return new CairnError(code, `${this.url}: ${remoteMessage}`, data);
  }

  private async bytes(res: Dispatcher.ResponseData, max = MAX_ANSWER): Promise<Buffer> {
    const tooLarge = () => new CairnError('REMOTE', `${this.url}: the server's answer exceeds ${max} bytes`, { url: this.url, limit: max });
    // A declared length over the limit is refused before a byte of the body is read.
    if (Number(res.headers['content-length'] ?? 0) > max) {
      res.body.destroy();
      throw tooLarge();
    }
    const parts: Buffer[] = [];
    let total = 0;
    try {
      for await (const c of res.body as AsyncIterable<Buffer>) {
        total += c.length;
        this.traffic.received += c.length;
        if (total > max) {
          res.body.destroy();
          throw tooLarge();
        }
        parts.push(c);
      }
    } catch (err) {
      throw bodyFailure(this.url, err);
    }
    return Buffer.concat(parts);
  }

  private async json<T>(res: Dispatcher.ResponseData, schema: ZodType<T>): Promise<T> {
    const buf = await this.bytes(res);
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch {
      throw new CairnError('REMOTE', `${this.url}: the server's answer is not JSON`, { url: this.url });
    }
    const r = schema.safeParse(value);
    if (!r.success) throw new CairnError('REMOTE', `${this.url}: the server's answer does not match the protocol (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`, { url: this.url });
    return r.data;
  }
}

/** A body that stopped arriving (timeout, reset) is the remote's failure, with its cause named. */
function bodyFailure(url: string, err: unknown): unknown {
  if (err instanceof CairnError) return err;
  const e = err as Error & { code?: string };
  const stalled = e.code === 'UND_ERR_BODY_TIMEOUT';
  const what = stalled ? 'the server stopped sending (timed out waiting for data)' : `the connection failed while receiving (${e.code ?? e.message})`;
  return new CairnError('REMOTE', `${url}: ${what}; run the command again to resume`, { url, cause: e.code }, err);
}
