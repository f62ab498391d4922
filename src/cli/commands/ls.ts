// `cairn ls [REV[:PATH]] [-r] [-l] [--json]`: a committed folder's entries, read from the store.
import type { Command } from 'commander';
import { listTree, type LsEntry } from '../../ops/ls.js';
import { type CommandContext } from '../context.js';
import { shortId, quotePath, jsonSafe } from '../format.js';
import { repoAction } from '../repo-action.js';
import { StreamOut } from '../stream-out.js';

interface LsFlags {
  recursive?: boolean;
  long?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('ls')
    .description('list the files and folders of a commit (default HEAD), or of REV:PATH')
    .argument('[rev:path]', 'e.g. HEAD, v1:data, main~1:data/raw', 'HEAD')
    .option('-r, --recursive', 'list every file below, with paths relative to the folder')
    .option('-l, --long', 'also show kind, short id and size in bytes')
    .option('--json', 'one JSON object per line: name, path, kind, id, size')
    .addHelpText(
      'after',
      `
Folders end in '/'. Sizes are bytes; a folder's size is the total of the files below it.

Examples:
  $ cairn ls -l HEAD:data
  $ cairn ls -r --json v1`,
    )
    .action(
      repoAction(ctx, async ({ repo }, spec: string, opts: LsFlags) => {
        const res = listTree(repo, spec, { recursive: opts.recursive === true });
        const out = new StreamOut(ctx.out);
        const width = Math.max(0, ...res.entries.map((e) => String(e.size).length));
        for (const e of res.entries) {
          const line = opts.json ? jsonSafe(JSON.stringify(entryJson(e))) : opts.long ? longLine(e, width) : displayName(e);
          if (!(await out.write(`${line}\n`))) break;
        }
      }),
    );
}

function entryJson(e: LsEntry) {
  return { name: e.relative, path: e.path, kind: e.kind, id: e.id, size: e.size };
}

function displayName(e: LsEntry): string {
  return e.kind === 'tree' ? `${quotePath(e.relative)}/` : quotePath(e.relative);
}

/** "file     3f2a…  1234  name": kind padded to the widest kind ('symlink'), size right-aligned. */
function longLine(e: LsEntry, width: number): string {
  return `${e.kind.padEnd(7)}  ${shortId(e.id)}  ${String(e.size).padStart(width)}  ${displayName(e)}`;
}
