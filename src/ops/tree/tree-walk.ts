// Flattening trees to path maps and building trees from path lists: the bridge between the
// nested object model and the flat view that status, diff, checkout and the index use.
import type { ObjectId } from '../../core/hash.js';
import type { EntryKind, TreeEntry } from '../../core/tree-object.js';
import { compareNames, joinRepoPath, splitRepoPath } from '../../core/names.js';
import type { PackStore } from '../../store/object-store.js';
import { readTree, writeTree } from '../../store/typed-objects.js';
import type { CachedTree } from '../../store/worktree-index.js';
import { checkTreeDepth } from '../../core/tree-depth.js';

/** A file-like leaf of a tree, addressed by its full repository path. */
export interface Leaf {
  path: string;
  kind: Exclude<EntryKind, 'tree'>;
  id: ObjectId;
  size: number;
}

/**
 * Every leaf under `treeId` (optionally only below `prefix`), in tree order. Reads each tree once;
 * `skip(path, id)` lets callers prune subtrees they already know (equal ids mean equal content).
 * Iterative, so depth is bounded by MAX_TREE_DEPTH (BAD_FORMAT beyond), not by the call stack.
 */
export function flattenTree(store: PackStore, treeId: ObjectId, prefix = '', skip?: (dirPath: string, id: ObjectId) => boolean): Leaf[] {
  const out: Leaf[] = [];
  if (skip !== undefined && skip(prefix, treeId)) return out;
  const base = prefix === '' ? 0 : prefix.split('/').length;
  const stack = [{ entries: readTree(store, treeId), k: 0, dir: prefix, depth: base }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const e = f.entries[f.k++];
    if (e === undefined) {
      stack.pop();
      continue;
    }
    const path = joinRepoPath(f.dir, e.name);
    if (e.kind !== 'tree') out.push({ path, kind: e.kind, id: e.id, size: e.size });
    else if (skip === undefined || !skip(path, e.id)) {
      checkTreeDepth(f.depth + 1, path);
      stack.push({ entries: readTree(store, e.id), k: 0, dir: path, depth: f.depth + 1 });
    }
  }
  return out;
}

export function flattenToMap(store: PackStore, treeId: ObjectId | null): Map<string, Leaf> {
  const m = new Map<string, Leaf>();
  if (treeId === null) return m;
  for (const leaf of flattenTree(store, treeId)) m.set(leaf.path, leaf);
  return m;
}

/** The entry at `path` inside a tree (a leaf or a subtree), or undefined. */
export function lookupPath(store: PackStore, treeId: ObjectId, path: string): TreeEntry | undefined {
  const parts = splitRepoPath(path);
  if (parts.length === 0) return { name: '', kind: 'tree', id: treeId, size: 0 };
  let current: TreeEntry | undefined;
  let id = treeId;
  for (let i = 0; i < parts.length; i++) {
    current = readTree(store, id).find((e) => e.name === parts[i]);
    if (current === undefined) return undefined;
    if (i < parts.length - 1) {
      if (current.kind !== 'tree') return undefined;
      id = current.id;
    }
  }
  return current;
}

export interface BuiltTree {
  id: ObjectId;
  size: number;
  /** Every directory's tree id, for the index's tree cache. */
  trees: CachedTree[];
}

/**
 * Writes the trees for a sorted-or-not list of leaves, children before parents (docs/FORMAT.md §15.1).
 * `cached` gives known tree ids for directories whose contents did not change: they are reused
 * without re-encoding.
 */
export function buildTree(store: PackStore, leaves: readonly Leaf[], cached?: Map<string, CachedTree>): BuiltTree {
  interface Dir {
    files: TreeEntry[];
    dirs: Map<string, Dir>;
  }
  const root: Dir = { files: [], dirs: new Map() };
  for (const leaf of leaves) {
    const parts = leaf.path.split('/');
    let d = root;
    for (let i = 0; i < parts.length - 1; i++) {
      let next = d.dirs.get(parts[i]!);
      if (next === undefined) {
        next = { files: [], dirs: new Map() };
        d.dirs.set(parts[i]!, next);
      }
      d = next;
    }
    d.files.push({ name: parts[parts.length - 1]!, kind: leaf.kind, id: leaf.id, size: leaf.size });
  }
  const trees: CachedTree[] = [];
  // Children before parents with an explicit stack (a path may be MAX_TREE_DEPTH deep): a folder
  // is encoded once every subfolder below it has its id.
  interface Job {
    d: Dir;
    path: string;
    subs: [string, Dir][];
    done: TreeEntry[];
  }
  const results: { id: ObjectId; size: number }[] = [];
  const start = (d: Dir, path: string): Job | { id: ObjectId; size: number } => {
    const hit = cached?.get(path);
    if (hit !== undefined) {
      trees.push(hit);
      return hit;
    }
    return { d, path, subs: [...d.dirs], done: [] };
  };
  const first = start(root, '');
  const stack: Job[] = 'd' in first ? [first] : [];
  if (!('d' in first)) results.push(first);
  while (stack.length > 0) {
    const job = stack[stack.length - 1]!;
    const next = job.subs[job.done.length];
    if (next !== undefined) {
      const [name, sub] = next;
      const child = start(sub, joinRepoPath(job.path, name));
      if ('d' in child) stack.push(child);
      else job.done.push({ name, kind: 'tree', id: child.id, size: child.size });
      continue;
    }
    stack.pop();
    const entries: TreeEntry[] = [...job.d.files, ...job.done];
    entries.sort((a, b) => compareNames(a.name, b.name));
    const size = entries.reduce((s, e) => s + e.size, 0);
    const id = writeTree(store, entries);
    trees.push({ path: job.path, id, size });
    const parent = stack[stack.length - 1];
    if (parent === undefined) results.push({ id, size });
    else parent.done.push({ name: parent.subs[parent.done.length]![0], kind: 'tree', id, size });
  }
  const top = results[0]!;
  return { ...top, trees };
}
