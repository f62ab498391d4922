// Token lookup: CAIRN_TOKEN first, then the credentials file (path from CAIRN_CREDENTIALS,
// XDG_CONFIG_HOME or HOME), longest prefix on a URL boundary, comments and blank lines skipped, a
// loosely-permissioned file warned about once, and no token ever written to stderr.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { credentialsPath, parseCredentials, prefixMatches, tokenFor } from '../../src/cli/credentials.js';
import { tempDir } from '../helpers/cli.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('cairn-cred-')));
afterEach(() => cleanup());

function context(env: Record<string, string>): { ctx: CommandContext; stderr: () => string } {
  let err = '';
  const ctx: CommandContext = {
    cwd: dir,
    env,
    out: process.stdout,
    err: { write: (s: string) => (err += s) },
    isTTY: false,
    color: new Chalk({ level: 0 }),
  };
  return { ctx, stderr: () => err };
}

function credFile(text: string, mode = 0o600, name = 'credentials'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const FILE = `# cairn credentials
https://data.example.com        tok-host

https://data.example.com/team   tok-team
	# indented comment
http://127.0.0.1:8080/repo\ttok-local
`;

describe('tokenFor', () => {
  it('prefers CAIRN_TOKEN over the file', () => {
    const path = credFile(FILE);
    expect(tokenFor(context({ CAIRN_TOKEN: 'from-env', CAIRN_CREDENTIALS: path }).ctx, 'https://data.example.com/team/x')).toBe('from-env');
  });

  it('takes the longest matching prefix from the file', () => {
    const { ctx, stderr } = context({ CAIRN_CREDENTIALS: credFile(FILE) });
    expect(tokenFor(ctx, 'https://data.example.com/team/sales')).toBe('tok-team');
    expect(tokenFor(ctx, 'https://data.example.com/team')).toBe('tok-team');
    expect(tokenFor(ctx, 'https://data.example.com/other')).toBe('tok-host');
    expect(tokenFor(ctx, 'http://127.0.0.1:8080/repo')).toBe('tok-local');
    expect(tokenFor(ctx, 'http://127.0.0.1:8080/repository')).toBeUndefined();
    expect(tokenFor(ctx, 'https://data.example.com.evil.test/x')).toBeUndefined();
    expect(tokenFor(ctx, 'http://data.example.com/team')).toBeUndefined();
    expect(stderr()).toBe('');
  });

  it('an empty CAIRN_TOKEN counts as unset', () => {
    const { ctx } = context({ CAIRN_TOKEN: '', CAIRN_CREDENTIALS: credFile(FILE) });
    expect(tokenFor(ctx, 'https://data.example.com/x')).toBe('tok-host');
  });

  it('finds the file under XDG_CONFIG_HOME, else under HOME/.config', () => {
    mkdirSync(join(dir, 'xdg', 'cairn'), { recursive: true });
    mkdirSync(join(dir, 'home', '.config', 'cairn'), { recursive: true });
    credFile('https://h xdg-token\n', 0o600, 'xdg/cairn/credentials');
    credFile('https://h home-token\n', 0o600, 'home/.config/cairn/credentials');
    expect(tokenFor(context({ XDG_CONFIG_HOME: join(dir, 'xdg'), HOME: join(dir, 'home') }).ctx, 'https://h/r')).toBe('xdg-token');
    expect(tokenFor(context({ HOME: join(dir, 'home') }).ctx, 'https://h/r')).toBe('home-token');
    expect(credentialsPath({ CAIRN_CREDENTIALS: '/x/c', XDG_CONFIG_HOME: '/y' })).toBe('/x/c');
  });

  it('without a file there is no token and nothing to say, unless CAIRN_CREDENTIALS named it', () => {
    const quiet = context({ HOME: join(dir, 'nohome') });
    expect(tokenFor(quiet.ctx, 'https://h/r')).toBeUndefined();
    expect(quiet.stderr()).toBe('');
    const named = context({ CAIRN_CREDENTIALS: join(dir, 'missing') });
    expect(tokenFor(named.ctx, 'https://h/r')).toBeUndefined();
    expect(named.stderr()).toContain('does not exist');
  });

  it.skipIf(process.platform === 'win32')('warns once about a file others can read, and still uses it', () => {
    const path = credFile('https://h s3cr3t-token\n', 0o644, 'loose');
    const { ctx, stderr } = context({ CAIRN_CREDENTIALS: path });
    expect(tokenFor(ctx, 'https://h/a')).toBe('s3cr3t-token');
    expect(tokenFor(ctx, 'https://h/b')).toBe('s3cr3t-token');
    expect(stderr()).toBe(`warning: ${path} is accessible to other users (mode 644); run: chmod 600 ${path}\n`);
  });

  it('reports malformed lines by number without printing them', () => {
    const path = credFile('https://h/a\nhttps://h/b tok extra-s3cr3t\nftp://h s3cr3t\nhttps://h/c good\n', 0o600, 'bad');
    const { ctx, stderr } = context({ CAIRN_CREDENTIALS: path });
    expect(tokenFor(ctx, 'https://h/c/x')).toBe('good');
    expect(tokenFor(ctx, 'https://h/b')).toBeUndefined();
    expect(stderr().split('\n').filter(Boolean)).toEqual([
      `warning: ${path} line 1: expected 'URL-PREFIX TOKEN'; the line is ignored`,
      `warning: ${path} line 2: expected 'URL-PREFIX TOKEN'; the line is ignored`,
      `warning: ${path} line 3: the prefix must start with http:// or https://; the line is ignored`,
    ]);
    expect(stderr()).not.toContain('s3cr3t');
  });
});

describe('parseCredentials and prefixMatches', () => {
  it('parses CRLF files and drops trailing slashes from prefixes', () => {
    expect(parseCredentials('# c\r\nhttps://h/a/ t1\r\n\r\n  http://h:1  t2  \r\n')).toEqual([
      { prefix: 'https://h/a', token: 't1', line: 2 },
      { prefix: 'http://h:1', token: 't2', line: 4 },
    ]);
  });

  it('matches only on a URL boundary', () => {
    expect(prefixMatches('https://h/a', 'https://h/a')).toBe(true);
    expect(prefixMatches('https://h/a', 'https://h/a/b')).toBe(true);
    expect(prefixMatches('https://h/a', 'https://h/a?x=1')).toBe(true);
    expect(prefixMatches('https://h/a', 'https://h/ab')).toBe(false);
    expect(prefixMatches('https://h', 'https://h:8443/a')).toBe(false);
    expect(prefixMatches('https://h', 'https://h.evil/a')).toBe(false);
  });
});
