// `cairn export REV[:PATH] DIR`: write a snapshot into an empty or new folder (no repository needed there).
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { exportTree } from '../../ops/export.js';
import { printJson, type CommandContext } from '../context.js';
import { formatSize } from '../format.js';
import { repoAction } from '../repo-action.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('export')
    .description('write the files of a commit (or of one folder of it, REV:PATH) into an empty or new folder')
    .argument('<rev>', 'revision, optionally REV:PATH for one folder or file')
    .argument('<dir>', 'destination folder (must be empty or not exist)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ cairn export v1.0 /tmp/dataset-v1\n  $ cairn export main:images /tmp/images')
    .action(
      repoAction(ctx, ({ repo, progress }, rev: string, dir: string, opts: { json?: boolean }) => {
        const res = exportTree(repo, { rev, dir: resolve(ctx.cwd, dir), onProgress: progress.report });
        progress.stop();
        if (opts.json) printJson(ctx, res);
        else ctx.out.write(`exported ${res.files} file(s) (${formatSize(res.bytes)}) of ${res.commit.slice(0, 12)} to ${res.dir}\n`);
      }),
    );
}
