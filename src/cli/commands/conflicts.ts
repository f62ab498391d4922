// `cairn conflicts [--json] [PATH...]`: every conflict of the merge in progress, with the base,
// ours and theirs values at each location.
import type { Command } from 'commander';
import { readMergeState } from '../../ops/merge/state.js';
import { toRepoPath, underPath } from '../../ops/worktree/scan.js';
import { type CommandContext } from '../context.js';
import { printExactJson, showValue } from '../merge-output.js';
import { repoAction } from '../repo-action.js';
import { quotePath, humanText } from '../format.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('conflicts')
    .description(
      'list the conflicts of the merge in progress: path, location (JSON Pointer, record key or lines) and the base, ours and theirs values',
    )
    .argument('[paths...]', 'only conflicts under these paths')
    .option('--json', 'print the merge state as JSON (values exact)')
    .addHelpText(
      'after',
      `
Whole-file conflicts show each side as {kind, id, size}: read a version with 'cairn cat ID'.

Example:
  $ cairn conflicts data/products.json`,
    )
    .action(
      repoAction(ctx, ({ repo }, paths: string[], opts: { json?: boolean }) => {
        const state = readMergeState(repo);
        const scope = paths.map((p) => toRepoPath(repo, ctx.cwd, p));
        const shown = (state?.paths ?? []).filter((c) => scope.length === 0 || scope.some((s) => underPath(c.path, s)));
        if (opts.json) {
          printExactJson(
            ctx,
            state === null
              ? { merging: false, paths: [] }
              : {
                  merging: true,
                  ours: state.origHead,
                  theirs: state.theirs,
                  theirsLabel: state.theirsLabel,
                  phase: state.phase,
                  paths: shown,
                },
          );
          return;
        }
        if (state === null) {
          ctx.out.write('No merge in progress.\n');
          return;
        }
        const open = state.paths.filter((p) => !p.resolved).length;
        let s = `Merging '${state.theirsLabel}' (${state.theirs.slice(0, 12)}) into ${state.origHead.slice(0, 12)}: ${open} unresolved path(s), ${state.paths.length - open} resolved\n`;
        for (const c of shown) {
          s += `\n${quotePath(c.path)}  [${[c.driver, c.kind].filter((x) => x !== null).join(', ')}]${c.resolved ? ' (resolved)' : ''}${c.movedTo !== undefined ? `  file moved to ${quotePath(c.movedTo)}` : ''}\n`;
          for (const e of c.conflicts) {
            s += `  ${humanText(e.location) || '(whole file)'}  ${e.kind}${e.resolved ? ' (resolved)' : ''}\n`;
            s += `    base:   ${showValue(e.base)}\n    ours:   ${showValue(e.ours)}\n    theirs: ${showValue(e.theirs)}\n`;
          }
        }
        ctx.out.write(s);
      }),
    );
}
