// The worktree index (git's "staging area"): for every tracked path, what will be committed (the
// file object id and kind) and the stat data seen when it was hashed, so that `status` can skip
// unchanged files without reading them. Tree ids of untouched directories are cached so commit
// and status need not rebuild them.
import type { ObjectId } from '../core/hash.js';
import type { EntryKind } from '../core/tree-object.js';
import { writeTransaction, type Db } from './database.js';

export interface IndexEntry {
  path: string;
  kind: EntryKind;
  id: ObjectId;
  size: number;
  /** Stat data at hashing time; 0 when unknown (forces a re-hash on the next status). */
  mtimeNs: number;
  ctimeNs: number;
  ino: number;
}

const KINDS: EntryKind[] = ['file', 'exec', 'symlink', 'tree'];
const KIND_CODE: Record<EntryKind, number> = { file: 0, exec: 1, symlink: 2, tree: 3 };

export interface CachedTree {
  path: string;
  id: ObjectId;
  size: number;
}

export class WorktreeIndex {
  constructor(private readonly db: Db) {}

  /** All entries, sorted by path (code-unit order; callers that need byte order re-sort). */
  all(): IndexEntry[] {
    const rows = this.db.prepare('SELECT path, kind, id, size, mtime_ns, ctime_ns, ino FROM wt_index ORDER BY path').raw().all() as [string, number, string, number, number, number, number][];
    return rows.map(([path, kind, id, size, mtimeNs, ctimeNs, ino]) => ({ path, kind: KINDS[kind]!, id, size, mtimeNs, ctimeNs, ino }));
  }

  get(path: string): IndexEntry | undefined {
    const r = this.db.prepare('SELECT path, kind, id, size, mtime_ns, ctime_ns, ino FROM wt_index WHERE path = ?').raw().get(path) as [string, number, string, number, number, number, number] | undefined;
    if (r === undefined) return undefined;
    return { path: r[0], kind: KINDS[r[1]]!, id: r[2], size: r[3], mtimeNs: r[4], ctimeNs: r[5], ino: r[6] };
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM wt_index').get() as { n: number }).n;
  }

  /**
   * Applies upserts and removals in one transaction and drops the cached tree of every directory
   * above a changed path. `replaceAll` first empties the index (checkout of another commit).
   */
  apply(upserts: readonly IndexEntry[], removals: readonly string[], opts: { replaceAll?: boolean; trees?: readonly CachedTree[] } = {}): void {
    const up = this.db.prepare('INSERT INTO wt_index (path, kind, id, size, mtime_ns, ctime_ns, ino) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET kind = excluded.kind, id = excluded.id, size = excluded.size, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, ino = excluded.ino');
    const del = this.db.prepare('DELETE FROM wt_index WHERE path = ?');
    const delTree = this.db.prepare('DELETE FROM wt_trees WHERE path = ?');
    const putTree = this.db.prepare('INSERT OR REPLACE INTO wt_trees (path, id, size) VALUES (?, ?, ?)');
    writeTransaction(this.db, () => {
      if (opts.replaceAll) {
        this.db.exec('DELETE FROM wt_index; DELETE FROM wt_trees;');
      }
      const dirty = new Set<string>();
      for (const e of upserts) {
        up.run(e.path, KIND_CODE[e.kind], e.id, e.size, e.mtimeNs, e.ctimeNs, e.ino);
        if (!opts.replaceAll) markAncestors(e.path, dirty);
      }
      for (const p of removals) {
        del.run(p);
        markAncestors(p, dirty);
      }
      for (const d of dirty) delTree.run(d);
      for (const t of opts.trees ?? []) putTree.run(t.path, t.id, t.size);
      this.stamp();
    });
  }

  /** Refreshes stat data only (content unchanged), without invalidating cached trees. */
  refreshStats(entries: readonly IndexEntry[]): void {
    if (entries.length === 0) return;
    const st = this.db.prepare('UPDATE wt_index SET mtime_ns = ?, ctime_ns = ?, ino = ? WHERE path = ? AND id = ?');
    writeTransaction(this.db, () => {
      for (const e of entries) st.run(e.mtimeNs, e.ctimeNs, e.ino, e.path, e.id);
      this.stamp();
    });
  }

  /**
   * When the index was last written (ms). A file whose mtime is not older than this may have been
   * changed within the same clock tick as its hashing ("racy" in git's terms): status re-hashes it.
   */
  writtenAt(): number {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'index_time'").get() as { value: string } | undefined;
    return row === undefined ? 0 : Number(row.value);
  }

  private stamp(): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('index_time', ?)").run(String(Date.now()));
  }

  cachedTrees(): Map<string, CachedTree> {
    const rows = this.db.prepare('SELECT path, id, size FROM wt_trees').all() as CachedTree[];
    return new Map(rows.map((r) => [r.path, r]));
  }

  saveTrees(trees: readonly CachedTree[]): void {
    const putTree = this.db.prepare('INSERT OR REPLACE INTO wt_trees (path, id, size) VALUES (?, ?, ?)');
    writeTransaction(this.db, () => {
      for (const t of trees) putTree.run(t.path, t.id, t.size);
    });
  }
}

function markAncestors(path: string, dirty: Set<string>): void {
  let p = path;
  for (;;) {
    const slash = p.lastIndexOf('/');
    p = slash < 0 ? '' : p.slice(0, slash);
    if (dirty.has(p)) return;
    dirty.add(p);
    if (p === '') return;
  }
}
