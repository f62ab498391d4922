// The one walk of the object graph: from roots (commits, trees, files) down through parents, trees
// and files to chunks, reading and verifying each object once however often it is shared, and
// checking every reference against the object it names (type, claimed size). fsck runs it over the
// refs to prove them whole; count-objects (and gc, next) run it over every root to learn what is
// reachable. One walk, so "reachable" and "checked" can never disagree about what a commit holds.
import { BadFormatError, CairnError, MissingObjectError } from '../errors.js';
import type { ObjectId, ObjectType } from '../core/hash.js';
import type { ObjectReader } from '../store/object-store.js';
import { fileLayoutProblem, readCommit, readFileObject, readTree } from '../store/typed-objects.js';

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

/** Where a walk starts. `where` names it in problems: a ref name, "merge in progress", "index file a.csv". */
export interface WalkRoot {
  id: ObjectId;
  type: 'commit' | 'tree' | 'file';
  where: string;
  /** The root is a ref's value (`where` is the ref's name): if it is not stored, that is a dangling ref. */
  ref?: boolean;
}

export interface WalkOptions {
  /**
   * Read and verify every chunk's bytes (fsck), or only look its row up in the object index
   * (reachability): chunks are nearly all the bytes, and their ids are already known from the
   * verified file objects that list them.
   */
  readChunks: boolean;
  /** Called once per object read: progress. */
  onObject?: () => void;
}

export interface WalkResult {
  checked: { commits: number; trees: number; files: number; chunks: number; bytes: number };
  problems: FsckProblem[];
  /**
   * Every object reached, with its type and content size as found (-1: present but unreadable,
   * or missing). An object only ever reached under the wrong type is not in it: the referrer is
   * at fault, and the object is not what anything reachable uses.
   */
  seen: Map<ObjectId, { type: ObjectType; size: number }>;
}

interface Visit {
  id: ObjectId;
  type: ObjectType;
  where: string;
  /** The size the referrer (a tree entry, a file's chunk list) claims, and who claims it. */
  claim?: { size: number; by: Visit; name: string };
  /** Repository path of a tree, and what its entries' paths are prefixed with ("refs/heads/main: commit 1a2b…"). */
  dir?: string;
  at?: string;
}

export function walkObjects(store: ObjectReader, roots: Iterable<WalkRoot>, opts: WalkOptions): WalkResult {
  const checked = { commits: 0, trees: 0, files: 0, chunks: 0, bytes: 0 };
  const problems: FsckProblem[] = [];
  // Id -> its type and content size as found (-1: broken), so each object is read once however
  // often it is shared, and every later reference is still checked against both: an id named as a
  // folder and as a file, or a commit's parent that is a tree, is reported (FORMAT §7.2).
  const seen = new Map<ObjectId, { type: ObjectType; size: number }>();
  const tick = () => opts.onObject?.();
  const report = (v: Visit, err: unknown) => {
    problems.push({ id: v.id, kind: problemKind(err), type: v.type, path: v.where, message: (err as Error).message });
  };
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
  // The referrer is at fault: the object itself hashed to its id, so its size is the true one.
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
  const chunkSize = (id: ObjectId): number => {
    if (opts.readChunks) return store.get(id, 'chunk').data.length;
    const info = store.info(id);
    if (info === undefined) throw new MissingObjectError(id);
    if (info.type !== 'chunk')
      throw new BadFormatError(`object ${id} is a ${info.type}, expected a chunk`, { id, type: info.type, expected: 'chunk' });
    return info.size;
  };

  function walkCommits(root: WalkRoot): void {
    const commits: Visit[] = [{ id: root.id, type: 'commit', where: root.where }];
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
      const at = `${root.where}: commit ${c.id.slice(0, 12)}`;
      // Parents are pushed last-first so the first parent's line is walked first.
      for (let i = commit.parents.length - 1; i >= 0; i--)
        commits.push({ id: commit.parents[i]!, type: 'commit', where: `${at} parent ${i + 1}` });
      walkTree({ id: commit.tree, type: 'tree', where: `${at} tree /`, dir: '', at });
    }
  }

  function walkTree(start: Visit): void {
    const stack: Visit[] = [start];
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
          const at = v.at!;
          stack.push(
            e.kind === 'tree'
              ? { id: e.id, type: 'tree', where: `${at} tree ${p}`, dir: p, at, claim }
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
          size = chunkSize(v.id);
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

  for (const root of roots) {
    if (root.ref === true && !store.has(root.id)) {
      problems.push({
        id: root.id,
        kind: 'missing',
        type: 'ref',
        path: root.where,
        message: `ref '${root.where}' points to ${root.id}, which is not stored (dangling ref)`,
      });
      continue;
    }
    if (root.type === 'commit') walkCommits(root);
    else if (root.type === 'tree') walkTree({ id: root.id, type: 'tree', where: `${root.where} tree /`, dir: '', at: root.where });
    else walkTree({ id: root.id, type: 'file', where: root.where });
  }
  return { checked, problems, seen };
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
