// Quarantine exit: before any ref may name a received commit, everything it reaches must be
// present. The store only ever holds whole closures (children are stored before parents, and
// received objects enter it only through here), so the walk stops at the first object already in
// the store and reads only what waits in the quarantine.
import { CairnError } from '../errors.js';
import type { ObjectId, ObjectType } from '../core/hash.js';
import { decodeCommit } from '../core/commit-object.js';
import { decodeFile } from '../core/file-object.js';
import { decodeTree } from '../core/tree-object.js';
import type { PackStore } from '../store/object-store.js';

/**
 * The quarantined objects reachable from `tips`, all of which must be present: a missing one
 * throws MISSING_OBJECT naming it (the push or fetch is incomplete; re-running resumes it).
 */
export function stagedClosure(staging: PackStore, tips: readonly ObjectId[]): ObjectId[] {
  const out: ObjectId[] = [];
  const seen = new Set<ObjectId>();
  const stack: { id: ObjectId; type: ObjectType; from: ObjectId | null }[] = tips.map((id) => ({ id, type: 'commit', from: null }));
  while (stack.length > 0) {
    const { id, type, from } = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const where = staging.whereIs(id);
    if (where === undefined) {
      throw new CairnError('MISSING_OBJECT', `incomplete transfer: object ${id}${from === null ? '' : ` (reached from ${from})`} never arrived; run the command again to resume`, { id, from });
    }
    const info = staging.info(id)!;
    // A commit naming a chunk as its tree would hash fine and break every reader later.
    if (info.type !== type) throw new CairnError('BAD_FORMAT', `object ${id} is a ${info.type} but ${from ?? 'a ref'} uses it as a ${type}`, { id, from });
    if (where === 'store') continue;
    out.push(id);
    if (info.type === 'chunk') continue;
    const { data } = staging.get(id);
    if (info.type === 'commit') {
      const c = decodeCommit(data, `commit ${id}`);
      stack.push({ id: c.tree, type: 'tree', from: id });
      for (const p of c.parents) stack.push({ id: p, type: 'commit', from: id });
    } else if (info.type === 'tree') {
      for (const e of decodeTree(data, `tree ${id}`)) stack.push({ id: e.id, type: e.kind === 'tree' ? 'tree' : 'file', from: id });
    } else {
      const f = decodeFile(data, `file ${id}`);
      if (f.kind === 'chunked') for (const c of f.chunks) stack.push({ id: c.id, type: 'chunk', from: id });
    }
  }
  return out;
}
