// The `file` object: a file's content, either inline (small files: one object per file) or as the
// ordered list of its chunks. Format: docs/FORMAT.md §5.
import { BadFormatError } from '../errors.js';
import { isObjectId, type ObjectId } from './hash.js';
import { readVarint, varintLength, writeVarint } from './varint.js';

export const FILE_FORMAT_VERSION = 1;
const INLINE = 0;
const CHUNKED = 1;

export interface ChunkRef {
  id: ObjectId;
  size: number;
}

export type FileObject = { kind: 'inline'; size: number; data: Buffer } | { kind: 'chunked'; size: number; chunks: ChunkRef[] };

export function encodeInlineFile(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(2 + data.length);
  out[0] = FILE_FORMAT_VERSION;
  out[1] = INLINE;
  out.set(data, 2);
  return out;
}

export function encodeChunkedFile(chunks: readonly ChunkRef[]): Buffer {
  let total = 0;
  let len = 2;
  for (const c of chunks) {
    total += c.size;
    len += 32 + varintLength(c.size);
  }
  len += varintLength(total) + varintLength(chunks.length);
  const out = Buffer.allocUnsafe(len);
  out[0] = FILE_FORMAT_VERSION;
  out[1] = CHUNKED;
  let pos = writeVarint(out, 2, total);
  pos = writeVarint(out, pos, chunks.length);
  for (const c of chunks) {
    if (c.size <= 0) throw new RangeError('chunk sizes are positive');
    // Buffer.write stops at the first non-hex character: without this check a bad id would leave
    // uninitialised memory in the object.
    if (!isObjectId(c.id)) throw new BadFormatError('file', `bad chunk id ${c.id}`);
    pos += out.write(c.id, pos, 32, 'hex');
    pos = writeVarint(out, pos, c.size);
  }
  return out;
}

export function decodeFile(body: Buffer, what = 'file object'): FileObject {
  if (body.length < 2) throw new BadFormatError(what, 'truncated');
  if (body[0] !== FILE_FORMAT_VERSION) throw new BadFormatError(what, `unknown version ${body[0]}`);
  if (body[1] === INLINE) return { kind: 'inline', size: body.length - 2, data: body.subarray(2) };
  if (body[1] !== CHUNKED) throw new BadFormatError(what, `unknown kind ${body[1]}`);
  const [total, afterTotal] = readVarint(body, 2, what);
  const [count, afterCount] = readVarint(body, afterTotal, what);
  let pos = afterCount;
  if (count > (body.length - pos) / 33) throw new BadFormatError(what, 'chunk count exceeds body');
  const chunks: ChunkRef[] = new Array(count);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    if (pos + 32 > body.length) throw new BadFormatError(what, 'truncated chunk id');
    const id = body.toString('hex', pos, pos + 32);
    let size: number;
    [size, pos] = readVarint(body, pos + 32, what);
    if (size === 0) throw new BadFormatError(what, 'zero-size chunk');
    sum += size;
    chunks[i] = { id, size };
  }
  if (pos !== body.length) throw new BadFormatError(what, 'trailing bytes');
  if (sum !== total) throw new BadFormatError(what, `chunk sizes add to ${sum}, header says ${total}`);
  return { kind: 'chunked', size: total, chunks };
}
