// `commit`: turn the index into trees and a commit, then move the branch by compare-and-swap from
// the HEAD seen at the start. Losing that race is an error that names the stored commit, so two
// racing commits never lose work: the loser's commit stays in the store, reachable by its id.
import { UsageError } from '../errors.js';
import type { Person } from '../core/commit-object.js';
import type { ObjectId } from '../core/hash.js';
import type { Repository } from '../store/repository.js';
import { readCommit, writeCommit } from '../store/typed-objects.js';
import { add } from './add.js';
import { refWho } from './identity.js';
import { clearMergeState, mergeParentFor } from './merge/state.js';
import type { ProgressFn } from './progress.js';
import { currentBranch } from './history/rev-parse.js';
import { buildTree } from './tree/tree-walk.js';

export interface CommitOptions {
  message: string;
  author: Person;
  /** Milliseconds since the epoch; default now. */
  time?: number;
  tzOffset?: number;
  /** Stage every change in the worktree (new, modified and deleted files) first. */
  all?: boolean;
  allowEmpty?: boolean;
  /** Extra parents after HEAD (merge commits). */
  extraParents?: ObjectId[];
  meta?: Record<string, string>;
  onProgress?: ProgressFn;
}

export type CommitResult =
  | { committed: true; id: ObjectId; tree: ObjectId; parents: ObjectId[]; branch: string | null; files: number; bytes: number }
  | { committed: false; reason: 'nothing to commit'; head: ObjectId | null; branch: string | null };

export function commit(repo: Repository, opts: CommitOptions): CommitResult {
  if (opts.message.trim() === '') throw new UsageError('empty commit message: give one with -m MESSAGE');
  // The ref we will move and the value we expect it to hold, read before any work is done.
  const headName = repo.refs.resolveName('HEAD');
  const expected = headName.id;
  const branch = currentBranch(repo);
  // During a merge: refuse while conflicts are unresolved (UNRESOLVED_CONFLICTS), else MERGE_HEAD
  // becomes the second parent.
  const mergeParent = mergeParentFor(repo, expected);
  if (opts.all) add(repo, { paths: [''], onProgress: opts.onProgress });
  const entries = repo.index.all();
  const leaves = entries
    .filter((e) => e.kind !== 'tree')
    .map((e) => ({ path: e.path, kind: e.kind as 'file' | 'exec' | 'symlink', id: e.id, size: e.size }));
  const built = buildTree(repo.objects, leaves, repo.index.cachedTrees());
  const parents = expected === null ? [] : [expected];
  if (opts.extraParents !== undefined) parents.push(...opts.extraParents);
  if (mergeParent !== undefined && !parents.includes(mergeParent)) parents.push(mergeParent);
  if (!opts.allowEmpty && expected !== null && parents.length === 1 && readCommit(repo.objects, expected).tree === built.id) {
    return { committed: false, reason: 'nothing to commit', head: expected, branch };
  }
  // Nor an empty first commit, unless asked for (as git): an index left empty (nothing added, or
  // everything skipped) must not become an empty root commit.
  if (!opts.allowEmpty && expected === null && parents.length === 0 && leaves.length === 0) {
    return { committed: false, reason: 'nothing to commit', head: null, branch };
  }
  const time = opts.time ?? Date.now();
  const id = writeCommit(repo.objects, {
    tree: built.id,
    parents,
    author: opts.author,
    time,
    tzOffset: opts.tzOffset ?? -new Date(time).getTimezoneOffset(),
    message: opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`,
    meta: opts.meta ?? {},
  });
  // Closure first: trees, files and chunks were put before the commit; flush makes them all
  // visible in one transaction, and only then may a ref name the commit (docs/FORMAT.md §15.1).
  repo.objects.flush();
  const subject = opts.message.split('\n')[0]!;
  // A lost race throws REF_MOVED carrying `newId`: the commit is stored and the error names it.
  repo.refs.update(
    [{ name: headName.name, expected, next: id }],
    refWho(opts.author),
    `commit${mergeParent !== undefined ? ' (merge)' : expected === null ? ' (initial)' : ''}: ${subject}`,
  );
  // A leftover state after this point is recognised as concluded (HEAD is its merge commit).
  if (mergeParent !== undefined) clearMergeState(repo);
  try {
    repo.index.saveTrees(built.trees);
  } catch {
    /* the tree cache is an optimisation; a busy database must not fail a stored commit */
  }
  return { committed: true, id, tree: built.id, parents, branch, files: leaves.length, bytes: built.size };
}
