// The merge-driver laws, one suite for every driver (and for any second implementation of a format):
// merge(B, X, B) = X, merge(B, B, X) = X and merge(B, X, X) = X byte for byte and without conflicts,
// and, for a driver that promises it, a clean result that does not depend on which side is ours.
// The versions come from a per-format generator (merge-formats.ts); the driver is the unit under test.
import { describe, expect } from 'vitest';
import fc from 'fast-check';
import type { MergeDriver, MergeOutput } from '../../src/core/merge/types.js';
import { checkKnownFailures, testFactory, type SuiteOptions } from './helpers.js';

/** Three versions of one file: a base and two sides made from it by random edits. */
export interface Versions {
  base: Buffer;
  ours: Buffer;
  theirs: Buffer;
}

export interface MergeLawFormat {
  /** The path handed to the driver (it may pick, e.g., the csv delimiter from it). */
  path: string;
  versions: fc.Arbitrary<Versions>;
  /**
   * For a driver promising that a clean merge does not depend on which side is called ours: the form
   * in which both orders' results must be equal (the bytes, or a canonical rendering of the data
   * when output follows ours' formatting or order), with its name for the test title. Null when the
   * driver makes no such promise.
   */
  sameClean: { form: string; of: (merged: Buffer) => string } | null;
}

export interface MergeLawOptions extends SuiteOptions {
  numRuns?: number;
  seed?: number;
}

export function mergeDriverLaws(name: string, driver: MergeDriver, format: MergeLawFormat, opts: MergeLawOptions = {}): void {
  const titles = new Set<string>();
  const test = testFactory(opts, titles);
  const runs = { numRuns: opts.numRuns ?? 150, seed: opts.seed ?? 20261207 };
  const merge = (base: Buffer | null, ours: Buffer, theirs: Buffer): MergeOutput => driver({ base, ours, theirs, path: format.path });
  const exactly = (r: MergeOutput, x: Buffer): void => {
    expect(r.conflicts).toEqual([]);
    expect(r.settled).toBe(0);
    // Compared as text first for a readable diff, then as bytes (latin1 maps each byte to one unit).
    expect(r.content.toString('latin1')).toBe(x.toString('latin1'));
    expect(Buffer.compare(r.content, x)).toBe(0);
  };

  describe(`merge laws: ${name} driver`, () => {
    test('merge(B, X, B) = X, byte for byte, without conflicts', () => {
      fc.assert(
        fc.property(format.versions, ({ base, ours, theirs }) => {
          for (const x of [ours, theirs]) exactly(merge(base, x, base), x);
        }),
        runs,
      );
    });

    test('merge(B, B, X) = X, byte for byte, without conflicts', () => {
      fc.assert(
        fc.property(format.versions, ({ base, ours, theirs }) => {
          for (const x of [ours, theirs]) exactly(merge(base, base, x), x);
        }),
        runs,
      );
    });

    test('merge(B, X, X) = X, byte for byte, without conflicts, also with no base (added on both sides)', () => {
      fc.assert(
        fc.property(format.versions, ({ base, ours, theirs }) => {
          for (const x of [ours, theirs, base]) {
            exactly(merge(base, x, Buffer.from(x)), x);
            exactly(merge(null, x, Buffer.from(x)), x);
          }
        }),
        runs,
      );
    });

    const same = format.sameClean;
    if (same !== null) {
      test('swapping ours and theirs: clean exactly when the other order is clean', () => {
        let clean = 0;
        let conflicted = 0;
        fc.assert(
          fc.property(format.versions, ({ base, ours, theirs }) => {
            const ab = merge(base, ours, theirs);
            const ba = merge(base, theirs, ours);
            expect(ba.conflicts.length === 0).toBe(ab.conflicts.length === 0);
            if (ab.conflicts.length === 0) clean++;
            else conflicted++;
          }),
          runs,
        );
        // The generator must produce both kinds, or the law says nothing.
        expect(clean).toBeGreaterThan(runs.numRuns / 10);
        expect(conflicted).toBeGreaterThan(0);
      });

      test(`swapping ours and theirs gives the same clean result (${same.form})`, () => {
        fc.assert(
          fc.property(format.versions, ({ base, ours, theirs }) => {
            const ab = merge(base, ours, theirs);
            const ba = merge(base, theirs, ours);
            if (ab.conflicts.length > 0 || ba.conflicts.length > 0) return;
            expect(same.of(ba.content)).toBe(same.of(ab.content));
          }),
          runs,
        );
      });
    }

    checkKnownFailures(opts, titles);
  });
}
