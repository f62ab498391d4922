// `cairn diff --structural` and `--format json-patch` end to end: golden human and --json output, and a
// patch that, applied to the old version, gives the new one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { applyJsonPatch, type JsonPatchOp } from '../../src/core/merge/json-patch.js';
import { parseJson } from '../../src/core/merge/json-parse.js';
import { toPlain } from '../../src/core/merge/json-plain.js';
import { jsonEqual } from '../../src/core/merge/json-value.js';

let tmp: { dir: string; cleanup: () => void };
let cwd: string;

const OLD_JSON = '{\n  "name": "w",\n  "price": 10,\n  "items": [{"id": 1, "q": 1}, {"id": 2, "q": 2}]\n}\n';
const NEW_JSON =
  '{\n  "name": "w",\n  "price": 12,\n  "items": [{"id": 2, "q": 3}, {"id": 3, "q": 0}],\n  "big": 123456789012345678901234567890\n}\n';

beforeAll(() => {
  tmp = tempDir('cairn-diff-structural-');
  cwd = tmp.dir;
  cairnOk(['init'], { cwd });
  writeFileSync(join(cwd, 'a.json'), OLD_JSON);
  writeFileSync(join(cwd, 'r.jsonl'), '{"id":1,"v":1}\n{"id":2,"v":2}\n');
  writeFileSync(join(cwd, 't.csv'), 'sku,qty\nA,1\nB,2\n');
  writeFileSync(join(cwd, 'x.txt'), 'hi\n');
  writeFileSync(join(cwd, 'bad.json'), '{}\n');
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'one'], { cwd });
  writeFileSync(join(cwd, 'a.json'), NEW_JSON);
  writeFileSync(join(cwd, 'r.jsonl'), '{"id":1,"v":1,"w":true}\n{"id":3,"v":3}\n');
  writeFileSync(join(cwd, 't.csv'), 'sku,qty,price\nA,5,1\nC,2,2\n');
  writeFileSync(join(cwd, 'x.txt'), 'ho\n');
  writeFileSync(join(cwd, 'bad.json'), '{"a": \n');
});
afterAll(() => tmp.cleanup());

describe('cairn diff --structural', () => {
  it('lists keys and records under each changed data file', () => {
    expect(cairnOk(['diff', '--structural'], { cwd })).toBe(
      [
        'M a.json (84 B -> 125 B)',
        '    ~ /price: 10 -> 12',
        '    - /items/0: {"id":1,"q":1}',
        '    ~ /items/1/q: 2 -> 3',
        '    + /items/1: {"id":3,"q":0}',
        '    + /big: 123456789012345678901234567890',
        'M bad.json (3 B -> 7 B)',
        `    (no structural diff: cannot decode JSON file 'bad.json' (new version): unexpected end of input at line 2 column 1)`,
        'M r.jsonl (30 B -> 39 B)',
        '    + key=1/w: true',
        '    - key=2: {"id":2,"v":2}',
        '    + key=3: {"id":3,"v":3}',
        'M t.csv (16 B -> 26 B)',
        '    + column=price',
        '    ~ key=A/qty: "1" -> "5"',
        '    - key=B: {"sku":"B","qty":"2"}',
        '    + key=C: {"sku":"C","qty":"2","price":"2"}',
        'M x.txt (3 B -> 3 B)',
        '',
      ].join('\n'),
    );
  });

  it('includes the structure in --json, numbers exact', () => {
    const out = cairnOk(['diff', '--structural', '--json', '--', 'a.json', 'x.txt'], { cwd });
    expect(out).toContain('"structural":{"format":"json","changes":[{"change":"changed","location":"/price","old":10,"new":12},');
    expect(out).toContain('{"change":"added","location":"/big","new":123456789012345678901234567890}]}}');
    const doc = JSON.parse(out) as { changes: { path: string; structural?: unknown }[] };
    expect(doc.changes.map((c) => [c.path, c.structural === undefined])).toEqual([
      ['a.json', false],
      ['x.txt', true],
    ]);
    // Without --structural, --json stays as it was: no structure, nothing read.
    expect(cairnOk(['diff', '--json', '--', 'a.json'], { cwd })).not.toContain('structural');
  });

  it('matches records by --key', () => {
    writeFileSync(join(cwd, 'k.jsonl'), '{"id":1,"sku":"a"}\n');
    cairnOk(['add', 'k.jsonl'], { cwd });
    writeFileSync(join(cwd, 'k.jsonl'), '{"id":2,"sku":"a"}\n');
    expect(cairnOk(['diff', '--structural', '--key', 'sku', '--', 'k.jsonl'], { cwd })).toBe(
      'M k.jsonl (19 B -> 19 B)\n    ~ key=a/id: 1 -> 2\n',
    );
  });
});

describe('cairn diff --format json-patch', () => {
  it('prints an RFC 6902 patch that turns the old version into the new one', () => {
    const out = cairnOk(['diff', '--format', 'json-patch', 'HEAD', '--', 'a.json'], { cwd });
    expect(out).toBe(
      '[{"op":"replace","path":"/price","value":12},{"op":"remove","path":"/items/0"},{"op":"replace","path":"/items/0/q","value":3},' +
        '{"op":"add","path":"/items/1","value":{"id":3,"q":0}},{"op":"add","path":"/big","value":123456789012345678901234567890}]\n',
    );
    // JSON.parse would round the big integer: read the patch with the exact parser.
    const patch = toPlain(parseJson(out)) as JsonPatchOp[];
    expect(patch).toHaveLength(5);
    expect(jsonEqual(applyJsonPatch(parseJson(OLD_JSON), patch), parseJson(NEW_JSON))).toBe(true);
  });

  it('prints [] when the file did not change, and refuses several files, added files and other formats', () => {
    cairnOk(['add', 'a.json'], { cwd });
    expect(cairnOk(['diff', '--format', 'json-patch', '--', 'a.json'], { cwd })).toBe('[]\n');
    expect(runCairn(['diff', '--format', 'json-patch'], { cwd }).code).toBe(2);
    expect(runCairn(['diff', '--format', 'yaml-patch', '--', 'a.json'], { cwd }).code).toBe(2);
    writeFileSync(join(cwd, 'new.json'), '{}');
    cairnOk(['add', 'new.json'], { cwd });
    expect(runCairn(['diff', '--cached', '--format', 'json-patch', '--', 'new.json'], { cwd }).code).toBe(2);
    expect(runCairn(['diff', '--format', 'json-patch', '--', 'bad.json'], { cwd }).code).toBe(7);
  });
});
