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

function apply(store: PackStore, tree: ObjectId | null, node: EditNode, dir: string): { id: ObjectId; size: number } | null {
  const entries = new Map<string, TreeEntry>((tree === null ? [] : readTree(store, tree)).map((e) => [e.name, e]));
  for (const [name, leaf] of node.leaves) if (leaf === null && entries.get(name)?.kind !== 'tree') entries.delete(name);
  for (const [name, sub] of node.dirs) {
    const cur = entries.get(name);
    if (cur !== undefined && cur.kind !== 'tree') throw new Error(`merge bug: '${dir}${name}' is a file where the merge needs a folder`);
    const r = apply(store, cur?.id ?? null, sub, `${dir}${name}/`);
    if (r === null) entries.delete(name);
    else entries.set(name, { name, kind: 'tree', id: r.id, size: r.size });
  }
  for (const [name, leaf] of node.leaves) {
    if (leaf === null) continue;
    if (entries.get(name)?.kind === 'tree') throw new Error(`merge bug: '${dir}${name}' is a folder where the merge puts a file`);
    entries.set(name, { name, kind: leaf.kind, id: leaf.id, size: leaf.size });
  }
  if (entries.size === 0) return null;
  const sorted = [...entries.values()].sort((a, b) => compareNames(a.name, b.name));
  return { id: writeTree(store, sorted), size: sorted.reduce((s, e) => s + e.size, 0) };
}
