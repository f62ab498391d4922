// Range coalescing: any set of ranges is read by few spans and split back exactly (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { planRanges, splitSpan, type ByteRange } from '../../../../src/sync/server/storage/range-plan.js';

const range = fc.record({ offset: fc.nat({ max: 5000 }), length: fc.nat({ max: 300 }) });
const opts = fc.record({ gap: fc.nat({ max: 400 }), maxSpan: fc.integer({ min: 1, max: 2000 }) });

describe('planRanges', () => {
  it('splits any set of ranges back exactly, each range in exactly one span, zero-length ones in none', () => {
    const pack = Buffer.from(Array.from({ length: 5400 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 60 }), opts, (ranges, o) => {
        const spans = planRanges(ranges, o);
        const seen = new Map<number, Uint8Array>();
        for (const s of spans) {
          for (const [i, bytes] of splitSpan(s, pack.subarray(s.offset, s.offset + s.length), ranges)) {
            expect(seen.has(i)).toBe(false);
            seen.set(i, bytes);
          }
        }
        ranges.forEach((r, i) => {
          if (r.length === 0) expect(seen.has(i)).toBe(false);
          else expect(Buffer.from(seen.get(i)!).equals(pack.subarray(r.offset, r.offset + r.length))).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never reads a byte twice or outside the ranges, and bounds spans of disjoint ranges by maxSpan', () => {
    // Disjoint ranges, as object records in a pack are: each starts at or after the previous end.
    const disjoint = fc
      .array(fc.record({ skip: fc.nat({ max: 500 }), length: fc.integer({ min: 1, max: 300 }) }), { maxLength: 60 })
      .map((xs) => {
        let at = 0;
        return xs.map(({ skip, length }) => {
          const r = { offset: at + skip, length };
          at = r.offset + length;
          return r;
        });
      })
      .chain((rs) => fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length }));
    fc.assert(
      fc.property(disjoint, opts, (ranges, o) => {
        const spans = planRanges(ranges, o);
        for (let k = 1; k < spans.length; k++) expect(spans[k]!.offset).toBeGreaterThanOrEqual(spans[k - 1]!.offset + spans[k - 1]!.length);
        for (const s of spans) {
          const biggest = Math.max(...s.members.map((i) => ranges[i]!.length));
          expect(s.length).toBeLessThanOrEqual(Math.max(o.maxSpan, biggest));
          expect(Math.min(...s.members.map((i) => ranges[i]!.offset))).toBe(s.offset);
          expect(Math.max(...s.members.map((i) => ranges[i]!.offset + ranges[i]!.length))).toBe(s.offset + s.length);
        }
        // Neighbouring spans were kept apart for a reason: the gap is too wide, or merging breaks the bound.
        for (let k = 1; k < spans.length; k++) {
          const a = spans[k - 1]!;
          const b = spans[k]!;
          const firstEnd = Math.min(
            ...b.members.filter((i) => ranges[i]!.offset === b.offset).map((i) => ranges[i]!.offset + ranges[i]!.length),
          );
          expect(b.offset - (a.offset + a.length) > o.gap || firstEnd - a.offset > o.maxSpan).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never reads overlapping bytes twice: overlapping ranges share a span', () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 60 }), opts, (ranges, o) => {
        const spans = planRanges(ranges, o);
        for (let k = 1; k < spans.length; k++) expect(spans[k]!.offset).toBeGreaterThanOrEqual(spans[k - 1]!.offset + spans[k - 1]!.length);
      }),
      { numRuns: 300 },
    );
  });

  it('reads 1,000 ranges of 100 bytes 50 bytes apart with one span per 8 MiB, and far-apart ones separately', () => {
    const dense: ByteRange[] = Array.from({ length: 1000 }, (_, i) => ({ offset: i * 150, length: 100 }));
    expect(planRanges(dense, { gap: 64 << 10, maxSpan: 8 << 20 })).toHaveLength(1);
    const sparse: ByteRange[] = Array.from({ length: 10 }, (_, i) => ({ offset: i * (1 << 20), length: 100 }));
    expect(planRanges(sparse, { gap: 64 << 10, maxSpan: 8 << 20 })).toHaveLength(10);
    expect(planRanges(dense, { gap: 64 << 10, maxSpan: 15_000 })).toHaveLength(10);
  });

  it('refuses a negative or fractional range', () => {
    expect(() => planRanges([{ offset: -1, length: 2 }], { gap: 0, maxSpan: 10 })).toThrow(RangeError);
    expect(() => planRanges([{ offset: 0, length: 1.5 }], { gap: 0, maxSpan: 10 })).toThrow(RangeError);
  });
});
