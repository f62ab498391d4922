// `cairn config KEY [VALUE]`, `--list`, `--unset KEY`: the repository's settings (user.name, ...).
import type { Command } from 'commander';
import { InvalidNameError, UsageError } from '../../errors.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { checkedRepoAction } from '../repo-action.js';

interface ConfigFlags {
  list?: boolean;
  unset?: boolean;
  json?: boolean;
}

/**
 * "section.name" or "section.SUB.name": letters, digits and '-', starting with a letter; SUB may
 * also hold '/' and '.', as branch names do (`branch.feature/x.remote`).
 */
const KEY_RE = /^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9_./-]+)?\.[A-Za-z0-9_-]+$/;

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('config')
    .description('read or set a repository setting (user.name, user.email, ...)')
    .argument('[key]', 'a dotted key, e.g. user.name')
    .argument('[value]', 'the value to set')
    .option('-l, --list', 'print every setting as key=value')
    .option('--unset', 'remove KEY')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
Reading a key that is not set prints nothing and exits 1, as git does.

Examples:
  $ cairn config user.name "Ada Lovelace"
  $ cairn config user.email`,
    )
    .action(
      checkedRepoAction(ctx, (key: string | undefined, value: string | undefined, opts: ConfigFlags) => {
        if (opts.list) {
          if (key !== undefined) throw new UsageError('config --list takes no key');
        } else {
          if (key === undefined) throw new UsageError('config needs a KEY (or --list)');
          if (!KEY_RE.test(key)) throw new InvalidNameError(key, "a config key is 'section.name', e.g. user.name");
          if (opts.unset && value !== undefined) throw new UsageError('config --unset takes only the key');
        }
        return ({ repo }) => {
          if (opts.list) {
            const all = repo.config.list();
            if (opts.json) printJson(ctx, Object.fromEntries(all.map((e) => [e.key, e.value])));
            else ctx.out.write(all.map((e) => `${e.key}=${e.value}\n`).join(''));
            return EXIT.OK;
          }
          if (opts.unset) {
            const removed = repo.config.unset(key!);
            if (opts.json) printJson(ctx, { key, removed });
            return removed ? EXIT.OK : EXIT.FALSE;
          }
          if (value !== undefined) {
            repo.config.set(key!, value);
            if (opts.json) printJson(ctx, { key, value });
            return EXIT.OK;
          }
          const current = repo.config.get(key!);
          if (opts.json) printJson(ctx, { key, value: current ?? null });
          else if (current !== undefined) ctx.out.write(`${current}\n`);
          return current === undefined ? EXIT.FALSE : EXIT.OK;
        };
      }),
    );
}
