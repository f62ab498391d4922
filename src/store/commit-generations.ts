// The commit-generation cache (`commit_generations`, docs/FORMAT.md §11): derived, rebuildable
// generation numbers, so an ancestry test need not read a whole history to learn them again.
//
// A row is a fact about an id forever: a commit's id fixes its parents, hence its generation. So
// rows never go stale — not when gc removes the commit, not for a quarantined commit that is never
// promoted — and nothing needs invalidating. Nothing depends on a row being present: a missing row
// is recomputed from the commits. Writes are best effort and never wait for the lock.
import Database from 'better-sqlite3';
import type { ObjectId } from '../core/hash.js';
import type { Db } from './database.js';

export class GenerationStore {
  private readonly stmtGet;
  private readonly stmtPut;
  private readonly stmtClear;
  private readonly stmtAny;

  constructor(private readonly db: Db) {
    this.stmtGet = db.prepare('SELECT generation FROM commit_generations WHERE id = ?').pluck();
    this.stmtPut = db.prepare('INSERT OR IGNORE INTO commit_generations (id, generation) VALUES (?, ?)');
    this.stmtClear = db.prepare('DELETE FROM commit_generations');
    this.stmtAny = db.prepare('SELECT 1 FROM commit_generations LIMIT 1');
  }

  /** Whether the table has no row at all (a repository's first ancestry test: skip the lookups). */
  isEmpty(): boolean {
    return this.stmtAny.get() === undefined;
  }

  get(id: ObjectId): number | undefined {
    return this.stmtGet.get(id) as number | undefined;
  }

  /**
   * Stores `entries` in one transaction if the database lock is free right now; returns whether it
   * did. A busy, read-only or full database just means the numbers stay in memory: a read-only
   * command must not fail, nor wait behind a writer, because of a cache. Inside a caller's
   * transaction nothing is written (the rows would share its fate and its lock).
   */
  record(entries: ReadonlyArray<readonly [ObjectId, number]>): boolean {
    return this.tryWrite(() => {
      for (const [id, g] of entries) this.stmtPut.run(id, g);
    });
  }

  /** Drops every row (after one was found inconsistent with the commits): all are recomputable. */
  clear(): boolean {
    return this.tryWrite(() => this.stmtClear.run());
  }

  private tryWrite(fn: () => void): boolean {
    if (this.db.inTransaction) return false;
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.transaction(fn).immediate();
      return true;
    } catch (err) {
      if (err instanceof Database.SqliteError) return false;
      throw err;
    } finally {
      this.db.pragma(`busy_timeout = ${Number(timeout)}`);
    }
  }
}
