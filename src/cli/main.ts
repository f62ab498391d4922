// Entry point of the `cairn` binary: builds the commander program and maps the outcome to an exit
// code. Commands live in ./commands, one file each.
import { Command, CommanderError } from 'commander';
import { makeContext } from './context.js';
import { COMMANDS } from './commands/index.js';
import { EXIT } from './exit.js';

export async function main(argv: string[]): Promise<number> {
  const ctx = makeContext();
  const program = new Command('cairn')
    .description('Version control for data: snapshot folders, branch, diff, merge and sync datasets.')
    .version(VERSION, '-V, --version')
    .option('-C, --dir <path>', 'run as if cairn was started in <path>')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => ctx.out.write(s), writeErr: (s) => ctx.err.write(s) })
    .exitOverride()
    .addHelpText('after', '\nExit codes: see docs/CLI.md (0 ok, 1 "no" answer (nothing to commit, diff --exit-code),\n2 usage, 3 not a repository, 4 not found, 5 conflicts, 6 rejected, 7 corrupt data, 8 remote\nfailure, 9 locked, 10 I/O error).');
  program.hook('preAction', (thisCommand) => {
    const dir = thisCommand.opts()['dir'] as string | undefined;
    if (dir !== undefined) ctx.cwd = dir;
  });
  let exitCode: number = EXIT.OK;
  for (const mod of await Promise.all(COMMANDS)) mod.register(program, ctx);
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

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cairn: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);
