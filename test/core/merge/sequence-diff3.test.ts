// Sequence diff and diff3: matches are a common subsequence (the longest, where Myers runs), diff3
// regions tile all three sequences and are classified right, swapping sides swaps kinds, and hostile
// sizes stay fast.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { diff3, diffMatches, type Diff3Region } from '../../../src/core/merge/sequence-diff3.js';

const seq = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 30 });

function lcsLength(a: readonly unknown[], b: readonly unknown[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = a[i - 1] === b[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
  return dp[a.length]![b.length]!;
}

/** Checks the matches pair equal elements in order; returns how many there are. */
function checkMatches(a: readonly unknown[], b: readonly unknown[], m: Int32Array): number {
  let last = -1,
    n = 0,
    bad = '';
  m.forEach((j, i) => {
    if (j < 0) return;
    if (j <= last || b[j] !== a[i]) bad ||= `a[${i}] matched with b[${j}] after b[${last}]`;
    last = j;
    n++;
  });
  expect(bad).toBe('');
  return n;
}

const slice = <T>(xs: readonly T[], r: { start: number; end: number }) => xs.slice(r.start, r.end);

function checkRegions(b: readonly number[], o: readonly number[], t: readonly number[], regions: Diff3Region[]): void {
  const ends = { base: 0, ours: 0, theirs: 0 };
  for (const r of regions) {
    for (const side of ['base', 'ours', 'theirs'] as const) {
      expect(r[side].start).toBe(ends[side]);
      ends[side] = r[side].end;
    }
    const [sb, so, st] = [slice(b, r.base), slice(o, r.ours), slice(t, r.theirs)];
    const same = (x: number[], y: number[]) => JSON.stringify(x) === JSON.stringify(y);
    if (r.kind === 'stable') expect([so, st]).toEqual([sb, sb]);
    if (r.kind === 'ours') expect([same(st, sb), same(so, sb)]).toEqual([true, false]);
    if (r.kind === 'theirs') expect([same(so, sb), same(st, sb)]).toEqual([true, false]);
    if (r.kind === 'same') expect([same(so, st), same(so, sb)]).toEqual([true, false]);
    if (r.kind === 'conflict') expect([same(so, sb), same(st, sb), same(so, st)]).toEqual([false, false, false]);
  }
  expect(ends).toEqual({ base: b.length, ours: o.length, theirs: t.length });
}

describe('diffMatches', () => {
  it('finds a longest common subsequence', () => {
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        expect(checkMatches(a, b, diffMatches(a, b))).toBe(lcsLength(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it('compares by key when given one', () => {
    const m = diffMatches([{ k: 1 }, { k: 2 }], [{ k: 2 }], (x) => x.k);
    expect([...m]).toEqual([-1, 0]);
  });

  it('stays fast and correct when the sequences have nothing or little in common', () => {
    const n = 200_000;
    const a = Array.from({ length: n }, (_, i) => i);
    const shuffled = Array.from({ length: n }, (_, i) => (i * 7919) % n);
    const t0 = performance.now();
    const m = diffMatches(a, shuffled);
    checkMatches(a, shuffled, m);
    const noise = Array.from({ length: 50_000 }, (_, i) => (i * 2654435761) % 97);
    const other = Array.from({ length: 50_000 }, (_, i) => (i * 40503) % 89);
    checkMatches(noise, other, diffMatches(noise, other));
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('finds scattered edits in a long sequence exactly', () => {
    const a = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
    const b = a.filter((_, i) => i % 997 !== 0);
    for (let i = 0; i < 100; i++) b.splice(i * 900, 0, `new ${i}`);
    expect(checkMatches(a, b, diffMatches(a, b))).toBe(a.length - Math.ceil(a.length / 997));
  });
});

describe('diff3', () => {
  it('tiles the three sequences with correctly classified regions', () => {
    fc.assert(
      fc.property(seq, seq, seq, (b, o, t) => checkRegions(b, o, t, diff3(b, o, t))),
      { numRuns: 1000 },
    );
  });

  it('swapping ours and theirs swaps the kinds and nothing else', () => {
    const swap = { ours: 'theirs', theirs: 'ours', stable: 'stable', same: 'same', conflict: 'conflict' } as const;
    fc.assert(
      fc.property(seq, seq, seq, (b, o, t) => {
        const x = diff3(b, o, t).map((r) => [swap[r.kind], r.base, r.theirs, r.ours]);
        const y = diff3(b, t, o).map((r) => [r.kind, r.base, r.ours, r.theirs]);
        expect(y).toEqual(x);
      }),
      { numRuns: 1000 },
    );
  });

  it('separates changes to different places and marks overlapping ones', () => {
    const lines = (s: string) => s.split('');
    const kinds = (b: string, o: string, t: string) => diff3(lines(b), lines(o), lines(t)).map((r) => r.kind);
    expect(kinds('abcdefg', 'aXcdefg', 'abcdeYg')).toEqual(['stable', 'ours', 'stable', 'theirs', 'stable']);
    expect(kinds('abc', 'aXc', 'aYc')).toEqual(['stable', 'conflict', 'stable']);
    expect(kinds('abc', 'aXc', 'aXc')).toEqual(['stable', 'same', 'stable']);
    expect(kinds('', 'x', '')).toEqual(['ours']);
  });
});
