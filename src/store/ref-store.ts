// Refs: branches, tags, remote-tracking refs and the symbolic HEAD, in SQLite. Every change is a
// compare-and-swap (expected old value -> new value) inside one write transaction and is appended
// to the reflog in the same transaction: a lost race is detected, never a lost update.
import { BadFormatError, MissingObjectError, RefMovedError } from '../errors.js';
import { isObjectId, type ObjectId } from '../core/hash.js';
import { writeTransaction, type Db } from './database.js';

export type { RefStore, RefValue, RefUpdate, ReflogEntry, ReflogExpiry } from './ref-store-contract.js';
import { reflogCutoff, type RefStore, type RefValue, type RefUpdate, type ReflogEntry, type ReflogExpiry } from './ref-store-contract.js';
import { compareNames } from '../core/names.js';

/** The SQLite ref store; its contract, and that of every other ref store, is in ref-store-contract.ts. */
export class SqliteRefStore implements RefStore {
  private readonly stmtRead;
  private readonly stmtUpsert;
  private readonly stmtDelete;
  private readonly stmtLog;

  constructor(
    private readonly db: Db,
    private readonly hasObject: (id: ObjectId) => boolean,
  ) {
    this.stmtRead = db.prepare('SELECT target, symbolic FROM refs WHERE name = ?');
    this.stmtUpsert = db.prepare(
      'INSERT INTO refs (name, target, symbolic) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET target = excluded.target, symbolic = excluded.symbolic',
    );
    this.stmtDelete = db.prepare('DELETE FROM refs WHERE name = ?');
    this.stmtLog = db.prepare('INSERT INTO reflog (ref, old, new, who, time, message) VALUES (?, ?, ?, ?, ?, ?)');
  }

  read(name: string): RefValue | undefined {
    const row = this.stmtRead.get(name) as { target: string; symbolic: number } | undefined;
    if (row === undefined) return undefined;
    return row.symbolic ? { symbolic: true, target: row.target } : { symbolic: false, id: row.target };
  }

  /** Follows symbolic refs (at most 5 levels) to the ref that holds an id. */
  resolveName(name: string): { name: string; id: ObjectId | null } {
    let current = name;
    for (let depth = 0; depth < 5; depth++) {
      const v = this.read(current);
      if (v === undefined) return { name: current, id: null };
      if (!v.symbolic) return { name: current, id: v.id };
      current = v.target;
    }
    throw new BadFormatError(`symbolic ref loop at '${name}'`, { name });
  }

  resolve(name: string): ObjectId | null {
    return this.resolveName(name).id;
  }

  list(prefix: string): { name: string; id: ObjectId }[] {
    // Names sort by UTF-8 bytes (docs/FORMAT.md §13), so every name under the prefix follows it and
    // the run ends at the first name that does not start with it. No upper bound in SQL: any bound
    // string (once `prefix + '\uffff'`) sorts below some names that carry characters past U+FFFF.
    const out: { name: string; id: ObjectId }[] = [];
    const rows = this.db
      .prepare('SELECT name, target, symbolic FROM refs WHERE name >= ? ORDER BY name')
      .iterate(prefix) as IterableIterator<{ name: string; target: string; symbolic: number }>;
    for (const r of rows) {
      if (!r.name.startsWith(prefix)) break;
      if (r.symbolic === 0) out.push({ name: r.name, id: r.target });
    }
    return out;
  }

  update(updates: readonly RefUpdate[], who: string, message: string, extra: Record<string, unknown> = {}): void {
    for (const u of updates) {
      if (u.next !== null && !isObjectId(u.next)) throw new BadFormatError(`not an object id: ${u.next}`, {});
    }
    writeTransaction(this.db, () => {
      const now = Date.now();
      for (const u of updates) {
        const cur = this.read(u.name);
        if (cur?.symbolic) throw new BadFormatError(`ref '${u.name}' is symbolic; update its target instead`, { name: u.name });
        const old = cur === undefined ? null : cur.id;
        if (u.expected !== undefined && u.expected !== old) {
          throw new RefMovedError(u.name, u.expected, old, { newId: u.next, ...extra });
        }
        if (u.next !== null && !this.hasObject(u.next)) {
          throw new MissingObjectError(`refusing to point '${u.name}' at ${u.next}: the object is not stored`, {
            name: u.name,
            id: u.next,
          });
        }
        if (u.next === null) this.stmtDelete.run(u.name);
        else this.stmtUpsert.run(u.name, u.next, 0);
        this.stmtLog.run(u.name, old, u.next, who, now, message);
      }
    });
  }

  /** Points a symbolic ref (HEAD) at another ref, or detaches it at an id, logging the move. */
  setSymbolic(name: string, value: RefValue, who: string, message: string): void {
    writeTransaction(this.db, () => {
      const before = this.resolve(name);
      if (value.symbolic) this.stmtUpsert.run(name, value.target, 1);
      else this.stmtUpsert.run(name, value.id, 0);
      const after = this.resolve(name);
      this.stmtLog.run(name, before, after, who, Date.now(), message);
    });
  }

  reflog(ref: string, limit = 100): ReflogEntry[] {
    return this.db
      .prepare('SELECT ref, old, new, who, time, message FROM reflog WHERE ref = ? ORDER BY seq DESC LIMIT ?')
      .all(ref, limit) as ReflogEntry[];
  }

  expireReflog(which: readonly string[] | 'all', cutoff: number, opts: { dryRun?: boolean } = {}): ReflogExpiry[] {
    const before = reflogCutoff(cutoff);
    const run = () => {
      const refs =
        which === 'all'
          ? (this.db.prepare('SELECT DISTINCT ref FROM reflog').all() as { ref: string }[]).map((r) => r.ref)
          : [...new Set(which)];
      const stats = this.db.prepare('SELECT count(*) AS n, max(seq) AS newest FROM reflog WHERE ref = ?');
      const doomed = `FROM reflog WHERE ref = ? AND time < ? AND seq <> ?`;
      const count = this.db.prepare(`SELECT count(*) AS n ${doomed}`);
      const del = this.db.prepare(`DELETE ${doomed}`);
      const release = this.db.prepare('UPDATE reflog SET old = NULL WHERE seq = ? AND time < ? AND old IS NOT NULL');
      const out: ReflogExpiry[] = [];
      for (const ref of refs.sort(compareNames)) {
        const s = stats.get(ref) as { n: number; newest: number | null };
        // seq is never negative: -1 spares nothing, for a ref that no longer exists.
        const spared = this.read(ref) === undefined ? -1 : (s.newest ?? -1);
        const dropped = opts.dryRun ? (count.get(ref, before, spared) as { n: number }).n : del.run(ref, before, spared).changes;
        if (!opts.dryRun && spared >= 0) release.run(spared, before);
        out.push({ ref, dropped, kept: s.n - dropped });
      }
      return out;
    };
    return opts.dryRun ? this.db.transaction(run).deferred() : writeTransaction(this.db, run);
  }

  reflogIds(): ObjectId[] {
    const rows = this.db
      .prepare('SELECT old AS id FROM reflog WHERE old IS NOT NULL UNION SELECT new FROM reflog WHERE new IS NOT NULL')
      .all() as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Every id a ref names: the roots fsck starts from (gc also keeps `reflogIds`). */
  allRoots(): ObjectId[] {
    const ids = new Set<string>();
    for (const r of this.db.prepare('SELECT target FROM refs WHERE symbolic = 0').all() as { target: string }[]) ids.add(r.target);
    return [...ids];
  }

  /** Runs several reads and updates as one transaction (e.g. rename a branch). */
  transaction<T>(fn: () => T): T {
    return writeTransaction(this.db, fn);
  }
}
