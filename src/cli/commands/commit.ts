// `cairn commit -m MSG [-a]`: record the staged snapshot.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { commit } from '../../ops/commit.js';
import { resolveAuthor } from '../../ops/identity.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { repoAction } from '../repo-action.js';
import { loadIgnore } from '../../ops/worktree/scan.js';
import { humanText } from '../format.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('commit')
    .description('record the staged files as a new commit on the current branch')
    .requiredOption('-m, --message <msg>', 'commit message')
    .option('-a, --all', 'stage every change first (new, modified and deleted files, respecting .cairnignore)')
    .option('--allow-empty', 'commit even when nothing changed')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Author: CAIRN_AUTHOR_NAME / CAIRN_AUTHOR_EMAIL, else 'cairn config user.name|user.email', else the OS user.
Exit status 1 when there is nothing to commit. If another process moved the branch meanwhile, the
commit is kept and the error names it (exit 6).

Example:
  $ cairn commit -a -m "nightly snapshot"`,
    )
    .action(
      repoAction(ctx, ({ repo, progress }, opts: { message: string; all?: boolean; allowEmpty?: boolean; json?: boolean }) => {
        const timeEnv = ctx.env['CAIRN_COMMIT_TIME'];
        const time = timeEnv === undefined || timeEnv === '' ? undefined : Number(timeEnv);
        if (time !== undefined && !Number.isSafeInteger(time))
          throw new UsageError('CAIRN_COMMIT_TIME must be milliseconds since the epoch');
        const res = commit(repo, {
          message: opts.message,
          author: resolveAuthor(repo, ctx.env),
          time,
          tzOffset: time === undefined ? undefined : 0,
          all: opts.all,
          allowEmpty: opts.allowEmpty,
          onProgress: progress.report,
        });
        progress.stop();
        // -a staged through .cairnignore: say so when it was not applied (a symlink, a FIFO).
        if (opts.all && !opts.json)
          for (const w of loadIgnore(repo.root).warnings) ctx.err.write(`${ctx.color.yellow('warning:')} ${humanText(w)}\n`);
        if (opts.json) printJson(ctx, res);
        else if (res.committed) {
          const where = res.branch ?? 'detached HEAD';
          ctx.out.write(
            `[${where}${res.parents.length === 0 ? ' (root-commit)' : ''} ${res.id.slice(0, 12)}] ${opts.message.split('\n')[0]}\n`,
          );
        } else if (res.head === null) ctx.out.write("nothing to commit: no files are staged (use 'cairn add', or --allow-empty)\n");
        else ctx.out.write('nothing to commit, working tree matches HEAD\n');
        return res.committed ? EXIT.OK : EXIT.FALSE;
      }),
    );
}
