// `cairn add PATH...`: stage files.
import type { Command } from 'commander';
import { add } from '../../ops/add.js';
import { toRepoPath } from '../../ops/worktree/scan.js';
import { printJson, type CommandContext } from '../context.js';
import { repoAction } from '../repo-action.js';
import { humanText } from '../format.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('add')
    .description('stage the current content of files (new, modified and deleted) for the next commit')
    .argument('<paths...>', 'files or folders to stage ("." for everything)')
    .option('--json', 'print what was staged as JSON')
    .addHelpText('after', '\nFiles matched by .cairnignore are skipped unless already tracked.\n\nExample:\n  $ cairn add data/ labels.csv')
    .action(
      repoAction(ctx, ({ repo, progress }, paths: string[], opts: { json?: boolean }) => {
        const res = add(repo, { paths: paths.map((p) => toRepoPath(repo, ctx.cwd, p)), onProgress: progress.report });
        progress.stop();
        if (opts.json) printJson(ctx, res);
        else {
          for (const w of res.warnings ?? []) ctx.err.write(`${ctx.color.yellow('warning:')} ${humanText(w)}\n`);
          for (const u of res.unstorable)
            ctx.err.write(`${ctx.color.yellow('warning:')} skipped '${humanText(u.path)}': ${humanText(u.reason)}\n`);
          if (res.added.length + res.modified.length + res.removed.length > 0) {
            ctx.out.write(`staged ${res.added.length} new, ${res.modified.length} modified, ${res.removed.length} deleted file(s)\n`);
          }
        }
      }),
    );
}
