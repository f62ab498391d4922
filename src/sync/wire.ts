// The bytes that cross the network (docs/PROTOCOL.md): id lists, lack bitmaps and the object
// stream. The object stream reuses the pack record layout, so a sender forwards records from its
// packs without re-encoding them and a receiver appends them to its own packs as they are.
import { CairnError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import { RECORD_HEADER } from '../store/object-store.js';

export const PROTOCOL_VERSION = 1;
export const STREAM_MAGIC = Buffer.from('CAIRNWS1', 'latin1');
/** Type code of the record that ends a stream; its length field holds the number of records. */
export const END_TYPE = 0xff;
export const ID_BYTES = 32;

export function encodeIds(ids: readonly ObjectId[]): Buffer {
  const out = Buffer.allocUnsafe(ids.length * ID_BYTES);
  ids.forEach((id, i) => {
    if (out.write(id, i * ID_BYTES, ID_BYTES, 'hex') !== ID_BYTES) throw new CairnError('BAD_FORMAT', `not an object id: ${id}`);
  });
  return out;
}

export function decodeIds(buf: Buffer, what: string): ObjectId[] {
  if (buf.length % ID_BYTES !== 0) throw new CairnError('BAD_FORMAT', `${what}: ${buf.length} bytes is not a whole number of ${ID_BYTES}-byte ids`);
  const ids: ObjectId[] = new Array(buf.length / ID_BYTES);
  for (let i = 0; i < ids.length; i++) ids[i] = buf.toString('hex', i * ID_BYTES, (i + 1) * ID_BYTES);
  return ids;
}

/** One bit per id, most significant bit first: set when the receiver lacks that id. */
export function encodeBitmap(bits: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) out[i >> 3]! |= 0x80 >> (i & 7);
  });
  return out;
}

export function decodeBitmap(buf: Buffer, count: number): boolean[] {
  if (buf.length !== Math.ceil(count / 8)) throw new CairnError('REMOTE', `lack bitmap has ${buf.length} bytes for ${count} ids`);
  const bits: boolean[] = new Array(count);
  for (let i = 0; i < count; i++) bits[i] = (buf[i >> 3]! & (0x80 >> (i & 7))) !== 0;
  return bits;
}

export function recordHeader(id: ObjectId, typeCode: number, comp: number, storedLen: number): Buffer {
  const h = Buffer.allocUnsafe(RECORD_HEADER);
  h.write(id, 0, ID_BYTES, 'hex');
  h[32] = typeCode;
  h[33] = comp;
  h.writeUInt32BE(storedLen, 34);
  return h;
}

export function endRecord(count: number): Buffer {
  const h = Buffer.alloc(RECORD_HEADER);
  h[32] = END_TYPE;
  h.writeUInt32BE(count, 34);
  return h;
}

export interface WireRecord {
  id: ObjectId;
  typeCode: number;
  comp: number;
  stored: Buffer;
}

/**
 * Splits an object stream into records as bytes arrive, holding at most one record in memory.
 * Refuses a record longer than `maxStored` before buffering it, so a hostile length costs nothing.
 */
export class StreamParser {
  private chunks: Buffer[] = [];
  private have = 0;
  private started = false;
  private need: { header: Buffer; len: number } | undefined;
  /** Set once the end record arrived; bytes after it are an error. */
  ended = false;
  count = 0;

  constructor(private readonly maxStored: number) {}

  /** Feeds bytes; returns the records they complete. */
  push(data: Buffer): WireRecord[] {
    if (this.ended) {
      if (data.length > 0) throw new CairnError('BAD_FORMAT', 'object stream has bytes after its end record');
      return [];
    }
    this.chunks.push(data);
    this.have += data.length;
    const out: WireRecord[] = [];
    for (;;) {
      if (!this.started) {
        if (this.have < STREAM_MAGIC.length) return out;
        const magic = this.take(STREAM_MAGIC.length);
        if (!magic.equals(STREAM_MAGIC)) throw new CairnError('BAD_FORMAT', 'not a cairn object stream (bad magic)');
        this.started = true;
      }
      if (this.need === undefined) {
        if (this.have < RECORD_HEADER) return out;
        const header = this.take(RECORD_HEADER);
        const len = header.readUInt32BE(34);
        if (header[32] === END_TYPE) {
          if (len !== this.count) throw new CairnError('BAD_FORMAT', `object stream ends claiming ${len} records after ${this.count}`);
          this.ended = true;
          if (this.have > 0) throw new CairnError('BAD_FORMAT', 'object stream has bytes after its end record');
          return out;
        }
        if (len > this.maxStored) throw new CairnError('BAD_FORMAT', `object record of ${len} bytes exceeds the limit of ${this.maxStored}`);
        this.need = { header, len };
      }
      if (this.have < this.need.len) return out;
      const { header, len } = this.need;
      this.need = undefined;
      const stored = this.take(len);
      this.count++;
      out.push({ id: header.toString('hex', 0, ID_BYTES), typeCode: header[32]!, comp: header[33]!, stored });
    }
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.have -= n;
    return out;
  }
}
