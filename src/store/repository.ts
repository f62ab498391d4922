// A repository on disk: the worktree root and its `.cairn/` folder (SQLite database + packs).
// Opening one finds the root by walking up from a directory, as git does.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NotARepositoryError } from '../errors.js';
import { openDatabase, storeError, type Db } from './database.js';
import { PackStore, type PackStoreOptions } from './object-store.js';
import { SqliteRefStore, type RefStore } from './ref-store.js';
import { ConfigStore } from './config-store.js';
import { WorktreeIndex } from './worktree-index.js';

export const CAIRN_DIR = '.cairn';
export const DB_FILE = 'cairn.db';
export const DEFAULT_BRANCH = 'main';

export class Repository {
  readonly objects: PackStore;
  readonly refs: RefStore;
  readonly config: ConfigStore;
  readonly index: WorktreeIndex;

  private constructor(
    /** Absolute path of the worktree root. */
    readonly root: string,
    readonly cairnDir: string,
    readonly db: Db,
    opts: PackStoreOptions,
  ) {
    this.objects = new PackStore(db, cairnDir, opts);
    this.refs = new SqliteRefStore(db, (id) => this.objects.has(id));
    this.config = new ConfigStore(db);
    this.index = new WorktreeIndex(db);
  }

  /**
   * Creates a repository, or finishes one whose creation was interrupted (idempotent). HEAD and
   * `config` are written in one transaction, so a repository either has both or is unfinished:
   * `isFinished` tells, and creating again completes it.
   */
  static init(dir: string, opts: { initialBranch?: string; config?: Record<string, string> } = {}): { repo: Repository; created: boolean } {
    const root = resolve(dir);
    const cairnDir = join(root, CAIRN_DIR);
    mkdirSync(join(cairnDir, 'packs'), { recursive: true });
    mkdirSync(join(cairnDir, 'tmp'), { recursive: true });
    const db = openDatabase(join(cairnDir, DB_FILE), true);
    const repo = new Repository(root, cairnDir, db, {});
    const created = repo.refs.read('HEAD') === undefined;
    if (created) {
      repo.refs.transaction(() => {
        repo.refs.setSymbolic('HEAD', { symbolic: true, target: `refs/heads/${opts.initialBranch ?? DEFAULT_BRANCH}` }, 'cairn', 'init');
        for (const [k, v] of Object.entries(opts.config ?? {})) repo.config.set(k, v);
      });
    }
    return { repo, created };
  }

  /**
   * Whether the repository in `dir` (exactly there, not above) was created to the end. False when
   * a kill interrupted `init`: no database yet, no schema, or no HEAD.
   */
  static isFinished(dir: string): boolean {
    const dbPath = join(resolve(dir), CAIRN_DIR, DB_FILE);
    if (!existsSync(dbPath)) return false;
    let db: Db | undefined;
    try {
      db = openDatabase(dbPath, false);
      return db.prepare("SELECT 1 FROM refs WHERE name = 'HEAD'").get() !== undefined;
    } catch {
      return false;
    } finally {
      db?.close();
    }
  }

  /** Opens the repository containing `dir` (searching upwards). */
  static open(dir: string, opts: PackStoreOptions = {}): Repository {
    const root = Repository.findRoot(dir);
    if (root === undefined) throw new NotARepositoryError(resolve(dir));
    const cairnDir = join(root, CAIRN_DIR);
    const db = openDatabase(join(cairnDir, DB_FILE), false);
    try {
      return new Repository(root, cairnDir, db, opts);
    } catch (err) {
      // Preparing the stores' statements reads the schema: a damaged one must not leak the handle.
      db.close();
      throw storeError(err) ?? err;
    }
  }

  static findRoot(dir: string): string | undefined {
    let cur = resolve(dir);
    for (;;) {
      const candidate = join(cur, CAIRN_DIR, DB_FILE);
      if (existsSync(candidate)) {
        if (!statSync(join(cur, CAIRN_DIR)).isDirectory()) throw new NotARepositoryError(`${join(cur, CAIRN_DIR)} is not a directory`);
        return cur;
      }
      const parent = dirname(cur);
      if (parent === cur) return undefined;
      cur = parent;
    }
  }

  /** Identity for reflog entries and commits made by this process. */
  close(): void {
    this.objects.close();
    this.db.close();
  }
}
