// `cairn merge-base [--all] A B`: the best common ancestor(s) of two commits.
import type { Command } from 'commander';
import { mergeBases } from '../../ops/history/merge-base.js';
import { resolveRevision } from '../../ops/history/rev-parse.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { repoAction } from '../repo-action.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('merge-base')
    .description('print the best common ancestor of two commits (the base a merge of them uses)')
    .argument('<a>', 'a branch, tag or commit')
    .argument('<b>', 'another one')
    .option('-a, --all', 'print every best common ancestor (a criss-cross history has several)')
    .option('--json', 'print {bases: [...]} as JSON')
    .addHelpText(
      'after',
      `
Several best common ancestors (criss-cross merges): without --all the oldest is printed and a note
on stderr says how many there are; 'cairn merge' never picks one, it merges them into a virtual base.
Exit status 1 when the commits share no history.

Example:
  $ cairn merge-base main feature`,
    )
    .action(
      repoAction(ctx, ({ repo }, a: string, b: string, opts: { all?: boolean; json?: boolean }) => {
        const bases = mergeBases(repo, [resolveRevision(repo, a)], [resolveRevision(repo, b)]);
        if (opts.json) printJson(ctx, { bases });
        else {
          for (const id of opts.all ? bases : bases.slice(0, 1)) ctx.out.write(`${id}\n`);
          if (!opts.all && bases.length > 1)
            ctx.err.write(`note: ${bases.length} best common ancestors (criss-cross history); see 'cairn merge-base --all'\n`);
        }
        return bases.length === 0 ? EXIT.FALSE : EXIT.OK;
      }),
    );
}
