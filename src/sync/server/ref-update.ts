// The last step of a push on the receiving side: check each update (name, fast-forward, closure),
// then promote the received closure and move every ref in ONE transaction of the backend
// (RepositoryStorage.publish), each by compare-and-swap against the value the pusher saw. All refs
// move or none; a ref that moved since the pusher read it fails the whole push with REF_MOVED, and
// the pusher is told to fetch first (docs/PROTOCOL.md §6.3). A ref already at the value the pusher
// asks for is up to date: that is how a retry finds a push whose first attempt committed but whose
// answer was lost (issue 10), and it is neither moved again nor logged twice.
import { InvalidNameError, RefMovedError, RejectedError, UsageError, quoteForMessage } from '../../errors.js';
import { refNameProblem } from '../../core/names.js';
import { isAncestorFrom, HeaderCache } from '../protocol/ancestry.js';
import { stagedClosure } from '../protocol/closure.js';
import { pushableRef } from '../protocol/messages.js';
import type { PushRefsResponse, RefResult, RefUpdate } from '../protocol/schemas.js';
import type { RepositoryStorage } from './storage/backend.js';

export interface ApplyOptions {
  /** The server allows forced (non-fast-forward) updates and deletions. */
  allowForce: boolean;
  /** Refuse updates to this branch (checked out in a repository with a worktree). */
  checkedOut?: string | null;
  who: string;
}

export async function applyRefUpdates(
  repo: RepositoryStorage,
  updates: readonly RefUpdate[],
  opts: ApplyOptions,
): Promise<PushRefsResponse> {
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
  const results: RefResult[] = [];
  const current = await Promise.all(updates.map(async (u) => ({ u, value: await repo.refs.read(u.name) })));
  const tips: string[] = [];
  const force = new Map<string, boolean>();
  for (const { u, value } of current) {
    const cur = value === undefined || value.symbolic ? null : value.id;
    // Already where the pusher wants it (its own earlier attempt, or someone pushing the same).
    if (cur === u.new) {
      results.push({ name: u.name, old: u.old, new: u.new, status: 'up-to-date', forced: false });
      continue;
    }
    if (cur !== u.old) throw new RefMovedError(u.name, u.old, cur, { reason: 'fetch first' });
    if (u.new !== null) tips.push(u.new);
    results.push({ name: u.name, old: u.old, new: u.new, status: 'ok', forced: false });
    force.set(u.name, u.force);
  }
  const closure = await stagedClosure(repo.staged, tips);
  // The new tips may still be in quarantine: ancestry is read from the store and quarantine alike.
  const headers = new HeaderCache(repo.staged);
  for (const r of results) {
    if (r.status !== 'ok') continue;
    const fastForward =
      r.old === null || (r.new !== null && r.name.startsWith('refs/heads/') && (await isAncestorFrom(headers, r.old, r.new)));
    if (!fastForward) {
      if (force.get(r.name) !== true) {
        const what =
          r.new === null ? 'deleting it' : r.name.startsWith('refs/tags/') ? 'moving an existing tag' : 'the update is not a fast-forward';
        throw new RejectedError(`rejected ${r.name}: ${what}; fetch and merge first, or push with --force`, {
          name: r.name,
          reason: 'non-fast-forward',
        });
      }
      if (!opts.allowForce)
        throw new RejectedError(`rejected ${r.name}: this server does not allow forced updates`, {
          name: r.name,
          reason: 'force-denied',
        });
      r.forced = true;
    }
  }
  const moves = results.filter((r) => r.status === 'ok').map((r) => ({ name: r.name, expected: r.old, next: r.new }));
  const promoted =
    moves.length === 0 && closure.length === 0
      ? 0
      : await repo.publish({ promote: closure, moves, who: opts.who, message: 'push', extra: { reason: 'fetch first' } });
  return { results, promoted };
}
