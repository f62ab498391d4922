// Properties of the json merge driver on random documents and random edit scripts: identities when a
// version is only reformatted, both sides' changes kept, valid output, and favor settling every conflict.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseJson } from '../../../src/core/merge/json-parse.js';
import { getAtPointer } from '../../../src/core/merge/json-pointer.js';
import { canonicalJson } from '../../../src/core/merge/json-value.js';
import { fromPlain } from '../../../src/core/merge/json-plain.js';
import { data, merge, missingChange, scenarioArb as scenario, write, type Plain } from './json-helpers.js';

const RUNS = 500;

function sides(s: { base: Plain; ours: Plain; theirs: Plain }) {
  return s;
}

describe('json merge properties', () => {
  // The laws themselves (merge(B, X, B) = X, merge(B, B, X) = X, merge(B, X, X) = X, swapped sides) run
  // for every driver in merge-laws.test.ts; here, the same with one version only reformatted.
  it("merge(B, X, B') = X when theirs is B written differently (B's data when X is B itself)", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { base, ours } = sides(s);
        const X = write(ours, s.f1);
        const r = merge(write(base, s.f0), X, write(base, s.f2));
        expect(r.conflicts).toEqual([]);
        // When X is B itself, ours is the untouched side and theirs' spelling wins; the data is the same.
        if (X.equals(write(base, s.f0))) expect(data(r.content)).toBe(data(X));
        else expect(r.content.equals(X)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("merge(B, B', X) = X's data in ours' format when ours only reformatted B", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { base, theirs } = sides(s);
        const X = write(theirs, s.f2);
        const r = merge(write(base, s.f0), write(base, s.f1), X);
        expect(r.conflicts).toEqual([]);
        expect(data(r.content)).toBe(data(X));
      }),
      { numRuns: RUNS },
    );
  });

  it("merge(B, X, X') = X, byte for byte, when theirs is X written differently", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { base, ours } = sides(s);
        const X = write(ours, s.f1);
        const r = merge(write(base, s.f0), X, write(ours, s.f2));
        expect(r.conflicts).toEqual([]);
        if (X.equals(write(base, s.f0))) expect(data(r.content)).toBe(data(X));
        else expect(r.content.equals(X)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('a clean merge holds every change of both sides', () => {
    let clean = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const { base, ours, theirs } = sides(s);
        const r = merge(write(base, s.f0), write(ours, s.f1), write(theirs, s.f2));
        if (r.conflicts.length > 0) return;
        clean++;
        const [b, o, t, m] = [base, ours, theirs].map((v) => fromPlain(v)).concat([parseJson(r.content)]);
        expect(missingChange(b, o, t, m)).toBeNull();
        expect(missingChange(b, t, o, m)).toBeNull();
      }),
      { numRuns: RUNS },
    );
    // The generator must exercise clean merges, not only conflicts.
    expect(clean).toBeGreaterThan(RUNS / 4);
  });

  it("every result is valid JSON in which each conflict location holds ours' value", () => {
    let conflicted = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const { base, ours, theirs } = sides(s);
        const r = merge(write(base, s.f0), write(ours, s.f1), write(theirs, s.f2));
        const merged = parseJson(r.content);
        if (r.conflicts.length > 0) conflicted++;
        for (const c of r.conflicts) {
          expect(c.base !== undefined || c.kind === 'add-add').toBe(true);
          if (c.ours !== undefined) expect(canonicalJson(getAtPointer(merged, c.location)!)).toBe(canonicalJson(fromPlain(c.ours)));
        }
      }),
      { numRuns: RUNS },
    );
    expect(conflicted).toBeGreaterThan(0);
  });

  it('favor settles exactly the conflicts a plain merge reports; favor ours writes what a plain merge writes', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { base, ours, theirs } = sides(s);
        const args = [write(base, s.f0), write(ours, s.f1), write(theirs, s.f2)] as const;
        const plain = merge(...args),
          o = merge(...args, { favor: 'ours' }),
          t = merge(...args, { favor: 'theirs' });
        expect([o.conflicts, t.conflicts]).toEqual([[], []]);
        expect([o.settled, t.settled]).toEqual([plain.conflicts.length, plain.conflicts.length]);
        expect(o.content.equals(plain.content)).toBe(true);
        parseJson(t.content);
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic, and add/add (no base) of equal files is clean', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { ours, theirs } = sides(s);
        const O = write(ours, s.f1),
          T = write(theirs, s.f2);
        expect(merge(null, O, T).content.equals(merge(null, O, T).content)).toBe(true);
        const same = merge(null, O, write(ours, s.f2));
        expect(same.conflicts).toEqual([]);
        expect(same.content.equals(O)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
