// `cairn merge-file` end to end, outside any repository: each driver by extension and by --driver, the
// file written in place (atomically, mode kept) or printed, exit codes, golden conflict reports, and the
// text driver against `git merge-file` on the same inputs.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCairn } from '../helpers/cli.js';
import { tripleFactory } from '../helpers/merge-triples.js';

const { triple, names: files } = tripleFactory('cairn-merge-file-');
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

const BASE_JSON = '{\n  "name": "widget",\n  "price": 10,\n  "stock": 5\n}\n';
const OURS_JSON = '{\n  "name": "widget",\n  "price": 12,\n  "stock": 5\n}\n';
const THEIRS_JSON = '{\n  "name": "widget",\n  "price": 10,\n  "stock": 7\n}\n';
const MERGED_JSON = '{\n  "name": "widget",\n  "price": 12,\n  "stock": 7\n}\n';

describe('cairn merge-file: json', () => {
  it('writes the clean structural merge into OURS, prints nothing, exits 0 (no repository needed)', () => {
    const dir = triple('.json', BASE_JSON, OURS_JSON, THEIRS_JSON);
    const r = runCairn(['merge-file', ...files('.json')], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(read(dir, 'ours.json')).toBe(MERGED_JSON);
    expect(existsSync(join(dir, '.cairn'))).toBe(false);
    // Written through a temporary file that was renamed: nothing else is left in the folder.
    expect(readdirSync(dir).sort()).toEqual(['base.json', 'ours.json', 'theirs.json']);
  });

  it('prints the result with -p and leaves OURS untouched', () => {
    const dir = triple('.json', BASE_JSON, OURS_JSON, THEIRS_JSON);
    const r = runCairn(['merge-file', '-p', ...files('.json')], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: MERGED_JSON, stderr: '' });
    expect(read(dir, 'ours.json')).toBe(OURS_JSON);
    expect(runCairn(['merge-file', '--stdout', ...files('.json')], { cwd: dir }).stdout).toBe(MERGED_JSON);
  });

  it("exits 1 on a conflict, keeps ours' value (valid JSON) and lists the conflict on stderr", () => {
    const theirs = THEIRS_JSON.replace('"price": 10', '"price": 11');
    const dir = triple('.json', BASE_JSON, OURS_JSON, theirs);
    const r = runCairn(['merge-file', ...files('.json')], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "merge-file: 1 conflict in ours.json (json driver; ours' value kept at each)\n  both-modified /price: base 10, ours 12, theirs 11\n",
    );
    expect(JSON.parse(read(dir, 'ours.json'))).toEqual({ name: 'widget', price: 12, stock: 7 });
  });

  it('reports conflicts as JSON with --json (exact numbers, absent sides left out)', () => {
    const base = '{"a": 1, "big": 1, "gone": {"x": 1}}\n';
    const ours = '{"a": 2, "big": 123456789012345678901234567890, "gone": {"x": 2}}\n';
    const theirs = '{"a": 3, "big": 1e400}\n';
    const dir = triple('.json', base, ours, theirs);
    const r = runCairn(['merge-file', '--json', ...files('.json')], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      '{"driver":"json","clean":false,"conflicts":[' +
        '{"location":"/a","kind":"both-modified","base":1,"ours":2,"theirs":3},' +
        '{"location":"/big","kind":"both-modified","base":1,"ours":123456789012345678901234567890,"theirs":1e400},' +
        '{"location":"/gone","kind":"modify-delete","base":{"x":1},"ours":{"x":2}}' +
        // Every conflict kept ours' value and nothing else changed: OURS is left as it was.
        '],"settled":0,"written":null}\n',
    );
  });

  it('settles conflicts with --favor theirs / --theirs / --ours and exits 0', () => {
    const theirs = THEIRS_JSON.replace('"price": 10', '"price": 11');
    for (const [flags, price] of [
      [['--favor', 'theirs'], 11],
      [['--theirs'], 11],
      [['--ours'], 12],
    ] as const) {
      const dir = triple('.json', BASE_JSON, OURS_JSON, theirs);
      const r = runCairn(['merge-file', ...flags, '--json', ...files('.json')], { cwd: dir });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ clean: true, settled: 1, conflicts: [] });
      expect(JSON.parse(read(dir, 'ours.json'))).toEqual({ name: 'widget', price, stock: 7 });
    }
  });

  it('merges arrays of records by --key', () => {
    const base = '[{"sku": "a", "n": 1}, {"sku": "b", "n": 1}]\n';
    const ours = '[{"sku": "b", "n": 1}, {"sku": "a", "n": 2}]\n';
    const theirs = '[{"sku": "a", "n": 1}, {"sku": "b", "n": 3}, {"sku": "c", "n": 1}]\n';
    const dir = triple('.json', base, ours, theirs);
    const r = runCairn(['merge-file', '-p', '--key', 'sku', ...files('.json')], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { sku: 'b', n: 3 },
      { sku: 'a', n: 2 },
      { sku: 'c', n: 1 },
    ]);
  });

  it('treats an empty BASE as "added on both sides" (what git passes as %O then)', () => {
    const dir = triple('.json', '', '{"a": 1}\n', '{"b": 2}\n');
    const r = runCairn(['merge-file', '-p', ...files('.json')], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ a: 1, b: 2 });
  });

  it('keeps the mode of OURS and writes through a symlink to its target', () => {
    const dir = triple('.json', BASE_JSON, OURS_JSON, THEIRS_JSON);
    chmodSync(join(dir, 'ours.json'), 0o600);
    symlinkSync('ours.json', join(dir, 'link.json'));
    const r = runCairn(['merge-file', 'base.json', 'link.json', 'theirs.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(read(dir, 'ours.json')).toBe(MERGED_JSON);
    expect(statSync(join(dir, 'ours.json')).mode & 0o777).toBe(0o600);
  });
});

describe('cairn merge-file: jsonl, csv, binary', () => {
  it('merges JSON Lines records field by field, chosen by extension', () => {
    const base = '{"id":1,"a":1,"b":1}\n{"id":2,"a":1,"b":1}\n';
    const ours = '{"id":1,"a":9,"b":1}\n{"id":2,"a":1,"b":1}\n';
    const theirs = '{"id":1,"a":1,"b":8}\n{"id":2,"a":1,"b":1}\n{"id":3,"a":0,"b":0}\n';
    const dir = triple('.jsonl', base, ours, theirs);
    const r = runCairn(['merge-file', ...files('.jsonl')], { cwd: dir });
    expect(r.code).toBe(0);
    expect(read(dir, 'ours.jsonl')).toBe('{"id":1,"a":9,"b":8}\n{"id":2,"a":1,"b":1}\n{"id":3,"a":0,"b":0}\n');
  });

  it('merges CSV cells by key, chosen by --driver for files without an extension', () => {
    const dir = triple('', 'sku,qty,price\nA,1,10\nB,2,20\n', 'sku,qty,price\nA,5,10\nB,2,20\n', 'sku,qty,price\nA,1,11\nB,2,20\n');
    const r = runCairn(['merge-file', '-p', '--driver', 'csv', '--key', 'sku', ...files('')], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: 'sku,qty,price\nA,5,11\nB,2,20\n', stderr: '' });
    // Without --driver the extensionless files are text, and the same edits conflict on one line.
    expect(runCairn(['merge-file', '-p', ...files('')], { cwd: dir }).code).toBe(1);
  });

  it('reports the conflict of a record cell with the key as location', () => {
    const dir = triple('.csv', 'id,v\n1,a\n', 'id,v\n1,b\n', 'id,v\n1,c\n');
    const r = runCairn(['merge-file', ...files('.csv')], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'merge-file: 1 conflict in ours.csv (csv driver; ours\' value kept at each)\n  both-modified key=1/v: base "a", ours "b", theirs "c"\n',
    );
    expect(read(dir, 'ours.csv')).toBe('id,v\n1,b\n');
  });

  it('uses a tab for --driver tsv', () => {
    const dir = triple('', 'id\tv\tw\n1\ta\ta\n', 'id\tv\tw\n1\tb\ta\n', 'id\tv\tw\n1\ta\tc\n');
    const r = runCairn(['merge-file', '-p', '--driver', 'tsv', ...files('')], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: 'id\tv\tw\n1\tb\tc\n', stderr: '' });
  });

  it('treats files with NUL bytes as binary: a conflict unless one side is unchanged', () => {
    const b = Buffer.from([0, 1, 2]);
    const dir = triple('.bin', b, Buffer.from([0, 1, 3]), Buffer.from([0, 1, 4]));
    const r = runCairn(['merge-file', '--json', ...files('.bin')], { cwd: dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      driver: 'binary',
      clean: false,
      conflicts: [{ location: '', kind: 'binary', base: { size: 3 }, ours: { size: 3 }, theirs: { size: 3 } }],
      settled: 0,
      written: null,
    });
    const dir2 = triple('.bin', b, b, Buffer.from([0, 9]));
    expect(runCairn(['merge-file', ...files('.bin')], { cwd: dir2 }).code).toBe(0);
    expect(readFileSync(join(dir2, 'ours.bin'))).toEqual(Buffer.from([0, 9]));
  });
});

describe('cairn merge-file: text, against git merge-file', () => {
  const cases: [string, string, string, string][] = [
    ['clean, different lines', 'a\nb\nc\nd\ne\n', 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n'],
    ['conflict on one line', 'a\nb\nc\n', 'a\nB\nc\n', 'a\nX\nc\n'],
    ['both sides the same change', 'a\nb\n', 'a\nz\n', 'a\nz\n'],
    ['no final newline', 'a\nb', 'a\nB', 'a\nC'],
    ['insertions at the same place', 'a\nc\n', 'a\nb1\nc\n', 'a\nb2\nc\n'],
    ['CRLF lines', 'a\r\nb\r\nc\r\n', 'a\r\nB\r\nc\r\n', 'a\r\nb\r\nC\r\n'],
  ];
  for (const [name, base, ours, theirs] of cases) {
    it(`gives git's bytes and exit status: ${name}`, () => {
      const dir = triple('.txt', base, ours, theirs);
      const git = spawnSync('git', ['merge-file', '-p', 'ours.txt', 'base.txt', 'theirs.txt'], { cwd: dir });
      const r = runCairn(['merge-file', '-p', '-q', ...files('.txt')], { cwd: dir });
      expect(r.stdout).toBe(git.stdout.toString('latin1'));
      expect(r.code).toBe(git.status === 0 ? 0 : 1);
    });
  }

  it('names the sides in markers with -L BASE -L OURS -L THEIRS', () => {
    const dir = triple('.txt', 'a\nb\nc\n', 'a\nB\nc\n', 'a\nX\nc\n');
    const r = runCairn(['merge-file', '-p', '-L', 'anc', '-L', 'mine', '-L', 'yours', ...files('.txt')], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('a\n<<<<<<< mine\nB\n=======\nX\n>>>>>>> yours\nc\n');
    expect(r.stderr).toBe('merge-file: 1 conflict in ours.txt (text driver; marked in the result)\n  both-modified lines 2-2\n');
  });
});

describe('cairn merge-file: errors', () => {
  it('exits 7 (BAD_FORMAT) on invalid JSON and leaves OURS as it was', () => {
    const dir = triple('.json', BASE_JSON, OURS_JSON, '{"a": ');
    const r = runCairn(['merge-file', '--json', ...files('.json')], { cwd: dir });
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout).error.code).toBe('BAD_FORMAT');
    expect(read(dir, 'ours.json')).toBe(OURS_JSON);
  });

  it('exits 4 when a file is missing, 2 on usage errors', () => {
    const dir = triple('.json', BASE_JSON, OURS_JSON, THEIRS_JSON);
    expect(runCairn(['merge-file', 'base.json', 'ours.json', 'missing.json'], { cwd: dir }).code).toBe(4);
    expect(runCairn(['merge-file', 'base.json', 'ours.json'], { cwd: dir }).code).toBe(2);
    expect(runCairn(['merge-file', '--driver', 'yaml', ...files('.json')], { cwd: dir }).code).toBe(2);
    expect(runCairn(['merge-file', '-p', '--json', ...files('.json')], { cwd: dir }).code).toBe(2);
    expect(runCairn(['merge-file', '--favor', 'newer', ...files('.json')], { cwd: dir }).code).toBe(2);
    expect(runCairn(['merge-file', '--ours', '--theirs', ...files('.json')], { cwd: dir }).code).toBe(2);
    expect(runCairn(['merge-file', '-L', 'a', '-L', 'b', '-L', 'c', '-L', 'd', ...files('.json')], { cwd: dir }).code).toBe(2);
    expect(runCairn(['merge-file', 'base.json', '.', 'theirs.json'], { cwd: dir }).code).toBe(2);
    expect(read(dir, 'ours.json')).toBe(OURS_JSON);
  });

  it('exits 7 when a configured --key is not unique', () => {
    const dir = triple('.jsonl', '{"k":1}\n', '{"k":1}\n{"k":1}\n', '{"k":2}\n');
    const r = runCairn(['merge-file', '--key', 'k', ...files('.jsonl')], { cwd: dir });
    expect(r.code).toBe(7);
  });
});
