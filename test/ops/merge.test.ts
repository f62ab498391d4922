// merge() through the ops API on real worktrees: unrelated histories, criss-cross merges through a
// virtual base, directory/file collisions and renames in the worktree, detached HEAD, unborn branch.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { merge } from '../../src/ops/merge.js';
import { mergeAbort, mergeContinue } from '../../src/ops/merge/finish.js';
import { resolveConflicts } from '../../src/ops/merge/resolve.js';
import { readMergeState } from '../../src/ops/merge/state.js';
import { reset } from '../../src/ops/reset.js';
import { status } from '../../src/ops/status/status.js';
import { readCommit } from '../../src/store/typed-objects.js';
import { AUTHOR, makeCommit, T0, tempRepo, type FileSpec, type TempRepo } from '../helpers/history-repo.js';

let t: TempRepo;
afterEach(() => t?.cleanup());

const opts = (rev: string, extra: Partial<Parameters<typeof merge>[1]> = {}) => ({
  rev,
  author: AUTHOR,
  time: T0 + 1_000_000,
  tzOffset: 0,
  ...extra,
});

/** Commits on `branch` (created from `parents[0]` when new) without touching the worktree. */
function on(branch: string, files: Record<string, FileSpec>, at: number, parents?: string[]): string {
  const ref = `refs/heads/${branch}`;
  if (parents !== undefined && t.repo.refs.resolve(ref) === null)
    t.repo.refs.update([{ name: ref, expected: null, next: parents[0]! }], 'test', 'branch');
  return makeCommit(t.repo, { files, at, message: `${branch} ${at}`, branch, ...(parents ? { parents } : {}) });
}

/** Worktree and index at HEAD. */
function checkout(): void {
  reset(t.repo, { mode: 'hard' });
}

const read = (p: string) => readFileSync(join(t.dir, p), 'utf8');
const clean = () => {
  const s = status(t.repo);
  return s.staged.length + s.unstaged.length + s.untracked.length === 0;
};

describe('merge (ops)', () => {
  it('refuses unrelated histories unless allowed, then merges against an empty base', () => {
    t = tempRepo();
    on('main', { 'a.txt': 'a\n', 'both.txt': 'same\n' }, 0);
    checkout();
    t.repo.refs.update(
      [
        {
          name: 'refs/heads/other',
          expected: null,
          next: makeCommit(t.repo, {
            files: { 'b.txt': 'b\n', 'both.txt': 'same\n' },
            at: 5,
            message: 'root 2',
            parents: [],
            branch: null,
          }),
        },
      ],
      'test',
      'branch',
    );
    expect(() => merge(t.repo, opts('other'))).toThrow(expect.objectContaining({ code: 'REJECTED' }));
    const res = merge(t.repo, opts('other', { allowUnrelated: true }));
    expect(res.status).toBe('merged');
    expect(res.bases).toEqual([]);
    expect(read('b.txt')).toBe('b\n');
    expect(read('a.txt')).toBe('a\n');
    expect(clean()).toBe(true);
  });

  it('merges a criss-cross history through a virtual base: differing resolutions conflict, equal ones do not', () => {
    t = tempRepo();
    const a = on('main', { 'split.txt': 'orig\n', 'agreed.txt': 'orig\n' }, 0);
    const b = on('main', { 'split.txt': 'b\n', 'agreed.txt': 'b\n' }, 10);
    const c = on('topic', { 'split.txt': 'c\n', 'agreed.txt': 'c\n' }, 20, [a]);
    // Each side merged the other and resolved: agreed.txt the same way, split.txt differently.
    on('main', { 'split.txt': 'resolved on main\n', 'agreed.txt': 'bc\n' }, 30, [b, c]);
    on('topic', { 'split.txt': 'resolved on topic\n', 'agreed.txt': 'bc\n' }, 40, [c, b]);
    checkout();
    const res = merge(t.repo, opts('topic'));
    expect(res.bases).toEqual([b, c]);
    expect(res.status).toBe('conflicts');
    expect(res.conflicts.map((x) => [x.path, x.kind])).toEqual([['split.txt', 'content']]);
    expect(read('agreed.txt')).toBe('bc\n');
    expect(read('split.txt')).toBe('<<<<<<< main\nresolved on main\n=======\nresolved on topic\n>>>>>>> topic\n');
  });

  it('writes a directory/file collision so nothing is lost, and resolves it by hand', () => {
    t = tempRepo();
    const base = on('main', { keep: 'k\n' }, 0);
    on('main', { keep: 'k\n', report: 'a file\n' }, 10);
    on('topic', { keep: 'k\n', 'report/part1.csv': 'x\n' }, 20, [base]);
    checkout();
    const res = merge(t.repo, opts('topic'));
    expect(res.conflicts.map((c) => [c.path, c.kind, c.movedTo])).toEqual([['report', 'directory-file', 'report~main']]);
    expect(read('report~main')).toBe('a file\n');
    expect(read('report/part1.csv')).toBe('x\n');
    expect(() => resolveConflicts(t.repo, { paths: ['report'], take: 'ours' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(resolveConflicts(t.repo, { paths: ['report'] }).remaining).toEqual([]);
    const done = mergeContinue(t.repo, { author: AUTHOR, time: T0 + 2_000_000, tzOffset: 0 });
    expect(done.committed && done.parents.length).toBe(2);
    expect(clean()).toBe(true);
  });

  it('moves a file renamed on one side and edited on the other, cleanly', () => {
    t = tempRepo();
    const base = on('main', { 'old/name.csv': 'id,v\n1,a\n2,b\n' }, 0);
    on('main', { 'new/name.csv': 'id,v\n1,a\n2,b\n' }, 10);
    on('topic', { 'old/name.csv': 'id,v\n1,a\n2,B\n' }, 20, [base]);
    checkout();
    const res = merge(t.repo, opts('topic'));
    expect(res.status).toBe('merged');
    expect(res.renames).toEqual([{ from: 'old/name.csv', to: 'new/name.csv', side: 'ours' }]);
    expect(read('new/name.csv')).toBe('id,v\n1,a\n2,B\n');
    expect(existsSync(join(t.dir, 'old'))).toBe(false);
    expect(clean()).toBe(true);
  });

  it('merges into a detached HEAD, moving HEAD only', () => {
    t = tempRepo();
    const base = on('main', { 'x.json': '{"a": 1, "b": 1}\n' }, 0);
    const main = on('main', { 'x.json': '{"a": 2, "b": 1}\n' }, 10);
    on('topic', { 'x.json': '{"a": 1, "b": 2}\n' }, 20, [base]);
    t.repo.refs.setSymbolic('HEAD', { symbolic: false, id: main }, 'test', 'detach');
    checkout();
    const res = merge(t.repo, opts('topic'));
    expect(res.status).toBe('merged');
    expect(res.branch).toBeNull();
    expect(t.repo.refs.resolve('HEAD')).toBe(res.commit);
    expect(t.repo.refs.resolve('refs/heads/main')).toBe(main);
    expect(read('x.json')).toBe('{"a": 2, "b": 2}\n');
  });

  it('fast-forwards an unborn branch to the merged commit', () => {
    t = tempRepo();
    const c = makeCommit(t.repo, { files: { f: 'f\n' }, at: 0, message: 'c', parents: [], branch: null });
    t.repo.refs.update([{ name: 'refs/heads/topic', expected: null, next: c }], 'test', 'branch');
    const res = merge(t.repo, opts('topic'));
    expect(res.status).toBe('fast-forward');
    expect(t.repo.refs.resolve('refs/heads/main')).toBe(c);
    expect(read('f')).toBe('f\n');
  });

  it('keeps ORIG_HEAD, MERGE_HEAD and the conflicts in the state; abort drops it', () => {
    t = tempRepo();
    const base = on('main', { n: 'x\n' }, 0);
    const main = on('main', { n: 'main\n' }, 10);
    const topic = on('topic', { n: 'topic\n' }, 20, [base]);
    checkout();
    merge(t.repo, opts('topic'));
    const s = readMergeState(t.repo)!;
    expect(s).toMatchObject({
      phase: 'conflicts',
      origHead: main,
      theirs: topic,
      headRef: 'refs/heads/main',
      bases: [base],
      message: "Merge branch 'topic'",
    });
    expect(readCommit(t.repo.objects, main).tree).not.toBe(s.tree);
    expect(mergeAbort(t.repo)).toMatchObject({ head: main, restored: ['n'], removed: [] });
    expect(readMergeState(t.repo)).toBeNull();
    expect(read('n')).toBe('main\n');
    expect(clean()).toBe(true);
  });

  it('after HEAD was moved by hand mid-merge, commit refuses and abort only drops the state', () => {
    t = tempRepo();
    const base = on('main', { n: 'x\n' }, 0);
    on('main', { n: 'main\n' }, 10);
    on('topic', { n: 'topic\n' }, 20, [base]);
    checkout();
    merge(t.repo, opts('topic'));
    const state = readFileSync(join(t.repo.cairnDir, 'merge-state.json'));
    reset(t.repo, { rev: base, mode: 'hard' });
    // reset --hard abandons the merge, as in git; a state left by an older build or a kill is
    // put back to check that commit and abort still cope with a HEAD moved under it.
    expect(readMergeState(t.repo)).toBeNull();
    writeFileSync(join(t.repo.cairnDir, 'merge-state.json'), state);
    expect(() => mergeContinue(t.repo, { author: AUTHOR })).toThrow(expect.objectContaining({ code: 'REJECTED' }));
    expect(mergeAbort(t.repo)).toMatchObject({ head: base, dropped: true, restored: [] });
    expect(read('n')).toBe('x\n');
    expect(readMergeState(t.repo)).toBeNull();
  });

  it('concluding: a leftover state after the merge commit landed is recognised and dropped', () => {
    t = tempRepo();
    const base = on('main', { n: 'x\n' }, 0);
    on('main', { n: 'main\n' }, 10);
    on('topic', { n: 'topic\n' }, 20, [base]);
    checkout();
    merge(t.repo, opts('topic'));
    const state = readFileSync(join(t.repo.cairnDir, 'merge-state.json'));
    resolveConflicts(t.repo, { paths: ['n'], take: 'theirs' });
    mergeContinue(t.repo, { author: AUTHOR, time: T0 + 3_000_000, tzOffset: 0 });
    // As if a kill struck between the ref update and the state removal:
    writeFileSync(join(t.repo.cairnDir, 'merge-state.json'), state);
    expect(mergeAbort(t.repo).alreadyCommitted).toBe(true);
    expect(readMergeState(t.repo)).toBeNull();
  });
});
