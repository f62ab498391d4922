// `resolve PATH`: settle a conflicted path of a stopped merge and stage it. --ours/--theirs re-run
// the file's driver with that side favored (both sides' clean changes stay; each conflict takes
// that side), or, for path-level conflicts, take that side's version of the path (absent: the
// file is deleted). --pointer P (JSON) settles one conflict inside the file with --value or a side's
// value. No option: the worktree as the user left it is the resolution.
import { closeSync, lstatSync, openSync, readFileSync, constants as fsc } from 'node:fs';
import { NotFoundError, UsageError } from '../../errors.js';
import { getAtPointer } from '../../core/merge/json-pointer.js';
import { parseJson } from '../../core/merge/json-parse.js';
import { patchJson, type JsonPatchOp } from '../../core/merge/json-patch.js';
import { storeBuffer } from '../../store/file-writer.js';
import type { Repository } from '../../store/repository.js';
import { readWholeFile } from '../../store/typed-objects.js';
import { add } from '../add.js';
import { runDriver } from './drivers.js';
import { readMergeState, unresolvedPaths, writeMergeState, type MergeState } from './state.js';
import type { ConflictedPath, Side } from './merge-tree.js';
import type { Leaf } from '../tree/tree-walk.js';
import { WorktreeWriter } from '../worktree/writer.js';

export interface ResolveOptions {
  paths: readonly string[];
  /** Take this side (see the file comment); with `pointer`, that side's value at the pointer. */
  take?: Side;
  /** JSON Pointer of one conflict in a JSON file. */
  pointer?: string;
  /** JSON text of the value to put at `pointer`. */
  value?: string;
}

export interface ResolveResult {
  resolved: { path: string; location?: string; how: Side | 'value' | 'worktree' }[];
  /** Conflicted paths still unresolved. */
  remaining: string[];
}

export function resolveConflicts(repo: Repository, opts: ResolveOptions): ResolveResult {
  const state = readMergeState(repo);
  if (state === null) throw new UsageError('there is no merge in progress: nothing to resolve');
  if (state.phase !== 'conflicts')
    throw new UsageError(
      `the merge of '${state.theirsLabel}' was interrupted; run 'cairn merge ${state.theirsLabel}' to finish writing it first`,
    );
  if (opts.paths.length === 0) throw new UsageError("resolve: name the conflicted paths (see 'cairn conflicts')");
  if (opts.value !== undefined && opts.pointer === undefined) throw new UsageError('--value needs --pointer');
  if (opts.pointer !== undefined) {
    if (opts.paths.length !== 1) throw new UsageError('--pointer applies to one path');
    if ((opts.value === undefined) === (opts.take === undefined))
      throw new UsageError('--pointer needs --value JSON, or --ours / --theirs');
  }
  const r = new Resolver(repo, state);
  const result: ResolveResult = { resolved: [], remaining: [] };
  for (const path of opts.paths) {
    const cp =
      state.paths.find((p) => p.path === path) ?? state.paths.find((p) => [p.movedTo, p.ours?.path, p.theirs?.path].includes(path));
    if (cp === undefined) throw new NotFoundError('conflicted path', path, "see 'cairn conflicts' for the paths this merge left");
    if (opts.pointer !== undefined) {
      r.pointer(cp, opts.pointer, opts.value, opts.take);
      result.resolved.push({ path: cp.path, location: opts.pointer, how: opts.value !== undefined ? 'value' : opts.take! });
      continue;
    }
    if (opts.take !== undefined) r.side(cp, opts.take);
    else r.worktree(cp);
    for (const c of cp.conflicts) c.resolved = true;
    cp.resolved = true;
    result.resolved.push({ path: cp.path, how: opts.take ?? 'worktree' });
  }
  repo.objects.flush();
  r.stage();
  writeMergeState(repo, state);
  result.remaining = unresolvedPaths(state).map((p) => p.path);
  return result;
}

class Resolver {
  private readonly writer: WorktreeWriter;
  private readonly upserts = new Map<string, ReturnType<WorktreeWriter['write']>>();
  private readonly removals = new Set<string>();
  private readonly fromWorktree = new Set<string>();

  constructor(
    private readonly repo: Repository,
    private readonly state: MergeState,
  ) {
    this.writer = new WorktreeWriter(repo.root, repo.objects, { force: true, stats: true });
  }

  side(cp: ConflictedPath, side: Side): void {
    const leaf = cp[side];
    if (cp.kind === 'directory-file') {
      throw new UsageError(
        `'${cp.path}' is a directory/file collision: move or delete what you do not want (the file is at '${cp.movedTo}'), then run 'cairn resolve ${cp.path}'`,
        { path: cp.path },
      );
    }
    if (cp.kind === 'rename-rename') {
      const other = cp[side === 'ours' ? 'theirs' : 'ours'];
      if (other !== null) this.remove(other.path);
      if (leaf !== null) this.put(leaf);
      return;
    }
    if (cp.driver !== null && cp.ours !== null && cp.theirs !== null) {
      const store = this.repo.objects;
      const out = runDriver(
        { name: cp.driver, options: cp.options ?? {} },
        {
          base: cp.base === null || cp.base.kind === 'symlink' ? null : readWholeFile(store, cp.base.id),
          ours: readWholeFile(store, cp.ours.id),
          theirs: readWholeFile(store, cp.theirs.id),
          path: cp.path,
          labels: { ours: 'ours', theirs: this.state.theirsLabel },
          favor: side,
        },
      );
      const kind = this.repo.index.get(cp.path)?.kind ?? cp.ours.kind;
      this.putContent(cp.path, kind === 'tree' ? 'file' : kind, out.content);
      return;
    }
    if (leaf === null) this.remove(cp.path);
    else this.put({ ...leaf, path: cp.path });
  }

  pointer(cp: ConflictedPath, pointer: string, value: string | undefined, side: Side | undefined): void {
    if (cp.driver !== 'json')
      throw new UsageError(
        `--pointer applies to conflicts inside JSON files; '${cp.path}' was merged with the ${cp.driver ?? 'tree'} rules: use --ours, --theirs, or edit it and run 'cairn resolve ${cp.path}'`,
        { path: cp.path },
      );
    const entry = cp.conflicts.find((c) => c.location === pointer);
    if (entry === undefined)
      throw new NotFoundError(
        'conflict',
        `${cp.path}:${pointer}`,
        `the conflicts in '${cp.path}' are at ${cp.conflicts.map((c) => c.location || '(root)').join(', ')}`,
      );
    const current = this.read(cp.path);
    const next = value !== undefined ? parseJson(value, '--value') : entry[side!];
    const exists = getAtPointer(parseJson(current, `JSON file '${cp.path}'`), pointer) !== undefined;
    const ops: JsonPatchOp[] =
      next === undefined
        ? exists
          ? [{ op: 'remove', path: pointer }]
          : []
        : [{ op: exists ? 'replace' : 'add', path: pointer, value: next }];
    const kind = this.repo.index.get(cp.path)?.kind;
    this.putContent(cp.path, kind === 'exec' ? 'exec' : 'file', patchJson(current, ops, `JSON file '${cp.path}'`));
    entry.resolved = true;
    cp.resolved = cp.conflicts.every((c) => c.resolved);
  }

  /** The user's worktree is the answer: stage whatever is at the conflict's paths now. */
  worktree(cp: ConflictedPath): void {
    for (const p of new Set([cp.path, cp.movedTo, cp.ours?.path, cp.theirs?.path])) {
      if (p === undefined) continue;
      if (exists(this.writer.abs(p))) this.fromWorktree.add(p);
      else if (this.repo.index.get(p) !== undefined) this.removals.add(p);
    }
  }

  /** Records every change in the index (objects are flushed by the caller first). */
  stage(): void {
    const entries = [...this.upserts.values()].filter((e) => e !== undefined);
    this.repo.index.apply(
      entries,
      [...this.removals].filter((p) => !this.upserts.has(p)),
    );
    if (this.fromWorktree.size > 0) add(this.repo, { paths: [...this.fromWorktree] });
  }

  private put(leaf: Leaf): void {
    this.removals.delete(leaf.path);
    if (leaf.kind === 'symlink') this.writer.symlinkTarget(leaf);
    this.upserts.set(leaf.path, this.writer.write(leaf, true));
  }

  private putContent(path: string, kind: 'file' | 'exec' | 'symlink', content: Buffer): void {
    const stored = storeBuffer(this.repo.objects, content);
    // The writer reads content back from the store: make it visible first.
    this.repo.objects.flush();
    this.put({ path, kind, id: stored.id, size: stored.size });
  }

  private remove(path: string): void {
    this.writer.remove(path);
    this.upserts.delete(path);
    if (this.repo.index.get(path) !== undefined) this.removals.add(path);
  }

  /** A worktree file's bytes, never through a symlink. */
  private read(path: string): Buffer {
    let fd: number;
    try {
      fd = openSync(this.writer.abs(path), fsc.O_RDONLY | fsc.O_NOFOLLOW);
    } catch (err) {
      throw new NotFoundError(
        `cannot read '${path}' (${(err as NodeJS.ErrnoException).code}); restore it with 'cairn resolve ${path} --ours' first`,
        { path },
      );
    }
    try {
      return readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function exists(abs: string): boolean {
  try {
    lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}
