// `cairn rm PATH...`: untrack files and delete them.
import type { Command } from 'commander';
import { rm } from '../../ops/rm.js';
import { toRepoPath } from '../../ops/worktree/scan.js';
import { printJson, type CommandContext } from '../context.js';
import { repoAction } from '../repo-action.js';
import { humanText } from '../format.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('rm')
    .description('stop tracking files and delete them from the worktree')
    .argument('<paths...>', 'tracked files or folders')
    .option('--cached', 'only untrack; keep the files in the worktree')
    .option('-r, --recursive', 'allow removing whole folders')
    .option('-f, --force', 'remove even files with uncommitted changes')
    .option('--json', 'print the removed paths as JSON')
    .addHelpText('after', '\nExample:\n  $ cairn rm -r old-exports/ && cairn commit -m "drop old exports"')
    .action(
      repoAction(ctx, ({ repo }, paths: string[], opts: { cached?: boolean; recursive?: boolean; force?: boolean; json?: boolean }) => {
        const res = rm(repo, {
          paths: paths.map((p) => toRepoPath(repo, ctx.cwd, p)),
          cached: opts.cached,
          force: opts.force,
          recursive: opts.recursive,
        });
        if (opts.json) printJson(ctx, res);
        else for (const p of res.removed) ctx.out.write(`rm '${humanText(p)}'\n`);
      }),
    );
}
