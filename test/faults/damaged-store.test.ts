// Damaged local state is reported, never crashed on: a damaged `.cairn/cairn.db` makes every command
// exit 7 (BAD_FORMAT) with what to do next and no stack trace, and a damaged worktree index makes
// the commands that read it exit 7 at once, naming `cairn reset`, which always rebuilds it from HEAD
// (docs/FORMAT.md §11.1, §14.1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cairnOk, runCairn, type RunResult } from '../helpers/cli.js';
import { errorOf } from '../helpers/errors.js';
import { openDatabase, SCHEMA_VERSION, storeError } from '../../src/store/database.js';
import { decodeIndex, encodeIndex, indexLayoutProblem } from '../../src/store/worktree-index.js';

let work: string;
let pristine: string;
let n = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cairn-damaged-'));
  pristine = join(work, 'pristine');
  const cwd = pristine;
  cairnOk(['init', pristine], { cwd: work });
  writeFileSync(join(cwd, 'a.txt'), 'alpha\n');
  cpSync(join(cwd, 'a.txt'), join(cwd, 'b.txt'));
  writeFileSync(join(cwd, 'data.json'), '{"v":1}\n');
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'one'], { cwd });
  writeFileSync(join(cwd, 'staged.txt'), 'staged, not committed\n');
  cairnOk(['add', 'staged.txt'], { cwd });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fresh copy of the pristine repository (one HEAD commit, one staged file). */
function copy(): string {
  const dir = join(work, `case-${n++}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

const DB = (dir: string) => join(dir, '.cairn', 'cairn.db');

function expectReported(r: RunResult, code: number): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

const DB_DAMAGE: Record<string, (db: string) => void> = {
  'not a database': (db) => writeFileSync(db, 'this is not a database, it is a text file\n'.repeat(100)),
  truncated: (db) => truncateSync(db, 5000),
  'an empty file': (db) => writeFileSync(db, ''),
  'its header overwritten': (db) => {
    const b = readFileSync(db);
    b.fill(0xff, 0, 100);
    writeFileSync(db, b);
  },
};

// Every command that opens the repository, reading or writing.
const COMMANDS = [
  ['log'],
  ['status'],
  ['show'],
  ['ls'],
  ['diff'],
  ['fsck'],
  ['add', '.'],
  ['commit', '-m', 'x'],
  ['reset'],
  ['reset', '--hard'],
  ['restore', '--staged', 'staged.txt'],
  ['branch', 'x'],
  ['switch', '-c', 'y'],
  ['cat', 'HEAD'],
];

describe('a damaged repository database', () => {
  for (const [k, [what, damage]] of Object.entries(DB_DAMAGE).entries()) {
    // Every command for the first kind of damage; a reading and a writing one for the others.
    const commands = k === 0 ? COMMANDS : [['status'], ['commit', '-m', 'x']];
    it(`exits 7 with what to do, no stack trace, for ${k === 0 ? 'every command' : 'status and commit'}, when cairn.db is ${what}`, () => {
      const dir = copy();
      damage(DB(dir));
      for (const args of commands) {
        const r = runCairn(args, { cwd: dir });
        expectReported(r, 7);
        expect(r.stderr, args.join(' ')).toMatch(/restore .*backup|clone|init/);
      }
      const json = runCairn(['status', '--json'], { cwd: dir });
      expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code).toBe('BAD_FORMAT');
    });
  }

  it('takes a database with no schema (an interrupted init) for one, which init then finishes', () => {
    const dir = copy();
    writeFileSync(DB(dir), '');
    const r = runCairn(['log'], { cwd: dir });
    expectReported(r, 7);
    expect(r.stderr).toContain("if 'cairn init' was interrupted, run it again");
    cairnOk(['init'], { cwd: dir });
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('?? a.txt\n?? b.txt\n?? data.json\n?? staged.txt\n');
  });

  it('reports pages damaged in the middle of the file as BAD_FORMAT, from whichever statement meets them', () => {
    const dir = copy();
    const b = readFileSync(DB(dir));
    // Every page but the first (the header and schema): the tables' b-trees are all garbage.
    b.fill(0xa5, 4096);
    writeFileSync(DB(dir), b);
    for (const args of COMMANDS) expectReported(runCairn(args, { cwd: dir }), 7);
  });

  it('refuses a newer schema with exit 7 and closes the database it opened', () => {
    const dir = copy();
    const db = new Database(DB(dir));
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION + 1));
    db.close();
    const fds = () => readdirSync('/proc/self/fd').filter((fd) => safeReadlink(`/proc/self/fd/${fd}`) === DB(dir)).length;
    const before = fds();
    for (let i = 0; i < 5; i++) expect(errorOf(() => openDatabase(DB(dir), false)).code).toBe('BAD_FORMAT');
    expect(fds()).toBe(before);
    expectReported(runCairn(['log'], { cwd: dir }), 7);
  });
});

describe('storeError', () => {
  it('maps each family of SQLite result codes to its typed error, and nothing else', () => {
    const cases: [string, string | undefined][] = [
      ['SQLITE_CORRUPT', 'BAD_FORMAT'],
      ['SQLITE_CORRUPT_INDEX', 'BAD_FORMAT'],
      ['SQLITE_NOTADB', 'BAD_FORMAT'],
      ['SQLITE_BUSY', 'LOCKED'],
      ['SQLITE_BUSY_SNAPSHOT', 'LOCKED'],
      ['SQLITE_FULL', 'IO'],
      ['SQLITE_READONLY', 'IO'],
      ['SQLITE_READONLY_DBMOVED', 'IO'],
      ['SQLITE_IOERR_WRITE', 'IO'],
      ['SQLITE_CANTOPEN', 'IO'],
      // A constraint or a syntax error is a bug in cairn, not damage: left to the internal-error path.
      ['SQLITE_CONSTRAINT_PRIMARYKEY', undefined],
      ['SQLITE_ERROR', undefined],
    ];
    for (const [sqlite, code] of cases) expect(storeError(new Database.SqliteError('x', sqlite))?.code, sqlite).toBe(code);
    expect(storeError(new Database.SqliteError('x', 'SQLITE_FULL'))?.data).toMatchObject({ errno: 'ENOSPC' });
    expect(storeError(new Error('SQLITE_CORRUPT'))).toBeUndefined();
  });
});

function safeReadlink(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** Replaces the stored worktree index blob (the database itself stays sound). */
function setIndexBlob(dir: string, f: (blob: Buffer) => Buffer | string): void {
  const db = new Database(DB(dir));
  const row = db.prepare("SELECT data FROM wt_blob WHERE key = 'index'").get() as { data: Buffer };
  db.prepare("UPDATE wt_blob SET data = ? WHERE key = 'index'").run(f(Buffer.from(row.data)));
  db.close();
}

const INDEX_DAMAGE: Record<string, (b: Buffer) => Buffer | string> = {
  'replaced by other bytes': () => Buffer.from('not an index at all'),
  'claiming two billion entries': (b) => {
    b.writeUInt32LE(0x7fffffff, 4);
    return b;
  },
  // Into the kind column: a cut inside the last path leaves a well-formed index (no checksum).
  truncated: (b) => b.subarray(0, 8 + 65 * b.readUInt32LE(4) - 1),
  'holding an unknown kind': (b) => {
    b[8 + 64 * b.readUInt32LE(4)] = 9;
    return b;
  },
  'stored as text': () => 'index',
};

describe('a damaged worktree index', () => {
  const readers = [['status'], ['diff'], ['diff', '--cached'], ['add', '.'], ['commit', '-m', 'x'], ['restore', '--staged', 'staged.txt']];
  for (const [k, [what, damage]] of Object.entries(INDEX_DAMAGE).entries()) {
    it(`is reported at once (exit 7, 'cairn reset') by ${k === 0 ? 'every command that reads it' : 'status'}, then rebuilt by reset, when ${what}`, () => {
      const dir = copy();
      setIndexBlob(dir, damage);
      for (const args of k === 0 ? readers : [['status']]) {
        const start = performance.now();
        const r = runCairn(args, { cwd: dir });
        expectReported(r, 7);
        expect(r.stderr).toContain("run 'cairn reset' to rebuild the index from HEAD");
        // It used to wait 30 s for a status worker that had died decoding the index.
        expect(performance.now() - start, args.join(' ')).toBeLessThan(5000);
      }
      const json = runCairn(['status', '--json'], { cwd: dir });
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'BAD_FORMAT', data: { what: 'worktree index' } } });
      // Commands that do not read the index still work.
      expect(cairnOk(['log', '--oneline'], { cwd: dir })).toContain('one');
      const reset = runCairn(['reset'], { cwd: dir });
      expectReported(reset, 0);
      expect(reset.stderr).toContain('rebuilt it from HEAD');
      // The index is HEAD's tree again: the file staged before the damage is untracked now.
      expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('?? staged.txt\n');
      expect(cairnOk(['diff', 'HEAD'], { cwd: dir })).toBe('');
    });
  }

  it('is rebuilt by reset --hard, which also puts every tracked file back as HEAD has it', () => {
    const dir = copy();
    writeFileSync(join(dir, 'a.txt'), 'changed\n');
    unlinkSync(join(dir, 'b.txt'));
    setIndexBlob(dir, () => Buffer.from([2, 0, 0, 0, 255, 255, 255, 255]));
    const r = runCairn(['reset', '--hard', '--json'], { cwd: dir });
    expectReported(r, 0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'hard', rebuiltIndex: true });
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('alpha\n');
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('?? staged.txt\n');
  });

  it('is rebuilt by reset --hard to another revision, removing the files only the old HEAD tracked', () => {
    const dir = copy();
    cairnOk(['commit', '-m', 'two'], { cwd: dir });
    setIndexBlob(dir, () => 'garbage');
    expectReported(runCairn(['reset', '--hard', 'HEAD~1'], { cwd: dir }), 0);
    expect(existsSync(join(dir, 'staged.txt'))).toBe(false);
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('');
  });

  it('decodes any byte string to entries or a BAD_FORMAT naming the index, never another failure', () => {
    const valid = encodeIndex([
      { path: 'a.txt', kind: 'file', id: 'ab'.repeat(32), size: 6, mtimeNs: 1, ctimeNs: 2, ino: 3 },
      { path: 'd/b.json', kind: 'exec', id: 'cd'.repeat(32), size: 9, mtimeNs: 4, ctimeNs: 5, ino: 6 },
    ]);
    const mutated = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.nat(valid.length), fc.nat(255)).map(([at, v]) => {
        const b = Buffer.from(valid);
        if (at < b.length) b[at] = v;
        return b;
      }),
      fc.nat(valid.length).map((len) => valid.subarray(0, len)),
    );
    fc.assert(
      fc.property(mutated, (buf) => {
        const problem = indexLayoutProblem(buf);
        let decoded: Map<string, unknown> | undefined;
        try {
          decoded = decodeIndex(buf);
        } catch (err) {
          expect(err).toMatchObject({ code: 'BAD_FORMAT', data: { what: 'worktree index' } });
        }
        // What the layout check passes (and so the status workers read) always decodes.
        if (problem === undefined) expect(decoded?.size).toBe(buf.readUInt32LE(4));
        else expect(decoded).toBeUndefined();
      }),
    );
  });
});
