// Commands that work in a repository: open it, run the command's body, and close it however the
// body ends (return, throw, resolve, reject) before the error is reported and the exit code
// recorded. Progress displays the body used are stopped first, so an error line never lands
// inside a bar.
import type { Repository } from '../store/repository.js';
import { openRepo, type CommandContext } from './context.js';
import { progressRenderer, type ProgressFn } from './progress.js';
import { action, jsonRequested, type ActionResult } from './run-action.js';
import { transferProgress } from './sync-common.js';

export interface Progress {
  report: ProgressFn;
  stop: () => void;
}

/** What a command's body gets, besides commander's arguments. */
export interface RepoScope {
  readonly repo: Repository;
  /** A bar on stderr for local work (on a terminal only, after a second). Made on first use. */
  readonly progress: Progress;
  /** Progress of a transfer: JSON lines on stderr with --json, else as `progress`. Made on first use. */
  readonly transferProgress: Progress;
}

export type RepoBody = (scope: RepoScope) => ActionResult;

/**
 * A commander action run in the repository around ctx.cwd:
 * `.action(repoAction(ctx, ({ repo }, name: string, opts: Flags) => { ...; return EXIT.OK }))`.
 * Outside a repository it fails with NOT_A_REPOSITORY before the body runs.
 */
export function repoAction<A extends unknown[]>(
  ctx: CommandContext,
  body: (scope: RepoScope, ...args: A) => ActionResult,
): (...args: A) => Promise<void> {
  return checkedRepoAction(
    ctx,
    (...args: A) =>
      (scope) =>
        body(scope, ...args),
  );
}

/**
 * Like repoAction, for commands that check their arguments first, so that a usage error is
 * reported as one even outside a repository: `check` runs before the repository is opened and
 * returns the body, which sees whatever `check` worked out.
 */
export function checkedRepoAction<A extends unknown[]>(
  ctx: CommandContext,
  check: (...args: A) => RepoBody,
): (...args: A) => Promise<void> {
  return action(ctx, async (...args: A) => {
    const body = check(...args);
    const repo = openRepo(ctx);
    const shown: Progress[] = [];
    const made = (p: Progress): Progress => {
      shown.push(p);
      return p;
    };
    let bar: Progress | undefined;
    let transfer: Progress | undefined;
    const scope: RepoScope = {
      repo,
      get progress() {
        return (bar ??= made(progressRenderer(ctx.isTTY)));
      },
      get transferProgress() {
        return (transfer ??= made(transferProgress(ctx, jsonRequested(args))));
      },
    };
    try {
      return await body(scope);
    } finally {
      for (const p of shown) p.stop();
      repo.close();
    }
  });
}
