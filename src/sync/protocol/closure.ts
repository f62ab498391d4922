// Quarantine exit (docs/PROTOCOL.md §6.3): before any ref may name a received commit, everything it reaches must be
// present. The store only ever holds whole closures (children are stored before parents, and
// received objects enter it only through here), so the walk stops at the first object already in
// the store and reads only what waits in the quarantine. It goes level by level, a few queries and
// one coalesced read per level, not several queries per object.
import { BadFormatError, MissingObjectError } from '../../errors.js';
import type { ObjectId, ObjectType } from '../../core/hash.js';
import { decodeCommit } from '../../core/commit-object.js';
import { decodeFile } from '../../core/file-object.js';
import { decodeTree } from '../../core/tree-object.js';
import type { PackStore } from '../../store/object-store.js';

interface Want {
  id: ObjectId;
  type: ObjectType;
  from: ObjectId | null;
}

/**
 * The quarantined objects reachable from `tips`, all of which must be present: a missing one
 * throws MISSING_OBJECT naming it (the push or fetch is incomplete; re-running resumes it), and
 * one of the wrong type (a commit whose tree is a chunk) BAD_FORMAT.
 */
export function stagedClosure(
  staging: PackStore,
  tips: readonly ObjectId[],
  known: { inlineFiles?: ReadonlySet<ObjectId> } = {},
): ObjectId[] {
  // File objects the caller decoded when it verified them (receive.ts) and found inline: their
  // staged bytes are those bytes, so reading them again could only say "no children" again.
  const inline = known.inlineFiles ?? new Set<ObjectId>();
  const out: ObjectId[] = [];
  const seen = new Set<ObjectId>();
  let level: Want[] = tips.map((id) => ({ id, type: 'commit', from: null }));
  while (level.length > 0) {
    const wants = level.filter((w) => !seen.has(w.id) && (seen.add(w.id), true));
    const found = staging.whereMany(wants.map((w) => w.id));
    const read: ObjectId[] = [];
    for (const w of wants) {
      const f = found.get(w.id);
      if (f === undefined) {
        throw new MissingObjectError(
          `incomplete transfer: object ${w.id}${w.from === null ? '' : ` (reached from ${w.from})`} never arrived; run the command again to resume`,
          { id: w.id, from: w.from },
        );
      }
      if (f.type !== w.type)
        throw new BadFormatError(`object ${w.id} is a ${f.type} but ${w.from ?? 'a ref'} uses it as a ${w.type}`, {
          id: w.id,
          from: w.from,
        });
      if (f.where === 'store') continue;
      out.push(w.id);
      if (f.type !== 'chunk' && !(f.type === 'file' && inline.has(w.id))) read.push(w.id);
    }
    const next: Want[] = [];
    for (const [id, { type, data }] of staging.getMany(read)) {
      if (type === 'commit') {
        const c = decodeCommit(data, `commit ${id}`);
        next.push({ id: c.tree, type: 'tree', from: id });
        for (const p of c.parents) next.push({ id: p, type: 'commit', from: id });
      } else if (type === 'tree') {
        for (const e of decodeTree(data, `tree ${id}`)) next.push({ id: e.id, type: e.kind === 'tree' ? 'tree' : 'file', from: id });
      } else {
        const f = decodeFile(data, `file ${id}`);
        if (f.kind === 'chunked') for (const c of f.chunks) next.push({ id: c.id, type: 'chunk', from: id });
      }
    }
    level = next;
  }
  return out;
}
