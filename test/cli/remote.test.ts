// End to end: `cairn remote` list, -v, --json, add, remove/rm, get-url and set-url on the built
// binary, with golden output and exit codes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit.js';
import { Repository } from '../../src/store/repository.js';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';

let dir: string;
let cleanup: () => void;
const cairn = (...args: string[]) => runCairn(args, { cwd: dir });
const ok = (...args: string[]) => cairnOk(args, { cwd: dir });
const lines = (s: string) =>
  s
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

beforeEach(() => {
  ({ dir, cleanup } = tempDir('cairn-remote-cli-'));
  cairnOk(['init'], { cwd: dir });
});
afterEach(() => cleanup());

describe('cairn remote', () => {
  it('adds remotes and lists them: names, -v with URLs, --json one object per line', () => {
    expect(ok('remote')).toBe('');
    expect(ok('remote', 'add', 'origin', 'http://127.0.0.1:8080/data')).toBe('');
    expect(JSON.parse(ok('remote', 'add', '--json', 'backup', 'https://cairn.example.com/data'))).toEqual({
      name: 'backup',
      url: 'https://cairn.example.com/data',
    });
    expect(ok('remote')).toBe('backup\norigin\n');
    expect(ok('remote', '-v')).toBe('backup\thttps://cairn.example.com/data\norigin\thttp://127.0.0.1:8080/data\n');
    expect(lines(ok('remote', '--json'))).toEqual([
      { name: 'backup', url: 'https://cairn.example.com/data' },
      { name: 'origin', url: 'http://127.0.0.1:8080/data' },
    ]);
    expect(ok('config', 'remote.origin.url')).toBe('http://127.0.0.1:8080/data\n');
  });

  it('get-url prints the URL; set-url changes it', () => {
    ok('remote', 'add', 'origin', 'http://127.0.0.1:8080/data');
    expect(ok('remote', 'get-url', 'origin')).toBe('http://127.0.0.1:8080/data\n');
    expect(JSON.parse(ok('remote', 'get-url', 'origin', '--json'))).toEqual({ name: 'origin', url: 'http://127.0.0.1:8080/data' });
    expect(ok('remote', 'set-url', 'origin', 'https://h/data')).toBe('');
    expect(JSON.parse(ok('remote', 'set-url', '--json', 'origin', 'https://h/data2'))).toEqual({
      name: 'origin',
      url: 'https://h/data2',
      oldUrl: 'https://h/data',
    });
    expect(ok('remote', 'get-url', 'origin')).toBe('https://h/data2\n');
  });

  it('remove (and its alias rm) deletes the remote, its tracking refs and the upstreams using it', () => {
    ok('remote', 'add', 'origin', 'http://127.0.0.1:8080/data');
    ok('remote', 'add', 'backup', 'http://127.0.0.1:8081/data');
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    ok('add', 'a.txt');
    ok('commit', '-m', 'one');
    const r = Repository.open(dir);
    try {
      const head = r.refs.resolve('HEAD')!;
      r.refs.update([{ name: 'refs/remotes/origin/main', expected: null, next: head }], 'test', 'fetch');
      r.config.set('branch.main.remote', 'origin');
      r.config.set('branch.main.merge', 'refs/heads/main');
    } finally {
      r.close();
    }
    expect(ok('rev-parse', 'origin/main')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(JSON.parse(ok('remote', 'remove', '--json', 'origin'))).toEqual({
      name: 'origin',
      url: 'http://127.0.0.1:8080/data',
      deletedRefs: ['refs/remotes/origin/main'],
      untracked: ['main'],
    });
    expect(cairn('rev-parse', 'origin/main').code).toBe(EXIT.NOT_FOUND);
    expect(cairn('config', 'branch.main.remote').code).toBe(EXIT.FALSE);
    expect(ok('remote', 'rm', 'backup')).toBe('');
    expect(ok('remote')).toBe('');
  });

  it('refuses bad names and URLs (exit 2), a taken name (exit 6), unknown remotes (exit 4)', () => {
    ok('remote', 'add', 'origin', 'http://a/x');
    const taken = cairn('remote', 'add', '--json', 'origin', 'http://b/x');
    expect(taken.code).toBe(EXIT.REJECTED);
    expect(JSON.parse(taken.stdout).error.code).toBe('ALREADY_EXISTS');
    expect(cairn('remote', 'add', '-x', 'http://a/x').code).toBe(EXIT.USAGE);
    const badName = cairn('remote', 'add', '--json', 'a..b', 'http://a/x');
    expect(badName.code).toBe(EXIT.USAGE);
    expect(JSON.parse(badName.stdout).error.code).toBe('INVALID_NAME');
    expect(cairn('remote', 'add', 'o', 'ftp://a/x').code).toBe(EXIT.USAGE);
    expect(cairn('remote', 'add', 'o', '/tmp/elsewhere').code).toBe(EXIT.USAGE);
    expect(cairn('remote', 'set-url', 'origin', 'file:///x').code).toBe(EXIT.USAGE);
    const missing = cairn('remote', 'get-url', '--json', 'nope');
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'NOT_FOUND', data: { what: 'remote', name: 'nope' } });
    expect(missing.stderr).toBe("error: remote 'nope' not found: add it with cairn remote add NAME URL\n");
    expect(cairn('remote', 'remove', 'nope').code).toBe(EXIT.NOT_FOUND);
    expect(cairn('remote', 'set-url', 'nope', 'http://a/x').code).toBe(EXIT.NOT_FOUND);
    expect(ok('remote', '-v')).toBe('origin\thttp://a/x\n');
  });

  it('refuses a URL with a password in it and never echoes the secret', () => {
    const r = cairn('remote', 'add', 'origin', 'https://alice:s3cr3t@example.com/data');
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('CAIRN_TOKEN');
    expect(r.stderr + r.stdout).not.toContain('s3cr3t');
    expect(ok('remote')).toBe('');
  });

  it('has --help with examples for the command and its subcommands', () => {
    expect(ok('remote', '--help')).toContain('$ cairn remote add origin http://127.0.0.1:8080/data');
    for (const sub of ['add', 'remove', 'get-url', 'set-url']) expect(ok('remote', sub, '--help'), sub).toContain('Example');
  });
});
