// switch / checkout: never destroy uncommitted work, carry over unrelated changes, create branches
// by compare-and-swap, detach at any revision, and work from and to unborn branches.
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CairnError } from '../../src/errors.js';
import { add } from '../../src/ops/add.js';
import { checkout } from '../../src/ops/checkout.js';
import { materialize } from '../../src/ops/worktree/materialize.js';
import { readCommit } from '../../src/store/typed-objects.js';
import { status } from '../../src/ops/status/status.js';
import { switchBranch } from '../../src/ops/switch.js';
import type { Repository } from '../../src/store/repository.js';
import { snapshot } from '../helpers/checkout-fixtures.js';
import { makeCommit, tempRepo, type TempRepo } from '../helpers/history-repo.js';

const repos: TempRepo[] = [];
afterEach(() => {
  while (repos.length > 0) repos.pop()!.cleanup();
});

/** main: a.txt, shared.txt, d/x.txt; dev: a.txt changed, d/x.txt gone, b.txt new. Worktree on main. */
function twoBranches(): TempRepo & { main: string; dev: string } {
  const t = tempRepo();
  repos.push(t);
  const main = makeCommit(t.repo, { message: 'main', files: { 'a.txt': 'a main\n', 'shared.txt': 'same\n', 'd/x.txt': 'x\n' } });
  const dev = makeCommit(t.repo, {
    message: 'dev',
    branch: 'dev',
    parents: [main],
    files: { 'a.txt': 'a dev\n', 'shared.txt': 'same\n', 'b.txt': 'b\n' },
  });
  switchBranch(t.repo, { branch: 'main', force: true });
  return { ...t, main, dev };
}

function failure(fn: () => unknown): CairnError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CairnError) return err;
    throw err;
  }
  throw new Error('expected a CairnError');
}

function changes(repo: Repository): string[] {
  const s = status(repo);
  return [
    ...s.staged.map((c) => `staged ${c.change} ${c.path}`),
    ...s.unstaged.map((c) => `unstaged ${c.change} ${c.path}`),
    ...s.untracked.map((p) => `untracked ${p}`),
  ];
}

const MAIN_FILES = { 'a.txt': 'a main\n', d: 'dir', 'd/x.txt': 'x\n', 'shared.txt': 'same\n' };
const DEV_FILES = { 'a.txt': 'a dev\n', 'b.txt': 'b\n', 'shared.txt': 'same\n' };

describe('switch', () => {
  it('switches branches: files, index and HEAD follow, status stays clean', () => {
    const t = twoBranches();
    expect(snapshot(t.dir)).toEqual(MAIN_FILES);
    const res = switchBranch(t.repo, { branch: 'dev', who: 'Test <t@e>' });
    expect(res).toEqual({
      branch: 'dev',
      head: t.dev,
      previous: { branch: 'main', head: t.main },
      created: false,
      alreadyOn: false,
      updated: 2,
      removed: 1,
    });
    expect(snapshot(t.dir)).toEqual(DEV_FILES);
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/dev' });
    expect(t.repo.refs.reflog('HEAD', 1)[0]).toMatchObject({
      old: t.main,
      new: t.dev,
      who: 'Test <t@e>',
      message: 'switch: moving from main to dev',
    });
    expect(changes(t.repo)).toEqual([]);
    switchBranch(t.repo, { branch: 'main' });
    expect(snapshot(t.dir)).toEqual(MAIN_FILES);
    expect(changes(t.repo)).toEqual([]);
  });

  it('refuses to overwrite uncommitted changes, naming the files, and changes nothing', () => {
    const t = twoBranches();
    writeFileSync(join(t.dir, 'a.txt'), 'my edit\n'); // unstaged, differs between branches
    writeFileSync(join(t.dir, 'b.txt'), 'untracked in the way\n');
    writeFileSync(join(t.dir, 'd/x.txt'), 'edited, and dev deletes it\n');
    const err = failure(() => switchBranch(t.repo, { branch: 'dev' }));
    expect(err.code).toBe('DIRTY_WORKTREE');
    expect(err.data['paths']).toEqual(['a.txt', 'b.txt', 'd/x.txt']);
    expect(readFileSync(join(t.dir, 'a.txt'), 'utf8')).toBe('my edit\n');
    expect(readFileSync(join(t.dir, 'b.txt'), 'utf8')).toBe('untracked in the way\n');
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/main' });
    expect(existsSync(join(t.repo.cairnDir, 'checkout-pending'))).toBe(false);
  });

  it('refuses when a staged change would be lost', () => {
    const t = twoBranches();
    writeFileSync(join(t.dir, 'a.txt'), 'staged edit\n');
    add(t.repo, { paths: ['a.txt'] });
    writeFileSync(join(t.dir, 'a.txt'), 'a main\n'); // worktree back to HEAD, index still differs
    const err = failure(() => switchBranch(t.repo, { branch: 'dev' }));
    expect(err.data['paths']).toEqual(['a.txt']);
  });

  it('--force discards the changes and ends exactly at the target', () => {
    const t = twoBranches();
    writeFileSync(join(t.dir, 'a.txt'), 'my edit\n');
    writeFileSync(join(t.dir, 'shared.txt'), 'edit to an untouched file\n');
    writeFileSync(join(t.dir, 'b.txt'), 'untracked in the way\n');
    writeFileSync(join(t.dir, 'notes.txt'), 'untracked elsewhere\n');
    const res = switchBranch(t.repo, { branch: 'dev', force: true });
    expect(res).toMatchObject({ branch: 'dev', head: t.dev });
    expect(snapshot(t.dir)).toEqual({ ...DEV_FILES, 'notes.txt': 'untracked elsewhere\n' });
    expect(changes(t.repo)).toEqual(['untracked notes.txt']);
  });

  it('carries over changes to paths the switch does not touch (staged and unstaged)', () => {
    const t = twoBranches();
    writeFileSync(join(t.dir, 'shared.txt'), 'local edit\n');
    writeFileSync(join(t.dir, 'new.txt'), 'staged new file\n');
    add(t.repo, { paths: ['new.txt'] });
    writeFileSync(join(t.dir, 'scratch.txt'), 'untracked\n');
    switchBranch(t.repo, { branch: 'dev' });
    expect(readFileSync(join(t.dir, 'shared.txt'), 'utf8')).toBe('local edit\n');
    expect(readFileSync(join(t.dir, 'a.txt'), 'utf8')).toBe('a dev\n');
    expect(changes(t.repo)).toEqual(['staged added new.txt', 'unstaged modified shared.txt', 'untracked scratch.txt']);
  });

  it('accepts files that already hold the target content (an interrupted switch being rerun)', () => {
    const t = twoBranches();
    writeFileSync(join(t.dir, 'a.txt'), 'a dev\n');
    writeFileSync(join(t.dir, 'b.txt'), 'b\n');
    unlinkSync(join(t.dir, 'd/x.txt'));
    switchBranch(t.repo, { branch: 'dev' });
    expect(snapshot(t.dir)).toEqual(DEV_FILES);
    expect(changes(t.repo)).toEqual([]);
  });

  it('a rerun after a kill between moving HEAD and clearing the crash marker clears the marker', () => {
    const t = twoBranches();
    const marker = join(t.repo.cairnDir, 'checkout-pending');
    // materialize runs moveHead, then deletes the marker: die in between.
    expect(() =>
      materialize(t.repo, {
        from: readCommit(t.repo.objects, t.main).tree,
        to: readCommit(t.repo.objects, t.dev).tree,
        moveHead: () => {
          t.repo.refs.setSymbolic('HEAD', { symbolic: true, target: 'refs/heads/dev' }, 'test', 'switch');
          throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    expect(existsSync(marker)).toBe(true);
    expect(switchBranch(t.repo, { branch: 'dev' })).toMatchObject({ alreadyOn: true });
    expect(existsSync(marker)).toBe(false);
    expect(snapshot(t.dir)).toEqual(DEV_FILES);
  });

  it('lets a deleted tracked file be replaced (nothing to lose)', () => {
    const t = twoBranches();
    unlinkSync(join(t.dir, 'a.txt'));
    switchBranch(t.repo, { branch: 'dev' });
    expect(readFileSync(join(t.dir, 'a.txt'), 'utf8')).toBe('a dev\n');
  });

  it('refuses an untracked file standing where the target needs a folder', () => {
    const t = twoBranches();
    writeFileSync(join(t.dir, 'scratch'), '');
    makeCommit(t.repo, {
      message: 'side',
      branch: 'side',
      parents: [t.main],
      files: { 'a.txt': 'a main\n', 'shared.txt': 'same\n', 'd/x.txt': 'x\n', 'scratch/inner.txt': 'i\n' },
    });
    const err = failure(() => switchBranch(t.repo, { branch: 'side' }));
    expect(err.code).toBe('DIRTY_WORKTREE');
    expect(err.data['paths']).toEqual(['scratch']);
  });

  it('refuses an untracked folder with files where the target puts a file, but replaces a tracked one', () => {
    const t = twoBranches();
    mkdirSync(join(t.dir, 'notes'));
    writeFileSync(join(t.dir, 'notes', 'mine.txt'), 'mine\n');
    makeCommit(t.repo, {
      message: 'side',
      branch: 'side',
      parents: [t.main],
      files: { 'a.txt': 'a main\n', 'shared.txt': 'same\n', d: 'd is a file now\n', notes: 'n\n' },
    });
    const err = failure(() => switchBranch(t.repo, { branch: 'side' }));
    expect(err.data['paths']).toEqual(['notes/mine.txt']);
    rmSync(join(t.dir, 'notes'), { recursive: true });
    switchBranch(t.repo, { branch: 'side' });
    expect(snapshot(t.dir)).toEqual({ 'a.txt': 'a main\n', d: 'd is a file now\n', notes: 'n\n', 'shared.txt': 'same\n' });
    switchBranch(t.repo, { branch: 'main' });
    expect(snapshot(t.dir)).toEqual(MAIN_FILES);
  });

  it('creates a branch with -c at HEAD or at a start point, refusing an existing name', () => {
    const t = twoBranches();
    const res = switchBranch(t.repo, { branch: 'topic', create: true });
    expect(res).toMatchObject({ branch: 'topic', head: t.main, created: true, updated: 0, removed: 0 });
    expect(t.repo.refs.resolve('refs/heads/topic')).toBe(t.main);
    expect(t.repo.refs.reflog('refs/heads/topic', 1)[0]).toMatchObject({ old: null, new: t.main });
    expect(failure(() => switchBranch(t.repo, { branch: 'dev', create: true })).code).toBe('ALREADY_EXISTS');
    expect(failure(() => switchBranch(t.repo, { branch: 'main', create: true })).code).toBe('ALREADY_EXISTS');
    // Re-running a create that completed (HEAD on the branch, at the start point) is a no-op.
    expect(switchBranch(t.repo, { branch: 'topic', create: true })).toMatchObject({ branch: 'topic', created: false, alreadyOn: true });
    const fromDev = switchBranch(t.repo, { branch: 'topic2', create: true, start: 'dev' });
    expect(fromDev).toMatchObject({ branch: 'topic2', head: t.dev, created: true });
    expect(snapshot(t.dir)).toEqual(DEV_FILES);
    expect(failure(() => switchBranch(t.repo, { branch: 'bad..name', create: true })).code).toBe('INVALID_NAME');
  });

  it('says already on a branch, and refuses a branch that does not exist', () => {
    const t = twoBranches();
    expect(switchBranch(t.repo, { branch: 'main' })).toMatchObject({ alreadyOn: true, updated: 0 });
    expect(failure(() => switchBranch(t.repo, { branch: 'nope' })).code).toBe('NOT_FOUND');
  });

  it('detaches at a revision and comes back', () => {
    const t = twoBranches();
    const res = switchBranch(t.repo, { detach: 'dev' });
    expect(res).toMatchObject({ branch: null, head: t.dev });
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: false, id: t.dev });
    expect(snapshot(t.dir)).toEqual(DEV_FILES);
    switchBranch(t.repo, { branch: 'main' });
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/main' });
  });

  it('works from an unborn HEAD, and to a new unborn branch', () => {
    const t = tempRepo();
    repos.push(t);
    const data = makeCommit(t.repo, { message: 'data', branch: 'data', files: { 'x.csv': 'k\n1\n' } });
    writeFileSync(join(t.dir, 'local.txt'), 'mine\n');
    const res = switchBranch(t.repo, { branch: 'data' });
    expect(res).toMatchObject({ branch: 'data', head: data, previous: { branch: 'main', head: null }, updated: 1 });
    expect(snapshot(t.dir)).toEqual({ 'local.txt': 'mine\n', 'x.csv': 'k\n1\n' });
    expect(changes(t.repo)).toEqual(['untracked local.txt']);

    const u = tempRepo();
    repos.push(u);
    const r2 = switchBranch(u.repo, { branch: 'other', create: true });
    expect(r2).toMatchObject({ branch: 'other', head: null, created: false });
    expect(u.repo.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/other' });
    expect(u.repo.refs.read('refs/heads/other')).toBeUndefined();
  });
});

describe('checkout', () => {
  it('switches to a branch by name and detaches at anything else', () => {
    const t = twoBranches();
    const tip = checkout(t.repo, { rev: 'dev~1' });
    expect(tip).toMatchObject({ branch: null, head: t.main, alreadyOn: false });
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: false, id: t.main });
    expect(checkout(t.repo, { rev: t.dev.slice(0, 10) })).toMatchObject({ branch: null, head: t.dev });
    expect(snapshot(t.dir)).toEqual(DEV_FILES);
    expect(checkout(t.repo, { rev: 'main' })).toMatchObject({ branch: 'main', head: t.main });
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/main' });
    expect(t.repo.refs.reflog('HEAD', 1)[0]!.message).toBe(`checkout: moving from ${t.dev.slice(0, 12)} to main`);
  });

  it('refuses dirty files unless forced, like switch', () => {
    const t = twoBranches();
    writeFileSync(join(t.dir, 'a.txt'), 'edit\n');
    const err = failure(() => checkout(t.repo, { rev: 'dev' }));
    expect(err.code).toBe('DIRTY_WORKTREE');
    expect(err.data['paths']).toEqual(['a.txt']);
    checkout(t.repo, { rev: 'dev', force: true });
    expect(readFileSync(join(t.dir, 'a.txt'), 'utf8')).toBe('a dev\n');
    expect(failure(() => checkout(t.repo, { rev: 'no-such-thing' })).code).toBe('NOT_FOUND');
  });
});
