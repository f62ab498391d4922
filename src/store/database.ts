// The repository's SQLite database: refs, reflog, config, the object index and the worktree index
// live here so that each change to them is one transaction (WAL, synchronous=FULL). Tables and
// migrations: docs/FORMAT.md §11, §16.
import Database from 'better-sqlite3';
import { BadFormatError, IoError, LockedError } from '../errors.js';

export type Db = Database.Database;

export const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS packs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
  id TEXT PRIMARY KEY, type INTEGER NOT NULL, pack INTEGER NOT NULL,
  offset INTEGER NOT NULL, stored_len INTEGER NOT NULL, raw_len INTEGER NOT NULL, comp INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS staged (
  id TEXT PRIMARY KEY, type INTEGER NOT NULL, pack INTEGER NOT NULL,
  offset INTEGER NOT NULL, stored_len INTEGER NOT NULL, raw_len INTEGER NOT NULL, comp INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs (name TEXT PRIMARY KEY, target TEXT NOT NULL, symbolic INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reflog (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ref TEXT NOT NULL, old TEXT, new TEXT,
  who TEXT NOT NULL, time INTEGER NOT NULL, message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reflog_ref ON reflog (ref, seq);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wt_blob (key TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wt_trees (path TEXT PRIMARY KEY, id TEXT NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commit_generations (id TEXT PRIMARY KEY, generation INTEGER NOT NULL) WITHOUT ROWID;
`;

export function openDatabase(path: string, create: boolean): Db {
  let db: Db;
  try {
    db = new Database(path, { fileMustExist: !create, timeout: 10_000 });
  } catch (err) {
    throw new IoError(`cannot open repository database ${path}: ${(err as Error).message}`, { path }, err);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = OFF');
  if (create) {
    // One transaction: a kill mid-creation leaves no database half made (every statement is
    // IF NOT EXISTS / OR IGNORE, so creating again over a finished one changes nothing).
    writeTransaction(db, () => {
      db.exec(SCHEMA);
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema', String(SCHEMA_VERSION));
    });
  } else {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
    if (row === undefined || Number(row.value) > SCHEMA_VERSION) {
      throw new BadFormatError(
        `repository format ${row?.value ?? 'unknown'} is newer than this cairn understands (${SCHEMA_VERSION}); upgrade cairn`,
        { path },
      );
    }
    if (Number(row.value) < SCHEMA_VERSION) migrate(db, Number(row.value));
  }
  return db;
}

/**
 * Upgrades an older repository in place, one version step per transaction, so a crash leaves a
 * database at some whole version. Every step only adds tables: older readers never see new data.
 */
function migrate(db: Db, from: number): void {
  const steps: Record<number, string> = {
    // 1 -> 2: the `staged` table (quarantine for objects received over the network).
    1: SCHEMA.slice(SCHEMA.indexOf('CREATE TABLE IF NOT EXISTS staged'), SCHEMA.indexOf('CREATE TABLE IF NOT EXISTS refs')),
    // 2 -> 3: the `commit_generations` cache (store/commit-generations.ts); it starts empty and
    // fills as ancestry tests compute generations, so the step is instant on any history.
    2: SCHEMA.slice(SCHEMA.indexOf('CREATE TABLE IF NOT EXISTS commit_generations')),
  };
  for (let v = from; v < SCHEMA_VERSION; v++) {
    writeTransaction(db, () => {
      db.exec(steps[v]!);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(v + 1));
    });
  }
}

/**
 * Runs `fn` in a write transaction taken up front (BEGIN IMMEDIATE), so a compare-and-swap reads
 * and writes under one lock. SQLITE_BUSY after the timeout becomes a LockedError.
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  try {
    return db.transaction(fn).immediate();
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new LockedError('the repository database', 'another cairn process');
    throw err;
  }
}
