// `snapshot`: the CI one-liner's local part — stage everything under some paths (new, modified and
// deleted files), commit if that changed anything, and name the result with a tag. Built from add,
// commit and createTag; safe to re-run: a second run with nothing new makes no commit and leaves a
// tag that already names HEAD alone. Pushing is the CLI's job (sync sits above ops).
import { AlreadyExistsError, CairnError, NotFoundError, UnresolvedConflictsError, UsageError, withContext } from '../errors.js';
import type { Person } from '../core/commit-object.js';
import type { ObjectId } from '../core/hash.js';
import { checkRefName } from '../core/names.js';
import type { Repository } from '../store/repository.js';
import { add } from './add.js';
import { commit } from './commit.js';
import { refWho } from './identity.js';
import { diffCommits, summarize } from './diff/diff.js';
import { mergeParentFor, readMergeState } from './merge/state.js';
import type { ProgressFn } from './progress.js';
import { currentBranch, headCommit } from './history/rev-parse.js';
import { stagedChanges } from './status/status.js';
import { createTag } from './tag.js';

export interface SnapshotOptions {
  /** Repository paths to stage (files or directories); [''] is the whole worktree. */
  paths: readonly string[];
  message: string;
  author: Person;
  /** Milliseconds since the epoch; default now. */
  time?: number;
  tzOffset?: number;
  /** Tag to put on the resulting HEAD (a no-op when it already names it). */
  tag?: string;
  /** Move the tag when it names another commit, instead of refusing. */
  forceTag?: boolean;
  onProgress?: ProgressFn;
}

export interface SnapshotTag {
  name: string;
  id: ObjectId;
  /** The commit the tag named before this run, or null when it was created now. */
  previous: ObjectId | null;
  /** False when the tag already named the resulting HEAD (nothing was written). */
  changed: boolean;
}

export interface SnapshotResult {
  committed: boolean;
  /** The commit made by this run, or null when nothing changed. */
  commit: ObjectId | null;
  /** The new commit's first parent (null for a root commit, or when nothing was committed). */
  parent: ObjectId | null;
  /** HEAD after the run (the new commit, or the unchanged HEAD; null in an empty repository). */
  head: ObjectId | null;
  branch: string | null;
  /** Files the commit adds, changes (content, kind or exec bit) and removes, against its parent. */
  added: number;
  modified: number;
  deleted: number;
  /** Total size of the added and modified files' new content, in bytes. */
  bytes: number;
  tag: SnapshotTag | null;
  /** Files skipped while staging (unreadable, special files), with why. */
  unstorable: { path: string; reason: string }[];
  /** E.g. a .cairnignore that is a symlink and was not applied; present only when there are some. */
  warnings?: string[];
}

const TAGS = 'refs/tags/';

export function snapshot(repo: Repository, opts: SnapshotOptions): SnapshotResult {
  if (opts.message.trim() === '') throw new UsageError('empty snapshot message: give one with -m MESSAGE');
  if (opts.tag !== undefined) checkRefName(opts.tag, 'tag name');
  refuseDuringMerge(repo);
  const before = headCommit(repo);
  // Refused before anything is staged: whether or not this run commits, HEAD will not be that commit.
  if (opts.tag !== undefined && !opts.forceTag) {
    const existing = repo.refs.resolve(TAGS + opts.tag);
    if (existing !== null && existing !== before) throw tagElsewhere(opts.tag, existing);
  }
  const staged = add(repo, { paths: opts.paths, onProgress: opts.onProgress });
  // The index against HEAD decides: staging may find nothing new, yet earlier `add`s may have staged
  // changes, and an empty index on an unborn branch must not become an empty root commit.
  const pending = stagedChanges(repo, before, repo.index.all()).length > 0;
  if (pending && opts.tag !== undefined && !opts.forceTag && repo.refs.resolve(TAGS + opts.tag) !== null) {
    // The tag names the current HEAD, and the commit about to be made would leave it behind.
    throw tagElsewhere(opts.tag, before!);
  }
  const res = pending ? commit(repo, { message: opts.message, author: opts.author, time: opts.time, tzOffset: opts.tzOffset }) : null;
  const result: SnapshotResult = {
    committed: false,
    commit: null,
    parent: null,
    head: before,
    branch: currentBranch(repo),
    added: 0,
    modified: 0,
    deleted: 0,
    bytes: 0,
    tag: null,
    unstorable: staged.unstorable,
    ...(staged.warnings !== undefined ? { warnings: staged.warnings } : {}),
  };
  if (res?.committed) {
    const parent = res.parents[0] ?? null;
    // Counted from the stored trees, so the figures describe exactly the commit that was made.
    const changes = diffCommits(repo.objects, parent, res.id);
    const sum = summarize(changes);
    Object.assign(result, {
      committed: true,
      commit: res.id,
      parent,
      head: res.id,
      branch: res.branch,
      added: sum.added,
      modified: sum.modified + sum.typechange,
      deleted: sum.deleted,
      bytes: changes.reduce((s, c) => s + (c.new?.size ?? 0), 0),
    });
  } else if (res !== null) {
    result.head = res.head;
  }
  if (opts.tag !== undefined) result.tag = tagHead(repo, opts.tag, result.head, { ...opts, committed: result.commit });
  return result;
}

/** A merge in progress (conflicted, interrupted, or resolved but not committed) is not snapshotted. */
function refuseDuringMerge(repo: Repository): void {
  const state = readMergeState(repo);
  if (state === null) return;
  let theirs: ObjectId | undefined;
  try {
    // Recognises (and clears) a state left behind after its merge commit landed.
    theirs = mergeParentFor(repo, headCommit(repo));
  } catch (err) {
    if (err instanceof CairnError) throw withContext(err, 'snapshot refuses to run during a merge: ');
    throw err;
  }
  if (theirs === undefined) return;
  throw new UnresolvedConflictsError(
    `snapshot refuses to run during a merge: the merge of '${state.theirsLabel}' is resolved but not committed; finish it with 'cairn merge --continue' or undo it with 'cairn merge --abort'`,
    { theirs },
  );
}

function tagHead(
  repo: Repository,
  name: string,
  head: ObjectId | null,
  opts: SnapshotOptions & { committed: ObjectId | null },
): SnapshotTag {
  if (head === null)
    throw new NotFoundError(`cannot tag '${name}': the repository has no commits yet and there was nothing to commit`, {
      what: 'tag',
      name,
    });
  const previous = repo.refs.resolve(TAGS + name);
  if (previous === head) return { name, id: head, previous, changed: false };
  if (previous !== null && !opts.forceTag) throw tagElsewhere(name, previous, opts.committed);
  // createTag's compare-and-swap refuses a tag another process created meanwhile.
  const made = createTag(repo, name, { who: refWho(opts.author), rev: head, force: opts.forceTag === true });
  return { name, id: made.id, previous: made.previous, changed: true };
}

function tagElsewhere(name: string, id: ObjectId, committed: ObjectId | null = null): AlreadyExistsError {
  // Normally refused before committing; a tag created by another process meanwhile is found after.
  const done = committed === null ? 'nothing was committed' : `the snapshot was committed as ${committed.slice(0, 12)} but not tagged`;
  return new AlreadyExistsError(
    `tag '${name}' already names commit ${id.slice(0, 12)}; ${done}. Pick another tag, or move it with --force-tag`,
    {
      what: 'tag',
      name,
      id,
      commit: committed,
    },
  );
}
