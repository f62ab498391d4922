// Content-defined chunking: the cut rule as documented, streaming equal to whole-buffer, size bounds,
// fixed boundaries (format stability) and re-synchronisation after an edit.
import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CHUNK_AVG,
  CHUNK_MASK_EASY,
  CHUNK_MASK_HARD,
  CHUNK_MAX,
  CHUNK_MIN,
  Chunker,
  GEAR,
  chunkBoundaries,
} from '../../src/core/chunker.js';

/** xorshift32: a tiny seeded PRNG so that every failure reproduces from its seed. */
function xorshift32(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** n pseudo-random bytes from `seed`, little-endian words: the same bytes on every platform. */
function seededBytes(seed: number, n: number): Buffer {
  const next = xorshift32(seed);
  const b = Buffer.allocUnsafe(n);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = next();
    b[i] = x & 0xff;
    b[i + 1] = (x >>> 8) & 0xff;
    b[i + 2] = (x >>> 16) & 0xff;
    b[i + 3] = x >>> 24;
  }
  for (; i < n; i++) b[i] = next() & 0xff;
  return b;
}

/** The cut rule written plainly from chunker.ts's documentation, to cross-check the fast loop. */
function referenceBoundaries(data: Uint8Array): number[] {
  const ends: number[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(data.length, start + CHUNK_MAX);
    let h = 0;
    for (let k = CHUNK_MIN; start + k < end; k++) {
      h = ((h << 1) + GEAR[data[start + k]!]!) >>> 0;
      const mask = k + 1 <= CHUNK_AVG ? CHUNK_MASK_HARD : CHUNK_MASK_EASY;
      if ((h & mask) >>> 0 === 0) {
        end = start + k + 1;
        break;
      }
    }
    ends.push(end);
    start = end;
  }
  return ends;
}

function sizes(ends: number[]): number[] {
  return ends.map((e, i) => e - (i === 0 ? 0 : ends[i - 1]!));
}

function chunksOf(data: Buffer): Buffer[] {
  let start = 0;
  return chunkBoundaries(data).map((end) => {
    const c = data.subarray(start, end);
    start = end;
    return c;
  });
}

/** Pushes `data` in pieces of the given sizes (cycled), returning chunk end offsets. */
function streamedBoundaries(data: Buffer, pieceSizes: number[]): number[] {
  const c = new Chunker();
  const chunks: Buffer[] = [];
  let off = 0;
  for (let p = 0; off < data.length; p++) {
    const len = pieceSizes[p % pieceSizes.length]!;
    chunks.push(...c.push(data.subarray(off, off + len)));
    off += len;
  }
  chunks.push(...c.finish());
  expect(Buffer.concat(chunks).equals(data)).toBe(true);
  let end = 0;
  return chunks.map((ch) => (end += ch.length));
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v >>>= 1) n += v & 1;
  return n;
}

describe('chunking parameters (part of the storage format)', () => {
  it('has the fixed sizes and masks', () => {
    expect([CHUNK_MIN, CHUNK_AVG, CHUNK_MAX]).toEqual([8192, 32768, 131072]);
    expect(popcount(CHUNK_MASK_HARD)).toBe(17);
    expect(popcount(CHUNK_MASK_EASY)).toBe(13);
    // The easy mask is a subset of the hard one (a hard cut is also an easy cut).
    expect((CHUNK_MASK_EASY & ~CHUNK_MASK_HARD) >>> 0).toBe(0);
  });

  it('derives the gear table from SHA-256("cairn-gear-v1:" + i)', () => {
    expect(GEAR.length).toBe(256);
    for (let i = 0; i < 256; i++) {
      expect(GEAR[i]).toBe(createHash('sha256').update(`cairn-gear-v1:${i}`).digest().readUInt32BE(0));
    }
    expect([GEAR[0], GEAR[1], GEAR[2], GEAR[255]]).toEqual([0xe91450ab, 0x43c4c88f, 0xfa3a7b0f, 0x6b73d8bc]);
  });
});

describe('chunkBoundaries', () => {
  it('gives no chunk for empty input and one chunk for input up to CHUNK_MIN bytes', () => {
    expect(chunkBoundaries(new Uint8Array(0))).toEqual([]);
    expect(chunkBoundaries(new Uint8Array(1))).toEqual([1]);
    expect(chunkBoundaries(seededBytes(1, CHUNK_MIN - 1))).toEqual([CHUNK_MIN - 1]);
    expect(chunkBoundaries(seededBytes(1, CHUNK_MIN))).toEqual([CHUNK_MIN]);
  });

  it('cuts a fixed pseudo-random 1 MiB buffer at exactly these offsets', () => {
    const data = seededBytes(20240601, 1 << 20);
    const ends = chunkBoundaries(data);
    // Recorded once from the implementation; a change here changes every chunk id ever stored.
    expect(ends).toEqual([
      36304, 80975, 115661, 151617, 188404, 198159, 231998, 266798, 306473, 340615, 410444, 450872, 484541, 525688, 565515, 603498, 640216,
      693828, 729950, 770613, 805703, 834002, 885825, 897512, 957930, 1006893, 1044704, 1048576,
    ]);
    // Plausibility: 28 chunks of mean ~37 KiB (expected about CHUNK_AVG + 2^13 with these masks),
    // all but the last within bounds, and the plain reading of the rule agrees.
    const s = sizes(ends).slice(0, -1);
    expect(Math.min(...s)).toBeGreaterThan(CHUNK_MIN);
    expect(Math.max(...s)).toBeLessThanOrEqual(CHUNK_MAX);
    const mean = (1 << 20) / ends.length;
    expect(mean).toBeGreaterThan(CHUNK_AVG * 0.8);
    expect(mean).toBeLessThan(CHUNK_AVG * 1.6);
    expect(referenceBoundaries(data)).toEqual(ends);
  });

  it('agrees with the documented cut rule on random inputs', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 400_000 }), (seed, n) => {
        const data = seededBytes(seed, n);
        expect(chunkBoundaries(data)).toEqual(referenceBoundaries(data));
      }),
      { numRuns: 30 },
    );
  });

  it('keeps every chunk but the last between CHUNK_MIN and CHUNK_MAX bytes', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 1_500_000 }), (seed, n) => {
        const ends = chunkBoundaries(seededBytes(seed, n));
        expect(ends.at(-1) ?? 0).toBe(n);
        for (const size of sizes(ends).slice(0, -1)) {
          expect(size).toBeGreaterThanOrEqual(CHUNK_MIN);
          expect(size).toBeLessThanOrEqual(CHUNK_MAX);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('cuts low-entropy data at CHUNK_MAX into identical chunks', () => {
    const zeros = Buffer.alloc(5 * CHUNK_MAX + 123);
    const s = sizes(chunkBoundaries(zeros));
    expect(s.slice(0, -1).every((x) => x === s[0])).toBe(true);
    expect(s.reduce((a, b) => a + b, 0)).toBe(zeros.length);
    expect(chunkBoundaries(zeros)).toEqual(referenceBoundaries(zeros));
  });
});

describe('Chunker (streaming)', () => {
  it('cuts at the same offsets however the input is split into pushes', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: 700_000 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 3 * CHUNK_MAX })), {
          minLength: 1,
          maxLength: 20,
        }),
        (seed, n, pieceSizes) => {
          const data = seededBytes(seed, n);
          expect(streamedBoundaries(data, pieceSizes)).toEqual(chunkBoundaries(data));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('handles empty pushes, byte-by-byte pushes and reuse after finish()', () => {
    const data = seededBytes(7, 3 * CHUNK_AVG);
    const c = new Chunker();
    expect(c.push(Buffer.alloc(0))).toEqual([]);
    expect(c.finish()).toEqual([]);
    const ends = chunkBoundaries(data);
    expect(streamedBoundaries(data, [1])).toEqual(ends);
    // A chunker is reusable: finish() resets it.
    const first = [...c.push(data.subarray(0, 5000)), ...c.finish()];
    expect(first.map((b) => b.length)).toEqual([5000]);
    const second = [...c.push(data), ...c.finish()];
    expect(Buffer.concat(second).equals(data)).toBe(true);
    expect(second.map((b) => b.length)).toEqual(sizes(ends));
  });

  it('copies what it keeps, so the caller may reuse its read buffer', () => {
    const data = seededBytes(99, 600_000);
    const expected = chunksOf(data).map((b) => b.toString('hex'));
    const scratch = Buffer.alloc(50_000);
    const c = new Chunker();
    const got: string[] = [];
    for (let off = 0; off < data.length; off += scratch.length) {
      const n = data.copy(scratch, 0, off, off + scratch.length);
      for (const chunk of c.push(scratch.subarray(0, n))) got.push(chunk.toString('hex'));
      scratch.fill(0xee); // the "next read" overwrites the buffer
    }
    for (const chunk of c.finish()) got.push(chunk.toString('hex'));
    expect(got).toEqual(expected);
  });
});

describe('re-synchronisation after an edit', () => {
  it('changes only the chunks around an insertion or deletion in a 2 MiB buffer', () => {
    const n = 2 * 1024 * 1024;
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: n }), fc.integer({ min: 1, max: 16 }), fc.boolean(), (seed, pos, k, insert) => {
        const original = seededBytes(seed, n);
        const edited = insert
          ? Buffer.concat([original.subarray(0, pos), seededBytes(seed ^ 0x5a5a5a5a, k), original.subarray(pos)])
          : Buffer.concat([original.subarray(0, pos), original.subarray(pos + k)]);
        const a = chunksOf(original).map((c) => c.toString('hex'));
        const b = chunksOf(edited).map((c) => c.toString('hex'));
        let prefix = 0;
        while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
        let suffix = 0;
        while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) {
          suffix++;
        }
        // Every chunk ending before the edit is kept (cuts depend only on earlier bytes; the last
        // chunk is cut by the end of the data, not by its content) ...
        const before = chunkBoundaries(original).filter((end) => end <= pos && end < n).length;
        expect(prefix).toBeGreaterThanOrEqual(before);
        // ... and after at most 3 changed chunks, the rest are the original's, byte for byte.
        expect(a.length - prefix - suffix).toBeLessThanOrEqual(3);
        expect(b.length - prefix - suffix).toBeLessThanOrEqual(3);
      }),
      {
        // A statistical property (a re-sync after more than 3 chunks is possible, just very rare:
        // none in 4,000 random trials), so the cases are pinned: the test cannot flake.
        seed: 20240601,
        numRuns: 40,
        // The edges: an edit at the very start, and appending at the very end (which changes the last chunk).
        examples: [
          [0, 0, 16, true],
          [0, n, 1, true],
          [1, n - 3, 16, false],
        ],
      },
    );
  });
});
