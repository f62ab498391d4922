// The object store: append-only pack files indexed by SQLite. Many small objects become one file
// on disk; an object is visible (to `has`/`get`) only once its pack bytes are fsynced and its index
// row is committed, and a batch of rows is committed in one transaction (DESIGN invariants 1-3).
import { closeSync, fsyncSync, openSync, readSync, writeSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import { BadFormatError, CorruptObjectError, MissingObjectError } from '../errors.js';
import { hashObject, OBJECT_TYPES, type ObjectId, type ObjectType } from '../core/hash.js';
import { readVarint } from '../core/varint.js';
import { decodeFile } from '../core/file-object.js';
import { COMP_DEFLATE, COMP_NONE, maybeCompress } from '../core/compress.js';
import { fsyncDir } from './atomic-file.js';
import type { Statement } from 'better-sqlite3';
import { writeTransaction, type Db } from './database.js';

export const PACK_MAGIC = Buffer.from('CAIRNPK1', 'latin1');
/** Per-record header in a pack: 32-byte id, type code, compression code, uint32 BE stored length. */
export const RECORD_HEADER = 38;

const TYPE_CODE: Record<ObjectType, number> = { chunk: 0, file: 1, tree: 2, commit: 3 };
const WRITE_BUFFER = 4 << 20;
const MAX_PACK_BYTES = 2 ** 31;
const AUTO_FLUSH_OBJECTS = 20_000;

/** An object found by `whereMany`: in the store or the quarantine, its type, body length and pack place. */
export interface Located {
  where: 'store' | 'staged';
  type: ObjectType;
  /** Uncompressed body length. */
  size: number;
  /** Its index row, for an object in the store. */
  row?: IndexRow;
}

export interface StoredObject {
  type: ObjectType;
  data: Buffer;
}

export interface ObjectInfo {
  type: ObjectType;
  /** Uncompressed body length. */
  size: number;
  /** Bytes the record occupies in its pack (header included). */
  storedSize: number;
}

/**
 * Reads objects. Every `get` verifies the bytes against the id: a mismatch throws
 * CorruptObjectError (permanent for this replica), an absent id MissingObjectError.
 */
export interface ObjectReader {
  has(id: ObjectId): boolean;
  info(id: ObjectId): ObjectInfo | undefined;
  get(id: ObjectId, expected?: ObjectType): StoredObject;
}

/**
 * Writes objects. `put` is idempotent and returns the id; the object becomes visible to readers
 * only after `flush()`, which makes every object put so far visible at once. Callers put children
 * before parents and flush before any ref names the new objects.
 */
export interface ObjectWriter {
  put(type: ObjectType, body: Uint8Array): ObjectId;
  flush(): void;
}

interface PendingRow {
  id: ObjectId;
  type: number;
  offset: number;
  storedLen: number;
  rawLen: number;
  comp: number;
}

export interface PackStoreOptions {
  /** deflate level for compressible objects; 0 stores everything raw. */
  compressionLevel?: number;
  /**
   * A staging writer: what it writes goes to the quarantine (`staged` table), invisible to every
   * ordinary reader until `promote` moves it; it reads both the quarantine and the store.
   */
  staging?: boolean;
}

/** One record as it lies in a pack: still compressed, not yet verified. */
export interface RawRecord {
  id: ObjectId;
  typeCode: number;
  comp: number;
  rawLen: number;
  stored: Buffer;
}

const ROW_COLUMNS = 'id, type, pack, offset, stored_len, raw_len, comp';

export class PackStore implements ObjectReader, ObjectWriter {
  private readonly packDir: string;
  private readonly fds = new Map<number, { fd: number; name: string }>();
  private readonly stmtGet;
  private readonly stmtPackName;
  private readonly stmtInsertPack;
  private readonly stmtInsertObject;
  readonly compressionLevel: number;
  // Current pack being written by this process (never shared with another writer).
  private pack: { fd: number; name: string; path: string; size: number } | undefined;
  private buffer = Buffer.allocUnsafe(WRITE_BUFFER);
  private buffered = 0;
  private pending = new Map<ObjectId, PendingRow>();

  readonly staging: boolean;

  constructor(
    private readonly db: Db,
    cairnDir: string,
    opts: PackStoreOptions = {},
  ) {
    this.packDir = join(cairnDir, 'packs');
    this.compressionLevel = opts.compressionLevel ?? 1;
    this.staging = opts.staging === true;
    this.stmtGet = this.staging
      ? db.prepare(`SELECT ${ROW_COLUMNS} FROM objects WHERE id = ? UNION ALL SELECT ${ROW_COLUMNS} FROM staged WHERE id = ? LIMIT 1`)
      : db.prepare(`SELECT ${ROW_COLUMNS} FROM objects WHERE id = ?`);
    this.stmtPackName = db.prepare('SELECT name FROM packs WHERE id = ?');
    this.stmtInsertPack = db.prepare('INSERT INTO packs (name, created) VALUES (?, ?)');
    this.stmtInsertObject = db.prepare(
      `INSERT OR IGNORE INTO ${this.staging ? 'staged' : 'objects'} (${ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  private lookup(id: ObjectId): IndexRow | undefined {
    return (this.staging ? this.stmtGet.get(id, id) : this.stmtGet.get(id)) as IndexRow | undefined;
  }

  has(id: ObjectId): boolean {
    return this.lookup(id) !== undefined;
  }

  /** True when the object is stored or waiting in this writer's unflushed batch. */
  hasOrPending(id: ObjectId): boolean {
    return this.pending.has(id) || this.has(id);
  }

  info(id: ObjectId): ObjectInfo | undefined {
    const row = this.lookup(id) as IndexRow | undefined;
    if (row === undefined) return undefined;
    return { type: typeOf(row.type, id), size: row.raw_len, storedSize: row.stored_len + RECORD_HEADER };
  }

  get(id: ObjectId, expected?: ObjectType): StoredObject {
    const row = this.lookup(id) as IndexRow | undefined;
    if (row === undefined) throw new MissingObjectError(id);
    const fd = this.packFd(row.pack, id);
    const stored = Buffer.allocUnsafe(row.stored_len);
    const n = readFully(fd, stored, row.offset);
    if (n !== row.stored_len) throw new CorruptObjectError(id, `pack truncated (read ${n} of ${row.stored_len} bytes)`);
    return decodeStored(id, row, stored, expected);
  }

  /**
   * Reads many objects, yielding them in pack order (not request order): locations come from one
   * query per 500 ids and neighbouring records are read with one large read, so a checkout of
   * 100k small files costs a few hundred reads instead of 100k. Every object is verified as by get.
   */
  *getMany(ids: readonly ObjectId[], expected?: ObjectType): Generator<[ObjectId, StoredObject]> {
    for (const r of this.rawRecords(ids)) {
      yield [r.id, decodeStored(r.id, { type: r.typeCode, comp: r.comp, raw_len: r.rawLen }, r.stored, expected)];
    }
  }

  /**
   * The stored records of `ids`, in pack order, neither decompressed nor verified: what a sender
   * streams to a receiver, which verifies each one itself. A missing id throws MissingObjectError.
   */
  *rawRecords(ids: readonly ObjectId[]): Generator<RawRecord> {
    const rows = this.locate(ids);
    rows.sort((a, b) => a.pack - b.pack || a.offset - b.offset);
    const MAX_SPAN = 8 << 20;
    const MAX_GAP = 64 << 10;
    for (let i = 0; i < rows.length;) {
      // Extend a run of records in the same pack that are close together.
      let j = i + 1;
      const first = rows[i]!;
      let end = first.offset + first.stored_len;
      while (
        j < rows.length &&
        rows[j]!.pack === first.pack &&
        rows[j]!.offset - end <= MAX_GAP &&
        rows[j]!.offset + rows[j]!.stored_len - first.offset <= MAX_SPAN
      ) {
        end = Math.max(end, rows[j]!.offset + rows[j]!.stored_len);
        j++;
      }
      const fd = this.packFd(first.pack, first.id);
      const span = Buffer.allocUnsafe(end - first.offset);
      const n = readFully(fd, span, first.offset);
      for (let k = i; k < j; k++) {
        const r = rows[k]!;
        const at = r.offset - first.offset;
        if (at + r.stored_len > n)
          throw new CorruptObjectError(r.id, `pack truncated (read ${Math.max(0, n - at)} of ${r.stored_len} bytes)`);
        yield { id: r.id, typeCode: r.type, comp: r.comp, rawLen: r.raw_len, stored: span.subarray(at, at + r.stored_len) };
      }
      i = j;
    }
  }

  private locate(ids: readonly ObjectId[]): (IndexRow & { id: string })[] {
    const rows: (IndexRow & { id: string })[] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const batch = unique.slice(i, i + 500);
      const marks = batch.map(() => '?').join(',');
      const found = (
        this.staging
          ? this.db
              .prepare(
                `SELECT ${ROW_COLUMNS} FROM objects WHERE id IN (${marks}) UNION SELECT ${ROW_COLUMNS} FROM staged WHERE id IN (${marks})`,
              )
              .all(...batch, ...batch)
          : this.db.prepare(`SELECT ${ROW_COLUMNS} FROM objects WHERE id IN (${marks})`).all(...batch)
      ) as (IndexRow & { id: string })[];
      const seen = new Set<string>();
      for (const r of found) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        rows.push(r);
      }
      if (seen.size !== batch.length) throw new MissingObjectError(batch.find((id) => !seen.has(id))!);
    }
    return rows;
  }

  /**
   * For each id, whether this replica lacks it: not in the store and (for a staging writer) not in
   * the quarantine either, so objects kept from an interrupted transfer are not asked for again.
   */
  lacking(ids: readonly ObjectId[]): boolean[] {
    const present = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const marks = batch.map(() => '?').join(',');
      const sql = this.staging
        ? `SELECT id FROM objects WHERE id IN (${marks}) UNION SELECT id FROM staged WHERE id IN (${marks})`
        : `SELECT id FROM objects WHERE id IN (${marks})`;
      const args = this.staging ? [...batch, ...batch] : batch;
      for (const r of this.db.prepare(sql).all(...args) as { id: string }[]) present.add(r.id);
    }
    return ids.map((id) => !present.has(id) && !this.pending.has(id));
  }

  /**
   * Moves quarantined objects into the store: their pack bytes stay where they are, only index
   * rows move. Callers run it in the same transaction as the ref update that makes them reachable,
   * after checking closure, so the store only ever gains whole closures.
   */
  promote(ids: Iterable<ObjectId>): number {
    const all = [...ids];
    let moved = 0;
    for (let i = 0; i < all.length; i += 500) {
      const batch = all.slice(i, i + 500);
      const marks = batch.map(() => '?').join(',');
      moved += this.db
        .prepare(`INSERT OR IGNORE INTO objects (${ROW_COLUMNS}) SELECT ${ROW_COLUMNS} FROM staged WHERE id IN (${marks})`)
        .run(...batch).changes;
      this.db.prepare(`DELETE FROM staged WHERE id IN (${marks})`).run(...batch);
    }
    return moved;
  }

  /**
   * For each id found: where it lives (the store wins over the quarantine), its type, its body
   * length (`size`: for a chunk, the chunk's size; for an inline file object, its content plus 2),
   * and its place in a pack, which `fileSizes` takes so as not to look the object up again.
   */
  whereMany(ids: readonly ObjectId[]): Map<ObjectId, Located> {
    const out = new Map<ObjectId, Located>();
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      // Only a stored object's place is wanted (fileSizes reads stored files): the quarantine's
      // rows, all of a clone's, are fetched with the three columns the closure check uses.
      for (const r of this.whereStatement('objects', batch.length).all(...batch) as (IndexRow & { id: string })[])
        out.set(r.id, { where: 'store', type: typeOf(r.type, r.id), size: r.raw_len, row: r });
      for (const r of this.whereStatement('staged', batch.length).all(...batch) as { id: string; type: number; raw_len: number }[])
        if (!out.has(r.id)) out.set(r.id, { where: 'staged', type: typeOf(r.type, r.id), size: r.raw_len });
    }
    return out;
  }

  // One prepared statement per table and batch length: a closure check runs thousands of batches.
  private readonly whereStatements = new Map<string, Statement<unknown[]>>();
  private whereStatement(table: 'objects' | 'staged', n: number): Statement<unknown[]> {
    const key = `${table}:${n}`;
    let st = this.whereStatements.get(key);
    if (st === undefined) {
      const columns = table === 'objects' ? ROW_COLUMNS : 'id, type, raw_len';
      st = this.db.prepare<unknown[]>(`SELECT ${columns} FROM ${table} WHERE id IN (${new Array(n).fill('?').join(',')})`);
      this.whereStatements.set(key, st);
    }
    return st;
  }

  /**
   * The content size of each `file` object (FORMAT §5), as located by `whereMany`, read from the
   * first bytes of its body: an inline file's size is its body length minus 2, a chunked file's is
   * its header's total_size. A size check (FORMAT §7.2) needs only that: reading and hashing every
   * unchanged file a changed folder names would cost a fetch as much as a clone. These few bytes
   * are not hashed: the object was verified when it entered the store, fsck verifies it again,
   * and a damaged prefix can only make a size check fail, never supply data. A body whose prefix
   * does not tell (deflate needing more bytes) is read whole and verified.
   */
  fileSizes(located: Iterable<[ObjectId, Located]>): Map<ObjectId, number> {
    const out = new Map<ObjectId, number>();
    // Version, layout and a varint of at most 8 bytes (core/varint.ts); deflate needs more input.
    const RAW_PREFIX = 10;
    const DEFLATE_PREFIX = 1024;
    const head = Buffer.allocUnsafe(DEFLATE_PREFIX);
    for (const [id, { type, row }] of located) {
      if (type !== 'file') throw new BadFormatError(`object ${id} is a ${type}, expected a file`, { id });
      const r = row ?? this.locate([id])[0]!;
      const fd = this.packFd(r.pack, id);
      const want = Math.min(r.stored_len, r.comp === COMP_NONE ? RAW_PREFIX : DEFLATE_PREFIX);
      const n = readFully(fd, head.subarray(0, want), r.offset);
      let body: Buffer | undefined;
      if (r.comp === COMP_NONE) body = head.subarray(0, n);
      else if (r.comp === COMP_DEFLATE) {
        try {
          body = inflateRawSync(head.subarray(0, n), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: r.raw_len + 1 });
        } catch {
          body = undefined;
        }
      }
      const size =
        (body === undefined ? undefined : sizeFromPrefix(body, r.raw_len)) ?? decodeFile(this.get(id, 'file').data, `file ${id}`).size;
      out.set(id, size);
    }
    return out;
  }

  /** Objects waiting in the quarantine (count and stored bytes), for reports and tests. */
  stagedStats(): { count: number; bytes: number } {
    const r = this.db.prepare('SELECT count(*) AS n, coalesce(sum(stored_len), 0) AS b FROM staged').get() as { n: number; b: number };
    return { count: r.n, bytes: r.b };
  }

  put(type: ObjectType, body: Uint8Array): ObjectId {
    const id = hashObject(type, body);
    this.putWithId(id, type, body);
    return id;
  }

  /** For callers that already hashed the body. The id is trusted. */
  putWithId(id: ObjectId, type: ObjectType, body: Uint8Array): void {
    if (this.pending.has(id) || this.lookup(id) !== undefined) return;
    const c = maybeCompress(body, this.compressionLevel);
    this.putEncoded(id, type, c ?? body, c === undefined ? COMP_NONE : COMP_DEFLATE, body.length);
  }

  /**
   * Appends an object already hashed and compressed elsewhere (an ingest worker). The id is
   * trusted: callers are this process's own workers, never a remote.
   */
  putEncoded(id: ObjectId, type: ObjectType, stored: Uint8Array, comp: number, rawLen: number, knownAbsent = false): void {
    // `knownAbsent`: the caller just checked (a fetch asks only for what it lacks); a duplicate
    // would only cost pack bytes, as the index insert ignores it.
    if (this.pending.has(id) || (!knownAbsent && this.lookup(id) !== undefined)) return;
    const pack = this.ensurePack(RECORD_HEADER + stored.length);
    const header = Buffer.allocUnsafe(RECORD_HEADER);
    header.write(id, 0, 32, 'hex');
    header[32] = TYPE_CODE[type];
    header[33] = comp;
    header.writeUInt32BE(stored.length, 34);
    this.append(header);
    const offset = pack.size;
    this.append(stored);
    this.pending.set(id, { id, type: TYPE_CODE[type], offset, storedLen: stored.length, rawLen, comp });
    // Bounded memory for huge files: flushing early only makes children visible sooner, which the
    // closure rule allows (parents are always put after their children).
    if (this.pending.size >= AUTO_FLUSH_OBJECTS) this.flush();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  flush(): void {
    if (this.pack === undefined || this.pending.size === 0) return;
    this.drain();
    fsyncSync(this.pack.fd);
    const pack = this.pack;
    const rows = [...this.pending.values()];
    writeTransaction(this.db, () => {
      let packId = (this.db.prepare('SELECT id FROM packs WHERE name = ?').get(pack.name) as { id: number } | undefined)?.id;
      if (packId === undefined) packId = Number(this.stmtInsertPack.run(pack.name, Date.now()).lastInsertRowid);
      for (const r of rows) this.stmtInsertObject.run(r.id, r.type, packId, r.offset, r.storedLen, r.rawLen, r.comp);
    });
    this.pending.clear();
    if (pack.size >= MAX_PACK_BYTES) this.closePack();
  }

  close(): void {
    this.flush();
    this.closePack();
    for (const { fd } of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  /** Lists every stored object id (for fsck and gc). */
  *allIds(): Generator<{ id: ObjectId; type: ObjectType }> {
    for (const row of this.db.prepare('SELECT id, type FROM objects').iterate() as Iterable<{ id: string; type: number }>) {
      yield { id: row.id, type: typeOf(row.type, row.id) };
    }
  }

  /** Ids starting with `prefix` (lower-case hex), at most `limit`, optionally of one type only. */
  idsWithPrefix(prefix: string, limit = 10, type?: ObjectType): ObjectId[] {
    const rows = (
      type === undefined
        ? this.db.prepare('SELECT id FROM objects WHERE id >= ? AND id < ? ORDER BY id LIMIT ?').all(prefix, `${prefix}g`, limit)
        : this.db
            .prepare('SELECT id FROM objects WHERE id >= ? AND id < ? AND type = ? ORDER BY id LIMIT ?')
            .all(prefix, `${prefix}g`, TYPE_CODE[type], limit)
    ) as { id: string }[];
    return rows.map((r) => r.id);
  }

  private ensurePack(need: number): { fd: number; name: string; path: string; size: number } {
    if (this.pack !== undefined && this.pack.size + need > MAX_PACK_BYTES && this.pending.size === 0) this.closePack();
    if (this.pack === undefined) {
      if (!existsSync(this.packDir)) mkdirSync(this.packDir, { recursive: true });
      const name = `pack-${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}.pack`;
      const path = join(this.packDir, name);
      const fd = openSync(path, 'wx+', 0o444);
      writeSync(fd, PACK_MAGIC);
      fsyncDir(this.packDir);
      this.pack = { fd, name, path, size: PACK_MAGIC.length };
    }
    return this.pack;
  }

  private append(data: Uint8Array): void {
    const pack = this.pack!;
    if (data.length >= WRITE_BUFFER / 2) {
      this.drain();
      writeAll(pack.fd, data);
    } else {
      if (this.buffered + data.length > WRITE_BUFFER) this.drain();
      this.buffer.set(data, this.buffered);
      this.buffered += data.length;
    }
    pack.size += data.length;
  }

  private drain(): void {
    if (this.buffered === 0 || this.pack === undefined) return;
    writeAll(this.pack.fd, this.buffer.subarray(0, this.buffered));
    this.buffered = 0;
  }

  private closePack(): void {
    if (this.pack === undefined) return;
    this.drain();
    closeSync(this.pack.fd);
    this.pack = undefined;
  }

  private packFd(packId: number, id: ObjectId): number {
    const cached = this.fds.get(packId);
    if (cached !== undefined) return cached.fd;
    const row = this.stmtPackName.get(packId) as { name: string } | undefined;
    if (row === undefined) throw new CorruptObjectError(id, `index names pack #${packId}, which is not registered`);
    const path = join(this.packDir, row.name);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      throw new CorruptObjectError(id, `pack file ${row.name} is missing`);
    }
    this.fds.set(packId, { fd, name: row.name });
    return fd;
  }

  /** Size in bytes of all pack files (for reporting stored size). */
  packBytes(): number {
    let total = 0;
    for (const { name } of this.db.prepare('SELECT name FROM packs').all() as { name: string }[]) {
      try {
        total += statSync(join(this.packDir, name)).size;
      } catch {
        /* reported by fsck */
      }
    }
    return total;
  }
}

export interface IndexRow {
  type: number;
  pack: number;
  offset: number;
  stored_len: number;
  raw_len: number;
  comp: number;
}

/** Decompresses and verifies one record's stored bytes; a mismatch is corruption, never data. */
function decodeStored(id: ObjectId, row: Pick<IndexRow, 'type' | 'comp' | 'raw_len'>, stored: Buffer, expected?: ObjectType): StoredObject {
  const type = typeOf(row.type, id);
  if (expected !== undefined && type !== expected) {
    throw new BadFormatError(`object ${id} is a ${type}, expected a ${expected}`, { id, type, expected });
  }
  let data: Buffer;
  if (row.comp === COMP_NONE) data = stored;
  else if (row.comp === COMP_DEFLATE) {
    try {
      data = inflateRawSync(stored, { maxOutputLength: row.raw_len + 1 });
    } catch (err) {
      throw new CorruptObjectError(id, `cannot decompress (${(err as Error).message})`);
    }
  } else throw new CorruptObjectError(id, `unknown compression ${row.comp}`);
  if (data.length !== row.raw_len || hashObject(type, data) !== id) {
    throw new CorruptObjectError(id, 'content does not hash to its id');
  }
  return { type, data };
}

/** A file object's content size from the first bytes of its body (FORMAT §5); undefined when they do not tell. */
function sizeFromPrefix(body: Buffer, rawLen: number): number | undefined {
  if (body.length < 2) return undefined;
  if (body[1] === 0) return rawLen - 2;
  if (body[1] !== 1) return undefined;
  try {
    return readVarint(body, 2, 'file')[0];
  } catch {
    return undefined;
  }
}

function typeOf(code: number, id: ObjectId): ObjectType {
  const t = OBJECT_TYPES[code];
  if (t === undefined) throw new CorruptObjectError(id, `unknown type code ${code} in index`);
  return t;
}

function readFully(fd: number, buf: Buffer, position: number): number {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) break;
    off += n;
  }
  return off;
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** Computes ids without storing anything: `status` and `diff` hash worktree files this way. */
/** Decompresses and verifies bytes received from elsewhere, exactly as a read from a pack is. */
export function verifyRecord(id: ObjectId, typeCode: number, comp: number, stored: Buffer, maxRawLen: number): StoredObject {
  const type = typeOf(typeCode, id);
  let data: Buffer;
  if (comp === COMP_NONE) data = stored;
  else if (comp === COMP_DEFLATE) {
    try {
      data = inflateRawSync(stored, { maxOutputLength: maxRawLen });
    } catch (err) {
      throw new CorruptObjectError(id, `cannot decompress (${(err as Error).message})`);
    }
  } else throw new CorruptObjectError(id, `unknown compression ${comp}`);
  if (hashObject(type, data) !== id) throw new CorruptObjectError(id, 'content does not hash to its id');
  return { type, data };
}

export function typeCodeOf(type: ObjectType): number {
  return TYPE_CODE[type];
}

export const HASH_ONLY: ObjectWriter = {
  put: (type, body) => hashObject(type, body),
  flush: () => undefined,
};
