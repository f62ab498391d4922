// Writing a set of changes into a folder as one unit (docs/FORMAT.md §15.2, "checkout is
// all-or-nothing"): everything that can fail — reading and verifying objects, making folders,
// writing content — happens first, into places that hold nothing of the user's (new files at free
// paths, temp names, staged folders); only then are old files removed and the new content renamed
// into place. A failure before that point undoes what it wrote, so the folder is as it was.
import { lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, symlinkSync, unlinkSync, type Stats } from 'node:fs';
import { DirtyWorktreeError, IoError, MissingObjectError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import { splitRepoPath } from '../../core/names.js';
import type { ObjectReader } from '../../store/object-store.js';
import { INLINE_MAX } from '../../store/file-writer.js';
import { readFileObject } from '../../store/typed-objects.js';
import type { IndexEntry } from '../../store/worktree-index.js';
import type { Leaf } from '../tree/tree-walk.js';
import { poolAvailable, startPool, type PoolJob } from './write-pool.js';
import { statFields } from './scan.js';
import { blockedFolder, lstatMaybe, NEW_FLAGS, tempName, type WorktreeWriter } from './writer.js';

export interface UpdateItem {
  leaf: Leaf;
  /** Whether something may already stand at the path (then the content goes via a temp name). */
  present: boolean;
}

export interface UpdateOptions {
  /** Worker threads for new files: undefined = automatic (many files), 0 = none. */
  threads?: number;
  /** Paths done so far: the writes first, then the removals. */
  onDone?: (done: number) => void;
  /** Runs once the objects are verified, before the first change (writes a crash marker). */
  beforeWrite?: () => void;
  /** Runs when a failure was undone (the folder is as it was), before the error propagates. */
  onUndone?: () => void;
}

export interface UpdateResult {
  /** Per write, in input order: its index entry with fresh stat data (when the writer keeps stats). */
  entries: (IndexEntry | undefined)[];
  /** Removed paths that were there. */
  removed: string[];
}

/**
 * Writes `writes` and deletes `removes` (files, symlinks) under the writer's root, all or nothing
 * up to the final renames: a missing or damaged object, a folder that cannot be made, a full
 * disk while writing content, leave the folder as it was and throw. Removed paths' emptied
 * parent folders are pruned.
 */
export function updateWorktree(
  writer: WorktreeWriter,
  writes: readonly UpdateItem[],
  removes: readonly string[],
  opts: UpdateOptions = {},
): UpdateResult {
  verifyObjects(writer, writes);
  opts.beforeWrite?.();
  const u = new Update(writer, removes);
  let entries: (IndexEntry | undefined)[];
  try {
    entries = u.stage(writes, opts);
  } catch (err) {
    opts.onUndone?.();
    throw err;
  }
  return { entries, removed: u.commit(entries, opts.onDone, writes.length) };
}

/**
 * Reads every symlink target and checks that every file object and chunk the writes need is
 * stored, before anything is written: the common failures (an object never fetched, a damaged
 * file object) refuse the checkout without touching a file. Chunk bytes are verified as they
 * are written; a damaged chunk then undoes the staged writes.
 */
function verifyObjects(writer: WorktreeWriter, writes: readonly UpdateItem[]): void {
  const store = writer.store as ObjectReader & { lacking?: (ids: readonly ObjectId[]) => boolean[] };
  const need = new Map<ObjectId, string>();
  for (const { leaf } of writes) {
    if (leaf.kind === 'symlink') {
      writer.symlinkTarget(leaf);
      continue;
    }
    if (need.has(leaf.id)) continue;
    need.set(leaf.id, leaf.path);
    if (leaf.size <= INLINE_MAX || !store.has(leaf.id)) continue;
    const f = readFileObject(store, leaf.id);
    if (f.kind === 'chunked') for (const c of f.chunks) if (!need.has(c.id)) need.set(c.id, leaf.path);
  }
  const ids = [...need.keys()];
  const lacking = store.lacking !== undefined ? store.lacking(ids) : ids.map((id) => !store.has(id));
  const i = lacking.indexOf(true);
  if (i < 0) return;
  const id = ids[i]!;
  const path = need.get(id)!;
  throw new MissingObjectError(
    `object ${id} (needed for '${path}') is missing from the store, so nothing was changed; run 'cairn fsck', and fetch it again from a replica`,
    { id, path, missing: lacking.filter(Boolean).length },
  );
}

type DirState = 'existing' | 'created' | 'staged';

interface DirSlot {
  /** Where this folder's files are written now (the staged copy for a staged folder). */
  abs: string;
  state: DirState;
}

/** A file or link written at a temp name beside its destination, renamed over it on commit. */
interface Pending {
  slot: number;
  path: string;
  tmp: string;
  abs: string;
}

class Update {
  private readonly dirs = new Map<string, DirSlot>();
  private readonly removeSet: ReadonlySet<string>;
  /** Folders to make, shallowest first; `top` ones sit in a folder that existed (undo removes them). */
  private readonly toMake: { abs: string; top: boolean; leftover: boolean }[] = [];
  /** Folders made directly in an existing folder, and staged folders: undo removes them whole. */
  private readonly madeTop: string[] = [];
  /** Folders whose path holds a file or link now: built beside it, renamed over it on commit. */
  private readonly staged: { path: string; real: string; staged: string }[] = [];
  /** New files created at free paths of existing folders: undo deletes them. */
  private readonly created: string[] = [];
  private readonly pending: Pending[] = [];

  constructor(
    private readonly w: WorktreeWriter,
    private readonly removes: readonly string[],
  ) {
    this.dirs.set('', { abs: w.root, state: 'existing' });
    this.removeSet = new Set(removes);
  }

  /** Writes every item where it cannot clobber anything; on failure undoes it all and throws. */
  stage(items: readonly UpdateItem[], opts: UpdateOptions): (IndexEntry | undefined)[] {
    const out: (IndexEntry | undefined)[] = new Array(items.length);
    const places: { dir: DirSlot; abs: string }[] = [];
    const pooled: number[] = [];
    const serial: number[] = [];
    /** Pooled items a worker found taken: something appeared there since the plan. */
    const taken = new Set<number>();
    let done = 0;
    let pool: ReturnType<typeof startPool> | undefined;
    try {
      for (let i = 0; i < items.length; i++) {
        const { leaf, present } = items[i]!;
        const parts = splitRepoPath(leaf.path);
        const name = parts.pop()!;
        const dir = this.dirSlot(parts);
        const abs = `${dir.abs}/${name}`;
        if (abs.length >= PATH_MAX && Buffer.byteLength(abs) >= PATH_MAX) throw tooLong(leaf.path, abs);
        places.push({ dir, abs });
        (leaf.kind !== 'symlink' && (dir.state !== 'existing' || !present) ? pooled : serial).push(i);
      }
      const repoRoot = this.w.opts.repoRoot;
      const stats = this.w.opts.stats !== false;
      if (pooled.length > 0 && repoRoot !== undefined && poolAvailable(pooled.length, opts.threads)) {
        const jobs: PoolJob[] = pooled.map((i) => ({ leaf: items[i]!.leaf, abs: places[i]!.abs }));
        // The workers boot and read their first objects while the folders are made.
        pool = startPool(repoRoot, jobs, { stats, threads: opts.threads });
        this.makeDirs();
        pool.go();
        const res = pool.wait((n) => opts.onDone?.(n));
        pool = undefined;
        const existed = new Set(res.existed.map((j) => j.leaf.path));
        for (const [k, i] of pooled.entries()) {
          const leaf = items[i]!.leaf;
          if (existed.has(leaf.path)) {
            serial.push(i);
            taken.add(i);
            continue;
          }
          if (places[i]!.dir.state === 'existing' && !res.unknown.has(k)) this.created.push(places[i]!.abs);
          const st = res.stats[k];
          if (st !== undefined)
            out[i] = { path: leaf.path, kind: leaf.kind, id: leaf.id, size: st[0], mtimeNs: st[1], ctimeNs: st[2], ino: st[3] };
        }
        this.w.opts.onBytes?.(res.bytes);
        if (res.failure !== undefined) throw res.failure;
        done = pooled.length - existed.size;
      } else {
        this.makeDirs();
        serial.push(...pooled);
      }
      for (const i of serial) {
        const { leaf, present } = items[i]!;
        const { dir, abs } = places[i]!;
        out[i] = this.writeOne(i, leaf, abs, dir.state === 'existing' && (present || taken.has(i)));
        opts.onDone?.(++done);
      }
    } catch (err) {
      pool?.abort();
      this.undo();
      throw err;
    }
    return out;
  }

  /**
   * Removes what goes, moves staged folders and temp files over their destinations, prunes
   * emptied folders. Only renames and deletions are left at this point.
   */
  commit(entries: (IndexEntry | undefined)[], onDone: ((done: number) => void) | undefined, base: number): string[] {
    const removed: string[] = [];
    const parents = new Set<string>();
    for (const [i, p] of this.removes.entries()) {
      if (this.w.remove(p)) removed.push(p);
      const slash = p.lastIndexOf('/');
      if (slash > 0) parents.add(p.slice(0, slash));
      onDone?.(base + i + 1);
    }
    for (const s of this.staged) {
      const st = lstatMaybe(s.real);
      if (st?.isDirectory()) this.w.clearDirectory(s.path, s.real);
      else if (st !== undefined) unlinkSync(s.real); // the link or file itself, never what a link points to
      renameSync(s.staged, s.real);
    }
    const stats = this.w.opts.stats !== false;
    for (const p of this.pending) {
      if (lstatMaybe(p.abs)?.isDirectory()) this.clearForFile(p.path, p.abs);
      renameSync(p.tmp, p.abs);
      // rename changes ctime on some file systems: stat the final name.
      const e = entries[p.slot];
      if (stats && e !== undefined) entries[p.slot] = { ...e, ...statFields(lstatSync(p.abs)) };
    }
    this.w.pruneEmpty(parents);
    return removed;
  }

  /** The slot of folder `parts` (validated names), deciding shallowest first how each is reached. */
  private dirSlot(parts: readonly string[]): DirSlot {
    const key = parts.join('/');
    const hit = this.dirs.get(key);
    if (hit !== undefined) return hit;
    let path = '';
    let slot = this.dirs.get('')!;
    for (const name of parts) {
      path = path === '' ? name : `${path}/${name}`;
      let next = this.dirs.get(path);
      if (next === undefined) {
        next = this.decide(path, name, slot);
        this.dirs.set(path, next);
      }
      slot = next;
    }
    return slot;
  }

  private decide(path: string, name: string, parent: DirSlot): DirSlot {
    const abs = `${parent.abs}/${name}`;
    if (parent.state !== 'existing') {
      this.toMake.push({ abs, top: false, leftover: false });
      return { abs, state: parent.state };
    }
    const st = lstatMaybe(abs);
    if (st?.isDirectory()) return { abs, state: 'existing' };
    if (st === undefined) {
      this.toMake.push({ abs, top: true, leftover: false });
      return { abs, state: 'created' };
    }
    // A file or link where the tree has a folder: it goes on commit (a tracked path this update
    // removes, or anything under --force), and the folder is built beside it meanwhile.
    if (!this.w.opts.force && !this.removeSet.has(path)) throw blockedFolder(path, st);
    const staged = `${parent.abs}/${tempName(name)}`;
    this.toMake.push({ abs: staged, top: true, leftover: true });
    this.staged.push({ path, real: abs, staged });
    return { abs: staged, state: 'staged' };
  }

  private makeDirs(): void {
    for (const d of this.toMake) {
      if (d.leftover) rmSync(d.abs, { recursive: true, force: true }); // a reserved temp name, from an interrupted run
      mkdirSync(d.abs);
      if (d.top) this.madeTop.push(d.abs);
    }
    this.toMake.length = 0;
  }

  /** One leaf: at its free path when nothing can be there, else at a temp name kept for commit. */
  private writeOne(slot: number, leaf: Leaf, abs: string, maybeThere: boolean): IndexEntry | undefined {
    if (maybeThere && lstatMaybe(abs) === undefined) maybeThere = false;
    if (!maybeThere) {
      const st = this.createAt(leaf, abs);
      if (st !== 'exists') return entryOf(leaf, st);
    }
    // Something is there: a folder must empty through this update's removals (or --force), which
    // is checked now, while a refusal still changes nothing.
    if (lstatMaybe(abs)?.isDirectory() && !this.w.opts.force && !this.emptiedByRemoves(leaf.path, abs))
      throw new DirtyWorktreeError([leaf.path], 'replacing this folder by a file');
    const tmp = this.w.tempFor(abs);
    this.pending.push({ slot, path: leaf.path, tmp, abs });
    this.createAt(leaf, tmp, true);
    // Stat data is taken at the final name once renamed (commit).
    return this.w.opts.stats === false
      ? undefined
      : { path: leaf.path, kind: leaf.kind, id: leaf.id, size: leaf.size, mtimeNs: 0, ctimeNs: 0, ino: 0 };
  }

  /** Creates the leaf at a free path (never over anything, never through a link); 'exists' if taken. */
  private createAt(leaf: Leaf, abs: string, isTemp = false): Stats | undefined | 'exists' {
    const stats = this.w.opts.stats !== false;
    if (leaf.kind === 'symlink') {
      try {
        symlinkSync(this.w.symlinkTarget(leaf), abs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' && !isTemp) return 'exists';
        throw err;
      }
      if (!isTemp) this.created.push(abs);
      return stats && !isTemp ? lstatSync(abs) : undefined;
    }
    let fd: number;
    try {
      fd = openSync(abs, NEW_FLAGS, leaf.kind === 'exec' ? 0o777 : 0o666);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && !isTemp) return 'exists';
      throw err;
    }
    if (!isTemp) this.created.push(abs);
    return this.w.fill(fd, leaf, isTemp);
  }

  /** Whether every file below folder `path` is one this update removes (so it empties). */
  private emptiedByRemoves(path: string, abs: string): boolean {
    const stack: [string, string][] = [[path, abs]];
    while (stack.length > 0) {
      const [p, a] = stack.pop()!;
      for (const e of readdirSync(a, { withFileTypes: true })) {
        if (e.isDirectory()) stack.push([`${p}/${e.name}`, `${a}/${e.name}`]);
        else if (!this.removeSet.has(`${p}/${e.name}`)) return false;
      }
    }
    return true;
  }

  /** Clears a folder a file replaces: emptied by the removals (checked when staged), or --force. */
  private clearForFile(path: string, abs: string): void {
    if (this.w.opts.force) {
      this.w.clearDirectory(path, abs);
      return;
    }
    // Only empty folders are left: remove them deepest first, never a file (rmdir refuses one).
    const dirs: string[] = [];
    const stack = [abs];
    while (stack.length > 0) {
      const a = stack.pop()!;
      dirs.push(a);
      for (const e of readdirSync(a, { withFileTypes: true })) if (e.isDirectory()) stack.push(`${a}/${e.name}`);
    }
    try {
      for (let i = dirs.length - 1; i >= 0; i--) rmdirSync(dirs[i]!);
    } catch {
      throw new DirtyWorktreeError([path], 'replacing this folder by a file');
    }
  }

  /** Undoes the staging: deletes what it created, so the folder holds what it held before. */
  private undo(): void {
    const quietly = (fn: () => void) => {
      try {
        fn();
      } catch {
        /* best effort: the original failure is what the user needs to see */
      }
    };
    for (const p of this.pending) quietly(() => unlinkSync(p.tmp));
    for (const f of this.created) quietly(() => unlinkSync(f));
    for (const d of this.madeTop.reverse()) quietly(() => rmSync(d, { recursive: true, force: true }));
  }
}

/**
 * Linux's PATH_MAX: a longer absolute path cannot be created (ENAMETOOLONG), so such a path is
 * refused before the first folder is made instead of half-way (a tree may nest 4096 folders).
 */
const PATH_MAX = 4096;

function tooLong(path: string, abs: string): IoError {
  const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path;
  return new IoError(
    `cannot write '${shown}': its full path is ${Buffer.byteLength(abs)} bytes, more than the ${PATH_MAX} this system allows; nothing was changed (check the tree out on a shorter path, or rename its folders)`,
    { path: shown, errno: 'ENAMETOOLONG' },
  );
}

function entryOf(leaf: Leaf, st: Stats | undefined): IndexEntry | undefined {
  return st === undefined ? undefined : { path: leaf.path, kind: leaf.kind, id: leaf.id, ...statFields(st) };
}
