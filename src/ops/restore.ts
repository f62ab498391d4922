// `restore`: put paths back as they were, with git's semantics. Worktree files come from the index
// (default) or from --source REV; --staged resets index entries from HEAD (or --source). Paths may
// be folders; tracked files missing from the source are removed, untracked files are left alone.
import { NotFoundError, UsageError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import type { Repository } from '../store/repository.js';
import { readCommit } from '../store/typed-objects.js';
import type { IndexEntry } from '../store/worktree-index.js';
import type { ProgressFn } from './progress.js';
import { headCommit, resolveRevision } from './history/rev-parse.js';
import { flattenTree, lookupPath, type Leaf } from './tree/tree-walk.js';
import { matchWorktree } from './worktree/overwrite-check.js';
import { underPath } from './worktree/scan.js';
import { WorktreeWriter } from './worktree/writer.js';
import { updateWorktree } from './worktree/worktree-update.js';
import { writeProgress } from './worktree/write-progress.js';

export interface RestoreOptions {
  /** Repository paths (files or folders; '' is everything). */
  paths: readonly string[];
  /** Revision to restore from; default: the index for the worktree, HEAD for --staged. */
  source?: string;
  staged?: boolean;
  /** Default true unless `staged` is given alone. */
  worktree?: boolean;
  onProgress?: ProgressFn;
}

export interface RestoreResult {
  /** Worktree files rewritten (content or mode differed). */
  written: string[];
  /** Worktree files deleted because the source lacks them. */
  removed: string[];
  /** Index entries changed (--staged). */
  staged: string[];
}

export function restore(repo: Repository, opts: RestoreOptions): RestoreResult {
  if (opts.paths.length === 0) throw new UsageError("restore: name the paths to restore ('.' for everything)");
  const staged = opts.staged === true;
  const worktree = opts.worktree ?? !staged;
  if (!staged && !worktree) throw new UsageError('restore: nothing to do (both --staged and --worktree are off)');
  const inScope = (p: string) => opts.paths.some((s) => underPath(p, s));
  const index = new Map<string, IndexEntry>();
  for (const e of repo.index.all()) if (e.kind !== 'tree') index.set(e.path, e);

  // The source: a commit's tree, or the index itself (worktree-only restore without --source).
  let source: Map<string, Leaf>;
  if (opts.source === undefined && !staged) {
    source = new Map(
      [...index].filter(([p]) => inScope(p)).map(([p, e]) => [p, { path: p, kind: e.kind as Leaf['kind'], id: e.id, size: e.size }]),
    );
  } else {
    const commit: ObjectId | null = opts.source !== undefined ? resolveRevision(repo, opts.source) : headCommit(repo);
    source = commit === null ? new Map() : leavesUnder(repo, readCommit(repo.objects, commit).tree, opts.paths);
  }
  for (const p of opts.paths) {
    if (p === '') continue;
    const known = [...source.keys()].some((k) => underPath(k, p)) || [...index.keys()].some((k) => underPath(k, p));
    if (!known) throw new NotFoundError(`pathspec '${p}' did not match any file known to cairn`, { path: p });
  }
  // Tracked paths (in the index) under the pathspecs that the source lacks.
  const gone = [...index.keys()].filter((p) => inScope(p) && !source.has(p)).sort();
  const result: RestoreResult = { written: [], removed: [], staged: [] };
  const fresh = new Map<string, IndexEntry>();

  if (worktree) {
    const writer = new WorktreeWriter(repo.root, repo.objects, { force: true, stats: true, repoRoot: repo.root });
    const leaves = [...source.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const found = matchWorktree({ abs: (p) => writer.abs(p), index: (p) => index.get(p), racyNs: repo.index.writtenAt() * 1e6 }, leaves);
    const todo: Leaf[] = [];
    for (const l of leaves) {
      const wt = found.same.get(l.path);
      if (wt !== undefined) fresh.set(l.path, { ...wt, kind: l.kind, id: l.id });
      else todo.push(l);
    }
    const progress = writeProgress(opts.onProgress, 'restore', todo, gone.length);
    // One all-or-nothing update (worktree-update.ts): a missing object changes nothing.
    const done = updateWorktree(
      writer,
      todo.map((leaf) => ({ leaf, present: found.occupied.has(leaf.path) })),
      gone,
      { onDone: progress.files },
    );
    result.removed.push(...done.removed);
    todo.forEach((l, i) => {
      const e = done.entries[i];
      if (e !== undefined) fresh.set(l.path, e);
      result.written.push(l.path);
    });
  }

  if (staged) {
    const upserts: IndexEntry[] = [];
    for (const l of source.values()) {
      const old = index.get(l.path);
      const same = old !== undefined && old.kind === l.kind && old.id === l.id;
      if (!same) result.staged.push(l.path);
      // Stat data only where it describes this content; 0 makes status re-hash the file.
      const stat = fresh.get(l.path) ?? (same ? old : { mtimeNs: 0, ctimeNs: 0, ino: 0 });
      if (!same || fresh.has(l.path))
        upserts.push({ path: l.path, kind: l.kind, id: l.id, size: l.size, mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs, ino: stat.ino });
    }
    result.staged.push(...gone);
    result.staged.sort();
    if (upserts.length > 0 || gone.length > 0) repo.index.apply(upserts, gone);
  } else if (fresh.size > 0) {
    // Worktree-only: the index keeps its content; record stat data where the file now matches it.
    const refresh = [...fresh.values()].filter((e) => {
      const old = index.get(e.path);
      return old !== undefined && old.id === e.id && old.kind === e.kind;
    });
    repo.index.refreshStats(refresh);
  }
  return result;
}

/** Leaves of `tree` under any of `paths` (files or folders). */
function leavesUnder(repo: Repository, tree: ObjectId, paths: readonly string[]): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  for (const p of paths) {
    const entry = p === '' ? { kind: 'tree' as const, id: tree, size: 0 } : lookupPath(repo.objects, tree, p);
    if (entry === undefined) continue;
    if (entry.kind === 'tree') for (const l of flattenTree(repo.objects, entry.id, p)) out.set(l.path, l);
    else out.set(p, { path: p, kind: entry.kind, id: entry.id, size: entry.size });
  }
  return out;
}
