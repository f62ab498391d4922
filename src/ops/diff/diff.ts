// `diff`: which paths differ between two snapshots (commits, the index, the worktree), with git's
// choice of sides: ids, kinds and sizes per path, and on request the structure of changed data files.
import { UsageError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import { checkTreeDepth } from '../../core/tree-depth.js';
import type { TreeEntry } from '../../core/tree-object.js';
import { compareNames, joinRepoPath, splitRepoPath } from '../../core/names.js';
import type { PackStore } from '../../store/object-store.js';
import type { Repository } from '../../store/repository.js';
import { readCommit, readTree } from '../../store/typed-objects.js';
import { headCommit, resolveRevision } from '../history/rev-parse.js';
import { stagedChanges, worktreeChanges, type Change, type ChangeKind } from '../status/status.js';
import { flattenTree } from '../tree/tree-walk.js';
import { underPath } from '../worktree/scan.js';
import { fileStructure } from './structural-diff.js';
import type { DiffChange, DiffEndpoint, FileState, StructuralOptions } from './diff-types.js';
import { loadAttributes } from '../merge/attributes.js';

export interface DiffOptions {
  /** Revision of the old side. Alone: that commit vs the worktree (vs the index with `cached`). */
  from?: string;
  /** Revision of the new side; needs `from`. */
  to?: string;
  /** Compare a commit (`from`, default HEAD) with the index instead of the worktree. */
  cached?: boolean;
  /** Repository paths (files or directories, '' = everything) to limit the comparison to. */
  paths?: readonly string[];
  /** Also compare modified .json/.jsonl/.csv files key by key and record by record (reads both versions). */
  structural?: boolean | StructuralOptions;
}

export interface DiffSummary {
  files: number;
  added: number;
  modified: number;
  deleted: number;
  typechange: number;
  /** Growth of files that got bigger (added files count whole), in bytes. */
  bytesAdded: number;
  /** Shrinkage of files that got smaller (deleted files count whole), in bytes. */
  bytesRemoved: number;
}

export interface DiffResult {
  from: DiffEndpoint;
  to: DiffEndpoint;
  /** Sorted by path (UTF-8 byte order). */
  changes: DiffChange[];
  summary: DiffSummary;
}

export function diff(repo: Repository, opts: DiffOptions = {}): DiffResult {
  const paths = normalizePaths(opts.paths);
  if (opts.to !== undefined && opts.from === undefined) throw new UsageError('diff: a second revision needs a first one');
  if (opts.to !== undefined && opts.cached)
    throw new UsageError('diff --cached compares one revision with the index; give at most one revision');
  let from: DiffEndpoint;
  let to: DiffEndpoint;
  let changes: DiffChange[];
  if (opts.from !== undefined && opts.to !== undefined) {
    const a = resolveRevision(repo, opts.from);
    const b = resolveRevision(repo, opts.to);
    from = { type: 'commit', id: a };
    to = { type: 'commit', id: b };
    changes = diffCommits(repo.objects, a, b, paths);
  } else if (opts.cached) {
    const a = opts.from === undefined ? headCommit(repo) : resolveRevision(repo, opts.from);
    from = { type: 'commit', id: a };
    to = { type: 'index' };
    changes = stagedChanges(repo, a, repo.index.all(), paths).map(fromStatusChange);
  } else if (opts.from !== undefined) {
    const a = resolveRevision(repo, opts.from);
    from = { type: 'commit', id: a };
    to = { type: 'worktree' };
    changes = compareMaps(commitLeaves(repo.objects, a, paths), worktreeState(repo, paths), paths);
  } else {
    from = { type: 'index' };
    to = { type: 'worktree' };
    changes = worktreeChanges(repo, repo.index.all(), { paths, untracked: false }).changes.map(fromStatusChange);
  }
  changes.sort((x, y) => compareNames(x.path, y.path));
  if (opts.structural) {
    const sopts = opts.structural === true ? {} : opts.structural;
    // The worktree's .cairnattributes, as the next merge would read it.
    const attrs = loadAttributes(repo, null);
    for (const c of changes) {
      const s = fileStructure(repo, from, to, c, sopts, attrs);
      if (s !== null) c.structural = s;
    }
  }
  return { from, to, changes, summary: summarize(changes) };
}

/**
 * Commit against commit: walks both trees together and never opens a subtree whose id is the same
 * on both sides (equal ids mean equal content), so the cost follows the size of the change.
 */
export function diffCommits(store: PackStore, a: ObjectId | null, b: ObjectId | null, paths?: readonly string[]): DiffChange[] {
  const scope = makeScope(paths);
  const out: DiffChange[] = [];
  const treeOf = (c: ObjectId | null) => (c === null ? null : readCommit(store, c).tree);
  diffTrees(store, treeOf(a), treeOf(b), '', scope, out);
  return out.sort((x, y) => compareNames(x.path, y.path));
}

export function diffTrees(store: PackStore, a: ObjectId | null, b: ObjectId | null, dir: string, scope: Scope, out: DiffChange[]): void {
  // Iterative: a hostile tree may be deep (MAX_TREE_DEPTH bounds it, BAD_FORMAT beyond).
  const stack: { a: ObjectId | null; b: ObjectId | null; dir: string; depth: number }[] = [
    { a, b, dir, depth: dir === '' ? 0 : dir.split('/').length },
  ];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t.a === t.b) continue;
    checkTreeDepth(t.depth, t.dir);
    const ea = t.a === null ? [] : readTree(store, t.a);
    const eb = t.b === null ? [] : readTree(store, t.b);
    let i = 0;
    let j = 0;
    while (i < ea.length || j < eb.length) {
      const c = i >= ea.length ? 1 : j >= eb.length ? -1 : compareNames(ea[i]!.name, eb[j]!.name);
      const x = c <= 0 ? ea[i++] : undefined;
      const y = c >= 0 ? eb[j++] : undefined;
      const path = joinRepoPath(t.dir, (x ?? y)!.name);
      const xTree = x?.kind === 'tree';
      const yTree = y?.kind === 'tree';
      if (!xTree && !yTree) {
        if (scope.includes(path)) pushChange(out, path, leafState(x), leafState(y));
        continue;
      }
      // A file replaced by a directory (or back) is a deletion plus additions, as in git.
      if (!xTree && scope.includes(path)) pushChange(out, path, leafState(x), null);
      if (!yTree && scope.includes(path)) pushChange(out, path, null, leafState(y));
      if (scope.enters(path)) stack.push({ a: xTree ? x.id : null, b: yTree ? y.id : null, dir: path, depth: t.depth + 1 });
    }
  }
}

/** Which paths a comparison covers: everything, or what lies at or below any of the given paths. */
export interface Scope {
  includes(path: string): boolean;
  /** Whether anything below directory `dir` may be included. */
  enters(dir: string): boolean;
}

export function makeScope(paths?: readonly string[]): Scope {
  if (paths === undefined || paths.includes('')) return { includes: () => true, enters: () => true };
  return {
    includes: (p) => paths.some((s) => underPath(p, s)),
    enters: (d) => paths.some((s) => underPath(d, s) || underPath(s, d)),
  };
}

function commitLeaves(store: PackStore, commit: ObjectId, paths?: readonly string[]): Map<string, FileState> {
  const scope = makeScope(paths);
  const tree = readCommit(store, commit).tree;
  const m = new Map<string, FileState>();
  for (const l of flattenTree(store, tree, '', (dir) => dir !== '' && !scope.enters(dir))) {
    if (scope.includes(l.path)) m.set(l.path, { id: l.id, kind: l.kind, size: l.size });
  }
  return m;
}

/**
 * The tracked files as they are on disk: the index with its unstaged changes applied. Untracked
 * files are not part of it, so `diff REV` shows what `commit -a` would record, as in git.
 */
function worktreeState(repo: Repository, paths?: readonly string[]): Map<string, FileState> {
  const scope = makeScope(paths);
  const entries = repo.index.all();
  const m = new Map<string, FileState>();
  for (const e of entries) {
    if (e.kind !== 'tree' && scope.includes(e.path)) m.set(e.path, { id: e.id, kind: e.kind, size: e.size });
  }
  for (const c of worktreeChanges(repo, entries, { paths, untracked: false }).changes) {
    if (c.change === 'deleted') m.delete(c.path);
    else if (c.newId !== undefined && c.newKind !== undefined) m.set(c.path, { id: c.newId, kind: c.newKind, size: c.newSize ?? 0 });
  }
  return m;
}

function compareMaps(old: Map<string, FileState>, cur: Map<string, FileState>, paths?: readonly string[]): DiffChange[] {
  const scope = makeScope(paths);
  const out: DiffChange[] = [];
  for (const [path, o] of old) {
    if (scope.includes(path)) pushChange(out, path, o, cur.get(path) ?? null);
  }
  for (const [path, n] of cur) {
    if (!old.has(path) && scope.includes(path)) pushChange(out, path, null, n);
  }
  return out;
}

function pushChange(out: DiffChange[], path: string, o: FileState | null, n: FileState | null): void {
  if (o === null && n === null) return;
  if (o !== null && n !== null && o.id === n.id && o.kind === n.kind) return;
  out.push({ path, change: classify(o, n), old: o, new: n });
}

function classify(o: FileState | null, n: FileState | null): ChangeKind {
  if (o === null) return 'added';
  if (n === null) return 'deleted';
  // An exec-bit flip is a modification (as git shows a mode change); file <-> symlink is not.
  return (o.kind === 'symlink') !== (n.kind === 'symlink') ? 'typechange' : 'modified';
}

function leafState(e: TreeEntry | undefined): FileState | null {
  if (e === undefined || e.kind === 'tree') return null;
  return { id: e.id, kind: e.kind, size: e.size };
}

function fromStatusChange(c: Change): DiffChange {
  const o = c.oldId !== undefined && c.oldKind !== undefined ? { id: c.oldId, kind: c.oldKind, size: c.oldSize ?? 0 } : null;
  const n = c.newId !== undefined && c.newKind !== undefined ? { id: c.newId, kind: c.newKind, size: c.newSize ?? 0 } : null;
  // Re-derived rather than trusted: a stat-only kind change must read as an exec-bit modification.
  return { path: c.path, change: classify(o, n), old: o, new: n };
}

function normalizePaths(paths: readonly string[] | undefined): string[] | undefined {
  if (paths === undefined || paths.length === 0) return undefined;
  return paths.map((p) => {
    const clean = p.replace(/\/+$/, '');
    splitRepoPath(clean);
    return clean;
  });
}

export function summarize(changes: readonly DiffChange[]): DiffSummary {
  const s: DiffSummary = { files: changes.length, added: 0, modified: 0, deleted: 0, typechange: 0, bytesAdded: 0, bytesRemoved: 0 };
  for (const c of changes) {
    s[c.change]++;
    const delta = (c.new?.size ?? 0) - (c.old?.size ?? 0);
    if (delta > 0) s.bytesAdded += delta;
    else s.bytesRemoved -= delta;
  }
  return s;
}
