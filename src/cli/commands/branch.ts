// `cairn branch`: list, create (NAME [START]), delete (-d/-D), rename (-m/-M), --show-current.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { commitSubject, createBranch, deleteBranch, listBranches, renameBranch } from '../../ops/branch.js';
import { refWho, resolveAuthor } from '../../ops/identity.js';
import { currentBranch } from '../../ops/history/rev-parse.js';
import type { Repository } from '../../store/repository.js';
import { printJson, type CommandContext } from '../context.js';
import { shortId } from '../format.js';
import { repoAction } from '../repo-action.js';

interface BranchFlags {
  delete?: boolean;
  D?: boolean;
  move?: boolean;
  M?: boolean;
  force?: boolean;
  verbose?: boolean;
  showCurrent?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('branch')
    .description('list, create, delete or rename branches')
    .argument('[names...]', 'NAME [START] to create; NAME... to delete; [OLD] NEW to rename')
    .option('-d, --delete', 'delete branches already merged into HEAD')
    .option('-D', 'delete branches even if not merged (same as -d --force)')
    .option('-m, --move', 'rename a branch (the current one when only NEW is given); HEAD follows')
    .option('-M', 'rename even if NEW exists (same as -m --force)')
    .option('-f, --force', 'with -d: delete unmerged branches; with -m: replace NEW')
    .option('-v, --verbose', 'show the short id and subject of each branch tip')
    .option('--show-current', 'print the current branch name (nothing when HEAD is detached)')
    .option('--json', 'print the result as JSON (one object per line when listing)')
    .addHelpText(
      'after',
      `
Examples:
  $ cairn branch feature            # create at HEAD
  $ cairn branch fix v1             # create at tag v1
  $ cairn branch -m main trunk      # rename; HEAD follows
  $ cairn branch -d feature         # delete once merged`,
    )
    .action(
      repoAction(ctx, ({ repo }, names: string[], opts: BranchFlags) => {
        const who = () => refWho(resolveAuthor(repo, ctx.env));
        const force = opts.force === true;
        if (opts.showCurrent) {
          const name = currentBranch(repo);
          if (opts.json) printJson(ctx, { current: name });
          else if (name !== null) ctx.out.write(`${name}\n`);
        } else if (opts.delete || opts.D) {
          if (names.length === 0) throw new UsageError('branch -d needs the name of the branch to delete');
          for (const name of names) {
            const res = deleteBranch(repo, name, { who: who(), force: force || opts.D === true });
            if (opts.json) printJson(ctx, { deleted: res.name, id: res.id });
            else ctx.out.write(`Deleted branch ${res.name} (was ${shortId(res.id)}).\n`);
          }
        } else if (opts.move || opts.M) {
          if (names.length === 0 || names.length > 2) throw new UsageError('branch -m takes [OLD] NEW');
          const from = names.length === 2 ? names[0]! : currentBranch(repo);
          if (from === null) throw new UsageError('HEAD is detached: name the branch to rename, as in branch -m OLD NEW');
          const res = renameBranch(repo, from, names[names.length - 1]!, { who: who(), force: force || opts.M === true });
          if (opts.json) printJson(ctx, res);
          else ctx.out.write(`Renamed branch ${res.from} to ${res.to}\n`);
        } else if (names.length > 0) {
          if (names.length > 2) throw new UsageError('branch takes NAME [START] to create a branch');
          const res = createBranch(repo, names[0]!, { who: who(), start: names[1] });
          if (opts.json) printJson(ctx, { created: res.name, id: res.id });
          else ctx.out.write(`Created branch ${res.name} at ${shortId(res.id)}\n`);
        } else list(ctx, repo, opts);
      }),
    );
}

function list(ctx: CommandContext, repo: Repository, opts: BranchFlags): void {
  const { branches, current, head } = listBranches(repo);
  if (opts.json) {
    for (const b of branches) printJson(ctx, { ...b, subject: commitSubject(repo, b.id) });
    return;
  }
  const rows = branches.map((b) => ({ mark: b.current ? '*' : ' ', name: b.name, id: b.id, current: b.current }));
  if (current === null && head !== null) rows.unshift({ mark: '*', name: `(HEAD detached at ${shortId(head)})`, id: head, current: true });
  const width = Math.max(0, ...rows.map((r) => r.name.length));
  let s = '';
  for (const r of rows) {
    const name = r.current ? ctx.color.green(r.name.padEnd(opts.verbose ? width : 0)) : r.name.padEnd(opts.verbose ? width : 0);
    s += opts.verbose ? `${r.mark} ${name} ${ctx.color.yellow(shortId(r.id))} ${commitSubject(repo, r.id)}\n` : `${r.mark} ${name}\n`;
  }
  ctx.out.write(s);
}
