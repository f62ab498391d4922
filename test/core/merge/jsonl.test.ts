// The jsonl driver: record-by-record merge keyed by a field, byte-exact unchanged lines, hostile input, and the
// properties over seeded random tables and edit scripts (the merge laws themselves run for every driver in
// merge-laws.test.ts).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { CairnError } from '../../../src/errors.js';
import { mergeJsonl, scanObjectLine } from '../../../src/core/merge/jsonl-merge.js';
import type { MergeInput, MergeOutput } from '../../../src/core/merge/types.js';
import { CONFLICT, applyEdits, asData, edits, modelMerge, table, type Row } from './records-gen.js';
import { codeOf } from '../../helpers/errors.js';

const merge = (base: string | null, ours: string, theirs: string, extra: Partial<MergeInput> = {}): MergeOutput =>
  mergeJsonl({
    base: base === null ? null : Buffer.from(base),
    ours: Buffer.from(ours),
    theirs: Buffer.from(theirs),
    path: 'data.jsonl',
    ...extra,
  });
const J = (...records: unknown[]): string => records.map((r) => `${JSON.stringify(r)}\n`).join('');

describe('jsonl merge', () => {
  const base = J({ id: 1, name: 'a', qty: 1 }, { id: 2, name: 'b', qty: 2 }, { id: 3, name: 'c', qty: 3 });

  it('merges edits to different fields of one record cleanly', () => {
    const r = merge(
      base,
      J({ id: 1, name: 'A', qty: 1 }, { id: 2, name: 'b', qty: 2 }, { id: 3, name: 'c', qty: 3 }),
      J({ id: 1, name: 'a', qty: 10 }, { id: 2, name: 'b', qty: 2 }, { id: 3, name: 'c', qty: 3 }),
    );
    expect(r.conflicts).toEqual([]);
    expect(r.content.toString()).toBe(J({ id: 1, name: 'A', qty: 10 }, { id: 2, name: 'b', qty: 2 }, { id: 3, name: 'c', qty: 3 }));
  });

  it('copies unchanged lines byte for byte and writes merged records compactly', () => {
    const ours = '{ "id": 1, "name": "A", "qty": 1 }\n{"id":2,  "name":"b","qty":2}\n{"id":3,"name":"c","qty":3}\n';
    const theirs = J({ id: 1, name: 'a', qty: 9 }, { id: 2, name: 'b', qty: 2 }, { id: 3, name: 'c', qty: 3 });
    expect(merge(base, ours, theirs).content.toString()).toBe(
      '{"id":1,"name":"A","qty":9}\n{"id":2,  "name":"b","qty":2}\n{"id":3,"name":"c","qty":3}\n',
    );
  });

  it("applies deletions and keeps both sides' insertions in a deterministic order", () => {
    const ours = J({ id: 1, name: 'a', qty: 1 }, { id: 2, name: 'b', qty: 2 }, { id: 10, name: 'ours new' }, { id: 3, name: 'c', qty: 3 });
    const theirs = J({ id: 0, name: 'first' }, { id: 1, name: 'a', qty: 1 }, { id: 3, name: 'c', qty: 3 }, { id: 20, name: 'theirs new' });
    const r = merge(base, ours, theirs);
    expect(r.conflicts).toEqual([]);
    expect(r.content.toString()).toBe(
      J(
        { id: 0, name: 'first' },
        { id: 1, name: 'a', qty: 1 },
        { id: 10, name: 'ours new' },
        { id: 3, name: 'c', qty: 3 },
        { id: 20, name: 'theirs new' },
      ),
    );
  });

  it('reports field conflicts with key and field, keeping ours', () => {
    const r = merge(
      base,
      J({ id: 1, name: 'ours', qty: 1 }, { id: 2, name: 'b', qty: 2 }, { id: 3, name: 'c', qty: 3 }),
      J({ id: 1, name: 'theirs', qty: 1 }, { id: 2, name: 'b', qty: 2 }, { id: 3, name: 'c', qty: 3 }),
    );
    expect(r.conflicts).toEqual([{ location: 'key=1/name', kind: 'both-modified', base: 'a', ours: 'ours', theirs: 'theirs' }]);
    expect(r.content.toString().split('\n')[0]).toBe('{"id":1,"name":"ours","qty":1}');
  });

  it('reports modify/delete both ways', () => {
    const ours = J({ id: 1, name: 'a', qty: 1 }, { id: 2, name: 'B', qty: 2 });
    const theirs = J({ id: 1, name: 'a', qty: 1 }, { id: 3, name: 'C', qty: 3 });
    const r = merge(base, ours, theirs);
    expect(r.conflicts).toEqual([
      { location: 'key=2', kind: 'modify-delete', base: { id: 2, name: 'b', qty: 2 }, ours: { id: 2, name: 'B', qty: 2 } },
      { location: 'key=3', kind: 'delete-modify', base: { id: 3, name: 'c', qty: 3 }, theirs: { id: 3, name: 'C', qty: 3 } },
    ]);
    expect(r.content.toString()).toBe(ours);
    expect(merge(base, ours, theirs, { favor: 'theirs' })).toEqual({
      content: Buffer.from(J({ id: 1, name: 'a', qty: 1 }, { id: 3, name: 'C', qty: 3 })),
      conflicts: [],
      settled: 2,
    });
    expect(merge(base, ours, theirs, { favor: 'ours' })).toEqual({ content: Buffer.from(ours), conflicts: [], settled: 2 });
  });

  it('escapes / and ~ in locations like JSON Pointer tokens', () => {
    const r = merge(J({ sku: 'a/b~c', 'x/y': 1 }), J({ sku: 'a/b~c', 'x/y': 2 }), J({ sku: 'a/b~c', 'x/y': 3 }));
    expect(r.conflicts[0]?.location).toBe('key=a~1b~0c/x~1y');
  });

  it('prefers an id field, else the first field unique everywhere; options.key overrides', () => {
    const b = J({ n: 1, sku: 'x', v: 1 }, { n: 1, sku: 'y', v: 1 });
    const r = merge(b, J({ n: 1, sku: 'x', v: 2 }, { n: 1, sku: 'y', v: 1 }), J({ n: 1, sku: 'y', v: 1 }, { n: 1, sku: 'x', v: 1 }));
    expect(r.conflicts).toEqual([]);
    expect(r.content.toString()).toBe(J({ n: 1, sku: 'x', v: 2 }, { n: 1, sku: 'y', v: 1 }));
    expect(codeOf(() => merge(b, J({ n: 1, sku: 'x', v: 2 }), J({ n: 2, sku: 'y' }), { options: { key: 'n' } }))).toBe('BAD_FORMAT');
  });

  it('falls back to a text merge when no key works or lines are not objects', () => {
    const r = merge(J({ v: 1 }, { v: 1 }), J({ v: 2 }, { v: 1 }), J({ v: 1 }, { v: 3 }));
    expect(r.conflicts).toEqual([
      {
        location: 'lines 1-2',
        kind: 'both-modified',
        base: '{"v":1}\n{"v":1}\n',
        ours: '{"v":2}\n{"v":1}\n',
        theirs: '{"v":1}\n{"v":3}\n',
      },
    ]);
    expect(merge('[1]\n[2]\n[3]\n', '[0]\n[2]\n[3]\n', '[1]\n[2]\n[4]\n').content.toString()).toBe('[0]\n[2]\n[4]\n');
  });

  it('keeps CRLF endings, blank lines, a BOM and a missing final newline as in ours', () => {
    const b = '\uFEFF{"id":1,"v":1}\r\n\r\n{"id":2,"v":1}';
    const o = '\uFEFF{"id":1,"v":2}\r\n\r\n{"id":2,"v":1}';
    const t = '\uFEFF{"id":1,"v":1}\r\n{"id":2,"v":3}\r\n{"id":3,"v":3}\r\n';
    expect(merge(b, o, t).content.toString()).toBe('\uFEFF{"id":1,"v":2}\r\n\r\n{"id":2,"v":3}\r\n{"id":3,"v":3}');
  });

  it('keeps big integers and decimals digit for digit, and tells them apart', () => {
    const b = '{"id":1,"n":12345678901234567890,"d":0.1000000000000000000001}\n';
    const o = '{"id":1,"n":12345678901234567891,"d":0.1000000000000000000001}\n';
    const t = '{"id":1,"n":12345678901234567890,"d":0.1000000000000000000002,"e":1e400}\n';
    expect(merge(b, o, t).content.toString()).toBe('{"id":1,"n":12345678901234567891,"d":0.1000000000000000000002,"e":1e400}\n');
  });

  it('treats reordered keys inside a record as the same record', () => {
    expect(
      merge(
        base,
        '{"qty":1,"name":"a","id":1}\n' + J({ id: 2, name: 'b', qty: 2 }, { id: 3, name: 'c', qty: 3 }),
        J({ id: 1, name: 'a', qty: 1 }, { id: 2, name: 'b', qty: 2 }),
      ).conflicts,
    ).toEqual([]);
  });
});

describe('jsonl merge: hostile input', () => {
  it('__proto__, constructor and prototype are plain field names: no pollution, merged like any field', () => {
    const b = J({ id: 1 });
    const o = '{"id":1,"__proto__":{"polluted":true},"constructor":1}\n';
    const t = '{"id":1,"prototype":{"x":1}}\n';
    const r = merge(b, o, t);
    expect(r.content.toString()).toBe('{"id":1,"__proto__":{"polluted":true},"constructor":1,"prototype":{"x":1}}\n');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const c = merge(J({ id: 1 }), '{"id":1,"__proto__":1}\n', '{"id":1,"__proto__":2}\n');
    expect(c.conflicts).toEqual([{ location: 'key=1/__proto__', kind: 'add-add', ours: 1, theirs: 2 }]);
    expect(Object.getPrototypeOf(c.conflicts[0])).toBe(Object.prototype);
  });

  it('names the line of invalid JSON', () => {
    const e = (() => {
      try {
        merge(J({ id: 1 }), '{"id":1}\n{"id":2,}\n', J({ id: 3 }));
      } catch (err) {
        return err;
      }
    })() as CairnError;
    expect(e.code).toBe('BAD_FORMAT');
    expect(e.data).toEqual({ path: 'data.jsonl', side: 'ours', line: 2 });
  });

  it('refuses duplicate fields in a record, trailing garbage and bad literals', () => {
    for (const bad of ['{"id":1,"id":2}', '{"id":1} x', '{"id":tru}', '{"id":01}', '{"a":"\u0001"}', '{"id":1']) {
      expect(
        codeOf(() => merge(J({ id: 1 }), `${bad}\n`, J({ id: 2 }))),
        bad,
      ).toBe('BAD_FORMAT');
    }
  });

  it('names the line of invalid UTF-8', () => {
    const ours = Buffer.concat([Buffer.from('{"id":1}\n{"id":2,"v":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    try {
      mergeJsonl({ base: Buffer.from(J({ id: 1 })), ours, theirs: Buffer.from(J({ id: 3 })), path: 'data.jsonl' });
      expect.unreachable();
    } catch (e) {
      expect((e as CairnError).code).toBe('BAD_FORMAT');
      expect((e as CairnError).data).toMatchObject({ side: 'ours', line: 2 });
    }
  });

  it('merges a record nested 100,000 deep without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = merge(J({ id: 1, v: 1 }, { id: 2 }), `{"id":1,"v":${deep}}\n{"id":2}\n`, J({ id: 1, v: 1 }, { id: 2, w: 2 }));
    expect(r.conflicts).toEqual([]);
    expect(r.content.toString()).toBe(`{"id":1,"v":${deep}}\n{"id":2,"w":2}\n`);
  });

  it('merges a 5 MB line', () => {
    const big = 'x'.repeat(5_000_000);
    const r = merge(J({ id: 1, v: big }, { id: 2 }), J({ id: 1, v: big, w: 1 }, { id: 2 }), J({ id: 1, v: big }, { id: 2, z: 1 }));
    expect(r.content.toString()).toBe(J({ id: 1, v: big, w: 1 }, { id: 2, z: 1 }));
  });

  it('the line scanner agrees with JSON.parse on what is valid', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const fields = scanObjectLine(text);
        const parsed: unknown = JSON.parse(text);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) expect(fields).toBeNull();
        else expect([...(fields as Map<string, string>).keys()].sort()).toEqual(Object.keys(parsed).sort());
      }),
      { seed: 5, numRuns: 300 },
    );
  });
});

const line = (r: Row): string => JSON.stringify(Object.fromEntries([...r].map(([k, v]) => [k, k === 'id' ? Number(v) : v])));
const jsonl = (rows: Row[]): string => rows.map((r) => `${line(r)}\n`).join('');
const parseOut = (out: MergeOutput): Row[] =>
  out.content
    .toString()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => new Map(Object.entries(JSON.parse(l) as Record<string, unknown>).map(([k, v]) => [k, String(v)])));
const runs = { seed: 31337, numRuns: 300 };

describe('jsonl merge: properties', () => {
  it("merge(B, X, B') = X when theirs only reformatted B", () => {
    fc.assert(
      fc.property(table, edits(true), (b, e) => {
        const [base, x] = [jsonl(b), jsonl(applyEdits(b, e, 100))];
        const reformatted = base.replace(/,"/g, ', "');
        // Theirs only reformatted the base: its lines count as unchanged records (when ours did not change
        // anything at all, theirs' bytes are the result, by merge(B, B, X) = X).
        expect(merge(base, x, reformatted).content.toString()).toBe(x === base ? reformatted : x);
      }),
      runs,
    );
  });

  it("clean merges agree with the model, contain both sides' changes, and do not depend on which side is ours", () => {
    fc.assert(
      fc.property(table, edits(true), edits(true), (b, eo, et) => {
        const [o, t] = [applyEdits(b, eo, 100), applyEdits(b, et, 200)];
        const expected = modelMerge(b, o, t);
        const ab = merge(jsonl(b), jsonl(o), jsonl(t));
        const ba = merge(jsonl(b), jsonl(t), jsonl(o));
        expect(ab.conflicts.length === 0).toBe(expected !== CONFLICT);
        expect(ba.conflicts.length).toBe(ab.conflicts.length);
        if (expected === CONFLICT) return;
        expect(asData(parseOut(ab))).toEqual(asData(expected.values()));
        expect(asData(parseOut(ba))).toEqual(asData(expected.values()));
      }),
      runs,
    );
  });

  it("a conflicted merge is still valid JSON Lines holding ours' values where they conflict", () => {
    fc.assert(
      fc.property(table, edits(true), edits(true), (b, eo, et) => {
        const [o, t] = [applyEdits(b, eo, 100), applyEdits(b, et, 200)];
        const r = merge(jsonl(b), jsonl(o), jsonl(t));
        const out = parseOut(r);
        for (const c of r.conflicts) {
          const [, id, field] = /^key=([^/]+)(?:\/(.+))?$/.exec(c.location) ?? [];
          const kept = out.find((row) => row.get('id') === id);
          if (field === undefined) expect(kept === undefined).toBe(c.ours === undefined);
          else expect(kept?.get(field)).toBe(c.ours);
        }
      }),
      runs,
    );
  });
});
