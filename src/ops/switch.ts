// `switch`: move HEAD to another branch (optionally creating it) or detach it at a revision,
// updating the worktree and index on the way. Local changes to paths the switch does not touch are
// carried over; changes it would overwrite make it refuse (DirtyWorktreeError) unless forced.
import { AlreadyExistsError, NotFoundError, RefMovedError, UnresolvedConflictsError, UsageError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import { checkRefName } from '../core/names.js';
import type { Repository } from '../store/repository.js';
import { readMergeState } from './merge/state.js';
import { readCommit } from '../store/typed-objects.js';
import { clearFinishedMarker, materialize } from './worktree/materialize.js';
import type { ProgressFn } from './progress.js';
import { currentBranch, headCommit, resolveRevision } from './history/rev-parse.js';

const HEADS = 'refs/heads/';

export interface SwitchOptions {
  /** Branch to switch to (or to create with `create`). */
  branch?: string;
  create?: boolean;
  /** Start point of a created branch; default HEAD. */
  start?: string;
  /** Detach HEAD at this revision instead of switching to a branch. */
  detach?: string;
  /** Discard local changes (index and worktree end up exactly at the target). */
  force?: boolean;
  /** Reflog identity, "Name <email>". */
  who?: string;
  /** Names the command in errors and progress ("switch", "checkout"). */
  action?: string;
  onProgress?: ProgressFn;
}

export interface SwitchResult {
  /** Branch HEAD now points at; null when detached. */
  branch: string | null;
  head: ObjectId | null;
  previous: { branch: string | null; head: ObjectId | null };
  created: boolean;
  /** HEAD already pointed there: nothing was done (unless forced). */
  alreadyOn: boolean;
  updated: number;
  removed: number;
}

export function switchBranch(repo: Repository, opts: SwitchOptions): SwitchResult {
  const action = opts.action ?? 'switch';
  // Switching away would strand the merge's conflicts and its second parent, as git refuses too.
  if (readMergeState(repo) !== null) {
    throw new UnresolvedConflictsError(
      `a merge is in progress: finish it with 'cairn merge --continue' or undo it with 'cairn merge --abort' before you ${action}`,
      {},
    );
  }
  const who = opts.who ?? 'cairn';
  const prevBranch = currentBranch(repo);
  const prevHead = headCommit(repo);
  const headValue = repo.refs.read('HEAD');
  const previous = { branch: prevBranch, head: prevHead };
  let target: ObjectId | null;
  let branch: string | null = null;
  let create = false;
  if (opts.detach !== undefined) {
    if (opts.create) throw new UsageError('--detach and --create cannot be combined');
    target = resolveRevision(repo, opts.detach);
  } else {
    if (opts.branch === undefined || opts.branch === '') throw new UsageError(`${action}: name a branch`);
    branch = opts.branch;
    checkRefName(branch);
    const ref = HEADS + branch;
    const existing = repo.refs.resolve(ref);
    if (opts.create) {
      target = opts.start !== undefined ? resolveRevision(repo, opts.start) : prevHead;
      // A rerun of a create that already completed (branch at the start point, HEAD on it) is
      // accepted as done; any other existing branch is refused, as in git.
      const done = existing !== null && existing === target && headValue?.symbolic === true && headValue.target === ref;
      if (existing !== null && !done) {
        throw new AlreadyExistsError('branch', branch, `switch to it with 'cairn switch ${branch}', or pick another name`);
      }
      create = existing === null && target !== null;
    } else if (existing === null) {
      const unbornCurrent = headValue?.symbolic === true && headValue.target === ref;
      if (!unbornCurrent) throw new NotFoundError('branch', branch, `create it with 'cairn switch -c ${branch}'`);
      target = null;
    } else target = existing;
  }
  const alreadyOn = branch !== null && !create && branch === prevBranch && target === prevHead;
  if (alreadyOn && !opts.force) {
    clearFinishedMarker(repo, target === null ? null : readCommit(repo.objects, target).tree);
    return { branch, head: target, previous, created: false, alreadyOn, updated: 0, removed: 0 };
  }

  const fromTree = prevHead === null ? null : readCommit(repo.objects, prevHead).tree;
  const toTree = target === null ? null : readCommit(repo.objects, target).tree;
  const message = `${action}: moving from ${prevBranch ?? prevHead?.slice(0, 12) ?? '(unborn)'} to ${branch ?? target!.slice(0, 12)}`;
  const moveHead = () => {
    if (alreadyOn) return;
    if (branch === null) {
      repo.refs.setSymbolic('HEAD', { symbolic: false, id: target! }, who, message);
      return;
    }
    const ref = HEADS + branch;
    try {
      // Creating the branch and pointing HEAD at it in one transaction: never half done.
      repo.refs.transaction(() => {
        if (create) repo.refs.update([{ name: ref, expected: null, next: target }], who, `branch: created from ${opts.start ?? 'HEAD'}`);
        repo.refs.setSymbolic('HEAD', { symbolic: true, target: ref }, who, message);
      });
    } catch (err) {
      if (err instanceof RefMovedError) {
        throw new AlreadyExistsError(
          `branch '${branch}' was created by another process meanwhile; switch to it with 'cairn switch ${branch}'`,
          { what: 'branch', name: branch },
        );
      }
      throw err;
    }
  };
  const res = materialize(repo, { from: fromTree, to: toTree, force: opts.force, action, moveHead, onProgress: opts.onProgress });
  return { branch, head: target, previous, created: create, alreadyOn, updated: res.updated, removed: res.removed };
}
