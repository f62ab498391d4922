// The json merge driver case by case: what merges cleanly, what conflicts and how it is reported, and
// that the written file keeps ours' formatting.
import { describe, it, expect } from 'vitest';
import { CairnError } from '../../../src/errors.js';
import { mergeJson } from '../../../src/core/merge/json-merge.js';
import { JsonNumber } from '../../../src/core/merge/json-value.js';

function m(base: string | null, ours: string, theirs: string, extra: { favor?: 'ours' | 'theirs'; options?: Record<string, string> } = {}) {
  const r = mergeJson({
    base: base === null ? null : Buffer.from(base),
    ours: Buffer.from(ours),
    theirs: Buffer.from(theirs),
    path: 'data/x.json',
    ...extra,
  });
  return { text: r.content.toString('utf8'), conflicts: r.conflicts, settled: r.settled };
}
const J = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

describe('json merge: objects', () => {
  it('merges edits to different keys, recursively', () => {
    const r = m(J({ a: 1, b: { c: 1, d: 1 } }), J({ a: 2, b: { c: 1, d: 1 } }), J({ a: 1, b: { c: 1, d: 3 }, e: true }));
    expect(r.conflicts).toEqual([]);
    expect(r.text).toBe(J({ a: 2, b: { c: 1, d: 3 }, e: true }));
  });

  it("keeps ours' key order and appends theirs' new keys in theirs' order", () => {
    const r = m(J({ a: 1, b: 2 }), J({ b: 2, a: 1, z: 0 }), J({ y: 1, a: 1, b: 2, x: 2 }));
    expect(r.text).toBe(J({ b: 2, a: 1, z: 0, y: 1, x: 2 }));
  });

  it('reports both sides changing one value as a conflict at its pointer, keeping ours', () => {
    const r = m(J({ a: { 'b/c': 1 } }), J({ a: { 'b/c': 2 } }), J({ a: { 'b/c': 3 } }));
    expect(r.conflicts).toEqual([{ location: '/a/b~1c', kind: 'both-modified', base: 1, ours: 2, theirs: 3 }]);
    expect(r.text).toBe(J({ a: { 'b/c': 2 } }));
  });

  it('reports modify/delete, delete/modify, add/add and type changes with their kinds', () => {
    const r = m(J({ a: 1, b: 1, d: 1 }), J({ a: 2, c: 1, d: [1] }), J({ b: 2, c: 2, d: 2 }));
    expect(r.conflicts).toEqual([
      { location: '/a', kind: 'modify-delete', base: 1, ours: 2 },
      { location: '/c', kind: 'add-add', ours: 1, theirs: 2 },
      { location: '/d', kind: 'type-change', base: 1, ours: [1], theirs: 2 },
      { location: '/b', kind: 'delete-modify', base: 1, theirs: 2 },
    ]);
    // Ours' values where they conflict; b stays deleted as ours has it.
    expect(JSON.parse(r.text)).toEqual({ a: 2, c: 1, d: [1] });
  });

  it('takes a deletion when the other side did not touch the value, and an identical change once', () => {
    expect(JSON.parse(m(J({ a: 1, b: 1 }), J({ b: 1 }), J({ a: 1, b: 2 })).text)).toEqual({ b: 2 });
    expect(m(J({ a: 1 }), J({ a: 5 }), J({ a: 5, b: 1 })).text).toBe(J({ a: 5, b: 1 }));
  });

  it('merges objects both sides added under the same key, and files both sides added', () => {
    expect(JSON.parse(m(J({}), J({ n: { a: 1 } }), J({ n: { b: 2 } })).text)).toEqual({ n: { a: 1, b: 2 } });
    const r = m(null, J({ a: 1, same: 0 }), J({ b: 2, same: 0 }));
    expect(r.conflicts).toEqual([]);
    expect(JSON.parse(r.text)).toEqual({ a: 1, same: 0, b: 2 });
    expect(m(null, '1', '2').conflicts).toEqual([{ location: '', kind: 'add-add', ours: 1, theirs: 2 }]);
  });

  it('settles conflicts with favor and counts them', () => {
    const args = [J({ a: 1, b: 1, c: 1 }), J({ a: 2, b: 1 }), J({ a: 3, c: 2 })] as const;
    const t = m(...args, { favor: 'theirs' });
    expect([t.conflicts, t.settled, JSON.parse(t.text)]).toEqual([[], 2, { a: 3, c: 2 }]);
    const o = m(...args, { favor: 'ours' });
    expect([o.conflicts, o.settled, JSON.parse(o.text)]).toEqual([[], 2, { a: 2 }]);
  });
});

describe('json merge: arrays', () => {
  const items = (...rs: object[]) => J({ items: rs });

  it('merges records by id: edits to different records and fields, inserts after their predecessor', () => {
    const base = items({ id: 1, q: 1 }, { id: 2, q: 1 }, { id: 3, q: 1 });
    const ours = items({ id: 3, q: 1 }, { id: 1, q: 5 }, { id: 2, q: 1 }, { id: 9, q: 0 });
    const theirs = items({ id: 1, q: 1, note: 'x' }, { id: 2, q: 7 }, { id: 4, q: 4 }, { id: 3, q: 1 });
    const r = m(base, ours, theirs);
    expect(r.conflicts).toEqual([]);
    expect(JSON.parse(r.text).items).toEqual([
      { id: 3, q: 1 },
      { id: 1, q: 5, note: 'x' },
      { id: 2, q: 7 },
      { id: 4, q: 4 },
      { id: 9, q: 0 },
    ]);
  });

  it('uses the identity key from the attributes', () => {
    const base = J([
      { sku: 'a', n: 1 },
      { sku: 'b', n: 1 },
    ]);
    const r = m(
      base,
      J([
        { sku: 'b', n: 1 },
        { sku: 'a', n: 2 },
      ]),
      J([
        { sku: 'a', n: 1 },
        { sku: 'b', n: 3 },
      ]),
      { options: { key: 'sku' } },
    );
    expect(r.conflicts).toEqual([]);
    expect(JSON.parse(r.text)).toEqual([
      { sku: 'b', n: 3 },
      { sku: 'a', n: 2 },
    ]);
  });

  it('reports a record changed on one side and deleted on the other at its index, keeping ours', () => {
    const r = m(
      J([
        { id: 1, v: 1 },
        { id: 2, v: 1 },
      ]),
      J([
        { id: 1, v: 2 },
        { id: 2, v: 1 },
      ]),
      J([{ id: 2, v: 1 }]),
    );
    expect(r.conflicts).toEqual([{ location: '/0', kind: 'modify-delete', base: { id: 1, v: 1 }, ours: { id: 1, v: 2 } }]);
    expect(JSON.parse(r.text)).toEqual([
      { id: 1, v: 2 },
      { id: 2, v: 1 },
    ]);
    const t = m(
      J([
        { id: 1, v: 1 },
        { id: 2, v: 1 },
      ]),
      J([
        { id: 1, v: 2 },
        { id: 2, v: 1 },
      ]),
      J([{ id: 2, v: 1 }]),
      { favor: 'theirs' },
    );
    expect([JSON.parse(t.text), t.settled]).toEqual([[{ id: 2, v: 1 }], 1]);
  });

  it('keeps both concurrent inserts at one place, in an order that does not depend on the side', () => {
    const a = m('[1, 2, 9]', '[1, 2, "ours", 9]', '[1, 2, "theirs", 9]');
    const b = m('[1, 2, 9]', '[1, 2, "theirs", 9]', '[1, 2, "ours", 9]');
    expect(a.conflicts).toEqual([]);
    expect(JSON.parse(a.text)).toEqual([1, 2, 'ours', 'theirs', 9]);
    expect(JSON.parse(b.text)).toEqual(JSON.parse(a.text));
  });

  it('keeps an element both sides inserted once', () => {
    expect(JSON.parse(m('["a", "z"]', '["a", "m", "q", "z"]', '["a", "m", "r", "z"]').text)).toEqual(['a', 'm', 'q', 'r', 'z']);
    expect(JSON.parse(m('[{"x": 1}]', '[{"x": 1}, {"y": 2}]', '[{"x": 1}, {"y": 2}]').text)).toEqual([{ x: 1 }, { y: 2 }]);
  });

  it('keeps an array that is sorted in all three versions sorted', () => {
    const r = m('["b", "d", "f"]', '["a", "b", "d", "e", "f"]', '["b", "c", "f", "g"]');
    expect([r.conflicts, JSON.parse(r.text)]).toEqual([[], ['a', 'b', 'c', 'e', 'f', 'g']]);
    expect(JSON.parse(m('[30, 20, 10]', '[30, 25, 20, 10]', '[30, 20, 15, 10, 5]').text)).toEqual([30, 25, 20, 15, 10, 5]);
    const recs = m(
      J([{ id: 1 }, { id: 5 }]),
      J([{ id: 1 }, { id: 3 }, { id: 5 }]),
      J([{ id: 1 }, { id: 5 }, { id: 2 }].sort((x, y) => x.id - y.id)),
    );
    expect(JSON.parse(recs.text)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 5 }]);
  });

  it('applies deletions from both sides in one stretch', () => {
    expect(JSON.parse(m('[0, "a", "b", "c", 0]', '[0, "c", 0]', '[0, "a", 0]').text)).toEqual([0, 0]);
  });

  it('merges elements edited in place by both sides pairwise', () => {
    const r = m('[[1, 2], [3, 4]]', '[[1, 20], [3, 4]]', '[[10, 2], [3, 4]]');
    expect([r.conflicts, JSON.parse(r.text)]).toEqual([
      [],
      [
        [10, 20],
        [3, 4],
      ],
    ]);
    expect(m('["x", 1]', '["y", 1]', '["z", 1]').conflicts).toEqual([
      { location: '/0', kind: 'both-modified', base: 'x', ours: 'y', theirs: 'z' },
    ]);
  });

  it('reports clashing runs as one conflict on the array, whose two values keep every clean edit', () => {
    const r = m('[0, 1, 2, 3, 9]', '["first", 0, 1, "ours", 3, 9]', '[0, 1, "theirs", "too", 3, 9, "last"]');
    expect(r.conflicts).toEqual([
      {
        location: '',
        kind: 'both-modified',
        base: [0, 1, 2, 3, 9],
        ours: ['first', 0, 1, 'ours', 3, 9, 'last'],
        theirs: ['first', 0, 1, 'theirs', 'too', 3, 9, 'last'],
      },
    ]);
    expect(JSON.parse(r.text)).toEqual(r.conflicts[0]!.ours);
    expect(
      JSON.parse(m('[0, 1, 2, 3, 9]', '["first", 0, 1, "ours", 3, 9]', '[0, 1, "theirs", "too", 3, 9, "last"]', { favor: 'theirs' }).text),
    ).toEqual(r.conflicts[0]!.theirs);
  });
});

describe('json merge: the written file', () => {
  it("keeps ours' indentation, line endings, final newline and BOM", () => {
    const base = { a: 1, list: [1, 2], o: { x: 1 } };
    for (const [indent, eol, nl] of [
      ['\t', '\n', true],
      ['    ', '\r\n', false],
      [2, '\n', false],
    ] as const) {
      const ours = (JSON.stringify({ ...base, a: 2 }, null, indent) + (nl ? '\n' : '')).replace(/\n/g, eol);
      const r = m(J(base), ours, JSON.stringify({ ...base, o: { x: 2 } }));
      expect(r.text).toBe((JSON.stringify({ ...base, a: 2, o: { x: 2 } }, null, indent) + (nl ? '\n' : '')).replace(/\n/g, eol));
    }
    expect(m('{"a":1,"b":1}', '\ufeff{"a":2,"b":1}', '{"a":1,"b":2}').text).toBe('\ufeff{"a":2,"b":2}');
    expect(m('{"a": 1, "b": [1]}', '{"a": 2, "b": [1]}', '{"a":1,"b":[1,2]}\n').text).toBe('{"a": 2, "b": [1, 2]}');
  });

  it('copies what ours did not change byte for byte, odd spacing and one-line containers included', () => {
    const ours = '{\n  "keep":   [1,2,  3],\n  "rec": {"id": 1, "tags": ["a"]},\n  "n": 1\n}\n';
    const r = m(
      '{"keep":[1,2,3],"rec":{"id":1,"tags":["a"]},"n":1}',
      ours,
      '{"keep":[1,2,3],"rec":{"id":1,"tags":["a","b"]},"n":1,"new":{"k":[1]}}',
    );
    // The root changed, so it is written afresh (one space after ':'); "keep" inside it is ours' own text.
    expect(r.text).toBe(
      '{\n  "keep": [1,2,  3],\n  "rec": {"id": 1, "tags": ["a", "b"]},\n  "n": 1,\n  "new": {\n    "k": [\n      1\n    ]\n  }\n}\n',
    );
  });

  it("prints records theirs changed or added in the style of ours' records", () => {
    const ours = '[\n  {"id": 1, "v": 1},\n  {"id": 2, "v": 1}\n]\n';
    const r = m('[{"id":1,"v":1},{"id":2,"v":1}]', ours, '[{"id":1,"v":1},{"id":2,"v":2},{"id":3,"v":[3]}]');
    expect(r.text).toBe('[\n  {"id": 1, "v": 1},\n  {"id": 2, "v": 2},\n  {"id": 3, "v": [3]}\n]\n');
  });

  it("keeps every number's text and every unchanged string's spelling", () => {
    const ours = '{"big": 123456789012345678901234567890, "inf": 1e400, "dec": 0.1000, "s": "caf\\u00e9", "n": 1}';
    const r = m(
      '{"big": 123456789012345678901234567890, "inf": 1e400, "dec": 0.1000, "s": "caf\\u00e9", "n": 1}',
      ours,
      '{"big": 123456789012345678901234567890, "inf": 1e400, "dec": 0.1000, "s": "caf\\u00e9", "n": 2, "m": 1.50}',
    );
    expect(r.text).toBe('{"big": 123456789012345678901234567890, "inf": 1e400, "dec": 0.1000, "s": "caf\\u00e9", "n": 2, "m": 1.50}');
    const c = m('{"n": 1.0}', '{"n": 1e400}', '{"n": 123456789012345678901234567890}');
    expect(c.conflicts).toEqual([
      {
        location: '/n',
        kind: 'both-modified',
        base: new JsonNumber('1.0'),
        ours: new JsonNumber('1e400'),
        theirs: new JsonNumber('123456789012345678901234567890'),
      },
    ]);
  });

  it("returns an untouched side's file as it is", () => {
    const base = '{"a": 1}';
    const theirs = '{\n\n"a"  : 2 }';
    expect(m(base, base, theirs).text).toBe(theirs);
    expect(m(base, theirs, base).text).toBe(theirs);
  });

  it('names the file and the side of a document it cannot read', () => {
    try {
      m('{"b": 1}', '{"b": 2}', '{"a": 1, "a": 2}');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(CairnError);
      expect((e as CairnError).code).toBe('BAD_FORMAT');
      expect((e as CairnError).message).toContain("JSON file 'data/x.json' (theirs)");
    }
  });
});
