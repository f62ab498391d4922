// Immutable packs in an S3 bucket (docs/FORMAT.md §18): create-only puts, coalesced range reads with
// exact lengths, bounded retries, per-operation figures. Credentials never reach a message or a figure.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

import { BadFormatError, IoError, UsageError, quoteForMessage } from '../../../errors.js';
import type { PackCache } from './pack-cache.js';
import { planRanges, splitSpan, type ByteRange, type Span } from './range-plan.js';
import {
  DEFAULT_RETRY,
  LengthMismatch,
  newOpStats,
  nameOf,
  readExactly,
  statusOf,
  withRetries,
  type OpStats,
  type RetryOptions,
  type S3Op,
  type S3Stats,
} from './s3-attempt.js';

export type { ByteRange } from './range-plan.js';
export { DEFAULT_RETRY, LATENCY_BUCKETS_MS, S3_OPS, type OpStats, type RetryOptions, type S3Op, type S3Stats } from './s3-attempt.js';

export interface PackBucketConfig {
  bucket: string;
  /** Key prefix inside the bucket ('' or ending in '/'); packs live under `<prefix>packs/`. */
  prefix?: string;
  /** e.g. http://127.0.0.1:17480 for radosgw; absent means AWS. Path-style addressing either way. */
  endpoint?: string;
  /** Else AWS_REGION, else us-east-1. */
  region?: string;
  /** Else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from `env`. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  env?: Record<string, string | undefined>;
  retry?: Partial<RetryOptions>;
  /** Asked ranges at most this far apart are read by one GET (default 1 MiB: see docs/FORMAT.md §18). */
  gapBytes?: number;
  /** A GET made by merging ranges stays within this many bytes (default 8 MiB). */
  maxSpanBytes?: number;
  /** GETs in flight at once per readRanges call (default 8). */
  concurrency?: number;
  cache?: PackCache;
}

/** What putPack did: stored the bytes, or found this very pack already stored (a retried upload). */
export type PutOutcome = 'stored' | 'already-stored';

const PACK_NAME = /^[0-9a-f]{32}-[0-9a-f]{64}$/;
/** Packs at most this long are read whole on a cache miss (see readRanges). */
export const WHOLE_PACK_BYTES = 1 << 20;
const META_SHA = 'cairn-sha256';
const META_LEN = 'cairn-length';

/** A fresh pack name: 128 random bits (unique even for equal bytes) then the SHA-256 of the bytes. */
export function newPackName(bytes: Uint8Array): string {
  return `${randomBytes(16).toString('hex')}-${sha256(bytes)}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class PackBucket {
  readonly bucket: string;
  readonly prefix: string;
  private readonly s3: S3Client;
  private readonly retry: RetryOptions;
  private readonly gap: number;
  private readonly maxSpan: number;
  private readonly concurrency: number;
  private readonly cache: PackCache | undefined;
  /** GETs in flight by pack and span: a concurrent reader of the same span shares the answer. */
  private readonly inFlight = new Map<string, Promise<Uint8Array>>();
  private readonly figures: S3Stats = { put: newOpStats(), get: newOpStats(), head: newOpStats(), bucket: newOpStats() };

  constructor(config: PackBucketConfig) {
    const env = config.env ?? process.env;
    const accessKeyId = config.credentials?.accessKeyId ?? env['AWS_ACCESS_KEY_ID'];
    const secretAccessKey = config.credentials?.secretAccessKey ?? env['AWS_SECRET_ACCESS_KEY'];
    if (!accessKeyId || !secretAccessKey)
      throw new UsageError('no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or give them in the config file)', {
        reason: 's3-credentials',
      });
    const prefix = config.prefix ?? '';
    if (prefix !== '' && !prefix.endsWith('/')) throw new UsageError(`S3 prefix '${prefix}' must end with '/'`, { reason: 's3-prefix' });
    this.bucket = config.bucket;
    this.prefix = prefix;
    this.retry = { ...DEFAULT_RETRY, ...config.retry };
    this.gap = config.gapBytes ?? 1 << 20;
    this.maxSpan = config.maxSpanBytes ?? 8 << 20;
    this.concurrency = Math.max(1, config.concurrency ?? 8);
    this.cache = config.cache;
    this.s3 = new S3Client({
      ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
      region: config.region ?? env['AWS_REGION'] ?? 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
      // Retries are ours (see `attempt`): the SDK's would nest inside them, multiply the attempts,
      // and not cover a body of the wrong length.
      maxAttempts: 1,
    });
  }

  /** The figures so far, by operation (a copy: for /metrics). */
  stats(): S3Stats {
    const copy = (s: OpStats): OpStats => ({ ...s, latencyBuckets: [...s.latencyBuckets] });
    return { put: copy(this.figures.put), get: copy(this.figures.get), head: copy(this.figures.head), bucket: copy(this.figures.bucket) };
  }

  /** The object key of pack `name`; a name not of newPackName's shape is refused (BAD_FORMAT). */
  key(name: string): string {
    if (!PACK_NAME.test(name)) throw new BadFormatError('pack name', `${quoteForMessage(name)} is not <32 hex>-<64 hex> (see newPackName)`);
    return `${this.prefix}packs/${name}`;
  }

  destroy(): void {
    this.s3.destroy();
  }

  /** Whether the bucket exists (one HEAD, with this bucket's retries): a readiness probe changes nothing. */
  async bucketExists(): Promise<boolean> {
    return this.attempt('bucket', 'check bucket', undefined, async (signal) => {
      try {
        await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
        return true;
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw err;
      }
    });
  }

  /** Creates the bucket when it does not exist (a race with another server creating it is fine). */
  async ensureBucket(): Promise<'exists' | 'created'> {
    if (await this.bucketExists()) return 'exists';
    return this.attempt('bucket', 'create bucket', undefined, async (signal) => {
      try {
        await this.s3.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
        return 'created' as const;
      } catch (err) {
        if (nameOf(err) === 'BucketAlreadyOwnedByYou') return 'exists' as const;
        throw err;
      }
    });
  }

  /**
   * Stores a pack under a new name, create-only (`If-None-Match: *`): never overwrites. A 412 means
   * the name is taken; if the stored object has these bytes' length and SHA-256 it was this upload
   * (a retry whose first attempt landed): 'already-stored'. Otherwise a bug gave one name to two
   * packs: IoError reason 'pack-name-taken', and the stored pack is left as it was.
   */
  async putPack(name: string, bytes: Uint8Array): Promise<PutOutcome> {
    const Key = this.key(name);
    const sum = sha256(bytes);
    if (name.slice(33) !== sum) throw new BadFormatError('pack name', `${name} does not end with the SHA-256 of its bytes`);
    const taken = await this.attempt('put', `upload pack ${name}`, name, async (signal, stats) => {
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: bytes,
            ContentLength: bytes.length,
            ContentType: 'application/octet-stream',
            IfNoneMatch: '*',
            Metadata: { [META_SHA]: sum, [META_LEN]: String(bytes.length) },
          }),
          { abortSignal: signal },
        );
        stats.bytes += bytes.length;
        return false;
      } catch (err) {
        if (statusOf(err) === 412) return true;
        throw err;
      }
    });
    if (!taken) return 'stored';
    const head = await this.headPack(name);
    if (head.length === bytes.length && head.sha256 === sum) return 'already-stored';
    throw new IoError(`pack name ${name} is already taken by other bytes in bucket ${this.bucket}: a bug gave one name to two packs`, {
      reason: 'pack-name-taken',
      name,
      bucket: this.bucket,
      storedLength: head.length,
      length: bytes.length,
    });
  }

  /** A stored pack's length and the SHA-256 its metadata records (undefined for a pack without it). */
  async headPack(name: string): Promise<{ length: number; sha256: string | undefined }> {
    return this.attempt('head', `check pack ${name}`, name, async (signal) => {
      const h = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name) }), { abortSignal: signal });
      return { length: h.ContentLength ?? -1, sha256: h.Metadata?.[META_SHA] };
    });
  }

  /**
   * The bytes of each range of one pack, in the order asked, each exactly `length` bytes. Ranges
   * in the cache are served from it; the rest are coalesced (gap, maxSpan) into GETs run with
   * bounded concurrency. A response of the wrong length is retried, then an IoError (reason
   * 'length'): never returned. The caller still verifies object hashes.
   */
  async readRanges(pack: string, ranges: readonly ByteRange[], opts: { packLength?: number } = {}): Promise<Uint8Array[]> {
    this.key(pack);
    const out: (Uint8Array | undefined)[] =
      this.cache !== undefined
        ? await this.cache.lookup(pack, ranges)
        : ranges.map((r) => (r.length === 0 ? new Uint8Array(0) : undefined));
    const missing: number[] = [];
    for (let i = 0; i < ranges.length; i++) if (out[i] === undefined) missing.push(i);
    const asked = missing.map((i) => ranges[i]!);
    // A small pack (a push's metadata: its commits, trees and file objects) is read whole on the
    // first miss: a closure check or ancestry walk asks for it level by level, and every later
    // level is then a cache hit instead of another ~45 ms GET (measured: push-refs p50 291 ms).
    const whole =
      opts.packLength !== undefined &&
      opts.packLength <= WHOLE_PACK_BYTES &&
      asked.length > 0 &&
      asked.every((r) => r.offset + r.length <= opts.packLength!);
    const spans = whole
      ? [{ offset: 0, length: opts.packLength!, members: asked.map((_, j) => j) }]
      : planRanges(asked, { gap: this.gap, maxSpan: this.maxSpan });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < spans.length) {
        const span = spans[next++]!;
        const body = await this.getSpan(pack, span);
        for (const [j, bytes] of splitSpan(span, body, asked)) out[missing[j]!] = bytes;
        // The whole span, gap bytes included: any later range inside it is a hit.
        if (this.cache !== undefined) await this.cache.put(pack, span.offset, body);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, spans.length) }, worker));
    return out.map((b, i) => {
      if (b === undefined || b.length !== ranges[i]!.length) throw new Error(`internal: range ${i} of pack ${pack} was not filled exactly`);
      return b;
    });
  }

  /**
   * Keeps the bytes of a pack this process has just uploaded in the local cache, whole: the
   * requests that follow (the closure check of the same push, a fetch soon after) read them back
   * without a GET. Best effort, as every cache write.
   */
  async remember(pack: string, bytes: Uint8Array): Promise<void> {
    this.key(pack);
    if (this.cache !== undefined) await this.cache.put(pack, 0, bytes);
  }

  private getSpan(pack: string, span: Span): Promise<Uint8Array> {
    const key = `${pack}:${span.offset}:${span.length}`;
    let p = this.inFlight.get(key);
    if (p === undefined) {
      p = this.fetchSpan(pack, span).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    } else this.figures.get.shared++;
    return p;
  }

  private async fetchSpan(pack: string, span: Span): Promise<Uint8Array> {
    const last = span.offset + span.length - 1;
    return this.attempt('get', `read pack ${pack} bytes ${span.offset}-${last}`, pack, async (signal, stats) => {
      const res = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(pack), Range: `bytes=${span.offset}-${last}` }),
        {
          abortSignal: signal,
        },
      );
      // A server that ignored the Range header answers 200 with the whole object: not our bytes.
      const cr = res.ContentRange;
      if (cr !== undefined && !cr.startsWith(`bytes ${span.offset}-${last}/`)) throw new LengthMismatch(span.length, -1);
      const body = await readExactly(res.Body as Readable | undefined, span.length, signal);
      stats.bytes += body.length;
      return body;
    });
  }

  private attempt<T>(
    op: S3Op,
    what: string,
    name: string | undefined,
    fn: (signal: AbortSignal, stats: OpStats) => Promise<T>,
  ): Promise<T> {
    return withRetries(this.retry, this.figures[op], { op, what, bucket: this.bucket, name }, fn);
  }
}
