// Stores file content: small files inline in one `file` object, larger ones cut by the
// content-defined chunker into `chunk` objects plus a `file` object listing them. Reads stream in
// fixed-size pieces, so a 4 GiB file costs a few MiB of memory.
import { closeSync, fstatSync, openSync, readSync, readlinkSync, type Stats, constants as fsc } from 'node:fs';
import { Chunker } from '../core/chunker.js';
import { encodeChunkedFile, encodeInlineFile, type ChunkRef } from '../core/file-object.js';
import type { ObjectId } from '../core/hash.js';
import type { ObjectWriter } from './object-store.js';

/** Files up to this size are stored inline in their `file` object (docs/FORMAT.md). */
export const INLINE_MAX = 16 * 1024;
const READ_SIZE = 4 << 20;

export interface StoredFile {
  id: ObjectId;
  size: number;
}

export function storeBuffer(store: ObjectWriter, data: Buffer): StoredFile {
  if (data.length <= INLINE_MAX) return { id: store.put('file', encodeInlineFile(data)), size: data.length };
  const chunker = new Chunker();
  const refs: ChunkRef[] = [];
  for (const c of chunker.push(data)) refs.push({ id: store.put('chunk', c), size: c.length });
  for (const c of chunker.finish()) refs.push({ id: store.put('chunk', c), size: c.length });
  return { id: store.put('file', encodeChunkedFile(refs)), size: data.length };
}

export interface StoredPath extends StoredFile {
  /** Stat taken before reading; `stable` is false when the file changed while being read. */
  stat: Stats;
  stable: boolean;
}

/**
 * Stores the regular file at `absPath`, never following a symlink (O_NOFOLLOW). `onBytes` is told
 * how many bytes were consumed, for progress.
 */
export function storePath(store: ObjectWriter, absPath: string, onBytes?: (n: number) => void): StoredPath {
  const fd = openSync(absPath, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const stat = fstatSync(fd);
    let result: StoredFile;
    if (stat.size <= INLINE_MAX) {
      const buf = Buffer.allocUnsafe(stat.size + 1);
      const n = readInto(fd, buf);
      // A file that grew past the inline limit while we read it falls through to the chunked path.
      if (n <= INLINE_MAX) {
        result = { id: store.put('file', encodeInlineFile(buf.subarray(0, n))), size: n };
        onBytes?.(n);
        return { ...result, stat, stable: n === stat.size && sameStat(stat, fstatSync(fd)) };
      }
    }
    const chunker = new Chunker();
    const refs: ChunkRef[] = [];
    let total = 0;
    // Kept only while the content is small enough to be stored inline (the file shrank under us).
    let head: Buffer[] | undefined = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_SIZE);
      const n = readSync(fd, buf, 0, READ_SIZE, total);
      if (n === 0) break;
      total += n;
      if (head !== undefined) head = total <= INLINE_MAX ? [...head, Buffer.from(buf.subarray(0, n))] : undefined;
      for (const c of chunker.push(buf.subarray(0, n))) refs.push({ id: store.put('chunk', c), size: c.length });
      onBytes?.(n);
    }
    for (const c of chunker.finish()) refs.push({ id: store.put('chunk', c), size: c.length });
    // The encoding depends on the content only: a file that shrank while read is stored inline.
    const body = head !== undefined ? encodeInlineFile(Buffer.concat(head)) : encodeChunkedFile(refs);
    result = { id: store.put('file', body), size: total };
    return { ...result, stat, stable: total === stat.size && sameStat(stat, fstatSync(fd)) };
  } finally {
    closeSync(fd);
  }
}

/** A symlink is stored as a file object holding its target, never followed. */
export function storeSymlink(store: ObjectWriter, absPath: string): StoredFile {
  const target = Buffer.from(readlinkSync(absPath, { encoding: 'buffer' }));
  return { id: store.put('file', encodeInlineFile(target)), size: target.length };
}

function readInto(fd: number, buf: Buffer): number {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, off);
    if (n === 0) break;
    off += n;
  }
  return off;
}

function sameStat(a: Stats, b: Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}
