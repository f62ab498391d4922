// The structural diff: JSON by pointer (records by id, other arrays as sequences), JSON Lines and CSV by
// record key then field, line fallback, every side of `diff` (commits, index, worktree), and the JSON
// Patch of a change applying to the old version to give the new one (also on random documents).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Repository } from '../../../src/store/repository.js';
import { add } from '../../../src/ops/add.js';
import { commit } from '../../../src/ops/commit.js';
import { diff } from '../../../src/ops/diff/diff.js';
import type { StructuralChange } from '../../../src/ops/diff/diff-types.js';
import { jsonPatchOf, structuralDiff, structuralFormat } from '../../../src/ops/diff/structural-diff.js';
import { applyJsonPatch, jsonDiff } from '../../../src/core/merge/json-patch.js';
import { parseJson } from '../../../src/core/merge/json-parse.js';
import { jsonEqual } from '../../../src/core/merge/json-value.js';
import { stringifyPlain } from '../../../src/core/merge/json-print.js';

const b = (s: string) => Buffer.from(s);
/** Changes as one line each, values in exact JSON text. */
const lines = (cs: StructuralChange[]) =>
  cs.map(
    (c) =>
      `${c.change} ${c.location}${c.old !== undefined ? ` ${stringifyPlain(c.old)}` : ''}${c.new !== undefined ? ` -> ${stringifyPlain(c.new)}` : ''}`,
  );

describe('structuralDiff: json', () => {
  it('lists changed, removed and added keys by pointer, with exact numbers', () => {
    const d = structuralDiff(
      'json',
      'a.json',
      b('{"a": 1, "b": {"c": 2, "d/e": 3}, "n": 1.50}'),
      b('{"a": 2, "b": {"c": 2, "x~": [1]}, "n": 1.5, "big": 1e400}'),
    );
    expect(d.format).toBe('json');
    expect(lines(d.changes)).toEqual([
      'changed /a 1 -> 2',
      'removed /b/d~1e 3',
      'added /b/x~0 -> [1]',
      'changed /n 1.50 -> 1.5',
      'added /big -> 1e400',
    ]);
  });

  it('matches records in arrays by id: removed at the old index, changed at the old, added at the new', () => {
    const old = '[{"id": 1, "v": 1}, {"id": 2, "v": 2}, {"id": 3, "v": 3}]';
    const cur = '[{"id": 3, "v": 3}, {"id": 2, "v": 9}, {"id": 4, "v": 4}]';
    expect(lines(structuralDiff('json', 'r.json', b(old), b(cur)).changes)).toEqual([
      'removed /0 {"id":1,"v":1}',
      'changed /1/v 2 -> 9',
      'added /2 -> {"id":4,"v":4}',
    ]);
    // Another identity field by option.
    const bySku = structuralDiff('json', 'r.json', b('[{"sku": "a", "n": 1}]'), b('[{"sku": "a", "n": 2}]'), { key: 'sku' });
    expect(lines(bySku.changes)).toEqual(['changed /0/n 1 -> 2']);
  });

  it('diffs other arrays as sequences', () => {
    expect(lines(structuralDiff('json', 'x.json', b('[1, 2, 3, 4]'), b('[1, 3, 5, 4, 6]')).changes)).toEqual([
      'removed /1 2',
      'added /2 -> 5',
      'added /4 -> 6',
    ]);
    expect(lines(structuralDiff('json', 'x.json', b('[1, 2, 3]'), b('[1, 7, 3]')).changes)).toEqual(['changed /1 2 -> 7']);
  });

  it('reports a change of the whole document at the empty pointer, and nothing for equal data', () => {
    expect(lines(structuralDiff('json', 'x.json', b('[1]'), b('{"a": 1}')).changes)).toEqual(['changed  [1] -> {"a":1}']);
    expect(structuralDiff('json', 'x.json', b('{"a": 1, "b": 2}'), b('{\n  "b": 2,\n  "a": 1\n}\n')).changes).toEqual([]);
  });

  it('treats __proto__ as an ordinary key', () => {
    const d = structuralDiff('json', 'x.json', b('{"__proto__": {"polluted": 1}}'), b('{"__proto__": {"polluted": 2}, "constructor": 1}'));
    expect(lines(d.changes)).toEqual(['changed /__proto__/polluted 1 -> 2', 'added /constructor -> 1']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('walks deep documents without recursion', () => {
    const deep = (leaf: string) => '['.repeat(9000) + leaf + ']'.repeat(9000);
    const d = structuralDiff('json', 'x.json', b(deep('1')), b(deep('2')));
    expect(d.changes).toHaveLength(1);
    expect(d.changes[0]!.location).toBe('/0'.repeat(9000));
  });

  it('throws BAD_FORMAT for a version that is not JSON', () => {
    expect(() => structuralDiff('json', 'x.json', b('{'), b('{}'))).toThrow(expect.objectContaining({ code: 'BAD_FORMAT' }));
  });
});

describe('structuralDiff: jsonl and csv', () => {
  it('matches JSON Lines records by id, then compares field by field', () => {
    const old = '{"id":1,"a":1,"b":"x"}\n{"id":2,"a":2}\n{"id":3,"a":3}\n';
    const cur = '{"id":3,"a":3}\n{"id":1,"a":1.0,"c":null}\n{"id":4,"a":12345678901234567890}\n';
    const d = structuralDiff('jsonl', 'r.jsonl', b(old), b(cur));
    expect(d.key).toBe('id');
    expect(lines(d.changes)).toEqual([
      'changed key=1/a 1 -> 1.0',
      'removed key=1/b "x"',
      'added key=1/c -> null',
      'removed key=2 {"id":2,"a":2}',
      'added key=4 -> {"id":4,"a":12345678901234567890}',
    ]);
  });

  it('detects another unique key, takes a configured one, and falls back to lines without one', () => {
    const d = structuralDiff('jsonl', 'r.jsonl', b('{"sku":"a","n":1}\n'), b('{"sku":"a","n":2}\n'));
    expect(d.key).toBe('sku');
    expect(lines(d.changes)).toEqual(['changed key=a/n 1 -> 2']);
    const noKey = structuralDiff('jsonl', 'r.jsonl', b('{"n":1}\n{"n":1}\n{"n":2}\n'), b('{"n":1}\n{"n":3}\n{"n":2}\n'));
    expect(noKey.key).toBeNull();
    expect(lines(noKey.changes)).toEqual(['removed line=2 "{\\"n\\":1}"', 'added line=2 -> "{\\"n\\":3}"']);
    expect(() => structuralDiff('jsonl', 'r.jsonl', b('{"n":1}\n{"n":1}\n'), b('{"n":1}\n'), { key: 'n' })).toThrow(
      expect.objectContaining({ code: 'BAD_FORMAT' }),
    );
  });

  it('compares CSV cells by key, and reports column changes once', () => {
    const old = 'sku,qty,note\r\nA,1,x\r\nB,2,"y, z"\r\n';
    const cur = 'sku,qty,price\r\nB,3,9\r\nA,1,1\r\nC,0,0\r\n';
    const d = structuralDiff('csv', 't.csv', b(old), b(cur));
    expect(d.key).toBe('sku');
    expect(lines(d.changes)).toEqual([
      'removed column=note',
      'added column=price',
      'changed key=B/qty "2" -> "3"',
      'added key=C -> {"sku":"C","qty":"0","price":"0"}',
    ]);
  });

  it('reads .tsv with tabs', () => {
    expect(structuralFormat('x/T.TSV')).toBe('csv');
    const d = structuralDiff('csv', 't.tsv', b('id\tv\n1\ta,b\n'), b('id\tv\n1\tc\n'));
    expect(lines(d.changes)).toEqual(['changed key=1/v "a,b" -> "c"']);
  });

  it('knows which paths it handles', () => {
    expect(['a.json', 'b.jsonl', 'c.ndjson', 'd.csv', 'e.txt', 'json'].map(structuralFormat)).toEqual([
      'json',
      'jsonl',
      'jsonl',
      'csv',
      null,
      null,
    ]);
  });
});

describe('diff with structural: every side', () => {
  const AUTHOR = { name: 'Test', email: 'test@example.com' };
  let dir: string;
  let repo: Repository;
  let clock = 1_700_000_000_000;
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  const snapshot = () => {
    add(repo, { paths: [''] });
    const res = commit(repo, { message: 'm', author: AUTHOR, time: (clock += 1000), tzOffset: 0 });
    if (!res.committed) throw new Error('nothing committed');
    return res.id;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-sdiff-'));
    repo = Repository.init(dir).repo;
  });
  afterEach(() => {
    repo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('attaches structure to modified data files only, for commits, index and worktree', () => {
    write('c.json', '{"a": 1}\n');
    write('t.txt', 'x\n');
    write('gone.json', '{}\n');
    const c1 = snapshot();
    write('c.json', '{"a": 2}\n');
    write('t.txt', 'y\n');
    rmSync(join(dir, 'gone.json'));
    write('new.json', '{"n": 1}\n');
    const c2 = snapshot();
    const res = diff(repo, { from: c1, to: c2, structural: true });
    expect(res.changes.map((c) => [c.path, c.structural?.format ?? null])).toEqual([
      ['c.json', 'json'],
      ['gone.json', null],
      ['new.json', null],
      ['t.txt', null],
    ]);
    expect(res.changes[0]!.structural).toEqual({ format: 'json', changes: [{ change: 'changed', location: '/a', old: 1, new: 2 }] });
    // Unstaged (index vs worktree), then staged (HEAD vs index), then a commit vs the worktree.
    write('c.json', '{"a": 3}\n');
    expect(diff(repo, { structural: true }).changes[0]!.structural).toEqual({
      format: 'json',
      changes: [{ change: 'changed', location: '/a', old: 2, new: 3 }],
    });
    add(repo, { paths: ['c.json'] });
    expect(diff(repo, { cached: true, structural: true }).changes[0]!.structural).toEqual({
      format: 'json',
      changes: [{ change: 'changed', location: '/a', old: 2, new: 3 }],
    });
    write('c.json', '{"a": 4}\n');
    expect(diff(repo, { from: c1, structural: { key: 'id' } }).changes[0]!.structural).toEqual({
      format: 'json',
      changes: [{ change: 'changed', location: '/a', old: 1, new: 4 }],
    });
    // Without the option nothing is read.
    expect(diff(repo, { from: c1 }).changes[0]!.structural).toBeUndefined();
  });

  it('takes the format and key from .cairnattributes', () => {
    write('.cairnattributes', '*.dat merge=json key=sku\nplain.json merge=text\n');
    write('a.dat', '[{"sku": "x", "n": 1}, {"sku": "y", "n": 1}]');
    write('plain.json', '{"a": 1}');
    snapshot();
    write('a.dat', '[{"sku": "y", "n": 1}, {"sku": "x", "n": 2}]');
    write('plain.json', '{"a": 2}');
    const res = diff(repo, { structural: true });
    expect(res.changes.map((c) => [c.path, c.structural ?? null])).toEqual([
      ['a.dat', { format: 'json', changes: [{ change: 'changed', location: '/0/n', old: 1, new: 2 }] }],
      ['plain.json', null],
    ]);
  });

  it('reports a version that does not parse as skipped, not as an error', () => {
    write('c.json', '{"a": 1}\n');
    snapshot();
    write('c.json', '{"a": \n');
    expect(diff(repo, { structural: true }).changes[0]!.structural).toMatchObject({ format: 'json', skipped: { code: 'BAD_FORMAT' } });
  });

  it('does not read a worktree file through a symlink', () => {
    write('c.json', '{"a": 1}\n');
    snapshot();
    rmSync(join(dir, 'c.json'));
    write('../outside.json', '{"secret": 1}\n');
    symlinkSync(join(dir, '..', 'outside.json'), join(dir, 'c.json'));
    const change = diff(repo, { structural: true }).changes[0]!;
    expect(change.change).toBe('typechange');
    expect(change.structural).toBeUndefined();
    rmSync(join(dir, '..', 'outside.json'));
  });

  it('gives a JSON Patch that turns the old version into the new one', () => {
    const old = '{"items": [{"id": 1, "q": 1}, {"id": 2, "q": 2}], "tags": ["a", "b"], "n": 1}\n';
    const cur = '{"items": [{"id": 2, "q": 3}, {"id": 3, "q": 0}], "tags": ["b", "a", "c"], "m": 123456789012345678901234567890}\n';
    write('doc.json', old);
    const c1 = snapshot();
    write('doc.json', cur);
    const c2 = snapshot();
    const res = diff(repo, { from: c1, to: c2 });
    const patch = jsonPatchOf(repo, res.from, res.to, res.changes[0]!);
    expect(jsonEqual(applyJsonPatch(parseJson(old), patch), parseJson(cur))).toBe(true);
    write('doc.txt', 'x');
    expect(() =>
      jsonPatchOf(
        repo,
        res.from,
        { type: 'worktree' },
        { path: 'doc.txt', change: 'added', old: null, new: { id: '0'.repeat(64), kind: 'file', size: 1 } },
      ),
    ).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('JSON Patch from jsonDiff, on random documents', () => {
  const key = fc.constantFrom('a', 'b', 'c', 'id', '__proto__', 'x/y', 'm~n');
  const doc = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom('s', 't', null, true, 1.5),
      tie('array'),
      tie('object'),
      tie('records'),
    ),
    array: fc.array(tie('value'), { maxLength: 5 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    records: fc
      .uniqueArray(fc.integer({ min: 1, max: 8 }), { maxLength: 5 })
      .chain((ids) => fc.tuple(...ids.map((id) => fc.record({ id: fc.constant(id), v: tie('value') })))),
  }));
  it('applies cleanly to the old version and gives the new one', () => {
    fc.assert(
      fc.property(doc.value, doc.value, (a, c) => {
        const old = Buffer.from(JSON.stringify(a) ?? 'null');
        const cur = Buffer.from(JSON.stringify(c) ?? 'null');
        const patched = applyJsonPatch(parseJson(old), jsonDiff(old, cur));
        expect(jsonEqual(patched, parseJson(cur))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
