// The bytes that cross the network (docs/PROTOCOL.md §4.2-4.4): id lists, lack bitmaps and the
// object stream. The object stream reuses the pack record layout, so a sender forwards records from its
// packs without re-encoding them and a receiver appends them to its own packs as they are.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { BadFormatError, RemoteError } from '../../errors.js';
import { COMP_DEFLATE, COMP_NONE, COMPRESS_MIN } from '../../core/compress.js';
import type { ObjectId } from '../../core/hash.js';
import { RECORD_HEADER } from '../../store/object-store.js';

export const PROTOCOL_VERSION = 1;
export const STREAM_MAGIC = Buffer.from('CAIRNWS1', 'latin1');
/** Type code of the record that ends a stream; its length field holds the number of records. */
export const END_TYPE = 0xff;
export const ID_BYTES = 32;
/**
 * Type code of a batch record: raw deflate of ordinary records laid end to end. Packs keep objects
 * under 4 KiB raw (a zlib call each would cost more than it saves), so a stream of small files
 * would otherwise cross the network uncompressed; deflated together they shrink to ~37%.
 */
export const BATCH_TYPE = 0xfe;
/** Most bytes a batch may inflate to; a receiver refuses more before allocating it. */
export const BATCH_MAX_RAW = 1 << 20;
/** Most bytes a batch record may carry (deflate can grow incompressible input slightly). */
export const BATCH_MAX_STORED = BATCH_MAX_RAW + (BATCH_MAX_RAW >> 4);
/** A sender closes a batch once its records add up to this much. */
const BATCH_TARGET = 256 << 10;
/** Response header in which a server lists its capabilities, comma-separated. */
export const CAPABILITIES_HEADER = 'x-cairn-capabilities';
/** Capability of a server that accepts batch records in a push. */
export const CAP_BATCH = 'batch-deflate';
/** Request header by which a client asks for batch records in a fetch-objects answer. */
export const ACCEPT_BATCH_HEADER = 'x-cairn-accept-batch';

export function encodeIds(ids: readonly ObjectId[]): Buffer {
  const out = Buffer.allocUnsafe(ids.length * ID_BYTES);
  ids.forEach((id, i) => {
    if (out.write(id, i * ID_BYTES, ID_BYTES, 'hex') !== ID_BYTES) throw new BadFormatError(`not an object id: ${id}`, {});
  });
  return out;
}

export function decodeIds(buf: Buffer, what: string): ObjectId[] {
  if (buf.length % ID_BYTES !== 0)
    throw new BadFormatError(`${what}: ${buf.length} bytes is not a whole number of ${ID_BYTES}-byte ids`, {});
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
  if (buf.length !== Math.ceil(count / 8)) throw new RemoteError(`lack bitmap has ${buf.length} bytes for ${count} ids`, {});
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

export interface StreamEncodeOptions {
  /** Deflate runs of small raw records into batch records (only when the receiver accepts them). */
  batch: boolean;
  /** Called once per object record, batched or not, as it goes out. */
  onRecord?: (storedLen: number) => void;
}

/**
 * The object stream for `records`: magic, records, end record. The first record is pulled before
 * the magic is yielded, so a sender whose source fails at once (a missing id) can still answer
 * with an error instead of a cut stream. With `batch`, small raw records are gathered and sent as
 * one deflated batch record when that saves at least 10%, as themselves otherwise.
 */
export async function* encodeObjectStream(
  records: Iterable<WireRecord> | AsyncIterable<WireRecord>,
  opts: StreamEncodeOptions,
): AsyncGenerator<Buffer> {
  const it = Symbol.asyncIterator in records ? records[Symbol.asyncIterator]() : records[Symbol.iterator]();
  let next = await it.next();
  yield STREAM_MAGIC;
  let count = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  function* flushBatch(): Generator<Buffer> {
    if (pending.length === 0) return;
    const raw = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const packed = raw.length > RECORD_HEADER * 2 ? deflateRawSync(raw, { level: 1 }) : undefined;
    if (packed !== undefined && packed.length <= raw.length * 0.9) {
      yield recordHeader('0'.repeat(ID_BYTES * 2), BATCH_TYPE, COMP_DEFLATE, packed.length);
      yield packed;
    } else yield raw;
  }
  while (next.done !== true) {
    const r = next.value;
    const small = opts.batch && r.comp === COMP_NONE && r.stored.length < COMPRESS_MIN;
    if (small) {
      pending.push(recordHeader(r.id, r.typeCode, r.comp, r.stored.length), r.stored);
      pendingBytes += RECORD_HEADER + r.stored.length;
      if (pendingBytes >= BATCH_TARGET) yield* flushBatch();
    } else {
      yield* flushBatch();
      yield recordHeader(r.id, r.typeCode, r.comp, r.stored.length);
      yield r.stored;
    }
    count++;
    opts.onRecord?.(r.stored.length);
    next = await it.next();
  }
  yield* flushBatch();
  yield endRecord(count);
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
      if (data.length > 0) throw new BadFormatError('object stream has bytes after its end record', {});
      return [];
    }
    this.chunks.push(data);
    this.have += data.length;
    const out: WireRecord[] = [];
    for (;;) {
      if (!this.started) {
        if (this.have < STREAM_MAGIC.length) return out;
        const magic = this.take(STREAM_MAGIC.length);
        if (!magic.equals(STREAM_MAGIC)) throw new BadFormatError('not a cairn object stream (bad magic)', {});
        this.started = true;
      }
      if (this.need === undefined) {
        if (this.have < RECORD_HEADER) return out;
        const header = this.take(RECORD_HEADER);
        const len = header.readUInt32BE(34);
        if (header[32] === END_TYPE) {
          if (len !== this.count) throw new BadFormatError(`object stream ends claiming ${len} records after ${this.count}`, {});
          this.ended = true;
          if (this.have > 0) throw new BadFormatError('object stream has bytes after its end record', {});
          return out;
        }
        const limit = header[32] === BATCH_TYPE ? BATCH_MAX_STORED : this.maxStored;
        if (len > limit) throw new BadFormatError(`object record of ${len} bytes exceeds the limit of ${limit}`, {});
        this.need = { header, len };
      }
      if (this.have < this.need.len) return out;
      const { header, len } = this.need;
      this.need = undefined;
      const stored = this.take(len);
      if (header[32] === BATCH_TYPE) {
        for (const r of this.unbatch(header, stored)) out.push(r);
        continue;
      }
      this.count++;
      out.push({ id: header.toString('hex', 0, ID_BYTES), typeCode: header[32]!, comp: header[33]!, stored });
    }
  }

  /** The records inside a batch: ordinary records only, filling it exactly. */
  private unbatch(header: Buffer, stored: Buffer): WireRecord[] {
    if (header[33] !== COMP_DEFLATE || header.subarray(0, ID_BYTES).some((b) => b !== 0)) {
      throw new BadFormatError('batch record with a non-zero id field or a compression other than deflate', {});
    }
    let raw: Buffer;
    try {
      raw = inflateRawSync(stored, { maxOutputLength: BATCH_MAX_RAW });
    } catch (err) {
      throw new BadFormatError(`batch record does not inflate to at most ${BATCH_MAX_RAW} bytes (${(err as Error).message})`, {});
    }
    const out: WireRecord[] = [];
    for (let at = 0; at < raw.length;) {
      if (raw.length - at < RECORD_HEADER) throw new BadFormatError('batch record ends inside a record header', {});
      const type = raw[at + 32]!;
      const len = raw.readUInt32BE(at + 34);
      if (type === END_TYPE || type === BATCH_TYPE) throw new BadFormatError('batch record holds an end or batch record', {});
      if (len > this.maxStored) throw new BadFormatError(`object record of ${len} bytes exceeds the limit of ${this.maxStored}`, {});
      if (raw.length - at - RECORD_HEADER < len) throw new BadFormatError('batch record ends inside a record', {});
      out.push({
        id: raw.toString('hex', at, at + ID_BYTES),
        typeCode: type,
        comp: raw[at + 33]!,
        stored: raw.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len),
      });
      at += RECORD_HEADER + len;
    }
    if (out.length === 0) throw new BadFormatError('batch record holds no records', {});
    this.count += out.length;
    return out;
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
