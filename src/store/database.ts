// The repository's SQLite database: refs, reflog, config, the object index and the worktree index
// live here so that each change to them is one transaction (WAL, synchronous=FULL). Tables and
// migrations: docs/FORMAT.md §11, §16. Damaged, read-only and full databases: §11.1.
import { accessSync, constants as fsc, existsSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { BadFormatError, IoError, LockedError, type CairnError } from '../errors.js';

// better-sqlite3 reads this once, when its native addon loads (on the first `new Database`): the
// read-only fallback below needs a URI filename (`?immutable=1`). Our own paths are absolute, so
// none of them starts with `file:` and none changes meaning.
process.env['SQLITE_USE_URI'] ??= '1';

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

const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens the repository database. A damaged file is BAD_FORMAT (exit 7) with what to do next, never
 * a raw SQLite error; a database the process cannot write (read-only file system, immutable files,
 * no write permission, full disk) is opened read-only so that reading commands still work and
 * writing ones fail with IO (docs/FORMAT.md §11.1). The handle is closed on every failure.
 */
export function openDatabase(path: string, create: boolean): Db {
  const db = connect(path, create);
  try {
    if (!db.readonly) {
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = OFF');
    }
    if (create) {
      // One transaction: a kill mid-creation leaves no database half made (every statement is
      // IF NOT EXISTS / OR IGNORE, so creating again over a finished one changes nothing).
      writeTransaction(db, () => {
        db.exec(SCHEMA);
        db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema', String(SCHEMA_VERSION));
      });
    } else checkSchema(db, path);
    return db;
  } catch (err) {
    db.close();
    throw storeError(err, path) ?? err;
  }
}

function checkSchema(db: Db, path: string): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  if (!hasMeta)
    throw new BadFormatError(
      `${path} is not a cairn repository database (it has no schema): if 'cairn init' was interrupted, run it again; otherwise restore the file from a backup or clone the repository again from a replica`,
      { what: 'repository database', reason: 'no schema', path },
    );
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
  const version = Number(row?.value);
  if (row !== undefined && !(Number.isInteger(version) && version >= 1))
    throw new BadFormatError(
      `the repository database ${path} is damaged (schema version '${row.value}'): restore it from a backup, or clone the repository again from a replica`,
      { what: 'repository database', reason: 'bad schema version', path },
    );
  if (row === undefined || version > SCHEMA_VERSION) {
    throw new BadFormatError(
      `repository format ${row?.value ?? 'unknown'} is newer than this cairn understands (${SCHEMA_VERSION}); upgrade cairn`,
      { path },
    );
  }
  if (version < SCHEMA_VERSION) {
    if (db.readonly)
      throw new IoError(
        `${path} is read-only and uses repository format ${version}, which must be upgraded to ${SCHEMA_VERSION} before use: open it once where it is writable`,
        { path },
      );
    migrate(db, version);
  }
}

/**
 * A connection, read-write when possible. The first statement (the WAL pragma) is where SQLite
 * finds out it cannot write the database or create its `-shm` file; then, in order: a read-only
 * connection (works when the `-wal`/`-shm` files exist or can be created), and an immutable one
 * (nothing at all is written; safe only without a `-wal` holding transactions, which it would not
 * see).
 */
function connect(path: string, create: boolean): Db {
  let first: unknown;
  try {
    const db = new Database(path, { fileMustExist: !create, timeout: BUSY_TIMEOUT_MS });
    try {
      db.pragma('journal_mode = WAL');
      readOnlyBecause = undefined;
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  } catch (err) {
    if (create || !cannotWrite(err)) throw storeError(err, path) ?? openFailure(path, err);
    first = err;
  }
  readOnlyBecause = whyNotWritable(path, first);
  try {
    return probed(new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS }));
  } catch (err) {
    if (!cannotWrite(err)) throw storeError(err, path) ?? openFailure(path, err);
  }
  if (walInUse(path)) throw openFailure(path, first);
  try {
    return probed(new Database(`${pathToFileURL(path).href}?immutable=1`, { readonly: true, fileMustExist: true }));
  } catch (err) {
    throw storeError(err, path) ?? openFailure(path, first);
  }
}

/** The connection, once a first read has worked (SQLite opens lazily). */
function probed(db: Db): Db {
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

// Why the last database opened read-only could not be opened for writing: what a command that
// then tries to write is told (one repository per CLI process; only a message depends on it).
let readOnlyBecause: string | undefined;

function whyNotWritable(path: string, err: unknown): string {
  const dir = dirname(path);
  try {
    const fs = statfsSync(dir);
    if (fs.bavail === 0 || fs.bfree === 0) return 'the disk is full';
  } catch {
    /* no statfs here: go on */
  }
  for (const p of [dir, path]) {
    try {
      accessSync(p, fsc.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'EROFS' ? 'the file system is read-only' : `${p} is not writable (${code})`;
    }
  }
  return (err as Error).message;
}

function walInUse(path: string): boolean {
  try {
    return existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
  } catch {
    return true;
  }
}

function cannotWrite(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && /^SQLITE_(CANTOPEN|READONLY|IOERR|FULL|PERM)/.test(code);
}

function openFailure(path: string, err: unknown): IoError {
  return new IoError(`cannot open repository database ${path}: ${(err as Error).message}`, { path, detail: sqliteCode(err) }, err);
}

function sqliteCode(err: unknown): string | undefined {
  return err instanceof Database.SqliteError ? err.code : undefined;
}

/**
 * The typed error for a SQLite failure (undefined for anything else): damage is BAD_FORMAT (exit 7)
 * with what to do next, a lock LOCKED, a full or read-only disk IO (docs/FORMAT.md §11.1). The CLI
 * applies it to every error it reports, so a page found damaged by any statement is reported alike.
 */
export function storeError(err: unknown, path = '.cairn/cairn.db'): CairnError | undefined {
  const code = sqliteCode(err);
  if (code === undefined) return undefined;
  const reason = (err as Error).message;
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code))
    return new BadFormatError(
      `the repository database ${path} is damaged (${reason}): restore it from a backup, or clone the repository again from a replica (files in the worktree are not affected)`,
      { what: 'repository database', reason, path, detail: code },
      err,
    );
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return new LockedError('the repository database', 'another cairn process');
  if (code === 'SQLITE_FULL')
    return new IoError(
      `the disk holding ${path} is full: free some space and run the command again`,
      { path, errno: 'ENOSPC', detail: code },
      err,
    );
  if (/^SQLITE_(READONLY|PERM)/.test(code))
    return new IoError(
      `cannot write the repository database ${path} (${readOnlyBecause ?? reason}): this command needs to write; free space or make the repository writable, or use a command that only reads`,
      { path, errno: 'EROFS', detail: code },
      err,
    );
  if (/^SQLITE_(IOERR|CANTOPEN)/.test(code))
    return new IoError(
      `cannot read or write the repository database ${path} (${reason}): check the disk and its permissions`,
      { path, detail: code },
      err,
    );
  return undefined;
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
