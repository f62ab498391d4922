// `cairn checkout [--force] REV`: a branch name switches to it; any other revision detaches HEAD.
import type { Command } from 'commander';
import { checkout } from '../../ops/checkout.js';
import { refWho, resolveAuthor } from '../../ops/identity.js';
import { printJson, type CommandContext } from '../context.js';
import { repoAction } from '../repo-action.js';
import { describeSwitch, switchJson } from './switch.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('checkout')
    .description('check out a branch, or detach HEAD at any revision (id, tag, HEAD~2...)')
    .argument('<rev>', 'branch or revision')
    .option('-f, --force', 'discard uncommitted changes (index and files end up exactly at the target)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit status 6 when uncommitted changes would be overwritten (the error names the files).\n\nExample:\n  $ cairn checkout v1.0     # look at the tagged snapshot (detached HEAD)\n  $ cairn checkout main     # and back',
    )
    .action(
      repoAction(ctx, ({ repo, progress }, rev: string, opts: { force?: boolean; json?: boolean }) => {
        const res = checkout(repo, { rev, force: opts.force, who: refWho(resolveAuthor(repo, ctx.env)), onProgress: progress.report });
        progress.stop();
        if (opts.json) printJson(ctx, switchJson(res));
        else ctx.out.write(describeSwitch(res));
      }),
    );
}
