// log's walk: newest first, ties by id, each commit once through merges, topological order on
// request, limits, unborn branches, decorations and ancestry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAncestor } from '../../../src/ops/history/commit-graph.js';
import { decorations, walkLog } from '../../../src/ops/history/log.js';
import { CairnError } from '../../../src/errors.js';
import { makeCommit, tempRepo, type TempRepo } from '../../helpers/history-repo.js';

let t: TempRepo;
beforeEach(() => {
  t = tempRepo();
});
afterEach(() => t.cleanup());

const ids = (opts: Parameters<typeof walkLog>[1] = {}) => [...walkLog(t.repo, opts)].map((e) => e.id);

/** base <- a (main) ; base <- b (feature) ; merge M = [a, b] on main. */
function mergeHistory() {
  const { repo } = t;
  const base = makeCommit(repo, { files: { 'x.txt': 'x' }, message: 'base', at: 0 });
  repo.refs.update([{ name: 'refs/heads/feature', expected: null, next: base }], 'test', 'branch');
  const a = makeCommit(repo, { files: { 'x.txt': 'x', 'a.txt': 'a' }, message: 'a', at: 10 });
  const b = makeCommit(repo, { files: { 'x.txt': 'x', 'b.txt': 'b' }, message: 'b', at: 20, branch: 'feature' });
  const m = makeCommit(repo, { files: { 'x.txt': 'x', 'a.txt': 'a', 'b.txt': 'b' }, message: 'merge', at: 30, parents: [a, b] });
  return { base, a, b, m };
}

describe('walkLog', () => {
  it('lists a linear history newest first', () => {
    const c1 = makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    const c2 = makeCommit(t.repo, { files: { f: '2' }, message: 'two', at: 10 });
    const c3 = makeCommit(t.repo, { files: { f: '3' }, message: 'three', at: 20 });
    expect(ids()).toEqual([c3, c2, c1]);
    expect(ids({ revs: ['HEAD~1'] })).toEqual([c2, c1]);
  });

  it('visits every commit of a merge exactly once, by commit time', () => {
    const { base, a, b, m } = mergeHistory();
    expect(ids()).toEqual([m, b, a, base]);
    expect(ids({ revs: ['feature'] })).toEqual([b, base]);
  });

  it('walks from several starting points without repeating shared history', () => {
    const { base, a, b } = mergeHistory();
    expect(ids({ revs: ['HEAD~1', 'feature'] })).toEqual([b, a, base]);
  });

  it('breaks equal commit times by id, deterministically', () => {
    const base = makeCommit(t.repo, { files: { f: '0' }, message: 'base', at: 0 });
    const x = makeCommit(t.repo, { files: { f: 'x' }, message: 'x', at: 5, parents: [base], branch: null });
    const y = makeCommit(t.repo, { files: { f: 'y' }, message: 'y', at: 5, parents: [base], branch: null });
    const m = makeCommit(t.repo, { files: { f: 'm' }, message: 'm', at: 9, parents: [x, y] });
    const [hi, lo] = x > y ? [x, y] : [y, x];
    expect(ids()).toEqual([m, hi, lo, base]);
  });

  it('stops after the limit', () => {
    makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
    const c2 = makeCommit(t.repo, { files: { f: '2' }, message: 'two', at: 10 });
    expect(ids({ limit: 1 })).toEqual([c2]);
    expect(ids({ limit: 0 })).toEqual([]);
  });

  it('in topo order never shows a parent before its child, even with a skewed clock', () => {
    const base = makeCommit(t.repo, { files: { f: '0' }, message: 'base', at: 0 });
    // m names both c and c's parent q; c's clock was behind, so date order shows q before its child.
    const q = makeCommit(t.repo, { files: { f: 'q' }, message: 'q', at: 50, parents: [base], branch: null });
    const c = makeCommit(t.repo, { files: { f: 'c' }, message: 'c (clock behind)', at: 10, parents: [q], branch: null });
    const m = makeCommit(t.repo, { files: { f: 'm' }, message: 'm', at: 60, parents: [c, q] });
    expect(ids()).toEqual([m, q, c, base]);
    expect(ids({ order: 'topo' })).toEqual([m, c, q, base]);
  });

  it('reports an unborn branch as NOT_FOUND naming the branch', () => {
    let err: unknown;
    try {
      ids();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CairnError);
    expect((err as CairnError).code).toBe('NOT_FOUND');
    expect((err as CairnError).data['branch']).toBe('main');
  });
});

describe('decorations', () => {
  it('names HEAD -> branch first, then other branches, tags and remotes', () => {
    const { b, m } = mergeHistory();
    t.repo.refs.update(
      [
        { name: 'refs/tags/v1', expected: null, next: m },
        { name: 'refs/remotes/origin/main', expected: null, next: m },
        { name: 'refs/heads/zz', expected: null, next: m },
      ],
      'test',
      'refs',
    );
    const d = decorations(t.repo);
    expect(d.get(m)).toEqual(['HEAD -> main', 'zz', 'tag: v1', 'origin/main']);
    expect(d.get(b)).toEqual(['feature']);
  });

  it('shows a detached HEAD as plain HEAD', () => {
    const { a } = mergeHistory();
    t.repo.refs.setSymbolic('HEAD', { symbolic: false, id: a }, 'test', 'detach');
    expect(decorations(t.repo).get(a)).toEqual(['HEAD']);
  });
});

describe('isAncestor', () => {
  it('follows every parent of merges', () => {
    const { base, a, b, m } = mergeHistory();
    expect(isAncestor(t.repo, b, m)).toBe(true);
    expect(isAncestor(t.repo, base, m)).toBe(true);
    expect(isAncestor(t.repo, m, m)).toBe(true);
    expect(isAncestor(t.repo, a, b)).toBe(false);
    expect(isAncestor(t.repo, m, base)).toBe(false);
  });
});
