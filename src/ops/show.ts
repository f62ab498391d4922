// `show`: one commit and the paths it changed against its first parent (the root commit against an
// empty tree), in the same shape `diff` returns, so both print alike.
import type { ObjectId } from '../core/hash.js';
import type { Commit } from '../core/commit-object.js';
import type { Repository } from '../store/repository.js';
import { readCommit } from '../store/typed-objects.js';
import { diffCommits, summarize, type DiffResult } from './diff/diff.js';
import { resolveRevision } from './history/rev-parse.js';

export interface ShowResult {
  id: ObjectId;
  commit: Commit;
  /** First parent vs the commit; for a merge, what the merge brought into the first parent's line. */
  diff: DiffResult;
}

export function showCommit(repo: Repository, rev: string): ShowResult {
  const id = resolveRevision(repo, rev);
  const commit = readCommit(repo.objects, id);
  const parent = commit.parents[0] ?? null;
  const changes = diffCommits(repo.objects, parent, id);
  return {
    id,
    commit,
    diff: { from: { type: 'commit', id: parent }, to: { type: 'commit', id }, changes, summary: summarize(changes) },
  };
}
