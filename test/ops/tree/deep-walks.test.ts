// Tree walks and tree builders at the depth limit (docs/FORMAT.md §7.1): every one is iterative,
// so a path MAX_TREE_DEPTH folders deep builds, edits, flattens and diffs without a stack
// overflow, and one folder more is BAD_FORMAT from every walk.
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TREE_DEPTH } from '../../../src/core/tree-depth.js';
import { storeBuffer } from '../../../src/store/file-writer.js';
import { editTree } from '../../../src/ops/tree/tree-edit.js';
import { treeChanges } from '../../../src/ops/tree/tree-changes.js';
import { buildTree, flattenTree, type Leaf } from '../../../src/ops/tree/tree-walk.js';
import { diffTrees, makeScope } from '../../../src/ops/diff/diff.js';
import type { DiffChange } from '../../../src/ops/diff/diff-types.js';
import { codeOf } from '../../helpers/errors.js';
import { tempRepo, type TempRepo } from '../../helpers/history-repo.js';

let t: TempRepo | undefined;
afterEach(() => t?.cleanup());

function leafAt(depth: number, text: string): Leaf {
  const s = storeBuffer(t!.repo.objects, Buffer.from(text));
  return { path: `${'d/'.repeat(depth)}leaf.txt`, kind: 'file', id: s.id, size: s.size };
}

describe('trees at the depth limit', () => {
  it(`builds, edits, flattens and compares a path ${MAX_TREE_DEPTH} folders deep`, () => {
    t = tempRepo();
    const store = t.repo.objects;
    const a = leafAt(MAX_TREE_DEPTH, 'one\n');
    const built = buildTree(store, [a, { ...leafAt(0, 'top\n'), path: 'top.txt' }]);
    expect(built.trees).toHaveLength(MAX_TREE_DEPTH + 1);
    expect(built.trees[built.trees.length - 1]!.path).toBe('');
    store.flush();
    expect(flattenTree(store, built.id).map((l) => l.path)).toEqual([a.path, 'top.txt']);
    const b = leafAt(MAX_TREE_DEPTH, 'two\n');
    const edited = editTree(store, built.id, new Map([[b.path, b]]));
    store.flush();
    expect(treeChanges(store, built.id, edited)).toEqual([{ path: a.path, old: a, new: b }]);
    const out: DiffChange[] = [];
    diffTrees(store, built.id, edited, '', makeScope(), out);
    expect(out.map((c) => c.path)).toEqual([a.path]);
    // Deleting the deep leaf empties every folder on its way: they all disappear.
    const pruned = editTree(store, edited, new Map([[b.path, null]]));
    store.flush();
    expect(flattenTree(store, pruned).map((l) => l.path)).toEqual(['top.txt']);
  });

  it('refuses one folder more as BAD_FORMAT in every walk', () => {
    t = tempRepo();
    const store = t.repo.objects;
    const deep = buildTree(store, [leafAt(MAX_TREE_DEPTH + 1, 'x\n')]);
    store.flush();
    expect(codeOf(() => flattenTree(store, deep.id))).toBe('BAD_FORMAT');
    expect(codeOf(() => treeChanges(store, null, deep.id))).toBe('BAD_FORMAT');
    expect(codeOf(() => diffTrees(store, null, deep.id, '', makeScope(), []))).toBe('BAD_FORMAT');
  });
});
