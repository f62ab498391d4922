// `reset`: move the current branch (or detached HEAD) to a commit, by compare-and-swap with a
// reflog entry; --mixed (default) also resets the index, --hard the index and the worktree.
// `reset [REV] -- PATH...` only resets those index entries (unstages), as in git.
import { UsageError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import type { Repository } from '../store/repository.js';
import { readCommit } from '../store/typed-objects.js';
import type { IndexEntry } from '../store/worktree-index.js';
import { materialize } from './worktree/materialize.js';
import { treeChanges } from './tree/tree-changes.js';
import type { ProgressFn } from './progress.js';
import { clearMergeState } from './merge/state.js';
import { restore } from './restore.js';
import { currentBranch, resolveRevision } from './history/rev-parse.js';

export type ResetMode = 'soft' | 'mixed' | 'hard';

export interface ResetOptions {
  /** Target revision; default HEAD. */
  rev?: string;
  mode?: ResetMode;
  /** Only reset these index entries (no ref moves); mode must be mixed. */
  paths?: readonly string[];
  who?: string;
  onProgress?: ProgressFn;
}

export interface ResetResult {
  mode: ResetMode;
  branch: string | null;
  previous: ObjectId | null;
  head: ObjectId | null;
  /** Index entries changed (mixed, hard, paths). */
  unstaged: string[];
  /** Worktree files rewritten and removed (hard). */
  updated: number;
  removed: number;
  /** The index could not be read and was rebuilt from HEAD's tree before the reset (mixed, hard). */
  rebuiltIndex: boolean;
}

export function reset(repo: Repository, opts: ResetOptions): ResetResult {
  const mode = opts.mode ?? 'mixed';
  const branch = currentBranch(repo);
  const headRef = repo.refs.resolveName('HEAD');
  const previous = headRef.id;
  if (opts.paths !== undefined && opts.paths.length > 0) {
    if (mode !== 'mixed')
      throw new UsageError(`reset --${mode} cannot be used with paths; use 'cairn restore --source REV PATH' to change files`);
    const r = restore(repo, { paths: opts.paths, source: opts.rev, staged: true, worktree: false });
    return { mode, branch, previous, head: previous, unstaged: r.staged, updated: 0, removed: 0, rebuiltIndex: false };
  }
  // An unborn HEAD resets to "no commit": the index empties (and, hard, tracked files go).
  const target = opts.rev === undefined && previous === null ? null : resolveRevision(repo, opts.rev ?? 'HEAD');
  const who = opts.who ?? 'cairn';
  const moveRef = () => {
    if (target === null || target === previous) return;
    // CAS from the value read at the start: a concurrent commit makes this fail, not vanish.
    repo.refs.update([{ name: headRef.name, expected: previous, next: target }], who, `reset: moving to ${opts.rev ?? 'HEAD'}`);
  };
  const toTree = target === null ? null : readCommit(repo.objects, target).tree;
  let unstaged: string[] = [];
  let updated = 0;
  let removed = 0;
  // A damaged index is rebuilt from HEAD's tree (stat data unknown, so the next status re-reads
  // every file), whatever it held: `cairn reset` is the documented repair (docs/FORMAT.md §14.1).
  // For --hard this also tells the checkout which files HEAD tracks, so those not at REV go.
  const rebuiltIndex = mode !== 'soft' && !repo.index.isReadable();
  if (rebuiltIndex) resetIndex(repo, previous === null ? null : readCommit(repo.objects, previous).tree);
  if (mode === 'soft') moveRef();
  else if (mode === 'mixed') {
    unstaged = resetIndex(repo, toTree);
    moveRef();
  } else {
    const before = new Map(repo.index.all().map((e) => [e.path, e]));
    const fromTree = previous === null ? null : readCommit(repo.objects, previous).tree;
    const res = materialize(repo, {
      from: fromTree,
      to: toTree,
      force: true,
      action: 'reset',
      moveHead: moveRef,
      onProgress: opts.onProgress,
    });
    updated = res.updated;
    removed = res.removed;
    unstaged = changedEntries(before, repo.index.all());
    // As in git, a hard reset abandons a merge in progress: its conflicts were just overwritten.
    clearMergeState(repo);
  }
  return { mode, branch, previous, head: target ?? previous, unstaged, updated, removed, rebuiltIndex };
}

/** Replaces the index by `tree`, keeping stat data of entries whose content is unchanged. */
function resetIndex(repo: Repository, tree: ObjectId | null): string[] {
  const before = new Map(repo.index.isReadable() ? repo.index.all().map((e) => [e.path, e]) : []);
  const trees: { path: string; id: ObjectId; size: number }[] = [];
  const leaves = treeChanges(repo.objects, null, tree, trees).map((c) => c.new!);
  const entries: IndexEntry[] = leaves.map((l) => {
    const old = before.get(l.path);
    const keep = old !== undefined && old.kind === l.kind && old.id === l.id;
    return keep ? old : { path: l.path, kind: l.kind, id: l.id, size: l.size, mtimeNs: 0, ctimeNs: 0, ino: 0 };
  });
  repo.index.apply(entries, [], { replaceAll: true, trees });
  return changedEntries(before, entries);
}

function changedEntries(before: Map<string, IndexEntry>, after: readonly IndexEntry[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of after) {
    seen.add(e.path);
    const old = before.get(e.path);
    if (old === undefined || old.kind !== e.kind || old.id !== e.id) out.push(e.path);
  }
  for (const p of before.keys()) if (!seen.has(p)) out.push(p);
  return out.sort();
}
