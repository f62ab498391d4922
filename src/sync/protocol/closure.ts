// Quarantine exit (docs/PROTOCOL.md §6.3): before any ref may name a received commit, everything it reaches must be
// present, of the type each reference says, and of the size each reference claims. The store only
// ever holds whole closures (children are stored before parents, and received objects enter it
// only through here), so the walk stops at the first object already in the store and reads only
// what waits in the quarantine. It goes level by level, a few queries and one coalesced read per
// level, not several queries per object.
import { BadFormatError, MissingObjectError } from '../../errors.js';
import type { ObjectId, ObjectType } from '../../core/hash.js';
import { decodeCommit } from '../../core/commit-object.js';
import { decodeFile } from '../../core/file-object.js';
import { decodeTree } from '../../core/tree-object.js';
import type { Located, PackStore } from '../../store/object-store.js';
import type { ObjectSource } from './object-source.js';

interface Want {
  id: ObjectId;
  type: ObjectType;
  from: ObjectId | null;
  /** What `from` calls it ("entry 'a.csv'", "chunk 3"), for messages. */
  name?: string;
  /** The size `from` claims for it (FORMAT §5, §7): a tree entry's size, a file's chunk size. */
  claim?: number;
}

/**
 * The quarantined objects reachable from `tips`, all of which must be present: a missing one
 * throws MISSING_OBJECT naming it (the push or fetch is incomplete; re-running resumes it). Every
 * reference is checked, not only the first to reach an object: one of the wrong type (a commit
 * whose tree is a chunk, a tree naming one id as a folder and as a file, a parent that is a tree)
 * or of another size than its referrer claims (a tree entry saying 999 bytes for a 6-byte file, a
 * chunk shorter than its file object says) throws BAD_FORMAT (PROTOCOL §6.3, FORMAT §7.2).
 */
export async function stagedClosure(
  staging: ObjectSource,
  tips: readonly ObjectId[],
  known: { inlineFiles?: ReadonlySet<ObjectId> } = {},
): Promise<ObjectId[]> {
  // File objects the caller decoded when it verified them (receive.ts) and found inline: their
  // staged bytes are those bytes, so reading them again could only say "no children" again; their
  // size is their body length minus the 2-byte header.
  const inline = known.inlineFiles ?? new Set<ObjectId>();
  const out: ObjectId[] = [];
  const seen = new Map<ObjectId, ObjectType>();
  // True content sizes (a tree's: the sum of its entries' sizes), and every claim to check against them.
  const sizes = new Map<ObjectId, number>();
  const claims: Want[] = [];
  // Stored files and trees met: their sizes are read at the end, for those a claim names.
  const stored = new Map<ObjectId, Located>();
  let level: Want[] = tips.map((id) => ({ id, type: 'commit', from: null }));
  while (level.length > 0) {
    const { wants, again } = splitLevel(level, seen, claims);
    const found = await staging.whereMany(wants.map((w) => w.id));
    const read: ObjectId[] = [];
    for (const w of wants) {
      const f = found.get(w.id);
      if (f === undefined) {
        throw new MissingObjectError(
          `incomplete transfer: object ${w.id}${w.from === null ? '' : ` (reached from ${w.from})`} never arrived; run the command again to resume`,
          { id: w.id, from: w.from },
        );
      }
      if (f.type !== w.type) throw mistyped(w, f.type);
      if (f.type === 'chunk') sizes.set(w.id, f.size);
      else if (f.type === 'file' && f.where === 'staged' && inline.has(w.id)) sizes.set(w.id, f.size - 2);
      if (f.where === 'store') {
        if (f.type === 'file' || f.type === 'tree') stored.set(w.id, f);
        continue;
      }
      out.push(w.id);
      if (f.type !== 'chunk' && !(f.type === 'file' && inline.has(w.id))) read.push(w.id);
    }
    // Every id in `seen` now carries its actual type (a wrong first reference threw above).
    checkAgain(again, seen);
    const next: Want[] = [];
    for (const [id, { type, data }] of await staging.getMany(read)) childrenOf(id, type, data, next, sizes);
    level = next;
  }
  // Stored objects some reference claims a size for (whichever reference reached them first): a
  // stored file's size is in its first bytes; a stored tree (a folder left unchanged beside a
  // changed one) is read for its entries' sizes only, one level, not walked.
  const files: [ObjectId, Located][] = [];
  const trees: ObjectId[] = [];
  for (const c of claims) {
    const f = sizes.has(c.id) ? undefined : stored.get(c.id);
    if (f === undefined) continue;
    sizes.set(c.id, -1); // asked for once
    if (f.type === 'file') files.push([c.id, f]);
    else trees.push(c.id);
  }
  for (const [id, size] of await staging.fileSizes(files)) sizes.set(id, size);
  for (const [id, { data }] of await staging.getMany(trees, 'tree'))
    sizes.set(
      id,
      decodeTree(data, `tree ${id}`).reduce((s, e) => s + e.size, 0),
    );
  checkClaims(claims, sizes);
  return out;
}

/** Decodes one commit, tree or file object: its references go to `next`, its size to `sizes`. */
function childrenOf(id: ObjectId, type: ObjectType, data: Buffer, next: Want[], sizes: Map<ObjectId, number>): void {
  if (type === 'commit') {
    const c = decodeCommit(data, `commit ${id}`);
    next.push({ id: c.tree, type: 'tree', from: id, name: 'tree' });
    c.parents.forEach((p, i) => next.push({ id: p, type: 'commit', from: id, name: `parent ${i + 1}` }));
  } else if (type === 'tree') {
    let sum = 0;
    for (const e of decodeTree(data, `tree ${id}`)) {
      sum += e.size;
      next.push({ id: e.id, type: e.kind === 'tree' ? 'tree' : 'file', from: id, name: `entry '${e.name}'`, claim: e.size });
    }
    sizes.set(id, sum);
  } else if (type === 'file') {
    const f = decodeFile(data, `file ${id}`);
    sizes.set(id, f.size);
    if (f.kind === 'chunked')
      f.chunks.forEach((c, i) => next.push({ id: c.id, type: 'chunk', from: id, name: `chunk ${i + 1}`, claim: c.size }));
  }
}

/** Every claimed size against the size found (an object not found was reported missing instead). */
function checkClaims(claims: readonly Want[], sizes: ReadonlyMap<ObjectId, number>): void {
  for (const c of claims) {
    const size = sizes.get(c.id);
    if (size !== undefined && size !== c.claim) {
      throw new BadFormatError(
        `${c.type === 'chunk' ? 'file' : 'tree'} ${c.from} says ${c.name} holds ${c.claim} bytes, but ${c.type} ${c.id} holds ${size}`,
        { id: c.from!, object: c.id, claimed: c.claim, found: size },
      );
    }
  }
}

/**
 * One level of a closure walk: the references to ids not reached before (`wants`, the first one
 * fixes the id's expected type) and those to ids already reached (`again`: an id is never skipped
 * whatever type was wanted, each such reference is compared by checkAgain). Claims are collected.
 */
function splitLevel(level: readonly Want[], seen: Map<ObjectId, ObjectType>, claims: Want[]): { wants: Want[]; again: Want[] } {
  const wants: Want[] = [];
  const again: Want[] = [];
  for (const w of level) {
    if (w.claim !== undefined) claims.push(w);
    if (seen.has(w.id)) again.push(w);
    else {
      seen.set(w.id, w.type);
      wants.push(w);
    }
  }
  return { wants, again };
}

/** Each later reference against the type the object was found to have (a missing one's is unknown). */
function checkAgain(again: readonly Want[], seen: ReadonlyMap<ObjectId, ObjectType>, absent?: ReadonlySet<ObjectId>): void {
  for (const w of again) if (seen.get(w.id) !== w.type && absent?.has(w.id) !== true) throw mistyped(w, seen.get(w.id)!);
}

function mistyped(w: Want, actual: ObjectType): BadFormatError {
  const by = w.from === null ? 'a ref' : `${w.name ?? 'an entry'} of ${w.from}`;
  return new BadFormatError(`object ${w.id} is a ${actual} but ${by} uses it as a ${w.type}`, { id: w.id, from: w.from });
}

export interface RepairClosure {
  /** Quarantined objects whose whole closure is now present: safe to promote. */
  whole: ObjectId[];
  /** Ids referenced but neither stored nor received: what the remote could not supply. */
  missing: ObjectId[];
  /** How many of `whole` the local refs already reached: objects the store had lost. */
  repaired: number;
}

/**
 * The closure check of a repairing fetch (`cairn fetch --repair`, PROTOCOL §6.4): the local store
 * is known to be damaged, so an object in it no longer proves its closure whole. Walks everything
 * reachable from `tips`, store and quarantine alike (an fsck's cost, once, when asked for), with
 * the same type and size checks as stagedClosure. Missing objects are collected, not thrown: the
 * quarantined objects that do not reach one are promoted by the caller, so a remote that has only
 * part of what was lost still repairs that part, and the store still gains only whole closures.
 */
export function repairClosure(staging: PackStore, localTips: readonly ObjectId[], remoteTips: readonly ObjectId[]): RepairClosure {
  const seen = new Map<ObjectId, ObjectType>();
  const staged = new Set<ObjectId>();
  const sizes = new Map<ObjectId, number>();
  const claims: Want[] = [];
  // Child -> the objects that reference it, to mark whatever reaches a missing object broken.
  const referrers = new Map<ObjectId, ObjectId[]>();
  const missing: ObjectId[] = [];
  const absent = new Set<ObjectId>();
  // The local refs' closures first: what they reach from the quarantine was lost, not new.
  walk(localTips);
  const lost = staged.size;
  walk(remoteTips);
  checkClaims(claims, sizes);
  const broken = new Set<ObjectId>(missing);
  const queue = [...missing];
  while (queue.length > 0) {
    for (const r of referrers.get(queue.pop()!) ?? []) {
      if (broken.has(r)) continue;
      broken.add(r);
      queue.push(r);
    }
  }
  const whole = [...staged].filter((id) => !broken.has(id));
  return { whole, missing, repaired: [...staged].slice(0, lost).filter((id) => !broken.has(id)).length };

  function walk(tips: readonly ObjectId[]): void {
    let level: Want[] = tips.map((id) => ({ id, type: 'commit', from: null }));
    while (level.length > 0) {
      for (const w of level) {
        if (w.from === null) continue;
        const r = referrers.get(w.id);
        if (r === undefined) referrers.set(w.id, [w.from]);
        else r.push(w.from);
      }
      const { wants, again } = splitLevel(level, seen, claims);
      const found = staging.whereMany(wants.map((w) => w.id));
      const read: ObjectId[] = [];
      for (const w of wants) {
        const f = found.get(w.id);
        if (f === undefined) {
          missing.push(w.id);
          absent.add(w.id);
          continue;
        }
        if (f.type !== w.type) throw mistyped(w, f.type);
        if (f.where === 'staged') staged.add(w.id);
        if (f.type === 'chunk') sizes.set(w.id, f.size);
        else read.push(w.id);
      }
      // A missing object's type is unknown: only the references to objects found are compared.
      checkAgain(again, seen, absent);
      const next: Want[] = [];
      for (const [id, { type, data }] of staging.getMany(read)) childrenOf(id, type, data, next, sizes);
      level = next;
    }
  }
}
