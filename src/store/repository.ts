// A repository on disk: the worktree root and its `.cairn/` folder (SQLite database + packs).
// Opening one finds the root by walking up from a directory, as git does.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CairnError, NotARepositoryError } from '../errors.js';
import { openDatabase, type Db } from './database.js';
import { PackStore, type PackStoreOptions } from './object-store.js';
import { RefStore } from './ref-store.js';
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
    this.refs = new RefStore(db, (id) => this.objects.has(id));
    this.config = new ConfigStore(db);
    this.index = new WorktreeIndex(db);
  }

  static init(dir: string, opts: { initialBranch?: string } = {}): { repo: Repository; created: boolean } {
    const root = resolve(dir);
    const cairnDir = join(root, CAIRN_DIR);
    const existed = existsSync(join(cairnDir, DB_FILE));
    mkdirSync(join(cairnDir, 'packs'), { recursive: true });
    mkdirSync(join(cairnDir, 'tmp'), { recursive: true });
    const db = openDatabase(join(cairnDir, DB_FILE), true);
    const repo = new Repository(root, cairnDir, db, {});
    if (!existed && repo.refs.read('HEAD') === undefined) {
      repo.refs.setSymbolic('HEAD', { symbolic: true, target: `refs/heads/${opts.initialBranch ?? DEFAULT_BRANCH}` }, 'cairn', 'init');
    }
    return { repo, created: !existed };
  }

  /** Opens the repository containing `dir` (searching upwards). */
  static open(dir: string, opts: PackStoreOptions = {}): Repository {
    const root = Repository.findRoot(dir);
    if (root === undefined) throw new NotARepositoryError(resolve(dir));
    const cairnDir = join(root, CAIRN_DIR);
    return new Repository(root, cairnDir, openDatabase(join(cairnDir, DB_FILE), false), opts);
  }

  static findRoot(dir: string): string | undefined {
    let cur = resolve(dir);
    for (;;) {
      const candidate = join(cur, CAIRN_DIR, DB_FILE);
      if (existsSync(candidate)) {
        if (!statSync(join(cur, CAIRN_DIR)).isDirectory()) throw new CairnError('NOT_A_REPOSITORY', `${join(cur, CAIRN_DIR)} is not a directory`);
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
