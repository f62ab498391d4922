// The csv/tsv driver: cell-by-cell merge keyed by a column, ours' header, quoting and line endings kept, header
// changes, hostile input, and properties over seeded random tables and edit scripts (the merge laws
// themselves run for every driver in merge-laws.test.ts).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CairnError } from '../../../src/errors.js';
import { delimiterFor, mergeCsv } from '../../../src/core/merge/csv-merge.js';
import { needsQuotes, parseCsv, quote } from '../../../src/core/merge/csv-parse.js';
import type { MergeInput, MergeOutput } from '../../../src/core/merge/types.js';
import { CONFLICT, FIELDS, applyEdits, asData, edits, modelMerge, table, type Row } from './records-gen.js';

const merge = (base: string | null, ours: string, theirs: string, extra: Partial<MergeInput> = {}): MergeOutput =>
  mergeCsv({
    base: base === null ? null : Buffer.from(base),
    ours: Buffer.from(ours),
    theirs: Buffer.from(theirs),
    path: 'data.csv',
    ...extra,
  });

function errorOf(f: () => unknown): CairnError {
  try {
    f();
  } catch (e) {
    if (e instanceof CairnError) return e;
    throw e;
  }
  throw new Error('expected a CairnError');
}

const BASE = 'id,name,qty\n1,apple,3\n2,"pear, green",5\n3,plum,7\n';

describe('csv merge', () => {
  it('two people editing different cells of one row is not a conflict', () => {
    const r = merge(BASE, 'id,name,qty\n1,Apple,3\n2,"pear, green",5\n3,plum,7\n', 'id,name,qty\n1,apple,4\n2,"pear, green",5\n3,plum,7\n');
    expect(r).toEqual({ content: Buffer.from('id,name,qty\n1,Apple,4\n2,"pear, green",5\n3,plum,7\n'), conflicts: [], settled: 0 });
  });

  it('reports a cell edited both ways at key and column, keeping ours', () => {
    const r = merge(
      BASE,
      'id,name,qty\n1,apple,30\n2,"pear, green",5\n3,plum,7\n',
      'id,name,qty\n1,apple,31\n2,"pear, green",5\n3,plum,7\n',
    );
    expect(r.conflicts).toEqual([{ location: 'key=1/qty', kind: 'both-modified', base: '3', ours: '30', theirs: '31' }]);
    expect(r.content.toString()).toBe('id,name,qty\n1,apple,30\n2,"pear, green",5\n3,plum,7\n');
    expect(
      merge(BASE, 'id,name,qty\n1,apple,30\n2,"pear, green",5\n3,plum,7\n', 'id,name,qty\n1,apple,31\n2,"pear, green",5\n3,plum,7\n', {
        favor: 'theirs',
      }),
    ).toEqual({
      content: Buffer.from('id,name,qty\n1,apple,31\n2,"pear, green",5\n3,plum,7\n'),
      conflicts: [],
      settled: 1,
    });
  });

  it('applies deletions, keeps insertions, and reports modify/delete with whole rows', () => {
    const ours = 'id,name,qty\n1,apple,3\n2,"pear, green",6\n4,kiwi,1\n';
    const theirs = 'id,name,qty\n1,apple,3\n3,plum,7\n5,fig,2\n';
    const r = merge(BASE, ours, theirs);
    expect(r.conflicts).toEqual([
      {
        location: 'key=2',
        kind: 'modify-delete',
        base: { id: '2', name: 'pear, green', qty: '5' },
        ours: { id: '2', name: 'pear, green', qty: '6' },
      },
    ]);
    expect(r.content.toString()).toBe('id,name,qty\n1,apple,3\n2,"pear, green",6\n4,kiwi,1\n5,fig,2\n');
  });

  it('keeps quoting of unchanged cells, quotes new cells only when needed or like their column', () => {
    const base = '"id","name",qty\r\n"1","a",1\r\n"2","b",2\r\n';
    const ours = '"id","name",qty\r\n"1","a",10\r\n"2","b",2\r\n';
    const theirs = 'id,name,qty\r\n1,"a, b",1\r\n2,b,2\r\n3,c,"x""y"\r\n';
    expect(merge(base, ours, theirs).content.toString()).toBe('"id","name",qty\r\n"1","a, b",10\r\n"2","b",2\r\n"3","c","x""y"\r\n');
  });

  it('keeps a missing final newline and a BOM as in ours', () => {
    const r = merge('\uFEFFid,v\n1,a\n2,b', '\uFEFFid,v\n1,A\n2,b', '\uFEFFid,v\n1,a\n2,b\n3,c\n');
    expect(r.content.toString()).toBe('\uFEFFid,v\n1,A\n2,b\n3,c');
  });

  it('takes a column added by one side, filling rows the other side added', () => {
    const r = merge(
      BASE,
      'id,name,qty\n1,apple,3\n2,"pear, green",5\n3,plum,7\n9,new,0\n',
      'id,name,qty,note\n1,apple,3,ripe\n2,"pear, green",5,\n3,plum,7,"sour, dark"\n',
    );
    expect(r.conflicts).toEqual([]);
    expect(r.content.toString()).toBe('id,name,qty,note\n1,apple,3,ripe\n2,"pear, green",5,\n3,plum,7,"sour, dark"\n9,new,0,\n');
  });

  it('drops a column removed by one side, unless the other side edited a cell in it', () => {
    const theirs = 'id,name\n1,apple\n2,"pear, green"\n3,plum\n';
    expect(merge(BASE, BASE.replace('1,apple,3', '1,APPLE,3'), theirs).content.toString()).toBe(
      'id,name\n1,APPLE\n2,"pear, green"\n3,plum\n',
    );
    const r = merge(BASE, BASE.replace('1,apple,3', '1,apple,4'), theirs);
    expect(r.conflicts).toEqual([{ location: 'key=1/qty', kind: 'modify-delete', base: '3', ours: '4' }]);
    expect(r.content.toString()).toBe('id,name,qty\n1,apple,4\n2,"pear, green",\n3,plum,\n');
  });

  it('follows the side that reordered the header', () => {
    const r = merge(BASE, 'id,name,qty\n1,apple,3\n2,"pear, green",5\n3,plum,8\n', 'qty,id,name\n3,1,apple\n5,2,"pear, green"\n7,3,plum\n');
    expect(r.content.toString()).toBe('qty,id,name\n3,1,apple\n5,2,"pear, green"\n8,3,plum\n');
  });

  it('unions columns appended on both sides; other concurrent header changes merge as text', () => {
    const r = merge('id,a\n1,x\n', 'id,a,b\n1,x,ours\n', 'id,a,c\n1,x,theirs\n');
    expect(r.content.toString()).toBe('id,a,b,c\n1,x,ours,theirs\n');
    const t = merge('id,a,b\n1,x,y\n', 'id,A,b\n1,x,y\n', 'id,a,B\n1,x,y\n');
    expect(t.conflicts).toEqual([{ location: 'lines 1-1', kind: 'both-modified', base: 'id,a,b\n', ours: 'id,A,b\n', theirs: 'id,a,B\n' }]);
  });

  it('detects the key: id first (any case), else the first column unique in all versions', () => {
    const r = merge('name,ID,v\nx,1,a\nx,2,b\n', 'name,ID,v\nx,1,A\nx,2,b\n', 'name,ID,v\nx,2,B\nx,1,a\n');
    expect(r.content.toString()).toBe('name,ID,v\nx,1,A\nx,2,B\n');
    const s = merge('n,sku,v\n1,a,1\n1,b,1\n', 'n,sku,v\n1,a,2\n1,b,1\n', 'n,sku,v\n1,b,3\n1,a,1\n');
    expect(s.content.toString()).toBe('n,sku,v\n1,a,2\n1,b,3\n');
  });

  it('falls back to a text merge without a usable key; a configured key that does not work is an error', () => {
    expect(merge('v\na\na\nb\n', 'v\nA\na\nb\n', 'v\na\na\nB\n').content.toString()).toBe('v\nA\na\nB\n');
    const e = errorOf(() => merge(BASE, BASE.replace('3,plum,7', '3,plum,5'), BASE.replace('apple', 'y'), { options: { key: 'qty' } }));
    expect(e.code).toBe('BAD_FORMAT');
    expect(e.data).toMatchObject({ key: 'qty' });
  });

  it('merges tab-separated values, by extension or option', () => {
    const r = mergeCsv({
      base: Buffer.from('id\tv\n1\ta\n'),
      ours: Buffer.from('id\tv\n1\tA\n'),
      theirs: Buffer.from('id\tv\n1\ta\n2\tb c\n'),
      path: 'x.tsv',
    });
    expect(r.content.toString()).toBe('id\tv\n1\tA\n2\tb c\n');
    expect(delimiterFor({ path: 'x.csv', options: { delimiter: 'tab' } })).toBe('\t');
    expect(delimiterFor({ path: 'x.txt', options: { delimiter: ';' } })).toBe(';');
    expect(errorOf(() => delimiterFor({ path: 'x.csv', options: { delimiter: ';;' } })).code).toBe('USAGE');
  });
});

describe('csv merge: hostile input', () => {
  it('names the side and line of malformed CSV and of invalid UTF-8', () => {
    expect(errorOf(() => merge(BASE, 'id,name\n1,"open\n', BASE.replace('plum', 'x'))).data).toEqual({
      path: 'data.csv',
      side: 'ours',
      line: 2,
    });
    const bad = Buffer.concat([Buffer.from('id,v\n1,a\n2,'), Buffer.from([0xff]), Buffer.from('\n')]);
    const e = errorOf(() => mergeCsv({ base: Buffer.from('id,v\n'), ours: Buffer.from('id,v\n1,a\n'), theirs: bad, path: 'x.csv' }));
    expect([e.code, e.data.side, e.data.line]).toEqual(['BAD_FORMAT', 'theirs', 3]);
  });

  it('a __proto__ column is an ordinary column in reports', () => {
    const r = merge('id,__proto__\n1,a\n', 'id,__proto__\n1,b\n', 'id,__proto__\n1,c\n');
    expect(r.conflicts[0]?.location).toBe('key=1/__proto__');
    const whole = merge('id,__proto__\n1,a\n', 'id,__proto__\n1,b\n', 'id,__proto__\n');
    expect(Object.hasOwn(whole.conflicts[0]?.ours as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).b).toBeUndefined();
  });

  it('rows longer than the header or repeated column names merge as text', () => {
    expect(merge('id,v\n1,a\n2,b\n3,c\n4,d\n', 'id,v\n1,A\n2,b\n3,c\n4,d\n', 'id,v\n1,a\n2,b\n3,c\n4,d,extra\n').content.toString()).toBe(
      'id,v\n1,A\n2,b\n3,c\n4,d,extra\n',
    );
    expect(merge('id,id\n1,a\n2,b\n', 'id,id\n1,A\n2,b\n', 'id,id\n1,a\n2,B\n').conflicts).toHaveLength(1);
  });
});

/** Rows written with a random quoting style and line ending, so the output can be checked against ours' style. */
const csv = (rows: Row[], eol: string, quoteAll: boolean, finalEol = true): string => {
  const cols = ['id', ...FIELDS];
  const cell = (v: string): string => (quoteAll || needsQuotes(v, ',') ? quote(v) : v);
  const lines = [cols.map(cell).join(','), ...rows.map((r) => cols.map((c) => cell(r.get(c) ?? '')).join(','))];
  return lines.join(eol) + (finalEol ? eol : '');
};
const parseOut = (out: MergeOutput): Row[] => {
  const [header, ...rows] = parseCsv(out.content.toString(), ',').filter((r) => !r.blank);
  const cols = header?.fields.map((f) => f.value) ?? [];
  return rows.map((r) => new Map(cols.map((c, i) => [c, r.fields[i]?.value ?? ''])));
};
const style = fc.record({ eol: fc.constantFrom('\n', '\r\n'), quoteAll: fc.boolean(), finalEol: fc.boolean() });
const runs = { seed: 8080, numRuns: 300 };

describe('csv merge: properties', () => {
  it("merge(B, X, B') = X when theirs only requoted B", () => {
    fc.assert(
      fc.property(table, edits(false), style, (b, e, s) => {
        const [base, x] = [csv(b, s.eol, s.quoteAll), csv(applyEdits(b, e, 100), s.eol, s.quoteAll)];
        const requoted = csv(b, s.eol, !s.quoteAll);
        expect(merge(base, x, requoted).content.toString()).toBe(x === base ? requoted : x);
      }),
      runs,
    );
  });

  it("clean merges agree with the model and do not depend on which side is ours; output keeps ours' style", () => {
    fc.assert(
      fc.property(table, edits(false), edits(false), style, (b, eo, et, s) => {
        const [o, t] = [applyEdits(b, eo, 100), applyEdits(b, et, 200)];
        const expected = modelMerge(b, o, t);
        const [base, ours, theirs] = [csv(b, s.eol, s.quoteAll), csv(o, s.eol, s.quoteAll, s.finalEol), csv(t, '\n', false)];
        const ab = merge(base, ours, theirs);
        const ba = merge(base, theirs, ours);
        expect(ab.conflicts.length === 0).toBe(expected !== CONFLICT);
        expect(ba.conflicts.length).toBe(ab.conflicts.length);
        if (expected === CONFLICT) return;
        expect(asData(parseOut(ab))).toEqual(asData(expected.values()));
        expect(asData(parseOut(ba))).toEqual(asData(expected.values()));
        if (ours === base) return;
        const rows = parseCsv(ab.content.toString(), ',');
        // Ours' line ending rules; a file with no line break at all gives no rule, and theirs' is taken.
        const eol = ours.includes('\n') ? s.eol : '\n';
        expect(rows.slice(0, -1).every((r) => r.eol === eol)).toBe(true);
        expect(rows[rows.length - 1]?.eol === eol).toBe(s.finalEol);
        if (s.quoteAll && o.length > 0) expect(rows.every((r) => r.fields.every((f) => f.raw.startsWith('"')))).toBe(true);
        // Every row of ours that the merge left as it was is there byte for byte.
        const written = new Set(rows.map((r) => r.raw));
        const oursRows = parseCsv(ours, ',').slice(1);
        for (const [i, row] of o.entries()) {
          const merged = expected.get(row.get('id') as string);
          if (merged && asData([merged])[0]?.join() === asData([row])[0]?.join())
            expect(written.has(oursRows[i]?.raw as string)).toBe(true);
        }
      }),
      runs,
    );
  });
});
