// Merge bases: the best common ancestors of two commits (or two sets of commits). The DAG is painted
// from both sides in commit-time order, as git's paint_down_to_common does, stopping once every
// queued commit is known to lie below a common ancestor; candidates that are ancestors of another
// candidate are then dropped. More than one base means a criss-cross history: see ops/merge/virtual-base.ts.
import type { ObjectId } from '../../core/hash.js';
import { CommitGraph, type CommitSource } from './commit-graph.js';
import { PriorityQueue } from './priority-queue.js';

const P1 = 1;
const P2 = 2;
const STALE = 4;
const RESULT = 8;

/**
 * The best common ancestors of `ours` and `theirs`: common ancestors that are not ancestors of
 * another common ancestor. Sorted oldest first (commit time, then id), so callers are deterministic.
 */
export function mergeBases(
  repo: CommitSource,
  ours: readonly ObjectId[],
  theirs: readonly ObjectId[],
  graph = new CommitGraph(repo),
): ObjectId[] {
  const candidates = paint(graph, ours, theirs);
  const best = candidates.length > 1 ? removeRedundant(graph, candidates) : candidates;
  return best.sort((a, b) => graph.node(a).time - graph.node(b).time || (a < b ? -1 : a > b ? 1 : 0));
}

function paint(graph: CommitGraph, ours: readonly ObjectId[], theirs: readonly ObjectId[]): ObjectId[] {
  const flags = new Map<ObjectId, number>();
  const queue = new PriorityQueue<ObjectId>(graph.newerFirst);
  const queued = new Set<ObjectId>();
  // Queued commits not yet known to be below a common ancestor: the walk ends when none is left.
  let live = 0;
  const mark = (id: ObjectId, f: number) => {
    const before = flags.get(id) ?? 0;
    const after = before | f;
    flags.set(id, after);
    if (queued.has(id)) {
      if (!(before & STALE) && after & STALE) live--;
    } else {
      queued.add(id);
      queue.push(id);
      if (!(after & STALE)) live++;
    }
  };
  for (const id of ours) mark(id, P1);
  for (const id of theirs) mark(id, P2);
  const results: ObjectId[] = [];
  while (live > 0) {
    const id = queue.pop()!;
    queued.delete(id);
    let f = flags.get(id)!;
    if (!(f & STALE)) live--;
    f &= P1 | P2 | STALE;
    if ((f & (P1 | P2)) === (P1 | P2)) {
      if (!(flags.get(id)! & RESULT)) {
        flags.set(id, flags.get(id)! | RESULT);
        results.push(id);
      }
      f |= STALE;
    }
    for (const p of graph.node(id).parents) {
      if (((flags.get(p) ?? 0) & f) === f) continue;
      mark(p, f);
    }
  }
  // A candidate found before a younger common ancestor (clock skew) was painted stale later.
  return results.filter((id) => !(flags.get(id)! & STALE));
}

/**
 * Drops candidates reachable from another candidate. One walk from all candidates' parents: a
 * candidate met on it lies below some other candidate. Only criss-cross histories get here. The
 * walk stops at the lowest candidate's generation: a commit there or below reaches no candidate.
 */
function removeRedundant(graph: CommitGraph, candidates: ObjectId[]): ObjectId[] {
  let floor = Infinity;
  for (const c of candidates) floor = Math.min(floor, graph.checkedGeneration(c));
  const seen = new Set<ObjectId>();
  const stack: ObjectId[] = [];
  for (const c of candidates) stack.push(...graph.node(c).parents);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    if (graph.checkedGeneration(id) > floor) stack.push(...graph.node(id).parents);
  }
  return candidates.filter((c) => !seen.has(c));
}
