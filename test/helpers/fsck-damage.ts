// Damages a repository the way disks and careless hands do (a flipped bit inside an object's pack
// record, a truncated or deleted pack, a lost index row), for the fsck and corruption tests.
import { chmodSync, closeSync, openSync, readSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface ObjectLocation {
  packPath: string;
  offset: number;
  storedLen: number;
  rawLen: number;
  comp: number;
  type: number;
}

/** Where an object's stored bytes lie, from the SQLite object index (columns per database.ts). */
export function locate(root: string, id: string): ObjectLocation {
  const db = new Database(join(root, '.cairn', 'cairn.db'), { readonly: true });
  try {
    const row = db
      .prepare(
        'SELECT o.type, o.offset, o.stored_len, o.raw_len, o.comp, p.name FROM objects o JOIN packs p ON p.id = o.pack WHERE o.id = ?',
      )
      .get(id) as { type: number; offset: number; stored_len: number; raw_len: number; comp: number; name: string } | undefined;
    if (row === undefined) throw new Error(`object ${id} is not indexed`);
    return {
      packPath: join(root, '.cairn', 'packs', row.name),
      offset: row.offset,
      storedLen: row.stored_len,
      rawLen: row.raw_len,
      comp: row.comp,
      type: row.type,
    };
  } finally {
    db.close();
  }
}

/** XORs one byte in the middle of the object's stored body (packs are read-only files: chmod first). */
export function flipByte(root: string, id: string): ObjectLocation {
  const loc = locate(root, id);
  const at = loc.offset + Math.floor(loc.storedLen / 2);
  const mode = statSync(loc.packPath).mode;
  chmodSync(loc.packPath, 0o644);
  const fd = openSync(loc.packPath, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0x20;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
    chmodSync(loc.packPath, mode & 0o777);
  }
  return loc;
}

/** Cuts the object's pack file just inside the object's body. */
export function truncatePackAt(root: string, id: string): ObjectLocation {
  const loc = locate(root, id);
  const mode = statSync(loc.packPath).mode;
  chmodSync(loc.packPath, 0o644);
  truncateSync(loc.packPath, loc.offset + Math.floor(loc.storedLen / 2));
  chmodSync(loc.packPath, mode & 0o777);
  return loc;
}

export function deletePackOf(root: string, id: string): ObjectLocation {
  const loc = locate(root, id);
  unlinkSync(loc.packPath);
  return loc;
}

/** Removes the object's row from the index: the bytes stay in the pack but the object is gone. */
export function deleteIndexRow(root: string, id: string): void {
  const db = new Database(join(root, '.cairn', 'cairn.db'));
  try {
    db.prepare('DELETE FROM objects WHERE id = ?').run(id);
  } finally {
    db.close();
  }
}

/** Deterministic incompressible bytes (xorshift), so chunking and ids are reproducible. */
export function noise(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
