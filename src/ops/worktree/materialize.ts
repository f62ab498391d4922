// Checking a tree out into the worktree: decide what changes, refuse to destroy uncommitted work,
// write files (streaming, temp + rename over existing ones), delete what the target lacks, then
// record the new entries and their stat data in the index in one transaction.
//
// Crash safety (docs/FORMAT.md §15.2): the order is files, then index, then HEAD (the caller's `moveHead`).
// Before touching the worktree a marker naming the source and target trees is written to .cairn; a
// rerun between the same two trees may overwrite files at paths new in the target (a new file is
// written in place for speed, so a kill can leave it partial), and files already equal to the
// target count as clean, so the rerun finishes the job instead of refusing because of its own
// half-written work. The source must match too: a marker left by a kill after HEAD moved outlives
// later commits, and must not vouch for untracked files when the same target comes up again.
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DirtyWorktreeError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import { writeFileAtomic } from '../../store/atomic-file.js';
import type { Repository } from '../../store/repository.js';
import type { CachedTree, IndexEntry } from '../../store/worktree-index.js';
import type { ProgressFn } from '../progress.js';
import type { Leaf } from '../tree/tree-walk.js';
import { findConflicts, matchWorktree } from './overwrite-check.js';
import { treeChanges } from '../tree/tree-changes.js';
import { WorktreeWriter } from './writer.js';
import { updateWorktree } from './worktree-update.js';
import { writeProgress } from './write-progress.js';

export interface MaterializeOptions {
  /** The tree HEAD holds now (what the index and worktree are measured against); null: none. */
  from: ObjectId | null;
  /** The tree to check out; null: the empty tree. */
  to: ObjectId | null;
  /** Discard local changes and replace untracked files in the way (reset --hard, switch --force). */
  force?: boolean;
  /** Names the operation in a DirtyWorktreeError ("switch", "checkout"). */
  action?: string;
  /** Runs after the index is written (moves HEAD); the crash marker is cleared after it. */
  moveHead?: () => void;
  onProgress?: ProgressFn;
  /** Worker threads for writing new files: undefined = automatic (many files), 0 = none. */
  threads?: number;
}

export interface MaterializeResult {
  /** Files written (or found already right and re-stat'ed). */
  updated: number;
  removed: number;
  bytes: number;
}

const MARKER = 'checkout-pending';

export function materialize(repo: Repository, opts: MaterializeOptions): MaterializeResult {
  const plan = opts.force ? planHard(repo, opts.to) : planSafe(repo, opts);
  if (plan.writes.length === 0 && plan.removes.length === 0 && plan.refresh.length === 0 && !plan.replaceAll) {
    opts.moveHead?.();
    return { updated: 0, removed: 0, bytes: 0 };
  }
  let bytes = 0;
  const progress = writeProgress(
    opts.onProgress,
    opts.action ?? 'checkout',
    plan.writes.map((w) => w.leaf),
    plan.removes.length,
  );
  const onBytes = (n: number) => {
    bytes += n;
    progress.bytes(n);
  };
  const writer = new WorktreeWriter(repo.root, repo.objects, { force: opts.force, stats: true, repoRoot: repo.root, onBytes });
  const markerPath = join(repo.cairnDir, MARKER);
  const update = updateWorktree(writer, plan.writes, plan.removes, {
    threads: opts.threads,
    onDone: progress.files,
    beforeWrite: () => writeFileAtomic(markerPath, JSON.stringify({ from: opts.from, to: opts.to })),
    // Staging failed and was undone: the worktree is as it was, and a marker left behind would
    // vouch for files at new paths that are the user's again (docs/FORMAT.md §15.2).
    onUndone: () => removeMarker(markerPath),
  });
  const entries: IndexEntry[] = [...plan.refresh];
  for (const e of update.entries) if (e !== undefined) entries.push(e);
  const removed = update.removed.length;
  repo.index.apply(entries, plan.removes, plan.replaceAll ? { replaceAll: true, trees: plan.trees } : {});
  opts.moveHead?.();
  removeMarker(markerPath);
  return { updated: plan.writes.length + plan.refresh.length - plan.unchanged, removed, bytes };
}

interface Plan {
  writes: { leaf: Leaf; present: boolean }[];
  removes: string[];
  /** Index entries to record without writing (already right in the worktree). */
  refresh: IndexEntry[];
  /** How many of `refresh` were already right in the index too (not reported as updated). */
  unchanged: number;
  replaceAll: boolean;
  trees?: CachedTree[];
}

/** Two-tree checkout: only paths that differ between `from` and `to` are touched. */
function planSafe(repo: Repository, opts: MaterializeOptions): Plan {
  const fresh = opts.from === null && repo.index.count() === 0;
  const trees: CachedTree[] | undefined = fresh ? [] : undefined;
  const changes = treeChanges(repo.objects, opts.from, opts.to, trees);
  let index: (p: string) => IndexEntry | undefined;
  if (fresh) index = () => undefined;
  else if (changes.length > 2000) {
    const all = new Map(repo.index.all().map((e) => [e.path, e]));
    index = (p) => all.get(p);
  } else index = (p) => repo.index.get(p);
  const writer = new WorktreeWriter(repo.root, repo.objects);
  const found = findConflicts(
    { abs: (p) => writer.abs(p), index, racyNs: repo.index.writtenAt() * 1e6, trustNew: markerMatches(repo, opts.from, opts.to) },
    changes,
  );
  if (found.dirty.length > 0) throw new DirtyWorktreeError(found.dirty, opts.action ?? 'checkout');
  const plan: Plan = { writes: [], removes: [], refresh: [], unchanged: 0, replaceAll: fresh, trees };
  for (const c of changes) {
    if (c.new === undefined) {
      if (!found.keep.has(c.path)) plan.removes.push(c.path);
      continue;
    }
    const wt = found.atTarget.get(c.path);
    if (wt !== undefined) plan.refresh.push({ ...wt, kind: c.new.kind, id: c.new.id });
    else plan.writes.push({ leaf: c.new, present: found.present.has(c.path) });
  }
  return plan;
}

/** Checkout that discards local changes: the index and every tracked file end up at `to`. */
function planHard(repo: Repository, to: ObjectId | null): Plan {
  const trees: CachedTree[] = [];
  const target = treeChanges(repo.objects, null, to, trees).map((c) => c.new!);
  const index = new Map(repo.index.all().map((e) => [e.path, e]));
  const writer = new WorktreeWriter(repo.root, repo.objects);
  const found = matchWorktree({ abs: (p) => writer.abs(p), index: (p) => index.get(p), racyNs: repo.index.writtenAt() * 1e6 }, target);
  const plan: Plan = { writes: [], removes: [], refresh: [], unchanged: 0, replaceAll: true, trees };
  const want = new Set<string>();
  for (const l of target) {
    want.add(l.path);
    const idx = index.get(l.path);
    const wt = found.same.get(l.path);
    if (wt === undefined) {
      plan.writes.push({ leaf: l, present: found.occupied.has(l.path) });
      continue;
    }
    const same = idx !== undefined && idx.kind === l.kind && idx.id === l.id && idx.mtimeNs === wt.mtimeNs && idx.ino === wt.ino;
    if (same) plan.unchanged++;
    plan.refresh.push(same ? idx : { ...wt, kind: l.kind, id: l.id });
  }
  for (const [p, e] of index) if (!want.has(p) && e.kind !== 'tree') plan.removes.push(p);
  return plan;
}

function removeMarker(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

function markerMatches(repo: Repository, from: ObjectId | null, to: ObjectId | null): boolean {
  try {
    const m = JSON.parse(readFileSync(join(repo.cairnDir, MARKER), 'utf8')) as { from?: unknown; to?: unknown };
    return m.from === from && m.to === to;
  } catch {
    return false;
  }
}

/**
 * Deletes a crash marker whose checkout finished (HEAD already at its target tree): a kill between
 * moving HEAD and deleting the marker must not leave it to vouch for files in a later checkout.
 */
export function clearFinishedMarker(repo: Repository, headTree: ObjectId | null): void {
  try {
    const m = JSON.parse(readFileSync(join(repo.cairnDir, MARKER), 'utf8')) as { to?: unknown };
    if (m.to === headTree) unlinkSync(join(repo.cairnDir, MARKER));
  } catch {
    /* no marker */
  }
}
