// The base tree of a merge. One best common ancestor: its tree. Several (a criss-cross history):
// a VIRTUAL base, built as git's "recursive"/"ort" strategies do — the bases, oldest first, are
// merged with each other, each pairwise merge using the merge of their own bases, recursively.
// Where merging the bases conflicts, the virtual base keeps the older common version of that path
// (the inner base's; absent if it had none) rather than either base's: both tips then differ from
// it there, so the real merge reports a conflict instead of silently preferring one base.
// No base at all (unrelated histories): null, the empty tree.
import { RejectedError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import type { Repository } from '../../store/repository.js';
import { readCommit } from '../../store/typed-objects.js';
import type { Attributes } from './attributes.js';
import { CommitGraph } from '../history/commit-graph.js';
import { mergeBases } from '../history/merge-base.js';
import { mergeTrees } from './merge-tree.js';

export interface BaseTree {
  /** The tree to merge against; null: no common ancestor. */
  tree: ObjectId | null;
  /** The best common ancestors, oldest first. */
  bases: ObjectId[];
  /** True when `tree` was built by merging several bases. */
  virtual: boolean;
}

// Each level works on strict ancestors of the level above, so recursion ends; the cap only turns
// a pathological history into a clear error instead of a very long computation.
const MAX_DEPTH = 64;

export function mergeBaseTree(repo: Repository, ours: ObjectId, theirs: ObjectId, attributes?: Attributes): BaseTree {
  const graph = new CommitGraph(repo);
  const bases = mergeBases(repo, [ours], [theirs], graph);
  return { tree: baseTreeOf(repo, bases, attributes, graph), bases, virtual: bases.length > 1 };
}

/** The base tree for already computed merge bases (see the file comment). */
export function baseTreeOf(
  repo: Repository,
  bases: readonly ObjectId[],
  attributes?: Attributes,
  graph = new CommitGraph(repo),
): ObjectId | null {
  return virtualTree(repo, bases, graph, attributes, 0);
}

function virtualTree(
  repo: Repository,
  bases: readonly ObjectId[],
  graph: CommitGraph,
  attributes: Attributes | undefined,
  depth: number,
): ObjectId | null {
  if (bases.length === 0) return null;
  const treeOf = (id: ObjectId) => readCommit(repo.objects, id).tree;
  if (bases.length === 1) return treeOf(bases[0]!);
  if (depth >= MAX_DEPTH) {
    throw new RejectedError(
      `the history is criss-crossed more than ${MAX_DEPTH} levels deep; merge with fewer crossings (merge the bases first)`,
      { bases: [...bases] },
    );
  }
  let tree = treeOf(bases[0]!);
  const merged = [bases[0]!];
  for (const next of bases.slice(1)) {
    const inner = mergeBases(repo, merged, [next], graph);
    const innerTree = virtualTree(repo, inner, graph, attributes, depth + 1);
    tree = mergeTrees(repo, {
      base: innerTree,
      ours: tree,
      theirs: treeOf(next),
      virtual: true,
      attributes,
      labels: { ours: 'base', theirs: 'base' },
    }).tree;
    merged.push(next);
  }
  return tree;
}
