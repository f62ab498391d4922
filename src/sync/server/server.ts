// `cairn serve`: the HTTP(S) server. One request per protocol step (docs/PROTOCOL.md §1; limits §8); everything a
// client sends is bounded (body size, objects, object size, time, concurrency) and verified before
// it is stored, and a refused request costs the others nothing: it gets its 4xx and is cut off.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import { CairnError, NotFoundError, RejectedError, type RequestUsageReason, UsageError } from '../../errors.js';
import type { Authorizer } from './auth.js';
import { type Right } from './auth.js';
import { ServerMetrics } from './metrics.js';
import type { RepositoryStorage, ServerStorage } from './storage/backend.js';
import { FolderStorage } from './storage/folder-backend.js';
import { AuthFailures, capConnections, clientAddress, closeSilent, type Client, plainAddress, Pools, progressingBody } from './guards.js';
import { ClientQuarantine } from './quarantine.js';
import { listObjects } from '../protocol/object-list.js';
import { receiveStream } from '../protocol/receive.js';
import { applyRefUpdates } from './ref-update.js';
import { DEFAULT_LIMITS, ENDPOINTS, MEDIA, type Endpoint, type ServerLimits } from '../protocol/messages.js';
import { INTERNAL_CODE, statusFor } from '../protocol/http-status.js';
import { type ErrorBody, FetchListRequest, type PushObjectsResponse, PushRefsRequest, type RefsResponse } from '../protocol/schemas.js';
import {
  ACCEPT_BATCH_HEADER,
  CAP_BATCH,
  CAPABILITIES_HEADER,
  decodeIds,
  encodeBitmap,
  encodeIds,
  encodeObjectStream,
  PROTOCOL_VERSION,
} from '../protocol/wire.js';

export interface ServerOptions {
  /** The folder backend's root: every repository under it (when `storage` is not given). */
  root?: string;
  /** Where repositories live (backend.ts); the server closes it when it closes. */
  storage?: ServerStorage;
  auth: Authorizer;
  limits?: Partial<ServerLimits>;
  /** Forced (non-fast-forward) pushes and deletions are allowed when the client asks. */
  allowForce?: boolean;
  logger: Logger;
  tls?: { cert: Buffer; key: Buffer };
  /**
   * Addresses of reverse proxies whose X-Forwarded-For names the client (docs/PROTOCOL.md §8):
   * behind them, pools, the failed-auth limit and quarantine accounts go by the client's address.
   */
  trustedProxies?: readonly string[];
}

export interface CairnServer {
  server: Server;
  metrics: ServerMetrics;
  close(): Promise<void>;
}

/**
 * An error's status is its code's (protocol/http-status.ts, docs/PROTOCOL.md §3), except for the
 * refusals of a request itself to which the protocol gives their own: 401/403, 405, 408, 413, 503.
 */
const ownStatus = new WeakMap<CairnError, number>();

function withStatus<E extends CairnError>(status: number, err: E): E {
  ownStatus.set(err, status);
  return err;
}

/** The request is malformed: answered 400 (or withStatus), reason typed for the client. */
function badRequest(message: string, reason: RequestUsageReason): UsageError {
  return new UsageError(message, { reason });
}

export function createCairnServer(opts: ServerOptions): CairnServer {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  if (opts.storage === undefined && opts.root === undefined) throw new Error('createCairnServer needs root or storage');
  const storage: ServerStorage = opts.storage ?? new FolderStorage(opts.root!);
  const metrics = new ServerMetrics();
  storage.registerMetrics(metrics.registry);
  const log = opts.logger;
  const pools = new Pools(limits, !opts.auth.isOpen);
  const trusted = new Set((opts.trustedProxies ?? []).map((a) => plainAddress(a)));
  const authFailures = new AuthFailures(limits.authFailures, limits.authWindowMs);
  const clientQuarantine = new ClientQuarantine(limits.stagingMaxAgeMs);
  /**
   * Whether this process keeps the per-client quarantine account (PROTOCOL §8) itself: a backend
   * whose quarantine several servers share answers it from its rows instead (clientStagedBytes).
   */
  const inProcessAccount = storage.clientStagedBytes === undefined;
  /** Push requests in progress per repository: its staging is not expired meanwhile. */
  const pushing = new Map<string, number>();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    // Read now: once a refused request's socket is destroyed, req.socket is null by the time the
    // log line is written, and reading it there threw out of an event handler, killing the server.
    const remote = clientAddress(req, trusted);
    let endpoint = 'other';
    let repoName: string | undefined;
    let who = '-';
    let bytesOut = 0;
    const counted = { bytesIn: 0 };
    bodyStats.set(req, counted);
    // On every answer, errors included: a first push learns it before it sends any object, though
    // the repository (and so its ref advertisement) does not exist yet.
    res.setHeader(CAPABILITIES_HEADER, CAP_BATCH);
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
      bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (Buffer.isBuffer(chunk)) bytesOut += chunk.length;
      else if (typeof chunk === 'string') bytesOut += Buffer.byteLength(chunk);
      return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as typeof res.end;
    let release = () => undefined as void;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      release();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.headersSent ? res.statusCode : 499;
      metrics.requests.inc({ endpoint, status: String(status) });
      metrics.latency.observe({ endpoint }, seconds);
      const bytesIn = counted.bytesIn;
      metrics.bytesIn.inc(bytesIn);
      metrics.bytesOut.inc(bytesOut);
      log.info(
        {
          method: req.method,
          path: (req.url ?? '').slice(0, 300),
          endpoint,
          repo: repoName,
          who,
          status,
          ms: Math.round(seconds * 1000),
          bytesIn,
          bytesOut,
          remote,
          aborted: !res.writableFinished,
        },
        'request',
      );
    };
    res.on('finish', done);
    res.on('close', done);

    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://x');
        // Neither counted in any pool nor refused for load: a health check says whether the
        // process is up, whatever the clients are doing (§8).
        if (url.pathname === '/healthz') {
          endpoint = 'healthz';
          return sendJson(res, 200, { ok: true, version: PROTOCOL_VERSION });
        }
        // Readiness: whether this process can serve now, i.e. every engine behind its storage
        // answers. A load balancer or Kubernetes takes a 503 out of rotation, not out of life.
        if (url.pathname === '/readyz') {
          endpoint = 'readyz';
          const state = await storage.ready();
          return sendJson(res, state.ready ? 200 : 503, { ready: state.ready, backend: storage.kind, problems: state.problems });
        }
        if (url.pathname === '/metrics') {
          endpoint = 'metrics';
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(await metrics.registry.metrics());
          return;
        }
        const m = /^\/(.+)\/v1\/([a-z-]+)$/.exec(url.pathname);
        if (m === null || !(ENDPOINTS as readonly string[]).includes(m[2]!))
          throw new NotFoundError(`no such endpoint: ${url.pathname.slice(0, 200)}`, { reason: 'no-route' });
        endpoint = m[2] as Endpoint;
        try {
          repoName = decodeURIComponent(m[1]!);
        } catch {
          // A malformed escape ('%E0%A4%A') is the client's mistake: 400, not a 500 and an error log.
          throw badRequest('repository name in the URL is not valid percent-encoded UTF-8', 'bad-name');
        }
        const wantMethod = endpoint === 'refs' ? 'GET' : 'POST';
        if (req.method !== wantMethod) throw withStatus(405, badRequest(`${endpoint} takes ${wantMethod}`, 'method'));
        const right: Right = endpoint.startsWith('push-') ? 'write' : 'read';
        const token = bearer(req);
        const address = remote;
        // An address that failed too often is not told whether its next token is right (§2, §8).
        const wait = token === undefined || opts.auth.isOpen ? 0 : authFailures.blockedFor(address);
        if (wait > 0) {
          metrics.rejected.inc({ reason: 'auth-rate' });
          res.setHeader('Retry-After', String(wait));
          throw withStatus(
            429,
            new RejectedError(`too many failed authentications from your address; try again in ${wait} s`, {
              reason: 'auth-rate',
              retryAfter: wait,
            }),
          );
        }
        const auth = opts.auth.check(token, repoName, right);
        if (!auth.ok) {
          if (auth.guess === true) authFailures.fail(address);
          metrics.rejected.inc({ reason: String(auth.status) });
          if (auth.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="cairn"');
          throw withStatus(auth.status, new RejectedError(auth.message, { reason: 'auth' }));
        }
        who = auth.label;
        // Pools (§8): the total, anonymous requests', and one per client (token, else address).
        const client: Client =
          auth.label === 'anonymous' ? { anonymous: true, key: `addr:${address}` } : { anonymous: false, key: auth.label };
        const admitted = pools.admit(client);
        if (!admitted.ok) {
          metrics.rejected.inc({ reason: admitted.reason });
          res.setHeader('Retry-After', '1');
          throw withStatus(503, new RejectedError(admitted.message, { reason: admitted.reason }));
        }
        release = admitted.release;
        // Gone already (cannot happen before the first await, but a leaked slot is never freed).
        if (finished) release();
        const repo = await storage.open(repoName, endpoint === 'push-lacks');
        if (repo === undefined) throw new NotFoundError(`no repository '${repoName}' on this server`, { reason: 'no-repo' });
        const push = endpoint.startsWith('push-');
        if (push) pushing.set(repoName, (pushing.get(repoName) ?? 0) + 1);
        try {
          await dispatch(endpoint as Endpoint, repo, req, res, { who, client: client.key, repoName });
        } finally {
          if (push) {
            const n = (pushing.get(repoName) ?? 1) - 1;
            if (n > 0) pushing.set(repoName, n);
            else pushing.delete(repoName);
          }
          storage.release(repo);
        }
      } catch (err) {
        sendError(res, err, log);
        if (!req.complete) discardBody(req);
      }
    })().catch((err: unknown) => {
      // Last resort: one request's failure never takes the process down with it.
      log.error({ err }, 'request handler failed');
      res.destroy();
    });
  };

  const dispatch = async (
    endpoint: Endpoint,
    repo: RepositoryStorage,
    req: IncomingMessage,
    res: ServerResponse,
    ctx: { who: string; client: string; repoName: string },
  ): Promise<void> => {
    const { who } = ctx;
    switch (endpoint) {
      case 'refs': {
        const [head, heads, tags] = await Promise.all([
          repo.refs.read('HEAD'),
          repo.refs.list('refs/heads/'),
          repo.refs.list('refs/tags/'),
        ]);
        const refs = [...heads, ...tags];
        return sendJson(res, 200, { version: PROTOCOL_VERSION, head: head?.symbolic ? head.target : null, refs } satisfies RefsResponse);
      }
      case 'fetch-list': {
        const body = parseJson(await readBody(req, limits.maxSmallBody, limits), FetchListRequest);
        const found = await repo.objects.whereMany(body.wants);
        for (const w of body.wants) {
          if (found.get(w)?.type !== 'commit') throw new NotFoundError(`no commit ${w} in this repository`, { reason: 'want' });
        }
        const list = await listObjects(repo.objects, body.wants, body.haves);
        res.writeHead(200, { 'content-type': MEDIA.ids, 'x-cairn-commits': String(list.commits) });
        res.end(encodeIds(list.ids));
        return;
      }
      case 'fetch-objects': {
        const ids = decodeIds(await readBody(req, Math.min(limits.maxSmallBody * 4, limits.maxObjects * 32), limits), 'fetch-objects body');
        let count = 0;
        const batch = req.headers[ACCEPT_BATCH_HEADER] === CAP_BATCH;
        // Every id is located first: a missing one is a 404 before any byte is sent.
        const records = await repo.records(ids);
        res.writeHead(200, { 'content-type': MEDIA.stream, 'x-cairn-objects': String(ids.length) });
        for await (const chunk of encodeObjectStream(records, { batch, onRecord: () => count++ })) {
          if (res.destroyed) return;
          if (!res.write(chunk)) await drained(res, limits.progressWindowMs);
        }
        metrics.objectsSent.inc(count);
        res.end();
        return;
      }
      case 'push-lacks': {
        const ids = decodeIds(await readBody(req, Math.min(limits.maxSmallBody * 4, limits.maxObjects * 32), limits), 'push-lacks body');
        const lack = await repo.lacking(ids);
        res.writeHead(200, { 'content-type': MEDIA.bitmap, 'x-cairn-lacking': String(lack.filter(Boolean).length) });
        res.end(encodeBitmap(lack));
        return;
      }
      case 'push-objects': {
        const declared = Number(req.headers['content-length'] ?? NaN);
        if (declared > limits.maxPushBytes)
          throw withStatus(
            413,
            new RejectedError(`push of ${declared} bytes exceeds this server's limit of ${limits.maxPushBytes}`, { reason: 'too-large' }),
          );
        // Quarantine bounds (§6.2, §8): what unfinished pushes hold in this repository, and what
        // this client has staged and not published, cannot grow past their limits.
        const repoHeld = await repo.stagedBytes();
        const clientHeld = inProcessAccount ? clientQuarantine.bytes(ctx.client) : await storage.clientStagedBytes!(ctx.client);
        const room = Math.min(limits.maxQuarantineBytes - repoHeld, limits.maxClientQuarantineBytes - clientHeld);
        const full = () => {
          metrics.rejected.inc({ reason: 'quarantine-full' });
          const repoFull = limits.maxQuarantineBytes - repoHeld <= limits.maxClientQuarantineBytes - clientHeld;
          return withStatus(
            413,
            new RejectedError(
              repoFull
                ? `this repository's quarantine holds ${repoHeld} bytes of unfinished pushes (limit ${limits.maxQuarantineBytes}); finish them (run the push again) or wait until they expire`
                : `your unfinished pushes hold ${clientHeld} bytes of quarantine (limit ${limits.maxClientQuarantineBytes}); finish them (run the push again) or wait until they expire`,
              { reason: 'quarantine-full', limit: repoFull ? limits.maxQuarantineBytes : limits.maxClientQuarantineBytes },
            ),
          );
        };
        if (room <= 0 || declared > room) throw full();
        const staging = repo.stager(ctx.client);
        let received = 0;
        const counted = async function* (body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
          for await (const c of body) {
            received += c.length;
            if (received > room) throw full();
            yield c;
          }
        };
        try {
          // The client's account grows by what the request staged, in stored bytes (what its
          // push-refs credits back): the repository's growth over the request, which a concurrent
          // push to the same repository can only make larger.
          const result = await receiveStream(counted(bounded(req, limits.maxPushBytes, limits)), staging, {
            ...repo.flushPolicy,
            limits: { maxObjectBytes: limits.maxObjectBytes, maxObjects: limits.maxObjects, maxTotalBytes: limits.maxPushBytes * 4 },
          }).finally(async () => {
            // The account of a one-process server only (a shared backend counts its rows). Best
            // effort: an engine that cannot be measured now must not replace the request's own
            // answer (a 400 for a bad stream, the 503 of the step that failed) with its own error.
            if (!inProcessAccount) return;
            try {
              clientQuarantine.add(ctx.client, ctx.repoName, (await repo.stagedBytes()) - repoHeld);
            } catch (err) {
              log.warn({ repo: ctx.repoName, err }, 'cannot measure the quarantine after a push');
            }
          });
          metrics.objectsReceived.inc(result.objects);
          if (!result.complete) throw badRequest('object stream ended without its end record', 'truncated');
          return sendJson(res, 200, {
            objects: result.objects,
            bytes: result.bytes,
            complete: result.complete,
          } satisfies PushObjectsResponse);
        } finally {
          await staging.close();
        }
      }
      case 'push-refs': {
        const body = parseJson(await readBody(req, limits.maxSmallBody, limits), PushRefsRequest);
        // The quarantine is measured only for the in-process account (a shared backend counts rows).
        const [checkedOut, heldBefore] = await Promise.all([repo.checkedOut(), inProcessAccount ? repo.stagedBytes() : 0]);
        try {
          const out = await applyRefUpdates(repo, body.updates, {
            allowForce: opts.allowForce !== false,
            checkedOut,
            who: `push (${who})`,
          });
          // Published: what the update promoted out of the quarantine no longer counts against
          // this client.
          if (inProcessAccount) clientQuarantine.published(ctx.client, ctx.repoName, heldBefore - (await repo.stagedBytes()));
          return sendJson(res, 200, out);
        } catch (err) {
          if (err instanceof CairnError && (err.code === 'REF_MOVED' || err.data['reason'] === 'non-fast-forward')) {
            metrics.refConflicts.inc({ reason: err.code === 'REF_MOVED' ? 'moved' : 'non-fast-forward' });
          }
          throw err;
        }
      }
    }
  };

  // Node checks the headers and request deadlines only every connectionsCheckingInterval (30 s by
  // default): a client trickling its headers a byte at a time kept its connection that long.
  const checking = {
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(Math.min(limits.idleTimeoutMs, limits.headersTimeoutMs) / 4))),
  };
  const server =
    opts.tls === undefined
      ? createHttpServer(checking, handler)
      : createHttpsServer({ ...checking, handshakeTimeout: limits.headersTimeoutMs, cert: opts.tls.cert, key: opts.tls.key }, handler);
  server.requestTimeout = limits.requestTimeoutMs;
  // Node requires headersTimeout <= requestTimeout.
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.idleTimeoutMs, limits.requestTimeoutMs);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy());
  server.maxHeadersCount = 64;
  // Idle sockets cannot exhaust file descriptors (§8).
  capConnections(server, limits.maxConnections, limits.maxConnectionsPerAddress, (reason) => metrics.rejected.inc({ reason }), trusted);
  closeSilent(server, opts.tls === undefined ? 'connection' : 'secureConnection', server.headersTimeout);

  // Abandoned staging is expired on start, then every quarter of its age (at most every 15 min).
  let sweeping: Promise<void> | undefined;
  const sweepOnce = async () => {
    authFailures.prune();
    clientQuarantine.prune();
    let names: string[];
    try {
      names = await storage.list();
    } catch (err) {
      log.warn({ err }, 'cannot list repositories to expire staging');
      return;
    }
    for (const name of names) {
      if (pushing.has(name) || closing) continue;
      let repo: RepositoryStorage | undefined;
      try {
        repo = await storage.open(name, false);
        if (repo === undefined) continue;
        const gone = await repo.expireStaging(limits.stagingMaxAgeMs);
        if (gone.objects > 0) log.info({ repo: name, ...gone }, 'expired abandoned staging');
      } catch (err) {
        log.warn({ repo: name, err }, 'cannot expire staging');
      } finally {
        if (repo !== undefined) storage.release(repo);
      }
    }
  };
  // Never two sweeps at once: a slow one (a database far away) is not overtaken by the next.
  const sweep = () => {
    if (sweeping !== undefined || closing) return;
    sweeping = sweepOnce().finally(() => (sweeping = undefined));
  };
  let closing = false;
  sweep();
  const sweeper = setInterval(sweep, Math.max(100, Math.min(15 * 60_000, Math.floor(limits.stagingMaxAgeMs / 4))));
  sweeper.unref();

  return {
    server,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweeper);
        closing = true;
        server.close(() => {
          void (sweeping ?? Promise.resolve())
            .then(() => storage.close())
            .catch((err: unknown) => log.warn({ err }, 'closing the storage failed'))
            .finally(resolve);
        });
        server.closeAllConnections();
      }),
  };
}

/**
 * After a refusal, the rest of the body: a small remainder (64 KiB, 1 s) is read and dropped, so
 * the client gets its 4xx (closing a socket with unread bytes sends a reset, and the client loses
 * the answer and reports a network error instead of, say, "authentication required"); anything
 * bigger or slower is not read: the connection is closed.
 */
function discardBody(req: IncomingMessage): void {
  const cut = () => (req.socket as (typeof req.socket & { destroySoon?: () => void }) | null)?.destroySoon?.();
  if (req.destroyed) return cut();
  let left = 64 << 10;
  const timer = setTimeout(cut, 1000);
  req.on('data', (c: Buffer) => {
    left -= c.length;
    if (left < 0) {
      clearTimeout(timer);
      req.pause();
      cut();
    }
  });
  req.on('end', () => clearTimeout(timer));
  req.on('error', () => clearTimeout(timer));
  req.resume();
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S{1,4096})$/i.exec(h);
  return m === null ? '' : m[1];
}

/** Counts the body against `max` and the progress rule, so a trickling client is cut off (§8). */
const bodyStats = new WeakMap<IncomingMessage, { bytesIn: number }>();

function bounded(req: IncomingMessage, max: number, limits: ServerLimits): AsyncGenerator<Buffer> {
  const stats = bodyStats.get(req);
  const rule = { windowMs: limits.progressWindowMs, minBytes: limits.progressMinBytes };
  return progressingBody(
    req,
    max,
    rule,
    {
      tooLarge: () =>
        withStatus(413, new RejectedError(`request body exceeds this server's limit of ${max} bytes`, { reason: 'too-large' })),
      // Not an average: a trickle just fast enough on average no longer holds a slot for the
      // whole request deadline.
      tooSlow: () =>
        withStatus(
          408,
          new RejectedError(
            `request body arrives too slowly (fewer than ${rule.minBytes} bytes in ${rule.windowMs} ms); check the connection and try again`,
            { reason: 'slow' },
          ),
        ),
    },
    (n) => {
      if (stats !== undefined) stats.bytesIn += n;
    },
  );
}

async function readBody(req: IncomingMessage, max: number, limits: ServerLimits): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max)
    throw withStatus(413, new RejectedError(`request body of ${declared} bytes exceeds the limit of ${max}`, { reason: 'too-large' }));
  const parts: Buffer[] = [];
  for await (const c of bounded(req, max, limits)) parts.push(c);
  return Buffer.concat(parts);
}

function parseJson<T>(buf: Buffer, schema: ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    throw badRequest('request body is not JSON', 'json');
  }
  const r = schema.safeParse(value);
  if (!r.success)
    throw badRequest(
      `request body does not match the protocol: ${r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      'schema',
    );
  return r.data;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': MEDIA.json, 'content-length': body.length });
  res.end(body);
}

function sendError(res: ServerResponse, err: unknown, log: Logger): void {
  let status = 500;
  let body: ErrorBody['error'];
  if (err instanceof CairnError) {
    status = ownStatus.get(err) ?? statusFor(err.code);
    // An engine behind the storage (PostgreSQL, S3) cannot be reached now: the request may succeed
    // when run again, and says so (PROTOCOL §3), instead of reading as a server fault.
    if (err.code === 'IO' && err.data['retryable'] === true && ownStatus.get(err) === undefined) {
      status = 503;
      if (!res.headersSent) res.setHeader('Retry-After', '1');
    }
    body = err.toJSON();
    if (status >= 500) log.warn({ code: err.code, message: err.message }, 'storage failed');
  } else {
    log.error({ err }, 'internal error');
    body = { code: INTERNAL_CODE, message: 'internal server error' };
  }
  if (res.headersSent) {
    // Mid-stream: the only signal left is to cut the stream; the client sees no end record.
    res.destroy();
    return;
  }
  sendJson(res, status, { error: body });
}

/**
 * Waits until the client has taken what was written. A client that takes nothing for a whole
 * progress window holds its slot no longer: the connection is closed (§8).
 */
function drained(res: ServerResponse, windowMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.destroy();
      finish();
    }, windowMs);
    const finish = () => {
      clearTimeout(timer);
      res.off('drain', finish);
      res.off('close', finish);
      resolve();
    };
    res.on('drain', finish);
    res.on('close', finish);
  });
}
