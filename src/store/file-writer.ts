// Stores file content: small files inline in one `file` object, larger ones cut by the
// content-defined chunker into `chunk` objects plus a `file` object listing them. Reads stream in
// fixed-size pieces, so a 4 GiB file costs a few MiB of memory.
import { closeSync, openSync, readSync, readlinkSync, constants as fsc } from 'node:fs';
import { Chunker } from '../core/chunker.js';
import { encodeChunkedFile, encodeInlineFile, type ChunkRef } from '../core/file-object.js';
import type { ObjectId } from '../core/hash.js';
import type { ObjectWriter } from './object-store.js';

import { INLINE_MAX } from './file-limits.js';

export { INLINE_MAX };
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
  /** False when the size read differs from `expectedSize` (the file changed since it was stat'ed). */
  stable: boolean;
}

// Reused for small files: one read syscall per file, no per-file allocation.
const smallBuf = Buffer.allocUnsafe(64 << 10);

/**
 * Stores the regular file at `absPath`, never following a symlink (O_NOFOLLOW). The caller stats
 * the file BEFORE calling (status and add already have an lstat from the scan): a file modified
 * after that stat shows a newer mtime next time and is re-read, so no fstat is needed here —
 * on this machine's file system every syscall per file counts (100k files: ~0.5 s per syscall kind).
 * `onBytes` is told how many bytes were consumed, for progress.
 */
export function storePath(store: ObjectWriter, absPath: string, onBytes?: (n: number) => void, expectedSize?: number): StoredPath {
  const fd = openSync(absPath, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    // A regular file's read returns less than asked only at end of file.
    const first = readSync(fd, smallBuf, 0, smallBuf.length, 0);
    if (first <= INLINE_MAX) {
      onBytes?.(first);
      return {
        id: store.put('file', encodeInlineFile(smallBuf.subarray(0, first))),
        size: first,
        stable: expectedSize === undefined || first === expectedSize,
      };
    }
    const chunker = new Chunker();
    const refs: ChunkRef[] = [];
    let total = 0;
    let pending: Buffer | undefined = Buffer.from(smallBuf.subarray(0, first));
    for (;;) {
      let buf: Buffer;
      let n: number;
      if (pending !== undefined) {
        buf = pending;
        n = pending.length;
        pending = undefined;
      } else {
        buf = Buffer.allocUnsafe(READ_SIZE);
        n = readSync(fd, buf, 0, READ_SIZE, total);
        if (n === 0) break;
      }
      total += n;
      for (const c of chunker.push(buf.subarray(0, n))) refs.push({ id: store.put('chunk', c), size: c.length });
      onBytes?.(n);
    }
    for (const c of chunker.finish()) refs.push({ id: store.put('chunk', c), size: c.length });
    return { id: store.put('file', encodeChunkedFile(refs)), size: total, stable: expectedSize === undefined || total === expectedSize };
  } finally {
    closeSync(fd);
  }
}

/** A symlink is stored as a file object holding its target, never followed. */
export function storeSymlink(store: ObjectWriter, absPath: string): StoredFile {
  const target = Buffer.from(readlinkSync(absPath, { encoding: 'buffer' }));
  return { id: store.put('file', encodeInlineFile(target)), size: target.length };
}
