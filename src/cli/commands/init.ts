// `cairn init [DIR]`: create a repository.
import type { Command } from 'commander';
import { Repository } from '../../store/repository.js';
import { checkRefName } from '../../core/names.js';
import { printJson, type CommandContext } from '../context.js';
import { action } from '../run-action.js';
import { resolve } from 'node:path';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('init')
    .description('create an empty repository (a .cairn folder) in DIR or the current folder')
    .argument('[dir]', 'folder to make a repository', '.')
    .option('-b, --initial-branch <name>', 'name of the first branch', 'main')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ cairn init data && cd data && cairn add . && cairn commit -m "first snapshot"')
    // Not repoAction: init creates the repository rather than opening one, so it runs outside any.
    .action(
      action(ctx, (dir: string, opts: { initialBranch: string; json?: boolean }) => {
        checkRefName(opts.initialBranch);
        const { repo, created } = Repository.init(resolve(ctx.cwd, dir), { initialBranch: opts.initialBranch });
        const root = repo.root;
        repo.close();
        if (opts.json) printJson(ctx, { root, created, branch: opts.initialBranch });
        else ctx.out.write(`${created ? 'Initialized empty' : 'Reinitialized existing'} cairn repository in ${root}/.cairn\n`);
      }),
    );
}
