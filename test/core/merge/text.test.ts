// The text driver's contract: conflict reports (location in ours, kinds, values), favor, and properties over
// seeded random texts and edit scripts (the merge laws themselves run for every driver in merge-laws.test.ts).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mergeText } from '../../../src/core/merge/text-merge.js';
import { diffLines } from '../../../src/core/merge/line-diff.js';
import type { MergeOutput } from '../../../src/core/merge/types.js';

const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const merge = (base: string | null, ours: string, theirs: string, favor?: 'ours' | 'theirs'): MergeOutput =>
  mergeText({
    base: base === null ? null : buf(base),
    ours: buf(ours),
    theirs: buf(theirs),
    path: 'notes.txt',
    ...(favor ? { favor } : {}),
  });
const L = (...lines: string[]): string => lines.map((l) => `${l}\n`).join('');

describe('text merge: conflicts', () => {
  it('reports a conflict with its line range in ours and the three texts', () => {
    const r = merge(L('a', 'b', 'c'), L('a', 'x1', 'x2', 'c'), L('a', 'y', 'c'));
    expect(r.conflicts).toEqual([{ location: 'lines 2-3', kind: 'both-modified', base: 'b\n', ours: 'x1\nx2\n', theirs: 'y\n' }]);
    expect(r.content.toString()).toBe(L('a', '<<<<<<< ours', 'x1', 'x2', '=======', 'y', '>>>>>>> theirs', 'c'));
    expect(r.settled).toBe(0);
  });

  it('an empty ours side names the line it follows', () => {
    const r = merge(L('a', 'b', 'c'), L('a', 'c'), L('a', 'B', 'c'));
    expect(r.conflicts).toEqual([{ location: 'lines 1-1', kind: 'both-modified', base: 'b\n', ours: '', theirs: 'B\n' }]);
  });

  it('a file added on both sides conflicts as add-add, with no base value', () => {
    const r = merge(null, L('x'), L('y'));
    expect(r.conflicts).toEqual([{ location: 'lines 1-1', kind: 'add-add', ours: 'x\n', theirs: 'y\n' }]);
  });

  it('favor settles every conflict by one side and counts them', () => {
    const base = L('1', '2', '3', '4', '5', '6', '7', '8', '9');
    const ours = L('1', 'o2', '3', '4', '5', '6', '7', 'o8', '9');
    const theirs = L('1', 't2', '3', '4', '5', '6', '7', 't8', '9');
    expect(merge(base, ours, theirs).conflicts).toHaveLength(2);
    const o = merge(base, ours, theirs, 'ours');
    expect(o).toEqual({ content: buf(ours), conflicts: [], settled: 2 });
    const t = merge(base, ours, theirs, 'theirs');
    expect(t).toEqual({ content: buf(theirs), conflicts: [], settled: 2 });
  });

  it('favor leaves the clean parts of a merge alone', () => {
    const r = merge(L('a', 'b', 'c', 'd', 'e', 'f'), L('A', 'b', 'c', 'd', 'e', 'o'), L('a', 'b', 'c', 'd', 'e', 't'), 'theirs');
    expect(r.content.toString()).toBe(L('A', 'b', 'c', 'd', 'e', 't'));
    expect(r.settled).toBe(1);
  });

  it('conflict values decode UTF-8 while the merged bytes stay exact', () => {
    const r = mergeText({ base: Buffer.from('a\n'), ours: Buffer.from('é\n'), theirs: Buffer.from([0xff, 0x0a]), path: 'f' });
    expect(r.conflicts[0]?.ours).toBe('é\n');
    expect(r.content.includes(Buffer.from([0xff, 0x0a]))).toBe(true);
  });

  it('input with NUL bytes goes to the binary driver', () => {
    const r = mergeText({ base: Buffer.from('a'), ours: Buffer.from('a'), theirs: Buffer.from('b\0'), path: 'f' });
    expect(r).toEqual({ content: Buffer.from('b\0'), conflicts: [], settled: 0 });
  });

  it('a large merge stays fast (20,000 lines, edits every 100 lines on each side)', () => {
    const base = Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`);
    const ours = base.map((l, i) => (i % 100 === 10 ? `ours ${i}\n` : l));
    const theirs = base.map((l, i) => (i % 100 === 60 ? `theirs ${i}\n` : l));
    const start = performance.now();
    const r = merge(base.join(''), ours.join(''), theirs.join(''));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(r.conflicts).toEqual([]);
    expect(r.content.toString()).toBe(base.map((l, i) => (i % 100 === 10 ? `ours ${i}\n` : i % 100 === 60 ? `theirs ${i}\n` : l)).join(''));
  });
});

describe('line diff', () => {
  it('finds the hunks of a replacement, an insertion and a deletion', () => {
    expect(diffLines(['a\n', 'b\n', 'c\n', 'd\n'], ['a\n', 'B\n', 'c\n', 'x\n', 'd\n'])).toEqual([
      { a: 1, aLen: 1, b: 1, bLen: 1 },
      { a: 3, aLen: 0, b: 3, bLen: 1 },
    ]);
    expect(diffLines(['a\n'], [])).toEqual([{ a: 0, aLen: 1, b: 0, bLen: 0 }]);
    expect(diffLines([], [])).toEqual([]);
  });

  it('its hunks always rebuild the second sequence from the first', () => {
    const seq = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 40 });
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        const out: string[] = [];
        let i = 0;
        for (const h of diffLines(a, b)) {
          out.push(...a.slice(i, h.a), ...b.slice(h.b, h.b + h.bLen));
          expect(a.slice(h.a, h.a + h.aLen).length).toBe(h.aLen);
          i = h.a + h.aLen;
        }
        out.push(...a.slice(i));
        expect(out).toEqual(b);
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});

// Texts of short lines from a small alphabet, and edit scripts applied to them.
const line = fc.constantFrom('a', 'b', 'c', '}', '', 'x y');
const textLines = fc.array(line, { maxLength: 12 });
const op = fc.record({ at: fc.nat(), del: fc.nat({ max: 3 }), ins: fc.array(line, { maxLength: 3 }) });
const edits = fc.array(op, { maxLength: 4 });
const apply = (base: string[], ops: { at: number; del: number; ins: string[] }[]): string[] => {
  const out = base.slice();
  for (const { at, del, ins } of ops) out.splice(at % (out.length + 1), del, ...ins);
  return out;
};
const join = (ls: string[]): string => ls.map((l) => `${l}\n`).join('');
const runs = { seed: 424242, numRuns: 300 };

describe('text merge: properties', () => {
  it('edits to separate parts of a text both land, and cleanly', () => {
    // Distinct lines make every diff unambiguous; a kept line between the two edited parts keeps them apart.
    const part = fc.array(fc.constantFrom('p', 'q', 'r', 's'), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(part, part, part, part, fc.nat({ max: 3 }), (x, y, newX, newY, gap) => {
        const uniq = (ls: string[], tag: string): string[] => ls.map((l, i) => `${tag}${i}${l}`);
        const keep = Array.from({ length: gap + 1 }, (_, i) => `keep${i}`);
        const base = [...uniq(x, 'x'), ...keep, ...uniq(y, 'y')];
        const ours = [...uniq(newX, 'X'), ...keep, ...uniq(y, 'y')];
        const theirs = [...uniq(x, 'x'), ...keep, ...uniq(newY, 'Y')];
        const r = merge(join(base), join(ours), join(theirs));
        expect(r.conflicts).toEqual([]);
        expect(r.content.toString()).toBe(join([...uniq(newX, 'X'), ...keep, ...uniq(newY, 'Y')]));
      }),
      runs,
    );
  });

  it('a conflicted merge keeps every side recoverable from the markers', () => {
    fc.assert(
      fc.property(textLines, edits, edits, (b, eo, et) => {
        const ours = join(apply(b, eo));
        const theirs = join(apply(b, et));
        const r = merge(join(b), ours, theirs);
        const text = r.content.toString();
        // Taking the upper half of every conflict gives ours back; the lower half gives a clean merge's theirs side.
        const upper = text.replace(/<<<<<<< ours\n([\s\S]*?)=======\n[\s\S]*?>>>>>>> theirs\n/g, '$1');
        expect(upper).toBe(merge(join(b), ours, theirs, 'ours').content.toString());
        expect(r.conflicts.length === 0 || text.includes('<<<<<<< ours\n')).toBe(true);
      }),
      runs,
    );
  });
});
