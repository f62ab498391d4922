// `cairn log [REV...] [--oneline] [-n N] [--graph] [--json]`: the history, newest first.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { decorations, walkLog } from '../../ops/history/log.js';
import type { CommandContext } from '../context.js';
import { commitJson, commitMedium, commitOneline, jsonSafe } from '../format.js';
import { besideGraph, LogGraph } from '../log-graph.js';
import { checkedRepoAction } from '../repo-action.js';
import { StreamOut } from '../stream-out.js';

interface LogFlags {
  oneline?: boolean;
  maxCount?: string;
  graph?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('log')
    .description('show the commit history reachable from REV (default HEAD), newest first')
    .argument('[rev...]', 'where to start: a branch, tag, commit id, HEAD~2, ...')
    .option('--oneline', 'one line per commit: short id, refs and subject')
    .option('-n, --max-count <n>', 'show at most N commits')
    .option('--graph', 'draw the branch and merge structure beside the commits')
    .option('--json', 'one JSON object per line per commit: full id, parents, tree, author, time, message, refs')
    .addHelpText(
      'after',
      `
Each commit is shown once, even when several merges lead to it; --graph also keeps every commit
above its parents when clocks disagree.

Examples:
  $ cairn log --oneline --graph
  $ cairn log -n 5 --json feature`,
    )
    .action(
      checkedRepoAction(ctx, (revs: string[], opts: LogFlags) => {
        const limit = opts.maxCount === undefined ? undefined : Number(opts.maxCount);
        if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0))
          throw new UsageError(`-n needs a count, got '${opts.maxCount}'`);
        return async ({ repo }) => {
          const refs = decorations(repo);
          const out = new StreamOut(ctx.out);
          const graph = opts.graph && !opts.json ? new LogGraph() : undefined;
          // Long-form commits are separated by a blank line; with a graph it carries the lanes.
          let separator: string | undefined;
          for (const { id, commit } of walkLog(repo, { revs, limit, order: graph ? 'topo' : 'date' })) {
            let lines: string[];
            if (opts.json) lines = [jsonSafe(JSON.stringify(commitJson(id, commit, refs.get(id))))];
            else if (opts.oneline) lines = [commitOneline(ctx.color, id, commit, refs.get(id))];
            else lines = commitMedium(ctx.color, id, commit, refs.get(id));
            if (graph) {
              const rows = graph.next(id, commit.parents);
              lines = besideGraph(rows, lines);
              if (separator !== undefined) lines.unshift(separator);
              if (!opts.oneline) separator = rows.padding;
            } else {
              if (separator !== undefined) lines.unshift(separator);
              if (!opts.oneline && !opts.json) separator = '';
            }
            if (!(await out.write(lines.map((l) => `${l}\n`).join('')))) break;
          }
        };
      }),
    );
}
