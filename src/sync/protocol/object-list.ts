// The sender's half of negotiation (docs/PROTOCOL.md §5): every object reachable from the wanted commits that the
// receiver may lack, found in one walk. Commits the receiver's tips already reach are skipped, and
// subtrees are compared path by path against the trees of the receiver's nearest commits: an equal
// id means an equal closure, so an unchanged subtree costs one comparison, not a walk. The list
// may still name objects the receiver holds (a file moved elsewhere, a chunk shared by another
// file): the receiver's lack check removes those, so the list only has to be complete, not exact.
import type { ObjectId } from '../../core/hash.js';
import { decodeFile } from '../../core/file-object.js';
import { decodeTree, type TreeEntry } from '../../core/tree-object.js';
import { INLINE_MAX } from '../../store/file-limits.js';
import { SIDE } from '../../ops/history/ahead-behind.js';
import { HeaderCache, paintSidesFrom } from './ancestry.js';
import type { ObjectSource } from './object-source.js';

/** At most this many of the receiver's commits serve as trees to compare against. */
const MAX_BOUNDARY = 16;

export interface ObjectList {
  ids: ObjectId[];
  commits: number;
}

export async function listObjects(store: ObjectSource, wants: readonly ObjectId[], haves: readonly ObjectId[]): Promise<ObjectList> {
  const located = await store.whereMany(haves);
  const known = haves.filter((id) => located.get(id)?.type === 'commit');
  // Painted from both sides in time order: the walk stops below the fork instead of reading the
  // receiver's whole history. LEFT-only commits are new (complete, see paintSides); their parents
  // that the receiver reaches are the boundary.
  const headers = new HeaderCache(store);
  const painted = await paintSidesFrom(headers, wants, known, { skewMarginMs: 0 });
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
  const against = [...boundary].slice(0, MAX_BOUNDARY);
  await headers.load(against);
  const againstRoots = against.map((id) => headers.node(id).tree);
  const lister = new TreeLister(store, seen, out);
  await lister.walk(newCommits.map((id) => ({ tree: headers.node(id).tree, against: againstRoots })));
  return { ids: out, commits: newCommits.length };
}

interface Frame {
  tree: ObjectId;
  /** The trees at the same path in the receiver's commits. */
  against: readonly ObjectId[];
}

class TreeLister {
  private readonly trees = new Map<ObjectId, Map<string, TreeEntry>>();

  constructor(
    private readonly store: ObjectSource,
    private readonly seen: Set<ObjectId>,
    private readonly out: ObjectId[],
  ) {}

  /**
   * Lists each frame's tree and what it reaches, except what equals the entry at the same path in
   * its `against` trees. Level by level (a tree may nest deeper than the call stack, and each level
   * is one batched read), in tree order within a level.
   */
  async walk(roots: readonly Frame[]): Promise<void> {
    let level = roots;
    while (level.length > 0) {
      const frames: Frame[] = [];
      for (const f of level) {
        if (this.seen.has(f.tree) || f.against.includes(f.tree)) continue;
        this.seen.add(f.tree);
        this.out.push(f.tree);
        frames.push(f);
      }
      await this.load(frames.flatMap((f) => [f.tree, ...f.against]));
      const next: Frame[] = [];
      const chunked: { file: ObjectId; replaced: TreeEntry[] }[] = [];
      for (const f of frames) {
        const others = f.against.map((t) => this.trees.get(t)!);
        for (const e of this.trees.get(f.tree)!.values()) {
          const same = others.map((m) => m.get(e.name)).filter((x): x is TreeEntry => x !== undefined);
          if (e.kind === 'tree') {
            next.push({ tree: e.id, against: same.filter((x) => x.kind === 'tree').map((x) => x.id) });
            continue;
          }
          if (this.seen.has(e.id) || same.some((x) => x.id === e.id)) continue;
          this.seen.add(e.id);
          this.out.push(e.id);
          if (e.size > INLINE_MAX) chunked.push({ file: e.id, replaced: same.filter((r) => r.kind !== 'tree' && r.size > INLINE_MAX) });
        }
      }
      await this.listChunks(chunked);
      level = next;
    }
  }

  private async load(ids: readonly ObjectId[]): Promise<void> {
    const need = [...new Set(ids)].filter((id) => !this.trees.has(id));
    if (need.length === 0) return;
    for (const [id, { data }] of await this.store.getMany(need, 'tree'))
      this.trees.set(id, new Map(decodeTree(data, `tree ${id}`).map((e) => [e.name, e])));
  }

  /** Changed large files: their chunks, minus those of the file each replaces (an edit keeps most). */
  private async listChunks(files: readonly { file: ObjectId; replaced: readonly TreeEntry[] }[]): Promise<void> {
    if (files.length === 0) return;
    const objects = await this.store.getMany([...new Set(files.flatMap((f) => [f.file, ...f.replaced.map((r) => r.id)]))], 'file');
    const chunksOf = (id: ObjectId): ObjectId[] => {
      const f = decodeFile(objects.get(id)!.data, `file ${id}`);
      return f.kind === 'chunked' ? f.chunks.map((c) => c.id) : [];
    };
    for (const { file, replaced } of files) {
      const old = new Set(replaced.flatMap((r) => chunksOf(r.id)));
      for (const c of chunksOf(file)) {
        if (this.seen.has(c) || old.has(c)) continue;
        this.seen.add(c);
        this.out.push(c);
      }
    }
  }
}
