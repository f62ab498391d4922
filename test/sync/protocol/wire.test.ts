// The wire encodings: id lists and lack bitmaps round-trip, and the object stream parser yields the
// same records however the bytes are split, and refuses truncated, oversized and trailing input.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import {
  BATCH_MAX_RAW,
  BATCH_MAX_STORED,
  BATCH_TYPE,
  decodeBitmap,
  decodeIds,
  encodeBitmap,
  encodeIds,
  encodeObjectStream,
  endRecord,
  recordHeader,
  STREAM_MAGIC,
  StreamParser,
  type WireRecord,
} from '../../../src/sync/protocol/wire.js';
import { codeOf } from '../../helpers/errors.js';

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const record = fc.record({
  id: hexId,
  typeCode: fc.integer({ min: 0, max: 3 }),
  comp: fc.integer({ min: 0, max: 1 }),
  stored: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
});

function stream(records: readonly WireRecord[]): Buffer {
  const parts: Buffer[] = [STREAM_MAGIC];
  for (const r of records) parts.push(recordHeader(r.id, r.typeCode, r.comp, r.stored.length), r.stored);
  parts.push(endRecord(records.length));
  return Buffer.concat(parts);
}

/** Cuts `buf` at the given positions (any order, duplicates allowed: empty pieces are fed too). */
function split(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...cuts.map((c) => c % (buf.length + 1))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

function feed(parser: StreamParser, pieces: readonly Buffer[]): WireRecord[] {
  return pieces.flatMap((p) => parser.push(p));
}

describe('id lists', () => {
  it('round-trip any list of ids as 32 bytes each', () => {
    fc.assert(
      fc.property(fc.array(hexId, { maxLength: 50 }), (ids) => {
        const buf = encodeIds(ids);
        expect(buf.length).toBe(ids.length * 32);
        expect(decodeIds(buf, 'test')).toEqual(ids);
      }),
    );
  });

  it('refuse a body that is not a whole number of ids', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }).filter((b) => b.length % 32 !== 0),
        (b) => {
          expect(codeOf(() => decodeIds(Buffer.from(b), 'test'))).toBe('BAD_FORMAT');
        },
      ),
    );
  });

  it('refuse to encode something that is not an id', () => {
    expect(codeOf(() => encodeIds(['abc']))).toBe('BAD_FORMAT');
    expect(codeOf(() => encodeIds(['zz'.repeat(32)]))).toBe('BAD_FORMAT');
  });
});

describe('lack bitmaps', () => {
  it('round-trip any list of bits in ceil(n/8) bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (bits) => {
        const buf = encodeBitmap(bits);
        expect(buf.length).toBe(Math.ceil(bits.length / 8));
        expect(decodeBitmap(buf, bits.length)).toEqual(bits);
      }),
    );
  });

  it('puts the first id in the most significant bit', () => {
    expect([...encodeBitmap([true, false, false, false, false, false, false, true, true])]).toEqual([0x81, 0x80]);
  });

  it('refuse a bitmap of the wrong length for the count', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 100 }), fc.integer({ min: 1, max: 3 }), (bits, extra) => {
        const buf = Buffer.concat([encodeBitmap(bits), Buffer.alloc(extra)]);
        expect(codeOf(() => decodeBitmap(buf, bits.length))).toBe('REMOTE');
      }),
    );
  });
});

describe('object stream parser', () => {
  it('yields the same records however the stream is split', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (records, cuts) => {
        const parser = new StreamParser(1000);
        const got = feed(parser, split(stream(records), cuts));
        expect(parser.ended).toBe(true);
        expect(parser.count).toBe(records.length);
        expect(got.map((r) => ({ ...r, stored: Buffer.from(r.stored) }))).toEqual(records);
      }),
    );
  });

  it('never ends on a truncated stream and never yields a record it has not fully received', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.nat(), fc.array(fc.nat(), { maxLength: 10 }), (records, cutAt, cuts) => {
        const full = stream(records);
        const prefix = full.subarray(0, cutAt % full.length);
        const parser = new StreamParser(1000);
        const got = feed(parser, split(prefix, cuts));
        expect(parser.ended).toBe(false);
        // Exactly the records whose last byte lies inside the prefix.
        let end = STREAM_MAGIC.length;
        let complete = 0;
        for (const r of records) {
          end += 38 + r.stored.length;
          if (end <= prefix.length) complete++;
        }
        expect(got.length).toBe(complete);
        expect(got.map((r) => r.id)).toEqual(records.slice(0, complete).map((r) => r.id));
      }),
    );
  });

  it('refuses a record longer than the limit from its header alone', () => {
    fc.assert(
      fc.property(hexId, fc.integer({ min: 101, max: 2 ** 32 - 1 }), (id, len) => {
        const parser = new StreamParser(100);
        // Only the header: the parser must refuse before any body byte arrives.
        const bytes = Buffer.concat([STREAM_MAGIC, recordHeader(id, 0, 0, len)]);
        expect(codeOf(() => parser.push(bytes))).toBe('BAD_FORMAT');
      }),
    );
  });

  it('refuses bytes after the end record, in the same piece or a later one', () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 5 }),
        fc.uint8Array({ minLength: 1, maxLength: 50 }),
        fc.boolean(),
        (records, extra, together) => {
          const s = stream(records);
          const parser = new StreamParser(1000);
          if (together) expect(codeOf(() => parser.push(Buffer.concat([s, Buffer.from(extra)])))).toBe('BAD_FORMAT');
          else {
            parser.push(s);
            expect(parser.ended).toBe(true);
            expect(codeOf(() => parser.push(Buffer.from(extra)))).toBe('BAD_FORMAT');
          }
        },
      ),
    );
  });

  it('refuses an end record whose count differs from the records sent', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 5 }), fc.integer({ min: 1, max: 1000 }), (records, delta) => {
        const s = stream(records);
        s.writeUInt32BE(records.length + delta, s.length - 4);
        expect(codeOf(() => new StreamParser(1000).push(s))).toBe('BAD_FORMAT');
      }),
    );
  });

  it('refuses a stream with the wrong magic', () => {
    const s = stream([]);
    s[0] = 0x41;
    expect(codeOf(() => new StreamParser(1000).push(s))).toBe('BAD_FORMAT');
  });
});

/** Text-like bodies (compressible), random ones (not), and sizes on both sides of the 4 KiB line. */
const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc
    .tuple(fc.constantFrom('id,name,score\n', '{"k":1,"v":"abc"}\n', 'row '), fc.integer({ min: 0, max: 600 }))
    .map(([t, n]) => Buffer.from(t.repeat(n))),
);
const anyRecord = fc.record({ id: hexId, typeCode: fc.integer({ min: 0, max: 3 }), comp: fc.integer({ min: 0, max: 1 }), stored: body });

const ZERO_ID = '0'.repeat(64);

/** A stream whose middle is one batch record holding `inner` raw bytes, deflated. */
function batchStream(inner: Buffer, count: number, opts: { id?: string; comp?: number } = {}): Buffer {
  const packed = deflateRawSync(inner);
  return Buffer.concat([
    STREAM_MAGIC,
    recordHeader(opts.id ?? ZERO_ID, BATCH_TYPE, opts.comp ?? 1, packed.length),
    packed,
    endRecord(count),
  ]);
}

function rawRecords(records: readonly WireRecord[]): Buffer {
  return Buffer.concat(records.flatMap((r) => [recordHeader(r.id, r.typeCode, r.comp, r.stored.length), r.stored]));
}

/** The whole stream encodeObjectStream produces for `records`. */
async function encoded(records: WireRecord[], opts: Parameters<typeof encodeObjectStream>[1]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of encodeObjectStream(records, opts)) parts.push(c);
  return Buffer.concat(parts);
}

describe('object stream encoder and batch records', () => {
  it('round-trip any records, batched or not, however the bytes are split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyRecord, { maxLength: 300 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (records, batch, cuts) => {
          let seen = 0;
          const bytes = await encoded(records, { batch, onRecord: () => seen++ });
          const parser = new StreamParser(1 << 20);
          const got = feed(parser, split(bytes, cuts));
          expect(parser.ended).toBe(true);
          expect(parser.count).toBe(records.length);
          expect(seen).toBe(records.length);
          expect(got.map((r) => [r.id, r.typeCode, r.comp, r.stored.toString('hex')])).toEqual(
            records.map((r) => [r.id, r.typeCode, r.comp, r.stored.toString('hex')]),
          );
          if (!batch) expect(bytes.equals(stream(records))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('batches small compressible records and leaves incompressible ones as they are', async () => {
    const text = Array.from({ length: 400 }, (_, i) => ({
      id: i.toString(16).padStart(64, '0'),
      typeCode: 0,
      comp: 0,
      stored: Buffer.from(`id,name\n${i},row ${i}\n`.repeat(40)),
    }));
    const plain = stream(text).length;
    const batched = await encoded(text, { batch: true });
    expect(batched.length).toBeLessThan(plain * 0.3);
    // Random bodies (SHA-256 output): deflate cannot save 10%, so the stream is exactly the plain one.
    const random = (seed: string, n: number) =>
      Buffer.concat(Array.from({ length: Math.ceil(n / 32) }, (_, k) => createHash('sha256').update(`${seed}:${k}`).digest())).subarray(
        0,
        n,
      );
    const noise = Array.from({ length: 100 }, (_, i) => ({
      id: random(`id${i}`, 32).toString('hex'),
      typeCode: 0,
      comp: 0,
      stored: random(`body${i}`, 900),
    }));
    const noisy = await encoded(noise, { batch: true });
    expect(noisy.equals(stream(noise))).toBe(true);
  });

  it('pulls the first record before yielding any byte, so a source that fails at once fails before the stream starts', async () => {
    const failing = (function* (): Generator<WireRecord> {
      throw new Error('missing object');
    })();
    const chunks = encodeObjectStream(failing, { batch: true });
    await expect(chunks.next()).rejects.toThrow('missing object');
  });

  it('counts the records inside a batch toward the end record', () => {
    const inner = [0, 1, 2].map((i) => ({ id: String(i).repeat(64), typeCode: 1, comp: 0, stored: Buffer.from(`body ${i}`) }));
    const ok = new StreamParser(1 << 20);
    expect(ok.push(batchStream(rawRecords(inner), 3)).map((r) => r.stored.toString())).toEqual(['body 0', 'body 1', 'body 2']);
    expect(ok.ended).toBe(true);
    expect(codeOf(() => new StreamParser(1 << 20).push(batchStream(rawRecords(inner), 1)))).toBe('BAD_FORMAT');
  });

  it('refuses hostile batches: a bomb, nesting, an end inside, truncation, empty, garbage, a set id, another compression', () => {
    const one = { id: 'a'.repeat(64), typeCode: 1, comp: 0, stored: Buffer.from('x') };
    const bomb = Buffer.concat([recordHeader(one.id, 1, 0, BATCH_MAX_RAW), Buffer.alloc(BATCH_MAX_RAW)]);
    const cases: Buffer[] = [
      batchStream(bomb, 1),
      batchStream(Buffer.concat([rawRecords([one]), recordHeader(ZERO_ID, BATCH_TYPE, 1, 0)]), 1),
      batchStream(Buffer.concat([rawRecords([one]), endRecord(1)]), 1),
      batchStream(rawRecords([one]).subarray(0, 30), 1),
      batchStream(rawRecords([one]).subarray(0, 38), 1),
      batchStream(Buffer.alloc(0), 0),
      Buffer.concat([STREAM_MAGIC, recordHeader(ZERO_ID, BATCH_TYPE, 1, 5), Buffer.from('junk!'), endRecord(0)]),
      batchStream(rawRecords([one]), 1, { id: 'f'.repeat(64) }),
      batchStream(rawRecords([one]), 1, { comp: 0 }),
      batchStream(rawRecords([{ ...one, stored: Buffer.alloc(2000) }]), 1),
    ];
    cases.forEach((c, i) => {
      expect(
        codeOf(() => new StreamParser(1000).push(c)),
        `case ${i}`,
      ).toBe('BAD_FORMAT');
    });
  });

  it('refuses a batch longer than its limit from the header alone', () => {
    const parser = new StreamParser(1 << 20);
    const head = Buffer.concat([STREAM_MAGIC, recordHeader(ZERO_ID, BATCH_TYPE, 1, BATCH_MAX_STORED + 1)]);
    expect(codeOf(() => parser.push(head))).toBe('BAD_FORMAT');
  });
});
