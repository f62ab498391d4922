// Ahead/behind: how many commits are reachable from `a` but not `b`, and from `b` but not `a`
// (`git rev-list --left-right --count a...b`). Both sides are painted in commit-time order, as in
// merge-base.ts; the walk stops once every queued commit is common to both sides AND is older than
// every commit counted so far, so a long shared history below the fork is never read.
//
// Exactness: a commit is counted on one side only if no common commit still queued can reach it.
// When parents are never newer than their children, a queued commit older than every counted one
// cannot reach any of them, so the counts are exact — criss-cross merges included. Clocks disagree
// between machines, though, and a skewed commit below the frontier is invisible until walked. An
// ancestor is at most (largest clock difference between the machines that made them) newer than
// its descendant — real time only moves forward along an edge — so the walk goes on until the
// queued commits are older than every counted one by `skewMarginMs` (default one day: it also
// covers a machine that stamps local time as UTC) or by the largest skew seen, if larger. Without
// generation numbers (git's commit-graph) this margin is the price of exact answers; it costs one
// day of shared history at most, whatever the history's length. The walk does not use the
// generations of commit-graph.ts: learning them on a repository whose cache is cold reads the
// whole history, and the sync sender (paintSides with no margin) must stay as cheap as it is.
import type { ObjectId } from '../../core/hash.js';
import type { ObjectReader } from '../../store/object-store.js';
import { CommitGraph, type CommitNode } from './commit-graph.js';
import { PriorityQueue } from './priority-queue.js';

const LEFT = 1;
const RIGHT = 2;
const BOTH = LEFT | RIGHT;
/** Known to be reachable from both sides: everything below it is common too. */
const STALE = 4;

export interface AheadBehind {
  /** Commits reachable from a, not from b. */
  ahead: number;
  /** Commits reachable from b, not from a. */
  behind: number;
}

interface Node {
  readonly time: number;
  readonly parents: readonly ObjectId[];
  flags: number;
  queued: boolean;
}

export interface AheadBehindOptions {
  /** How much older than every counted commit the common frontier must be to stop (ms). */
  skewMarginMs?: number;
}

export const DEFAULT_SKEW_MARGIN_MS = 24 * 3600 * 1000;

export function aheadBehind(objects: ObjectReader, a: ObjectId, b: ObjectId, opts: AheadBehindOptions = {}): AheadBehind {
  if (a === b) return { ahead: 0, behind: 0 };
  let ahead = 0;
  let behind = 0;
  for (const n of paintSides(objects, [a], [b], opts).values()) {
    const side = n.flags & BOTH;
    if (side === LEFT) ahead++;
    else if (side === RIGHT) behind++;
  }
  return { ahead, behind };
}

export interface PaintedCommit {
  /** LEFT (1), RIGHT (2) or both (3), possibly with STALE (4). */
  flags: number;
  parents: readonly ObjectId[];
}

export const SIDE = { LEFT, RIGHT, BOTH } as const;

/**
 * Paints commits reachable from `lefts` and from `rights` (the walk ahead/behind counts with).
 * Every commit reachable from a left tip and not from a right one is in the map flagged LEFT only;
 * with clocks skewed beyond the margin a few common commits may also look LEFT-only, never the
 * reverse. So the LEFT-only set is complete (what a sync sender must list), and exact without skew.
 */
export function paintSides(
  objects: ObjectReader,
  lefts: readonly ObjectId[],
  rights: readonly ObjectId[],
  opts: AheadBehindOptions = {},
): Map<ObjectId, PaintedCommit> {
  const graph = new CommitGraph({ objects });
  const walk = paintWalk({ has: () => true, node: (id) => graph.node(id) }, lefts, rights, opts, 1);
  // Headers are read lazily from the store: the walk never has to wait for any.
  const step = walk.next();
  if (step.done !== true) throw new Error('paintWalk asked for headers of a lazy graph');
  return step.value;
}

/** Commit headers as a paint walk reads them: `has` says whether `node` can answer now. */
export interface CommitHeaders {
  has(id: ObjectId): boolean;
  node(id: ObjectId): CommitNode;
}

/**
 * The paint walk itself, for any source of commit headers. It pops up to `batch` commits at a time
 * and, before it looks at their parents, yields the ids whose headers `headers.has` lacks; the
 * driver loads them (one batched read for a whole level of a remote store) and resumes it.
 * Popping a batch instead of one commit changes only how much is read past the stopping point,
 * never which commits end up LEFT-only: the walk stops only when no unpainted-by-both commit is
 * queued, whatever the order it took them in.
 */
export function* paintWalk(
  headers: CommitHeaders,
  lefts: readonly ObjectId[],
  rights: readonly ObjectId[],
  opts: AheadBehindOptions = {},
  batch = 1,
): Generator<ObjectId[], Map<ObjectId, PaintedCommit>, void> {
  const newerFirst = (a: ObjectId, b: ObjectId): boolean => {
    const ta = node(a).time;
    const tb = node(b).time;
    return ta !== tb ? ta > tb : a < b;
  };
  // The walk's paint, beside the shared headers; also what the caller gets back.
  const nodes = new Map<ObjectId, Node>();
  function node(id: ObjectId): Node {
    let n = nodes.get(id);
    if (n === undefined) {
      const c = headers.node(id);
      n = { time: c.time, parents: c.parents, flags: 0, queued: false };
      nodes.set(id, n);
    }
    return n;
  }
  const queue = new PriorityQueue<ObjectId>(newerFirst);
  // Commits seen on one side only so far, oldest first; entries that became common are skipped lazily.
  const oneSided = new PriorityQueue<ObjectId>((x, y) => newerFirst(y, x));
  let live = 0; // queued commits that are not STALE
  let skew = opts.skewMarginMs ?? DEFAULT_SKEW_MARGIN_MS;

  const mark = (id: ObjectId, f: number) => {
    const n = node(id);
    const before = n.flags;
    n.flags |= f;
    if ((before & BOTH) === 0 && (n.flags & BOTH) !== BOTH) oneSided.push(id);
    if (n.queued) {
      if (!(before & STALE) && n.flags & STALE) live--;
    } else {
      n.queued = true;
      queue.push(id);
      if (!(n.flags & STALE)) live++;
    }
  };
  const tips = [...lefts, ...rights].filter((id) => !headers.has(id));
  if (tips.length > 0) yield [...new Set(tips)];
  for (const id of lefts) mark(id, LEFT);
  for (const id of rights) mark(id, RIGHT);

  const popped: ObjectId[] = [];
  while (queue.size > 0) {
    popped.length = 0;
    while (queue.size > 0 && popped.length < batch) {
      if (live === 0 && !mayReachOneSided(queue.peek()!)) break;
      const id = queue.pop()!;
      const n = node(id);
      n.queued = false;
      if (!(n.flags & STALE)) live--;
      popped.push(id);
    }
    if (popped.length === 0) break;
    const need = new Set<ObjectId>();
    for (const id of popped) for (const p of node(id).parents) if (!nodes.has(p) && !headers.has(p)) need.add(p);
    if (need.size > 0) yield [...need];
    for (const id of popped) {
      const n = node(id);
      if ((n.flags & BOTH) === BOTH) n.flags |= STALE;
      const f = n.flags;
      for (const p of n.parents) {
        const pn = node(p);
        if (pn.time > n.time) skew = Math.max(skew, pn.time - n.time);
        if ((pn.flags & f) !== f) mark(p, f);
      }
    }
  }

  return nodes;

  /** Whether the newest queued (all common) commit could still be an ancestor of a one-sided one. */
  function mayReachOneSided(newestQueued: ObjectId): boolean {
    while (oneSided.size > 0 && (node(oneSided.peek()!).flags & BOTH) === BOTH) oneSided.pop();
    if (oneSided.size === 0) return false;
    return node(newestQueued).time + skew >= node(oneSided.peek()!).time;
  }
}
