// `cairn switch [-c] [--force] [--detach] BRANCH [START]`: move to another branch (or create one).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { refWho, resolveAuthor } from '../../ops/identity.js';
import { switchBranch, type SwitchResult } from '../../ops/switch.js';
import { printJson, type CommandContext } from '../context.js';
import { checkedRepoAction } from '../repo-action.js';

interface SwitchFlags {
  create?: boolean;
  force?: boolean;
  detach?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('switch')
    .description('switch to a branch, updating the files; uncommitted changes are kept (refuses if it would overwrite them)')
    .argument('<branch>', 'branch to switch to (with --detach: any revision)')
    .argument('[start]', 'with --create: the commit the new branch starts from (default HEAD)')
    .option('-c, --create', 'create the branch first (refused if it exists)')
    .option('-f, --force', 'discard uncommitted changes (index and files end up exactly at the target)')
    .option('--detach', 'detach HEAD at the revision instead of switching to a branch')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit status 6 when uncommitted changes would be overwritten (the error names the files).\n\nExample:\n  $ cairn switch -c experiment main~2',
    )
    .action(
      checkedRepoAction(ctx, (branch: string, start: string | undefined, opts: SwitchFlags) => {
        if (start !== undefined && !opts.create) throw new UsageError('a start point is only accepted with --create');
        return ({ repo, progress }) => {
          const res = switchBranch(repo, {
            branch: opts.detach ? undefined : branch,
            detach: opts.detach ? branch : undefined,
            create: opts.create,
            start,
            force: opts.force,
            who: refWho(resolveAuthor(repo, ctx.env)),
            onProgress: progress.report,
          });
          progress.stop();
          if (opts.json) printJson(ctx, switchJson(res));
          else ctx.out.write(describeSwitch(res));
        };
      }),
    );
}

export function switchJson(res: SwitchResult): Record<string, unknown> {
  return {
    branch: res.branch,
    head: res.head,
    detached: res.branch === null,
    created: res.created,
    alreadyOn: res.alreadyOn,
    previous: res.previous,
    updated: res.updated,
    removed: res.removed,
  };
}

export function describeSwitch(res: SwitchResult): string {
  const counts = res.updated + res.removed > 0 ? ` (${res.updated} file(s) updated, ${res.removed} removed)` : '';
  if (res.branch === null) return `HEAD is now at ${res.head!.slice(0, 12)}${counts}\n`;
  if (res.alreadyOn) return `Already on '${res.branch}'${counts}\n`;
  return `Switched to ${res.created ? 'a new branch' : 'branch'} '${res.branch}'${counts}\n`;
}
