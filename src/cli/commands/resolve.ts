// `cairn resolve PATH... [--ours|--theirs] [--pointer P (--value JSON|--ours|--theirs)]`: mark
// conflicted paths of the merge in progress as resolved (rewriting them as the option says).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { resolveConflicts } from '../../ops/merge/resolve.js';
import { toRepoPath } from '../../ops/worktree/scan.js';
import { printJson, type CommandContext } from '../context.js';
import { checkedRepoAction } from '../repo-action.js';
import { quotePath } from '../format.js';

interface ResolveFlags {
  ours?: boolean;
  theirs?: boolean;
  pointer?: string;
  value?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('resolve')
    .description(
      'mark conflicted paths of a merge resolved: as you edited them, or taking --ours / --theirs, or a --value at one --pointer',
    )
    .argument('<paths...>', 'conflicted paths (see cairn conflicts)')
    .option('--ours', "settle every conflict in the file with ours' value (path-level conflicts: ours' version of the path)")
    .option('--theirs', "settle every conflict in the file with theirs' value (path-level conflicts: theirs' version)")
    .option('--pointer <pointer>', 'one conflict in a JSON file, by its JSON Pointer (with --value, --ours or --theirs)')
    .option('--value <json>', 'the JSON value to put at --pointer')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
--ours/--theirs keep both sides' non-conflicting changes: only the conflicts take that side.
Without an option, the file as it is in the worktree is the resolution (edit it first).

Example:
  $ cairn resolve data/products.json --pointer /items/3/price --value 12.5
  $ cairn resolve notes.txt --theirs`,
    )
    .action(
      checkedRepoAction(ctx, (paths: string[], opts: ResolveFlags) => {
        if (opts.ours && opts.theirs) throw new UsageError('choose one of --ours and --theirs');
        return ({ repo }) => {
          const res = resolveConflicts(repo, {
            paths: paths.map((p) => toRepoPath(repo, ctx.cwd, p)),
            take: opts.ours ? 'ours' : opts.theirs ? 'theirs' : undefined,
            pointer: opts.pointer,
            value: opts.value,
          });
          if (opts.json) printJson(ctx, res);
          else {
            let s = '';
            for (const r of res.resolved)
              s += `Resolved ${quotePath(r.path)}${r.location !== undefined ? ` at ${r.location || "''"}` : ''} (${r.how === 'worktree' ? 'as in the worktree' : r.how})\n`;
            s +=
              res.remaining.length === 0
                ? "All conflicts resolved: run 'cairn merge --continue' to commit the merge.\n"
                : `${res.remaining.length} conflicted path(s) remain: ${res.remaining.join(', ')}\n`;
            ctx.out.write(s);
          }
        };
      }),
    );
}
