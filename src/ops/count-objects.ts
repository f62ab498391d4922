// `count-objects`: what the repository stores and what gc could reclaim — objects and bytes by
// type, the pack files, reachable vs unreachable (reachable.ts: fsck's walk from every root), and
// the quarantine. One read transaction, so a commit running meanwhile is either all in or all out.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OBJECT_TYPES, type ObjectType } from '../core/hash.js';
import { PACK_MAGIC, RECORD_HEADER } from '../store/object-store.js';
import type { Repository } from '../store/repository.js';
import type { FsckProblem } from './object-walk.js';
import type { ProgressFn } from './progress.js';
import { reachability, type Reachability } from './reachable.js';

/** A number of objects and the bytes they take: `stored` in the packs (record headers included), `size` uncompressed. */
export interface ObjectTally {
  count: number;
  size: number;
  stored: number;
}

export interface CountObjectsResult {
  /** Indexed objects (the quarantine excluded), by type, and all of them. */
  types: Record<ObjectType, ObjectTally>;
  total: ObjectTally;
  reachable: ObjectTally;
  unreachable: ObjectTally;
  /** Objects received by a transfer and not (yet) promoted: every one is garbage once its transfer is abandoned. */
  quarantine: ObjectTally;
  packs: {
    /** Registered pack files and their bytes on disk. */
    count: number;
    bytes: number;
    /** Bytes of registered packs that no index row covers: writes that were interrupted (or are in flight), duplicates. */
    unindexed: number;
    /** Pack files in .cairn/packs that were never registered (a write killed before its first flush), and their bytes. */
    orphans: number;
    orphanBytes: number;
  };
  roots: Reachability['roots'];
  /** Reachable objects that are missing or unreadable: the repository is damaged (run fsck). */
  problems: FsckProblem[];
}

export interface CountObjectsOptions {
  onProgress?: ProgressFn;
}

const tally = (): ObjectTally => ({ count: 0, size: 0, stored: 0 });

export function countObjects(repo: Repository, opts: CountObjectsOptions = {}): CountObjectsResult {
  return repo.db
    .transaction(() => {
      const total = (repo.db.prepare('SELECT count(*) AS n FROM objects').get() as { n: number }).n;
      let done = 0;
      const reach = reachability(repo, () => {
        if (++done % 512 === 0) opts.onProgress?.({ phase: 'walking', done, total, unit: 'objects' });
      });
      const types = Object.fromEntries((['commit', 'tree', 'file', 'chunk'] as const).map((t) => [t, tally()])) as Record<
        ObjectType,
        ObjectTally
      >;
      const all = tally();
      const reachable = tally();
      const unreachable = tally();
      const add = (t: ObjectTally, size: number, stored: number) => {
        t.count++;
        t.size += size;
        t.stored += stored;
      };
      const rows = repo.db.prepare('SELECT id, type, stored_len, raw_len FROM objects').iterate() as Iterable<{
        id: string;
        type: number;
        stored_len: number;
        raw_len: number;
      }>;
      for (const r of rows) {
        const stored = r.stored_len + RECORD_HEADER;
        const type = OBJECT_TYPES[r.type];
        if (type !== undefined) add(types[type], r.raw_len, stored);
        add(all, r.raw_len, stored);
        add(reach.reached.has(r.id) ? reachable : unreachable, r.raw_len, stored);
      }
      const q = repo.db
        .prepare(
          'SELECT count(*) AS n, coalesce(sum(raw_len), 0) AS size, coalesce(sum(stored_len), 0) + count(*) * ? AS stored FROM staged',
        )
        .get(RECORD_HEADER) as { n: number; size: number; stored: number };
      const quarantine = { count: q.n, size: q.size, stored: q.stored };
      return {
        types,
        total: all,
        reachable,
        unreachable,
        quarantine,
        packs: packStats(repo, all.stored + quarantine.stored),
        roots: reach.roots,
        problems: reach.problems,
      };
    })
    .deferred();
}

function packStats(repo: Repository, indexedBytes: number): CountObjectsResult['packs'] {
  const dir = join(repo.cairnDir, 'packs');
  const registered = repo.db.prepare('SELECT name FROM packs').all() as { name: string }[];
  const names = new Set(registered.map((p) => p.name));
  let bytes = 0;
  for (const { name } of registered) bytes += sizeOf(join(dir, name));
  let orphans = 0;
  let orphanBytes = 0;
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    /* no packs folder: nothing stored yet */
  }
  for (const name of files) {
    if (!name.endsWith('.pack') || names.has(name)) continue;
    orphans++;
    orphanBytes += sizeOf(join(dir, name));
  }
  // A missing pack file (fsck reports it) counts 0 bytes, so the difference is never negative.
  const unindexed = Math.max(0, bytes - registered.length * PACK_MAGIC.length - indexedBytes);
  return { count: registered.length, bytes, unindexed, orphans, orphanBytes };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
