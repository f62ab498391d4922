// `fsck`: proves the repository whole. Walks every ref's history (commits -> trees -> files ->
// chunks), reading and verifying each reachable object once, and checks the pack files against the
// object index; every problem is reported with the object id and a path that leads to it.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { OBJECT_TYPES, type ObjectId, type ObjectType } from '../core/hash.js';
import { PACK_MAGIC, RECORD_HEADER } from '../store/object-store.js';
import type { Repository } from '../store/repository.js';
import { fileLayoutProblem, readCommit, readFileObject, readTree } from '../store/typed-objects.js';
import type { ProgressFn } from './progress.js';

export type ProblemKind = 'missing' | 'corrupt' | 'bad-format' | 'unsafe-name';

export interface FsckProblem {
  /** The damaged object's id (for a pack-level problem: the pack file's name). */
  id: string;
  kind: ProblemKind;
  type: ObjectType | 'pack' | 'ref';
  /** How the object was reached, e.g. "refs/heads/main: commit 1a2b3c4d5e6f tree data/raw". */
  path: string;
  message: string;
}

export interface FsckResult {
  ok: boolean;
  checked: { commits: number; trees: number; files: number; chunks: number; bytes: number };
  problems: FsckProblem[];
}

export interface FsckOptions {
  onProgress?: ProgressFn;
}

interface Visit {
  id: ObjectId;
  type: ObjectType;
  where: string;
  /** The size the referrer (a tree entry, a file's chunk list) claims, and who claims it. */
  claim?: { size: number; by: Visit; name: string };
  /** Repository path of a tree, for naming its entries. */
  dir?: string;
}

export function fsck(repo: Repository, opts: FsckOptions = {}): FsckResult {
  const store = repo.objects;
  const checked = { commits: 0, trees: 0, files: 0, chunks: 0, bytes: 0 };
  const problems: FsckProblem[] = [];
  // Id -> its type and content size as found (-1: broken), so each object is read once however
  // often it is shared, and every later reference is still checked against both: an id named as a
  // folder and as a file, or a commit's parent that is a tree, is reported (FORMAT §7.2).
  const seen = new Map<ObjectId, { type: ObjectType; size: number }>();
  const total = storedObjectCount(repo);
  let done = 0;
  const tick = () => {
    if (++done % 512 === 0) opts.onProgress?.({ phase: 'checking', done, total, unit: 'objects' });
  };
  const report = (v: Visit, err: unknown) => {
    problems.push({ id: v.id, kind: problemKind(err), type: v.type, path: v.where, message: (err as Error).message });
  };
  // The referrer is at fault: the object itself hashed to its id, so its size is the true one.
  // A later reference wanting another type than the object has: the referrer is at fault.
  const checkType = (v: Visit, found: ObjectType): boolean => {
    if (found === v.type) return true;
    problems.push({
      id: v.id,
      kind: 'bad-format',
      type: v.type,
      path: v.where,
      message: `object ${v.id} is a ${found}, but ${v.where} uses it as a ${v.type}`,
    });
    return false;
  };
  const checkClaim = (v: Visit, found: number) => {
    const c = v.claim;
    if (c === undefined || c.size === found) return;
    problems.push({
      id: c.by.id,
      kind: 'bad-format',
      type: c.by.type,
      path: c.by.where,
      message: `${c.by.type} ${c.by.id} says ${c.name} holds ${c.size} bytes, but ${v.type} ${v.id} holds ${found}`,
    });
  };

  for (const ref of listRefs(repo)) {
    if (!store.has(ref.id)) {
      problems.push({
        id: ref.id,
        kind: 'missing',
        type: 'ref',
        path: ref.name,
        message: `ref '${ref.name}' points to ${ref.id}, which is not stored (dangling ref)`,
      });
      continue;
    }
    const commits: Visit[] = [{ id: ref.id, type: 'commit', where: ref.name }];
    while (commits.length > 0) {
      const c = commits.pop()!;
      const known = seen.get(c.id);
      if (known !== undefined) {
        if (known.size >= 0) checkType(c, known.type);
        continue;
      }
      tick();
      let commit;
      try {
        commit = readCommit(store, c.id);
        seen.set(c.id, { type: 'commit', size: 0 });
      } catch (err) {
        if (!mistyped(err)) seen.set(c.id, { type: 'commit', size: -1 });
        report(c, err);
        continue;
      }
      checked.commits++;
      const at = `${ref.name}: commit ${c.id.slice(0, 12)}`;
      // Parents are pushed last-first so the first parent's line is walked first.
      for (let i = commit.parents.length - 1; i >= 0; i--)
        commits.push({ id: commit.parents[i]!, type: 'commit', where: `${at} parent ${i + 1}` });
      walkTree(commit.tree, at);
    }
  }

  function walkTree(rootTree: ObjectId, at: string): void {
    const stack: Visit[] = [{ id: rootTree, type: 'tree', where: `${at} tree /`, dir: '' }];
    while (stack.length > 0) {
      const v = stack.pop()!;
      const known = seen.get(v.id);
      if (known !== undefined) {
        if (known.size >= 0 && checkType(v, known.type)) checkClaim(v, known.size);
        continue;
      }
      tick();
      if (v.type === 'tree') {
        let entries;
        try {
          entries = readTree(store, v.id);
        } catch (err) {
          if (!mistyped(err)) seen.set(v.id, { type: v.type, size: -1 });
          report(v, err);
          continue;
        }
        checked.trees++;
        const sum = entries.reduce((s, e) => s + e.size, 0);
        seen.set(v.id, { type: 'tree', size: sum });
        checkClaim(v, sum);
        for (let i = entries.length - 1; i >= 0; i--) {
          const e = entries[i]!;
          const p = v.dir ? `${v.dir}/${e.name}` : e.name;
          const claim = { size: e.size, by: v, name: `entry '${e.name}'` };
          stack.push(
            e.kind === 'tree'
              ? { id: e.id, type: 'tree', where: `${at} tree ${p}`, dir: p, claim }
              : { id: e.id, type: 'file', where: `${at} file ${p}`, claim },
          );
        }
      } else if (v.type === 'file') {
        let f;
        try {
          f = readFileObject(store, v.id);
        } catch (err) {
          if (!mistyped(err)) seen.set(v.id, { type: v.type, size: -1 });
          report(v, err);
          continue;
        }
        checked.files++;
        seen.set(v.id, { type: 'file', size: f.size });
        const layout = fileLayoutProblem(f);
        if (layout !== null)
          problems.push({ id: v.id, kind: 'bad-format', type: 'file', path: v.where, message: `file ${v.id} is ${layout} (FORMAT §5)` });
        checkClaim(v, f.size);
        if (f.kind === 'inline') checked.bytes += f.size;
        else {
          // Pushed last-first so they are read in file order: sequential reads in the pack.
          for (let i = f.chunks.length - 1; i >= 0; i--) {
            const n = f.chunks.length;
            stack.push({
              id: f.chunks[i]!.id,
              type: 'chunk',
              where: `${v.where} chunk ${i + 1}/${n}`,
              claim: { size: f.chunks[i]!.size, by: v, name: `chunk ${i + 1}` },
            });
          }
        }
      } else {
        let size: number;
        try {
          size = store.get(v.id, 'chunk').data.length;
        } catch (err) {
          if (!mistyped(err)) seen.set(v.id, { type: v.type, size: -1 });
          report(v, err);
          continue;
        }
        checked.chunks++;
        checked.bytes += size;
        seen.set(v.id, { type: 'chunk', size });
        checkClaim(v, size);
      }
    }
  }

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

/**
 * The read failed because the object is of another type than this reference wants: the referrer is
 * at fault, not the object, which another reference may still use rightly and must then walk.
 */
function mistyped(err: unknown): boolean {
  return err instanceof CairnError && err.code === 'BAD_FORMAT' && err.data['expected'] !== undefined;
}

function problemKind(err: unknown): ProblemKind {
  if (!(err instanceof CairnError)) throw err;
  switch (err.code) {
    case 'MISSING_OBJECT':
      return 'missing';
    case 'CORRUPT_OBJECT':
      return 'corrupt';
    case 'UNSAFE_PATH':
    case 'INVALID_NAME':
      return 'unsafe-name';
    default:
      return 'bad-format';
  }
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
