// Unsigned LEB128 varints (docs/FORMAT.md §3), canonical only: decoding refuses overlong forms so that every value has
// exactly one encoding (ids must not depend on who wrote the bytes).
import { BadFormatError } from '../errors.js';

export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

export function readVarint(buf: Uint8Array, pos: number, what: string): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= buf.length) throw new BadFormatError(what, 'truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new BadFormatError(what, 'overlong varint');
      if (!Number.isSafeInteger(value)) throw new BadFormatError(what, 'varint too large');
      return [value, pos];
    }
    scale *= 128;
  }
  throw new BadFormatError(what, 'varint too long');
}
