// `merge REV`: bring another commit's changes into the current branch. Fast-forward when HEAD is
// an ancestor of REV (unless ff: 'never'); else a three-way merge against the merge base (a
// virtual one for criss-cross histories, merge/virtual-base.ts), committed with two parents when clean.
// Conflicts are a result, not an error: the merged files are written (json/jsonl/csv keep ours'
// value at each conflict and stay valid, text gets markers) and the merge state is saved for
// `conflicts`, `resolve`, `merge --continue` and `merge --abort` (merge/finish.ts).
//
// Crash safety (docs/FORMAT.md §15.2): merged files, trees and the merge commit are stored and flushed
// first; then the merge state is written; then the worktree and index are updated (materialize,
// whose marker lets a rerun finish an interrupted write); the branch moves last, by
// compare-and-swap from ORIG_HEAD. A kill anywhere leaves every ref valid: rerunning the same
// merge finishes it, `merge --abort` undoes it.
import { DirtyWorktreeError, RejectedError, UnresolvedConflictsError, UsageError } from '../errors.js';
import type { Person } from '../core/commit-object.js';
import type { ObjectId } from '../core/hash.js';
import type { Repository } from '../store/repository.js';
import { readCommit, writeCommit } from '../store/typed-objects.js';
import { loadAttributes } from './merge/attributes.js';
import { refWho } from './identity.js';
import { materialize } from './worktree/materialize.js';
import { treeChanges } from './tree/tree-changes.js';
import { CommitGraph } from './history/commit-graph.js';
import { mergeBases } from './history/merge-base.js';
import { clearMergeState, readMergeState, unresolvedPaths, writeMergeState, type MergeState } from './merge/state.js';
import { mergeTrees, type ConflictedPath, type MergedFile, type Side } from './merge/merge-tree.js';
import { baseTreeOf } from './merge/virtual-base.js';
import type { ProgressFn } from './progress.js';
import { currentBranch, resolveRevision } from './history/rev-parse.js';
import { status } from './status/status.js';
import { findConflicts } from './worktree/overwrite-check.js';
import { WorktreeWriter } from './worktree/writer.js';

export interface MergeOptions {
  rev: string;
  author: Person;
  /** Commit time (ms); default now. */
  time?: number;
  tzOffset?: number;
  /** Message of the merge commit; default "Merge branch 'X'" (or commit 'X'). */
  message?: string;
  /** 'auto' (default): fast-forward when possible; 'never': always a merge commit; 'only': refuse anything but a fast-forward. */
  ff?: 'auto' | 'never' | 'only';
  /** Settle every conflict for this side; 'newer': the side whose commit time is later (ties: ours). */
  favor?: Side | 'newer';
  /** Merge histories without a common ancestor against an empty base. */
  allowUnrelated?: boolean;
  onProgress?: ProgressFn;
}

export type MergeStatus = 'up-to-date' | 'fast-forward' | 'merged' | 'conflicts';

export interface MergeResult {
  status: MergeStatus;
  branch: string | null;
  /** HEAD before and after. */
  previous: ObjectId | null;
  head: ObjectId | null;
  theirs: ObjectId;
  theirsLabel: string;
  /** Best common ancestors, oldest first (several: criss-cross, merged into a virtual base). */
  bases: ObjectId[];
  /** The merge commit (status 'merged'). */
  commit?: ObjectId;
  /** Files both sides changed, merged by a driver. */
  merged: MergedFile[];
  renames: { from: string; to: string; side: Side }[];
  conflicts: ConflictedPath[];
  /** Conflicts settled by `favor`, and the side they were settled for. */
  settled: number;
  favored?: Side;
  updated: number;
  removed: number;
  /** This run finished a merge a kill had interrupted. */
  resumed: boolean;
  /** E.g. a .cairnattributes that is a symlink and was not applied; present only when there are some. */
  warnings?: string[];
}

export function merge(repo: Repository, opts: MergeOptions): MergeResult {
  const theirs = resolveRevision(repo, opts.rev);
  const theirsLabel = labelFor(repo, opts.rev, theirs);
  const headRef = repo.refs.resolveName('HEAD');
  const head = headRef.id;
  const who = refWho(opts.author);
  const pending = readMergeState(repo);
  if (pending !== null) {
    const done = resumeOrRefuse(repo, pending, theirs, head, who, opts);
    if (done !== undefined) return done;
  }
  const result: MergeResult = {
    status: 'up-to-date',
    branch: currentBranch(repo),
    previous: head,
    head,
    theirs,
    theirsLabel,
    bases: [],
    merged: [],
    renames: [],
    conflicts: [],
    settled: 0,
    updated: 0,
    removed: 0,
    resumed: false,
  };
  const graph = new CommitGraph(repo);
  const bases = head === null ? [] : mergeBases(repo, [head], [theirs], graph);
  result.bases = bases;
  if (head !== null && bases.includes(theirs)) return result;
  if (head === null || (bases.includes(head) && opts.ff !== 'never')) {
    // An unborn branch simply starts at REV, as in git.
    const fromTree = head === null ? null : readCommit(repo.objects, head).tree;
    const moveHead = () =>
      repo.refs.update([{ name: headRef.name, expected: head, next: theirs }], who, `merge ${theirsLabel}: Fast-forward`);
    let r;
    try {
      r = materialize(repo, {
        from: fromTree,
        to: readCommit(repo.objects, theirs).tree,
        action: 'merge',
        moveHead,
        onProgress: opts.onProgress,
      });
    } catch (err) {
      // Checkout's wording offers --force, which merge does not have.
      if (err instanceof DirtyWorktreeError) throw dirtyError(err.data['paths'] as string[]);
      throw err;
    }
    return { ...result, status: 'fast-forward', head: theirs, updated: r.updated, removed: r.removed };
  }
  if (opts.ff === 'only') {
    throw new RejectedError(`not possible to fast-forward to '${theirsLabel}': the histories have diverged; merge without --ff-only`, {
      theirs,
      head,
    });
  }
  if (bases.length === 0 && !opts.allowUnrelated) {
    throw new RejectedError(
      `refusing to merge unrelated histories: '${theirsLabel}' shares no commit with HEAD; pass --allow-unrelated-histories to merge against an empty base`,
      { theirs, head },
    );
  }
  return threeWay(repo, { ...opts, theirs, theirsLabel, head, headRef: headRef.name, bases, graph, who, result });
}

interface ThreeWay extends MergeOptions {
  theirs: ObjectId;
  theirsLabel: string;
  head: ObjectId;
  headRef: string;
  bases: ObjectId[];
  graph: CommitGraph;
  who: string;
  result: MergeResult;
}

function threeWay(repo: Repository, m: ThreeWay): MergeResult {
  const ours = readCommit(repo.objects, m.head);
  const theirs = readCommit(repo.objects, m.theirs);
  // The merge commit is built from trees, and --abort restores from HEAD: both need an index that
  // holds exactly HEAD. Unstaged edits elsewhere are left alone (checked per path below).
  const st = status(repo, { untracked: false });
  if (st.staged.length > 0) {
    const paths = st.staged.map((c) => c.path);
    throw new DirtyWorktreeError(
      `merge needs the index to match HEAD, but changes are staged in: ${listed(paths)}; commit them, or unstage them with 'cairn restore --staged PATH'`,
      { paths },
    );
  }
  const attributes = loadAttributes(repo, ours.tree);
  const baseTree = baseTreeOf(repo, m.bases, attributes, m.graph);
  const favored: Side | undefined = m.favor === 'newer' ? (theirs.time > ours.time ? 'theirs' : 'ours') : m.favor;
  const labels = { ours: m.result.branch ?? 'HEAD', theirs: m.theirsLabel, base: 'base' };
  const tm = mergeTrees(repo, { base: baseTree, ours: ours.tree, theirs: theirs.tree, labels, favor: favored, attributes });
  preflight(
    repo,
    ours.tree,
    tm.tree,
    tm.conflicts,
    st.unstaged.map((c) => c.path),
  );

  const message = m.message ?? defaultMessage(repo, m.rev, m.theirsLabel);
  const state: MergeState = {
    version: 1,
    phase: 'writing',
    origHead: m.head,
    headRef: m.headRef,
    theirs: m.theirs,
    theirsLabel: m.theirsLabel,
    bases: m.bases,
    tree: tm.tree,
    message,
    settled: tm.settled,
    ...(favored ? { favor: favored } : {}),
    paths: tm.conflicts,
  };
  if (tm.conflicts.length === 0) {
    const time = m.time ?? Date.now();
    state.commit = writeCommit(repo.objects, {
      tree: tm.tree,
      parents: [m.head, m.theirs],
      author: m.author,
      time,
      tzOffset: m.tzOffset ?? -new Date(time).getTimezoneOffset(),
      message: message.endsWith('\n') ? message : `${message}\n`,
      meta: {},
    });
    repo.objects.flush();
  }
  writeMergeState(repo, state);
  const w = writeWorktree(repo, state, ours.tree, m.who, m.onProgress);
  return {
    ...m.result,
    status: state.commit === undefined ? 'conflicts' : 'merged',
    head: state.commit ?? m.head,
    ...(state.commit !== undefined ? { commit: state.commit } : {}),
    merged: tm.merged,
    renames: tm.renames,
    conflicts: tm.conflicts,
    settled: tm.settled,
    ...(favored ? { favored } : {}),
    updated: w.updated,
    removed: w.removed,
    ...(attributes.warnings.length > 0 ? { warnings: [...attributes.warnings] } : {}),
  };
}

/**
 * Refuses before anything is written when the merge would destroy work: a file it rewrites or
 * removes holds unstaged changes or is untracked and in the way (the checks checkout makes), or a
 * conflicted path (which --abort will restore from HEAD) holds unstaged changes.
 */
function preflight(
  repo: Repository,
  from: ObjectId,
  to: ObjectId,
  conflicts: readonly ConflictedPath[],
  unstaged: readonly string[],
): void {
  const changes = treeChanges(repo.objects, from, to);
  const writer = new WorktreeWriter(repo.root, repo.objects);
  // One decode of the index: get() re-checks the index generation in SQLite on every call.
  const index = changes.length > 50 ? new Map(repo.index.all().map((e) => [e.path, e])) : undefined;
  const found = findConflicts(
    {
      abs: (p) => writer.abs(p),
      index: (p) => (index !== undefined ? index.get(p) : repo.index.get(p)),
      racyNs: repo.index.writtenAt() * 1e6,
      trustNew: false,
    },
    changes,
  );
  const involved = new Set(conflicts.flatMap((c) => [c.path, c.ours?.path, c.theirs?.path].filter((p): p is string => p !== undefined)));
  const dirty = new Set([...found.dirty, ...unstaged.filter((p) => involved.has(p))]);
  if (dirty.size > 0) throw dirtyError([...dirty].sort());
}

function dirtyError(paths: string[]): DirtyWorktreeError {
  return new DirtyWorktreeError(
    `merge would overwrite uncommitted changes in: ${listed(paths)}; commit them ('cairn commit -a') or discard them ('cairn restore PATH'), then merge again`,
    { paths },
  );
}

/** Worktree and index to the merged tree; a clean merge's branch moves last, then the state goes. */
function writeWorktree(
  repo: Repository,
  state: MergeState,
  fromTree: ObjectId,
  who: string,
  onProgress?: ProgressFn,
): { updated: number; removed: number } {
  const commitId = state.commit;
  const moveHead =
    commitId === undefined
      ? undefined
      : () =>
          repo.refs.update(
            [{ name: state.headRef, expected: state.origHead, next: commitId }],
            who,
            `merge ${state.theirsLabel}: Merge made by the 'cairn' strategy`,
          );
  const r = materialize(repo, { from: fromTree, to: state.tree, action: 'merge', moveHead, onProgress });
  if (commitId !== undefined) clearMergeState(repo);
  else writeMergeState(repo, { ...state, phase: 'conflicts' });
  return r;
}

/**
 * A merge state exists. The same merge interrupted while writing: finish it. A clean merge whose
 * branch already moved: the state is stale, drop it and go on. Anything else: refuse.
 */
function resumeOrRefuse(
  repo: Repository,
  s: MergeState,
  theirs: ObjectId,
  head: ObjectId | null,
  who: string,
  opts: MergeOptions,
): MergeResult | undefined {
  if (s.commit !== undefined && head === s.commit) {
    clearMergeState(repo);
    return undefined;
  }
  if (s.phase === 'writing' && s.theirs === theirs && s.origHead === head) {
    const w = writeWorktree(repo, s, readCommit(repo.objects, s.origHead).tree, who, opts.onProgress);
    return {
      status: s.commit === undefined ? 'conflicts' : 'merged',
      branch: currentBranch(repo),
      previous: s.origHead,
      head: s.commit ?? s.origHead,
      theirs,
      theirsLabel: s.theirsLabel,
      bases: s.bases,
      ...(s.commit !== undefined ? { commit: s.commit } : {}),
      merged: [],
      renames: [],
      conflicts: s.paths,
      settled: s.settled,
      ...(s.favor ? { favored: s.favor } : {}),
      updated: w.updated,
      removed: w.removed,
      resumed: true,
    };
  }
  if (s.phase === 'writing') {
    throw new UnresolvedConflictsError(
      `a merge of '${s.theirsLabel}' was interrupted; run 'cairn merge ${s.theirsLabel}' again to finish it, or 'cairn merge --abort'`,
      { theirs: s.theirs },
    );
  }
  const open = unresolvedPaths(s);
  if (open.length > 0) {
    throw new UnresolvedConflictsError(
      `a merge of '${s.theirsLabel}' is in progress with ${open.length} unresolved path(s); resolve them and run 'cairn merge --continue', or 'cairn merge --abort'`,
      { paths: open.map((p) => p.path) },
    );
  }
  throw new UsageError(
    `a merge of '${s.theirsLabel}' is in progress and resolved; conclude it with 'cairn merge --continue' (or 'cairn merge --abort')`,
    { theirs: s.theirs },
  );
}

/** git's wording: "Merge branch 'x'", "Merge tag 'v1'", "Merge remote-tracking branch 'origin/x'". */
function defaultMessage(repo: Repository, rev: string, label: string): string {
  if (label === rev) {
    if (repo.refs.resolve(`refs/heads/${rev}`) !== null) return `Merge branch '${rev}'`;
    if (repo.refs.resolve(`refs/tags/${rev}`) !== null) return `Merge tag '${rev}'`;
    if (repo.refs.resolve(`refs/remotes/${rev}`) !== null) return `Merge remote-tracking branch '${rev}'`;
  }
  return `Merge commit '${label}'`;
}

/** The name the user gave when it is a ref, else an abbreviated id. */
function labelFor(repo: Repository, rev: string, id: ObjectId): string {
  if (/^[0-9a-f]{4,64}$/i.test(rev) && repo.refs.resolve(`refs/heads/${rev}`) === null && repo.refs.resolve(`refs/tags/${rev}`) === null)
    return id.slice(0, 12);
  return rev;
}

function listed(paths: readonly string[]): string {
  return paths.slice(0, 10).join(', ') + (paths.length > 10 ? ` and ${paths.length - 10} more` : '');
}
