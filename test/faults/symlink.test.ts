// One symlink rule at both ends (issue 9, docs/FORMAT.md §5.1): `add` stores a link with any
// target — absolute, climbing out with `..`, dangling — and every checkout creates it again as a
// link, so a committed link never locks its branch. Nothing is ever written through a link: a
// file at `a/b` where the worktree has a link `a -> outside` replaces the link or is refused.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { snapshotWorktree } from './helpers.js';

const sandbox = tempDir('cairn-symlink-');
afterAll(() => sandbox.cleanup());

const clean = { staged: [], unstaged: [], untracked: [], unstorable: [] };
const status = (dir: string) => JSON.parse(cairnOk(['status', '--json'], { cwd: dir })) as Record<string, unknown>;

/** A fresh repository at SANDBOX/NAME/wt with an `outside` folder beside it that nothing may touch. */
function setup(name: string): { wt: string; outside: string } {
  const base = join(sandbox.dir, name);
  const wt = join(base, 'wt');
  const outside = join(base, 'outside');
  mkdirSync(wt, { recursive: true });
  mkdirSync(outside);
  cairnOk(['init'], { cwd: wt });
  writeFileSync(join(wt, 'base.txt'), 'base\n');
  cairnOk(['add', '.'], { cwd: wt });
  cairnOk(['commit', '-m', 'base'], { cwd: wt });
  return { wt, outside };
}

describe('links to anywhere', () => {
  const LINKS: Record<string, string> = {
    passwd: '/etc/passwd',
    up: '../../x',
    dangling: 'no/such/file',
    'deep/climb': '../../../../../../tmp',
    cairn: '.cairn/cairn.db',
    'after-name': 'a/../../x',
  };
  let wt: string;
  let outside: string;
  let passwd: Buffer;

  beforeAll(() => {
    ({ wt, outside } = setup('anywhere'));
    passwd = readFileSync('/etc/passwd');
    cairnOk(['switch', '-c', 'links'], { cwd: wt });
    mkdirSync(join(wt, 'deep'));
    for (const [path, target] of Object.entries(LINKS)) symlinkSync(target, join(wt, path));
    cairnOk(['add', '.'], { cwd: wt });
    cairnOk(['commit', '-m', 'links'], { cwd: wt });
  }, 60_000);

  it('commit stores each as a symlink, and fsck passes', () => {
    const tree = cairnOk(['ls', '-r', '--json', 'links'], { cwd: wt });
    for (const path of Object.keys(LINKS)) expect(tree).toContain(`"path":"${path}"`);
    expect(runCairn(['fsck'], { cwd: wt }).code).toBe(0);
  });

  it('switching away and back works, restoring every link as a link with its exact target', () => {
    cairnOk(['switch', 'main'], { cwd: wt });
    expect(readdirSync(wt).sort()).toEqual(['.cairn', 'base.txt']);
    cairnOk(['switch', 'links'], { cwd: wt });
    for (const [path, target] of Object.entries(LINKS)) {
      expect(lstatSync(join(wt, path)).isSymbolicLink(), path).toBe(true);
      expect(readlinkSync(join(wt, path)), path).toBe(target);
    }
    expect(status(wt)).toMatchObject(clean);
    // Nothing outside the worktree was created or changed.
    expect(readdirSync(join(wt, '..')).sort()).toEqual(['outside', 'wt']);
    expect(readdirSync(outside)).toEqual([]);
    expect(readFileSync('/etc/passwd').equals(passwd)).toBe(true);
  });

  it('reset --hard, restore and export create them as links too', () => {
    for (const path of Object.keys(LINKS)) rmSync(join(wt, path));
    cairnOk(['restore', '.'], { cwd: wt });
    for (const [path, target] of Object.entries(LINKS)) expect(readlinkSync(join(wt, path))).toBe(target);
    cairnOk(['switch', 'main'], { cwd: wt });
    cairnOk(['reset', '--hard', 'links'], { cwd: wt });
    for (const [path, target] of Object.entries(LINKS)) expect(readlinkSync(join(wt, path))).toBe(target);
    const out = join(sandbox.dir, 'anywhere', 'export');
    cairnOk(['export', 'links', out], { cwd: wt });
    for (const [path, target] of Object.entries(LINKS)) expect(readlinkSync(join(out, path))).toBe(target);
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe('never writing through a link', () => {
  // c1: a -> OUTSIDE (a link); c2: a/b (a folder with a file). Both branches, in either order.
  let wt: string;
  let outside: string;
  beforeAll(() => {
    ({ wt, outside } = setup('through'));
    cairnOk(['switch', '-c', 'link'], { cwd: wt });
    symlinkSync(outside, join(wt, 'a'));
    cairnOk(['add', '.'], { cwd: wt });
    cairnOk(['commit', '-m', 'a is a link'], { cwd: wt });
    cairnOk(['switch', '-c', 'folder', 'main'], { cwd: wt });
    mkdirSync(join(wt, 'a'));
    writeFileSync(join(wt, 'a', 'b'), 'inside\n');
    cairnOk(['add', '.'], { cwd: wt });
    cairnOk(['commit', '-m', 'a is a folder'], { cwd: wt });
  }, 60_000);

  it('switch from the link to the folder replaces the link and writes nothing outside', () => {
    cairnOk(['switch', 'link'], { cwd: wt });
    expect(readlinkSync(join(wt, 'a'))).toBe(outside);
    cairnOk(['switch', 'folder'], { cwd: wt });
    expect(lstatSync(join(wt, 'a')).isDirectory()).toBe(true);
    expect(readFileSync(join(wt, 'a', 'b'), 'utf8')).toBe('inside\n');
    expect(readdirSync(outside)).toEqual([]);
    cairnOk(['switch', 'link'], { cwd: wt });
    expect(readlinkSync(join(wt, 'a'))).toBe(outside);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('restore --source and reset --hard from the link branch replace the link, never follow it', () => {
    cairnOk(['switch', 'link'], { cwd: wt });
    cairnOk(['restore', '--source', 'folder', 'a'], { cwd: wt });
    expect(lstatSync(join(wt, 'a')).isDirectory()).toBe(true);
    expect(readdirSync(outside)).toEqual([]);
    cairnOk(['reset', '--hard', 'link'], { cwd: wt });
    expect(readlinkSync(join(wt, 'a'))).toBe(outside);
    cairnOk(['reset', '--hard', 'folder'], { cwd: wt });
    expect(readFileSync(join(wt, 'a', 'b'), 'utf8')).toBe('inside\n');
    expect(readdirSync(outside)).toEqual([]);
  });

  it('an untracked link in the way of a folder is refused without --force and replaced with it', () => {
    cairnOk(['switch', 'main'], { cwd: wt });
    symlinkSync(outside, join(wt, 'a'));
    const before = snapshotWorktree(wt);
    const r = runCairn(['switch', 'folder'], { cwd: wt });
    expect([6, 7]).toContain(r.code);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshotWorktree(wt)).toEqual(before);
    expect(readdirSync(outside)).toEqual([]);
    cairnOk(['switch', '--force', 'folder'], { cwd: wt });
    expect(lstatSync(join(wt, 'a')).isDirectory()).toBe(true);
    expect(readdirSync(outside)).toEqual([]);
    expect(status(wt)).toMatchObject(clean);
  });
});
