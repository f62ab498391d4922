// A bounded on-disk cache of immutable pack ranges: LRU by bytes, atomic writes, checksummed files.
// Packs never change under a name (docs/FORMAT.md §17), so an entry is valid forever: no invalidation.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { IoError } from '../../../errors.js';

/**
 * File layout: 8 bytes magic "CAIRNRC1", 32 bytes SHA-256 of the body, the body. The checksum
 * catches a torn or damaged file (a crash, a disk fault, someone's editor): such an entry is
 * deleted and reported as a miss, and the caller fetches the range again.
 */
const MAGIC = Buffer.from('CAIRNRC1', 'latin1');
const HEADER = MAGIC.length + 32;

export interface PackCacheStats {
  hits: number;
  misses: number;
  /** Entries found damaged (bad magic, checksum or length), deleted, counted as misses too. */
  corrupt: number;
  evictions: number;
  /** Puts that failed to write (full disk, permissions): the range is simply not cached. */
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

/** The cache's file name for a range: a hash, so any pack name maps to one safe file name. */
function entryName(pack: string, offset: number, length: number): string {
  return createHash('sha256').update(`${pack}\0${offset}\0${length}`).digest('hex');
}

export class PackCache {
  readonly dir: string;
  readonly maxBytes: number;
  /** name -> body bytes; Map order is the LRU order (oldest first). */
  private readonly lru = new Map<string, number>();
  private total = 0;
  /** Entries being written now: a second put of the same range waits for nothing and skips. */
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
      const found: { name: string; size: number; mtime: number }[] = [];
      for (const name of await readdir(opts.dir)) {
        const path = join(opts.dir, name);
        // Temp files of a writer that died before its rename are garbage.
        if (name.startsWith('.tmp-')) {
          await rm(path, { force: true });
          continue;
        }
        if (!/^[0-9a-f]{64}$/.test(name)) continue;
        const st = await stat(path);
        found.push({ name, size: Math.max(0, st.size - HEADER), mtime: st.mtimeMs });
      }
      found.sort((a, b) => a.mtime - b.mtime);
      for (const f of found) {
        cache.lru.set(f.name, f.size);
        cache.total += f.size;
      }
      await cache.evict();
    } catch (err) {
      throw ioError('open', opts.dir, err);
    }
    return cache;
  }

  stats(): PackCacheStats {
    return { ...this.counts, bytes: this.total, maxBytes: this.maxBytes, entries: this.lru.size };
  }

  /** The cached bytes of the range, or undefined (absent or damaged: a damaged file is removed). */
  async get(pack: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    const name = entryName(pack, offset, length);
    if (!this.lru.has(name)) {
      this.counts.misses++;
      return undefined;
    }
    let file: Buffer;
    try {
      file = await readFile(join(this.dir, name));
    } catch {
      this.forget(name);
      this.counts.misses++;
      return undefined;
    }
    const body = file.subarray(HEADER);
    const ok =
      file.length === HEADER + length &&
      file.subarray(0, MAGIC.length).equals(MAGIC) &&
      createHash('sha256').update(body).digest().equals(file.subarray(MAGIC.length, HEADER));
    if (!ok) {
      this.counts.corrupt++;
      this.counts.misses++;
      this.forget(name);
      await rm(join(this.dir, name), { force: true }).catch(() => undefined);
      return undefined;
    }
    this.counts.hits++;
    // Touch: move to the young end.
    this.lru.delete(name);
    this.lru.set(name, length);
    return body;
  }

  /**
   * Stores the range's bytes: written to a temp name and renamed, so a reader sees the whole file
   * or none. No fsync: a file torn by a crash fails its checksum and is fetched again. A body
   * larger than the whole bound is not kept. Never throws: a cache that cannot write is a slower
   * cache, not a failed read (counted in `writeErrors`). Says whether the range is now cached.
   */
  async put(pack: string, offset: number, bytes: Uint8Array): Promise<boolean> {
    if (bytes.length > this.maxBytes) return false;
    const name = entryName(pack, offset, bytes.length);
    if (this.lru.has(name) || this.pending.has(name)) return true;
    this.pending.add(name);
    const tmp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const sum = createHash('sha256').update(bytes).digest();
    try {
      await writeFile(tmp, Buffer.concat([MAGIC, sum, bytes]));
      await rename(tmp, join(this.dir, name));
    } catch {
      this.counts.writeErrors++;
      await rm(tmp, { force: true }).catch(() => undefined);
      return false;
    } finally {
      this.pending.delete(name);
    }
    this.lru.set(name, bytes.length);
    this.total += bytes.length;
    await this.evict();
    return true;
  }

  private forget(name: string): void {
    const size = this.lru.get(name);
    if (size === undefined) return;
    this.lru.delete(name);
    this.total -= size;
  }

  private async evict(): Promise<void> {
    for (const [name, size] of this.lru) {
      if (this.total <= this.maxBytes) break;
      this.lru.delete(name);
      this.total -= size;
      this.counts.evictions++;
      await rm(join(this.dir, name), { force: true }).catch(() => undefined);
    }
  }
}

function ioError(op: string, dir: string, err: unknown): IoError {
  const errno = (err as { code?: unknown }).code;
  return new IoError(`pack cache ${op} failed in ${dir}: ${(err as Error).message}`, {
    path: dir,
    ...(typeof errno === 'string' ? { errno } : {}),
  });
}
