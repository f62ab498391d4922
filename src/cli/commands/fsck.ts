// `cairn fsck [--json]`: verify every reachable object and the pack files; exit 7 on any damage.
import type { Command } from 'commander';
import { fsck, type FsckResult } from '../../ops/fsck.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { formatSize, humanText, quotePath } from '../format.js';
import { repoAction } from '../repo-action.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('fsck')
    .description('verify that every object reachable from every ref is present and intact, and that the pack files match the object index')
    .option('--json', 'print {ok, checked, problems} as JSON')
    .addHelpText(
      'after',
      `
Each problem is printed with the object's full id, what is wrong (missing, corrupt, bad-format,
unsafe-name) and how it was reached ("refs/heads/main: commit 1a2b3c4d5e6f file data/x.csv").
Exit status 0 when the repository is healthy, 7 when anything is damaged.

Example:
  $ cairn fsck`,
    )
    .action(
      repoAction(ctx, ({ repo, progress }, opts: { json?: boolean }) => {
        const res = fsck(repo, { onProgress: progress.report });
        progress.stop();
        if (opts.json) printJson(ctx, res);
        else ctx.out.write(humanReport(res));
        return res.ok ? EXIT.OK : EXIT.CORRUPT;
      }),
    );
}

function humanReport(res: FsckResult): string {
  let s = '';
  for (const p of res.problems) s += `${p.kind} ${p.type} ${p.id}\n  at ${quotePath(p.path)}\n  ${humanText(p.message)}\n`;
  const c = res.checked;
  s += `checked ${c.commits} commits, ${c.trees} trees, ${c.files} files, ${c.chunks} chunks (${formatSize(c.bytes)})\n`;
  const n = res.problems.length;
  s +=
    n === 0
      ? 'no problems found\n'
      : `${n} problem${n === 1 ? '' : 's'} found: bring missing objects back from a replica that has them ('cairn fetch --repair REMOTE'), or restore damaged ones from a backup\n`;
  return s;
}
