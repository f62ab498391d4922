// Merge bases: the best common ancestors of two commits (or two sets of commits). The DAG is painted
// from both sides in commit-time order, as git's paint_down_to_common does, stopping once every
// queued commit is known to lie below a common ancestor; candidates that are ancestors of another
// candidate are then dropped. More than one base means a criss-cross history: see ops/merge/virtual-base.ts.
import type { ObjectId } from '../../core/hash.js';
import type { ObjectReader } from '../../store/object-store.js';

/** Where commits are read from: a repository, or a sync receiver's store plus quarantine. */
export interface CommitSource {
  objects: ObjectReader;
}
import { readCommit } from '../../store/typed-objects.js';

const P1 = 1;
const P2 = 2;
const STALE = 4;
const RESULT = 8;

interface Node {
  id: ObjectId;
  time: number;
  parents: readonly ObjectId[];
}

/** Commit headers read once per walk: a merge-base query reads each commit at most once. */
export class CommitGraph {
  private readonly nodes = new Map<ObjectId, Node>();
  constructor(private readonly repo: CommitSource) {}

  node(id: ObjectId): Node {
    let n = this.nodes.get(id);
    if (n === undefined) {
      const c = readCommit(this.repo.objects, id);
      n = { id, time: c.time, parents: c.parents };
      this.nodes.set(id, n);
    }
    return n;
  }
}

/**
 * The best common ancestors of `ours` and `theirs`: common ancestors that are not ancestors of
 * another common ancestor. Sorted oldest first (commit time, then id), so callers are deterministic.
 */
export function mergeBases(repo: CommitSource, ours: readonly ObjectId[], theirs: readonly ObjectId[], graph = new CommitGraph(repo)): ObjectId[] {
  const candidates = paint(graph, ours, theirs);
  const best = candidates.length > 1 ? removeRedundant(graph, candidates) : candidates;
  return best.sort((a, b) => graph.node(a).time - graph.node(b).time || (a < b ? -1 : a > b ? 1 : 0));
}

/** Whether `ancestor` is reachable from `descendant` (a commit counts as its own ancestor). */
export function isAncestor(repo: CommitSource, ancestor: ObjectId, descendant: ObjectId): boolean {
  if (ancestor === descendant) return true;
  return mergeBases(repo, [ancestor], [descendant]).includes(ancestor);
}

function paint(graph: CommitGraph, ours: readonly ObjectId[], theirs: readonly ObjectId[]): ObjectId[] {
  const flags = new Map<ObjectId, number>();
  const queue = new TimeQueue(graph);
  // Queued commits not yet known to be below a common ancestor: the walk ends when none is left.
  let live = 0;
  const mark = (id: ObjectId, f: number) => {
    const before = flags.get(id) ?? 0;
    const after = before | f;
    flags.set(id, after);
    if (queue.has(id)) {
      if (!(before & STALE) && after & STALE) live--;
    } else {
      queue.push(id);
      if (!(after & STALE)) live++;
    }
  };
  for (const id of ours) mark(id, P1);
  for (const id of theirs) mark(id, P2);
  const results: ObjectId[] = [];
  while (live > 0) {
    const id = queue.pop()!;
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
 * candidate met on it lies below some other candidate. Only criss-cross histories get here.
 */
function removeRedundant(graph: CommitGraph, candidates: ObjectId[]): ObjectId[] {
  const seen = new Set<ObjectId>();
  const stack: ObjectId[] = [];
  for (const c of candidates) stack.push(...graph.node(c).parents);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...graph.node(id).parents);
  }
  return candidates.filter((c) => !seen.has(c));
}

/** Newest commit first (ties by id, for determinism); each commit at most once in the queue. */
class TimeQueue {
  private readonly heap: ObjectId[] = [];
  private readonly members = new Set<ObjectId>();
  constructor(private readonly graph: CommitGraph) {}

  has(id: ObjectId): boolean {
    return this.members.has(id);
  }

  push(id: ObjectId): void {
    this.members.add(id);
    const h = this.heap;
    h.push(id);
    let i = h.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.before(h[i]!, h[up]!)) break;
      [h[i], h[up]] = [h[up]!, h[i]!];
      i = up;
    }
  }

  pop(): ObjectId | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    this.members.delete(top);
    return top;
  }

  private before(a: ObjectId, b: ObjectId): boolean {
    const ta = this.graph.node(a).time;
    const tb = this.graph.node(b).time;
    return ta !== tb ? ta > tb : a < b;
  }
}
