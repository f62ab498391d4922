// A bounded on-disk cache of immutable pack spans: LRU by bytes, atomic writes, checksummed files.
// Packs never change under a name (docs/FORMAT.md §18), so an entry is valid forever: no invalidation.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { IoError } from '../../../errors.js';
import type { ByteRange } from './range-plan.js';

/**
 * One entry is one span a GET read (many object records, often): a later read of any range inside
 * it is a hit. Caching spans rather than each asked range keeps the files few (one per GET, not
 * one per object: measured, 1,000 per-range files made a cold read 30x slower than S3 itself).
 *
 * File name: `<first 32 hex of SHA-256(pack name)>-<offset>-<length>` (decimal), so the index can
 * be rebuilt from a listing. File layout: 8 bytes magic "CAIRNSC1", 32 bytes SHA-256 over (pack
 * name, NUL, body), 2 bytes big-endian pack-name length, the pack name, the body. The checksum
 * catches a torn or damaged file and the stored name a hash-prefix collision: such an entry is
 * deleted and its ranges count as misses, which the caller reads from S3 again.
 */
const MAGIC = Buffer.from('CAIRNSC1', 'latin1');
const FILE_NAME = /^([0-9a-f]{32})-(\d{1,15})-(\d{1,15})$/;

export interface PackCacheStats {
  /** Asked ranges served from the cache, and those not (absent or damaged). */
  hits: number;
  misses: number;
  /** Entries found damaged (bad magic, checksum, name or length) and deleted. */
  corrupt: number;
  evictions: number;
  /** Puts that failed to write (full disk, permissions): the span is simply not cached. */
  writeErrors: number;
  /** Bytes of the bodies held now, and the bound. */
  bytes: number;
  maxBytes: number;
  entries: number;
}

export interface PackCacheOptions {
  dir: string;
  /** The bound on the bodies' bytes; the least recently used entries go first past it. */
  maxBytes: number;
}

interface Entry {
  file: string;
  packKey: string;
  offset: number;
  length: number;
}

const packKeyOf = (pack: string): string => createHash('sha256').update(pack).digest('hex').slice(0, 32);

export class PackCache {
  readonly dir: string;
  readonly maxBytes: number;
  /** file -> entry; Map order is the LRU order (oldest first). */
  private readonly lru = new Map<string, Entry>();
  /** pack key -> its entries (a pack has few: one per span read). */
  private readonly byPack = new Map<string, Entry[]>();
  private total = 0;
  /** Files being written now: a second put of the same span skips. */
  private readonly pending = new Set<string>();
  private readonly counts = { hits: 0, misses: 0, corrupt: 0, evictions: 0, writeErrors: 0 };

  private constructor(opts: PackCacheOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
  }

  /** Opens (creating) the cache folder, taking over the entries a previous process left, oldest first. */
  static async open(opts: PackCacheOptions): Promise<PackCache> {
    if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 0) throw new RangeError('maxBytes must be a non-negative integer');
    const cache = new PackCache(opts);
    try {
      await mkdir(opts.dir, { recursive: true });
      const found: { entry: Entry; mtime: number }[] = [];
      for (const file of await readdir(opts.dir)) {
        // Temp files of a writer that died before its rename are garbage.
        if (file.startsWith('.tmp-')) {
          await rm(join(opts.dir, file), { force: true });
          continue;
        }
        const m = FILE_NAME.exec(file);
        if (m === null) continue;
        const st = await stat(join(opts.dir, file));
        found.push({ entry: { file, packKey: m[1]!, offset: Number(m[2]), length: Number(m[3]) }, mtime: st.mtimeMs });
      }
      found.sort((a, b) => a.mtime - b.mtime);
      for (const f of found) cache.add(f.entry);
      await cache.evict();
    } catch (err) {
      const errno = (err as { code?: unknown }).code;
      throw new IoError(`cannot open the pack cache in ${opts.dir}: ${(err as Error).message}`, {
        path: opts.dir,
        ...(typeof errno === 'string' ? { errno } : {}),
      });
    }
    return cache;
  }

  stats(): PackCacheStats {
    return { ...this.counts, bytes: this.total, maxBytes: this.maxBytes, entries: this.lru.size };
  }

  /**
   * The cached bytes of each range of `pack` (undefined where absent or damaged: a damaged file is
   * removed). Each entry file needed is read and checked once per call. Zero-length ranges are
   * neither hits nor misses.
   */
  async lookup(pack: string, ranges: readonly ByteRange[]): Promise<(Uint8Array | undefined)[]> {
    const out = new Array<Uint8Array | undefined>(ranges.length);
    const entries = this.byPack.get(packKeyOf(pack)) ?? [];
    const wanted = new Map<Entry, number[]>();
    ranges.forEach((r, i) => {
      if (r.length === 0) {
        out[i] = new Uint8Array(0);
        return;
      }
      const e = entries.find((x) => x.offset <= r.offset && r.offset + r.length <= x.offset + x.length);
      if (e === undefined) return;
      const list = wanted.get(e);
      if (list === undefined) wanted.set(e, [i]);
      else list.push(i);
    });
    for (const [e, members] of wanted) {
      const body = await this.read(e, pack);
      if (body === undefined) continue;
      for (const i of members) {
        const r = ranges[i]!;
        out[i] = body.subarray(r.offset - e.offset, r.offset - e.offset + r.length);
      }
    }
    for (let i = 0; i < ranges.length; i++) {
      if (ranges[i]!.length === 0) continue;
      if (out[i] === undefined) this.counts.misses++;
      else this.counts.hits++;
    }
    return out;
  }

  /** The cached bytes of one range, or undefined. */
  async get(pack: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    return (await this.lookup(pack, [{ offset, length }]))[0];
  }

  /**
   * Stores a span of `pack` starting at `offset`: written to a temp name and renamed, so a reader
   * sees the whole file or none. No fsync: a file torn by a crash fails its checksum and is read
   * from S3 again. A body larger than the whole bound is not kept. Never throws: a cache that
   * cannot write is a slower cache, not a failed read (counted in `writeErrors`). Says whether the
   * span is now cached.
   */
  async put(pack: string, offset: number, bytes: Uint8Array): Promise<boolean> {
    if (bytes.length === 0 || bytes.length > this.maxBytes) return false;
    const packKey = packKeyOf(pack);
    const file = `${packKey}-${offset}-${bytes.length}`;
    if (this.lru.has(file) || this.pending.has(file)) return true;
    this.pending.add(file);
    const tmp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const name = Buffer.from(pack, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(name.length);
    try {
      await writeFile(tmp, Buffer.concat([MAGIC, checksum(name, bytes), len, name, bytes]));
      await rename(tmp, join(this.dir, file));
    } catch {
      this.counts.writeErrors++;
      await rm(tmp, { force: true }).catch(() => undefined);
      return false;
    } finally {
      this.pending.delete(file);
    }
    this.add({ file, packKey, offset, length: bytes.length });
    await this.evict();
    return true;
  }

  /** An entry's body, checked; undefined (and the entry dropped) when the file is gone or damaged. */
  private async read(e: Entry, pack: string): Promise<Uint8Array | undefined> {
    let data: Buffer;
    try {
      data = await readFile(join(this.dir, e.file));
    } catch {
      this.drop(e);
      return undefined;
    }
    const name = Buffer.from(pack, 'utf8');
    const head = MAGIC.length + 32 + 2;
    const ok =
      data.length === head + name.length + e.length &&
      data.subarray(0, MAGIC.length).equals(MAGIC) &&
      data.readUInt16BE(MAGIC.length + 32) === name.length &&
      data.subarray(head, head + name.length).equals(name) &&
      checksum(name, data.subarray(head + name.length)).equals(data.subarray(MAGIC.length, MAGIC.length + 32));
    if (!ok) {
      this.counts.corrupt++;
      this.drop(e);
      await rm(join(this.dir, e.file), { force: true }).catch(() => undefined);
      return undefined;
    }
    // Touch: move to the young end.
    this.lru.delete(e.file);
    this.lru.set(e.file, e);
    return data.subarray(head + name.length);
  }

  private add(e: Entry): void {
    this.lru.set(e.file, e);
    const list = this.byPack.get(e.packKey);
    if (list === undefined) this.byPack.set(e.packKey, [e]);
    else list.push(e);
    this.total += e.length;
  }

  private drop(e: Entry): void {
    if (!this.lru.delete(e.file)) return;
    this.total -= e.length;
    const list = this.byPack.get(e.packKey) ?? [];
    const at = list.indexOf(e);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.byPack.delete(e.packKey);
  }

  private async evict(): Promise<void> {
    for (const e of this.lru.values()) {
      if (this.total <= this.maxBytes) break;
      this.drop(e);
      this.counts.evictions++;
      await rm(join(this.dir, e.file), { force: true }).catch(() => undefined);
    }
  }
}

function checksum(name: Buffer, body: Uint8Array): Buffer {
  return createHash('sha256').update(name).update('\0').update(body).digest();
}
