// End to end: branch (list, -v, --json, create, -d/-D, -m, --show-current), tag and config on the
// built binary, with golden output and exit codes.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { makeCommit } from '../helpers/history-repo.js';
import { EXIT } from '../../src/cli/exit.js';
import { Repository } from '../../src/store/repository.js';

const C1 = '007eb0793aac37afbdfaef6ed41e0247b60f947a39d21ee896618c4eec5f517c';
const C2 = '461c9d5f5cc1b475ac1ad2dc0e4aa8ec40cca84c54f09138a3620824b152402b';

let template: { dir: string; cleanup: () => void };
let dir: string;
let cleanup: () => void;
const cairn = (...args: string[]) => runCairn(args, { cwd: dir });
const ok = (...args: string[]) => cairnOk(args, { cwd: dir });

/** Two commits on main: a.txt ("first"), then b.txt ("second"); each test gets a copy. */
beforeAll(() => {
  template = tempDir('cairn-branch-template-');
  const at = { cwd: template.dir };
  cairnOk(['init'], at);
  writeFileSync(join(template.dir, 'a.txt'), 'a\n');
  cairnOk(['add', 'a.txt'], at);
  cairnOk(['commit', '-m', 'first'], { ...at, env: { CAIRN_COMMIT_TIME: '1700000000000' } });
  writeFileSync(join(template.dir, 'b.txt'), 'b\n');
  cairnOk(['add', 'b.txt'], at);
  cairnOk(['commit', '-m', 'second'], { ...at, env: { CAIRN_COMMIT_TIME: '1700000060000' } });
});
afterAll(() => template.cleanup());
beforeEach(() => {
  ({ dir, cleanup } = tempDir('cairn-branch-cli-'));
  cpSync(template.dir, dir, { recursive: true });
});
afterEach(() => cleanup());

function withRepo<T>(fn: (repo: Repository) => T): T {
  const repo = Repository.open(dir);
  try {
    return fn(repo);
  } finally {
    repo.close();
  }
}

describe('cairn branch', () => {
  it('creates branches and lists them, marking the current one', () => {
    expect(ok('branch')).toBe('* main\n');
    expect(ok('branch', 'dev', 'HEAD~1')).toBe('Created branch dev at 007eb0793aac\n');
    expect(ok('branch', 'feature/x')).toBe('Created branch feature/x at 461c9d5f5cc1\n');
    expect(ok('branch')).toBe('  dev\n  feature/x\n* main\n');
    expect(ok('branch', '-v')).toBe('  dev       007eb0793aac first\n  feature/x 461c9d5f5cc1 second\n* main      461c9d5f5cc1 second\n');
    expect(
      ok('branch', '--json')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { name: 'dev', id: C1, current: false, subject: 'first' },
      { name: 'feature/x', id: C2, current: false, subject: 'second' },
      { name: 'main', id: C2, current: true, subject: 'second' },
    ]);
    expect(JSON.parse(ok('branch', '--json', 'rel', 'dev'))).toEqual({ created: 'rel', id: C1 });
  });

  it('refuses an existing branch (ALREADY_EXISTS, exit 6) and invalid names (exit 2)', () => {
    ok('branch', 'dev', 'HEAD~1');
    const r = cairn('branch', '--json', 'dev');
    expect(r.code).toBe(EXIT.REJECTED);
    expect(JSON.parse(r.stdout).error.code).toBe('ALREADY_EXISTS');
    expect(ok('rev-parse', 'dev')).toBe(`${C1}\n`);
    expect(cairn('branch', 'a..b').code).toBe(EXIT.USAGE);
    expect(cairn('branch', 'has space').code).toBe(EXIT.USAGE);
    expect(cairn('branch', 'x', 'nope').code).toBe(EXIT.NOT_FOUND);
  });

  it('deletes a merged branch, refuses the current one and an unmerged one unless -D', () => {
    ok('branch', 'dev', 'HEAD~1');
    expect(ok('branch', '-d', 'dev')).toBe('Deleted branch dev (was 007eb0793aac).\n');
    expect(cairn('rev-parse', 'dev').code).toBe(EXIT.NOT_FOUND);
    expect(cairn('branch', '-d', 'main').code).toBe(EXIT.REJECTED);
    expect(cairn('branch', '-d', 'nope').code).toBe(EXIT.NOT_FOUND);

    const side = withRepo((repo) => {
      repo.refs.update([{ name: 'refs/heads/side', expected: null, next: C2 }], 'test', 'branch');
      return makeCommit(repo, { files: { 'c.txt': 'c' }, message: 'side work', at: 120, branch: 'side' });
    });
    const r = cairn('branch', '--json', '-d', 'side');
    expect(r.code).toBe(EXIT.REJECTED);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'REJECTED', data: { reason: 'not-merged' } });
    expect(ok('rev-parse', 'side')).toBe(`${side}\n`);
    expect(ok('branch', '-D', 'side')).toBe(`Deleted branch side (was ${side.slice(0, 12)}).\n`);
    expect(ok('branch')).toBe('* main\n');
  });

  it('renames the current branch with HEAD following, and refuses to overwrite without -M', () => {
    ok('branch', 'dev', 'HEAD~1');
    expect(cairn('branch', '-m', 'main', 'dev').code).toBe(EXIT.REJECTED);
    expect(ok('branch', '-m', 'trunk')).toBe('Renamed branch main to trunk\n');
    expect(ok('branch', '--show-current')).toBe('trunk\n');
    expect(ok('log', '--oneline', '-n', '1')).toBe('461c9d5f5cc1 (HEAD -> trunk) second\n');
    expect(cairn('rev-parse', 'main').code).toBe(EXIT.NOT_FOUND);
    expect(JSON.parse(ok('branch', '--json', '-M', 'trunk', 'dev'))).toEqual({ from: 'trunk', to: 'dev', id: C2, movedHead: true });
    expect(ok('branch', '-v')).toBe('* dev 461c9d5f5cc1 second\n');
  });

  it('shows a detached HEAD in the list and nothing for --show-current', () => {
    withRepo((repo) => repo.refs.setSymbolic('HEAD', { symbolic: false, id: C1 }, 'test', 'detach'));
    expect(ok('branch')).toBe('* (HEAD detached at 007eb0793aac)\n  main\n');
    expect(ok('branch', '--show-current')).toBe('');
    expect(JSON.parse(ok('branch', '--show-current', '--json'))).toEqual({ current: null });
    expect(ok('log', '--oneline')).toBe('007eb0793aac (HEAD) first\n');
  });
});

describe('cairn tag', () => {
  it('creates, lists, refuses duplicates, moves with -f and deletes', () => {
    expect(ok('tag')).toBe('');
    expect(ok('tag', 'v1', 'HEAD~1')).toBe("Created tag 'v1' at 007eb0793aac\n");
    expect(ok('tag', 'v2')).toBe("Created tag 'v2' at 461c9d5f5cc1\n");
    expect(ok('tag')).toBe('v1\nv2\n');
    const dup = cairn('tag', '--json', 'v1');
    expect(dup.code).toBe(EXIT.REJECTED);
    expect(JSON.parse(dup.stdout).error.code).toBe('ALREADY_EXISTS');
    expect(ok('rev-parse', 'v1')).toBe(`${C1}\n`);
    expect(ok('tag', '-f', 'v1')).toBe("Updated tag 'v1' (was 007eb0793aac)\n");
    expect(
      ok('tag', '--json')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { name: 'v1', id: C2 },
      { name: 'v2', id: C2 },
    ]);
    expect(ok('log', '--oneline')).toBe('461c9d5f5cc1 (HEAD -> main, tag: v1, tag: v2) second\n007eb0793aac first\n');
    expect(ok('tag', '-d', 'v1')).toBe("Deleted tag 'v1' (was 461c9d5f5cc1)\n");
    expect(cairn('tag', '-d', 'v1').code).toBe(EXIT.NOT_FOUND);
    expect(cairn('tag', 'bad:name').code).toBe(EXIT.USAGE);
    expect(cairn('tag', 'v3', 'nope').code).toBe(EXIT.NOT_FOUND);
  });
});

describe('cairn config', () => {
  it('sets, reads, lists and unsets keys; an unset key exits 1 silently', () => {
    const missing = cairn('config', 'user.name');
    expect(missing).toEqual({ code: EXIT.FALSE, stdout: '', stderr: '' });
    expect(ok('config', 'user.name', 'Ada Lovelace')).toBe('');
    ok('config', 'user.email', 'ada@example.com');
    expect(ok('config', 'user.name')).toBe('Ada Lovelace\n');
    expect(ok('config', '--list')).toBe('user.email=ada@example.com\nuser.name=Ada Lovelace\n');
    expect(JSON.parse(ok('config', '--list', '--json'))).toEqual({ 'user.email': 'ada@example.com', 'user.name': 'Ada Lovelace' });
    expect(JSON.parse(ok('config', '--json', 'user.email'))).toEqual({ key: 'user.email', value: 'ada@example.com' });
    expect(ok('config', '--unset', 'user.name')).toBe('');
    expect(cairn('config', '--unset', 'user.name').code).toBe(EXIT.FALSE);
    expect(cairn('config', 'user.name').code).toBe(EXIT.FALSE);
  });

  it('refuses malformed keys and missing arguments as usage errors', () => {
    expect(cairn('config', 'name').code).toBe(EXIT.USAGE);
    expect(cairn('config', '.x').code).toBe(EXIT.USAGE);
    expect(cairn('config').code).toBe(EXIT.USAGE);
  });
});
