// Seeded generators for the records drivers' property tests: tables of keyed records, edit scripts, and a plain
// restatement of the merge rules (the model) that clean merges must agree with.
import fc from 'fast-check';

/** A record: field -> value; 'id' is the key. A missing field is absent, not empty. */
export type Row = Map<string, string>;

export const FIELDS = ['name', 'qty', 'note'] as const;

/** Values that need quoting in CSV, non-ASCII text, and numbers past double precision. */
export const value = fc.constantFrom('', 'a', 'b', 'x y', 'a,b', 'say "hi"', 'two\nlines', 'é', '0', '12345678901234567890', '\t');

export const table: fc.Arbitrary<Row[]> = fc
  .uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 8 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc
          .tuple(value, value, value)
          .map((vs) => new Map([['id', String(id)], ...FIELDS.map((f, i): [string, string] => [f, vs[i] as string])])),
      ),
    ),
  );

export type Op =
  | { kind: 'set'; at: number; field: string; value: string }
  | { kind: 'unset'; at: number; field: string }
  | { kind: 'del'; at: number }
  | { kind: 'ins'; at: number; values: string[] };

export const edits = (withUnset: boolean): fc.Arbitrary<Op[]> =>
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), field: fc.constantFrom(...FIELDS), value }),
      ...(withUnset ? [fc.record({ kind: fc.constant('unset' as const), at: fc.nat(), field: fc.constantFrom(...FIELDS) })] : []),
      fc.record({ kind: fc.constant('del' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('ins' as const), at: fc.nat(), values: fc.tuple(value, value, value) }),
    ),
    { maxLength: 5 },
  );

/** Applies an edit script; inserted records get ids from `firstNewId` up, so two sides never add the same id. */
export function applyEdits(rows: Row[], ops: Op[], firstNewId: number): Row[] {
  const out = rows.map((r) => new Map(r));
  let next = firstNewId;
  for (const op of ops) {
    if (op.kind === 'ins') {
      out.splice(
        op.at % (out.length + 1),
        0,
        new Map([['id', String(next++)], ...FIELDS.map((f, i): [string, string] => [f, op.values[i] as string])]),
      );
      continue;
    }
    if (out.length === 0) continue;
    const at = op.at % out.length;
    if (op.kind === 'del') out.splice(at, 1);
    else if (op.kind === 'set') out[at]!.set(op.field, op.value);
    else out[at]!.delete(op.field);
  }
  return out;
}

export const CONFLICT = Symbol('conflict');

/** The merge rules restated plainly: per key, per field, one side's change wins over the other's silence. */
export function modelMerge(base: Row[], ours: Row[], theirs: Row[]): Map<string, Row> | typeof CONFLICT {
  const byId = (rows: Row[]): Map<string, Row> => new Map(rows.map((r) => [r.get('id') as string, r]));
  const [b, o, t] = [byId(base), byId(ours), byId(theirs)];
  const equal = (x: Row, y: Row): boolean => x.size === y.size && [...x].every(([k, v]) => y.get(k) === v);
  const out = new Map<string, Row>();
  for (const id of new Set([...o.keys(), ...t.keys(), ...b.keys()])) {
    const [rb, ro, rt] = [b.get(id), o.get(id), t.get(id)];
    if (ro && rt) {
      const merged: Row = new Map();
      for (const f of new Set([...ro.keys(), ...rt.keys()])) {
        const [vb, vo, vt] = [rb?.get(f), ro.get(f), rt.get(f)];
        const v = vo === vt || vt === vb ? vo : vo === vb ? vt : CONFLICT;
        if (v === CONFLICT) return CONFLICT;
        if (v !== undefined) merged.set(f, v);
      }
      out.set(id, merged);
    } else if (ro || rt) {
      const side = (ro ?? rt) as Row;
      if (!rb) out.set(id, side);
      else if (!equal(side, rb)) return CONFLICT;
    }
  }
  return out;
}

/** Records as comparable data: sorted by id, fields sorted by name. */
export function asData(rows: Iterable<Row>): string[][][] {
  return [...rows]
    .map((r) => [...r].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    .sort((x, y) => Number(x.find(([k]) => k === 'id')?.[1]) - Number(y.find(([k]) => k === 'id')?.[1]));
}
