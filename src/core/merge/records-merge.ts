// Keyed record merge shared by the jsonl and csv drivers: records matched by a key field, merged field by field,
// with a placement plan (ours' order, theirs' new records after their predecessor) that each format renders.
import { BadFormatError } from '../../errors.js';
import type { MergeConflict } from './types.js';

/** A record as the merge sees it: field name -> canonical value text (equal text means equal value), in the
 * record's own field order. Formats extend it with what they need to render the record again. */
export interface Rec {
  fields: Map<string, string>;
}

export type Side = 'ours' | 'theirs';
export type Where = (side: Side | 'base', index: number) => string;

export interface Merged<R extends Rec> {
  key: string;
  ours?: R;
  theirs?: R;
  /** The merged record's fields in output order, each with the side its value comes from. */
  fields: { name: string; from: Side }[];
  /** The merged record is exactly this side's record (same fields, values and order), so it can be copied as is. */
  same: Side | null;
}

export interface RecordsPlan<R extends Rec> {
  /** One slot per ours record, in ours' order: the merged record, or null when it is deleted. */
  kept: (Merged<R> | null)[];
  /** Records missing from ours that the merge adds, grouped by the ours record they follow (-1: before the first). */
  inserted: Map<number, Merged<R>[]>;
  conflicts: MergeConflict[];
  settled: number;
}

export interface Versions<R extends Rec> {
  base: R[];
  ours: R[];
  theirs: R[];
}

export interface RecordsOptions<R extends Rec> {
  key: string;
  favor?: Side;
  /** How a key value is written in a conflict location. */
  display: (canon: string) => string;
  /** A field's value (or with no field, the whole record) as JSON-able data for conflict reports. */
  report: (r: R, field?: string) => unknown;
}

/** The configured key, checked; else the first candidate (an `id` first) present, keyable and unique everywhere. */
export function chooseKey<R extends Rec>(
  candidates: string[],
  v: Versions<R>,
  keyable: (canon: string) => boolean,
  where: Where,
  configured?: string,
): string | null {
  if (configured !== undefined) {
    const problem = keyProblem(configured, v, keyable, where);
    if (problem)
      throw new BadFormatError(
        `cannot merge by key '${configured}': ${problem}; fix the data or configure another key in .cairnattributes`,
        { key: configured, problem },
      );
    return configured;
  }
  const ordered = [...new Set(candidates)].sort((a, b) => rank(a) - rank(b));
  return ordered.find((name) => keyProblem(name, v, keyable, where) === null) ?? null;
}

const rank = (name: string): number => (name === 'id' ? 0 : name.toLowerCase() === 'id' ? 1 : 2);

function keyProblem<R extends Rec>(name: string, v: Versions<R>, keyable: (canon: string) => boolean, where: Where): string | null {
  for (const side of ['ours', 'theirs', 'base'] as const) {
    const seen = new Set<string>();
    for (const [i, r] of v[side].entries()) {
      const value = r.fields.get(name);
      if (value === undefined || !keyable(value)) return `${where(side, i)} has no usable '${name}'`;
      if (seen.has(value)) return `${where(side, i)} repeats '${name}' value ${value}`;
      seen.add(value);
    }
  }
  return null;
}

function sameFields(a: Rec, b: Rec): boolean {
  if (a.fields === b.fields) return true;
  if (a.fields.size !== b.fields.size) return false;
  for (const [k, v] of a.fields) if (b.fields.get(k) !== v) return false;
  return true;
}

const whole = <R extends Rec>(key: string, side: Side, r: R): Merged<R> => ({
  key,
  [side]: r,
  fields: [...r.fields.keys()].map((name) => ({ name, from: side })),
  same: side,
});

/** Escaped like a JSON Pointer token, so '/' in a key value or field name cannot be mistaken for the separator. */
const token = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

export function mergeRecords<R extends Rec>(v: Versions<R>, opts: RecordsOptions<R>): RecordsPlan<R> {
  const keyOf = (r: R): string => r.fields.get(opts.key) as string;
  const index = (rs: R[]): Map<string, number> => new Map(rs.map((r, i) => [keyOf(r), i]));
  const baseAt = index(v.base);
  const oursAt = index(v.ours);
  const theirsAt = index(v.theirs);
  const conflicts: MergeConflict[] = [];
  let settled = 0;
  const location = (key: string, field?: string): string =>
    `key=${token(opts.display(key))}${field === undefined ? '' : `/${token(field)}`}`;
  const values = (field: string | undefined, b?: R, o?: R, t?: R): Pick<MergeConflict, 'base' | 'ours' | 'theirs'> => ({
    ...(b && (field === undefined || b.fields.has(field)) ? { base: opts.report(b, field) } : {}),
    ...(o && (field === undefined || o.fields.has(field)) ? { ours: opts.report(o, field) } : {}),
    ...(t && (field === undefined || t.fields.has(field)) ? { theirs: opts.report(t, field) } : {}),
  });

  const mergeBoth = (key: string, b: R | undefined, o: R, t: R): Merged<R> => {
    if (sameFields(o, t) || (b && sameFields(t, b))) return whole(key, 'ours', o);
    if (b && sameFields(o, b)) return whole(key, 'theirs', t);
    const names = [...o.fields.keys(), ...[...t.fields.keys()].filter((n) => !o.fields.has(n))];
    const fields: Merged<R>['fields'] = [];
    for (const name of names) {
      const [vb, vo, vt] = [b?.fields.get(name), o.fields.get(name), t.fields.get(name)];
      let from: Side;
      if (vo === vt || vt === vb) from = 'ours';
      else if (vo === vb) from = 'theirs';
      else if (opts.favor) {
        settled++;
        from = opts.favor;
      } else {
        const kind =
          vb === undefined ? 'add-add' : vo === undefined ? 'delete-modify' : vt === undefined ? 'modify-delete' : 'both-modified';
        conflicts.push({ location: location(key, name), kind, ...values(name, b, o, t) });
        from = 'ours';
      }
      if ((from === 'ours' ? vo : vt) !== undefined) fields.push({ name, from });
    }
    const oursNames = [...o.fields.keys()];
    const same = fields.length === oursNames.length && fields.every((f, i) => f.from === 'ours' && f.name === oursNames[i]) ? 'ours' : null;
    return { key, ours: o, theirs: t, fields, same };
  };

  const kept = v.ours.map((o): Merged<R> | null => {
    const key = keyOf(o);
    const bi = baseAt.get(key);
    const b = bi === undefined ? undefined : v.base[bi];
    const ti = theirsAt.get(key);
    if (ti !== undefined) return mergeBoth(key, b, o, v.theirs[ti] as R);
    if (!b || sameFields(o, b)) return b ? null : whole(key, 'ours', o);
    if (opts.favor) {
      settled++;
      return opts.favor === 'ours' ? whole(key, 'ours', o) : null;
    }
    conflicts.push({ location: location(key), kind: 'modify-delete', ...values(undefined, b, o) });
    return whole(key, 'ours', o);
  });

  // Where theirs' new records go: after the record preceding them in theirs that ours still has (for one ours
  // deleted, where it stood in the base), and after the records ours itself added there: ours' first, then theirs'.
  const afterOursOnly = new Int32Array(v.ours.length + 1);
  for (let i = v.ours.length - 1; i >= -1; i--) {
    const next = v.ours[i + 1];
    afterOursOnly[i + 1] = next && !baseAt.has(keyOf(next)) && !theirsAt.has(keyOf(next)) ? (afterOursOnly[i + 2] as number) : i;
  }
  const survivorBefore: number[] = [];
  for (const [i, r] of v.base.entries()) survivorBefore.push(oursAt.get(keyOf(r)) ?? (i > 0 ? (survivorBefore[i - 1] as number) : -1));
  const inserted = new Map<number, Merged<R>[]>();
  let predecessor = -1;
  for (const t of v.theirs) {
    const key = keyOf(t);
    const bi = baseAt.get(key);
    const oi = oursAt.get(key);
    if (oi !== undefined || bi !== undefined) predecessor = oi ?? (survivorBefore[bi as number] as number);
    if (oi !== undefined) continue;
    const b = bi === undefined ? undefined : v.base[bi];
    if (b && sameFields(t, b)) continue;
    const anchor = afterOursOnly[predecessor + 1] as number;
    if (b) {
      if (opts.favor) settled++;
      if (opts.favor !== 'theirs') {
        if (!opts.favor) conflicts.push({ location: location(key), kind: 'delete-modify', ...values(undefined, b, undefined, t) });
        continue;
      }
    }
    const group = inserted.get(anchor) ?? [];
    group.push(whole(key, 'theirs', t));
    inserted.set(anchor, group);
  }
  return { kept, inserted, conflicts, settled };
}

/** Strict UTF-8 (a BOM is kept, for the format to handle); a bad byte is reported with its line number. */
export function decodeUtf8(buf: Buffer, side: string, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    let lineNo = 1;
    for (let start = 0; start < buf.length; lineNo++) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl < 0 ? buf.length : nl + 1;
      try {
        new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf.subarray(start, end));
      } catch {
        break;
      }
      start = end;
    }
    throw new BadFormatError(`${path} (${side}): line ${lineNo} is not valid UTF-8`, { path, side, line: lineNo });
  }
}
