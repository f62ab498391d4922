// One repository of the PostgreSQL + S3 server backend (docs/FORMAT.md §17.1, §18): the object
// index and the quarantine as rows in PostgreSQL, the bytes in immutable S3 packs, behind the
// RepositoryStorage seam (backend.ts). Every question about many ids is one indexed query per
// batch (unnest of the ids joined to the primary key), never one round trip per object, never a
// HEAD request and never a Bloom filter (a false "present" would lose data for good). The push
// transaction (publish) promotes staged rows and moves the refs in ONE PostgreSQL transaction.
import type pg from 'pg';
import { BadFormatError, CorruptObjectError, MissingObjectError } from '../../../errors.js';
import { isObjectId, OBJECT_TYPES, type ObjectId, type ObjectType } from '../../../core/hash.js';
import { decodeFile } from '../../../core/file-object.js';
import type { Located, RawRecord, StoredObject } from '../../../store/object-store.js';
import type { FlushPolicy, ObjectSource } from '../../protocol/object-source.js';
import type { PublishRequest, RepositoryStorage, StagingWriter } from './backend.js';
import type { MissingObjects, PgRefStore, Queryable, TransactionOptions } from './pg-refs.js';
import { guard, runTransaction } from './pg-refs.js';
import { readObjects, readRecords, type Place, type Readers } from './pg-read.js';
import { PgStager, type Timer } from './pg-staging.js';
import type { ServerRefStore } from './refs.js';

/**
 * Ids per query. Measured on 1M indexed objects, 100k ids (half present): 10k per batch ~0.5 s
 * in all, 5k ~0.65 s, 25k–100k 0.6–1.1 s (a bigger array literal costs more to parse than the
 * round trips it saves), so 10k.
 */
export const ID_BATCH = 10_000;

/** Batches of one lookup in flight at once (each on its own pooled connection). */
export const LOOKUP_CONCURRENCY = 2;

/** Receive's flush policy for this backend: S3 PUTs of thousands of objects (issue 10). */
export const PG_FLUSH_POLICY: FlushPolicy = { flushBytes: 8 << 20, flushObjects: 20_000, flushMs: 2000 };

export interface PgRepositoryContext {
  pool: pg.Pool;
  url: string;
  /** The quoted schema name. */
  s: string;
  repoId: string;
  name: string;
  refs: PgRefStore;
  /** What the server sees: the same refs, possibly wrapped to be timed. */
  publicRefs?: ServerRefStore;
  readers: Readers;
  timer: Timer;
  tx?: TransactionOptions;
  flushPolicy?: FlushPolicy;
  /** For tests of the crash window between the S3 upload and the rows (pg-staging.ts). */
  afterUpload?: (packs: readonly string[]) => Promise<void>;
}

/** A Located with what this backend's whereMany already read: the index's file size (null when unknown). */
interface PgLocated extends Located {
  fileSize?: number | null;
}

/**
 * Runs `fn` over `ids` in batches of ID_BATCH, LOOKUP_CONCURRENCY at once (each query on its own
 * pooled connection): the time is the index probes (~5 µs each, measured with EXPLAIN ANALYZE),
 * which a database with spare cores runs in parallel. `at` is the batch's first index in `ids`.
 */
async function inBatches(ids: readonly ObjectId[], fn: (batch: ObjectId[], at: number) => Promise<void>): Promise<void> {
  const starts: number[] = [];
  for (let i = 0; i < ids.length; i += ID_BATCH) starts.push(i);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < starts.length && !failed) {
      const at = starts[next++]!;
      try {
        await fn(ids.slice(at, at + ID_BATCH), at);
      } catch (err) {
        // The call fails with this; the other worker stops after its query in flight.
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, starts.length) }, worker));
}

/** The ids as the queries take them (hex text, decoded in SQL), refusing anything not an id. */
function checked(ids: readonly ObjectId[]): ObjectId[] {
  for (const id of ids)
    if (!isObjectId(id)) throw new BadFormatError(`not an object id: ${String(id).slice(0, 80)}`, { what: 'object id' });
  return [...new Set(ids)];
}

function typeOf(code: number, id: ObjectId): ObjectType {
  const t = OBJECT_TYPES[code];
  if (t === undefined) throw new CorruptObjectError(id, `unknown type code ${code} in the index`);
  return t;
}

const COLUMNS = `encode(t.id, 'hex') AS id, t.type, t.size, t.pack, t."offset", t.stored_len, t.comp, t.file_size`;

interface PlaceRow {
  id: string;
  type: number;
  size: string;
  pack: string;
  offset: string;
  stored_len: string;
  comp: number;
  file_size: string | null;
  at: 'store' | 'staged';
}

/**
 * Which of `ids` `repo` does not store (promoted objects only): the refs' MISSING_OBJECT check,
 * on the caller's transaction, so the push transaction sees the rows it has just promoted.
 */
export async function missingFromIndex(q: Queryable, s: string, repo: string, ids: readonly ObjectId[]): Promise<ObjectId[]> {
  const out: ObjectId[] = [];
  const all = checked(ids);
  for (let i = 0; i < all.length; i += ID_BATCH) {
    const batch = all.slice(i, i + ID_BATCH);
    const r = await q.query<{ h: string }>(
      `SELECT v.h FROM unnest($2::text[]) AS v(h)
       WHERE NOT EXISTS (SELECT 1 FROM ${s}.objects o WHERE o.repo = $1 AND o.id = decode(v.h, 'hex'))`,
      [repo, batch],
    );
    for (const row of r.rows) out.push(row.h);
  }
  return out;
}

/** The injected MissingObjects of a PgRefStore for repository id `repo()` (known once opened). */
export function indexMissingObjects(s: string, repo: () => string): MissingObjects {
  return (ids, tx) => missingFromIndex(tx, s, repo(), ids);
}

export class PgRepository implements RepositoryStorage {
  readonly name: string;
  readonly refs: ServerRefStore;
  readonly objects: ObjectSource;
  readonly staged: ObjectSource;
  readonly flushPolicy: FlushPolicy;
  /** Pack id -> name and length: rows name packs by id, S3 by name; a pack never changes either. */
  private readonly packNames = new Map<string, { name: string; bytes: number }>();

  constructor(private readonly ctx: PgRepositoryContext) {
    this.name = ctx.name;
    this.refs = ctx.publicRefs ?? ctx.refs;
    this.flushPolicy = ctx.flushPolicy ?? PG_FLUSH_POLICY;
    this.objects = this.source(false);
    this.staged = this.source(true);
  }

  private get s(): string {
    return this.ctx.s;
  }

  private time<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return this.ctx.timer(op, fn);
  }

  /** One statement on the pool, timed as `op`; a failure typed (StorageUnavailableError: 503). */
  private query<R extends pg.QueryResultRow>(op: string, doing: string, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    return this.time(op, () => guard(this.ctx.url, doing, () => this.ctx.pool.query<R>(sql, params)));
  }

  async lacking(ids: readonly ObjectId[]): Promise<boolean[]> {
    for (const id of ids)
      if (!isObjectId(id)) throw new BadFormatError(`not an object id: ${String(id).slice(0, 80)}`, { what: 'object id' });
    const out = new Array<boolean>(ids.length).fill(false);
    await inBatches(ids, async (batch, at) => {
      // Ordinals of the absent ids, not the ids: fewer bytes back, and duplicates answer alike.
      const r = await this.query<{ i: string }>(
        'lacking',
        'looking up objects',
        `SELECT v.i FROM unnest($2::text[]) WITH ORDINALITY AS v(h, i)
         WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.objects o WHERE o.repo = $1 AND o.id = decode(v.h, 'hex'))
           AND NOT EXISTS (SELECT 1 FROM ${this.s}.staged q WHERE q.repo = $1 AND q.id = decode(v.h, 'hex'))`,
        [this.ctx.repoId, batch],
      );
      for (const row of r.rows) out[at + Number(row.i) - 1] = true;
    });
    return out;
  }

  /** The index rows of `ids` (store first: with `staged`, a quarantined copy only where the store has none). */
  private async locate(ids: readonly ObjectId[], staged: boolean): Promise<Map<ObjectId, Place>> {
    const all = checked(ids);
    const found = new Map<ObjectId, Place>();
    const store = `SELECT ${COLUMNS}, 'store' AS at FROM unnest($2::text[]) AS v(h) JOIN ${this.s}.objects t ON t.repo = $1 AND t.id = decode(v.h, 'hex')`;
    const quarantine = `SELECT ${COLUMNS}, 'staged' AS at FROM unnest($2::text[]) AS v(h) JOIN ${this.s}.staged t ON t.repo = $1 AND t.id = decode(v.h, 'hex')`;
    await inBatches(all, async (batch) => {
      // One statement, one snapshot: a publish committing meanwhile is seen whole or not at all.
      const r = await this.query<PlaceRow>(
        staged ? 'where-staged' : 'where',
        'locating objects',
        staged ? `${store} UNION ALL ${quarantine}` : store,
        [this.ctx.repoId, batch],
      );
      for (const row of r.rows) {
        // The store wins: a staged copy only where the store has none.
        if (row.at === 'staged' && found.get(row.id)?.where === 'store') continue;
        found.set(row.id, {
          id: row.id,
          type: row.type,
          size: Number(row.size),
          packId: row.pack,
          pack: '',
          offset: Number(row.offset),
          storedLen: Number(row.stored_len),
          comp: row.comp,
          fileSize: row.file_size === null ? null : Number(row.file_size),
          where: row.at,
        });
      }
    });
    return found;
  }

  /** Fills in the pack names of `places` (one query for the packs not seen before). */
  private async named(places: Iterable<Place>): Promise<Place[]> {
    const list = [...places];
    const unknown = [...new Set(list.filter((p) => !this.packNames.has(p.packId)).map((p) => p.packId))];
    if (unknown.length > 0) {
      const r = await this.query<{ id: string; name: string; bytes: string }>(
        'packs',
        'locating packs',
        `SELECT id, name, bytes FROM ${this.s}.packs WHERE id = ANY($1::bigint[])`,
        [unknown],
      );
      for (const row of r.rows) this.packNames.set(row.id, { name: row.name, bytes: Number(row.bytes) });
    }
    for (const p of list) {
      const known = this.packNames.get(p.packId);
      if (known === undefined) throw new CorruptObjectError(p.id, `the index names pack #${p.packId}, which is not registered`);
      p.pack = known.name;
      p.packBytes = known.bytes;
    }
    return list;
  }

  /** Every id located, else MISSING_OBJECT naming the first absent one. */
  private async locateAll(ids: readonly ObjectId[], staged: boolean): Promise<Place[]> {
    const found = await this.locate(ids, staged);
    for (const id of ids) if (!found.has(id)) throw new MissingObjectError(id);
    return this.named(found.values());
  }

  private source(staged: boolean): ObjectSource {
    return {
      whereMany: async (ids) => {
        const out = new Map<ObjectId, Located>();
        for (const [id, p] of await this.locate(ids, staged)) {
          const loc: PgLocated = { where: p.where, type: typeOf(p.type, id), size: p.size, fileSize: p.fileSize };
          out.set(id, loc);
        }
        return out;
      },
      getMany: (ids, expected) => this.getMany(ids, staged, expected),
      fileSizes: (located) => this.fileSizes(located, staged),
    };
  }

  private async getMany(ids: readonly ObjectId[], staged: boolean, expected?: ObjectType): Promise<Map<ObjectId, StoredObject>> {
    const places = await this.locateAll(ids, staged);
    if (expected !== undefined) {
      for (const p of places) {
        const type = typeOf(p.type, p.id);
        if (type !== expected)
          throw new BadFormatError(`object ${p.id} is a ${type}, expected a ${expected}`, { id: p.id, type, expected });
      }
    }
    return readObjects(this.ctx.readers, places);
  }

  /**
   * The content size of each file: from the index's `file_size` (given by receive, which decoded
   * the object anyway), else read and decoded. These numbers serve size checks (FORMAT §7.2) and
   * came from a verified object, as the folder's prefix read does.
   */
  private async fileSizes(located: Iterable<[ObjectId, Located]>, staged: boolean): Promise<Map<ObjectId, number>> {
    const out = new Map<ObjectId, number>();
    const read: ObjectId[] = [];
    for (const [id, loc] of located) {
      if (loc.type !== 'file') throw new BadFormatError(`object ${id} is a ${loc.type}, expected a file`, { id });
      const known = (loc as PgLocated).fileSize;
      if (typeof known === 'number') out.set(id, known);
      else read.push(id);
    }
    if (read.length > 0) {
      // Located elsewhere (no fileSize) or indexed without one: the index may know it now.
      const places = await this.locateAll(read, staged);
      const unknown = places.filter((p) => p.fileSize === null);
      for (const p of places) if (p.fileSize !== null) out.set(p.id, p.fileSize);
      if (unknown.length > 0) {
        for (const [id, obj] of await readObjects(this.ctx.readers, unknown)) out.set(id, decodeFile(obj.data, `file ${id}`).size);
      }
    }
    return out;
  }

  async records(ids: readonly ObjectId[]): Promise<AsyncIterable<RawRecord>> {
    // Located before the promise settles: MISSING_OBJECT comes before any byte is sent.
    const places = await this.locateAll(ids, false);
    return readRecords(this.ctx.readers, places);
  }

  stager(client: string): StagingWriter {
    return new PgStager(
      {
        pool: this.ctx.pool,
        url: this.ctx.url,
        s: this.s,
        repoId: this.ctx.repoId,
        bucket: this.ctx.readers.bucket,
        timer: this.ctx.timer,
        ...(this.ctx.tx !== undefined ? { tx: this.ctx.tx } : {}),
        ...(this.ctx.afterUpload !== undefined ? { afterUpload: this.ctx.afterUpload } : {}),
      },
      client,
    );
  }

  async stagedBytes(): Promise<number> {
    const r = await this.query<{ b: string }>(
      'staged-bytes',
      'measuring the quarantine',
      `SELECT coalesce(sum(stored_len), 0) AS b FROM ${this.s}.staged WHERE repo = $1`,
      [this.ctx.repoId],
    );
    return Number(r.rows[0]?.b ?? 0);
  }

  async checkedOut(): Promise<string | null> {
    // Server repositories are bare: no worktree, no branch a push could overwrite under a user.
    return null;
  }

  /**
   * Drops staged rows older than `maxAgeMs` (by the time their flush committed). A pack left with
   * no row naming it (staged or promoted) stays in S3 and in `packs`: deleting it is gc's work
   * (next issue), under gc's fence, since a slow push may be about to publish from it. `packs` in
   * the answer counts such packs made unreferenced now.
   */
  async expireStaging(maxAgeMs: number, now = Date.now()): Promise<{ objects: number; packs: number }> {
    const cutoff = now - maxAgeMs;
    return this.time('expire', () =>
      runTransaction(
        this.ctx.pool,
        this.ctx.url,
        'expiring staged objects',
        async (tx) => {
          const gone = await tx.query<{ pack: string; n: string }>(
            `WITH d AS (DELETE FROM ${this.s}.staged WHERE repo = $1 AND created < $2 RETURNING pack)
             SELECT pack, count(*) AS n FROM d GROUP BY pack`,
            [this.ctx.repoId, cutoff],
          );
          const objects = gone.rows.reduce((sum, r) => sum + Number(r.n), 0);
          if (gone.rows.length === 0) return { objects: 0, packs: 0 };
          const orphans = await tx.query<{ n: string }>(
            `SELECT count(*) AS n FROM unnest($2::bigint[]) AS v(p)
             WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.staged q WHERE q.repo = $1 AND q.pack = v.p)
               AND NOT EXISTS (SELECT 1 FROM ${this.s}.objects o WHERE o.repo = $1 AND o.pack = v.p)`,
            [this.ctx.repoId, gone.rows.map((r) => r.pack)],
          );
          return { objects, packs: Number(orphans.rows[0]?.n ?? 0) };
        },
        this.ctx.tx,
      ),
    );
  }

  /**
   * The push transaction (FORMAT §17.2): the repository row FOR SHARE (gc's fence), then per batch
   * of ids one statement that deletes the staged rows and inserts them into `objects` (ON CONFLICT
   * DO NOTHING: an object another push promoted meanwhile stays as it is), then a check that every
   * id is now in `objects` (MISSING_OBJECT otherwise: its staging expired, nothing is applied),
   * then the refs' own steps (PgRefStore.applyUpdates: lock in name order, compare, check objects,
   * write, log) on the same transaction. Deadlocks and serialization failures run it again.
   */
  async publish(req: PublishRequest): Promise<number> {
    // Sorted: two pushes promoting the same objects lock their staged rows in the same order.
    const promote = checked(req.promote).sort();
    for (const m of req.moves) {
      if (m.next !== null && !isObjectId(m.next)) throw new BadFormatError(`not an object id: ${String(m.next).slice(0, 80)}`, {});
    }
    const { s } = this;
    const repo = this.ctx.repoId;
    return this.time('publish', () =>
      runTransaction(
        this.ctx.pool,
        this.ctx.url,
        'publishing a push',
        async (tx) => {
          const r = await tx.query(`SELECT 1 FROM ${s}.repositories WHERE id = $1 FOR SHARE`, [repo]);
          if (r.rowCount === 0)
            throw new BadFormatError(`the repository (id ${repo}) no longer exists in the database`, { what: 'repository' });
          let moved = 0;
          for (let i = 0; i < promote.length; i += ID_BATCH) {
            const batch = promote.slice(i, i + ID_BATCH);
            const ins = await tx.query(
              `WITH gone AS (
                 DELETE FROM ${s}.staged q USING unnest($2::text[]) AS v(h)
                 WHERE q.repo = $1 AND q.id = decode(v.h, 'hex')
                 RETURNING q.repo, q.id, q.type, q.size, q.pack, q."offset", q.stored_len, q.comp, q.file_size
               )
               INSERT INTO ${s}.objects (repo, id, type, size, pack, "offset", stored_len, comp, file_size)
               SELECT * FROM gone ORDER BY id
               ON CONFLICT (repo, id) DO NOTHING`,
              [repo, batch],
            );
            moved += ins.rowCount ?? 0;
            const missing = await missingFromIndex(tx, s, repo, batch);
            if (missing.length > 0) {
              throw new MissingObjectError(
                `object ${missing[0]} is neither staged nor stored (its staging may have expired): nothing was applied; push again`,
                { id: missing[0]!, missing: missing.length },
              );
            }
          }
          if (req.moves.length > 0) await this.ctx.refs.applyUpdates(tx, req.moves, req.who, req.message, req.extra ?? {});
          return moved;
        },
        this.ctx.tx,
      ),
    );
  }
}
