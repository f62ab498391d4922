// Three-way merge of trees, path by path: only paths that changed on a side are looked at (equal
// subtrees are pruned by id), files changed on both sides go to a merge driver, and everything
// the rules cannot decide (modify/delete, add/add, type changes, directory/file collisions,
// rename/rename) becomes a ConflictedPath value. The result tree is ours with the edits applied.
import type { ObjectId } from '../../core/hash.js';
import { entryNameProblem } from '../../core/names.js';
import { storeBuffer } from '../../store/file-writer.js';
import type { Repository } from '../../store/repository.js';
import { readWholeFile } from '../../store/typed-objects.js';
import { Attributes } from './attributes.js';
import { pickDriver, runDriver } from './drivers.js';
import { treeChanges } from '../tree/tree-changes.js';
import { editTree } from '../tree/tree-edit.js';
import type { ConflictEntry, ConflictedPath, MergedFile, PathConflictKind, Side } from './types.js';
import { lookupPath, type Leaf } from '../tree/tree-walk.js';

export type { ConflictEntry, ConflictedPath, MergedFile, PathConflictKind, Side } from './types.js';

export interface TreeMergeOptions {
  base: ObjectId | null;
  ours: ObjectId;
  theirs: ObjectId;
  labels?: { base?: string; ours?: string; theirs?: string };
  favor?: Side;
  attributes?: Attributes;
  /**
   * Building a virtual merge base (criss-cross): a conflicted path keeps the base's version (or is
   * absent) instead of a side's, so the real merge sees both sides as changed there and reports it.
   */
  virtual?: boolean;
}

export interface TreeMergeResult {
  /** The merged tree (stored and flushed); conflicted files hold the driver's output or ours' version. */
  tree: ObjectId;
  conflicts: ConflictedPath[];
  /** Files changed on both sides and merged by a driver. */
  merged: MergedFile[];
  renames: { from: string; to: string; side: Side }[];
  settled: number;
}

interface Slot {
  b?: Leaf;
  o?: Leaf;
  t?: Leaf;
  oc: boolean;
  tc: boolean;
}

export function mergeTrees(repo: Repository, opts: TreeMergeOptions): TreeMergeResult {
  const none = { conflicts: [], merged: [], renames: [], settled: 0 };
  if (opts.ours === opts.theirs || opts.base === opts.theirs) return { tree: opts.ours, ...none };
  if (opts.base === opts.ours) return { tree: opts.theirs, ...none };
  return new TreeMerge(repo, opts).run();
}

class TreeMerge {
  private readonly slots = new Map<string, Slot>();
  private readonly resolved = new Map<string, Leaf | null>();
  private readonly conflicts = new Map<string, ConflictedPath>();
  private readonly done = new Set<string>();
  private readonly result: TreeMergeResult = { tree: '', conflicts: [], merged: [], renames: [], settled: 0 };
  private readonly attrs: Attributes;

  constructor(
    private readonly repo: Repository,
    private readonly opts: TreeMergeOptions,
  ) {
    this.attrs = opts.attributes ?? Attributes.none;
  }

  run(): TreeMergeResult {
    const store = this.repo.objects;
    const co = treeChanges(store, this.opts.base, this.opts.ours);
    const ct = treeChanges(store, this.opts.base, this.opts.theirs);
    for (const c of co) Object.assign(this.slot(c.path), { b: c.old, o: c.new, oc: true });
    for (const c of ct) Object.assign(this.slot(c.path), { b: c.old, t: c.new, tc: true });
    for (const s of this.slots.values()) {
      if (!s.oc) s.o = s.b;
      if (!s.tc) s.t = s.b;
    }
    const rt = renamesIn(ct);
    for (const [from, to] of renamesIn(co)) this.rename('ours', from, to, rt);
    for (const [from, to] of rt) this.rename('theirs', from, to, new Map());
    const paths = [...this.slots.keys()].sort();
    for (const p of paths) {
      if (this.done.has(p)) continue;
      const s = this.slots.get(p)!;
      this.resolvePath(p, s.b, s.o, s.t);
    }
    this.collisions();
    const edits = new Map<string, Leaf | null>();
    for (const [p, leaf] of this.resolved) if (!same(leaf ?? undefined, this.slots.get(p)?.o)) edits.set(p, leaf);
    this.result.tree = editTree(store, this.opts.ours, edits);
    store.flush();
    this.result.conflicts = [...this.conflicts.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return this.result;
  }

  private slot(path: string): Slot {
    let s = this.slots.get(path);
    if (s === undefined) {
      s = { oc: false, tc: false };
      this.slots.set(path, s);
    }
    return s;
  }

  private set(path: string, leaf: Leaf | undefined | null): void {
    this.resolved.set(path, leaf ? { ...leaf, path } : null);
  }

  /**
   * `side` moved `from` to `to` unchanged (same content id). When the other side edited or
   * deleted `from`, or moved it elsewhere, the plain path-by-path merge would get it wrong.
   */
  private rename(side: Side, from: string, to: string, otherRenames: Map<string, string>): void {
    const other: Side = side === 'ours' ? 'theirs' : 'ours';
    const sf = this.slots.get(from)!;
    const st = this.slots.get(to)!;
    if (this.done.has(from) || this.done.has(to) || changedOn(st, other)) return;
    const mine = side === 'ours' ? st.o! : st.t!;
    const otherTo = otherRenames.get(from);
    if (otherTo !== undefined) {
      if (otherTo === to || changedOn(this.slots.get(otherTo)!, side)) return;
      const theirsLeaf = this.slots.get(otherTo)!.t!;
      this.done.add(from).add(to).add(otherTo);
      const entry: ConflictEntry = {
        location: '',
        kind: 'rename-rename',
        base: describe(sf.b, from),
        ours: describe(mine, from),
        theirs: describe(theirsLeaf, from),
      };
      if (this.opts.virtual) {
        this.set(from, sf.b);
        this.set(to, null);
        this.set(otherTo, null);
        return;
      }
      this.set(from, null);
      this.set(to, this.opts.favor === 'theirs' ? null : mine);
      this.set(otherTo, this.opts.favor === 'ours' ? null : theirsLeaf);
      if (this.opts.favor) this.result.settled++;
      else
        this.addConflict({
          path: from,
          kind: 'rename-rename',
          driver: null,
          base: sf.b ?? null,
          ours: mine,
          theirs: theirsLeaf,
          conflicts: [entry],
          resolved: false,
        });
      return;
    }
    if (!changedOn(sf, other)) return; // the other side left the file alone: the plain merge moves it
    const otherLeaf = other === 'ours' ? sf.o : sf.t;
    this.done.add(from).add(to);
    if (otherLeaf === undefined && this.opts.virtual) {
      this.set(from, sf.b);
      return this.set(to, null);
    }
    this.set(from, null);
    if (otherLeaf === undefined) {
      // Renamed on one side, deleted on the other: kept where it was moved to, reported.
      const [o, t] = side === 'ours' ? [mine, undefined] : [undefined, mine];
      this.treeConflict(to, side === 'ours' ? 'modify-delete' : 'delete-modify', sf.b, o, t);
      return;
    }
    this.result.renames.push({ from, to, side });
    const [o, t] = side === 'ours' ? [mine, otherLeaf] : [otherLeaf, mine];
    this.resolvePath(to, sf.b, o, t);
  }

  private resolvePath(path: string, b: Leaf | undefined, o: Leaf | undefined, t: Leaf | undefined): void {
    if (same(o, t)) return this.set(path, o);
    if (same(b, o)) return this.set(path, t);
    if (same(b, t)) return this.set(path, o);
    if (o === undefined) return this.treeConflict(path, 'delete-modify', b, o, t);
    if (t === undefined) return this.treeConflict(path, 'modify-delete', b, o, t);
    if ((o.kind === 'symlink') !== (t.kind === 'symlink')) return this.treeConflict(path, 'type-change', b, o, t);
    if (o.kind === 'symlink') return this.treeConflict(path, b === undefined ? 'add-add' : 'content', b, o, t);
    const kind = mergeKind(b?.kind, o.kind, t.kind);
    if (o.id === t.id) return this.set(path, { ...o, kind });
    this.mergeContent(path, b, o, t, kind);
  }

  private mergeContent(path: string, b: Leaf | undefined, o: Leaf, t: Leaf, kind: 'file' | 'exec' | 'symlink'): void {
    const store = this.repo.objects;
    // Whole versions in memory (three of them): drivers take buffers. Fine for files of a few
    // hundred MB; streaming drivers would be needed beyond that.
    const base = b !== undefined && b.kind !== 'symlink' ? readWholeFile(store, b.id) : null;
    const ours = readWholeFile(store, o.id);
    const theirs = readWholeFile(store, t.id);
    const pick = pickDriver(this.attrs, path, [base, ours, theirs]);
    const favor = this.opts.virtual ? undefined : this.opts.favor;
    const out = runDriver(pick, {
      base,
      ours,
      theirs,
      path,
      ...(this.opts.labels ? { labels: this.opts.labels } : {}),
      ...(favor ? { favor } : {}),
    });
    this.result.settled += out.settled;
    this.result.merged.push({
      path,
      driver: out.driver,
      conflicts: out.conflicts.length,
      settled: out.settled,
      ...(out.fallback ? { fallback: out.fallback } : {}),
    });
    if (out.conflicts.length > 0 && this.opts.virtual) return this.set(path, b);
    const stored = storeBuffer(store, out.content);
    this.set(path, { path, kind, id: stored.id, size: stored.size });
    if (out.conflicts.length === 0) return;
    this.addConflict({
      path,
      kind: b === undefined ? 'add-add' : 'content',
      driver: out.driver,
      ...(Object.keys(pick.options).length > 0 && out.driver === pick.name ? { options: { ...pick.options } } : {}),
      base: b ?? null,
      ours: o,
      theirs: t,
      conflicts: out.conflicts.map((c) => ({ ...c })),
      resolved: false,
    });
  }

  /** A path-level conflict: the worktree keeps ours' version, or theirs' when ours has none. */
  private treeConflict(path: string, kind: PathConflictKind, b: Leaf | undefined, o: Leaf | undefined, t: Leaf | undefined): void {
    if (this.opts.virtual) return this.set(path, b);
    if (this.opts.favor) {
      this.result.settled++;
      return this.set(path, this.opts.favor === 'ours' ? o : t);
    }
    this.set(path, o ?? t);
    const entryKind = kind === 'content' ? 'both-modified' : (kind as ConflictEntry['kind']);
    const entry: ConflictEntry = {
      location: '',
      kind: entryKind,
      base: describe(b, path),
      ours: describe(o, path),
      theirs: describe(t, path),
    };
    this.addConflict({
      path,
      kind,
      driver: null,
      base: b ?? null,
      ours: o ?? null,
      theirs: t ?? null,
      conflicts: [entry],
      resolved: false,
    });
  }

  private addConflict(c: ConflictedPath): void {
    const existing = this.conflicts.get(c.path);
    if (existing === undefined) this.conflicts.set(c.path, c);
    else existing.conflicts.push(...c.conflicts);
  }

  /**
   * A file and a folder at one path (each side's tree was consistent, so both are merge results):
   * the folder stays, the file is written beside it as PATH~LABEL, and the path is a conflict.
   * These stay conflicts under --favor: settling one would drop a whole folder or file silently.
   */
  private collisions(): void {
    const dirs = new Set<string>();
    for (const [p, leaf] of this.resolved)
      if (leaf) for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
    for (const [p, leaf] of [...this.resolved]) {
      if (!leaf || !dirs.has(p)) continue;
      this.set(p, null);
      if (this.opts.virtual) continue;
      const s = this.slots.get(p);
      const side: Side = s?.o !== undefined && same(s.o, leaf) ? 'ours' : s?.t !== undefined && same(s.t, leaf) ? 'theirs' : 'ours';
      const moved = this.freePath(p, side);
      this.set(moved, leaf);
      const entry: ConflictEntry = {
        location: '',
        kind: 'directory-file',
        ours: side === 'ours' ? describe(leaf, p) : { kind: 'tree' },
        theirs: side === 'theirs' ? describe(leaf, p) : { kind: 'tree' },
      };
      const existing = this.conflicts.get(p);
      if (existing !== undefined) {
        existing.movedTo = moved;
        existing.conflicts.push(entry);
      } else {
        this.addConflict({
          path: p,
          kind: 'directory-file',
          driver: null,
          base: s?.b ?? null,
          ours: s?.o ?? null,
          theirs: s?.t ?? null,
          movedTo: moved,
          conflicts: [entry],
          resolved: false,
        });
      }
    }
  }

  /** PATH~LABEL (sanitised), numbered until no side's tree and no merge result uses it. */
  private freePath(path: string, side: Side): string {
    const label = (this.opts.labels?.[side] ?? side).replace(/[^A-Za-z0-9._+=,@-]/g, '_');
    let stem = `${path}~${label}`;
    if (entryNameProblem(stem.slice(stem.lastIndexOf('/') + 1)) !== null) stem = `${path}~${side}`;
    for (let n = 0; ; n++) {
      const cand = n === 0 ? stem : `${stem}_${n}`;
      if (this.resolved.get(cand)) continue;
      if (this.resolved.has(cand)) return cand;
      const store = this.repo.objects;
      if (lookupPath(store, this.opts.ours, cand) === undefined && lookupPath(store, this.opts.theirs, cand) === undefined) return cand;
    }
  }
}

/** Renames by content on one side: a path deleted and another added with the same id and kind, both unique. */
function renamesIn(changes: readonly { path: string; old?: Leaf; new?: Leaf }[]): Map<string, string> {
  const deleted = new Map<string, string[]>();
  const added = new Map<string, string[]>();
  for (const c of changes) {
    if (c.old !== undefined && c.new === undefined) push(deleted, `${c.old.kind}:${c.old.id}`, c.path);
    if (c.new !== undefined && c.old === undefined) push(added, `${c.new.kind}:${c.new.id}`, c.path);
  }
  const out = new Map<string, string>();
  for (const [key, from] of deleted) {
    const to = added.get(key);
    if (from.length === 1 && to?.length === 1) out.set(from[0]!, to[0]!);
  }
  return out;
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

function changedOn(s: Slot, side: Side): boolean {
  return side === 'ours' ? s.oc && !same(s.o, s.b) : s.tc && !same(s.t, s.b);
}

function same(a: Leaf | undefined, b: Leaf | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.kind === b.kind && a.id === b.id;
}

/** The exec bit merges three-way; when both sides set it differently from no base, ours wins. */
function mergeKind(b: Leaf['kind'] | undefined, o: Leaf['kind'], t: Leaf['kind']): Leaf['kind'] {
  if (o === t) return o;
  if (b === o) return t;
  return o;
}

/** A leaf as reported in a conflict (no content: the id reads it back with `cairn cat`). */
function describe(leaf: Leaf | undefined, path: string): unknown {
  if (leaf === undefined) return undefined;
  return { kind: leaf.kind, id: leaf.id, size: leaf.size, ...(leaf.path !== path ? { path: leaf.path } : {}) };
}
