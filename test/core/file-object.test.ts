// The `file` object: inline and chunked round trips, exact bytes and ids, and refusal of malformed bodies.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { hashObject } from '../../src/core/hash.js';
import { decodeFile, encodeChunkedFile, encodeInlineFile, type ChunkRef } from '../../src/core/file-object.js';
import { codeOf } from '../helpers/errors.js';

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const chunkRef: fc.Arbitrary<ChunkRef> = fc.record({
  id: hexId,
  size: fc.oneof(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 2 ** 31 - 1 })),
});
const ID1 = '1'.repeat(64);
const ID2 = '2'.repeat(64);

describe('file object', () => {
  it('round-trips inline content', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        const decoded = decodeFile(encodeInlineFile(data));
        expect(decoded.kind).toBe('inline');
        if (decoded.kind !== 'inline') return;
        expect(decoded.size).toBe(data.length);
        expect(decoded.data.equals(data)).toBe(true);
      }),
    );
  });

  it('round-trips chunk lists', () => {
    fc.assert(
      fc.property(fc.array(chunkRef, { maxLength: 40 }), (chunks) => {
        const decoded = decodeFile(encodeChunkedFile(chunks));
        expect(decoded).toEqual({ kind: 'chunked', size: chunks.reduce((s, c) => s + c.size, 0), chunks });
      }),
    );
  });

  it('encodes these exact bytes and ids', () => {
    const inline = encodeInlineFile(Buffer.from('id,name\n1,ada\n'));
    expect(inline.toString('hex')).toBe('010069642c6e616d650a312c6164610a');
    expect(hashObject('file', inline)).toBe('96faa707d1f1a7b6a70f5c131dc8c2f84480ad07da0861a6d05cd7ff4ad53cfc');
    const chunked = encodeChunkedFile([
      { id: ID1, size: 40000 },
      { id: ID2, size: 12345 },
    ]);
    // version 1, kind 1, total 52345, count 2, then id + size per chunk.
    expect(chunked.toString('hex')).toBe(`0101f9980302${ID1}c0b802${ID2}b960`);
    expect(hashObject('file', chunked)).toBe('09ede19dd12effb96634d2dc02dcd61a325f58051e7167642ed1318af9c16514');
  });

  it('refuses every truncation of a chunked body', () => {
    fc.assert(
      fc.property(fc.array(chunkRef, { minLength: 1, maxLength: 5 }), (chunks) => {
        const body = encodeChunkedFile(chunks);
        for (let n = 0; n < body.length; n++) {
          expect(codeOf(() => decodeFile(body.subarray(0, n)))).toBe('BAD_FORMAT');
        }
      }),
      { numRuns: 30 },
    );
  });

  it('refuses trailing bytes after the chunk list', () => {
    fc.assert(
      fc.property(fc.array(chunkRef, { maxLength: 5 }), fc.uint8Array({ minLength: 1, maxLength: 40 }), (chunks, extra) => {
        const body = Buffer.concat([encodeChunkedFile(chunks), extra]);
        expect(codeOf(() => decodeFile(body))).toBe('BAD_FORMAT');
      }),
    );
  });

  it('refuses overlong varints, zero-size chunks, wrong totals, unknown versions and kinds', () => {
    const bad = [
      '0201', // unknown version
      '0102', // unknown kind
      `01018000${''}`, // overlong total (0 written as 80 00), no chunks
      `0101010180${'00'}${ID1}01`, // overlong count
      `01010101${ID1}8100`, // overlong chunk size (1 written as 81 00)
      `01010001${ID1}00`, // zero-size chunk
      `01010501${ID1}04`, // sizes add to 4, header says 5
      `01010100`, // total 1 but no chunks
    ];
    for (const hex of bad) expect(codeOf(() => decodeFile(Buffer.from(hex, 'hex')))).toBe('BAD_FORMAT');
    // The well-formed neighbour of the last cases decodes.
    expect(decodeFile(Buffer.from(`01010401${ID1}04`, 'hex'))).toEqual({ kind: 'chunked', size: 4, chunks: [{ id: ID1, size: 4 }] });
  });

  it('refuses to encode a malformed chunk id or size', () => {
    for (const id of ['', 'zz', 'A'.repeat(64), '1'.repeat(63), '1'.repeat(65), `${'1'.repeat(62)}zz`]) {
      expect(codeOf(() => encodeChunkedFile([{ id, size: 1 }]))).toBe('BAD_FORMAT');
    }
    expect(() => encodeChunkedFile([{ id: ID1, size: 0 }])).toThrow(RangeError);
    expect(() => encodeChunkedFile([{ id: ID1, size: 1.5 }])).toThrow(RangeError);
  });
});
