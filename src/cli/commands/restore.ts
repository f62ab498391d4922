// `cairn restore [--source REV] [--staged] [--worktree] PATH...`: discard changes to paths.
import type { Command } from 'commander';
import { restore } from '../../ops/restore.js';
import { toRepoPath } from '../../ops/worktree/scan.js';
import { printJson, type CommandContext } from '../context.js';
import { repoAction } from '../repo-action.js';

interface RestoreFlags {
  source?: string;
  staged?: boolean;
  worktree?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('restore')
    .description('restore files in the worktree from the index (or --source), or unstage them (--staged)')
    .argument('<paths...>', 'files or folders ("." for everything)')
    .option('-s, --source <rev>', 'take the content from this revision (default: the index; HEAD with --staged)')
    .option('-S, --staged', 'restore the index entries (unstage)')
    .option('-W, --worktree', 'restore the worktree files (the default unless --staged is given)')
    .option('--json', 'print what was restored as JSON')
    .addHelpText(
      'after',
      '\nTracked files that the source lacks are removed; untracked files are never touched.\n\nExample:\n  $ cairn restore data/labels.csv          # discard unstaged edits\n  $ cairn restore --staged .                # unstage everything\n  $ cairn restore --source HEAD~3 data/     # bring a folder back from an older snapshot',
    )
    .action(
      repoAction(ctx, ({ repo, progress }, paths: string[], opts: RestoreFlags) => {
        const worktree = opts.worktree ?? (opts.staged ? false : true);
        const res = restore(repo, {
          paths: paths.map((p) => toRepoPath(repo, ctx.cwd, p)),
          source: opts.source,
          staged: opts.staged,
          worktree,
          onProgress: progress.report,
        });
        progress.stop();
        if (opts.json) printJson(ctx, res);
        else {
          const parts: string[] = [];
          if (res.written.length > 0) parts.push(`${res.written.length} file(s) restored`);
          if (res.removed.length > 0) parts.push(`${res.removed.length} removed`);
          if (res.staged.length > 0) parts.push(`${res.staged.length} index entr${res.staged.length === 1 ? 'y' : 'ies'} reset`);
          if (parts.length > 0) ctx.out.write(`${parts.join(', ')}\n`);
        }
      }),
    );
}
