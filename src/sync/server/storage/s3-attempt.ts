// One S3 request with bounded retries (backoff with full jitter, per-attempt timeout), its figures,
// and exact-length body reads: the transport policy of pack-bucket.ts (docs/FORMAT.md §18).
import type { Readable } from 'node:stream';

import { IoError } from '../../../errors.js';

/** The operations counted in the figures. */
export const S3_OPS = ['put', 'get', 'head', 'bucket'] as const;
export type S3Op = (typeof S3_OPS)[number];

/** Upper bounds (ms) of the latency histogram's buckets; the last bucket is everything above. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const;

export interface OpStats {
  /** Attempts sent (each retry counts), those that failed, and those that were retries. */
  requests: number;
  errors: number;
  retries: number;
  /** Body bytes sent (put) or received (get) by successful attempts. */
  bytes: number;
  latencyMsSum: number;
  /** Reads that joined an identical GET already in flight instead of sending their own (get only). */
  shared: number;
  /** Counts per LATENCY_BUCKETS_MS bucket, plus one for above the last bound (not cumulative). */
  latencyBuckets: number[];
}

export type S3Stats = Record<S3Op, OpStats>;

export interface RetryOptions {
  /** Attempts per request, the first included. */
  attempts: number;
  /** Backoff before retry k (1-based) is uniform in [0, min(maxDelayMs, baseDelayMs * 2^(k-1))] ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts once this long has passed since the first attempt. */
  deadlineMs: number;
  /** One attempt (headers and whole body) is abandoned after this long. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 50, maxDelayMs: 2000, deadlineMs: 30_000, attemptTimeoutMs: 10_000 };

type Failure = { status?: number; name: string; reason: 'unavailable' | 'timeout' | 'length' | 'missing' | 'refused' };

/** A body that came back with the wrong length: retried like a 5xx, never returned. */
export class LengthMismatch extends Error {
  constructor(
    readonly expected: number,
    readonly got: number,
  ) {
    super(`expected ${expected} bytes, got ${got}`);
  }
}

class AttemptTimeout extends Error {}

export function newOpStats(): OpStats {
  return {
    requests: 0,
    errors: 0,
    retries: 0,
    bytes: 0,
    latencyMsSum: 0,
    shared: 0,
    latencyBuckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
  };
}

/**
 * Runs `fn` with bounded retries: 5xx, 429, timeouts, dropped connections and wrong-length
 * bodies are retried with exponential backoff and full jitter, within `attempts` and
 * `deadlineMs`; anything else fails at once. Every failure becomes an IoError whose message and
 * data carry the operation, bucket, status and the SDK error's name — never the SDK's own text or
 * request (which can hold the signed headers).
 */
export async function withRetries<T>(
  retry: RetryOptions,
  stats: OpStats,
  ctx: { op: S3Op; what: string; bucket: string; name?: string | undefined },
  fn: (signal: AbortSignal, stats: OpStats) => Promise<T>,
): Promise<T> {
  const { op, what, bucket, name } = ctx;
  const started = Date.now();
  let failure: Failure = { name: 'none', reason: 'unavailable' };
  let n = 0;
  for (; n < retry.attempts; n++) {
    if (n > 0) {
      const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1));
      const delay = Math.random() * cap;
      if (Date.now() - started + delay >= retry.deadlineMs) break;
      await new Promise((r) => setTimeout(r, delay));
      stats.retries++;
    }
    stats.requests++;
    const t0 = performance.now();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new AttemptTimeout()), retry.attemptTimeoutMs);
    try {
      const v = await fn(ac.signal, stats);
      observe(stats, performance.now() - t0);
      return v;
    } catch (err) {
      observe(stats, performance.now() - t0);
      stats.errors++;
      failure = classify(err, ac.signal);
      if (failure.reason === 'refused' || failure.reason === 'missing') {
        n++;
        break;
      }
    } finally {
      clearTimeout(timer);
    }
  }
  const status = failure.status !== undefined ? ` (HTTP ${failure.status})` : '';
  const why =
    failure.reason === 'length'
      ? 'answered with the wrong number of bytes'
      : failure.reason === 'timeout'
        ? `timed out (${retry.attemptTimeoutMs} ms per attempt)`
        : failure.reason === 'refused'
          ? `was refused: ${failure.name}`
          : failure.reason === 'missing'
            ? 'found no such object'
            : `failed: ${failure.name}`;
  const retryable = failure.reason !== 'refused' && failure.reason !== 'missing';
  throw new IoError(
    `S3 ${what} in bucket ${bucket} ${why}${status} after ${n} attempt${n === 1 ? '' : 's'}${retryable ? ': the object store is unavailable, try again' : ''}`,
    {
      reason: failure.reason,
      op,
      bucket,
      ...(name !== undefined ? { name } : {}),
      ...(failure.status !== undefined ? { status: failure.status } : {}),
      s3Error: failure.name,
      attempts: n,
      retryable,
    },
  );
}

function observe(s: OpStats, ms: number): void {
  s.latencyMsSum += ms;
  let b = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  if (b < 0) b = LATENCY_BUCKETS_MS.length;
  s.latencyBuckets[b]!++;
}

export function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

export function nameOf(err: unknown): string {
  const n = (err as { name?: unknown } | null)?.name;
  return typeof n === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(n) ? n : 'Error';
}

function classify(err: unknown, signal: AbortSignal): Failure {
  if (err instanceof LengthMismatch) return { name: 'LengthMismatch', reason: 'length' };
  if (signal.aborted || err instanceof AttemptTimeout) return { name: 'Timeout', reason: 'timeout' };
  const status = statusOf(err);
  const name = nameOf(err);
  if (status !== undefined) {
    // 409: a conditional write racing another in flight (AWS) — try again; 408 / 429: slow down.
    const again = status >= 500 || status === 408 || status === 409 || status === 429;
    // 404 of a pack a row names is lost data, not an outage: its own reason, not retried.
    return { status, name, reason: again ? 'unavailable' : status === 404 ? 'missing' : 'refused' };
  }
  // No HTTP answer: a dropped or refused connection, a parse error of a cut answer.
  return { name, reason: 'unavailable' };
}

/** Reads a body that must be exactly `length` bytes, abandoning it (destroying the socket) on abort. */
export async function readExactly(body: Readable | undefined, length: number, signal: AbortSignal): Promise<Uint8Array> {
  if (body === undefined) throw new LengthMismatch(length, 0);
  const out = Buffer.allocUnsafe(length);
  let got = 0;
  const onAbort = (): void => {
    body.destroy(new AttemptTimeout());
  };
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (got + chunk.length > length) {
        body.destroy();
        throw new LengthMismatch(length, got + chunk.length);
      }
      chunk.copy(out, got);
      got += chunk.length;
    }
  } catch (err) {
    if (signal.aborted) throw new AttemptTimeout();
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (got !== length) throw new LengthMismatch(length, got);
  return out;
}
