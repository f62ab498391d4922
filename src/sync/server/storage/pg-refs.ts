// Refs of one repository in PostgreSQL (docs/FORMAT.md §17), behind the ServerRefStore seam
// (refs.ts). Every change is one transaction: lock the refs it touches in name order, compare,
// write, append the reflog. Several server processes share the rows; PostgreSQL's row locks, not
// anything in this process, decide who wins a race.
import type pg from 'pg';
import { BadFormatError, LockedError, MissingObjectError, RefMovedError, CairnError } from '../../../errors.js';
import { isObjectId, type ObjectId } from '../../../core/hash.js';
import { compareNames } from '../../../core/names.js';
import { reflogCutoff } from '../../../store/ref-store-contract.js';
import type { RefUpdate, RefValue, ReflogEntry, ReflogExpiry, ServerRefStore } from './refs.js';
import { isRetryableConflict, isUniqueViolation, pgFailure } from './pg-errors.js';
import { migrate, quoteSchema } from './pg-schema.js';

/** What runs a query: the pool (one statement) or a transaction's client. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * Which of `ids` the repository does not store. Injected (pg-objects.ts indexMissingObjects is the
 * object index's answer; tests of refs alone pass a set); it is called once per update, inside the update's transaction and with its client (`tx`), so the
 * PostgreSQL object index can answer with one indexed query that sees the same snapshot and, in the
 * push transaction, the rows it has just promoted.
 */
export type MissingObjects = (ids: readonly ObjectId[], tx: Queryable) => Promise<readonly ObjectId[]>;

export interface PgRefStoreOptions {
  /** The database URL the pool was made from: used only to word errors (its password is never shown). */
  url: string;
  /** The PostgreSQL schema holding cairn's tables (default `cairn`). */
  schema?: string;
  missingObjects: MissingObjects;
  /** How many times a transaction that lost to a deadlock or a serialization failure runs again (default 8). */
  maxAttempts?: number;
  /** Told of each transaction run again after a conflict (SQLSTATE 40001, 40P01 or 23505): for metrics. */
  onRetry?: (sqlstate: string, attempt: number) => void;
}

const MAX_SYMBOLIC_DEPTH = 5;

interface RefRow {
  name: string;
  target: string;
  symbolic: boolean;
}

/** Opens (or creates, with `create`) repository `name`: migrates the schema first. */
export async function openPgRepository(
  pool: pg.Pool,
  name: string,
  opts: PgRefStoreOptions & { create?: boolean },
): Promise<{ refs: PgRefStore; repoId: string; created: boolean }> {
  const schema = opts.schema ?? 'cairn';
  const s = quoteSchema(schema);
  const client = await connect(pool, opts.url, 'opening the repository');
  try {
    await guard(opts.url, 'migrating the schema', () => migrate(client, schema));
    const found = await guard(opts.url, 'opening the repository', () =>
      client.query<{ id: string }>(`SELECT id FROM ${s}.repositories WHERE name = $1`, [name]),
    );
    let id = found.rows[0]?.id;
    let created = false;
    if (id === undefined && opts.create === true) {
      const ins = await guard(opts.url, 'creating the repository', () =>
        client.query<{ id: string }>(
          `INSERT INTO ${s}.repositories (name, created) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id`,
          [name, Date.now()],
        ),
      );
      id = ins.rows[0]?.id;
      created = id !== undefined;
      if (id === undefined) {
        const again = await client.query<{ id: string }>(`SELECT id FROM ${s}.repositories WHERE name = $1`, [name]);
        id = again.rows[0]?.id;
      }
    }
    if (id === undefined) throw new BadFormatError(`no repository '${name}' in the database`, { what: 'repository', name });
    return { refs: new PgRefStore(pool, id, opts), repoId: id, created };
  } finally {
    client.release();
  }
}

/** Clients given an 'error' listener: pg emits 'error' on a checked-out client whose socket ends. */
const listened = new WeakSet<pg.PoolClient>();

export async function connect(pool: pg.Pool, url: string, doing: string): Promise<pg.PoolClient> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw pgFailure(err, url, doing);
  }
  if (!listened.has(client)) {
    listened.add(client);
    // The failure also rejects the query in flight (or the next one), which is where it is
    // reported, typed; without a listener the event would crash the process.
    client.on('error', () => undefined);
  }
  return client;
}

/** Runs `fn`, turning any non-cairn failure into a typed one. */
export async function guard<T>(url: string, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CairnError) throw err;
    throw pgFailure(err, url, doing);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class PgRefStore implements ServerRefStore {
  private readonly s: string;
  private readonly url: string;
  private readonly missingObjects: MissingObjects;
  private readonly maxAttempts: number;
  private readonly onRetry: ((sqlstate: string, attempt: number) => void) | undefined;

  /** Use openPgRepository: it migrates the schema and finds the repository's id. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly repo: string,
    opts: PgRefStoreOptions,
  ) {
    this.s = quoteSchema(opts.schema ?? 'cairn');
    this.url = opts.url;
    this.missingObjects = opts.missingObjects;
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.onRetry = opts.onRetry;
  }

  async read(name: string): Promise<RefValue | undefined> {
    return this.guard('reading a ref', () => this.readWith(this.pool, name));
  }

  async resolveName(name: string): Promise<{ name: string; id: ObjectId | null }> {
    return this.guard('resolving a ref', () => this.resolveWith(this.pool, name));
  }

  async resolve(name: string): Promise<ObjectId | null> {
    return (await this.resolveName(name)).id;
  }

  async list(prefix: string): Promise<{ name: string; id: ObjectId }[]> {
    // COLLATE "C" orders by the UTF-8 bytes of the names (docs/FORMAT.md §13); starts_with takes
    // the prefix literally (no LIKE wildcards).
    const r = await this.guard('listing refs', () =>
      this.pool.query<{ name: string; target: string }>(
        `SELECT name, target FROM ${this.s}.refs WHERE repo = $1 AND NOT symbolic AND name >= $2 AND starts_with(name, $2) ORDER BY name`,
        [this.repo, prefix],
      ),
    );
    return r.rows.map((row) => ({ name: row.name, id: row.target }));
  }

  async reflog(ref: string, limit = 100): Promise<ReflogEntry[]> {
    const r = await this.guard('reading the reflog', () =>
      this.pool.query<{ ref: string; old: string | null; new: string | null; who: string; time: string; message: string }>(
        `SELECT ref, old, new, who, time, message FROM ${this.s}.reflog WHERE repo = $1 AND ref = $2 ORDER BY seq DESC LIMIT $3`,
        [this.repo, ref, limit],
      ),
    );
    return r.rows.map((row) => ({ ...row, time: Number(row.time) }));
  }

  async expireReflog(which: readonly string[] | 'all', cutoff: number, opts: { dryRun?: boolean } = {}): Promise<ReflogExpiry[]> {
    const before = reflogCutoff(cutoff);
    const names = which === 'all' ? null : [...new Set(which)];
    return this.transaction('expiring the reflog', async (tx) => {
      // One snapshot decides: each ref's newest entry (spared while the ref exists; its old value
      // released when it is past the cutoff) and the rows that go, by seq, so an entry appended meanwhile by another server is never deleted.
      const r = await tx.query<{ ref: string; total: number; doomed: string[] | null; released: string[] | null }>(
        `WITH e AS (
           SELECT l.ref, l.seq, l.time, l.old, l.seq = max(l.seq) OVER (PARTITION BY l.ref) AS newest
           FROM ${this.s}.reflog l WHERE l.repo = $1 AND ($2::text[] IS NULL OR l.ref = ANY($2::text[])))
         SELECT e.ref, count(*)::int AS total,
                array_agg(e.seq::text) FILTER (WHERE e.time < $3::bigint AND NOT (e.newest AND EXISTS (
                  SELECT 1 FROM ${this.s}.refs f WHERE f.repo = $1 AND f.name = e.ref))) AS doomed,
                array_agg(e.seq::text) FILTER (WHERE e.time < $3::bigint AND e.newest AND e.old IS NOT NULL AND EXISTS (
                  SELECT 1 FROM ${this.s}.refs f WHERE f.repo = $1 AND f.name = e.ref)) AS released
         FROM e GROUP BY e.ref`,
        [this.repo, names, before],
      );
      const found = new Map(r.rows.map((row) => [row.ref, row]));
      const doomed = r.rows.flatMap((row) => row.doomed ?? []);
      const released = r.rows.flatMap((row) => row.released ?? []);
      if (!opts.dryRun && doomed.length > 0)
        await tx.query(`DELETE FROM ${this.s}.reflog WHERE repo = $1 AND seq = ANY($2::bigint[])`, [this.repo, doomed]);
      if (!opts.dryRun && released.length > 0)
        await tx.query(`UPDATE ${this.s}.reflog SET old = NULL WHERE repo = $1 AND seq = ANY($2::bigint[])`, [this.repo, released]);
      return (names ?? [...found.keys()]).sort(compareNames).map((ref) => {
        const row = found.get(ref);
        const dropped = row?.doomed?.length ?? 0;
        return { ref, dropped, kept: (row?.total ?? 0) - dropped };
      });
    });
  }

  async reflogIds(): Promise<ObjectId[]> {
    const r = await this.guard('listing reflog ids', () =>
      this.pool.query<{ id: string }>(
        `SELECT old AS id FROM ${this.s}.reflog WHERE repo = $1 AND old IS NOT NULL
         UNION SELECT new FROM ${this.s}.reflog WHERE repo = $1 AND new IS NOT NULL`,
        [this.repo],
      ),
    );
    return r.rows.map((row) => row.id);
  }

  async allRoots(): Promise<ObjectId[]> {
    const r = await this.guard('listing roots', () =>
      this.pool.query<{ target: string }>(`SELECT DISTINCT target FROM ${this.s}.refs WHERE repo = $1 AND NOT symbolic`, [this.repo]),
    );
    return r.rows.map((row) => row.target);
  }

  async update(updates: readonly RefUpdate[], who: string, message: string, extra: Record<string, unknown> = {}): Promise<void> {
    for (const u of updates) {
      if (u.next !== null && !isObjectId(u.next)) throw new BadFormatError(`not an object id: ${u.next}`, {});
    }
    if (updates.length === 0) return;
    await this.transaction('updating refs', (tx) => this.applyUpdates(tx, updates, who, message, extra));
  }

  async setSymbolic(name: string, value: RefValue, who: string, message: string): Promise<void> {
    if (!value.symbolic && !isObjectId(value.id)) throw new BadFormatError(`not an object id: ${value.id}`, {});
    await this.transaction('setting a symbolic ref', async (tx) => {
      await this.lockRepository(tx);
      await tx.query(`SELECT 1 FROM ${this.s}.refs WHERE repo = $1 AND name = $2 FOR UPDATE`, [this.repo, name]);
      const before = (await this.resolveWith(tx, name)).id;
      await tx.query(
        `INSERT INTO ${this.s}.refs (repo, name, target, symbolic) VALUES ($1, $2, $3, $4)
         ON CONFLICT (repo, name) DO UPDATE SET target = excluded.target, symbolic = excluded.symbolic`,
        [this.repo, name, value.symbolic ? value.target : value.id, value.symbolic],
      );
      // A loop throws here (BAD_FORMAT), and the transaction is rolled back: nothing changed.
      const after = (await this.resolveWith(tx, name)).id;
      await this.appendLog(tx, [{ ref: name, old: before, new: after }], who, message);
    });
  }

  /**
   * The body of update(), on a transaction's client: lock, compare, check objects, write, log.
   * Kept separate so that the push transaction can run it after promoting its staged objects.
   */
  async applyUpdates(
    tx: Queryable,
    updates: readonly RefUpdate[],
    who: string,
    message: string,
    extra: Record<string, unknown>,
  ): Promise<void> {
    await this.lockRepository(tx);
    const names = [...new Set(updates.map((u) => u.name))].sort(compareNames);
    // Lock the existing rows in name order (ORDER BY sorts before FOR UPDATE locks, in one
    // statement), so two batches touching the same refs in opposite orders queue instead of
    // deadlocking. Absent refs are created below by plain INSERTs in name order: a concurrent creator
    // of the same name makes one of them fail with a unique violation, and that one runs again.
    const locked = await tx.query<RefRow>(
      `SELECT name, target, symbolic FROM ${this.s}.refs WHERE repo = $1 AND name = ANY($2::text[]) ORDER BY name FOR UPDATE`,
      [this.repo, names],
    );
    const stored = new Map<string, RefRow>(locked.rows.map((r) => [r.name, r]));
    const nextIds = [...new Set(updates.flatMap((u) => (u.next === null ? [] : [u.next])))];
    const missing = new Set(nextIds.length === 0 ? [] : await this.missingObjects(nextIds, tx));
    // Apply the batch in order to a copy of the locked state, as the SQLite store applies it row by row.
    const state = new Map<string, ObjectId | null>();
    for (const n of names) {
      const row = stored.get(n);
      state.set(n, row === undefined ? null : row.target);
    }
    const log: { ref: string; old: ObjectId | null; new: ObjectId | null }[] = [];
    for (const u of updates) {
      const row = stored.get(u.name);
      if (row?.symbolic === true) throw new BadFormatError(`ref '${u.name}' is symbolic; update its target instead`, { name: u.name });
      const old = state.get(u.name) ?? null;
      if (u.expected !== undefined && u.expected !== old) throw new RefMovedError(u.name, u.expected, old, { newId: u.next, ...extra });
      if (u.next !== null && missing.has(u.next)) {
        throw new MissingObjectError(`refusing to point '${u.name}' at ${u.next}: the object is not stored`, { name: u.name, id: u.next });
      }
      state.set(u.name, u.next);
      log.push({ ref: u.name, old, new: u.next });
    }
    const del: string[] = [];
    const upd: [string, string][] = [];
    const ins: [string, string][] = [];
    for (const n of names) {
      const next = state.get(n) ?? null;
      const had = stored.has(n);
      if (next === null) {
        if (had) del.push(n);
      } else if (had) {
        if (stored.get(n)!.target !== next) upd.push([n, next]);
      } else ins.push([n, next]);
    }
    if (del.length > 0) await tx.query(`DELETE FROM ${this.s}.refs WHERE repo = $1 AND name = ANY($2::text[])`, [this.repo, del]);
    if (upd.length > 0) {
      await tx.query(
        `UPDATE ${this.s}.refs r SET target = v.t FROM unnest($2::text[], $3::text[]) AS v(n, t) WHERE r.repo = $1 AND r.name = v.n`,
        [this.repo, upd.map((x) => x[0]), upd.map((x) => x[1])],
      );
    }
    if (ins.length > 0) {
      await tx.query(
        `INSERT INTO ${this.s}.refs (repo, name, target, symbolic)
         SELECT $1, v.n, v.t, false FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS v(n, t, i) ORDER BY v.i`,
        [this.repo, ins.map((x) => x[0]), ins.map((x) => x[1])],
      );
    }
    await this.appendLog(tx, log, who, message);
  }

  /** The gc fence's shared half (refs.ts): every ref-moving transaction holds the repository row FOR SHARE. */
  private async lockRepository(tx: Queryable): Promise<void> {
    const r = await tx.query(`SELECT 1 FROM ${this.s}.repositories WHERE id = $1 FOR SHARE`, [this.repo]);
    if (r.rowCount === 0)
      throw new BadFormatError(`the repository (id ${this.repo}) no longer exists in the database`, { what: 'repository' });
  }

  private async appendLog(
    tx: Queryable,
    entries: readonly { ref: string; old: ObjectId | null; new: ObjectId | null }[],
    who: string,
    message: string,
  ): Promise<void> {
    if (entries.length === 0) return;
    // One row per entry, in batch order (seq follows the ORDER BY); the time is the database's clock,
    // shared by every server.
    await tx.query(
      `INSERT INTO ${this.s}.reflog (repo, ref, old, new, who, time, message)
       SELECT $1, v.r, v.o, v.n, $5, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint, $6
       FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS v(r, o, n, i) ORDER BY v.i`,
      [this.repo, entries.map((e) => e.ref), entries.map((e) => e.old), entries.map((e) => e.new), who, message],
    );
  }

  private async readWith(q: Queryable, name: string): Promise<RefValue | undefined> {
    const r = await q.query<RefRow>(`SELECT name, target, symbolic FROM ${this.s}.refs WHERE repo = $1 AND name = $2`, [this.repo, name]);
    const row = r.rows[0];
    if (row === undefined) return undefined;
    return row.symbolic ? { symbolic: true, target: row.target } : { symbolic: false, id: row.target };
  }

  private async resolveWith(q: Queryable, name: string): Promise<{ name: string; id: ObjectId | null }> {
    let current = name;
    for (let depth = 0; depth < MAX_SYMBOLIC_DEPTH; depth++) {
      const v = await this.readWith(q, current);
      if (v === undefined) return { name: current, id: null };
      if (!v.symbolic) return { name: current, id: v.id };
      current = v.target;
    }
    throw new BadFormatError(`symbolic ref loop at '${name}'`, { name });
  }

  private guard<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    return guard(this.url, doing, fn);
  }

  /** One transaction of this store (runTransaction with its retry settings). */
  private transaction<T>(doing: string, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    return runTransaction(this.pool, this.url, doing, fn, { maxAttempts: this.maxAttempts, onRetry: this.onRetry });
  }
}

export interface TransactionOptions {
  /** Runs at most (default 8). */
  maxAttempts?: number;
  onRetry?: ((sqlstate: string, attempt: number) => void) | undefined;
}

/**
 * Runs `fn` in one READ COMMITTED transaction on a pooled client. A deadlock, a serialization
 * failure or a unique violation (two creators of one absent ref) rolls back and runs `fn` again,
 * at most maxAttempts times with a short jittered pause; the next attempt then sees the winner's
 * committed rows, so a lost race ends as REF_MOVED with the found value. Cairn errors thrown by
 * `fn` roll back and propagate; other failures become typed (pgFailure). Exported for the push
 * transaction (pg-objects.ts publish), which promotes objects and then calls applyUpdates in it.
 */
export async function runTransaction<T>(
  pool: pg.Pool,
  url: string,
  doing: string,
  fn: (tx: pg.PoolClient) => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    const client = await connect(pool, url, doing);
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (err instanceof CairnError) throw err;
      if (isRetryableConflict(err) || isUniqueViolation(err)) {
        if (attempt >= maxAttempts) {
          throw new LockedError(`the refs of this repository are busy (${attempt} attempts lost to concurrent updates); try again`, {
            what: 'refs',
            attempts: attempt,
            retryable: true,
          });
        }
        opts.onRetry?.((err as { code: string }).code, attempt);
        await sleep(Math.floor(Math.random() * 10 * attempt));
        continue;
      }
      broken = true;
      throw pgFailure(err, url, doing);
    } finally {
      client.release(broken);
    }
  }
}
