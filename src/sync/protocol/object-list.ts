// The sender's half of negotiation (docs/PROTOCOL.md §5): every object reachable from the wanted commits that the
// receiver may lack, found in one walk. Commits the receiver's tips already reach are skipped, and
// subtrees are compared path by path against the trees of the receiver's nearest commits: an equal
// id means an equal closure, so an unchanged subtree costs one comparison, not a walk. The list
// may still name objects the receiver holds (a file moved elsewhere, a chunk shared by another
// file): the receiver's lack check removes those, so the list only has to be complete, not exact.
import type { ObjectId } from '../../core/hash.js';
import type { TreeEntry } from '../../core/tree-object.js';
import type { PackStore } from '../../store/object-store.js';
import { INLINE_MAX } from '../../store/file-limits.js';
import { readCommit, readFileObject, readTree } from '../../store/typed-objects.js';
import { paintSides, SIDE } from '../../ops/history/ahead-behind.js';

/** At most this many of the receiver's commits serve as trees to compare against. */
const MAX_BOUNDARY = 16;

export interface ObjectList {
  ids: ObjectId[];
  commits: number;
}

export function listObjects(store: PackStore, wants: readonly ObjectId[], haves: readonly ObjectId[]): ObjectList {
  const known = haves.filter((id) => store.info(id)?.type === 'commit');
  // Painted from both sides in time order: the walk stops below the fork instead of reading the
  // receiver's whole history. LEFT-only commits are new (complete, see paintSides); their parents
  // that the receiver reaches are the boundary.
  const painted = paintSides(store, wants, known, { skewMarginMs: 0 });
  const out: ObjectId[] = [];
  const seen = new Set<ObjectId>();
  const newCommits: ObjectId[] = [];
  const boundary = new Set<ObjectId>();
  for (const [id, n] of painted) {
    if ((n.flags & SIDE.BOTH) !== SIDE.LEFT) continue;
    newCommits.push(id);
    for (const p of n.parents) if (((painted.get(p)?.flags ?? 0) & SIDE.RIGHT) !== 0) boundary.add(p);
  }
  for (const id of newCommits) {
    seen.add(id);
    out.push(id);
  }
  if (boundary.size === 0) for (const id of known) boundary.add(id);
  const trees = new TreeCache(store);
  const againstRoots = [...boundary].slice(0, MAX_BOUNDARY).map((id) => readCommit(store, id).tree);
  const walker = new TreeLister(store, trees, seen, out);
  for (const id of newCommits) walker.walk(readCommit(store, id).tree, againstRoots);
  return { ids: out, commits: newCommits.length };
}

class TreeCache {
  private readonly map = new Map<ObjectId, Map<string, TreeEntry>>();
  constructor(private readonly store: PackStore) {}

  entries(id: ObjectId): Map<string, TreeEntry> {
    let m = this.map.get(id);
    if (m === undefined) {
      m = new Map(readTree(this.store, id).map((e) => [e.name, e]));
      this.map.set(id, m);
    }
    return m;
  }
}

class TreeLister {
  constructor(
    private readonly store: PackStore,
    private readonly trees: TreeCache,
    private readonly seen: Set<ObjectId>,
    private readonly out: ObjectId[],
  ) {}

  /**
   * Lists `tree` and what it reaches, except what equals the entry at the same path in `against`.
   * Depth first in tree order, with an explicit stack: a tree may nest deeper than the call stack.
   */
  walk(root: ObjectId, rootAgainst: readonly ObjectId[]): void {
    const stack: { entries: Iterator<TreeEntry>; others: Map<string, TreeEntry>[] }[] = [];
    const enter = (tree: ObjectId, against: readonly ObjectId[]): void => {
      if (this.seen.has(tree) || against.includes(tree)) return;
      this.seen.add(tree);
      this.out.push(tree);
      stack.push({ entries: this.trees.entries(tree).values(), others: against.map((t) => this.trees.entries(t)) });
    };
    enter(root, rootAgainst);
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      const next = f.entries.next();
      if (next.done === true) {
        stack.pop();
        continue;
      }
      const e = next.value;
      const same = f.others.map((m) => m.get(e.name)).filter((x): x is TreeEntry => x !== undefined);
      if (e.kind === 'tree') {
        enter(
          e.id,
          same.filter((x) => x.kind === 'tree').map((x) => x.id),
        );
        continue;
      }
      if (this.seen.has(e.id) || same.some((x) => x.id === e.id)) continue;
      this.seen.add(e.id);
      this.out.push(e.id);
      if (e.size > INLINE_MAX) this.listChunks(e.id, same);
    }
  }

  /** A changed large file: its chunks, minus those of the file it replaces (an edit keeps most). */
  private listChunks(file: ObjectId, replaced: readonly TreeEntry[]): void {
    const f = readFileObject(this.store, file);
    if (f.kind !== 'chunked') return;
    const old = new Set<ObjectId>();
    for (const r of replaced) {
      if (r.kind === 'tree' || r.size <= INLINE_MAX) continue;
      const o = readFileObject(this.store, r.id);
      if (o.kind === 'chunked') for (const c of o.chunks) old.add(c.id);
    }
    for (const c of f.chunks) {
      if (this.seen.has(c.id) || old.has(c.id)) continue;
      this.seen.add(c.id);
      this.out.push(c.id);
    }
  }
}
