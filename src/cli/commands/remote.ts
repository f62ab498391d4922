// `cairn remote`: list remotes (-v with URLs), add, remove (rm), get-url and set-url.
import type { Command } from 'commander';
import { addRemote, getRemoteUrl, listRemotes, removeRemote, setRemoteUrl } from '../../ops/remote/remote.js';
import { refWho, resolveAuthor } from '../../ops/identity.js';
import { printJson, type CommandContext } from '../context.js';
import { repoAction } from '../repo-action.js';

interface JsonFlag {
  json?: boolean;
}

/**
 * The root program does not use positional options, so commander gives `remote add --json` to
 * `remote`'s own --json (the listing's): hand it to the subcommand before its action runs, so both
 * its output and its errors are JSON.
 */
function inheritJson(sub: Command): Command {
  return sub.hook('preAction', (cmd) => {
    if (cmd.parent?.opts()['json'] === true) cmd.setOptionValue('json', true);
  });
}

export function register(program: Command, ctx: CommandContext): void {
  const remote = program
    .command('remote')
    .description('list, add and remove remotes (named repository URLs)')
    .option('-v, --verbose', 'show each URL after the name')
    .option('--json', 'print one {"name","url"} object per line')
    .addHelpText(
      'after',
      `
Tokens never go in a URL: set CAIRN_TOKEN or use the credentials file (docs/CLI.md, Remotes).

Examples:
  $ cairn remote add origin http://127.0.0.1:8080/data
  $ cairn remote -v
  $ cairn remote set-url origin https://cairn.example.com/data
  $ cairn remote remove origin`,
    )
    .action(
      repoAction(ctx, ({ repo }, opts: JsonFlag & { verbose?: boolean }) => {
        const remotes = listRemotes(repo);
        if (opts.json) for (const r of remotes) printJson(ctx, r);
        else ctx.out.write(remotes.map((r) => (opts.verbose ? `${r.name}\t${r.url}\n` : `${r.name}\n`)).join(''));
      }),
    );

  inheritJson(remote.command('add'))
    .description('add a remote: NAME for URL (http:// or https://)')
    .argument('<name>', "letters, digits, '.', '_', '-' (e.g. origin)")
    .argument('<url>', 'the repository URL, as served by cairn serve')
    .option('--json', 'print the remote as JSON')
    .addHelpText('after', '\nExample:\n  $ cairn remote add origin http://127.0.0.1:8080/data')
    .action(
      repoAction(ctx, ({ repo }, name: string, url: string, opts: JsonFlag) => {
        const res = addRemote(repo, name, url);
        if (opts.json) printJson(ctx, res);
      }),
    );

  inheritJson(remote.command('remove'))
    .alias('rm')
    .description('remove a remote, its remote-tracking refs and the upstream settings that use it')
    .argument('<name>', 'the remote to remove')
    .option('--json', 'print what was removed as JSON')
    .addHelpText('after', '\nExample:\n  $ cairn remote rm backup')
    .action(
      repoAction(ctx, ({ repo }, name: string, opts: JsonFlag) => {
        const res = removeRemote(repo, name, refWho(resolveAuthor(repo, ctx.env)));
        if (opts.json) printJson(ctx, res);
      }),
    );

  inheritJson(remote.command('get-url'))
    .description("print a remote's URL")
    .argument('<name>', 'the remote')
    .option('--json', 'print {"name","url"}')
    .addHelpText('after', '\nExample:\n  $ cairn remote get-url origin')
    .action(
      repoAction(ctx, ({ repo }, name: string, opts: JsonFlag) => {
        const url = getRemoteUrl(repo, name);
        if (opts.json) printJson(ctx, { name, url });
        else ctx.out.write(`${url}\n`);
      }),
    );

  inheritJson(remote.command('set-url'))
    .description("change a remote's URL")
    .argument('<name>', 'the remote')
    .argument('<url>', 'the new URL (http:// or https://)')
    .option('--json', 'print {"name","url","oldUrl"}')
    .addHelpText('after', '\nExample:\n  $ cairn remote set-url origin https://cairn.example.com/data')
    .action(
      repoAction(ctx, ({ repo }, name: string, url: string, opts: JsonFlag) => {
        const res = setRemoteUrl(repo, name, url);
        if (opts.json) printJson(ctx, res);
      }),
    );
}
