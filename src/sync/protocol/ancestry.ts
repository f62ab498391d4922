// Commit-graph walks over an ObjectSource (object-source.ts, docs/PROTOCOL.md §5): the two-sided paint of
// ops/history/ahead-behind.ts driven asynchronously, each round of the walk loading the headers of
// up to BATCH commits' parents with one batched read, so a remote store is asked once per level of
// history, not once per commit.
import type { ObjectId } from '../../core/hash.js';
import { decodeCommit } from '../../core/commit-object.js';
import type { CommitNode } from '../../ops/history/commit-graph.js';
import { paintWalk, SIDE, type AheadBehindOptions, type PaintedCommit } from '../../ops/history/ahead-behind.js';
import type { ObjectSource } from './object-source.js';

/** Commits popped per round: a level of a wide history, or the first commits below a narrow one. */
const BATCH = 256;

/** A decoded commit header, with its tree for callers that want it. */
export interface CommitHeader extends CommitNode {
  readonly tree: ObjectId;
}

/** Commit headers read from a source in batches and kept for the caller's walks. */
export class HeaderCache {
  private readonly headers = new Map<ObjectId, CommitHeader>();

  constructor(private readonly source: ObjectSource) {}

  has(id: ObjectId): boolean {
    return this.headers.has(id);
  }

  node(id: ObjectId): CommitHeader {
    const n = this.headers.get(id);
    if (n === undefined) throw new Error(`commit ${id} was read before it was loaded`);
    return n;
  }

  async load(ids: readonly ObjectId[]): Promise<void> {
    const need = ids.filter((id) => !this.headers.has(id));
    if (need.length === 0) return;
    for (const [id, { data }] of await this.source.getMany(need, 'commit')) {
      const c = decodeCommit(data, `commit ${id}`);
      this.headers.set(id, { id, time: c.time, parents: c.parents, tree: c.tree });
    }
  }
}

/** paintSides (ops/history/ahead-behind.ts) over an ObjectSource. */
export async function paintSidesFrom(
  headers: HeaderCache,
  lefts: readonly ObjectId[],
  rights: readonly ObjectId[],
  opts: AheadBehindOptions = {},
): Promise<Map<ObjectId, PaintedCommit>> {
  const walk = paintWalk(headers, lefts, rights, opts, BATCH);
  let step = walk.next();
  while (step.done !== true) {
    await headers.load(step.value);
    step = walk.next();
  }
  return step.value;
}

/**
 * Whether `ancestor` is reachable from `descendant`. Exact unless clocks disagree by more than the
 * paint's margin (a day), and then it can only answer no for a yes (ahead-behind.ts): a push that
 * is a fast-forward may be refused as one that is not, never the reverse.
 */
export async function isAncestorFrom(source: ObjectSource | HeaderCache, ancestor: ObjectId, descendant: ObjectId): Promise<boolean> {
  if (ancestor === descendant) return true;
  const headers = source instanceof HeaderCache ? source : new HeaderCache(source);
  const painted = await paintSidesFrom(headers, [ancestor], [descendant]);
  return ((painted.get(ancestor)?.flags ?? 0) & SIDE.RIGHT) !== 0;
}
