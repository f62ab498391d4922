// Safe, streaming writes of tree leaves into a folder: names re-validated, parents verified to be
// real directories (never written through a symlink), symlinks created as links whatever their
// target (docs/FORMAT.md §5.1), existing files replaced by temp-name + rename so a kill -9 never
// leaves a torn user file. Many writes at once go through worktree-update.ts, which makes them
// all-or-nothing; this file holds the single-path primitives it and the merge resolver use.
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  constants as fsc,
  type Stats,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { CorruptObjectError, DirtyWorktreeError, UnsafePathError } from '../../errors.js';
import { splitRepoPath } from '../../core/names.js';
import type { ObjectReader } from '../../store/object-store.js';
import { fileContent, readFileObject } from '../../store/typed-objects.js';
import type { IndexEntry } from '../../store/worktree-index.js';
import type { Leaf } from '../tree/tree-walk.js';
import { symlinkTargetProblem } from '../../core/symlink-target.js';
import { statFields } from './scan.js';

export { symlinkTargetProblem };

/** Suffix of the temp names used while replacing a file; names ending so are reserved mid-checkout. */
export const TEMP_SUFFIX = '.cairn-tmp';

/** Create a new file, never over anything and never through a symlink. */
export const NEW_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

export interface WriterOptions {
  /** Replace untracked files, directories or symlinks standing where a leaf or its parents go. */
  force?: boolean;
  /** fstat every written file for the index (off for `export`, which has no index). */
  stats?: boolean;
  /** Told the bytes written, for progress. */
  onBytes?: (n: number) => void;
  /** Root of the repository the objects come from: worker threads open their own handle on it. */
  repoRoot?: string;
}

/** A temp name beside `name`, deterministic so a rerun after a crash reuses (and removes) it. */
export function tempName(name: string): string {
  if (Buffer.byteLength(name) <= 200) return `.${name}${TEMP_SUFFIX}`;
  return `.${createHash('sha256').update(name).digest('hex').slice(0, 40)}${TEMP_SUFFIX}`;
}

export function lstatMaybe(abs: string): Stats | undefined {
  try {
    return lstatSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export class WorktreeWriter {
  /** Directories (repo paths) known to be real directories under root. */
  private readonly realDirs = new Set<string>(['']);
  /** Directories this writer created: nothing else is in them, so files need no existence check. */
  private readonly createdDirs = new Set<string>();
  private readonly targets = new Map<string, { id: string; target: Buffer }>();

  constructor(
    readonly root: string,
    readonly store: ObjectReader,
    readonly opts: WriterOptions = {},
  ) {}

  /** Absolute path of a repo path, every component validated again (docs/FORMAT.md §15.4). */
  abs(path: string): string {
    const parts = splitRepoPath(path);
    return parts.length === 0 ? this.root : `${this.root}/${parts.join('/')}`;
  }

  /** Makes `dir` and its parents real directories, replacing blockers only under `force`. */
  ensureDir(dir: string): void {
    if (this.realDirs.has(dir)) return;
    // Iterative, shallowest first: a tree may be deep (docs/FORMAT.md §7.1), the stack is not.
    const parts = splitRepoPath(dir);
    let parent = '';
    let abs = this.root;
    for (const name of parts) {
      const d = parent === '' ? name : `${parent}/${name}`;
      abs = `${abs}/${name}`;
      if (!this.realDirs.has(d)) this.makeDir(d, abs, parent);
      parent = d;
    }
  }

  private makeDir(dir: string, abs: string, parent: string): void {
    if (!this.createdDirs.has(parent)) {
      const st = lstatMaybe(abs);
      if (st?.isDirectory()) {
        this.realDirs.add(dir);
        return;
      }
      if (st !== undefined) {
        if (!this.opts.force) throw blockedFolder(dir, st);
        unlinkSync(abs); // the link or file itself, never what a link points to
      }
    }
    mkdirSync(abs);
    this.createdDirs.add(dir);
    this.realDirs.add(dir);
  }

  /** True when every parent of `path` is a real directory (so acting on `path` touches only it). */
  parentsReal(path: string): boolean {
    const parts = splitRepoPath(path);
    let dir = '';
    for (let i = 0; i < parts.length - 1; i++) {
      dir = dir === '' ? parts[i]! : `${dir}/${parts[i]}`;
      if (this.realDirs.has(dir)) continue;
      if (!lstatMaybe(this.abs(dir))?.isDirectory()) return false;
      this.realDirs.add(dir);
    }
    return true;
  }

  /**
   * Writes one leaf. `exists` says whether something may already be at the path (then the new
   * content goes to a temp name and is renamed over it); a new file is written in place. Returns
   * the index entry with fresh stat data when `stats` is on.
   */
  write(leaf: Leaf, exists = true): IndexEntry | undefined {
    const slash = leaf.path.lastIndexOf('/');
    const dir = slash < 0 ? '' : leaf.path.slice(0, slash);
    this.ensureDir(dir);
    const abs = this.abs(leaf.path);
    if (this.createdDirs.has(dir)) exists = false;
    if (exists) {
      const st = lstatMaybe(abs);
      if (st === undefined) exists = false;
      else if (st.isDirectory()) this.clearDirectory(leaf.path, abs);
    }
    let st: Stats | undefined;
    if (leaf.kind === 'symlink') st = this.writeSymlink(leaf, abs, exists);
    else st = this.writeFile(leaf, abs, exists);
    if (st === undefined) return undefined;
    return { path: leaf.path, kind: leaf.kind, id: leaf.id, ...statFields(st) };
  }

  /** Deletes a file or symlink; false when it was already gone (or not reachable without a symlink). */
  remove(path: string): boolean {
    if (!this.parentsReal(path)) return false;
    const abs = this.abs(path);
    try {
      unlinkSync(abs);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      if (code === 'EISDIR' || code === 'EPERM') {
        this.clearDirectory(path, abs);
        return true;
      }
      throw err;
    }
  }

  /** Removes `dirs` (and then their parents) when they are empty, deepest first. */
  pruneEmpty(dirs: Iterable<string>): void {
    const all = new Set<string>();
    for (let d of dirs) {
      while (d !== '' && !all.has(d)) {
        all.add(d);
        const slash = d.lastIndexOf('/');
        d = slash < 0 ? '' : d.slice(0, slash);
      }
    }
    const sorted = [...all].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
    for (const d of sorted) {
      if (!this.parentsReal(`${d}/x`)) continue;
      try {
        rmdirSync(this.abs(d));
        this.realDirs.delete(d);
      } catch {
        /* not empty, a symlink, or gone: leave it */
      }
    }
  }

  /** Removes the directory at `abs` so a file can take its place (its contents only under `force`). */
  clearDirectory(path: string, abs: string): void {
    try {
      rmdirSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!this.opts.force) throw new DirtyWorktreeError([path], 'replacing this folder by a file');
      // lstat said a real directory: rmSync removes links inside it, never their targets.
      rmSync(abs, { recursive: true });
    }
  }

  /**
   * The target of a symlink leaf, read and checked: any target a link can hold (docs/FORMAT.md
   * §5.1), as raw bytes, so what `add` stored is what checkout creates. Callers read every target
   * before writing anything, so an unreadable one refuses the whole checkout up front.
   */
  symlinkTarget(leaf: Leaf): Buffer {
    const known = this.targets.get(leaf.path);
    if (known !== undefined && known.id === leaf.id) return known.target;
    const target = Buffer.concat([...fileContent(this.store, leaf.id)]);
    const problem = symlinkTargetProblem(target);
    if (problem !== null) throw new UnsafePathError(leaf.path, problem);
    this.targets.set(leaf.path, { id: leaf.id, target });
    return target;
  }

  /** Creates the link at `abs` (or, when something may be there, at a temp name renamed over it). */
  writeSymlink(leaf: Leaf, abs: string, exists: boolean): Stats | undefined {
    const target = this.symlinkTarget(leaf);
    if (!exists) {
      try {
        symlinkSync(target, abs);
        return this.opts.stats === false ? undefined : lstatSync(abs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const tmp = this.tempFor(abs);
    symlinkSync(target, tmp);
    renameSync(tmp, abs);
    return this.opts.stats === false ? undefined : lstatSync(abs);
  }

  /** Writes the file at `abs`: in place when nothing is there, else via a temp name renamed over it. */
  writeFile(leaf: Leaf, abs: string, exists: boolean): Stats | undefined {
    const mode = leaf.kind === 'exec' ? 0o777 : 0o666;
    if (!exists) {
      let fd: number | undefined;
      try {
        fd = openSync(abs, NEW_FLAGS, mode);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      // A new file is written in place: an interrupted write leaves at worst a partial new file,
      // which the rerun recognises as its own (checkout marker) and rewrites.
      if (fd !== undefined) return this.fill(fd, leaf, false);
    }
    const tmp = this.tempFor(abs);
    const fd = openSync(tmp, NEW_FLAGS, mode);
    try {
      this.fill(fd, leaf, true);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
      throw err;
    }
    renameSync(tmp, abs);
    // rename changes ctime on some file systems: stat the final name.
    return this.opts.stats === false ? undefined : lstatSync(abs);
  }

  /** Streams the content into fd chunk by chunk (memory: one chunk) and closes it. */
  fill(fd: number, leaf: Leaf, viaTemp: boolean): Stats | undefined {
    try {
      let total = 0;
      const f = readFileObject(this.store, leaf.id);
      const pieces = f.kind === 'inline' ? [f.data] : fileContent(this.store, leaf.id, f);
      for (const piece of pieces) {
        let off = 0;
        while (off < piece.length) off += writeSync(fd, piece, off, piece.length - off);
        total += piece.length;
        this.opts.onBytes?.(piece.length);
      }
      if (total !== leaf.size)
        throw new CorruptObjectError(`file ${leaf.id} at '${leaf.path}' has ${total} bytes, its tree says ${leaf.size}`, {
          id: leaf.id,
          path: leaf.path,
        });
      return this.opts.stats === false || viaTemp ? undefined : fstatSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The temp name beside `abs`, with any leftover of an interrupted run removed. */
  tempFor(abs: string): string {
    const slash = abs.lastIndexOf('/');
    const tmp = `${abs.slice(0, slash)}/${tempName(abs.slice(slash + 1))}`;
    // A leftover from an interrupted run (or anything squatting on the reserved name).
    const st = lstatMaybe(tmp);
    if (st !== undefined) {
      if (st.isDirectory()) rmSync(tmp, { recursive: true });
      else unlinkSync(tmp);
    }
    return tmp;
  }
}

/** The error for a file or symlink standing where the tree has a folder (without `force`). */
export function blockedFolder(dir: string, st: Stats): Error {
  if (st.isSymbolicLink())
    return new UnsafePathError(
      dir,
      'is a symlink in the worktree where the tree has a folder; cairn never writes through a symlink (use --force to replace it)',
    );
  return new DirtyWorktreeError([dir], 'writing this folder');
}
