// The leaves that differ between two trees, found by walking both in name order and skipping every
// subtree whose id is equal on both sides (equal ids mean equal contents, docs/FORMAT.md §2).
import type { ObjectId } from '../../core/hash.js';
import { compareNames, joinRepoPath } from '../../core/names.js';
import type { TreeEntry } from '../../core/tree-object.js';
import type { PackStore } from '../../store/object-store.js';
import { readTree } from '../../store/typed-objects.js';
import type { CachedTree } from '../../store/worktree-index.js';
import type { Leaf } from './tree-walk.js';
import { checkTreeDepth } from '../../core/tree-depth.js';

/** One path whose leaf differs between the tree checked out and the target. */
export interface TreeChange {
  path: string;
  old?: Leaf;
  new?: Leaf;
}

/** A folder being compared: both sides' entries and how far the merge of the two lists got. */
interface Frame {
  ea: TreeEntry[];
  eb: TreeEntry[];
  i: number;
  j: number;
  dir: string;
  depth: number;
  /** The leaf change at the name whose subtree is being walked, reported after that subtree. */
  after?: TreeChange;
}

/**
 * Leaves that differ between trees `a` and `b`, skipping subtrees with equal ids. With `trees`,
 * collects the id of every directory of `b` that is walked (all of them when `a` is null).
 * Iterative (an explicit stack), so depth is bounded by MAX_TREE_DEPTH, not by the call stack;
 * the order is a depth-first walk in name order, a subtree's changes before a leaf of the same name.
 */
export function treeChanges(store: PackStore, a: ObjectId | null, b: ObjectId | null, trees?: CachedTree[]): TreeChange[] {
  const out: TreeChange[] = [];
  if (a === b && trees === undefined) return out;
  const leaf = (dir: string, e: TreeEntry): Leaf => ({
    path: joinRepoPath(dir, e.name),
    kind: e.kind as Leaf['kind'],
    id: e.id,
    size: e.size,
  });
  const open = (ta: ObjectId | null, tb: ObjectId | null, dir: string, depth: number): Frame => {
    checkTreeDepth(depth, dir);
    const ea = ta === null ? [] : readTree(store, ta);
    const eb = tb === null ? [] : readTree(store, tb);
    if (tb !== null) trees?.push({ path: dir, id: tb, size: eb.reduce((s, e) => s + e.size, 0) });
    return { ea, eb, i: 0, j: 0, dir, depth };
  };
  const stack: Frame[] = [open(a, b, '', 0)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const x = f.ea[f.i];
    const y = f.eb[f.j];
    if (x === undefined && y === undefined) {
      stack.pop();
      const parent = stack[stack.length - 1];
      if (parent?.after !== undefined) {
        out.push(parent.after);
        parent.after = undefined;
      }
      continue;
    }
    const cmp = x === undefined ? 1 : y === undefined ? -1 : compareNames(x.name, y.name);
    const ex = cmp <= 0 ? x : undefined;
    const ey = cmp >= 0 ? y : undefined;
    if (cmp <= 0) f.i++;
    if (cmp >= 0) f.j++;
    const path = joinRepoPath(f.dir, (ex ?? ey)!.name);
    const xTree = ex?.kind === 'tree';
    const yTree = ey?.kind === 'tree';
    const lx = ex !== undefined && !xTree ? leaf(f.dir, ex) : undefined;
    const ly = ey !== undefined && !yTree ? leaf(f.dir, ey) : undefined;
    const same = lx === undefined ? ly === undefined : ly !== undefined && lx.id === ly.id && lx.kind === ly.kind;
    const change = same ? undefined : { path, old: lx, new: ly };
    if ((xTree || yTree) && !(xTree && yTree && ex.id === ey.id)) {
      f.after = change;
      stack.push(open(xTree ? ex.id : null, yTree ? ey!.id : null, path, f.depth + 1));
      continue;
    }
    if (change !== undefined) out.push(change);
  }
  return out;
}
