// Canonical unsigned LEB128 varints: round trips, exact bytes, and refusal of every other form.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readVarint, varintLength, writeVarint } from '../../src/core/varint.js';
import { codeOf } from '../helpers/errors.js';

function encode(n: number): Buffer {
  const buf = Buffer.alloc(varintLength(n));
  expect(writeVarint(buf, 0, n)).toBe(buf.length);
  return buf;
}

describe('varint', () => {
  it('round-trips every safe integer, using exactly varintLength bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeNat(), fc.nat(300)), (n) => {
        const buf = encode(n);
        expect(readVarint(buf, 0, 'test')).toEqual([n, buf.length]);
      }),
    );
  });

  it('reads from the middle of a buffer and reports where the next field starts', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeNat(), { maxLength: 10 }), (ns) => {
        const buf = Buffer.concat([Buffer.from([0xaa]), ...ns.map(encode), Buffer.from([0xbb])]);
        let pos = 1;
        for (const n of ns) {
          let v: number;
          [v, pos] = readVarint(buf, pos, 'test');
          expect(v).toBe(n);
        }
        expect(buf[pos]).toBe(0xbb);
      }),
    );
  });

  it('writes these exact bytes', () => {
    expect([...encode(0)]).toEqual([0x00]);
    expect([...encode(127)]).toEqual([0x7f]);
    expect([...encode(128)]).toEqual([0x80, 0x01]);
    expect([...encode(300)]).toEqual([0xac, 0x02]);
    expect([...encode(2 ** 32)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect([...encode(Number.MAX_SAFE_INTEGER)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('refuses truncated input', () => {
    expect(codeOf(() => readVarint(Buffer.alloc(0), 0, 'test'))).toBe('BAD_FORMAT');
    expect(codeOf(() => readVarint(Buffer.from([0x80]), 0, 'test'))).toBe('BAD_FORMAT');
    expect(codeOf(() => readVarint(Buffer.from([0xff, 0xff]), 0, 'test'))).toBe('BAD_FORMAT');
    expect(codeOf(() => readVarint(Buffer.from([0x05]), 1, 'test'))).toBe('BAD_FORMAT');
    fc.assert(
      fc.property(
        fc.maxSafeNat().filter((n) => n >= 128),
        (n) => {
          const buf = encode(n);
          expect(codeOf(() => readVarint(buf.subarray(0, buf.length - 1), 0, 'test'))).toBe('BAD_FORMAT');
        },
      ),
    );
  });

  it('refuses overlong forms, so every value has one encoding', () => {
    expect(codeOf(() => readVarint(Buffer.from([0x80, 0x00]), 0, 'test'))).toBe('BAD_FORMAT');
    expect(codeOf(() => readVarint(Buffer.from([0x81, 0x80, 0x00]), 0, 'test'))).toBe('BAD_FORMAT');
    fc.assert(
      fc.property(fc.oneof(fc.nat(1000), fc.maxSafeNat()), fc.integer({ min: 1, max: 3 }), (n, pad) => {
        // Re-encode n with `pad` extra zero groups: same value, longer bytes.
        const canonical = encode(n);
        const bytes = [...canonical];
        bytes[bytes.length - 1] = bytes.at(-1)! | 0x80;
        for (let i = 1; i < pad; i++) bytes.push(0x80);
        bytes.push(0x00);
        expect(codeOf(() => readVarint(Buffer.from(bytes), 0, 'test'))).toBe('BAD_FORMAT');
      }),
    );
  });

  it('refuses values beyond 2^53 - 1 and more than 8 bytes', () => {
    // 2^53 = 0x10 << 49: eight bytes, one past the largest safe integer.
    expect(codeOf(() => readVarint(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]), 0, 'test'))).toBe('BAD_FORMAT');
    expect(codeOf(() => readVarint(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0, 'test'))).toBe('BAD_FORMAT');
  });

  it('refuses to write what it cannot read back', () => {
    const buf = Buffer.alloc(16);
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity]) {
      expect(() => writeVarint(buf, 0, bad)).toThrow(RangeError);
    }
  });
});
