// On a read-only or full disk, commands that only read (log, status, show, ls, diff, fsck) work and
// print what they print on a writable one; commands that write fail with IO (exit 10), saying why,
// without a stack trace and without changing anything (docs/FORMAT.md §11.1).
//
// Read-only: the tests run as root here, which ignores mode bits, so the repository is made
// immutable with `chattr -R +i` (the kernel refuses every write, to root too: EPERM); as another
// user, `chmod -R a-w`. Full disk: a real 1 MiB tmpfs filled to the last block, mounted in a user
// namespace (`unshare -Urm`, no privileges needed); SQLITE_FULL inside the database (the file system
// has room but the database may not grow) is tested in-process with `max_page_count`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CAIRN_BIN, TEST_ENV, cairnOk, runCairn, type RunResult } from '../helpers/cli.js';
import { Repository } from '../../src/store/repository.js';
import { storeError } from '../../src/store/database.js';
import { status } from '../../src/ops/status/status.js';

let work: string;
let pristine: string;
const locked: string[] = [];
const asRoot = process.getuid?.() === 0;

const READERS = [
  ['log'],
  ['log', '--oneline', '--json'],
  ['status'],
  ['status', '--json'],
  ['show'],
  ['ls', '-r'],
  ['diff'],
  ['diff', '--cached'],
  ['fsck'],
  ['cat', 'HEAD:a.txt'],
];

const WRITERS = [
  ['add', '.'],
  ['commit', '-a', '-m', 'x'],
  ['branch', 'b2'],
  ['tag', 't1'],
  ['reset', '--hard'],
  ['config', 'user.name', 'X'],
];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cairn-readonly-'));
  pristine = join(work, 'pristine');
  mkdirSync(pristine);
  const cwd = pristine;
  cairnOk(['init'], { cwd });
  writeFileSync(join(cwd, 'a.txt'), 'alpha\n');
  mkdirSync(join(cwd, 'data'));
  writeFileSync(join(cwd, 'data', 'b.json'), '{"v":1}\n');
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'one'], { cwd });
  // Something for status and diff to report: a modified file, a staged one, an untracked one.
  writeFileSync(join(cwd, 'a.txt'), 'alpha, changed\n');
  writeFileSync(join(cwd, 'staged.txt'), 'staged\n');
  cairnOk(['add', 'staged.txt'], { cwd });
  writeFileSync(join(cwd, 'untracked.txt'), 'new\n');
});

afterAll(() => {
  for (const dir of locked) unlock(dir);
  rmSync(work, { recursive: true, force: true });
});

function copy(name: string): string {
  const dir = join(work, name);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

function lock(dir: string): void {
  const r = asRoot ? spawnSync('chattr', ['-R', '+i', dir]) : spawnSync('chmod', ['-R', 'a-w', dir]);
  expect(r.status, String(r.stderr)).toBe(0);
  locked.push(dir);
}

function unlock(dir: string): void {
  if (asRoot) spawnSync('chattr', ['-R', '-i', dir]);
  else spawnSync('chmod', ['-R', 'u+w', dir]);
}

function expectNoTrace(r: RunResult): void {
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('a read-only repository', () => {
  it('answers every reading command exactly as when it was writable', () => {
    // Two equal copies; in both, b.json's content is unchanged but its mtime is new and old enough
    // to be recorded: status would like to refresh the index's stat data, which only one can.
    const [writable, readOnly] = ['ro-base', 'ro-locked'].map((name) => {
      const dir = copy(name);
      utimesSync(join(dir, 'data', 'b.json'), new Date(2020, 0, 1), new Date(2020, 0, 1));
      return dir;
    }) as [string, string];
    const expected = READERS.map((args) => runCairn(args, { cwd: writable }));
    lock(readOnly);
    for (const [i, args] of READERS.entries()) {
      const r = runCairn(args, { cwd: readOnly });
      expectNoTrace(r);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).toBe(expected[i]!.stdout);
    }
  });

  it('refuses every writing command with exit 10 saying why, and changes nothing', () => {
    const dir = copy('ro-writers');
    lock(dir);
    const before = cairnOk(['log', '--json'], { cwd: dir }) + cairnOk(['status', '--json'], { cwd: dir });
    for (const args of WRITERS) {
      const r = runCairn(args, { cwd: dir });
      expectNoTrace(r);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(10);
      expect(r.stderr, args.join(' ')).toMatch(/not writable|read-only|not permitted|permission denied/);
    }
    expect(cairnOk(['log', '--json'], { cwd: dir }) + cairnOk(['status', '--json'], { cwd: dir })).toBe(before);
  });

  it('reads a database left with its write-ahead log (a writer was killed) through that log', () => {
    const dir = join(work, 'ro-wal');
    const db = new Database(join(pristine, '.cairn', 'cairn.db'));
    db.pragma('wal_autocheckpoint = 0');
    db.prepare('INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)').run('only.in', 'the-wal');
    // Copied while the connection is open: the copy has -wal and -shm, as after a kill -9.
    cpSync(pristine, dir, { recursive: true });
    db.prepare('DELETE FROM config WHERE key = ?').run('only.in');
    db.close();
    lock(dir);
    expect(cairnOk(['config', 'only.in'], { cwd: dir })).toBe('the-wal\n');
    expect(runCairn(['log', '--oneline'], { cwd: dir }).code).toBe(0);
  });
});

describe('a full disk', () => {
  it('still answers reading commands; writing ones fail with exit 10 saying the disk is full, and leave it whole (1 MiB tmpfs, filled)', () => {
    const mnt = join(work, 'mnt');
    mkdirSync(mnt);
    const readers = [['log'], ['status'], ['show'], ['ls'], ['diff'], ['fsck']];
    const writers = [
      ['commit', '-a', '-m', 'x'],
      ['branch', 'b2'],
    ];
    const expected = readers.map((args) => runCairn(args, { cwd: pristine }));
    // One shell in a private mount namespace: mount, copy the repository in, fill the disk, run
    // (output goes outside the full disk).
    const script = [
      'set -u',
      'mount -t tmpfs -o size=1m tmpfs "$MNT" || exit 99',
      'cp -a "$SRC" "$MNT/repo" && cd "$MNT/repo" || exit 98',
      'dd if=/dev/zero of="$MNT/fill" bs=1k 2>/dev/null',
      'for args in "$@"; do eval "set -- $args"; node "$CAIRN" "$@" >"$OUT/out" 2>"$OUT/err"; printf "%s\\0%s\\0%s\\0" "$?" "$(cat "$OUT/out")" "$(cat "$OUT/err")"; done',
    ].join('\n');
    // Readers again after the failed writes: nothing was half written (fsck among them).
    const all = [...readers, ...writers, ...readers];
    const r = spawnSync('unshare', ['-Urm', 'sh', '-c', script, 'sh', ...all.map((a) => a.join(' '))], {
      env: { PATH: process.env['PATH'] ?? '', HOME: '/tmp', ...TEST_ENV, MNT: mnt, OUT: work, SRC: pristine, CAIRN: CAIRN_BIN },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, `unshare/mount failed: ${r.stderr}`).toBe(0);
    const fields = r.stdout.split('\0');
    for (const [i, args] of all.entries()) {
      const [code, out, err] = [Number(fields[3 * i]), fields[3 * i + 1]!, fields[3 * i + 2]!];
      expect(err).not.toMatch(/internal error|\n\s+at /);
      const reader = i < readers.length ? i : i >= readers.length + writers.length ? i - readers.length - writers.length : -1;
      if (reader >= 0) {
        expect(code, `${args.join(' ')}: ${err}`).toBe(0);
        expect(`${out}\n`.replace(/\n+$/, ''), args.join(' ')).toBe(expected[reader]!.stdout.replace(/\n+$/, ''));
      } else {
        expect(code, `${args.join(' ')}: ${err}`).toBe(10);
        expect(err, args.join(' ')).toMatch(/disk is full/);
      }
    }
  });

  it('a database that cannot grow (SQLITE_FULL) fails writes with IO/ENOSPC, while status still reads', () => {
    const dir = copy('db-full');
    utimesSync(join(dir, 'data', 'b.json'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    const repo = Repository.open(dir);
    try {
      const pages = repo.db.pragma('page_count', { simple: true }) as number;
      repo.db.pragma(`max_page_count = ${pages}`);
      const err = storeError(
        (() => {
          try {
            repo.config.set('big', 'x'.repeat(1 << 20));
          } catch (e) {
            return e;
          }
          return undefined;
        })(),
      );
      expect(err?.toJSON()).toMatchObject({ code: 'IO', data: { errno: 'ENOSPC' } });
      // status wants to record b.json's new stat data; the failed write is only a lost shortcut.
      const s = status(repo, {});
      expect(s.unstaged.map((c) => c.path)).toEqual(['a.txt']);
      expect(s.staged.map((c) => c.path)).toEqual(['staged.txt']);
    } finally {
      repo.close();
    }
  });
});
