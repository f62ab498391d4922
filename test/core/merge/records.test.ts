// The keyed record merge under both record drivers: key choice, field-level rules, conflict kinds, and where
// records new to ours are placed.
import { describe, it, expect } from 'vitest';
import type { CairnError } from '../../../src/errors.js';
import { chooseKey, mergeRecords, type Merged, type Rec, type RecordsPlan } from '../../../src/core/merge/records-merge.js';

type R = Rec & { name: string };
const rec = (name: string, fields: Record<string, string>): R => ({ name, fields: new Map(Object.entries(fields)) });
const where = (side: string, i: number): string => `record ${i + 1} of ${side}`;
const plan = (base: R[], ours: R[], theirs: R[], favor?: 'ours' | 'theirs'): RecordsPlan<R> =>
  mergeRecords(
    { base, ours, theirs },
    { key: 'id', ...(favor ? { favor } : {}), display: (c) => c, report: (r, f) => (f === undefined ? r.name : r.fields.get(f)) },
  );
/** The merged sequence as keys, in output order. */
const order = (p: RecordsPlan<R>): string[] =>
  [...(p.inserted.get(-1) ?? []), ...p.kept.flatMap((m, i) => [...(m ? [m] : []), ...(p.inserted.get(i) ?? [])])].map(
    (m: Merged<R>) => m.key,
  );
const ids = (...keys: string[]): R[] => keys.map((k) => rec(k, { id: k }));

describe('key choice', () => {
  const v = {
    base: [rec('b1', { n: '1', sku: 'a', id: 'x' })],
    ours: [rec('o1', { n: '1', sku: 'a', id: 'x' }), rec('o2', { n: '1', sku: 'b', id: 'x' })],
    theirs: [],
  };

  it('takes the first candidate present and unique in every version, trying id first', () => {
    expect(chooseKey(['n', 'sku', 'id'], v, () => true, where)).toBe('sku');
    expect(
      chooseKey(
        ['n', 'sku', 'ID'],
        { base: [], ours: [rec('a', { n: '1', ID: '1' }), rec('b', { n: '1', ID: '2' })], theirs: [] },
        () => true,
        where,
      ),
    ).toBe('ID');
    expect(chooseKey(['n'], v, () => true, where)).toBeNull();
  });

  it('refuses a configured key that is missing or repeated, naming the record', () => {
    try {
      chooseKey(['sku'], v, () => true, where, 'n');
      expect.unreachable();
    } catch (e) {
      expect((e as CairnError).code).toBe('BAD_FORMAT');
      expect((e as CairnError).message).toContain('record 2 of ours');
    }
  });
});

describe('record merge rules', () => {
  it('a record added on both sides merges field by field; differing fields conflict as add-add', () => {
    const p = plan([], [rec('o', { id: '1', a: 'x', b: 'same' })], [rec('t', { id: '1', a: 'y', b: 'same', c: 'new' })]);
    expect(p.conflicts).toEqual([{ location: 'key=1/a', kind: 'add-add', ours: 'x', theirs: 'y' }]);
    expect(p.kept[0]?.fields).toEqual([
      { name: 'id', from: 'ours' },
      { name: 'a', from: 'ours' },
      { name: 'b', from: 'ours' },
      { name: 'c', from: 'theirs' },
    ]);
  });

  it('removing a field is a change like any other', () => {
    const base = [rec('b', { id: '1', a: 'x', b: 'y' })];
    const p = plan(base, [rec('o', { id: '1', a: 'X', b: 'y' })], [rec('t', { id: '1', a: 'x' })]);
    expect(p.conflicts).toEqual([]);
    expect(p.kept[0]?.fields.map((f) => f.name)).toEqual(['id', 'a']);
    const q = plan(base, [rec('o', { id: '1', a: 'x', b: 'Y' })], [rec('t', { id: '1', a: 'x' })]);
    expect(q.conflicts).toEqual([{ location: 'key=1/b', kind: 'modify-delete', base: 'y', ours: 'Y' }]);
  });

  it('favor settles field and record conflicts and counts them', () => {
    const base = [rec('b1', { id: '1', a: 'x' }), rec('b2', { id: '2', a: 'x' })];
    const p = plan(base, [rec('o1', { id: '1', a: 'o' }), rec('o2', { id: '2', a: 'o' })], [rec('t1', { id: '1', a: 't' })], 'theirs');
    expect(p.conflicts).toEqual([]);
    expect(p.settled).toBe(2);
    expect(p.kept.map((m) => m?.fields.find((f) => f.name === 'a')?.from ?? null)).toEqual(['theirs', null]);
  });

  it('a record unchanged on one side and deleted on the other is deleted, without conflict', () => {
    const p = plan(ids('1', '2'), ids('1'), ids('1', '2'));
    expect([order(p), p.conflicts]).toEqual([['1'], []]);
  });
});

describe('placement of records new to ours', () => {
  it('goes after its predecessor in theirs, after records ours added at the same place', () => {
    expect(order(plan(ids('a', 'b'), ids('a', 'x', 'b'), ids('a', 'y', 'b')))).toEqual(['a', 'x', 'y', 'b']);
    expect(order(plan(ids('a', 'b'), ids('x', 'a', 'b'), ids('y', 'a', 'b')))).toEqual(['x', 'y', 'a', 'b']);
  });

  it('when ours deleted the predecessor, goes where that record stood in the base', () => {
    expect(order(plan(ids('a', 'b', 'c'), ids('a', 'c'), ids('a', 'b', 'n', 'c')))).toEqual(['a', 'n', 'c']);
    expect(order(plan(ids('a', 'b', 'c'), ids('c', 'a'), ids('a', 'b', 'n', 'c')))).toEqual(['c', 'a', 'n']);
  });

  it("keeps theirs' order among its new records and ours' order overall", () => {
    expect(order(plan(ids('a', 'b'), ids('b', 'a'), ids('a', 'n1', 'n2', 'b', 'n3')))).toEqual(['b', 'n3', 'a', 'n1', 'n2']);
  });
});
