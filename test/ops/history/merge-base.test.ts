// merge-base: linear, forked, criss-cross and unrelated histories, clock skew, and the virtual base
// a criss-cross merge uses.
import { afterEach, describe, expect, it } from 'vitest';
import { isAncestor } from '../../../src/ops/history/commit-graph.js';
import { mergeBases } from '../../../src/ops/history/merge-base.js';
import { mergeBaseTree } from '../../../src/ops/merge/virtual-base.js';
import { flattenToMap } from '../../../src/ops/tree/tree-walk.js';
import { readWholeFile } from '../../../src/store/typed-objects.js';
import { makeCommit, tempRepo, type TempRepo } from '../../helpers/history-repo.js';

let t: TempRepo;
afterEach(() => t?.cleanup());

function commit(files: Record<string, string>, parents: string[], at: number, message = `c${at}`): string {
  return makeCommit(t.repo, { files, parents, at, message, branch: null });
}

describe('mergeBases', () => {
  it('on a line is the older commit, whichever order', () => {
    t = tempRepo();
    const a = commit({ f: '1' }, [], 0);
    const b = commit({ f: '2' }, [a], 10);
    const c = commit({ f: '3' }, [b], 20);
    expect(mergeBases(t.repo, [c], [b])).toEqual([b]);
    expect(mergeBases(t.repo, [b], [c])).toEqual([b]);
    expect(mergeBases(t.repo, [c], [c])).toEqual([c]);
    expect(isAncestor(t.repo, a, c)).toBe(true);
    expect(isAncestor(t.repo, c, a)).toBe(false);
  });

  it('of a fork is the fork point, not an older ancestor', () => {
    t = tempRepo();
    const a = commit({ f: '1' }, [], 0);
    const b = commit({ f: '2' }, [a], 10);
    const x = commit({ f: 'x' }, [b], 20);
    const y = commit({ f: 'y' }, [b], 30);
    const y2 = commit({ f: 'y2' }, [y], 40);
    expect(mergeBases(t.repo, [x], [y2])).toEqual([b]);
    expect(isAncestor(t.repo, x, y2)).toBe(false);
  });

  it('after an earlier merge is the merged-in tip', () => {
    t = tempRepo();
    const a = commit({ f: '1' }, [], 0);
    const side = commit({ f: 's' }, [a], 10);
    const main = commit({ f: 'm' }, [a], 20);
    const merged = commit({ f: 'ms' }, [main, side], 30);
    const side2 = commit({ f: 's2' }, [side], 40);
    expect(mergeBases(t.repo, [merged], [side2])).toEqual([side]);
  });

  it('of a criss-cross history lists both bases, oldest first', () => {
    t = tempRepo();
    const a = commit({ f: '1' }, [], 0);
    const b = commit({ f: 'b' }, [a], 10);
    const c = commit({ f: 'c' }, [a], 20);
    const d = commit({ f: 'bc' }, [b, c], 30);
    const e = commit({ f: 'cb' }, [c, b], 40);
    expect(mergeBases(t.repo, [d], [e])).toEqual([b, c]);
    expect(mergeBases(t.repo, [e], [d])).toEqual([b, c]);
  });

  it('is right when commit times lie (a child older than its parent)', () => {
    t = tempRepo();
    const a = commit({ f: '1' }, [], 100);
    const b = commit({ f: '2' }, [a], 0); // skewed clock: older than its parent
    const x = commit({ f: 'x' }, [b], 50);
    const y = commit({ f: 'y' }, [a], 200);
    const z = commit({ f: 'z' }, [b], 300);
    expect(mergeBases(t.repo, [x], [y])).toEqual([a]);
    expect(mergeBases(t.repo, [x], [z])).toEqual([b]);
  });

  it('of unrelated histories is empty', () => {
    t = tempRepo();
    const a = commit({ f: '1' }, [], 0);
    const b = commit({ g: '1' }, [], 10);
    expect(mergeBases(t.repo, [a], [b])).toEqual([]);
    expect(mergeBaseTree(t.repo, a, b)).toEqual({ tree: null, bases: [], virtual: false });
  });
});

describe('virtual merge base (criss-cross)', () => {
  it('merges the bases; a path they disagree on keeps their common version', () => {
    t = tempRepo();
    const a = commit({ 'same.txt': 'a\n', 'split.txt': 'orig\n', 'data.json': '{"x": 1, "y": 1}\n' }, [], 0);
    // b and c change different keys of data.json (clean) and split.txt differently (conflict).
    const b = commit({ 'same.txt': 'a\n', 'split.txt': 'from b\n', 'data.json': '{"x": 2, "y": 1}\n', 'b-only.txt': 'b\n' }, [a], 10);
    const c = commit({ 'same.txt': 'a\n', 'split.txt': 'from c\n', 'data.json': '{"x": 1, "y": 3}\n' }, [a], 20);
    const d = commit(
      { 'same.txt': 'a\n', 'split.txt': 'resolved d\n', 'data.json': '{"x": 2, "y": 3}\n', 'b-only.txt': 'b\n' },
      [b, c],
      30,
    );
    const e = commit(
      { 'same.txt': 'a\n', 'split.txt': 'resolved e\n', 'data.json': '{"x": 2, "y": 3}\n', 'b-only.txt': 'b\n' },
      [c, b],
      40,
    );
    const base = mergeBaseTree(t.repo, d, e);
    expect(base.bases).toEqual([b, c]);
    expect(base.virtual).toBe(true);
    const files = flattenToMap(t.repo.objects, base.tree);
    const text = (p: string) => readWholeFile(t.repo.objects, files.get(p)!.id).toString();
    expect(text('same.txt')).toBe('a\n');
    expect(text('data.json')).toBe('{"x": 2, "y": 3}\n');
    expect(text('b-only.txt')).toBe('b\n');
    // Not b's nor c's version: the merge of d and e must then see a conflict, not pick a side.
    expect(text('split.txt')).toBe('orig\n');
  });
});
