// Branch and tag management: create by CAS, refuse duplicates, delete only what is merged (or
// forced), rename atomically with HEAD following, tags created, moved with force, deleted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBranch, deleteBranch, listBranches, renameBranch } from '../../src/ops/branch.js';
import { createTag, deleteTag, listTags } from '../../src/ops/tag.js';
import type { CairnError } from '../../src/errors.js';
import { makeCommit, tempRepo, type TempRepo } from '../helpers/history-repo.js';
import { codeOf } from '../helpers/errors.js';

let t: TempRepo;
beforeEach(() => {
  t = tempRepo();
});
afterEach(() => t.cleanup());

const who = 'Test <test@example.com>';

describe('branches', () => {
  it('creates a branch at HEAD or at a start revision, and lists them with the current one', () => {
    const c1 = makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    const c2 = makeCommit(t.repo, { files: { f: '2' }, message: 'two', at: 10 });
    expect(createBranch(t.repo, 'dev', { who })).toEqual({ name: 'dev', id: c2, current: false });
    expect(createBranch(t.repo, 'old', { who, start: 'HEAD~1' }).id).toBe(c1);
    expect(listBranches(t.repo)).toEqual({
      current: 'main',
      head: c2,
      branches: [
        { name: 'dev', id: c2, current: false },
        { name: 'main', id: c2, current: true },
        { name: 'old', id: c1, current: false },
      ],
    });
    expect(t.repo.refs.reflog('refs/heads/dev')[0]).toMatchObject({ old: null, new: c2, who });
  });

  it('refuses an existing name with ALREADY_EXISTS and leaves it unchanged', () => {
    const c1 = makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    createBranch(t.repo, 'dev', { who });
    makeCommit(t.repo, { files: { f: '2' }, message: 'two', at: 10 });
    expect(codeOf(() => createBranch(t.repo, 'dev', { who }))).toBe('ALREADY_EXISTS');
    expect(t.repo.refs.resolve('refs/heads/dev')).toBe(c1);
  });

  it('refuses invalid names and unknown start points', () => {
    makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    expect(codeOf(() => createBranch(t.repo, 'bad..name', { who }))).toBe('INVALID_NAME');
    expect(codeOf(() => createBranch(t.repo, '-x', { who }))).toBe('INVALID_NAME');
    expect(codeOf(() => createBranch(t.repo, 'x', { who, start: 'nope' }))).toBe('NOT_FOUND');
  });

  it('cannot branch from an unborn HEAD', () => {
    expect(codeOf(() => createBranch(t.repo, 'dev', { who }))).toBe('NOT_FOUND');
  });

  it('deletes a merged branch and refuses the current one', () => {
    const c1 = makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    createBranch(t.repo, 'dev', { who });
    makeCommit(t.repo, { files: { f: '2' }, message: 'two', at: 10 });
    expect(codeOf(() => deleteBranch(t.repo, 'main', { who, force: true }))).toBe('REJECTED');
    expect(deleteBranch(t.repo, 'dev', { who })).toEqual({ name: 'dev', id: c1 });
    expect(t.repo.refs.resolve('refs/heads/dev')).toBeNull();
    expect(codeOf(() => deleteBranch(t.repo, 'dev', { who }))).toBe('NOT_FOUND');
  });

  it('refuses to delete an unmerged branch unless forced', () => {
    makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    createBranch(t.repo, 'dev', { who });
    const d = makeCommit(t.repo, { files: { f: 'd' }, message: 'dev work', at: 10, branch: 'dev' });
    let err: CairnError | undefined;
    try {
      deleteBranch(t.repo, 'dev', { who });
    } catch (e) {
      err = e as CairnError;
    }
    expect(err?.code).toBe('REJECTED');
    expect(err?.data['reason']).toBe('not-merged');
    expect(t.repo.refs.resolve('refs/heads/dev')).toBe(d);
    expect(deleteBranch(t.repo, 'dev', { who, force: true }).id).toBe(d);
    expect(t.repo.refs.resolve('refs/heads/dev')).toBeNull();
  });

  it('renames the current branch in one step, moving HEAD with it', () => {
    const c1 = makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    expect(renameBranch(t.repo, 'main', 'trunk', { who })).toEqual({ from: 'main', to: 'trunk', id: c1, movedHead: true });
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/trunk' });
    expect(t.repo.refs.resolve('refs/heads/main')).toBeNull();
    expect(t.repo.refs.resolve('HEAD')).toBe(c1);
  });

  it('renames another branch without touching HEAD, and refuses to overwrite unless forced', () => {
    const c1 = makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    createBranch(t.repo, 'a', { who });
    createBranch(t.repo, 'b', { who });
    expect(codeOf(() => renameBranch(t.repo, 'a', 'b', { who }))).toBe('ALREADY_EXISTS');
    expect(t.repo.refs.resolve('refs/heads/a')).toBe(c1);
    expect(renameBranch(t.repo, 'a', 'c', { who }).movedHead).toBe(false);
    expect(renameBranch(t.repo, 'c', 'b', { who, force: true }).id).toBe(c1);
    expect(listBranches(t.repo).branches.map((b) => b.name)).toEqual(['b', 'main']);
    expect(t.repo.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/main' });
    expect(codeOf(() => renameBranch(t.repo, 'nope', 'x', { who }))).toBe('NOT_FOUND');
    expect(codeOf(() => renameBranch(t.repo, 'b', 'bad name', { who }))).toBe('INVALID_NAME');
  });

  it('renames an unborn current branch by moving HEAD only', () => {
    expect(renameBranch(t.repo, 'main', 'trunk', { who })).toEqual({ from: 'main', to: 'trunk', id: null, movedHead: true });
    expect(listBranches(t.repo)).toEqual({ current: 'trunk', head: null, branches: [] });
  });
});

describe('tags', () => {
  it('creates, lists, refuses duplicates, moves with force and deletes', () => {
    const c1 = makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    const c2 = makeCommit(t.repo, { files: { f: '2' }, message: 'two', at: 10 });
    expect(createTag(t.repo, 'v1', { who, rev: 'HEAD~1' })).toEqual({ name: 'v1', id: c1, previous: null });
    expect(createTag(t.repo, 'v2', { who })).toEqual({ name: 'v2', id: c2, previous: null });
    expect(codeOf(() => createTag(t.repo, 'v1', { who }))).toBe('ALREADY_EXISTS');
    expect(t.repo.refs.resolve('refs/tags/v1')).toBe(c1);
    expect(createTag(t.repo, 'v1', { who, force: true })).toEqual({ name: 'v1', id: c2, previous: c1 });
    expect(listTags(t.repo)).toEqual([
      { name: 'v1', id: c2 },
      { name: 'v2', id: c2 },
    ]);
    expect(deleteTag(t.repo, 'v1', { who })).toEqual({ name: 'v1', id: c2 });
    expect(codeOf(() => deleteTag(t.repo, 'v1', { who }))).toBe('NOT_FOUND');
    expect(codeOf(() => createTag(t.repo, 'a:b', { who }))).toBe('INVALID_NAME');
  });
});
