// The last step of a push on the receiving side: check each update (name, fast-forward, closure),
// then promote the received closure and move every ref in one SQLite transaction, each by
// compare-and-swap against the value the pusher saw. All refs move or none; a ref that moved since
// the pusher read it fails the whole push with REF_MOVED, and the pusher is told to fetch first (docs/PROTOCOL.md §6.3).
import { InvalidNameError, RefMovedError, RejectedError, UsageError, quoteForMessage } from '../../errors.js';
import { refNameProblem } from '../../core/names.js';
import { PackStore } from '../../store/object-store.js';
import type { Repository } from '../../store/repository.js';
import { isAncestor } from '../../ops/history/commit-graph.js';
import { stagedClosure } from '../protocol/closure.js';
import { pushableRef } from '../protocol/messages.js';
import type { PushRefsResponse, RefResult, RefUpdate } from '../protocol/schemas.js';

export interface ApplyOptions {
  /** The server allows forced (non-fast-forward) updates and deletions. */
  allowForce: boolean;
  /** Refuse updates to this branch (checked out in a repository with a worktree). */
  checkedOut?: string | null;
  who: string;
}

export function applyRefUpdates(repo: Repository, updates: readonly RefUpdate[], opts: ApplyOptions): PushRefsResponse {
  const names = new Set<string>();
  for (const u of updates) {
    if (names.has(u.name)) throw new UsageError(`ref ${u.name} is named twice in one push`, { name: u.name });
    names.add(u.name);
    const problem = refNameProblem(u.name);
    if (problem !== null || !pushableRef(u.name)) {
      throw new InvalidNameError(
        `cannot push to '${quoteForMessage(u.name)}': ${problem ?? 'only refs/heads/* and refs/tags/* can be pushed'}`,
        {
          name: u.name,
        },
      );
    }
    if (opts.checkedOut !== undefined && opts.checkedOut !== null && u.name === opts.checkedOut) {
      throw new RejectedError(
        `refusing to update ${u.name}: it is checked out in the server's worktree (push to a repository created by push, or another branch)`,
        { name: u.name, reason: 'checked-out' },
      );
    }
  }
  const staging = new PackStore(repo.db, repo.cairnDir, { staging: true });
  try {
    const tips = updates.flatMap((u) => (u.new === null ? [] : [u.new]));
    const closure = stagedClosure(staging, tips);
    // The new tips are still in quarantine; the database caches their generations like any other's.
    const source = { objects: staging, db: repo.db };
    const results: RefResult[] = [];
    for (const u of updates) {
      const current = repo.refs.read(u.name);
      const cur = current === undefined || current.symbolic ? null : current.id;
      if (cur !== u.old) throw new RefMovedError(u.name, u.old, cur, { reason: 'fetch first' });
      if (u.old === u.new) {
        results.push({ ...u, status: 'up-to-date', forced: false });
        continue;
      }
      const fastForward = u.old === null || (u.new !== null && u.name.startsWith('refs/heads/') && isAncestor(source, u.old, u.new));
      if (!fastForward) {
        if (!u.force) {
          const what =
            u.new === null
              ? 'deleting it'
              : u.name.startsWith('refs/tags/')
                ? 'moving an existing tag'
                : 'the update is not a fast-forward';
          throw new RejectedError(`rejected ${u.name}: ${what}; fetch and merge first, or push with --force`, {
            name: u.name,
            reason: 'non-fast-forward',
          });
        }
        if (!opts.allowForce)
          throw new RejectedError(`rejected ${u.name}: this server does not allow forced updates`, {
            name: u.name,
            reason: 'force-denied',
          });
      }
      results.push({ ...u, status: 'ok', forced: !fastForward });
    }
    let promoted = 0;
    repo.refs.transaction(() => {
      promoted = staging.promote(closure);
      const moves = results.filter((r) => r.status === 'ok').map((r) => ({ name: r.name, expected: r.old, next: r.new }));
      if (moves.length > 0) repo.refs.update(moves, opts.who, 'push', { reason: 'fetch first' });
    });
    return { results, promoted };
  } finally {
    staging.close();
  }
}
