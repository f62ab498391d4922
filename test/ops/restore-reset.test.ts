// restore and reset with git's semantics: which of worktree, index and branch each form changes.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { add } from '../../src/ops/add.js';
import { reset } from '../../src/ops/reset.js';
import { restore } from '../../src/ops/restore.js';
import { status } from '../../src/ops/status/status.js';
import { switchBranch } from '../../src/ops/switch.js';
import type { Repository } from '../../src/store/repository.js';
import { snapshot } from '../helpers/checkout-fixtures.js';
import { makeCommit, tempRepo, type TempRepo } from '../helpers/history-repo.js';
import { codeOf } from '../helpers/errors.js';

const repos: TempRepo[] = [];
afterEach(() => {
  while (repos.length > 0) repos.pop()!.cleanup();
});

/** Two commits on main (c1: a=1, d/x=x, d/y=y, old.txt; c2: a=2, d/x=x2, d/y=y, n.txt), worktree at c2. */
function history(): TempRepo & { c1: string; c2: string } {
  const t = tempRepo();
  repos.push(t);
  const c1 = makeCommit(t.repo, { message: 'one', files: { 'a.txt': '1\n', 'd/x.txt': 'x\n', 'd/y.txt': 'y\n', 'old.txt': 'old\n' } });
  const c2 = makeCommit(t.repo, { message: 'two', at: 10, files: { 'a.txt': '2\n', 'd/x.txt': 'x2\n', 'd/y.txt': 'y\n', 'n.txt': 'n\n' } });
  switchBranch(t.repo, { branch: 'main', force: true });
  return { ...t, c1, c2 };
}

function changes(repo: Repository): string[] {
  const s = status(repo);
  return [
    ...s.staged.map((c) => `staged ${c.change} ${c.path}`),
    ...s.unstaged.map((c) => `unstaged ${c.change} ${c.path}`),
    ...s.untracked.map((p) => `untracked ${p}`),
  ];
}

const read = (t: TempRepo, p: string) => readFileSync(join(t.dir, p), 'utf8');

describe('restore', () => {
  it('restores worktree files from the index by default, folders included, leaving untracked files', () => {
    const t = history();
    writeFileSync(join(t.dir, 'a.txt'), 'edit\n');
    writeFileSync(join(t.dir, 'd/x.txt'), 'edit\n');
    writeFileSync(join(t.dir, 'd/mine.txt'), 'untracked\n');
    writeFileSync(join(t.dir, 'n.txt'), 'staged edit\n');
    add(t.repo, { paths: ['n.txt'] });
    writeFileSync(join(t.dir, 'n.txt'), 'unstaged edit on top\n');
    const res = restore(t.repo, { paths: ['d', 'n.txt'] });
    expect(res).toEqual({ written: ['d/x.txt', 'n.txt'], removed: [], staged: [] });
    expect(read(t, 'd/x.txt')).toBe('x2\n');
    expect(read(t, 'n.txt')).toBe('staged edit\n'); // from the index, not HEAD
    expect(read(t, 'a.txt')).toBe('edit\n');
    expect(changes(t.repo)).toEqual(['staged modified n.txt', 'unstaged modified a.txt', 'untracked d/mine.txt']);
  });

  it('--staged resets index entries from HEAD and keeps the worktree', () => {
    const t = history();
    writeFileSync(join(t.dir, 'a.txt'), 'edit\n');
    writeFileSync(join(t.dir, 'brand-new.txt'), 'new\n');
    add(t.repo, { paths: ['a.txt', 'brand-new.txt'] });
    const res = restore(t.repo, { paths: [''], staged: true });
    expect(res).toEqual({ written: [], removed: [], staged: ['a.txt', 'brand-new.txt'] });
    expect(read(t, 'a.txt')).toBe('edit\n');
    expect(changes(t.repo)).toEqual(['unstaged modified a.txt', 'untracked brand-new.txt']);
  });

  it('--source REV brings files back from a commit and removes tracked files it lacks; the index is unchanged', () => {
    const t = history();
    writeFileSync(join(t.dir, 'keep-untracked.txt'), 'u\n');
    const res = restore(t.repo, { paths: [''], source: t.c1 });
    expect(res).toEqual({ written: ['a.txt', 'd/x.txt', 'old.txt'], removed: ['n.txt'], staged: [] });
    expect(snapshot(t.dir)).toEqual({
      'a.txt': '1\n',
      d: 'dir',
      'd/x.txt': 'x\n',
      'd/y.txt': 'y\n',
      'keep-untracked.txt': 'u\n',
      'old.txt': 'old\n',
    });
    expect(changes(t.repo)).toEqual([
      'unstaged modified a.txt',
      'unstaged modified d/x.txt',
      'unstaged deleted n.txt',
      'untracked keep-untracked.txt',
      'untracked old.txt',
    ]);
  });

  it('--source with --staged --worktree restores both', () => {
    const t = history();
    restore(t.repo, { paths: ['a.txt', 'old.txt'], source: 'HEAD~1', staged: true, worktree: true });
    expect(read(t, 'a.txt')).toBe('1\n');
    expect(changes(t.repo)).toEqual(['staged modified a.txt', 'staged added old.txt']);
  });

  it('a path known nowhere is NOT_FOUND', () => {
    const t = history();
    expect(codeOf(() => restore(t.repo, { paths: ['nope.txt'] }))).toBe('NOT_FOUND');
    expect(codeOf(() => restore(t.repo, { paths: ['old.txt'] }))).toBe('NOT_FOUND'); // not in the index
    expect(codeOf(() => restore(t.repo, { paths: [] }))).toBe('USAGE');
  });

  it('replaces a folder that a symlink stands in for instead of writing through it', () => {
    const t = history();
    const outside = join(t.dir, '..', `${t.dir.split('/').pop()}-outside`);
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'x.txt'), 'precious\n');
    rmSync(join(t.dir, 'd'), { recursive: true });
    symlinkSync(outside, join(t.dir, 'd'));
    restore(t.repo, { paths: ['d'] });
    expect(readFileSync(join(outside, 'x.txt'), 'utf8')).toBe('precious\n');
    expect(read(t, 'd/x.txt')).toBe('x2\n');
    rmSync(outside, { recursive: true });
  });
});

describe('reset', () => {
  it('--soft moves only the branch: the old content shows as staged', () => {
    const t = history();
    const res = reset(t.repo, { rev: 'HEAD~1', mode: 'soft', who: 'Test <t@e>' });
    expect(res).toMatchObject({ mode: 'soft', branch: 'main', previous: t.c2, head: t.c1 });
    expect(t.repo.refs.resolve('refs/heads/main')).toBe(t.c1);
    expect(t.repo.refs.reflog('refs/heads/main', 1)[0]).toMatchObject({
      old: t.c2,
      new: t.c1,
      message: 'reset: moving to HEAD~1',
      who: 'Test <t@e>',
    });
    expect(changes(t.repo)).toEqual(['staged modified a.txt', 'staged modified d/x.txt', 'staged added n.txt', 'staged deleted old.txt']);
  });

  it('--mixed (default) resets the index too: the changes show as unstaged', () => {
    const t = history();
    const res = reset(t.repo, { rev: t.c1 });
    expect(res).toMatchObject({ mode: 'mixed', head: t.c1, unstaged: ['a.txt', 'd/x.txt', 'n.txt', 'old.txt'] });
    expect(read(t, 'a.txt')).toBe('2\n');
    expect(changes(t.repo)).toEqual([
      'unstaged modified a.txt',
      'unstaged modified d/x.txt',
      'unstaged deleted old.txt',
      'untracked n.txt',
    ]);
  });

  it('--hard resets index and files, keeping untracked files', () => {
    const t = history();
    writeFileSync(join(t.dir, 'a.txt'), 'local edit\n');
    writeFileSync(join(t.dir, 'scratch.txt'), 'untracked\n');
    const res = reset(t.repo, { rev: 'HEAD~1', mode: 'hard' });
    expect(res).toMatchObject({ mode: 'hard', head: t.c1, updated: 3, removed: 1 });
    expect(snapshot(t.dir)).toEqual({
      'a.txt': '1\n',
      d: 'dir',
      'd/x.txt': 'x\n',
      'd/y.txt': 'y\n',
      'old.txt': 'old\n',
      'scratch.txt': 'untracked\n',
    });
    expect(changes(t.repo)).toEqual(['untracked scratch.txt']);
    // Back to the newer commit by id: a reset can move forward too.
    reset(t.repo, { rev: t.c2, mode: 'hard' });
    expect(existsSync(join(t.dir, 'old.txt'))).toBe(false);
    expect(changes(t.repo)).toEqual(['untracked scratch.txt']);
  });

  it('--hard without a revision discards local changes, including staged new files', () => {
    const t = history();
    writeFileSync(join(t.dir, 'a.txt'), 'local edit\n');
    writeFileSync(join(t.dir, 'added.txt'), 'staged\n');
    add(t.repo, { paths: ['added.txt'] });
    reset(t.repo, { mode: 'hard' });
    expect(read(t, 'a.txt')).toBe('2\n');
    expect(existsSync(join(t.dir, 'added.txt'))).toBe(false);
    expect(changes(t.repo)).toEqual([]);
  });

  it('with paths, unstages them from REV without moving the branch', () => {
    const t = history();
    writeFileSync(join(t.dir, 'a.txt'), 'edit\n');
    add(t.repo, { paths: ['a.txt'] });
    const res = reset(t.repo, { paths: ['a.txt'] });
    expect(res).toMatchObject({ head: t.c2, unstaged: ['a.txt'] });
    expect(changes(t.repo)).toEqual(['unstaged modified a.txt']);
    expect(codeOf(() => reset(t.repo, { paths: ['a.txt'], mode: 'hard' }))).toBe('USAGE');
  });

  it('moves a detached HEAD, not a branch', () => {
    const t = history();
    switchBranch(t.repo, { detach: 'HEAD' });
    reset(t.repo, { rev: 'HEAD~1', mode: 'hard' });
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: false, id: t.c1 });
    expect(t.repo.refs.resolve('refs/heads/main')).toBe(t.c2);
  });
});
