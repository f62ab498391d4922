// `fsck`: proves the repository whole. Walks every ref's history (commits -> trees -> files ->
// chunks; the walk is object-walk.ts, shared with count-objects), reading and verifying each
// reachable object once, and checks the pack files against the
// object index; every problem is reported with the object id and a path that leads to it.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { OBJECT_TYPES, type ObjectId } from '../core/hash.js';
import { PACK_MAGIC, RECORD_HEADER } from '../store/object-store.js';
import type { Repository } from '../store/repository.js';
import { walkObjects, type FsckProblem, type ProblemKind, type WalkRoot } from './object-walk.js';
import type { ProgressFn } from './progress.js';

export type { FsckProblem, ProblemKind } from './object-walk.js';

export interface FsckResult {
  ok: boolean;
  checked: { commits: number; trees: number; files: number; chunks: number; bytes: number };
  problems: FsckProblem[];
}

export interface FsckOptions {
  onProgress?: ProgressFn;
}

export function fsck(repo: Repository, opts: FsckOptions = {}): FsckResult {
  const store = repo.objects;
  const total = storedObjectCount(repo);
  let done = 0;
  const onObject = () => {
    if (++done % 512 === 0) opts.onProgress?.({ phase: 'checking', done, total, unit: 'objects' });
  };
  const roots = listRefs(repo).map((r): WalkRoot => ({ id: r.id, type: 'commit', where: r.name, ref: true }));
  const { checked, problems } = walkObjects(store, roots, { readChunks: true, onObject });
  // Pack-level damage to objects the walk already reported is not reported twice.
  const reported = new Set(problems.map((p) => p.id));
  // One read transaction: the pack list, the pack sizes and the object rows come from one snapshot.
  // Read separately, a commit flushing meanwhile shows rows in a pack not yet listed (or past the
  // size seen), and fsck cried corruption while a cron commit ran.
  for (const p of repo.db.transaction(() => checkPacks(repo)).deferred()) if (!reported.has(p.id)) problems.push(p);
  opts.onProgress?.({ phase: 'checking', done, total, unit: 'objects' });
  return { ok: problems.length === 0, checked, problems };
}

/** HEAD (when detached) and every branch, tag and remote-tracking ref, in name order. */
function listRefs(repo: Repository): { name: string; id: ObjectId }[] {
  return repo.refs.list('');
}

// The object index's layout is the pack store's; fsck reads it directly because it must look at
// rows the store would refuse to serve (unregistered packs, lengths past the end of a file).
interface PackRow {
  id: number;
  name: string;
}
interface ObjectRow {
  id: string;
  type: number;
  pack: number;
  offset: number;
  stored_len: number;
  comp: number;
}

/**
 * Every pack file exists, starts with the pack magic, and every index row lies inside its pack with
 * a record header that repeats the row's id, type and length. Covers unreachable objects too.
 */
function checkPacks(repo: Repository): FsckProblem[] {
  const problems: FsckProblem[] = [];
  const packDir = join(repo.cairnDir, 'packs');
  const packs = new Map<number, { name: string; fd: number | null; size: number }>();
  for (const p of repo.db.prepare('SELECT id, name FROM packs').all() as PackRow[]) {
    const where = `.cairn/packs/${p.name}`;
    let fd: number | null = null;
    let size = 0;
    try {
      fd = openSync(join(packDir, p.name), 'r');
      size = fstatSync(fd).size;
      const magic = Buffer.alloc(PACK_MAGIC.length);
      readSync(fd, magic, 0, magic.length, 0);
      if (!magic.equals(PACK_MAGIC))
        problems.push({
          id: p.name,
          kind: 'bad-format',
          type: 'pack',
          path: where,
          message: `pack ${p.name} does not start with the pack signature`,
        });
    } catch {
      problems.push({
        id: p.name,
        kind: 'missing',
        type: 'pack',
        path: where,
        message: `pack file ${p.name} is missing: every object indexed in it is lost`,
      });
    }
    packs.set(p.id, { name: p.name, fd, size });
  }
  const header = Buffer.alloc(RECORD_HEADER);
  try {
    for (const r of repo.db.prepare('SELECT id, type, pack, offset, stored_len, comp FROM objects').iterate() as Iterable<ObjectRow>) {
      const pack = packs.get(r.pack);
      const type = OBJECT_TYPES[r.type];
      const bad = (
        kind: ProblemKind,
        message: string,
        where = pack === undefined ? `object index` : `.cairn/packs/${pack.name} @${r.offset}`,
      ) => problems.push({ id: r.id, kind, type: type ?? 'chunk', path: where, message });
      if (type === undefined) bad('bad-format', `object ${r.id} has unknown type code ${r.type} in the index`);
      if (pack === undefined) {
        bad('corrupt', `object ${r.id} is indexed in pack #${r.pack}, which is not registered`);
        continue;
      }
      if (pack.fd === null) continue; // the missing pack is reported once, above
      if (r.offset < PACK_MAGIC.length + RECORD_HEADER || r.offset + r.stored_len > pack.size) {
        bad('corrupt', `object ${r.id} lies outside pack ${pack.name} (bytes ${r.offset}..${r.offset + r.stored_len} of ${pack.size})`);
        continue;
      }
      readSync(pack.fd, header, 0, RECORD_HEADER, r.offset - RECORD_HEADER);
      if (
        header.toString('hex', 0, 32) !== r.id ||
        header[32] !== r.type ||
        header[33] !== r.comp ||
        header.readUInt32BE(34) !== r.stored_len
      ) {
        bad('corrupt', `the record header of object ${r.id} in pack ${pack.name} does not match the object index`);
      }
    }
  } finally {
    for (const p of packs.values()) if (p.fd !== null) closeSync(p.fd);
  }
  return problems;
}

function storedObjectCount(repo: Repository): number {
  return (repo.db.prepare('SELECT count(*) AS n FROM objects').get() as { n: number }).n;
}
