// What a repository must keep: the roots of reachability (every ref, every reflog entry's old and
// new id, a detached HEAD, the worktree index and the trees it caches, a merge in progress) and the
// walk from them (object-walk.ts, fsck's own walk). count-objects reports it; gc will delete only
// what it leaves out.
import type { ObjectId, ObjectType } from '../core/hash.js';
import type { Repository } from '../store/repository.js';
import { readMergeState } from './merge/state.js';
import { walkObjects, type FsckProblem, type WalkRoot } from './object-walk.js';

export interface Reachability {
  /** Every object reached from a root, with its type and size as found (-1: reached but missing or unreadable). */
  reached: ReadonlyMap<ObjectId, { type: ObjectType; size: number }>;
  /** How many roots of each kind (an id named twice counts once per kind that names it). */
  roots: { refs: number; reflog: number; index: number; merge: number };
  /** Damage met on the way: a reachable object missing or unreadable (fsck says more). */
  problems: FsckProblem[];
}

/**
 * Every root, each id once in the first kind that names it, in the order: refs (a detached HEAD
 * included), reflog entries, the worktree index, a merge in progress. Ids that only a cache or a
 * merge's virtual base name and that were never stored (hash-only) are left out: nothing can lose
 * them. A ref or reflog id that is not stored is kept, so the walk reports it.
 */
export function reachabilityRoots(repo: Repository): { roots: WalkRoot[]; counts: Reachability['roots'] } {
  const roots: WalkRoot[] = [];
  const named = new Set<ObjectId>();
  const counts = { refs: 0, reflog: 0, index: 0, merge: 0 };
  const add = (kind: keyof typeof counts, root: WalkRoot, onlyIfStored = false) => {
    if (named.has(root.id) || (onlyIfStored && !repo.objects.has(root.id))) return;
    named.add(root.id);
    counts[kind]++;
    roots.push(root);
  };
  for (const r of repo.refs.list('')) add('refs', { id: r.id, type: 'commit', where: r.name, ref: true });
  for (const id of repo.refs.reflogIds()) add('reflog', { id, type: 'commit', where: `reflog entry ${id.slice(0, 12)}` });
  // A readable index only: a damaged one names nothing trustworthy, and `cairn reset` rebuilds it from HEAD.
  if (repo.index.isReadable()) {
    for (const e of repo.index.all())
      add('index', {
        id: e.id,
        type: e.kind === 'tree' ? 'tree' : 'file',
        where: `index ${e.kind === 'tree' ? 'tree' : 'file'} ${e.path}`,
      });
    for (const t of repo.index.cachedTrees().values())
      add('index', { id: t.id, type: 'tree', where: `index cached tree ${t.path || '/'}` }, true);
  }
  const merge = readMergeState(repo);
  if (merge !== null) {
    const commits = [merge.origHead, merge.theirs, ...merge.bases, ...(merge.commit === undefined ? [] : [merge.commit])];
    for (const id of commits) add('merge', { id, type: 'commit', where: `merge in progress: commit ${id.slice(0, 12)}` }, true);
    add('merge', { id: merge.tree, type: 'tree', where: 'merge in progress: merged' }, true);
    for (const p of merge.paths)
      for (const leaf of [p.base, p.ours, p.theirs])
        if (leaf !== null) add('merge', { id: leaf.id, type: 'file', where: `merge in progress: file ${leaf.path}` }, true);
  }
  return { roots, counts };
}

/** Walks from every root; objects are read as fsck reads them, except chunks (looked up, not read). */
export function reachability(repo: Repository, onObject?: () => void): Reachability {
  const { roots, counts } = reachabilityRoots(repo);
  const { seen, problems } = walkObjects(repo.objects, roots, { readChunks: false, ...(onObject ? { onObject } : {}) });
  return { reached: seen, roots: counts, problems };
}
