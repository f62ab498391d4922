// `cairn reset [--soft|--mixed|--hard] [REV] [-- PATH...]`: move the branch, reset index/files.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { refWho, resolveAuthor } from '../../ops/identity.js';
import { reset, type ResetMode } from '../../ops/reset.js';
import { resolveRevision } from '../../ops/history/rev-parse.js';
import { toRepoPath } from '../../ops/worktree/scan.js';
import type { Repository } from '../../store/repository.js';
import { printJson, type CommandContext } from '../context.js';
import { checkedRepoAction } from '../repo-action.js';
import { quotePath } from '../format.js';

interface ResetFlags {
  soft?: boolean;
  mixed?: boolean;
  hard?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('reset')
    .description('move the current branch to REV (default HEAD); --mixed also resets the index, --hard also the files')
    .argument('[args...]', 'REV, then paths (after --) to unstage')
    .option('--soft', 'only move the branch')
    .option('--mixed', 'move the branch and reset the index (default)')
    .option('--hard', 'move the branch, reset the index and the files (discards uncommitted changes)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nWith paths, only their index entries are reset (unstaged) from REV; the branch does not move.\n\nExample:\n  $ cairn reset --hard HEAD~1     # drop the last commit and its files\n  $ cairn reset -- data/big.csv   # unstage one file',
    )
    .action(
      checkedRepoAction(ctx, (args: string[], opts: ResetFlags, cmd: Command) => {
        const modes = (['soft', 'mixed', 'hard'] as const).filter((m) => opts[m]);
        if (modes.length > 1) throw new UsageError(`choose one of --soft, --mixed, --hard (got ${modes.map((m) => `--${m}`).join(' ')})`);
        const mode: ResetMode = modes[0] ?? 'mixed';
        return ({ repo, progress }) => {
          const { rev, paths } = splitArgs(repo, args, operandsBeforeDashDash(cmd, args.length));
          const res = reset(repo, {
            rev,
            mode,
            paths: paths.map((p) => toRepoPath(repo, ctx.cwd, p)),
            who: refWho(resolveAuthor(repo, ctx.env)),
            onProgress: progress.report,
          });
          progress.stop();
          if (res.rebuiltIndex && !opts.json) ctx.err.write('the worktree index was damaged: rebuilt it from HEAD\n');
          if (opts.json) printJson(ctx, res);
          else if (paths.length > 0) {
            if (res.unstaged.length > 0)
              ctx.out.write(`Unstaged changes after reset:\n${res.unstaged.map((p) => `\t${quotePath(p)}\n`).join('')}`);
          } else if (res.head !== null) {
            const counts = res.updated + res.removed > 0 ? ` (${res.updated} file(s) updated, ${res.removed} removed)` : '';
            ctx.out.write(`HEAD is now at ${res.head.slice(0, 12)}${counts}\n`);
          }
        };
      }),
    );
}

/**
 * How many operands came before a literal `--` (commander drops it), or undefined without one.
 * Everything after the first `--` is an operand, so the count is the rest. git's rule: before
 * `--` at most one revision, after it only paths.
 */
function operandsBeforeDashDash(cmd: Command, operands: number): number | undefined {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs: string[] }).rawArgs;
  const dash = raw.indexOf('--', 2);
  if (dash < 0) return undefined;
  return operands - (raw.length - dash - 1);
}

function splitArgs(repo: Repository, args: string[], before: number | undefined): { rev: string | undefined; paths: string[] } {
  if (before !== undefined) {
    if (before > 1) throw new UsageError('reset takes at most one revision before --');
    return before === 1 ? { rev: args[0], paths: args.slice(1) } : { rev: undefined, paths: args };
  }
  if (args.length === 0) return { rev: undefined, paths: [] };
  // Without `--`, the first word is a revision when it resolves as one (as git guesses).
  try {
    resolveRevision(repo, args[0]!);
    return { rev: args[0], paths: args.slice(1) };
  } catch {
    return { rev: undefined, paths: args };
  }
}
