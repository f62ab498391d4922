// The client's view of a remote repository: one method per protocol step (docs/PROTOCOL.md §1), over
// node:http(s) with keep-alive. (undici was used first: loading it costs ~150 ms, node:http ~20 ms,
// and a no-op fetch is one small request, so start-up is most of its time.) Every answer is checked
// before use: JSON by answer-check.ts, binary bodies by size, and error bodies turned into
// CairnErrors that say what to do.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CairnError, errorFor, quoteForMessage, RemoteError, UsageError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import { MEDIA, type Endpoint } from '../protocol/messages.js';
import type { PushObjectsResponse, PushRefsResponse, RefsResponse, RefUpdate } from '../protocol/schemas.js';
import { clientCodeFor } from '../protocol/http-status.js';
import { checkErrorBody, checkPushObjectsResponse, checkPushRefsResponse, checkRefsResponse } from './answer-check.js';
import { ACCEPT_BATCH_HEADER, CAP_BATCH, CAPABILITIES_HEADER, decodeBitmap, decodeIds, encodeIds } from '../protocol/wire.js';

interface Answer {
  statusCode: number;
  headers: IncomingMessage['headers'];
  body: IncomingMessage;
}

/** A hostile server cannot make the client buffer more than this for one JSON answer. */
const MAX_ANSWER = 512 << 20;
/**
 * Nor more than this for a fetch-list answer: 8M ids, what a server accepts back in one
 * fetch-objects request (docs/PROTOCOL.md §8). Each id becomes a 64-character string here, so
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

export class RemoteClient {
  private readonly base: string;
  private readonly agent: HttpAgent;
  private readonly https: boolean;
  private readonly timeout: number;
  /** The silence timeout fired: a failing body read is then the server's stall, not a reset. */
  private stalled = false;
  /** Bytes sent and received in bodies, for reports and the wire-size benchmark. */
  readonly traffic = { sent: 0, received: 0, requests: 0 };
  /** What the server said it supports (CAPABILITIES_HEADER of its latest answer). */
  capabilities: ReadonlySet<string> = new Set();

  constructor(
    readonly url: string,
    private readonly opts: RemoteOptions = {},
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UsageError(`not a URL: ${url}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`remote URL must start with http:// or https://: ${url}`);
    if (u.username !== '' || u.password !== '')
      throw new UsageError('remote URL must not carry a user or password: use CAIRN_TOKEN or the credentials file');
    this.base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout <= 0)
      throw new UsageError(`the remote timeout must be a positive number of milliseconds, not ${timeout}`);
    this.timeout = timeout;
    this.https = u.protocol === 'https:';
    this.agent = this.https
      ? new HttpsAgent({ keepAlive: true, maxSockets: 8, ...(opts.ca === undefined ? {} : { ca: opts.ca }) })
      : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  async refs(): Promise<RefsResponse> {
    const res = await this.call('refs', 'GET');
    return this.json(res, checkRefsResponse);
  }

  async fetchList(wants: readonly ObjectId[], haves: readonly ObjectId[]): Promise<{ ids: ObjectId[]; commits: number }> {
    const res = await this.call('fetch-list', 'POST', MEDIA.json, JSON.stringify({ wants, haves }));
    const buf = await this.bytes(res, MAX_ID_ANSWER);
    return { ids: decodeIds(buf, 'fetch-list answer'), commits: Number(res.headers['x-cairn-commits'] ?? 0) };
  }

  /** Asks for exactly `ids`; returns the object stream as it arrives. */
  async fetchObjects(ids: readonly ObjectId[]): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.call('fetch-objects', 'POST', MEDIA.ids, encodeIds(ids), { [ACCEPT_BATCH_HEADER]: CAP_BATCH });
    const counter = this.traffic;
    const url = this.url;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the generator reads the stall flag when the body fails
    const self = this;
    return (async function* () {
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          counter.received += chunk.length;
          yield chunk;
        }
      } catch (err) {
        throw bodyFailure(url, err, self.stalled);
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
    return this.json(res, checkPushObjectsResponse);
  }

  async pushRefs(updates: readonly RefUpdate[]): Promise<PushRefsResponse> {
    const res = await this.call('push-refs', 'POST', MEDIA.json, JSON.stringify({ updates }));
    return this.json(res, checkPushRefsResponse);
  }

  private async call(
    endpoint: Endpoint,
    method: 'GET' | 'POST',
    type?: string,
    body?: string | Buffer | Readable,
    extra: Record<string, string> = {},
  ): Promise<Answer> {
    const headers: Record<string, string | number> = { 'user-agent': 'cairn/1', ...extra };
    if (type !== undefined) headers['content-type'] = type;
    if (this.opts.token !== undefined) headers['authorization'] = `Bearer ${this.opts.token}`;
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      headers['content-length'] = Buffer.byteLength(body);
      this.traffic.sent += Buffer.byteLength(body);
    }
    this.traffic.requests++;
    const send = this.https ? httpsRequest : httpRequest;
    let res: IncomingMessage;
    try {
      res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = send(`${this.base}/v1/${endpoint}`, { method, headers, agent: this.agent });
        // Silence on the socket (connecting, waiting for the answer, or between two pieces of a
        // body) longer than the timeout ends the request; it stays armed while the body is read.
        req.setTimeout(this.timeout, () => {
          this.stalled = true;
          req.destroy(Object.assign(new Error(`no data for ${this.timeout} ms`), { code: 'CAIRN_TIMEOUT' }));
        });
        req.once('error', reject);
        req.once('response', resolve);
        if (body instanceof Readable) {
          // A server that answers early (a refusal) stops reading: the upload error is then moot.
          pipeline(body, req).catch((err: unknown) => reject(err));
        } else req.end(body);
      });
    } catch (err) {
      const e = err as Error & { code?: string };
      const what =
        e.code === 'CAIRN_TIMEOUT'
          ? `the server did not answer within ${this.timeout} ms`
          : `${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim();
      throw new RemoteError(`cannot reach ${this.url}: ${what}`, { url: this.url, cause: e.code }, err);
    }
    const caps = res.headers[CAPABILITIES_HEADER];
    if (typeof caps === 'string') this.capabilities = new Set(caps.split(',').map((c) => c.trim()));
    const answer: Answer = { statusCode: res.statusCode ?? 0, headers: res.headers, body: res };
    // Every step succeeds with 200 and nothing else (docs/PROTOCOL.md §3): a redirect, a 204 or a
    // 1xx is not "an empty remote" but an answer outside the protocol.
    if (answer.statusCode !== 200) throw await this.failure(answer, endpoint);
    return answer;
  }

  private async failure(res: Answer, endpoint: Endpoint): Promise<CairnError> {
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
    let parsed: ReturnType<typeof checkErrorBody>;
    try {
      parsed = checkErrorBody(JSON.parse(text));
    } catch {
      /* not JSON */
    }
    const status = res.statusCode;
    // The server's words are remote input: escaped and bounded before any message quotes them.
    const remoteMessage = quoteForMessage(parsed?.error.message ?? (text.replace(/\s+/g, ' ') || `HTTP ${status}`));
    const data = { url: this.url, status, endpoint, remoteCode: parsed?.error.code, ...(parsed?.error.data ?? {}) };
    if (status === 401)
      return new RemoteError(
        this.url,
        `authentication required (${remoteMessage}); set CAIRN_TOKEN or add the URL to your credentials file`,
        data,
      );
    if (status === 403) return new RemoteError(this.url, `permission denied (${remoteMessage})`, data);
    const retry = retryAfter(res.headers['retry-after']);
    const again = retry === undefined ? 'try again later' : `try again in ${retry} s`;
    // Refusals of the remote's own state, all exit 8 (REMOTE): never LOCKED, which is the local
    // database's lock (exit 9), nor success (docs/PROTOCOL.md §3).
    if (status === 503) {
      const busy = /^server busy\b/.test(remoteMessage) ? remoteMessage : `server busy (${remoteMessage})`;
      return new RemoteError(this.url, `${busy}; ${again}`, { ...data, retryAfter: retry });
    }
    if (status === 429)
      return new RemoteError(this.url, `too many requests (${remoteMessage})${/try again/.test(remoteMessage) ? '' : `; ${again}`}`, {
        ...data,
        retryAfter: retry,
      });
    if (status >= 300 && status < 400) {
      const location = typeof res.headers.location === 'string' ? res.headers.location.slice(0, 300) : undefined;
      return new RemoteError(
        this.url,
        `the server answered HTTP ${status}${location === undefined ? '' : ` (redirect to ${location})`}, which the cairn protocol never uses; cairn does not follow redirects: check the URL${location === undefined ? '' : ', and use the new one if the repository moved'}`,
        { ...data, reason: 'unexpected-status', location },
      );
    }
    if (status < 400)
      return new RemoteError(
        this.url,
        `the server answered HTTP ${status} where the protocol has 200; check that the URL is a cairn server`,
        {
          ...data,
          reason: 'unexpected-status',
        },
      );
    // The code the server sent, as its class (a REF_MOVED stays one), when the table agrees with
    // the status; else what the status means (docs/PROTOCOL.md §3).
    return errorFor(clientCodeFor(status, parsed?.error.code), `${this.url}: ${remoteMessage}`, data);
  }

  private async bytes(res: Answer, max = MAX_ANSWER): Promise<Buffer> {
    const tooLarge = () => new RemoteError(this.url, `the server's answer exceeds ${max} bytes`, { url: this.url, limit: max });
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
      throw bodyFailure(this.url, err, this.stalled);
    }
    return Buffer.concat(parts);
  }

  private async json<T>(res: Answer, check: (v: unknown) => T): Promise<T> {
    const buf = await this.bytes(res);
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch {
      throw new RemoteError(this.url, "the server's answer is not JSON", { url: this.url });
    }
    try {
      return check(value);
    } catch (err) {
      throw new RemoteError(this.url, `the server's answer does not match the protocol (${(err as Error).message})`, { url: this.url });
    }
  }
}

/** Retry-After in whole seconds (the delta form; a date or garbage is ignored), capped at a day. */
function retryAfter(h: string | string[] | undefined): number | undefined {
  if (typeof h !== 'string' || !/^\d{1,9}$/.test(h.trim())) return undefined;
  return Math.min(86_400, Number(h.trim()));
}

/** A body that stopped arriving (timeout, reset) is the remote's failure, with its cause named. */
function bodyFailure(url: string, err: unknown, timedOut: boolean): unknown {
  if (err instanceof CairnError) return err;
  const e = err as Error & { code?: string };
  const stalled = timedOut || e.code === 'CAIRN_TIMEOUT';
  const what = stalled
    ? 'the server stopped sending (timed out waiting for data)'
    : `the connection failed while receiving (${e.code ?? e.message})`;
  return new RemoteError(url, `${what}; run the command again to resume`, { url, cause: e.code }, err);
}
