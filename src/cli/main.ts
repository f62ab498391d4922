// Entry point of the `cairn` binary: builds the commander program and maps the outcome to an exit
// code. Commands live in ./commands, one file each.
import { Command, CommanderError } from 'commander';
import { makeContext } from './context.js';
import type { Register } from './commands/index.js';
import { EXIT } from './exit.js';
import { quoteForMessage } from '../errors.js';

export async function main(argv: string[]): Promise<number> {
  const ctx = makeContext();
  const program = new Command('cairn')
    .description('Version control for data: snapshot folders, branch, diff, merge and sync datasets.')
    .version(VERSION, '-V, --version')
    .option('-C, --dir <path>', 'run as if cairn was started in <path>')
    .showSuggestionAfterError(true)
    // Options after a command name belong to that command (`cairn remote add --json`), as in git.
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (s) => ctx.out.write(s),
      writeErr: (s) => ctx.err.write(s),
      // commander quotes argv in its errors ("unknown option '-…'"): escaped and bounded like ours.
      outputError: (s, write) => write(s.replace(/[^\n]+/g, (line) => quoteForMessage(line, 400))),
    })
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: see docs/CLI.md (0 ok, 1 "no" answer (nothing to commit, diff --exit-code),\n2 usage, 3 not a repository, 4 not found, 5 conflicts, 6 rejected, 7 corrupt data, 8 remote\nfailure, 9 locked, 10 I/O error).',
    );
  program.hook('preAction', (thisCommand) => {
    const dir = thisCommand.opts()['dir'] as string | undefined;
    if (dir !== undefined) ctx.cwd = dir;
  });
  let exitCode: number = EXIT.OK;
  for (const mod of await commandModules(argv.slice(2))) mod.register(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'node' });
    exitCode = (process.exitCode as number | undefined) ?? EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    throw err;
  }
  return exitCode;
}

const VERSION = '0.1.0';

/**
 * Loads only the invoked command's module when the command is known by its file name (each
 * commands/<name>.ts registers `cairn <name>`), and every module otherwise (help, typos, no
 * command). Loading all of them costs ~0.2 s of start-up, which `status` cannot afford.
 */
async function commandModules(args: string[]): Promise<{ register: Register }[]> {
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += args[i] === '-C' || args[i] === '--dir' ? 2 : 1;
  const name = args[i];
  const wantsHelp = args.includes('-h') || args.includes('--help');
  if (name !== undefined && !wantsHelp && /^[a-z][a-z-]*$/.test(name) && name !== 'help' && name !== 'index') {
    try {
      return [(await import(`./commands/${name}.js`)) as { register: Register }];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    }
  }
  const { COMMANDS } = await import('./commands/index.js');
  return Promise.all(COMMANDS);
}

// A reader that closes the pipe early (`cairn log | head`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
  throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cairn: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);
