// `cairn show [REV] [--json]`: one commit and the files it changed against its first parent;
// `cairn show REV:PATH` prints a file, as `cairn cat` does.
import type { Command } from 'commander';
import { decorations } from '../../ops/history/log.js';
import { resolvePath } from '../../ops/ls.js';
import { splitRevPath } from '../../ops/history/rev-parse.js';
import { showCommit } from '../../ops/show.js';
import { printJson, type CommandContext } from '../context.js';
import { commitJson, commitMedium, quotePath } from '../format.js';
import { repoAction } from '../repo-action.js';
import { detail, summaryLine } from './diff.js';
import { catFile } from './cat.js';

const LETTER = { added: 'A', modified: 'M', deleted: 'D', typechange: 'T' } as const;

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('show')
    .description('show a commit (author, date, message, changed files with sizes), or a file with REV:PATH')
    .argument('[rev]', 'a commit (default HEAD), or REV:PATH for a file', 'HEAD')
    .option('--json', 'print {commit, changes, summary} as JSON')
    .addHelpText(
      'after',
      `
Changed files are listed against the first parent: A added, M modified, D deleted, T type changed.

Examples:
  $ cairn show HEAD~1
  $ cairn show v1:data/users.json`,
    )
    .action(
      repoAction(ctx, async ({ repo }, rev: string, opts: { json?: boolean }) => {
        if (splitRevPath(rev).path !== undefined && !opts.json) return catFile(ctx, repo, rev);
        if (splitRevPath(rev).path !== undefined) {
          const { commit, path, entry } = resolvePath(repo, rev);
          printJson(ctx, { commit, path, kind: entry.kind, id: entry.id, size: entry.size });
          return;
        }
        const { id, commit, diff } = showCommit(repo, rev);
        const refs = decorations(repo).get(id);
        if (opts.json) {
          printJson(ctx, { commit: commitJson(id, commit, refs), changes: diff.changes, summary: diff.summary });
          return;
        }
        const lines = commitMedium(ctx.color, id, commit, refs);
        if (diff.changes.length > 0) {
          lines.push('');
          for (const c of diff.changes) lines.push(`${LETTER[c.change]} ${quotePath(c.path)}${detail(c)}`);
          lines.push(summaryLine(diff));
        }
        ctx.out.write(lines.map((l) => `${l}\n`).join(''));
      }),
    );
}
