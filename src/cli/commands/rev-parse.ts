// `cairn rev-parse REV...`: the full id each revision names (REV:PATH gives the entry's id), one per
// line, for scripts and tests.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { resolvePath } from '../../ops/ls.js';
import { resolveRevision, splitRevPath } from '../../ops/history/rev-parse.js';
import { printJson, type CommandContext } from '../context.js';
import { checkedRepoAction } from '../repo-action.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('rev-parse')
    .description('print the full id of each revision (branch, tag, short id, HEAD~2, REV:PATH)')
    .argument('<rev...>', 'revisions to resolve')
    .option('--short', 'print abbreviated ids (12 digits)')
    .option('--abbrev <digits>', 'with --short: how many digits (4 to 64)')
    .option('--json', 'one JSON object per line: rev, id')
    .addHelpText('after', '\nExample:\n  $ cairn rev-parse HEAD main~2 v1:data/users.json')
    .action(
      checkedRepoAction(ctx, (revs: string[], opts: { short?: boolean; abbrev?: string; json?: boolean }) => {
        const digits = !opts.short ? 64 : opts.abbrev === undefined ? 12 : Number(opts.abbrev);
        if (!Number.isInteger(digits) || digits < 4 || digits > 64)
          throw new UsageError(`--abbrev needs 4 to 64 digits, got '${String(opts.abbrev)}'`);
        return ({ repo }) => {
          const ids = revs.map((rev) =>
            splitRevPath(rev).path === undefined ? resolveRevision(repo, rev) : resolvePath(repo, rev).entry.id,
          );
          revs.forEach((rev, i) => {
            if (opts.json) printJson(ctx, { rev, id: ids[i] });
            else ctx.out.write(`${ids[i]!.slice(0, digits)}\n`);
          });
        };
      }),
    );
}
