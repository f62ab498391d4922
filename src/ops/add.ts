// `add`: store the current content of worktree paths and record it in the index. Unchanged files
// (stat data equal to the index) are skipped without being read; tracked files that vanished
// under a given path are staged as deletions, as `git add` does.
import { CairnError } from '../errors.js';
import { storePath, storeSymlink } from '../store/file-writer.js';
import type { Repository } from '../store/repository.js';
import type { IndexEntry } from '../store/worktree-index.js';
import { statMatches } from './status.js';
import { scanWorktree, underPath, type WorktreeFile } from './worktree-scan.js';
import type { ProgressFn } from './progress.js';

export interface AddOptions {
  /** Repository paths (files or directories); '' is the whole worktree. */
  paths: readonly string[];
  /** Only update files already tracked (`commit -a` in git's sense is not this; see commit). */
  trackedOnly?: boolean;
  onProgress?: ProgressFn;
}

export interface AddResult {
  added: string[];
  modified: string[];
  removed: string[];
  unchanged: number;
  bytes: number;
  unstorable: { path: string; reason: string }[];
}

export function add(repo: Repository, opts: AddOptions): AddResult {
  const entries = new Map<string, IndexEntry>();
  for (const e of repo.index.all()) entries.set(e.path, e);
  const scan = scanWorktree(repo, { paths: opts.paths, tracked: new Set(entries.keys()) });
  const matched = new Set(scan.files.map((f) => f.path));
  for (const p of opts.paths) {
    if (p === '' || matched.has(p)) continue;
    const tracked = [...entries.keys()].some((k) => underPath(k, p));
    if (!tracked && !scan.files.some((f) => underPath(f.path, p))) {
      throw new CairnError('NOT_FOUND', `pathspec '${p}' did not match any files`, { path: p });
    }
  }
  const todo: WorktreeFile[] = [];
  let unchanged = 0;
  const racyFrom = repo.index.writtenAt() * 1e6;
  for (const f of scan.files) {
    const e = entries.get(f.path);
    if (e === undefined && opts.trackedOnly) continue;
    if (e !== undefined && e.kind === f.kind && statMatches(e, f) && e.mtimeNs < racyFrom) unchanged++;
    else todo.push(f);
  }
  const totalBytes = todo.reduce((s, f) => s + f.size, 0);
  const result: AddResult = { added: [], modified: [], removed: [], unchanged, bytes: 0, unstorable: scan.unstorable };
  const upserts: IndexEntry[] = [];
  const refresh: IndexEntry[] = [];
  let done = 0;
  for (const f of todo) {
    const abs = `${repo.root}/${f.path}`;
    let stored: { id: string; size: number; stable: boolean };
    try {
      stored = f.kind === 'symlink' ? { ...storeSymlink(repo.objects, abs), stable: true } : storePath(repo.objects, abs, (n) => {
        result.bytes += n;
        if (n > 1 << 20) opts.onProgress?.({ phase: 'adding', done: result.bytes, total: totalBytes, unit: 'bytes' });
      }, f.size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const old = entries.get(f.path);
    if (old !== undefined && old.id === stored.id && old.kind === f.kind) {
      unchanged++;
      if (stored.stable) refresh.push({ ...old, mtimeNs: f.mtimeNs, ctimeNs: f.ctimeNs, ino: f.ino });
      continue;
    }
    (old === undefined ? result.added : result.modified).push(f.path);
    // A file that changed while being read keeps zeroed stat data, so the next status re-reads it.
    upserts.push({ path: f.path, kind: f.kind, id: stored.id, size: stored.size, mtimeNs: stored.stable ? f.mtimeNs : 0, ctimeNs: f.ctimeNs, ino: f.ino });
    if (++done % 1000 === 0) opts.onProgress?.({ phase: 'adding', done, total: todo.length, unit: 'files' });
  }
  const removals: string[] = [];
  for (const path of entries.keys()) {
    if (!matched.has(path) && opts.paths.some((p) => underPath(path, p))) removals.push(path);
  }
  result.removed = removals;
  // Objects first, then the index that names them (invariant 1).
  repo.objects.flush();
  if (upserts.length > 0 || removals.length > 0) repo.index.apply(upserts, removals);
  repo.index.refreshStats(refresh);
  return result;
}
