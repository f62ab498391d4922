// The binary driver: a side that did not change gives way; two different changes conflict, keeping ours' bytes
// (the merge laws run for every driver in merge-laws.test.ts).
import { describe, it, expect } from 'vitest';
import { looksBinary, mergeBinary } from '../../../src/core/merge/binary-merge.js';

const B = (...bytes: number[]): Buffer => Buffer.from(bytes);

describe('binary merge', () => {
  it('takes the side that changed', () => {
    expect(mergeBinary({ base: B(1), ours: B(1), theirs: B(2), path: 'x.bin' })).toEqual({ content: B(2), conflicts: [], settled: 0 });
    expect(mergeBinary({ base: B(1), ours: B(3), theirs: B(1), path: 'x.bin' })).toEqual({ content: B(3), conflicts: [], settled: 0 });
    expect(mergeBinary({ base: B(1), ours: B(4), theirs: B(4), path: 'x.bin' })).toEqual({ content: B(4), conflicts: [], settled: 0 });
  });

  it('two different changes conflict and keep ours, reporting sizes', () => {
    const r = mergeBinary({ base: B(1), ours: B(2, 2), theirs: B(3, 3, 3), path: 'x.bin' });
    expect(r.content.equals(B(2, 2))).toBe(true);
    expect(r.conflicts).toEqual([{ location: '', kind: 'binary', base: { size: 1 }, ours: { size: 2 }, theirs: { size: 3 } }]);
  });

  it('different files added on both sides conflict as add-add', () => {
    const r = mergeBinary({ base: null, ours: B(2), theirs: B(3), path: 'x.bin' });
    expect(r.conflicts).toEqual([{ location: '', kind: 'add-add', ours: { size: 1 }, theirs: { size: 1 } }]);
    expect(mergeBinary({ base: null, ours: B(2), theirs: B(2), path: 'x.bin' }).conflicts).toEqual([]);
  });

  it('favor settles the conflict', () => {
    expect(mergeBinary({ base: B(1), ours: B(2), theirs: B(3), path: 'x', favor: 'theirs' })).toEqual({
      content: B(3),
      conflicts: [],
      settled: 1,
    });
    expect(mergeBinary({ base: B(1), ours: B(2), theirs: B(3), path: 'x', favor: 'ours' })).toEqual({
      content: B(2),
      conflicts: [],
      settled: 1,
    });
  });

  it('calls a buffer binary when a NUL shows in its first 8000 bytes, as git does', () => {
    expect(looksBinary(Buffer.from('text\0'))).toBe(true);
    expect(looksBinary(Buffer.from('plain text'))).toBe(false);
    expect(looksBinary(Buffer.concat([Buffer.alloc(8000, 0x61), B(0)]))).toBe(false);
  });
});
