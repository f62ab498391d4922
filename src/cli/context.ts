// What a command gets from the outside world: streams, environment, working directory and the
// output mode. Commands print only through this, so tests and --json stay exact.
import { Chalk, type ChalkInstance } from 'chalk';
import { Repository } from '../store/repository.js';
import { jsonSafe } from './format.js';

export interface Writer {
  write(s: string): unknown;
}

export interface CommandContext {
  cwd: string;
  env: Record<string, string | undefined>;
  out: Writer & NodeJS.WritableStream;
  err: Writer;
  /** stdout is a terminal: colours (unless NO_COLOR) and progress bars are allowed. */
  isTTY: boolean;
  color: ChalkInstance;
}

export function makeContext(): CommandContext {
  const isTTY = process.stdout.isTTY === true;
  const noColor = process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '';
  return {
    cwd: process.cwd(),
    env: process.env,
    out: process.stdout,
    err: process.stderr,
    isTTY,
    color: new Chalk({ level: isTTY && !noColor && process.env['TERM'] !== 'dumb' ? 1 : 0 }),
  };
}

export function openRepo(ctx: CommandContext): Repository {
  return Repository.open(ctx.cwd);
}

/** Prints one JSON document (or one record per line for streams). */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out.write(`${jsonSafe(JSON.stringify(value))}\n`);
}
