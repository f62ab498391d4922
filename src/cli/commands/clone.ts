// `cairn clone URL [DIR]`: a full replica of a remote repository, its default branch checked out.
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { cloneRepo } from '../../sync/client/clone.js';
import { printJson, type CommandContext } from '../context.js';
import { formatSize, shortId } from '../format.js';
import { action } from '../run-action.js';
import { remoteOptions, transferProgress, who } from '../sync-common.js';

interface CloneFlags {
  branch?: string;
  origin: string;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('clone')
    .description('copy a remote repository: every commit and object, with its default branch checked out')
    .argument('<url>', 'repository URL, e.g. http://host:7070/team/sales')
    .argument('[dir]', 'folder to create (default: the last part of the URL)')
    .option('-b, --branch <name>', "check out this branch instead of the remote's default")
    .option('-o, --origin <name>', 'name of the remote', 'origin')
    .option('--json', 'print the result as JSON (progress as JSON lines on stderr)')
    .addHelpText(
      'after',
      `
The token comes from CAIRN_TOKEN or the credentials file (see 'cairn help remote'). An interrupted
clone can be resumed by running the same command again: objects already received are not fetched
a second time. Run again on a clone that had finished, it changes nothing and exits 0 (so a retry
loop in a script ends); any other existing repository or non-empty DIR is refused.

Examples:
  $ cairn clone http://127.0.0.1:7070/sales
  $ cairn clone -b nightly https://data.example.com/team/sales sales-nightly`,
    )
    // Not repoAction: there is no repository to open yet; cloneRepo creates DIR's and closes it.
    .action(
      action(ctx, async (url: string, dir: string | undefined, opts: CloneFlags) => {
        // An explicit DIR may be '.' (an empty current folder); only a name taken from the URL is checked.
        const name = dir ?? basename(new URL(url).pathname.replace(/\/+$/, ''));
        if (dir === undefined && (name === '' || name === '.' || name === '..'))
          throw new UsageError('cannot tell a folder name from the URL: give DIR');
        const progress = transferProgress(ctx, opts.json === true);
        try {
          const res = await cloneRepo({
            url,
            dir: resolve(ctx.cwd, name),
            remoteName: opts.origin,
            branch: opts.branch,
            who: who(ctx, undefined),
            progress: progress.report,
            ...remoteOptions(ctx, url),
          });
          progress.stop();
          if (opts.json) printJson(ctx, res);
          else if (res.alreadyCloned)
            ctx.out.write(`${res.root} is already a clone of ${url}: nothing done ('cairn pull' brings it up to date)\n`);
          else {
            ctx.out.write(`${res.resumed ? 'Resumed clone' : 'Cloned'} ${url} into ${res.root}\n`);
            ctx.out.write(
              `Received ${res.received} object(s), ${formatSize(res.bytesReceived)} (${res.listed - res.requested} already here); ${res.head === null ? 'the remote is empty' : `checked out '${res.branch}' at ${shortId(res.head)}: ${res.files} file(s), ${formatSize(res.bytes)}`}\n`,
            );
          }
        } finally {
          progress.stop();
        }
      }),
    );
}
