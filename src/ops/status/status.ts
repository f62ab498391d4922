// `status`: what is staged (HEAD vs index), what is not (index vs worktree) and what is untracked.
// Fast on big trees: unchanged directories are pruned by the index's cached tree ids, and files
// whose stat data matches the index are not read.
import type { ObjectId } from '../../core/hash.js';
import type { EntryKind } from '../../core/tree-object.js';
import type { Repository } from '../../store/repository.js';
import type { IndexEntry } from '../../store/worktree-index.js';
import { readCommit } from '../../store/typed-objects.js';
import { aheadBehind } from '../history/ahead-behind.js';
import { mergeInProgress, type MergeInProgress } from '../merge/state.js';
import { currentBranch, headCommit } from '../history/rev-parse.js';
import { flattenTree, type Leaf } from '../tree/tree-walk.js';
import { getUpstream } from '../remote/upstream.js';
import { scanWorktree, underPath } from '../worktree/scan.js';
import { hashWorktreeFile, statMatches } from '../worktree/file-state.js';
import { parallelCompare, type RawWorktreeChanges } from './scan.js';

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'typechange';

export interface Change {
  path: string;
  change: ChangeKind;
  oldId?: ObjectId;
  newId?: ObjectId;
  oldSize?: number;
  newSize?: number;
  oldKind?: Exclude<EntryKind, 'tree'>;
  newKind?: Exclude<EntryKind, 'tree'>;
}

export interface StatusResult {
  branch: string | null;
  head: ObjectId | null;
  staged: Change[];
  unstaged: Change[];
  untracked: string[];
  unstorable: { path: string; reason: string }[];
  /** E.g. a .cairnignore that is a symlink and was not applied; present only when there are some. */
  warnings?: string[];
  /** Present only while a merge is stopped on conflicts (or was interrupted). */
  merge?: MergeInProgress;
  /** The current branch against its upstream; present only when asked for and one is configured. */
  upstream?: UpstreamStatus;
}

export interface UpstreamStatus {
  /** As shown: '<remote>/<branch>'. */
  name: string;
  remote: string;
  /** refs/remotes/<remote>/<branch>. */
  trackingRef: string;
  /** The remote-tracking ref does not exist (never fetched, or deleted on the remote). */
  gone: boolean;
  /** Commits on the branch, not on the upstream; 0 when gone. */
  ahead: number;
  /** Commits on the upstream, not on the branch; 0 when gone. */
  behind: number;
}

export interface StatusOptions {
  /** Limit to these repository paths (files or directories). */
  paths?: readonly string[];
  /** Skip listing untracked files (faster; `switch` only needs tracked changes). */
  untracked?: boolean;
  /** Compare the current branch with its upstream (only `cairn status` shows it). Default false. */
  upstream?: boolean;
}

export function status(repo: Repository, opts: StatusOptions = {}): StatusResult {
  const head = headCommit(repo);
  const staged = stagedIfAny(repo, head, opts.paths);
  const wt = worktreeChanges(repo, undefined, opts);
  const merge = mergeInProgress(repo);
  const branch = currentBranch(repo);
  // An unborn branch has nothing to compare yet: git says nothing there either.
  const upstream = opts.upstream && branch !== null && head !== null ? upstreamStatus(repo, branch, head) : undefined;
  return {
    branch,
    head,
    staged,
    unstaged: wt.changes,
    untracked: wt.untracked,
    unstorable: wt.unstorable,
    ...(wt.warnings.length > 0 ? { warnings: wt.warnings } : {}),
    ...(merge ? { merge } : {}),
    ...(upstream ? { upstream } : {}),
  };
}

/**
 * `branch` (at `head`) against its upstream's remote-tracking ref; undefined when no upstream is
 * configured, which costs two config reads: status stays fast for branches that track nothing.
 */
export function upstreamStatus(repo: Repository, branch: string, head: ObjectId): UpstreamStatus | undefined {
  const up = getUpstream(repo, branch);
  if (up === undefined) return undefined;
  const tracking = repo.refs.resolve(up.trackingRef);
  const base = { name: up.shortName, remote: up.remote, trackingRef: up.trackingRef };
  if (tracking === null) return { ...base, gone: true, ahead: 0, behind: 0 };
  return { ...base, gone: false, ...aheadBehind(repo.objects, head, tracking) };
}

/**
 * Staged changes, without decoding the index when the cached root tree equals HEAD's tree (the
 * cache is dropped on every index change, so equal ids mean nothing is staged).
 */
function stagedIfAny(repo: Repository, head: ObjectId | null, paths?: readonly string[]): Change[] {
  if (head !== null && repo.index.cachedTrees().get('')?.id === readCommit(repo.objects, head).tree) return [];
  return stagedChanges(repo, head, repo.index.all(), paths);
}

/** HEAD's tree against the index, skipping directories whose cached tree id equals HEAD's. */
export function stagedChanges(
  repo: Repository,
  head: ObjectId | null,
  entries: readonly IndexEntry[],
  paths?: readonly string[],
): Change[] {
  const cached = repo.index.cachedTrees();
  const pruned: string[] = [];
  let headLeaves: Leaf[] = [];
  if (head !== null) {
    const tree = readCommit(repo.objects, head).tree;
    headLeaves = flattenTree(repo.objects, tree, '', (dir, id) => {
      if (cached.get(dir)?.id === id) {
        pruned.push(dir);
        return true;
      }
      return false;
    });
  }
  const isPruned = (p: string) => pruned.some((d) => underPath(p, d));
  const inScope = (p: string) => paths === undefined || paths.some((s) => underPath(p, s));
  const headMap = new Map(headLeaves.map((l) => [l.path, l]));
  const changes: Change[] = [];
  for (const e of entries) {
    if (e.kind === 'tree' || !inScope(e.path)) continue;
    const h = headMap.get(e.path);
    if (h === undefined) {
      if (pruned.length === 0 || !isPruned(e.path))
        changes.push({ path: e.path, change: 'added', newId: e.id, newSize: e.size, newKind: e.kind });
      continue;
    }
    headMap.delete(e.path);
    if (h.kind !== e.kind) changes.push(change(h, e, (h.kind === 'symlink') !== (e.kind === 'symlink') ? 'typechange' : 'modified'));
    else if (h.id !== e.id) changes.push(change(h, e, 'modified'));
  }
  for (const h of headMap.values()) {
    if (inScope(h.path)) changes.push({ path: h.path, change: 'deleted', oldId: h.id, oldSize: h.size, oldKind: h.kind });
  }
  return changes.sort(byPath);
}

export interface WorktreeChanges {
  changes: Change[];
  untracked: string[];
  unstorable: { path: string; reason: string }[];
  warnings: string[];
}

/**
 * The index against the worktree. `entries` may be omitted (the index is then read only if
 * needed). Refreshes the index's stat data for files found unchanged, as git does.
 */
export function worktreeChanges(repo: Repository, entries: readonly IndexEntry[] | undefined, opts: StatusOptions = {}): WorktreeChanges {
  const raw = opts.paths === undefined ? parallelCompare(repo) : undefined;
  const found = raw ?? compareOnThisThread(repo, entries ?? repo.index.all(), opts.paths);
  const changes: Change[] = [];
  const refreshed: IndexEntry[] = [];
  for (const f of found.suspects) {
    const e = f.entry;
    const typeChange = (e.kind === 'symlink') !== (f.kind === 'symlink');
    const id = hashWorktreeFile(repo, f);
    if (id === undefined) continue; // vanished
    if (id === e.id && f.kind === e.kind) {
      refreshed.push({ path: f.path, ...e, mtimeNs: f.mtimeNs, ctimeNs: f.ctimeNs, ino: f.ino });
      continue;
    }
    changes.push({
      path: f.path,
      change: typeChange ? 'typechange' : 'modified',
      oldId: e.id,
      newId: id,
      oldSize: e.size,
      newSize: f.size,
      oldKind: e.kind,
      newKind: f.kind,
    });
  }
  for (const d of found.deleted)
    changes.push({ path: d.path, change: 'deleted', oldId: d.entry.id, oldSize: d.entry.size, oldKind: d.entry.kind });
  // Like git, status records what it learned so the next run need not hash those files again.
  // A file modified in the same instant the index was written stays "racy" and is re-checked.
  const safe = refreshed.filter((e) => e.mtimeNs < Date.now() * 1e6 - 2e9);
  if (safe.length > 0) {
    try {
      repo.index.refreshStats(safe);
    } catch {
      /* another process holds the lock: the refresh is an optimisation only */
    }
  }
  return {
    changes: changes.sort(byPath),
    untracked: opts.untracked === false ? [] : found.untracked.map((f) => f.path).sort(),
    unstorable: found.unstorable,
    warnings: found.warnings,
  };
}

/** The same comparison as the status workers, on this thread (path-limited runs, no workers). */
function compareOnThisThread(repo: Repository, entries: readonly IndexEntry[], paths?: readonly string[]): RawWorktreeChanges {
  const indexed = new Map<string, IndexEntry>();
  for (const e of entries) if (paths === undefined || paths.some((p) => underPath(e.path, p))) indexed.set(e.path, e);
  const scan = scanWorktree(repo, { paths, tracked: new Set(indexed.keys()) });
  const racyBefore = repo.index.writtenAt() * 1e6;
  const out: RawWorktreeChanges = { suspects: [], deleted: [], untracked: [], unstorable: scan.unstorable, warnings: scan.warnings };
  const seen = new Set<string>();
  for (const f of scan.files) {
    const e = indexed.get(f.path);
    if (e === undefined) {
      out.untracked.push(f);
      continue;
    }
    seen.add(f.path);
    if (e.kind === 'tree') continue;
    if (!(statMatches(e, f) && e.kind === f.kind && e.mtimeNs < racyBefore)) out.suspects.push({ ...f, entry: { ...e, kind: e.kind } });
  }
  for (const e of indexed.values()) {
    if (!seen.has(e.path) && e.kind !== 'tree') out.deleted.push({ path: e.path, entry: { ...e, kind: e.kind } });
  }
  return out;
}

function change(
  old: { path: string; id: ObjectId; size: number; kind: EntryKind },
  cur: { id: ObjectId; size: number; kind: EntryKind },
  kind: ChangeKind,
): Change {
  return {
    path: old.path,
    change: kind,
    oldId: old.id,
    newId: cur.id,
    oldSize: old.size,
    newSize: cur.size,
    oldKind: old.kind as Exclude<EntryKind, 'tree'>,
    newKind: cur.kind as Exclude<EntryKind, 'tree'>,
  };
}

function byPath(a: Change, b: Change): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
