// Tokens for remotes: CAIRN_TOKEN, else the credentials file (CAIRN_CREDENTIALS, else
// $XDG_CONFIG_HOME/cairn/credentials, else ~/.config/cairn/credentials). Tokens are never printed:
// messages name the file and the line number only.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from './context.js';

export interface CredentialEntry {
  /** URL prefix, without trailing '/'. */
  prefix: string;
  token: string;
  line: number;
}

/** Files already warned about in this process: each warning is given once, as ssh does. */
const warned = new Set<string>();

/** Where the credentials file is for this environment. */
export function credentialsPath(env: CommandContext['env']): string {
  const explicit = env['CAIRN_CREDENTIALS'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg !== undefined && xdg !== '') return join(xdg, 'cairn', 'credentials');
  const home = env['HOME'] !== undefined && env['HOME'] !== '' ? env['HOME'] : homedir();
  return join(home, '.config', 'cairn', 'credentials');
}

/**
 * The token to send to `url`, or undefined for an anonymous request. CAIRN_TOKEN wins over the
 * file; in the file, the longest prefix matching `url` wins.
 */
export function tokenFor(ctx: CommandContext, url: string): string | undefined {
  const env = ctx.env['CAIRN_TOKEN'];
  if (env !== undefined && env !== '') return env;
  const path = credentialsPath(ctx.env);
  const text = readCredentials(ctx, path);
  if (text === undefined) return undefined;
  let best: CredentialEntry | undefined;
  for (const e of parseCredentials(text, (line, why) =>
    warnOnce(ctx, `${path}:${line}`, `${path} line ${line}: ${why}; the line is ignored`),
  )) {
    if (prefixMatches(e.prefix, url) && (best === undefined || e.prefix.length > best.prefix.length)) best = e;
  }
  return best?.token;
}

/**
 * Lines `URL-PREFIX TOKEN` separated by spaces or tabs; blank lines and lines starting with '#'
 * are skipped. A malformed line is reported through `bad` (by number: it may hold a secret).
 */
export function parseCredentials(text: string, bad: (line: number, why: string) => void = () => {}): CredentialEntry[] {
  const out: CredentialEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/[ \t]+/);
    if (fields.length !== 2) return bad(i + 1, "expected 'URL-PREFIX TOKEN'");
    const [prefix, token] = fields as [string, string];
    if (!/^https?:\/\/[^/]/.test(prefix)) return bad(i + 1, 'the prefix must start with http:// or https://');
    out.push({ prefix: prefix.replace(/\/+$/, ''), token, line: i + 1 });
  });
  return out;
}

/**
 * Whether `prefix` covers `url`, on a boundary: 'https://h/team' covers 'https://h/team' and
 * 'https://h/team/data' but not 'https://h/teammates' — nor 'https://h.evil.example', which a plain
 * string prefix 'https://h' would send the token to.
 */
export function prefixMatches(prefix: string, url: string): boolean {
  if (!url.startsWith(prefix)) return false;
  const next = url.charAt(prefix.length);
  return next === '' || next === '/' || next === '?' || next === '#';
}

function readCredentials(ctx: CommandContext, path: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      // Only a file the user named explicitly is worth a word when it is missing.
      if (ctx.env['CAIRN_CREDENTIALS']) warnOnce(ctx, path, `CAIRN_CREDENTIALS names ${path}, which does not exist; sending no token`);
      return undefined;
    }
    throw err;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warnOnce(
      ctx,
      path,
      `${path} is accessible to other users (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); run: chmod 600 ${path}`,
    );
  }
  return readFileSync(path, 'utf8');
}

function warnOnce(ctx: CommandContext, key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  ctx.err.write(`${ctx.color.yellow('warning:')} ${message}\n`);
}
