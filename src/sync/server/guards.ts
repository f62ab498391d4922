// What keeps hostile clients from starving the others (docs/PROTOCOL.md §8, docs/SECURITY.md §4):
// - request pools: a total, a smaller one for anonymous requests, and a cap per client (its token,
//   or its address when it has none), so one client or a crowd of anonymous ones cannot hold every
//   slot; /healthz and /metrics are never counted;
// - connection caps, per address and in total, so idle sockets cannot exhaust file descriptors;
// - a limit on failed authentications per address (then 429 with Retry-After), so tokens cannot
//   be guessed at network speed;
// - a request body must make progress over a sliding window (at least N bytes in every W ms),
//   not merely on average, so a slot cannot be held by a trickle for the whole request deadline.
import type { IncomingMessage } from 'node:http';
import type { Server, Socket } from 'node:net';

/** Who a request is, for the pools: a token's label, or the address of a request without one. */
export interface Client {
  /** No valid token: counted in the anonymous pool (when the server has tokens) and per address. */
  anonymous: boolean;
  key: string;
}

export interface PoolLimits {
  maxConcurrent: number;
  maxAnonymous: number;
  maxPerAddress: number;
  maxPerToken: number;
}

export type Admitted = { ok: true; release: () => void } | { ok: false; reason: 'overload' | 'anonymous' | 'per-client'; message: string };

export class Pools {
  private total = 0;
  private anonymous = 0;
  private readonly perClient = new Map<string, number>();

  constructor(
    private readonly limits: PoolLimits,
    /** Whether anonymous requests have a pool of their own (a server with tokens). */
    private readonly anonymousPool: boolean,
  ) {}

  admit(c: Client): Admitted {
    const l = this.limits;
    if (this.total >= l.maxConcurrent)
      return { ok: false, reason: 'overload', message: `server busy (${l.maxConcurrent} requests at once)` };
    const anonPool = this.anonymousPool && c.anonymous;
    if (anonPool && this.anonymous >= l.maxAnonymous)
      return {
        ok: false,
        reason: 'anonymous',
        message: `server busy (${l.maxAnonymous} anonymous requests at once; requests with a token have room of their own)`,
      };
    const cap = c.anonymous ? l.maxPerAddress : l.maxPerToken;
    const mine = this.perClient.get(c.key) ?? 0;
    if (mine >= cap)
      return {
        ok: false,
        reason: 'per-client',
        message: `too many requests at once from ${c.anonymous ? 'your address' : 'your token'} (${cap}); wait for them to finish`,
      };
    this.total++;
    if (anonPool) this.anonymous++;
    this.perClient.set(c.key, mine + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        if (anonPool) this.anonymous--;
        const n = (this.perClient.get(c.key) ?? 1) - 1;
        if (n > 0) this.perClient.set(c.key, n);
        else this.perClient.delete(c.key);
      },
    };
  }

  get active(): number {
    return this.total;
  }
}

/**
 * Failed authentications (an unknown token) per address over a sliding window: after `max` of
 * them within `windowMs`, every request from that address that carries a token is answered 429
 * until the oldest failure leaves the window — a right guess included, so a blocked guesser learns
 * nothing. Requests without a token are not affected. Memory is bounded: at most `max` times per
 * address, and at most MAX_ADDRESSES addresses (the oldest forgotten first).
 */
export class AuthFailures {
  private static readonly MAX_ADDRESSES = 100_000;
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until `address` may try a token again, or 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    const times = this.recent(address, now);
    if (times.length < this.max) return 0;
    return Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000));
  }

  fail(address: string, now = Date.now()): void {
    const times = this.recent(address, now);
    times.push(now);
    if (times.length > this.max) times.splice(0, times.length - this.max);
    // Most recently failed last, so the first key is the one to forget.
    this.failures.delete(address);
    this.failures.set(address, times);
    if (this.failures.size > AuthFailures.MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value as string);
  }

  /** Forgets addresses whose failures have all left the window (called periodically). */
  prune(now = Date.now()): void {
    for (const [addr, times] of this.failures) if (times[times.length - 1]! <= now - this.windowMs) this.failures.delete(addr);
  }

  private recent(address: string, now: number): number[] {
    const times = this.failures.get(address);
    if (times === undefined) return [];
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    if (times.length === 0) this.failures.delete(address);
    return times;
  }
}

/** An address as the pools compare it: an IPv4 address seen through an IPv6 socket is itself. */
export function plainAddress(a: string | undefined): string {
  if (a === undefined) return '?';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * The address of the client behind a request: the peer's, or — when the peer is a trusted proxy
 * and says whom it forwards (X-Forwarded-For) — the rightmost address in that header that is not
 * itself a trusted proxy. A client that is not a trusted proxy cannot choose its address this way.
 */
export function clientAddress(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  const peer = plainAddress(req.socket.remoteAddress);
  if (!trusted.has(peer)) return peer;
  const h = req.headers['x-forwarded-for'];
  const list = (Array.isArray(h) ? h.join(',') : (h ?? '')).split(',').map((s) => plainAddress(s.trim()));
  for (let i = list.length - 1; i >= 0; i--) {
    const a = list[i]!;
    if (a !== '' && a.length <= 64 && !trusted.has(a)) return a;
  }
  return peer;
}

/**
 * At most `perAddress` open connections from one address (a trusted proxy's excepted), and `total` in all: a
 * connection over a cap is closed at once, before a byte is read.
 *
 * The open sockets are counted as sets pruned of those already destroyed, not as counters lowered on 'close'
 * (nor by node's maxConnections, which works the same way): a socket this server destroys (headers timeout) is
 * closed to the client at once, but its 'close' event comes in a later phase of the event loop, after a new
 * connection from the same client may already have been accepted and refused as over the cap.
 */
export function capConnections(
  server: Server,
  total: number,
  perAddress: number,
  onRefused: (reason: string) => void,
  exempt: ReadonlySet<string> = new Set(),
): void {
  const all = new Set<Socket>();
  const byAddress = new Map<string, Set<Socket>>();
  const live = (set: Set<Socket>): number => {
    for (const s of set) if (s.destroyed) set.delete(s);
    return set.size;
  };
  server.on('connection', (socket: Socket) => {
    if (live(all) >= total) {
      onRefused('connections');
      socket.destroy();
      return;
    }
    const addr = plainAddress(socket.remoteAddress);
    let mine: Set<Socket> | undefined;
    if (!exempt.has(addr)) {
      mine = byAddress.get(addr) ?? new Set<Socket>();
      if (live(mine) >= perAddress) {
        onRefused('connections-per-address');
        socket.destroy();
        return;
      }
      mine.add(socket);
      byAddress.set(addr, mine);
    }
    all.add(socket);
    socket.once('close', () => {
      all.delete(socket);
      if (mine === undefined) return;
      mine.delete(socket);
      if (mine.size === 0 && byAddress.get(addr) === mine) byAddress.delete(addr);
    });
  });
}

/**
 * A connection must send its first request's headers within `ms`: node's headersTimeout only
 * starts with the first byte, so a socket that sends nothing was kept until the idle timeout.
 * `event` is where the sockets that carry requests appear: 'connection' for HTTP,
 * 'secureConnection' for HTTPS (whose handshake has a deadline of its own, handshakeTimeout).
 */
export function closeSilent(server: Server, event: 'connection' | 'secureConnection', ms: number): void {
  const waiting = new WeakMap<object, NodeJS.Timeout>();
  server.on(event, (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    waiting.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage) => {
    const timer = waiting.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    waiting.delete(req.socket);
  });
}

export interface ProgressRule {
  /** The window, in ms. */
  windowMs: number;
  /** Bytes that must arrive in every window (or the rest of a declared body, if less). */
  minBytes: number;
}

const SLOTS = 4;

/**
 * The body of `req`, chunk by chunk, as it arrives: at most `max` bytes (else `tooLarge()`), and
 * at least `rule.minBytes` in every `rule.windowMs` (else `tooSlow()`). The window slides in
 * quarters: every quarter, the bytes of the last four quarters are checked. A quarter in which the
 * server, not the client, was the slow side (it paused the body, or its consumer was busy for
 * half of it) resets the window: the client is judged only on time spent waiting for it.
 * `onBytes` sees every chunk as it arrives (for the request log).
 */
export async function* progressingBody(
  req: IncomingMessage,
  max: number,
  rule: ProgressRule,
  errors: { tooLarge: () => Error; tooSlow: () => Error },
  onBytes: (n: number) => void = () => undefined,
): AsyncGenerator<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const queue: Buffer[] = [];
  let total = 0;
  let ended = false;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let paused = false;
  let inSlot = 0;
  let busyInSlot = 0;
  let busySince: number | undefined;
  let excused = false;
  const ring: number[] = [];
  const slotMs = Math.max(10, Math.floor(rule.windowMs / SLOTS));

  const onData = (c: Buffer) => {
    total += c.length;
    inSlot += c.length;
    onBytes(c.length);
    if (total > max) {
      failed ??= errors.tooLarge();
      req.pause();
      paused = true;
    } else queue.push(c);
    if (queue.length >= 8 && !paused) {
      paused = true;
      excused = true;
      req.pause();
    }
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (err: Error) => {
    failed ??= err;
    notify();
  };
  const onClose = () => {
    if (!ended) failed ??= Object.assign(new Error('the client closed the connection before the end of the body'), { code: 'ECONNRESET' });
    notify();
  };
  const timer = setInterval(() => {
    if (excused || paused || busySince !== undefined || busyInSlot * 2 > slotMs) ring.length = 0;
    else {
      ring.push(inSlot);
      if (ring.length > SLOTS) ring.shift();
    }
    inSlot = 0;
    busyInSlot = 0;
    excused = false;
    if (ring.length === SLOTS && !ended) {
      const got = ring.reduce((a, b) => a + b, 0);
      const need = Number.isFinite(declared) ? Math.min(rule.minBytes, declared - total) : rule.minBytes;
      if (got < need) {
        failed ??= errors.tooSlow();
        notify();
      }
    }
  }, slotMs);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.on('close', onClose);
  try {
    for (;;) {
      if (failed !== undefined) throw failed;
      const c = queue.shift();
      if (c !== undefined) {
        if (paused && queue.length < 4 && total <= max) {
          paused = false;
          req.resume();
        }
        busySince = Date.now();
        yield c;
        busyInSlot += Date.now() - busySince;
        busySince = undefined;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    clearInterval(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    req.off('close', onClose);
  }
}
