// Test helpers for the json driver: random documents and edit scripts (fast-check), formatting, and a
// checker that a merged document holds each side's changes.
import fc from 'fast-check';
import { mergeJson } from '../../../src/core/merge/json-merge.js';
import type { MergeOutput } from '../../../src/core/merge/types.js';
import { parseJson } from '../../../src/core/merge/json-parse.js';
import {
  JsonObject,
  canonicalJson,
  isContainer,
  jsonEqual,
  kindOf,
  scalarKey,
  type JsonScalar,
  type JsonValue,
} from '../../../src/core/merge/json-value.js';

export type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

/** Few distinct keys and values, so random edits collide often (that is where merges get interesting). */
const KEYS = ['a', 'b', 'c', 'id', 'name', '__proto__', 'constructor', 'prototype', '1', '0', 'é'];
export const scalarArb: fc.Arbitrary<Plain> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 12 }),
  fc.constantFrom('x', 'y', 'z', '', 'a/b~c', 'line\nbreak', 'é'),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
);

function obj(entries: [string, Plain][]): { [k: string]: Plain } {
  const o = Object.create(null) as { [k: string]: Plain };
  for (const [k, v] of entries) o[k] = v;
  return o;
}

export const docArb: fc.Arbitrary<Plain> = fc.letrec<{ value: Plain; records: Plain }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('value')), { maxLength: 5, selector: (e) => e[0] }).map(obj),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(scalarArb, { maxLength: 6 }),
    fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 6 }).map((xs) => xs.sort((p, q) => p - q)),
    tie('records'),
  ),
  records: fc
    .uniqueArray(
      fc.tuple(fc.integer({ min: 1, max: 12 }), fc.dictionary(fc.constantFrom('name', 'qty', 'tags'), scalarArb, { maxKeys: 3 })),
      { maxLength: 6, selector: (r) => r[0] },
    )
    .map((rs) => rs.map(([id, fields]) => obj([['id', id], ...Object.entries(fields)]))),
})).value;

export interface Edit {
  path: number[];
  action: 'set' | 'delete' | 'insert' | 'modify';
  key: string;
  at: number;
  value: Plain;
}

export const editArb: fc.Arbitrary<Edit> = fc.record({
  path: fc.array(fc.nat(20), { maxLength: 4 }),
  action: fc.constantFrom('set', 'delete', 'insert', 'modify'),
  key: fc.constantFrom(...KEYS),
  at: fc.nat(20),
  value: fc.oneof(
    scalarArb,
    docArb,
    fc.record({ id: fc.integer({ min: 1, max: 15 }), name: scalarArb }).map((r) => obj(Object.entries(r))),
  ),
});

export function clone(v: Plain): Plain {
  if (Array.isArray(v)) return v.map(clone);
  if (v !== null && typeof v === 'object') return obj(Object.keys(v).map((k) => [k, clone(v[k]!)]));
  return v;
}

/** Applies edits to a copy of `doc`; each edit walks down by its path and changes the container it ends in. */
export function applyEdits(doc: Plain, edits: Edit[]): Plain {
  let root = clone(doc);
  for (const e of edits) {
    if (root === null || typeof root !== 'object') {
      root = clone(e.value);
      continue;
    }
    let cur: Plain[] | { [k: string]: Plain } = root;
    for (const step of e.path) {
      const kids: Plain[] = Array.isArray(cur) ? cur : Object.keys(cur).map((k) => (cur as { [k: string]: Plain })[k]!);
      const next = kids.length > 0 ? kids[step % kids.length]! : null;
      if (next === null || typeof next !== 'object') break;
      cur = next;
    }
    if (Array.isArray(cur)) {
      const i = e.at % (cur.length + 1);
      if (e.action === 'insert' || e.action === 'set' || cur.length === 0) cur.splice(i, 0, clone(e.value));
      else if (e.action === 'delete') cur.splice(i % cur.length, 1);
      else cur[i % cur.length] = clone(e.value);
    } else {
      const keys = Object.keys(cur);
      if (e.action === 'delete' && keys.length > 0) delete cur[keys[e.at % keys.length]!];
      else if (e.action === 'modify' && keys.length > 0) cur[keys[e.at % keys.length]!] = clone(e.value);
      else cur[e.key] = clone(e.value);
    }
  }
  return root;
}

export const formatArb = fc.record({ indent: fc.constantFrom<string | number | undefined>(undefined, 2, 4, '\t'), newline: fc.boolean() });
export type Format = { indent: string | number | undefined; newline: boolean };

export function write(v: Plain, f: Format = { indent: 2, newline: true }): Buffer {
  return Buffer.from(JSON.stringify(v, null, f.indent) + (f.newline ? '\n' : ''));
}

export function merge(
  base: Buffer | null,
  ours: Buffer,
  theirs: Buffer,
  extra: { favor?: 'ours' | 'theirs'; key?: string } = {},
): MergeOutput {
  return mergeJson({
    base,
    ours,
    theirs,
    path: 'doc.json',
    favor: extra.favor,
    options: extra.key === undefined ? undefined : { key: extra.key },
  });
}

export function data(buf: Buffer): string {
  return canonicalJson(parseJson(buf));
}

type V = JsonValue | undefined;
const eqU = (x: V, y: V): boolean => (x === undefined || y === undefined ? x === y : jsonEqual(x, y));

function idsOf(arr: JsonValue[]): Map<string, JsonValue> | null {
  const m = new Map<string, JsonValue>();
  for (const el of arr) {
    const id = el instanceof JsonObject ? el.get('id') : undefined;
    if (id === undefined || (kindOf(id) !== 'number' && kindOf(id) !== 'string') || m.has(scalarKey(id as JsonScalar))) return null;
    m.set(scalarKey(id as JsonScalar), el);
  }
  return m;
}

/**
 * Where `x` changed the base and a clean merge had to keep it, says what is missing from `result`
 * (null when nothing is). Objects and records by id are checked key by key; arrays of scalars by
 * counts (an insert survives, a delete the other side did not undo stays deleted); other arrays are
 * left to the symmetry and identity properties.
 */
export function missingChange(base: V, x: V, other: V, result: V, at = ''): string | null {
  if (eqU(base, x)) return null;
  if (eqU(base, other)) return eqU(result, x) ? null : `${at}: expected the changed side's value`;
  if (x === undefined || other === undefined || result === undefined) return null;
  const asObj = (v: V) => (v instanceof JsonObject ? v : JsonObject.empty());
  if (x instanceof JsonObject && other instanceof JsonObject && result instanceof JsonObject) {
    const b = asObj(base);
    for (const k of new Set([...b.keys, ...x.keys])) {
      const miss = missingChange(b.get(k), x.get(k), other.get(k), result.get(k), `${at}/${k}`);
      if (miss) return miss;
    }
    return null;
  }
  if (!Array.isArray(x) || !Array.isArray(other) || !Array.isArray(result)) return null;
  const b = Array.isArray(base) ? base : [];
  const [ib, ix, io, ir] = [idsOf(b), idsOf(x), idsOf(other), idsOf(result)];
  if (ib && ix && io && ir && b.length + x.length + other.length > 0) {
    for (const k of new Set([...ib.keys(), ...ix.keys()])) {
      const miss = missingChange(ib.get(k), ix.get(k), io.get(k), ir.get(k), `${at}[id=${k}]`);
      if (miss) return miss;
    }
    return null;
  }
  if (![b, x, other, result].every((arr) => arr.every((el) => !isContainer(el)))) return null;
  const count = (arr: JsonValue[]) => {
    const m = new Map<string, number>();
    for (const el of arr) m.set(canonicalJson(el), (m.get(canonicalJson(el)) ?? 0) + 1);
    return m;
  };
  const [cb, cx, co, cr] = [count(b), count(x), count(other), count(result)];
  for (const [k, n] of cx) if (n > (cb.get(k) ?? 0) && (cr.get(k) ?? 0) === 0) return `${at}: inserted ${k} is missing`;
  for (const [k, n] of cb)
    if ((cx.get(k) ?? 0) < n && (co.get(k) ?? 0) <= n && (cr.get(k) ?? 0) >= n) return `${at}: deleted ${k} came back`;
  return null;
}

/** A dataset-shaped document: records by id, a sorted tag list, a plain list, settings. */
export const datasetArb = (maxItems = 8): fc.Arbitrary<Plain> =>
  fc
    .record({
      items: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(40, maxItems * 2) }), {
        maxLength: maxItems,
        minLength: maxItems > 8 ? maxItems / 2 : 0,
      }),
      tags: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 5 }),
      list: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 6 }),
      qty: fc.array(scalarArb, { minLength: 8, maxLength: 8 }),
    })
    .map(({ items, tags, list, qty }) =>
      obj([
        [
          'items',
          items.map((id, i) =>
            obj([
              ['id', id],
              ['qty', qty[i % qty.length]!],
              ['name', `n${id}`],
            ]),
          ),
        ],
        ['tags', tags.sort()],
        ['list', list],
        [
          'settings',
          obj([
            ['a', 1],
            ['b', obj([['c', 'x']])],
          ]),
        ],
      ]),
    );

export interface DatasetEdit {
  kind: 'field' | 'drop-field' | 'add-record' | 'drop-record' | 'move-record' | 'tag' | 'drop-tag' | 'list' | 'setting';
  at: number;
  id: number;
  key: string;
  value: Plain;
}

export const datasetEditArb: fc.Arbitrary<DatasetEdit> = fc.record({
  kind: fc.constantFrom('field', 'drop-field', 'add-record', 'drop-record', 'move-record', 'tag', 'drop-tag', 'list', 'setting'),
  at: fc.nat(50),
  id: fc.integer({ min: 1, max: 60 }),
  key: fc.constantFrom('qty', 'name', 'note', '__proto__'),
  value: scalarArb,
});

export function applyDatasetEdits(doc: Plain, edits: DatasetEdit[]): Plain {
  const root = clone(doc) as { [k: string]: Plain };
  const items = root['items'] as { [k: string]: Plain }[];
  const tags = root['tags'] as string[];
  const list = root['list'] as Plain[];
  for (const e of edits) {
    const rec = items.length > 0 ? items[e.at % items.length]! : undefined;
    switch (e.kind) {
      case 'field':
        if (rec) rec[e.key] = e.value;
        break;
      case 'drop-field':
        if (rec && e.key !== 'id') delete rec[e.key];
        break;
      case 'add-record':
        if (!items.some((r) => r['id'] === e.id))
          items.splice(
            e.at % (items.length + 1),
            0,
            obj([
              ['id', e.id],
              ['name', e.value],
            ]),
          );
        break;
      case 'drop-record':
        if (rec) items.splice(e.at % items.length, 1);
        break;
      case 'move-record':
        if (rec) items.push(...items.splice(e.at % items.length, 1));
        break;
      case 'tag': {
        const tag = String.fromCharCode(97 + (e.id % 9));
        if (!tags.includes(tag)) {
          tags.push(tag);
          tags.sort();
        }
        break;
      }
      case 'drop-tag':
        if (tags.length > 0) tags.splice(e.at % tags.length, 1);
        break;
      case 'list':
        list.splice(e.at % (list.length + 1), e.id % 2, e.id % 7);
        break;
      case 'setting':
        (root['settings'] as { [k: string]: Plain })[e.key] = e.value;
        break;
    }
  }
  return root;
}

/** Three versions of one document plus how each is written: generic documents and edits, or datasets (small, and large enough that equality checks give up and merging looks inside) and record edits. */
export const scenarioArb = fc.oneof(
  fc
    .record({
      base: docArb,
      e1: fc.array(editArb, { minLength: 1, maxLength: 4 }),
      e2: fc.array(editArb, { minLength: 1, maxLength: 4 }),
      f0: formatArb,
      f1: formatArb,
      f2: formatArb,
    })
    .map((s) => ({ ...s, ours: applyEdits(s.base, s.e1), theirs: applyEdits(s.base, s.e2) })),
  fc
    .record({
      base: datasetArb(),
      e1: fc.array(datasetEditArb, { minLength: 1, maxLength: 5 }),
      e2: fc.array(datasetEditArb, { minLength: 1, maxLength: 5 }),
      f0: formatArb,
      f1: formatArb,
      f2: formatArb,
    })
    .map((s) => ({ ...s, ours: applyDatasetEdits(s.base, s.e1), theirs: applyDatasetEdits(s.base, s.e2) })),
  fc
    .record({
      base: datasetArb(120),
      e1: fc.array(datasetEditArb, { minLength: 1, maxLength: 8 }),
      e2: fc.array(datasetEditArb, { minLength: 1, maxLength: 8 }),
      f0: formatArb,
      f1: formatArb,
      f2: formatArb,
    })
    .map((s) => ({ ...s, ours: applyDatasetEdits(s.base, s.e1), theirs: applyDatasetEdits(s.base, s.e2) })),
);
