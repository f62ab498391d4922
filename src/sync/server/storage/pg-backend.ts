// The PostgreSQL + S3 server backend (issue 10; docs/FORMAT.md §17, §18): `cairn serve --db URL
// --objects s3://BUCKET/PREFIX`. PostgreSQL holds everything mutable (repositories, refs, reflog,
// the object index, the quarantine, the pack list); S3 holds immutable packs. A server process keeps
// nothing a second server would need: open repositories are cached ids, the pack cache holds
// immutable spans. On open the schema is migrated forward (a newer one refused) and the bucket
// created when missing. Credentials never reach a log line, an error or a metric: the database is
// named host:port/db (pg-errors.ts), S3 errors carry operation, bucket and status only (s3-attempt.ts).
import type pg from 'pg';
import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';
import { CairnError, InvalidNameError, IoError, UsageError } from '../../../errors.js';
import type { ObjectId } from '../../../core/hash.js';
import { DEFAULT_BRANCH } from '../../../store/repository.js';
import type { FlushPolicy } from '../../protocol/object-source.js';
import { repoNameProblem } from '../repos.js';
import type { ReadyState, RepositoryStorage, ServerStorage } from './backend.js';
import { LATENCY_BUCKETS_MS, PackBucket, S3_OPS, type OpStats, type RetryOptions } from './pack-bucket.js';
import { PackCache, type PackCacheStats } from './pack-cache.js';
import { describeDatabase, pgFailure } from './pg-errors.js';
import { indexMissingObjects, PgRepository } from './pg-objects.js';
import { createPgPool } from './pg-pool.js';
import { connect, guard, openPgRepository } from './pg-refs.js';
import { migrate, quoteSchema } from './pg-schema.js';
import type { Timer } from './pg-staging.js';
import type { RefUpdate, RefValue, ReflogEntry, ReflogExpiry, ServerRefStore } from './refs.js';

export interface PgS3Config {
  /** postgres://USER[:PASSWORD]@HOST:PORT/DB */
  databaseUrl: string;
  /** The PostgreSQL schema (default `cairn`). */
  schema?: string;
  /** `s3://BUCKET` or `s3://BUCKET/PREFIX/` (the prefix '' or ending in '/'). */
  objects: string;
  /** e.g. http://127.0.0.1:17480 for radosgw; absent means AWS. */
  endpoint?: string;
  region?: string;
  /** Else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from `env` (default process.env). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  env?: Record<string, string | undefined>;
  /** A folder for the on-disk cache of pack spans; without one, every read goes to S3. */
  cacheDir?: string;
  /** The cache's bound (default 1 GiB). */
  cacheBytes?: number;
  /** PostgreSQL connections at most (default 10). */
  poolSize?: number;
  flushPolicy?: FlushPolicy;
  /** S3 retry settings (pack-bucket.ts defaults otherwise). */
  s3Retry?: Partial<RetryOptions>;
  /** How long ready() waits for each engine (default 2000 ms). */
  readyTimeoutMs?: number;
  /** For tests of the crash window between an S3 upload and its rows (pg-staging.ts). */
  afterUpload?: (packs: readonly string[]) => Promise<void>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://BUCKET/PREFIX` as bucket and key prefix ('' or ending in '/'); USAGE for anything else. */
export function parseObjectsUrl(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (m === null) throw new UsageError(`--objects must be s3://BUCKET or s3://BUCKET/PREFIX/, not '${url}'`, { reason: 's3-url' });
  const bucket = m[1]!;
  const prefix = m[2] ?? '';
  if (!BUCKET_NAME.test(bucket))
    throw new UsageError(`'${bucket}' is not an S3 bucket name (3-63 lower-case letters, digits, '.' and '-')`, { reason: 's3-url' });
  if (prefix !== '' && !prefix.endsWith('/'))
    throw new UsageError(`the S3 prefix '${prefix}' must end with '/' (s3://${bucket}/${prefix}/)`, { reason: 's3-prefix' });
  if (prefix.split('/').some((part, i, all) => part === '' && i < all.length - 1))
    throw new UsageError(`the S3 prefix '${prefix}' has an empty segment`, { reason: 's3-prefix' });
  return { bucket, prefix };
}

/** Where an endpoint URL points, without any user or password in it. */
function describeEndpoint(endpoint: string | undefined): string {
  if (endpoint === undefined) return 'AWS';
  try {
    const u = new URL(endpoint);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unparseable endpoint)';
  }
}

const PG_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A metric whose values come whole from a snapshot at scrape time (the registry reads `get()`). */
function snapshotMetric(name: string, help: string, type: 'histogram', values: () => unknown[]): Metric {
  return {
    name,
    help,
    type,
    get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
    reset: () => undefined,
  } as unknown as Metric;
}

/** The refs of one repository with each call timed (by operation) for the metrics. */
class TimedRefs implements ServerRefStore {
  constructor(
    private readonly inner: ServerRefStore,
    private readonly time: Timer,
  ) {}
  read(name: string): Promise<RefValue | undefined> {
    return this.time('refs-read', () => this.inner.read(name));
  }
  resolveName(name: string): Promise<{ name: string; id: ObjectId | null }> {
    return this.time('refs-read', () => this.inner.resolveName(name));
  }
  resolve(name: string): Promise<ObjectId | null> {
    return this.time('refs-read', () => this.inner.resolve(name));
  }
  list(prefix: string): Promise<{ name: string; id: ObjectId }[]> {
    return this.time('refs-list', () => this.inner.list(prefix));
  }
  update(updates: readonly RefUpdate[], who: string, message: string, extra?: Record<string, unknown>): Promise<void> {
    return this.time('refs-update', () => this.inner.update(updates, who, message, extra));
  }
  setSymbolic(name: string, value: RefValue, who: string, message: string): Promise<void> {
    return this.time('refs-update', () => this.inner.setSymbolic(name, value, who, message));
  }
  reflog(ref: string, limit?: number): Promise<ReflogEntry[]> {
    return this.time('refs-reflog', () => this.inner.reflog(ref, limit));
  }
  expireReflog(which: readonly string[] | 'all', cutoff: number, opts?: { dryRun?: boolean }): Promise<ReflogExpiry[]> {
    return this.time('refs-update', () => this.inner.expireReflog(which, cutoff, opts));
  }
  reflogIds(): Promise<ObjectId[]> {
    return this.time('refs-list', () => this.inner.reflogIds());
  }
  allRoots(): Promise<ObjectId[]> {
    return this.time('refs-list', () => this.inner.allRoots());
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new IoError(`${what} did not answer within ${ms} ms`, { reason: 'timeout' })), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Repositories a server keeps open (their ids and pack names) at most. */
const MAX_OPEN_REPOSITORIES = 4096;

class PgS3Storage implements ServerStorage {
  readonly kind = 'postgres+s3';
  readonly describe: string;
  private readonly repos = new Map<string, PgRepository>();
  private readonly s: string;
  private readonly latency = new Histogram({
    name: 'cairn_pg_query_duration_seconds',
    help: 'PostgreSQL queries and transactions of the storage backend, by operation',
    labelNames: ['op'],
    buckets: PG_BUCKETS_S,
    registers: [],
  });
  private readonly errors = new Counter({
    name: 'cairn_pg_errors_total',
    help: 'PostgreSQL operations of the storage backend that failed on the engine (unreachable, SQL error), by operation',
    labelNames: ['op'],
    registers: [],
  });
  private readonly retries = new Counter({
    name: 'cairn_pg_retries_total',
    help: 'PostgreSQL transactions run again after a conflict, by SQLSTATE (40001, 40P01, 23505)',
    labelNames: ['sqlstate'],
    registers: [],
  });
  readonly timer: Timer = async (op, fn) => {
    const end = this.latency.startTimer({ op });
    try {
      return await fn();
    } catch (err) {
      // Engine failures only: REF_MOVED, MISSING_OBJECT and the like are answers, not errors.
      if (err instanceof IoError || !(err instanceof CairnError)) this.errors.inc({ op });
      throw err;
    } finally {
      end();
    }
  };

  constructor(
    private readonly config: PgS3Config,
    private readonly schema: string,
    private readonly pool: pg.Pool,
    private readonly bucket: PackBucket,
    private readonly fresh: PackBucket,
    private readonly probe: PackBucket,
    private readonly cache: PackCache | undefined,
  ) {
    this.s = quoteSchema(schema);
    this.describe = `PostgreSQL ${describeDatabase(config.databaseUrl)} (schema ${schema}), S3 s3://${bucket.bucket}/${bucket.prefix} at ${describeEndpoint(config.endpoint)}`;
  }

  async open(name: string, create: boolean): Promise<RepositoryStorage | undefined> {
    // The folder backend's rules (repos.ts), though no path is built from a name here: both
    // backends accept the same names, and a request can neither create a repository named
    // '.cairn', 'v1', '-x' or of nine segments, nor send PostgreSQL a NUL (text cannot hold one:
    // the query failed and the client got a 500).
    const problem = repoNameProblem(name);
    if (problem !== null) throw new InvalidNameError(`invalid repository name '${name.slice(0, 100)}': ${problem}`, { name });
    const cached = this.repos.get(name);
    if (cached !== undefined) {
      // Most recently used last: the bound below drops the least recently used.
      this.repos.delete(name);
      this.repos.set(name, cached);
      return cached;
    }
    const url = this.config.databaseUrl;
    const found = await this.timer('open', () =>
      guard(url, 'opening the repository', () =>
        this.pool.query<{ id: string }>(`SELECT id FROM ${this.s}.repositories WHERE name = $1`, [name]),
      ),
    );
    if (found.rows.length === 0 && !create) return undefined;
    let repoId = found.rows[0]?.id ?? '';
    const onRetry = (code: string): void => void this.retries.inc({ sqlstate: code });
    const opened = await this.timer('open', () =>
      openPgRepository(this.pool, name, {
        url,
        schema: this.schema,
        missingObjects: indexMissingObjects(this.s, () => repoId),
        create: true,
        onRetry,
      }),
    );
    repoId = opened.repoId;
    // HEAD names main, as the folder backend's init makes it: the refs advertisement said
    // `head: null` for every repository a push created here, and a clone then checked out the
    // first branch by name instead. Set whenever a creating open finds none, so a creation cut
    // short before this finishes on the push's retry.
    if (create && (await this.timer('open', () => opened.refs.read('HEAD'))) === undefined) {
      const head = { symbolic: true as const, target: `refs/heads/${DEFAULT_BRANCH}` };
      await this.timer('open', () => opened.refs.setSymbolic('HEAD', head, 'cairn', 'init'));
    }
    const repo = new PgRepository({
      pool: this.pool,
      url,
      s: this.s,
      repoId,
      name,
      refs: opened.refs,
      publicRefs: new TimedRefs(opened.refs, this.timer),
      readers: { bucket: this.bucket, fresh: this.fresh },
      timer: this.timer,
      tx: { onRetry },
      ...(this.config.flushPolicy !== undefined ? { flushPolicy: this.config.flushPolicy } : {}),
      ...(this.config.afterUpload !== undefined ? { afterUpload: this.config.afterUpload } : {}),
    });
    const first = this.repos.get(name);
    if (first !== undefined) return first;
    this.repos.set(name, repo);
    // Bounded: a server hosting many repositories keeps the ids and pack names of the busiest. An
    // evicted one holds nothing to close (release is a no-op) and is found again by one query.
    if (this.repos.size > MAX_OPEN_REPOSITORIES) this.repos.delete(this.repos.keys().next().value!);
    return repo;
  }

  release(_repo: RepositoryStorage): void {
    // Nothing to free: an open repository is its id and a few cached pack names.
  }

  async list(limit = 100_000): Promise<string[]> {
    const r = await this.timer('list', () =>
      guard(this.config.databaseUrl, 'listing repositories', () =>
        this.pool.query<{ name: string }>(`SELECT name FROM ${this.s}.repositories ORDER BY name LIMIT $1`, [limit]),
      ),
    );
    return r.rows.map((row) => row.name);
  }

  async clientStagedBytes(client: string): Promise<number> {
    const r = await this.timer('client-staged', () =>
      guard(this.config.databaseUrl, "measuring a client's quarantine", () =>
        this.pool.query<{ b: string }>(`SELECT coalesce(sum(stored_len), 0) AS b FROM ${this.s}.staged WHERE client = $1`, [client]),
      ),
    );
    return Number(r.rows[0]?.b ?? 0);
  }

  async ready(): Promise<ReadyState> {
    const ms = this.config.readyTimeoutMs ?? 2000;
    const problems: string[] = [];
    const where = describeDatabase(this.config.databaseUrl);
    await Promise.all([
      withTimeout(
        guard(this.config.databaseUrl, 'checking readiness', () => this.pool.query('SELECT 1')),
        ms,
        `PostgreSQL at ${where}`,
      ).catch((err: unknown) => {
        problems.push(err instanceof IoError ? err.message : pgFailure(err, this.config.databaseUrl, 'checking readiness').message);
      }),
      withTimeout(this.probe.bucketExists(), ms, `S3 bucket ${this.bucket.bucket} at ${describeEndpoint(this.config.endpoint)}`).then(
        (exists) => {
          // Not re-created here: rows name packs in it, so an empty new bucket would only hide the loss.
          if (!exists) problems.push(`S3 bucket ${this.bucket.bucket} at ${describeEndpoint(this.config.endpoint)} does not exist`);
        },
        (err: unknown) => {
          problems.push(err instanceof IoError ? err.message : `S3 bucket ${this.bucket.bucket} cannot be reached`);
        },
      ),
    ]);
    return { ready: problems.length === 0, problems };
  }

  registerMetrics(registry: Registry): void {
    registry.registerMetric(this.latency);
    registry.registerMetric(this.errors);
    registry.registerMetric(this.retries);
    const s3 = (): Record<string, OpStats> => {
      const all = [this.bucket.stats(), this.fresh.stats(), this.probe.stats()];
      const out: Record<string, OpStats> = {};
      for (const op of S3_OPS) {
        const sum: OpStats = { ...all[0]![op], latencyBuckets: [...all[0]![op].latencyBuckets] };
        for (const other of all.slice(1)) {
          const o = other[op];
          sum.requests += o.requests;
          sum.errors += o.errors;
          sum.retries += o.retries;
          sum.bytes += o.bytes;
          sum.latencyMsSum += o.latencyMsSum;
          sum.shared += o.shared;
          o.latencyBuckets.forEach((n, i) => (sum.latencyBuckets[i]! += n));
        }
        out[op] = sum;
      }
      return out;
    };
    // Counters and gauges read the engines' own figures at scrape time (prom-client collect()).
    const registers = [registry];
    const pool = this.pool;
    new Gauge({
      name: 'cairn_pg_pool_connections',
      help: 'PostgreSQL connections of this server: open (total), idle, and requests waiting for one',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    const counterByOp = (name: string, help: string, pick: (st: OpStats) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['op'],
        registers,
        collect() {
          this.reset();
          for (const [op, st] of Object.entries(s3())) this.inc({ op }, pick(st));
        },
      });
    };
    counterByOp('cairn_s3_requests_total', 'S3 requests sent (retries included), by operation', (x) => x.requests);
    counterByOp('cairn_s3_errors_total', 'S3 requests that failed, by operation', (x) => x.errors);
    counterByOp('cairn_s3_retries_total', 'S3 requests that were retries, by operation', (x) => x.retries);
    counterByOp('cairn_s3_bytes_total', 'Body bytes sent (put) or received (get) by S3 requests, by operation', (x) => x.bytes);
    // prom-client's Histogram can only observe single values, and PackBucket keeps its latencies
    // already bucketed (s3-attempt.ts LATENCY_BUCKETS_MS): this one metric is served from them as is.
    const h = 'cairn_s3_request_duration_seconds';
    registry.registerMetric(
      snapshotMetric(h, 'S3 request latency, by operation', 'histogram', () =>
        Object.entries(s3()).flatMap(([op, st]) => {
          let cum = 0;
          const buckets = LATENCY_BUCKETS_MS.map((bound, i) => {
            cum += st.latencyBuckets[i]!;
            return { metricName: `${h}_bucket`, labels: { op, le: bound / 1000 }, value: cum };
          });
          const count = cum + st.latencyBuckets[LATENCY_BUCKETS_MS.length]!;
          return [
            ...buckets,
            { metricName: `${h}_bucket`, labels: { op, le: '+Inf' }, value: count },
            { metricName: `${h}_sum`, labels: { op }, value: st.latencyMsSum / 1000 },
            { metricName: `${h}_count`, labels: { op }, value: count },
          ];
        }),
      ),
    );
    const cache = this.cache;
    if (cache !== undefined) {
      const cacheCounter = (name: string, help: string, pick: (st: PackCacheStats) => number): void => {
        new Counter({
          name,
          help,
          registers,
          collect() {
            this.reset();
            this.inc(pick(cache.stats()));
          },
        });
      };
      cacheCounter('cairn_pack_cache_hits_total', 'Pack ranges served from the local cache', (x) => x.hits);
      cacheCounter('cairn_pack_cache_misses_total', 'Pack ranges not in the local cache (read from S3)', (x) => x.misses);
      cacheCounter('cairn_pack_cache_evictions_total', 'Cache entries evicted to stay within the bound', (x) => x.evictions);
      cacheCounter('cairn_pack_cache_corrupt_total', 'Cache entries found damaged and deleted (read from S3 again)', (x) => x.corrupt);
      new Gauge({
        name: 'cairn_pack_cache_bytes',
        help: 'Bytes held in the local pack cache',
        registers,
        collect() {
          this.set(cache.stats().bytes);
        },
      });
    }
  }

  async close(): Promise<void> {
    this.repos.clear();
    this.bucket.destroy();
    this.fresh.destroy();
    this.probe.destroy();
    await this.pool.end();
  }
}

/**
 * Opens the backend: the pool, the schema (migrated forward, BAD_FORMAT for a newer one), the
 * bucket (created when missing) and the cache. Fails as IO/USAGE with nothing secret in the text.
 */
export async function openPgS3Storage(config: PgS3Config): Promise<ServerStorage> {
  const schema = config.schema ?? 'cairn';
  quoteSchema(schema);
  const { bucket: bucketName, prefix } = parseObjectsUrl(config.objects);
  const cache =
    config.cacheDir !== undefined ? await PackCache.open({ dir: config.cacheDir, maxBytes: config.cacheBytes ?? 1 << 30 }) : undefined;
  const s3 = {
    bucket: bucketName,
    prefix,
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    ...(config.region !== undefined ? { region: config.region } : {}),
    ...(config.credentials !== undefined ? { credentials: config.credentials } : {}),
    ...(config.env !== undefined ? { env: config.env } : {}),
    ...(config.s3Retry !== undefined ? { retry: config.s3Retry } : {}),
  };
  const bucket = new PackBucket({ ...s3, ...(cache !== undefined ? { cache } : {}) });
  const fresh = new PackBucket(s3);
  const readyMs = config.readyTimeoutMs ?? 2000;
  const probe = new PackBucket({ ...s3, retry: { attempts: 1, attemptTimeoutMs: readyMs, deadlineMs: readyMs } });
  const pool = createPgPool(config.databaseUrl, { max: config.poolSize ?? 10 });
  try {
    const client = await connect(pool, config.databaseUrl, 'opening the database');
    try {
      await guard(config.databaseUrl, 'migrating the schema', () => migrate(client, schema));
    } finally {
      client.release();
    }
    await bucket.ensureBucket();
  } catch (err) {
    bucket.destroy();
    fresh.destroy();
    probe.destroy();
    await pool.end().catch(() => undefined);
    throw err;
  }
  return new PgS3Storage(config, schema, pool, bucket, fresh, probe, cache);
}
