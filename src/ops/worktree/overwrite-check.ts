// Which paths a checkout may overwrite without losing work: a path that changes between the two
// trees must be clean (index at either tree, worktree at the index or already at the target), and
// nothing untracked may stand where the target puts a file or a folder. Reads never follow a
// symlink: a path below a symlinked or missing folder counts as absent.
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import type { ObjectId } from '../../core/hash.js';
import { HASH_ONLY } from '../../store/object-store.js';
import { storePath, storeSymlink } from '../../store/file-writer.js';
import type { IndexEntry } from '../../store/worktree-index.js';
import type { Leaf } from '../tree/tree-walk.js';
import type { TreeChange } from '../tree/tree-changes.js';
import { statMatches } from './file-state.js';
import { kindOf, statFields, type WorktreeFile } from './scan.js';

export interface ProbeInput {
  /** `abs(path)`: validated absolute path (WorktreeWriter.abs). */
  abs: (path: string) => string;
  index: (path: string) => IndexEntry | undefined;
  /** Index write time in ns: stat data of files modified since then is not trusted. */
  racyNs: number;
}

export interface ConflictInput extends ProbeInput {
  /**
   * A rerun of an interrupted checkout to the same tree: files at paths new in the target (absent
   * from both the old tree and the index) were written by that run and may be overwritten.
   */
  trustNew: boolean;
}

export interface ConflictResult {
  /** Paths holding work the checkout would destroy, sorted. */
  dirty: string[];
  /** Paths whose worktree content already equals the target leaf, with fresh stat data. */
  atTarget: Map<string, WorktreeFile>;
  /** Paths where something exists in the worktree now. */
  present: Set<string>;
  /** Removed paths whose worktree file is untracked (not in the index): left alone, as git does. */
  keep: Set<string>;
}

type DirState = 'dir' | 'missing' | 'blocked';

/** Cached, symlink-safe views of the worktree: folder states, lstat, content ids. */
class Probe {
  private readonly dirs = new Map<string, DirState>([['', 'dir']]);
  constructor(readonly input: ProbeInput) {}

  dirState(d: string): DirState {
    const known = this.dirs.get(d);
    if (known !== undefined) return known;
    // Unknown folders from `d` up to the first known one, then decided top-down (no recursion:
    // a tree may be MAX_TREE_DEPTH deep).
    const chain: string[] = [];
    let cur = d;
    while (!this.dirs.has(cur)) {
      chain.push(cur);
      cur = parentOf(cur);
    }
    let s = this.dirs.get(cur)!;
    for (let k = chain.length - 1; k >= 0; k--) {
      if (s === 'dir') {
        const st = this.lstat(chain[k]!);
        s = st === undefined ? 'missing' : st.isDirectory() ? 'dir' : 'blocked';
      } else s = 'missing';
      this.dirs.set(chain[k]!, s);
    }
    return s;
  }

  /** lstat of `p`, or undefined when absent or not reachable through real folders. */
  stat(p: string): Stats | undefined {
    return this.dirState(parentOf(p)) === 'dir' ? this.lstat(p) : undefined;
  }

  /** Whether the file `st` at `p` holds `leaf` (kind and content), trusting fresh index stat data. */
  holds(p: string, st: Stats, leaf: { kind: string; id: ObjectId }): WorktreeFile | undefined {
    const kind = kindOf(st);
    if (kind === undefined || kind !== leaf.kind) return undefined;
    const wt: WorktreeFile = { path: p, kind, ...statFields(st) };
    const idx = this.input.index(p);
    // Fresh stat data proves the file still holds the index's content: no need to read it.
    if (idx !== undefined && idx.kind === kind && statMatches(idx, wt) && idx.mtimeNs < this.input.racyNs)
      return idx.id === leaf.id ? wt : undefined;
    return this.hash(p, kind) === leaf.id ? wt : undefined;
  }

  hash(p: string, kind: string): ObjectId | undefined {
    try {
      return kind === 'symlink' ? storeSymlink(HASH_ONLY, this.input.abs(p)).id : storePath(HASH_ONLY, this.input.abs(p)).id;
    } catch {
      return undefined;
    }
  }

  private lstat(p: string): Stats | undefined {
    try {
      return lstatSync(this.input.abs(p));
    } catch {
      return undefined;
    }
  }
}

export function findConflicts(input: ConflictInput, changes: readonly TreeChange[]): ConflictResult {
  const probe = new Probe(input);
  const dirty = new Set<string>();
  const atTarget = new Map<string, WorktreeFile>();
  const present = new Set<string>();
  const keep = new Set<string>();
  const removed = new Set<string>();
  for (const c of changes) if (c.old !== undefined && c.new === undefined) removed.add(c.path);

  for (const c of changes) {
    if (c.new !== undefined) {
      // The first non-folder above the path must be a tracked file this checkout removes.
      for (const dir of ancestors(c.path)) {
        const s = probe.dirState(dir);
        if (s === 'missing') break;
        if (s === 'blocked') {
          if (!removed.has(dir)) dirty.add(dir);
          break;
        }
      }
    }
    const st = probe.stat(c.path);
    if (st === undefined) continue; // nothing of ours there to lose
    present.add(c.path);
    const idx = input.index(c.path);
    if (c.new === undefined && idx === undefined) {
      keep.add(c.path);
      continue;
    }
    const stagedOk = sameLeaf(idx, c.old) || sameLeaf(idx, c.new);
    if (st.isDirectory()) {
      // Only tracked files that this checkout removes may be inside a folder that must go.
      for (const f of listFiles(input.abs(c.path), c.path)) if (!removed.has(f)) dirty.add(f);
      if (!stagedOk) dirty.add(c.path);
      continue;
    }
    if (c.new !== undefined) {
      const wt = probe.holds(c.path, st, c.new);
      if (wt !== undefined) {
        if (stagedOk) atTarget.set(c.path, wt);
        else dirty.add(c.path);
        continue;
      }
    }
    if (!stagedOk) dirty.add(c.path);
    else if (idx !== undefined && probe.holds(c.path, st, idx) !== undefined) continue;
    else if (input.trustNew && c.old === undefined && idx === undefined) continue;
    else dirty.add(c.path);
  }
  return { dirty: [...dirty].sort(), atTarget, present, keep };
}

export interface MatchResult {
  /** Leaves the worktree already holds (kind and content), with fresh stat data. */
  same: Map<string, WorktreeFile>;
  /** Leaves whose path is occupied by something else (a different file, a folder...). */
  occupied: Set<string>;
}

/** Which leaves the worktree already holds; used by forced checkouts and restore. */
export function matchWorktree(input: ProbeInput, leaves: Iterable<Leaf>): MatchResult {
  const probe = new Probe(input);
  const same = new Map<string, WorktreeFile>();
  const occupied = new Set<string>();
  for (const l of leaves) {
    const st = probe.stat(l.path);
    if (st === undefined) continue;
    const wt = st.isDirectory() ? undefined : probe.holds(l.path, st, l);
    if (wt !== undefined) same.set(l.path, wt);
    else occupied.add(l.path);
  }
  return { same, occupied };
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** 'a', 'a/b' for 'a/b/c'. */
function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) out.push(p.slice(0, i));
  return out;
}

function sameLeaf(a: { kind: string; id: ObjectId } | undefined, b: Leaf | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.kind === b.kind && a.id === b.id;
}

/** Every non-folder below `absDir` (as repo paths under `dir`), without following symlinks. */
function listFiles(absDir: string, dir: string): string[] {
  const out: string[] = [];
  // Names read from disk are not validated tree names: absolute paths are built by hand.
  const walk = (d: string, abs: string) => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(`${d}/${e.name}`, `${abs}/${e.name}`);
      else out.push(`${d}/${e.name}`);
    }
  };
  walk(dir, absDir);
  return out;
}
