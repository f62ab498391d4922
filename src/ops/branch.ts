// Branches: list, create, delete, rename. Every change is a compare-and-swap on refs/heads/*, so
// two processes racing on one branch name cannot both win.
import { AlreadyExistsError, NotFoundError, RefMovedError, RejectedError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import { checkRefName } from '../core/names.js';
import type { Repository } from '../store/repository.js';
import { readCommit } from '../store/typed-objects.js';
import { isAncestor } from './history/commit-graph.js';
import { currentBranch, headCommit, resolveRevision } from './history/rev-parse.js';

const HEADS = 'refs/heads/';

export interface BranchInfo {
  name: string;
  id: ObjectId;
  current: boolean;
}

export interface BranchListResult {
  branches: BranchInfo[];
  /** The branch HEAD points at (it may have no commits yet), or null when detached. */
  current: string | null;
  /** HEAD's commit: the detached commit, or the current branch's tip; null when unborn. */
  head: ObjectId | null;
}

export function listBranches(repo: Repository): BranchListResult {
  const current = currentBranch(repo);
  const branches = repo.refs.list(HEADS).map((r) => {
    const name = r.name.slice(HEADS.length);
    return { name, id: r.id, current: name === current };
  });
  return { branches, current, head: headCommit(repo) };
}

/** Who made a ref change, for the reflog ("Name <email>"). */
export interface RefChangeOptions {
  who: string;
}

export interface CreateBranchOptions extends RefChangeOptions {
  /** Revision to start from; default HEAD. */
  start?: string;
}

/** Creates refs/heads/NAME; ALREADY_EXISTS when it exists (checked by CAS, so races lose cleanly). */
export function createBranch(repo: Repository, name: string, opts: CreateBranchOptions): BranchInfo {
  checkRefName(name);
  const id = resolveRevision(repo, opts.start ?? 'HEAD');
  const ref = HEADS + name;
  refuseExisting(repo, ref, name, 'branch');
  try {
    repo.refs.update([{ name: ref, expected: null, next: id }], opts.who, `branch: created from ${opts.start ?? 'HEAD'}`);
  } catch (err) {
    if (err instanceof RefMovedError) throw alreadyExists('branch', name);
    throw err;
  }
  return { name, id, current: name === currentBranch(repo) };
}

export interface DeleteBranchOptions extends RefChangeOptions {
  /** Delete even when the branch's commits are not reachable from HEAD. */
  force?: boolean;
}

export interface DeleteBranchResult {
  name: string;
  /** The tip it had: the way back if the deletion was a mistake. */
  id: ObjectId;
}

export function deleteBranch(repo: Repository, name: string, opts: DeleteBranchOptions): DeleteBranchResult {
  const ref = HEADS + name;
  const id = repo.refs.resolve(ref);
  if (id === null || repo.refs.read(ref)?.symbolic)
    throw new NotFoundError(`branch '${name}' not found; see 'cairn branch'`, { what: 'branch', name });
  if (currentBranch(repo) === name) {
    throw new RejectedError(`cannot delete branch '${name}': it is the current branch; switch to another branch first`, {
      name,
      reason: 'current',
    });
  }
  if (!opts.force) {
    const head = headCommit(repo);
    if (head === null || !isAncestor(repo, id, head)) {
      throw new RejectedError(
        `branch '${name}' is not fully merged into HEAD; merge it first, or delete it anyway with 'cairn branch -D ${name}'`,
        { name, id, reason: 'not-merged' },
      );
    }
  }
  repo.refs.update([{ name: ref, expected: id, next: null }], opts.who, 'branch: deleted');
  return { name, id };
}

export interface RenameBranchOptions extends RefChangeOptions {
  /** Replace NEW if it exists. */
  force?: boolean;
}

export interface RenameBranchResult {
  from: string;
  to: string;
  /** The tip, or null when renaming the current branch before its first commit. */
  id: ObjectId | null;
  /** HEAD followed the rename. */
  movedHead: boolean;
}

/** Renames a branch in one transaction; HEAD follows when it pointed at OLD. */
export function renameBranch(repo: Repository, from: string, to: string, opts: RenameBranchOptions): RenameBranchResult {
  checkRefName(to);
  const oldRef = HEADS + from;
  const newRef = HEADS + to;
  return repo.refs.transaction(() => {
    const id = repo.refs.resolve(oldRef);
    const isCurrent = currentBranch(repo) === from;
    // Renaming the current branch before its first commit only moves HEAD, as git allows.
    if (id === null && !isCurrent)
      throw new NotFoundError(`branch '${from}' not found; see 'cairn branch'`, { what: 'branch', name: from });
    if (from === to) return { from, to, id, movedHead: false };
    const existing = repo.refs.resolve(newRef);
    if (existing !== null && !opts.force) throw alreadyExists('branch', to);
    if (id !== null) {
      repo.refs.update(
        [
          { name: oldRef, expected: id, next: null },
          { name: newRef, expected: existing, next: id },
        ],
        opts.who,
        `branch: renamed ${from} to ${to}`,
      );
    }
    if (isCurrent) repo.refs.setSymbolic('HEAD', { symbolic: true, target: newRef }, opts.who, `branch: renamed ${from} to ${to}`);
    return { from, to, id, movedHead: isCurrent };
  });
}

/** The subject line of a commit, for `branch -v`. */
export function commitSubject(repo: Repository, id: ObjectId): string {
  const message = readCommit(repo.objects, id).message;
  const nl = message.indexOf('\n');
  return nl < 0 ? message : message.slice(0, nl);
}

export function refuseExisting(repo: Repository, ref: string, name: string, what: 'branch' | 'tag'): void {
  if (repo.refs.read(ref) !== undefined) throw alreadyExists(what, name);
}

function alreadyExists(what: 'branch' | 'tag', name: string): AlreadyExistsError {
  const hint =
    what === 'branch'
      ? `switch to it, or pick another name`
      : `delete it first with 'cairn tag -d ${name}', or replace it with 'cairn tag -f ${name}'`;
  return new AlreadyExistsError(what, name, hint);
}
