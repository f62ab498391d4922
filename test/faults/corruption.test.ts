// Damaged storage is never served as data: a flipped byte in a chunk, file, tree or commit record, a
// truncated or deleted pack, or a lost index row makes reads fail with CORRUPT_OBJECT /
// MISSING_OBJECT naming the object, `cairn cat` exit 7, and `cairn fsck` name exactly the damage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CAIRN_BIN, TEST_ENV, cairnOk } from '../helpers/cli.js';
import { deleteIndexRow, deletePackOf, flipByte, locate, noise, truncatePackAt } from '../helpers/fsck-damage.js';
import { Repository } from '../../src/store/repository.js';
import { resolveRevision } from '../../src/ops/history/rev-parse.js';
import { lookupPath } from '../../src/ops/tree/tree-walk.js';
import { readCommit, readFileObject } from '../../src/store/typed-objects.js';
import type { FsckResult } from '../../src/ops/fsck.js';

let work: string;
let pristine: string;
const BIG_CSV = Buffer.from(
  Array.from({ length: 12_000 }, (_, i) => `${i},${(i * 7919) % 1000},name${i % 37},${(i * 31) % 97}\n`).join(''),
);
const NOISE = noise(250_000, 3);
// Over COMPRESS_MIN (4 KiB) so the inline file object is stored deflated.
const NOTES = Buffer.from('notes: '.repeat(1000));

interface Ids {
  head: string;
  dataTree: string;
  notes: string;
  csvChunks: string[];
  noiseChunks: string[];
}
let ids: Ids;

function put(root: string, path: string, data: string | Buffer): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), data);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cairn-corrupt-'));
  pristine = join(work, 'pristine');
  mkdirSync(pristine);
  const cwd = pristine;
  cairnOk(['init'], { cwd });
  put(cwd, 'a.txt', 'alpha\n');
  put(cwd, 'data/notes.txt', NOTES);
  put(cwd, 'data/big.csv', BIG_CSV);
  put(cwd, 'data/sub/deep.json', '{"v":1}\n');
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'one'], { cwd });
  put(cwd, 'a.txt', 'alpha beta\n');
  put(cwd, 'data/sub/noise.bin', NOISE);
  cairnOk(['commit', '-a', '-m', 'two'], { cwd, env: { CAIRN_COMMIT_TIME: '1700000001000' } });
  put(cwd, 'data/sub/deep.json', '{"v":2}\n');
  cairnOk(['commit', '-a', '-m', 'three'], { cwd, env: { CAIRN_COMMIT_TIME: '1700000002000' } });
  const repo = Repository.open(cwd);
  try {
    const head = resolveRevision(repo, 'HEAD');
    const root = readCommit(repo.objects, head).tree;
    const chunks = (path: string) => {
      const f = readFileObject(repo.objects, lookupPath(repo.objects, root, path)!.id);
      if (f.kind !== 'chunked') throw new Error(`${path} should be chunked`);
      return f.chunks.map((c) => c.id);
    };
    ids = {
      head,
      dataTree: lookupPath(repo.objects, root, 'data')!.id,
      notes: lookupPath(repo.objects, root, 'data/notes.txt')!.id,
      csvChunks: chunks('data/big.csv'),
      noiseChunks: chunks('data/sub/noise.bin'),
    };
  } finally {
    repo.close();
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let copies = 0;
/** A fresh copy of the pristine repository for one kind of damage. */
function copy(): string {
  const dir = join(work, `copy-${++copies}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

/** Runs the built binary keeping stdout as bytes: corrupted data must not reach it. */
function run(args: string[], cwd: string): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [CAIRN_BIN, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...TEST_ENV },
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

function fsckJson(dir: string): { code: number; res: FsckResult } {
  const r = run(['fsck', '--json'], dir);
  return { code: r.code, res: JSON.parse(r.stdout.toString('utf8')) as FsckResult };
}

function readError(dir: string, id: string): { code?: string; data?: Record<string, unknown> } {
  const repo = Repository.open(dir);
  try {
    repo.objects.get(id);
  } catch (err) {
    return err as { code?: string; data?: Record<string, unknown> };
  } finally {
    repo.close();
  }
  return {};
}

const short = (id: string) => id.slice(0, 12);

describe('a flipped byte inside an object record', () => {
  it('in the build: the fixtures cover a compressed and a raw chunk, and a compressed file object', () => {
    expect(ids.csvChunks.length).toBeGreaterThan(2);
    expect(ids.noiseChunks.length).toBeGreaterThan(2);
    expect(locate(pristine, ids.csvChunks[1]!).comp).toBe(1);
    expect(locate(pristine, ids.noiseChunks[1]!).comp).toBe(0);
    expect(locate(pristine, ids.notes).comp).toBe(1);
    expect(run(['fsck'], pristine).code).toBe(0);
  });

  const chunkCases = [
    { name: 'a deflated chunk', file: 'data/big.csv', content: () => BIG_CSV, chunks: () => ids.csvChunks },
    { name: 'a raw chunk', file: 'data/sub/noise.bin', content: () => NOISE, chunks: () => ids.noiseChunks },
  ];
  for (const c of chunkCases) {
    it(`in ${c.name}: reads fail, cat stops before the damage with exit 7, fsck names the chunk`, () => {
      const dir = copy();
      const chunks = c.chunks();
      const victim = chunks[1]!;
      flipByte(dir, victim);
      const err = readError(dir, victim);
      expect(err.code).toBe('CORRUPT_OBJECT');
      // The advice must be one that works: `fetch --repair` brings back lost objects, not damaged ones.
      expect((err as Error).message).toMatch(/cairn fsck.*backup or clone it again/);
      expect((err as Error).message).not.toMatch(/fetch the object/);
      expect(err.data?.['id']).toBe(victim);

      const cat = run(['cat', `HEAD:${c.file}`], dir);
      expect(cat.code).toBe(7);
      expect(cat.stderr).toContain(victim);
      // Only whole, verified chunks before the damaged one may have been printed.
      expect(cat.stdout.length).toBeLessThanOrEqual(locate(dir, chunks[0]!).rawLen);
      expect(cat.stdout.equals(c.content().subarray(0, cat.stdout.length))).toBe(true);

      const { code, res } = fsckJson(dir);
      expect(code).toBe(7);
      expect(res.ok).toBe(false);
      expect(res.problems.map((p) => [p.id, p.kind, p.type, p.path])).toEqual([
        [victim, 'corrupt', 'chunk', `refs/heads/main: commit ${short(ids.head)} file ${c.file} chunk 2/${chunks.length}`],
      ]);
    });
  }

  it('in a file object: cat prints nothing and exits 7, fsck names the file', () => {
    const dir = copy();
    flipByte(dir, ids.notes);
    expect(readError(dir, ids.notes)).toMatchObject({ code: 'CORRUPT_OBJECT', data: { id: ids.notes } });
    const cat = run(['cat', 'HEAD:data/notes.txt'], dir);
    expect(cat.code).toBe(7);
    expect(cat.stdout.length).toBe(0);
    expect(cat.stderr).toContain(ids.notes);
    const { code, res } = fsckJson(dir);
    expect(code).toBe(7);
    expect(res.problems.map((p) => [p.id, p.kind, p.type, p.path])).toEqual([
      [ids.notes, 'corrupt', 'file', `refs/heads/main: commit ${short(ids.head)} file data/notes.txt`],
    ]);
  });

  it('in a tree: paths below it cannot be read, fsck names the tree', () => {
    const dir = copy();
    flipByte(dir, ids.dataTree);
    expect(readError(dir, ids.dataTree)).toMatchObject({ code: 'CORRUPT_OBJECT', data: { id: ids.dataTree } });
    const cat = run(['cat', 'HEAD:data/notes.txt'], dir);
    expect(cat.code).toBe(7);
    expect(cat.stdout.length).toBe(0);
    expect(cat.stderr).toContain(ids.dataTree);
    const { code, res } = fsckJson(dir);
    expect(code).toBe(7);
    expect(res.problems.map((p) => [p.id, p.kind, p.type, p.path])).toEqual([
      [ids.dataTree, 'corrupt', 'tree', `refs/heads/main: commit ${short(ids.head)} tree data`],
    ]);
  });

  it('in a commit: nothing under it is served, fsck names the commit and the ref', () => {
    const dir = copy();
    flipByte(dir, ids.head);
    expect(readError(dir, ids.head)).toMatchObject({ code: 'CORRUPT_OBJECT', data: { id: ids.head } });
    const cat = run(['cat', 'HEAD:a.txt'], dir);
    expect(cat.code).toBe(7);
    expect(cat.stdout.length).toBe(0);
    expect(cat.stderr).toContain(ids.head);
    const { code, res } = fsckJson(dir);
    expect(code).toBe(7);
    expect(res.problems.map((p) => [p.id, p.kind, p.type, p.path])).toEqual([[ids.head, 'corrupt', 'commit', 'refs/heads/main']]);
    const human = run(['fsck'], dir);
    expect(human.code).toBe(7);
    expect(human.stdout.toString()).toContain(`corrupt commit ${ids.head}\n  at refs/heads/main\n`);
  });
});

describe('damaged pack files and index', () => {
  it('a truncated pack: every object cut off is reported, and nothing else', () => {
    const dir = copy();
    const victim = ids.csvChunks[1]!;
    const loc = truncatePackAt(dir, victim);
    const size = statSync(loc.packPath).size;
    const cut = rowsOfPack(dir, loc.packPath)
      .filter((r) => r.offset + r.stored_len > size)
      .map((r) => r.id);
    expect(cut).toContain(victim);
    expect(readError(dir, victim)).toMatchObject({ code: 'CORRUPT_OBJECT', data: { id: victim } });
    // The file object was written after its chunks, so it is cut off too: cat stops at it.
    const cat = run(['cat', 'HEAD:data/big.csv'], dir);
    expect(cat.code).toBe(7);
    expect(cat.stdout.length).toBe(0);
    expect(cut.some((id) => cat.stderr.includes(id))).toBe(true);
    const { code, res } = fsckJson(dir);
    expect(code).toBe(7);
    expect(res.problems.map((p) => p.id).sort()).toEqual([...cut].sort());
    expect(res.problems.every((p) => p.kind === 'corrupt')).toBe(true);
  });

  it('a deleted pack: fsck names the pack file and reachable objects that were in it, cat exits 7', () => {
    const dir = copy();
    const victim = ids.noiseChunks[0]!;
    const loc = locate(dir, victim);
    const inPack = new Set(rowsOfPack(dir, loc.packPath).map((r) => r.id));
    deletePackOf(dir, victim);
    const name = loc.packPath.split('/').pop()!;
    expect(readError(dir, victim)).toMatchObject({ code: 'CORRUPT_OBJECT', data: { id: victim } });
    const cat = run(['cat', 'HEAD:data/sub/noise.bin'], dir);
    expect(cat.code).toBe(7);
    expect(cat.stdout.length).toBe(0);
    const { code, res } = fsckJson(dir);
    expect(code).toBe(7);
    const [packProblem, ...objects] = res.problems.filter((p) => p.type === 'pack').concat(res.problems.filter((p) => p.type !== 'pack'));
    expect(packProblem).toEqual({ id: name, kind: 'missing', type: 'pack', path: `.cairn/packs/${name}`, message: expect.any(String) });
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.every((p) => inPack.has(p.id) && p.kind === 'corrupt')).toBe(true);
    // The noise file object came with the deleted pack: it is where HEAD's walk meets the damage.
    expect(objects.map((p) => p.path)).toContain(`refs/heads/main: commit ${short(ids.head)} file data/sub/noise.bin`);
  });

  it('a lost index row: the object is missing, cat exits 7, fsck names it with its path', () => {
    const dir = copy();
    deleteIndexRow(dir, ids.notes);
    expect(readError(dir, ids.notes)).toMatchObject({ code: 'MISSING_OBJECT', data: { id: ids.notes } });
    const cat = run(['cat', 'HEAD:data/notes.txt'], dir);
    expect(cat.code).toBe(7);
    expect(cat.stderr).toContain(ids.notes);
    const { code, res } = fsckJson(dir);
    expect(code).toBe(7);
    expect(res.problems.map((p) => [p.id, p.kind, p.type, p.path])).toEqual([
      [ids.notes, 'missing', 'file', `refs/heads/main: commit ${short(ids.head)} file data/notes.txt`],
    ]);
  });
});

function rowsOfPack(dir: string, packPath: string): { id: string; offset: number; stored_len: number }[] {
  const db = new Database(join(dir, '.cairn', 'cairn.db'), { readonly: true });
  try {
    return db
      .prepare('SELECT o.id, o.offset, o.stored_len FROM objects o JOIN packs p ON p.id = o.pack WHERE p.name = ?')
      .all(packPath.split('/').pop()) as { id: string; offset: number; stored_len: number }[];
  } finally {
    db.close();
  }
}
