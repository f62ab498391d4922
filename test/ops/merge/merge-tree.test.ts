// The tree merge, kind by kind: clean adds/deletes/edits, driver merges, modify/delete, add/add,
// type changes, directory/file collisions, renames by content, favor, virtual-base mode, attributes.
import { afterEach, describe, expect, it } from 'vitest';
import { Attributes } from '../../../src/ops/merge/attributes.js';
import { mergeTrees, type TreeMergeOptions, type TreeMergeResult } from '../../../src/ops/merge/merge-tree.js';
import { flattenToMap } from '../../../src/ops/tree/tree-walk.js';
import { storeBuffer } from '../../../src/store/file-writer.js';
import { readWholeFile } from '../../../src/store/typed-objects.js';
import { buildTree, type Leaf } from '../../../src/ops/tree/tree-walk.js';
import { tempRepo, type FileSpec, type TempRepo } from '../../helpers/history-repo.js';

let t: TempRepo;
afterEach(() => t?.cleanup());

function tree(files: Record<string, FileSpec>): string {
  const leaves: Leaf[] = Object.entries(files).map(([path, f]) => {
    const [kind, body] =
      typeof f === 'string' || Buffer.isBuffer(f)
        ? (['file', f] as const)
        : 'symlink' in f
          ? (['symlink', f.symlink] as const)
          : (['exec', f.exec] as const);
    const s = storeBuffer(t.repo.objects, Buffer.isBuffer(body) ? body : Buffer.from(body));
    return { path, kind, id: s.id, size: s.size };
  });
  const id = buildTree(t.repo.objects, leaves).id;
  t.repo.objects.flush();
  return id;
}

function run(
  base: Record<string, FileSpec> | null,
  ours: Record<string, FileSpec>,
  theirs: Record<string, FileSpec>,
  extra: Partial<TreeMergeOptions> = {},
): TreeMergeResult & { files: Record<string, string> } {
  if (t === undefined || !t.repo) t = tempRepo();
  const res = mergeTrees(t.repo, {
    base: base === null ? null : tree(base),
    ours: tree(ours),
    theirs: tree(theirs),
    labels: { ours: 'main', theirs: 'topic' },
    ...extra,
  });
  const files: Record<string, string> = {};
  for (const [p, l] of flattenToMap(t.repo.objects, res.tree))
    files[p] = `${l.kind === 'file' ? '' : `${l.kind}:`}${readWholeFile(t.repo.objects, l.id).toString()}`;
  return { ...res, files };
}

describe('mergeTrees', () => {
  it('takes each side’s adds, deletes and edits of different paths', () => {
    t = tempRepo();
    const r = run({ a: 'a', b: 'b', 'd/c': 'c' }, { a: 'a2', b: 'b', 'd/c': 'c', 'd/new-ours': 'o' }, { a: 'a', 'd/c': 'c3', 'e/f': 'f' });
    expect(r.conflicts).toEqual([]);
    expect(r.files).toEqual({ a: 'a2', 'd/c': 'c3', 'd/new-ours': 'o', 'e/f': 'f' });
  });

  it('returns a side’s tree untouched when the other side did nothing', () => {
    t = tempRepo();
    const base = tree({ a: '1' });
    const ours = tree({ a: '2' });
    expect(mergeTrees(t.repo, { base, ours, theirs: base }).tree).toBe(ours);
    expect(mergeTrees(t.repo, { base, ours: base, theirs: ours }).tree).toBe(ours);
  });

  it('merges a JSON file both sides edited, key by key, through the json driver', () => {
    t = tempRepo();
    const r = run(
      { 'p.json': '{\n  "a": 1,\n  "b": 1\n}\n' },
      { 'p.json': '{\n  "a": 2,\n  "b": 1\n}\n' },
      { 'p.json': '{\n  "a": 1,\n  "b": 3\n}\n' },
    );
    expect(r.conflicts).toEqual([]);
    expect(r.merged).toEqual([{ path: 'p.json', driver: 'json', conflicts: 0, settled: 0 }]);
    expect(r.files['p.json']).toBe('{\n  "a": 2,\n  "b": 3\n}\n');
  });

  it('reports a JSON conflict by pointer, leaving ours’ value in a valid file', () => {
    t = tempRepo();
    const r = run({ 'p.json': '{"a": 1}\n' }, { 'p.json': '{"a": 2}\n' }, { 'p.json': '{"a": 3}\n' });
    expect(r.conflicts.map((c) => [c.path, c.kind, c.driver, c.conflicts])).toEqual([
      ['p.json', 'content', 'json', [{ location: '/a', kind: 'both-modified', base: 1, ours: 2, theirs: 3 }]],
    ]);
    expect(JSON.parse(r.files['p.json']!)).toEqual({ a: 2 });
  });

  it('writes text conflicts with markers labelled by branch', () => {
    t = tempRepo();
    const r = run({ 'n.txt': 'x\n' }, { 'n.txt': 'ours\n' }, { 'n.txt': 'theirs\n' });
    expect(r.conflicts[0]!.kind).toBe('content');
    expect(r.conflicts[0]!.driver).toBe('text');
    expect(r.files['n.txt']).toBe('<<<<<<< main\nours\n=======\ntheirs\n>>>>>>> topic\n');
  });

  it('reports modify/delete and delete/modify, keeping the modified version', () => {
    t = tempRepo();
    const r = run({ m: 'm', d: 'd' }, { m: 'm2' }, { d: 'd2' });
    expect(r.conflicts.map((c) => [c.path, c.kind])).toEqual([
      ['d', 'delete-modify'],
      ['m', 'modify-delete'],
    ]);
    expect(r.files).toEqual({ m: 'm2', d: 'd2' });
    expect(r.conflicts[1]!.conflicts[0]).toMatchObject({ location: '', kind: 'modify-delete', theirs: undefined });
  });

  it('reports add/add with differing content through the driver (no base)', () => {
    t = tempRepo();
    const r = run({}, { 'x.json': '{"k": 1}\n' }, { 'x.json': '{"k": 2, "j": 1}\n' });
    expect(r.conflicts.map((c) => [c.path, c.kind, c.conflicts.map((e) => e.location)])).toEqual([['x.json', 'add-add', ['/k']]]);
    expect(JSON.parse(r.files['x.json']!)).toEqual({ k: 1, j: 1 });
  });

  it('reports a symlink on one side and a file on the other as a type change', () => {
    t = tempRepo();
    const r = run({ l: 'x' }, { l: { symlink: 'target' } }, { l: 'y' });
    expect(r.conflicts.map((c) => [c.path, c.kind])).toEqual([['l', 'type-change']]);
    expect(r.files['l']).toBe('symlink:target');
  });

  it('merges the exec bit three-way', () => {
    t = tempRepo();
    const r = run({ s: 'x' }, { s: { exec: 'x' } }, { s: 'y' });
    expect(r.conflicts).toEqual([]);
    expect(r.files['s']).toBe('exec:y');
  });

  it('keeps the folder in a directory/file collision and moves the file beside it', () => {
    t = tempRepo();
    const r = run({ keep: 'k' }, { keep: 'k', a: 'file of ours' }, { keep: 'k', 'a/x': 'in folder' });
    expect(r.conflicts.map((c) => [c.path, c.kind, c.movedTo])).toEqual([['a', 'directory-file', 'a~main']]);
    expect(r.files).toEqual({ keep: 'k', 'a~main': 'file of ours', 'a/x': 'in folder' });
  });

  it('applies the other side’s edit to a file renamed on one side (rename by content)', () => {
    t = tempRepo();
    const r = run({ 'old.csv': 'id,v\n1,a\n' }, { 'new.csv': 'id,v\n1,a\n' }, { 'old.csv': 'id,v\n1,b\n' });
    expect(r.conflicts).toEqual([]);
    expect(r.renames).toEqual([{ from: 'old.csv', to: 'new.csv', side: 'ours' }]);
    expect(r.files).toEqual({ 'new.csv': 'id,v\n1,b\n' });
  });

  it('reports rename/rename to different paths and keeps both', () => {
    t = tempRepo();
    const r = run({ f: 'body' }, { g: 'body' }, { h: 'body' });
    expect(r.conflicts.map((c) => [c.path, c.kind, c.ours?.path, c.theirs?.path])).toEqual([['f', 'rename-rename', 'g', 'h']]);
    expect(r.files).toEqual({ g: 'body', h: 'body' });
  });

  it('reports a rename on one side of a file deleted on the other', () => {
    t = tempRepo();
    const r = run({ f: 'body', z: '1' }, { g: 'body', z: '1' }, { z: '2' });
    expect(r.conflicts.map((c) => [c.path, c.kind])).toEqual([['g', 'modify-delete']]);
    expect(r.files).toEqual({ g: 'body', z: '2' });
  });

  it('settles every conflict with favor and counts them', () => {
    t = tempRepo();
    const base = { 'p.json': '{"a": 1, "b": 1}\n', m: 'm', n: 'n\n' };
    const ours = { 'p.json': '{"a": 2, "b": 2}\n', m: 'm2', n: 'ours\n' };
    const theirs = { 'p.json': '{"a": 3, "b": 3}\n', n: 'theirs\n' };
    const r = run(base, ours, theirs, { favor: 'theirs' });
    expect(r.conflicts).toEqual([]);
    expect(r.settled).toBe(4);
    expect(r.files).toEqual({ 'p.json': '{"a": 3, "b": 3}\n', n: 'theirs\n' });
    const o = run(base, ours, theirs, { favor: 'ours' });
    expect(o.settled).toBe(4);
    expect(o.files).toEqual({ 'p.json': '{"a": 2, "b": 2}\n', m: 'm2', n: 'ours\n' });
  });

  it('in virtual-base mode keeps the base version of every conflicted path', () => {
    t = tempRepo();
    const r = run({ n: 'base\n', m: 'm', clean: '1' }, { n: 'o\n', clean: '2' }, { n: 't\n', m: 'm2', clean: '1' }, { virtual: true });
    expect(r.conflicts).toEqual([]);
    expect(r.files).toEqual({ n: 'base\n', m: 'm', clean: '2' });
  });

  it('uses the driver .cairnattributes names, with its key option', () => {
    t = tempRepo();
    const attributes = Attributes.parse('*.dat merge=json key=sku\n');
    const b = '[{"sku": "A", "q": 1}, {"sku": "B", "q": 1}]\n';
    const r = run(
      { 'x.dat': b },
      { 'x.dat': '[{"sku": "A", "q": 2}, {"sku": "B", "q": 1}]\n' },
      { 'x.dat': '[{"sku": "B", "q": 5}, {"sku": "A", "q": 1}]\n' },
      { attributes },
    );
    expect(r.merged[0]!.driver).toBe('json');
    expect(r.conflicts).toEqual([]);
    expect(JSON.parse(r.files['x.dat']!)).toContainEqual({ sku: 'A', q: 2 });
    expect(JSON.parse(r.files['x.dat']!)).toContainEqual({ sku: 'B', q: 5 });
  });

  it('falls back to the text driver when a .json version is not JSON', () => {
    t = tempRepo();
    const r = run({ 'bad.json': 'not json\n2\n3\n4\n' }, { 'bad.json': 'not json!\n2\n3\n4\n' }, { 'bad.json': 'not json\n2\n3\n4!\n' });
    expect(r.merged[0]).toMatchObject({ path: 'bad.json', driver: 'text' });
    expect(r.merged[0]!.fallback).toMatch(/^json driver:/);
    expect(r.files['bad.json']).toBe('not json!\n2\n3\n4!\n');
  });
});

describe('.cairnattributes patterns', () => {
  // The pattern language itself is PathPattern's, tested in test/core/glob-match.test.ts.
  it('apply a folder-only pattern to folders, never to a file of that name', () => {
    expect(Attributes.parse('folder/ merge=json\n').lookup('folder')).toEqual({ options: {} });
  });

  it('let the last matching line win per attribute', () => {
    const a = Attributes.parse('# comment\n*.json merge=text key=id\ndata/*.json merge=json key=sku\nbin/* binary\n');
    expect(a.lookup('data/x.json')).toEqual({ driver: 'json', options: { key: 'sku' } });
    expect(a.lookup('x.json')).toEqual({ driver: 'text', options: { key: 'id' } });
    expect(a.lookup('bin/blob')).toEqual({ driver: 'binary', options: {} });
    expect(a.lookup('other')).toEqual({ options: {} });
  });

  it('refuse an unknown driver, naming the line', () => {
    expect(() => Attributes.parse('\n*.x merge=yaml\n')).toThrow(/line 2/);
  });
});
