// The leaves that differ between two trees, found by walking both in name order and skipping every
// subtree whose id is equal on both sides (equal ids mean equal contents, docs/FORMAT.md §2).
import type { ObjectId } from '../../core/hash.js';
import { compareNames, joinRepoPath } from '../../core/names.js';
import type { TreeEntry } from '../../core/tree-object.js';
import type { PackStore } from '../../store/object-store.js';
import { readTree } from '../../store/typed-objects.js';
import type { CachedTree } from '../../store/worktree-index.js';
import type { Leaf } from './tree-walk.js';

/** One path whose leaf differs between the tree checked out and the target. */
export interface TreeChange {
  path: string;
  old?: Leaf;
  new?: Leaf;
}

/**
 * Leaves that differ between trees `a` and `b`, skipping subtrees with equal ids. With `trees`,
 * collects the id of every directory of `b` that is walked (all of them when `a` is null).
 */
export function treeChanges(store: PackStore, a: ObjectId | null, b: ObjectId | null, trees?: CachedTree[]): TreeChange[] {
  const out: TreeChange[] = [];
  const leaf = (dir: string, e: TreeEntry): Leaf => ({
    path: joinRepoPath(dir, e.name),
    kind: e.kind as Leaf['kind'],
    id: e.id,
    size: e.size,
  });
  const walk = (ta: ObjectId | null, tb: ObjectId | null, dir: string): void => {
    const ea = ta === null ? [] : readTree(store, ta);
    const eb = tb === null ? [] : readTree(store, tb);
    if (tb !== null) trees?.push({ path: dir, id: tb, size: eb.reduce((s, e) => s + e.size, 0) });
    let i = 0;
    let j = 0;
    while (i < ea.length || j < eb.length) {
      const x = ea[i];
      const y = eb[j];
      const cmp = x === undefined ? 1 : y === undefined ? -1 : compareNames(x.name, y.name);
      const ex = cmp <= 0 ? x : undefined;
      const ey = cmp >= 0 ? y : undefined;
      if (cmp <= 0) i++;
      if (cmp >= 0) j++;
      const path = joinRepoPath(dir, (ex ?? ey)!.name);
      const xTree = ex?.kind === 'tree';
      const yTree = ey?.kind === 'tree';
      if (xTree || yTree) {
        if (xTree && yTree && ex.id === ey.id) continue;
        walk(xTree ? ex.id : null, yTree ? ey.id : null, path);
      }
      const lx = ex !== undefined && !xTree ? leaf(dir, ex) : undefined;
      const ly = ey !== undefined && !yTree ? leaf(dir, ey) : undefined;
      if (lx === undefined && ly === undefined) continue;
      if (lx !== undefined && ly !== undefined && lx.id === ly.id && lx.kind === ly.kind) continue;
      out.push({ path, old: lx, new: ly });
    }
  };
  if (a !== b || trees !== undefined) walk(a, b, '');
  return out;
}
