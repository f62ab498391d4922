// Rewrites a tree by path edits (set a leaf, or delete one), re-encoding only the folders on the
// edited paths: a merge that changes three files in a 100k-file tree writes a handful of trees.
import type { ObjectId } from '../../core/hash.js';
import { compareNames, splitRepoPath } from '../../core/names.js';
import type { TreeEntry } from '../../core/tree-object.js';
import type { PackStore } from '../../store/object-store.js';
import { readTree, writeTree } from '../../store/typed-objects.js';
import type { Leaf } from './tree-walk.js';

interface EditNode {
  leaves: Map<string, Leaf | null>;
  dirs: Map<string, EditNode>;
}

/**
 * `tree` with every edit applied (null deletes the leaf; folders left empty disappear). A leaf set
 * where a folder stays, or a folder needed where a leaf stays, is a caller bug: the merge settles
 * directory/file collisions before it edits.
 */
export function editTree(store: PackStore, tree: ObjectId | null, edits: ReadonlyMap<string, Leaf | null>): ObjectId {
  const root: EditNode = { leaves: new Map(), dirs: new Map() };
  for (const [path, leaf] of edits) {
    const parts = splitRepoPath(path);
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.dirs.get(part);
      if (next === undefined) {
        next = { leaves: new Map(), dirs: new Map() };
        node.dirs.set(part, next);
      }
      node = next;
    }
    node.leaves.set(parts[parts.length - 1]!, leaf);
  }
  return apply(store, tree, root, '')?.id ?? writeTree(store, []);
}

interface ApplyJob {
  node: EditNode;
  dir: string;
  entries: Map<string, TreeEntry>;
  subs: [string, EditNode][];
  next: number;
}

/**
 * Applies `node`'s edits to `tree` (null: an empty folder), children before parents with an
 * explicit stack (edited paths may be MAX_TREE_DEPTH deep). Null when the folder ends up empty.
 */
function apply(store: PackStore, tree: ObjectId | null, root: EditNode, rootDir: string): { id: ObjectId; size: number } | null {
  const open = (t: ObjectId | null, node: EditNode, dir: string): ApplyJob => {
    const entries = new Map<string, TreeEntry>((t === null ? [] : readTree(store, t)).map((e) => [e.name, e]));
    for (const [name, leaf] of node.leaves) if (leaf === null && entries.get(name)?.kind !== 'tree') entries.delete(name);
    return { node, dir, entries, subs: [...node.dirs], next: 0 };
  };
  const stack: ApplyJob[] = [open(tree, root, rootDir)];
  let result: { id: ObjectId; size: number } | null = null;
  while (stack.length > 0) {
    const job = stack[stack.length - 1]!;
    const sub = job.subs[job.next];
    if (sub !== undefined) {
      const [name, child] = sub;
      const cur = job.entries.get(name);
      if (cur !== undefined && cur.kind !== 'tree')
        throw new Error(`merge bug: '${job.dir}${name}' is a file where the merge needs a folder`);
      stack.push(open(cur?.id ?? null, child, `${job.dir}${name}/`));
      continue;
    }
    stack.pop();
    const { entries, dir } = job;
    for (const [name, leaf] of job.node.leaves) {
      if (leaf === null) continue;
      if (entries.get(name)?.kind === 'tree') throw new Error(`merge bug: '${dir}${name}' is a folder where the merge puts a file`);
      entries.set(name, { name, kind: leaf.kind, id: leaf.id, size: leaf.size });
    }
    let r: { id: ObjectId; size: number } | null = null;
    if (entries.size > 0) {
      const sorted = [...entries.values()].sort((a, b) => compareNames(a.name, b.name));
      r = { id: writeTree(store, sorted), size: sorted.reduce((s, e) => s + e.size, 0) };
    }
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      result = r;
      continue;
    }
    const name = parent.subs[parent.next++]![0];
    if (r === null) parent.entries.delete(name);
    else parent.entries.set(name, { name, kind: 'tree', id: r.id, size: r.size });
  }
  return result;
}
