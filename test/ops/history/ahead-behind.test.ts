// ahead/behind: exact counts on lines, forks, merges and criss-cross histories (checked against a
// naive set difference on generated DAGs), and a walk that stops at the fork on long histories.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectId } from '../../../src/core/hash.js';
import { aheadBehind } from '../../../src/ops/history/ahead-behind.js';
import type { ObjectReader } from '../../../src/store/object-store.js';
import { readCommit } from '../../../src/store/typed-objects.js';
import { emptyTreeCommits, tempRepo, type TempRepo } from '../../helpers/history-repo.js';

let t: TempRepo;
let put: (parents: ObjectId[], at: number) => ObjectId;
beforeAll(() => {
  t = tempRepo();
  put = emptyTreeCommits(t.repo, 'c');
  t.repo.objects.flush();
});
afterAll(() => t.cleanup());

/** A commit with the empty tree; `at` in seconds after T0; flushed. */
function commit(parents: ObjectId[], at: number): ObjectId {
  const id = put(parents, at);
  t.repo.objects.flush();
  return id;
}

/** `git rev-list --count`-style truth: full ancestor sets, then set differences. */
function naive(a: ObjectId, b: ObjectId): { ahead: number; behind: number } {
  const anc = (start: ObjectId) => {
    const seen = new Set<ObjectId>();
    const stack = [start];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...readCommit(t.repo.objects, id).parents);
    }
    return seen;
  };
  const A = anc(a);
  const B = anc(b);
  return { ahead: [...A].filter((x) => !B.has(x)).length, behind: [...B].filter((x) => !A.has(x)).length };
}

/** Counts commit reads, to show how much of the history a query touched. */
function counting(): { reader: ObjectReader; reads: () => number } {
  let n = 0;
  const objects = t.repo.objects;
  return {
    reader: { has: (id) => objects.has(id), info: (id) => objects.info(id), get: (id, type) => (n++, objects.get(id, type)) },
    reads: () => n,
  };
}

describe('aheadBehind', () => {
  it('is zero for the same commit', () => {
    const a = commit([], 0);
    expect(aheadBehind(t.repo.objects, a, a)).toEqual({ ahead: 0, behind: 0 });
  });

  it('on a line counts the commits between the two', () => {
    const a = commit([], 0);
    const b = commit([a], 10);
    const c = commit([b], 20);
    expect(aheadBehind(t.repo.objects, c, a)).toEqual({ ahead: 2, behind: 0 });
    expect(aheadBehind(t.repo.objects, a, c)).toEqual({ ahead: 0, behind: 2 });
  });

  it('after a fork counts each side', () => {
    const base = commit([], 0);
    const x1 = commit([base], 10);
    const y1 = commit([base], 11);
    const y2 = commit([y1], 12);
    const y3 = commit([y2], 13);
    expect(aheadBehind(t.repo.objects, x1, y3)).toEqual({ ahead: 1, behind: 3 });
  });

  it('counts a merge and the side branch it brought in', () => {
    const base = commit([], 0);
    const side = commit([base], 10);
    const main = commit([base], 20);
    const merged = commit([main, side], 30);
    expect(aheadBehind(t.repo.objects, merged, side)).toEqual({ ahead: 2, behind: 0 });
    expect(aheadBehind(t.repo.objects, merged, main)).toEqual({ ahead: 2, behind: 0 });
    expect(aheadBehind(t.repo.objects, main, merged)).toEqual({ ahead: 0, behind: 2 });
  });

  it('is exact on a criss-cross history', () => {
    const a = commit([], 0);
    const b = commit([a], 10);
    const c = commit([a], 20);
    const d = commit([b, c], 30);
    const e = commit([c, b], 40);
    const d2 = commit([d], 50);
    expect(aheadBehind(t.repo.objects, d2, e)).toEqual({ ahead: 2, behind: 1 });
    expect(aheadBehind(t.repo.objects, e, d2)).toEqual({ ahead: 1, behind: 2 });
  });

  it('counts everything on unrelated histories', () => {
    const a1 = commit([], 0);
    const a2 = commit([a1], 10);
    const b1 = commit([], 5);
    expect(aheadBehind(t.repo.objects, a2, b1)).toEqual({ ahead: 2, behind: 1 });
  });

  it('is exact when a parent is newer than its child (skewed clocks)', () => {
    const root = commit([], 100);
    const skewed = commit([root], 0); // made on a machine whose clock was behind
    const x = commit([skewed], 50);
    const y = commit([root], 200);
    const z = commit([skewed], 300);
    expect(aheadBehind(t.repo.objects, x, y)).toEqual(naive(x, y));
    expect(aheadBehind(t.repo.objects, x, z)).toEqual({ ahead: 1, behind: 1 });
    expect(aheadBehind(t.repo.objects, z, y)).toEqual(naive(z, y));
  });

  it('is exact when a skewed commit hides below the common frontier', () => {
    // c2 was stamped 20 hours behind: when both sides meet at c4, c2 is still queued and its
    // parent c1 (reachable from both) looks newer than the frontier. The margin keeps walking.
    const HOUR = 3600;
    const c0 = commit([], 1 * HOUR);
    const c1 = commit([c0], 2 * HOUR);
    const c2 = commit([c1], -18 * HOUR);
    const c4 = commit([c2], -18 * HOUR);
    const c5 = commit([c1, c4], 2 * HOUR);
    expect(aheadBehind(t.repo.objects, c4, c5)).toEqual({ ahead: 0, behind: 1 });
    expect(aheadBehind(t.repo.objects, c5, c4)).toEqual({ ahead: 1, behind: 0 });
  });

  it('stops a day below the fork on a long history instead of reading all of it', () => {
    const HOUR = 3600;
    let tip = commit([], 0);
    for (let i = 1; i <= 500; i++) tip = commit([tip], i * HOUR); // three weeks, one commit an hour
    const ours = commit([commit([tip], 501 * HOUR)], 502 * HOUR);
    const theirs = commit([tip], 503 * HOUR);
    const { reader, reads } = counting();
    expect(aheadBehind(reader, ours, theirs)).toEqual({ ahead: 2, behind: 1 });
    expect(reads()).toBeLessThan(30); // 3 above the fork, ~24 within the one-day margin
    const tight = counting();
    expect(aheadBehind(tight.reader, ours, theirs, { skewMarginMs: 0 })).toEqual({ ahead: 2, behind: 1 });
    expect(tight.reads()).toBeLessThan(6);
  });

  /**
   * Commits with 0..3 parents among earlier ones. `time(parentTrueTimes, spec)` gives each commit's
   * true time (seconds, never before its parents') and the stamp its machine's clock wrote.
   */
  function checkGenerated(
    specTime: fc.Arbitrary<number>,
    time: (parentTrueTimes: number[], drawn: number) => { real: number; stamp: number },
    opts: { skewMarginMs?: number },
    numRuns: number,
  ) {
    const dag = fc
      .array(fc.record({ parents: fc.uniqueArray(fc.nat(), { maxLength: 3 }), drawn: specTime }), { minLength: 1, maxLength: 40 })
      .chain((specs) => fc.tuple(fc.constant(specs), fc.nat(specs.length - 1), fc.nat(specs.length - 1)));
    fc.assert(
      fc.property(dag, ([specs, ai, bi]) => {
        const ids: ObjectId[] = [];
        const realTimes: number[] = [];
        specs.forEach((s, i) => {
          const ps = i === 0 ? [] : [...new Set(s.parents.map((p) => p % i))];
          const { real, stamp } = time(
            ps.map((p) => realTimes[p]!),
            s.drawn,
          );
          realTimes.push(real);
          ids.push(
            commit(
              ps.map((p) => ids[p]!),
              stamp,
            ),
          );
        });
        expect(aheadBehind(t.repo.objects, ids[ai]!, ids[bi]!, opts)).toEqual(naive(ids[ai]!, ids[bi]!));
      }),
      { numRuns },
    );
  }

  it('equals the naive set difference on generated DAGs (criss-cross merges, equal times, no margin)', () => {
    // Parents never newer than children, often equal (CI jobs commit within the same millisecond):
    // exact with no margin at all, so the early stop is exercised on every shape.
    checkGenerated(
      fc.constantFrom(0, 0, 1, 5),
      (pts, d) => {
        const real = Math.max(0, ...pts) + d;
        return { real, stamp: real };
      },
      { skewMarginMs: 0 },
      150,
    );
  });

  it('equals the naive set difference on generated DAGs whose clocks disagree by up to 20 hours', () => {
    // Each commit is made 0, 1 or 30 hours (real time) after its newest parent, on a machine whose
    // clock runs 0 to 20 hours behind: hidden skew below the frontier, gaps wider than the one-day
    // margin. The skew is the machine's, relative to real time: it does not add up along a chain
    // (an earlier version of this test stamped relative to the parent's stamp, so twenty-hour errors
    // accumulated into days, which no set of machines with 20-hour clock errors can produce).
    const HOUR = 3600;
    checkGenerated(
      fc.record({ gap: fc.constantFrom(0, 1, 30), behind: fc.constantFrom(0, 0, 5, 12, 20) }).map((r) => r.gap * 1000 + r.behind),
      (pts, d) => {
        const real = Math.max(0, ...pts) + Math.floor(d / 1000) * HOUR;
        return { real, stamp: real - (d % 1000) * HOUR };
      },
      {},
      600, // with no margin about one run in 700 miscounts: 600 runs catch that more often than not
    );
  });
});
