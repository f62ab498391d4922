// Verified reads of indexed records out of S3 packs (docs/FORMAT.md §12, §17.1, §18): the rows come
// from PostgreSQL, the bytes from PackBucket.readRanges (coalesced, cache-backed, exact lengths),
// and every record is checked before anyone sees it — its 38-byte header must repeat the row's id,
// type, compression and length, and its body must inflate to `size` bytes hashing to the id. A
// record that fails is read once more straight from S3 (the cache kept whatever the first GET
// answered), then CORRUPT_OBJECT: damaged bytes are never returned.
import { CorruptObjectError } from '../../../errors.js';
import type { ObjectId } from '../../../core/hash.js';
import { RECORD_HEADER, verifyRecord, type RawRecord, type StoredObject } from '../../../store/object-store.js';
import type { ByteRange, PackBucket } from './pack-bucket.js';

/** One index row (objects or staged), with its pack's name. Offsets address the record body (§12). */
export interface Place {
  id: ObjectId;
  type: number;
  /** Uncompressed body length (`size`, the folder's raw_len). */
  size: number;
  packId: string;
  pack: string;
  /** The whole pack's length (`packs.bytes`): small packs are read whole on a cache miss. */
  packBytes?: number;
  offset: number;
  storedLen: number;
  comp: number;
  fileSize: number | null;
  where: 'store' | 'staged';
}

export interface Readers {
  /** Cache-backed: the ordinary path. */
  bucket: PackBucket;
  /** Without the cache: the second read of a record that failed verification. */
  fresh: PackBucket;
}

/** Records read in one go at most (stored bytes): the bound on what a fetch holds per step. */
export const READ_GROUP_BYTES = 8 << 20;

/** Checks one record's bytes (header and body) against its row; returns the verified object and its stored body. */
function check(p: Place, buf: Uint8Array): { obj: StoredObject; stored: Buffer } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length !== p.storedLen + RECORD_HEADER)
    throw new CorruptObjectError(p.id, `pack ${p.pack} gave ${b.length} bytes for a record of ${p.storedLen + RECORD_HEADER}`);
  if (b.toString('hex', 0, 32) !== p.id || b[32] !== p.type || b[33] !== p.comp || b.readUInt32BE(34) !== p.storedLen)
    throw new CorruptObjectError(p.id, `the record header in pack ${p.pack} at ${p.offset - RECORD_HEADER} does not match the index`);
  const stored = b.subarray(RECORD_HEADER);
  const obj = verifyRecord(p.id, p.type, p.comp, stored, p.size + 1);
  if (obj.data.length !== p.size) throw new CorruptObjectError(p.id, `body is ${obj.data.length} bytes, the index says ${p.size}`);
  return { obj, stored };
}

const rangeOf = (p: Place): ByteRange => ({ offset: p.offset - RECORD_HEADER, length: p.storedLen + RECORD_HEADER });

/** Reads and verifies the records of ONE pack; each result is in the order of `places`. */
async function readPack(readers: Readers, pack: string, places: readonly Place[]): Promise<{ obj: StoredObject; stored: Buffer }[]> {
  const packLength = places[0]?.packBytes;
  const bytes = await readers.bucket.readRanges(pack, places.map(rangeOf), packLength !== undefined ? { packLength } : {});
  const out: ({ obj: StoredObject; stored: Buffer } | undefined)[] = new Array(places.length);
  const again: number[] = [];
  places.forEach((p, i) => {
    try {
      out[i] = check(p, bytes[i]!);
    } catch (err) {
      if (!(err instanceof CorruptObjectError)) throw err;
      again.push(i);
    }
  });
  if (again.length > 0) {
    const second = await readers.fresh.readRanges(
      pack,
      again.map((i) => rangeOf(places[i]!)),
    );
    // A second failure is the pack's own bytes (or the index): reported, never returned.
    again.forEach((i, k) => {
      out[i] = check(places[i]!, second[k]!);
    });
  }
  return out as { obj: StoredObject; stored: Buffer }[];
}

/** `places` split into groups of one pack each, in offset order, each at most READ_GROUP_BYTES (one bigger record alone). */
export function readGroups(places: readonly Place[], maxBytes = READ_GROUP_BYTES): Place[][] {
  const byPack = new Map<string, Place[]>();
  for (const p of places) {
    const list = byPack.get(p.pack);
    if (list === undefined) byPack.set(p.pack, [p]);
    else list.push(p);
  }
  const groups: Place[][] = [];
  for (const list of byPack.values()) {
    list.sort((a, b) => a.offset - b.offset);
    let cur: Place[] = [];
    let bytes = 0;
    for (const p of list) {
      const n = p.storedLen + RECORD_HEADER;
      if (cur.length > 0 && bytes + n > maxBytes) {
        groups.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(p);
      bytes += n;
    }
    if (cur.length > 0) groups.push(cur);
  }
  return groups;
}

/** Verified objects for `places` (a closure check's batch): a few packs read at once. */
export async function readObjects(readers: Readers, places: readonly Place[]): Promise<Map<ObjectId, StoredObject>> {
  const out = new Map<ObjectId, StoredObject>();
  const groups = readGroups(places);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const g = groups[next++]!;
      const got = await readPack(readers, g[0]!.pack, g);
      g.forEach((p, i) => out.set(p.id, got[i]!.obj));
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, groups.length) }, worker));
  return out;
}

/**
 * The verified records of `places` for a fetch answer, group by group (pack order), reading the
 * next group while the caller consumes this one: at most two groups (~16 MiB) in memory.
 */
export async function* readRecords(readers: Readers, places: readonly Place[]): AsyncGenerator<RawRecord> {
  const groups = readGroups(places);
  const read = (g: Place[]): Promise<RawRecord[]> =>
    readPack(readers, g[0]!.pack, g).then((got) =>
      g.map((p, i) => ({ id: p.id, typeCode: p.type, comp: p.comp, rawLen: p.size, stored: got[i]!.stored })),
    );
  let pending: Promise<RawRecord[]> | undefined = groups.length > 0 ? read(groups[0]!) : undefined;
  for (let i = 0; i < groups.length; i++) {
    const current: Promise<RawRecord[]> = pending!;
    pending = i + 1 < groups.length ? read(groups[i + 1]!) : undefined;
    // A consumer that stops early never awaits the prefetch: its failure must not go unhandled.
    pending?.catch(() => undefined);
    yield* await current;
  }
}
