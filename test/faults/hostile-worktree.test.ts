// A hostile worktree (docs/FORMAT.md §15.4): symlinks are stored as symlinks and never followed out of
// the worktree, names cairn cannot store are reported rather than stored or crashed on, and paths
// outside the worktree or inside .cairn are refused as usage errors.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, tempDir } from '../helpers/cli.js';
import { checkWhole, runCairnTimed } from './helpers.js';
import { Repository } from '../../src/store/repository.js';
import { readCommit, readWholeFile } from '../../src/store/typed-objects.js';
import { flattenToMap } from '../../src/ops/tree/tree-walk.js';

const tmp = tempDir('cairn-hostile-');
afterAll(() => tmp.cleanup());
const outsideDir = join(tmp.dir, 'elsewhere');
const dir = join(tmp.dir, 'repo');

const INVALID_UTF8 = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x63, 0x73, 0x76]); // "bad\xff\xfe.csv"

beforeAll(() => {
  // Outside the repository: a regular file and a FIFO. Opening the FIFO for reading blocks until a
  // writer comes, so a cairn that followed a link to it would hang (and be killed by the timeout).
  mkdirSync(outsideDir);
  writeFileSync(join(outsideDir, 'secret.txt'), 'do not store me\n');
  execFileSync('mkfifo', [join(outsideDir, 'pipe')]);
  cairnOk(['init', 'repo'], { cwd: tmp.dir });
  mkdirSync(join(dir, 'rows'));
  writeFileSync(join(dir, 'rows', 'r1.json'), '{"id":1}\n');
  writeFileSync(join(dir, '..foo'), 'a name that starts with two dots is still inside\n');
  symlinkSync('/etc', join(dir, 'etc-link'));
  symlinkSync(outsideDir, join(dir, 'outside'));
  symlinkSync(join(outsideDir, 'pipe'), join(dir, 'pipe-link'));
  symlinkSync('rows', join(dir, 'alias'));
  symlinkSync('../../nowhere', join(dir, 'dangling'));
  writeFileSync(join(dir, 'back\\slash.txt'), 'x\n');
  writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), INVALID_UTF8]), 'y\n');
  writeFileSync(Buffer.concat([Buffer.from(`${dir}/rows/`), INVALID_UTF8]), 'z\n');
});

function indexEntries(): Map<string, { kind: string; id: string }> {
  const repo = Repository.open(dir);
  try {
    return new Map(repo.index.all().map((e) => [e.path, { kind: e.kind, id: e.id }]));
  } finally {
    repo.close();
  }
}

describe('hostile worktree', () => {
  it('`add .` stores symlinks as links, never descends or reads through them, and reports unstorable names', () => {
    const r = runCairnTimed(['add', '--json', '.'], dir);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { added: string[]; unstorable: { path: string; reason: string }[] };
    expect(res.added.sort()).toEqual(['..foo', 'alias', 'dangling', 'etc-link', 'outside', 'pipe-link', 'rows/r1.json']);
    // The bad names are named (the invalid bytes show as U+FFFD), with a reason, and nothing else is.
    expect(res.unstorable.map((u) => u.path).sort()).toEqual(['back\\slash.txt', 'bad\ufffd\ufffd.csv', 'rows/bad\ufffd\ufffd.csv']);
    expect(res.unstorable.find((u) => u.path.startsWith('back'))!.reason).toContain('\\');
    expect(res.unstorable.find((u) => u.path.startsWith('bad'))!.reason).toMatch(/UTF-8/);

    const index = indexEntries();
    for (const link of ['alias', 'dangling', 'etc-link', 'outside', 'pipe-link']) expect(index.get(link)?.kind, link).toBe('symlink');
    expect([...index.keys()].sort()).toEqual(['..foo', 'alias', 'dangling', 'etc-link', 'outside', 'pipe-link', 'rows/r1.json']);
  });

  it('commits each symlink with its target as content, and fsck passes', async () => {
    cairnOk(['commit', '-m', 'links'], { cwd: dir });
    const repo = Repository.open(dir);
    try {
      const tree = flattenToMap(repo.objects, readCommit(repo.objects, repo.refs.resolve('HEAD')!).tree);
      const target = (p: string) => readWholeFile(repo.objects, tree.get(p)!.id).toString();
      expect(tree.get('etc-link')?.kind).toBe('symlink');
      expect(target('etc-link')).toBe('/etc');
      expect(target('outside')).toBe(outsideDir);
      expect(target('pipe-link')).toBe(join(outsideDir, 'pipe'));
      expect(target('alias')).toBe('rows');
      expect(target('dangling')).toBe('../../nowhere');
      expect([...tree.keys()].some((p) => p.includes('/') && !p.startsWith('rows/'))).toBe(false);
    } finally {
      repo.close();
    }
    expect(await checkWhole(dir)).toEqual([]);
  });

  it('status lists the unstorable names and nothing behind the links', () => {
    const r = runCairnTimed(['status', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { staged: unknown[]; unstaged: unknown[]; untracked: string[]; unstorable: { path: string }[] };
    expect(s.staged).toEqual([]);
    expect(s.unstaged).toEqual([]);
    expect(s.untracked).toEqual([]);
    expect(s.unstorable.map((u) => u.path).sort()).toEqual(['back\\slash.txt', 'bad\ufffd\ufffd.csv', 'rows/bad\ufffd\ufffd.csv']);
  });

  it.each([
    ['a file behind a symlink to a folder outside', 'outside/secret.txt'],
    ['a file behind a symlink to /etc', 'etc-link/hostname'],
    ['a FIFO behind a symlink to a folder outside', 'outside/pipe'],
    ['a file behind a symlink to a folder inside', 'alias/r1.json'],
    ['a name with a backslash', 'back\\slash.txt'],
  ])('refuses to add %s (exit 2) and stages nothing', (_what, path) => {
    const before = indexEntries();
    const r = runCairnTimed(['add', '--json', path], dir);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe('USAGE');
    expect(indexEntries()).toEqual(before);
  });

  it.each([
    ['a path above the worktree', '../elsewhere/secret.txt'],
    ['an absolute path outside', '/etc/hostname'],
    ['the repository database', '.cairn/cairn.db'],
    ['the repository folder itself', '.cairn'],
    ['the repository folder in another case', '.CAIRN/cairn.db'],
    ['a path that climbs out and back in through .cairn', 'rows/../.cairn/packs'],
  ])('refuses %s as a usage error (exit 2)', (_what, path) => {
    const before = indexEntries();
    const r = runCairnTimed(['add', '--json', path], dir);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe('USAGE');
    expect(indexEntries()).toEqual(before);
  });

  it('a replaced folder: a tracked directory turned into a symlink is committed as a symlink, its old files as deleted', async () => {
    const r0 = runCairnTimed(['commit', '-a', '-m', 'noop'], dir);
    expect(r0.code).toBe(1);
    execFileSync('rm', ['-r', join(dir, 'rows')]);
    symlinkSync(outsideDir, join(dir, 'rows'));
    const r = runCairnTimed(['commit', '-a', '--json', '-m', 'rows is now a link'], dir);
    expect(r.code, r.stderr).toBe(0);
    const index = indexEntries();
    expect(index.get('rows')?.kind).toBe('symlink');
    expect([...index.keys()].filter((p) => p.startsWith('rows/'))).toEqual([]);
    expect(await checkWhole(dir)).toEqual([]);
  });
});
