// Safe, streaming writes of tree leaves into a folder: names re-validated, parents verified to be
// real directories (never written through a symlink), symlink targets kept inside the folder,
// existing files replaced by temp-name + rename so a kill -9 never leaves a torn user file.
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
import { poolAvailable, startPool, type PoolJob } from './write-pool.js';
import { symlinkTargetProblem } from '../../core/symlink-target.js';
import { statFields } from './scan.js';

export { symlinkTargetProblem };

/** Suffix of the temp names used while replacing a file; names ending so are reserved mid-checkout. */
export const TEMP_SUFFIX = '.cairn-tmp';

const NEW_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

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

function lstatMaybe(abs: string): Stats | undefined {
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
  private readonly targets = new Map<string, { id: string; target: string }>();

  constructor(
    readonly root: string,
    private readonly store: ObjectReader,
    private readonly opts: WriterOptions = {},
  ) {}

  /** Absolute path of a repo path, every component validated again (docs/FORMAT.md §15.4). */
  abs(path: string): string {
    const parts = splitRepoPath(path);
    return parts.length === 0 ? this.root : `${this.root}/${parts.join('/')}`;
  }

  /** Makes `dir` and its parents real directories, replacing blockers only under `force`. */
  ensureDir(dir: string): void {
    if (this.realDirs.has(dir)) return;
    const slash = dir.lastIndexOf('/');
    const parent = slash < 0 ? '' : dir.slice(0, slash);
    this.ensureDir(parent);
    const abs = this.abs(dir);
    if (!this.createdDirs.has(parent)) {
      const st = lstatMaybe(abs);
      if (st?.isDirectory()) {
        this.realDirs.add(dir);
        return;
      }
      if (st !== undefined) {
        if (!this.opts.force) {
          if (st.isSymbolicLink())
            throw new UnsafePathError(
              dir,
              'is a symlink in the worktree where the tree has a folder; cairn never writes through a symlink (use --force to replace it)',
            );
          throw new DirtyWorktreeError([dir], 'writing this folder');
        }
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

  /**
   * Writes many leaves, in input order for the results. New regular files go to a pool of worker
   * threads when there are enough of them (see write-pool.ts); symlinks, files replacing
   * something, and anything a worker found already present are written here.
   */
  writeMany(
    items: readonly { leaf: Leaf; present: boolean }[],
    opts: { threads?: number; onDone?: (done: number) => void } = {},
  ): (IndexEntry | undefined)[] {
    const out: (IndexEntry | undefined)[] = new Array(items.length);
    const serial: number[] = [];
    const pooled: number[] = [];
    for (let i = 0; i < items.length; i++) (items[i]!.leaf.kind !== 'symlink' && !items[i]!.present ? pooled : serial).push(i);
    let done = 0;
    const repoRoot = this.opts.repoRoot;
    const existed = new Set<number>();
    if (pooled.length > 0 && repoRoot !== undefined && poolAvailable(pooled.length, opts.threads)) {
      const jobs: PoolJob[] = pooled.map((i) => ({ leaf: items[i]!.leaf, abs: this.abs(items[i]!.leaf.path) }));
      const pool = startPool(repoRoot, jobs, { stats: this.opts.stats !== false, threads: opts.threads });
      try {
        for (const { leaf } of jobs) {
          const slash = leaf.path.lastIndexOf('/');
          this.ensureDir(slash < 0 ? '' : leaf.path.slice(0, slash));
        }
      } catch (err) {
        pool.abort();
        throw err;
      }
      pool.go();
      const res = pool.wait((n) => opts.onDone?.(n));
      this.opts.onBytes?.(res.bytes);
      pooled.forEach((i, k) => {
        const st = res.stats[k];
        if (st !== undefined)
          out[i] = {
            path: items[i]!.leaf.path,
            kind: items[i]!.leaf.kind,
            id: items[i]!.leaf.id,
            size: st[0],
            mtimeNs: st[1],
            ctimeNs: st[2],
            ino: st[3],
          };
      });
      const paths = new Set(res.existed.map((j) => j.leaf.path));
      for (const i of pooled) if (paths.has(items[i]!.leaf.path)) existed.add(i);
      serial.push(...existed);
      done = pooled.length - existed.size;
    } else serial.push(...pooled);
    for (const i of serial) {
      out[i] = this.write(items[i]!.leaf, items[i]!.present || existed.has(i));
      opts.onDone?.(++done);
    }
    return out;
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

  private clearDirectory(path: string, abs: string): void {
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
   * The target of a symlink leaf, read and checked (kept inside the folder, valid UTF-8).
   * Callers check every symlink before writing anything, so a hostile one refuses the whole
   * checkout up front rather than half-way.
   */
  symlinkTarget(leaf: Leaf): string {
    const known = this.targets.get(leaf.path);
    if (known !== undefined && known.id === leaf.id) return known.target;
    const bytes = Buffer.concat([...fileContent(this.store, leaf.id)]);
    let target: string;
    try {
      target = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new UnsafePathError(leaf.path, 'symlink target is not valid UTF-8');
    }
    const problem = symlinkTargetProblem(leaf.path, target);
    if (problem !== null) throw new UnsafePathError(leaf.path, problem);
    this.targets.set(leaf.path, { id: leaf.id, target });
    return target;
  }

  private writeSymlink(leaf: Leaf, abs: string, exists: boolean): Stats | undefined {
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

  private writeFile(leaf: Leaf, abs: string, exists: boolean): Stats | undefined {
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
  private fill(fd: number, leaf: Leaf, viaTemp: boolean): Stats | undefined {
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

  private tempFor(abs: string): string {
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
