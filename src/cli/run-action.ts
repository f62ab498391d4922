// Turns a command's work into an exit code: CairnErrors become one clear line (or a JSON error
// object with --json) and their documented exit code; anything else is a bug and says so.
import { CairnError } from '../errors.js';
import { storeError } from '../store/database.js';
import type { CommandContext } from './context.js';
import { EXIT, exitCodeFor } from './exit.js';
import { humanMessage, jsonSafe } from './format.js';

/** What a command's work returns: its exit code, or nothing for success. */
export type ActionResult = Promise<number | void> | number | void;

export type ActionFn = () => ActionResult;

export async function runAction(ctx: CommandContext, json: boolean, fn: ActionFn): Promise<number> {
  try {
    const code = await fn();
    return typeof code === 'number' ? code : EXIT.OK;
  } catch (err) {
    return reportError(ctx, json, err);
  }
}

export function reportError(ctx: CommandContext, json: boolean, raw: unknown): number {
  // A SQLite failure from any statement (a damaged page, a full or read-only disk) is data or
  // environment trouble with a documented exit code, not a bug: docs/FORMAT.md §11.1.
  const err = storeError(raw) ?? raw;
  if (err instanceof CairnError) {
    if (json) ctx.out.write(`${jsonSafe(JSON.stringify({ error: err.toJSON() }))}\n`);
    // A message may quote a remote's words or a file name: one line, no terminal control, bounded.
    ctx.err.write(`${ctx.color.red('error:')} ${humanMessage(err.message)}\n`);
    return exitCodeFor(err.code);
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    // File-system failures the user can act on (permissions, full disk): no stack trace.
    const hint = FS_HINTS[e.code];
    ctx.err.write(`${ctx.color.red('error:')} ${humanMessage(e.message)}${hint === undefined ? '' : `: ${hint}`}\n`);
    if (json)
      ctx.out.write(`${jsonSafe(JSON.stringify({ error: { code: 'IO', message: e.message, data: { errno: e.code, path: e.path } } }))}\n`);
    return e.code === 'ENOSPC' ? EXIT.IO : EXIT.IO;
  }
  ctx.err.write(`cairn: internal error (a bug; please report it with this trace):\n${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.INTERNAL;
}

const FS_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full; free some space and run the command again',
  EDQUOT: 'the disk quota is used up; free some space and run the command again',
  EROFS: 'the file system is read-only; only commands that read (log, status, show, ls, diff) work here',
};

/**
 * Wraps a commander action: runs it, reports errors, and records the exit code for main().
 * Usage: `.action(action(ctx, async (args, opts) => { ...; return EXIT.OK }))`.
 */
export function action<A extends unknown[]>(ctx: CommandContext, fn: (...args: A) => ActionResult): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await runAction(ctx, jsonRequested(args), () => fn(...args));
  };
}

/** Whether a commander action was given --json: it passes (...positionals, options, command). */
export function jsonRequested(args: readonly unknown[]): boolean {
  const opts = args[args.length - 2] as { json?: boolean } | undefined;
  return opts?.json === true;
}
