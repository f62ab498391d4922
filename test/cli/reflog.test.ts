// `cairn reflog` and `cairn reflog expire` end to end: golden lines after commits, a reset, branch
// moves and a deletion; --json; expiry by age (option, config, default), `now`, --all and --dry-run,
// the newest entry of an existing ref kept; exit codes of bad input.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';

const DAY = 86_400_000;
let tmp: { dir: string; cleanup: () => void };
let cwd: string;
let one: string;
let two: string;

const rev = (r: string) => cairnOk(['rev-parse', r], { cwd }).trim();
const short = (id: string) => id.slice(0, 12);

/** Rows of the reflog table, oldest first (the independent view: straight from SQLite). */
function rows(): { seq: number; ref: string; old: string | null; new: string | null; time: number; message: string }[] {
  const db = new Database(join(cwd, '.cairn', 'cairn.db'), { readonly: true });
  try {
    return db.prepare('SELECT seq, ref, old, new, time, message FROM reflog ORDER BY seq').all() as ReturnType<typeof rows>;
  } finally {
    db.close();
  }
}

/** Sets the time of each of REF's entries, oldest first, to now minus the given ages. */
function age(ref: string, ...agesMs: number[]): void {
  const db = new Database(join(cwd, '.cairn', 'cairn.db'));
  try {
    const seqs = (db.prepare('SELECT seq FROM reflog WHERE ref = ? ORDER BY seq').all(ref) as { seq: number }[]).map((r) => r.seq);
    expect(seqs.length).toBe(agesMs.length);
    const now = Date.now();
    seqs.forEach((seq, i) => db.prepare('UPDATE reflog SET time = ? WHERE seq = ?').run(now - agesMs[i]!, seq));
  } finally {
    db.close();
  }
}

beforeEach(() => {
  tmp = tempDir('cairn-reflog-cli-');
  cwd = tmp.dir;
  cairnOk(['init'], { cwd });
  writeFileSync(join(cwd, 'a.txt'), 'alpha\n');
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'one'], { cwd });
  writeFileSync(join(cwd, 'a.txt'), 'beta\n');
  cairnOk(['commit', '-a', '-m', 'two'], { cwd, env: { CAIRN_COMMIT_TIME: '1700000001000' } });
  one = rev('HEAD~1');
  two = rev('HEAD');
  cairnOk(['reset', '--hard', 'HEAD~1'], { cwd });
});
afterEach(() => tmp.cleanup());

describe('cairn reflog', () => {
  it("shows a branch's commits and reset newest first, by short name or full name", () => {
    const expected = `${short(one)} main@{0}: reset: moving to HEAD~1\n${short(two)} main@{1}: commit: two\n${short(one)} main@{2}: commit (initial): one\n`;
    expect(runCairn(['reflog', 'main'], { cwd })).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect(cairnOk(['reflog', 'refs/heads/main'], { cwd })).toBe(expected.replaceAll('main@', 'refs/heads/main@'));
    expect(cairnOk(['reflog', '-n', '1', 'main'], { cwd })).toBe(`${short(one)} main@{0}: reset: moving to HEAD~1\n`);
    expect(cairnOk(['reflog', '--max-count', '0', 'main'], { cwd })).toBe('');
  });

  it('defaults to HEAD, whose reflog holds switches and detached moves', () => {
    cairnOk(['switch', '-c', 'feat'], { cwd });
    cairnOk(['switch', '--detach', two], { cwd });
    expect(cairnOk(['reflog'], { cwd })).toBe(
      `${short(two)} HEAD@{0}: switch: moving from feat to ${short(two)}\n` +
        `${short(one)} HEAD@{1}: switch: moving from main to feat\n` +
        `000000000000 HEAD@{2}: init\n`,
    );
  });

  it('--json: one object per line with ref, index, old, new, who, time and message', () => {
    const t0 = Date.now();
    cairnOk(['switch', '-c', 'feat'], { cwd });
    const lines = cairnOk(['reflog', '--json', 'feat'], { cwd })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        ref: 'refs/heads/feat',
        index: 0,
        old: null,
        new: one,
        who: 'Test <test@example.com>',
        time: expect.any(Number),
        message: 'branch: created from HEAD',
      },
    ]);
    expect(lines[0].time).toBeGreaterThanOrEqual(t0 - 1000);
    expect(lines[0].time).toBeLessThanOrEqual(Date.now());
  });

  it('still shows a deleted branch, ending in its deletion: how its last commit is found again', () => {
    cairnOk(['switch', '-c', 'feat'], { cwd });
    cairnOk(['switch', 'main'], { cwd });
    cairnOk(['branch', '-D', 'feat'], { cwd });
    expect(cairnOk(['reflog', 'feat'], { cwd })).toBe(
      `000000000000 feat@{0}: branch: deleted\n${short(one)} feat@{1}: branch: created from HEAD\n`,
    );
  });

  it('exits 4 for a ref with no reflog, 2 for a bad count, 3 outside a repository', () => {
    const r = runCairn(['reflog', 'nope', '--json'], { cwd });
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'NOT_FOUND', data: { what: 'ref', name: 'nope' } });
    expect(runCairn(['reflog', '-n', 'x'], { cwd }).code).toBe(2);
    const out = tempDir('cairn-reflog-none-');
    try {
      expect(runCairn(['reflog'], { cwd: out.dir }).code).toBe(3);
    } finally {
      out.cleanup();
    }
  });

  it('--help ends with examples', () => {
    expect(cairnOk(['reflog', '--help'], { cwd })).toContain('$ cairn reflog main');
    expect(cairnOk(['reflog', 'expire', '--help'], { cwd })).toContain('$ cairn reflog expire --all --dry-run');
  });
});

describe('cairn reflog expire', () => {
  it('drops entries older than --expire, keeping the rest', () => {
    age('refs/heads/main', 100 * DAY, 50 * DAY, 1 * DAY);
    expect(runCairn(['reflog', 'expire', '--expire=60.days', 'main'], { cwd })).toEqual({
      code: 0,
      stdout: 'refs/heads/main: dropped 1 entry, 2 left\ndropped 1 entry from 1 reflog (older than 60.days)\n',
      stderr: '',
    });
    expect(cairnOk(['reflog', 'main'], { cwd })).toBe(
      `${short(one)} main@{0}: reset: moving to HEAD~1\n${short(two)} main@{1}: commit: two\n`,
    );
  });

  it('without --expire uses gc.reflogExpire, else 90 days', () => {
    age('refs/heads/main', 100 * DAY, 50 * DAY, 1 * DAY);
    const j = JSON.parse(cairnOk(['reflog', 'expire', '--dry-run', '--json', 'main'], { cwd }));
    expect(j).toMatchObject({
      expire: '90.days',
      from: 'default',
      dryRun: true,
      refs: [{ ref: 'refs/heads/main', dropped: 1, kept: 2 }],
      dropped: 1,
    });
    expect(j.cutoff).toBeLessThanOrEqual(Date.now() - 90 * DAY);
    expect(j.cutoff).toBeGreaterThan(Date.now() - 90 * DAY - 60_000);
    cairnOk(['config', 'gc.reflogExpire', '2.weeks'], { cwd });
    expect(JSON.parse(cairnOk(['reflog', 'expire', '--json', 'main'], { cwd }))).toMatchObject({
      expire: '2.weeks',
      from: 'config',
      dryRun: false,
      refs: [{ ref: 'refs/heads/main', dropped: 2, kept: 1 }],
    });
    expect(
      rows()
        .filter((r) => r.ref === 'refs/heads/main')
        .map((r) => r.message),
    ).toEqual(['reset: moving to HEAD~1']);
  });

  it('--expire=now keeps only the newest entry of an existing ref, which no longer names the value it replaced', () => {
    expect(cairnOk(['reflog', 'expire', '--expire=now', 'main'], { cwd })).toBe(
      'refs/heads/main: dropped 2 entries, 1 left\ndropped 2 entries from 1 reflog (older than now)\n',
    );
    const left = rows().filter((r) => r.ref === 'refs/heads/main');
    expect(left.map((r) => [r.old, r.new, r.message])).toEqual([[null, one, 'reset: moving to HEAD~1']]);
    expect(cairnOk(['reflog', 'main'], { cwd })).toBe(`${short(one)} main@{0}: reset: moving to HEAD~1\n`);
    // Again: nothing more to drop.
    expect(cairnOk(['reflog', 'expire', '--expire=now', 'main'], { cwd })).toBe('dropped 0 entries from 0 reflogs (older than now)\n');
  });

  it('--all covers every reflog, a deleted branch entirely', () => {
    cairnOk(['switch', '-c', 'feat'], { cwd });
    cairnOk(['switch', 'main'], { cwd });
    cairnOk(['branch', '-D', 'feat'], { cwd });
    expect(cairnOk(['reflog', 'expire', '--all', '--expire=now'], { cwd })).toBe(
      'HEAD: dropped 2 entries, 1 left\n' +
        'refs/heads/feat: dropped 2 entries, 0 left\n' +
        'refs/heads/main: dropped 2 entries, 1 left\n' +
        'dropped 6 entries from 3 reflogs (older than now)\n',
    );
    expect(rows().map((r) => r.ref)).toEqual(['refs/heads/main', 'HEAD']);
    expect(runCairn(['reflog', 'feat'], { cwd }).code).toBe(4);
  });

  it('--dry-run says what would go and changes nothing', () => {
    const before = rows();
    expect(cairnOk(['reflog', 'expire', '--all', '--expire=now', '--dry-run'], { cwd })).toBe(
      'refs/heads/main: would drop 2 entries, 1 left\nwould drop 2 entries from 1 reflog (older than now)\n',
    );
    expect(rows()).toEqual(before);
  });

  it('--expire=never drops nothing', () => {
    age('refs/heads/main', 1000 * DAY, 900 * DAY, 800 * DAY);
    expect(JSON.parse(cairnOk(['reflog', 'expire', '--all', '--expire=never', '--json'], { cwd }))).toMatchObject({
      cutoff: null,
      dropped: 0,
    });
    expect(rows().length).toBe(4);
  });

  it('refuses a bad age, refs with --all, or neither, with exit 2; an unknown ref with exit 4', () => {
    const bad = runCairn(['reflog', 'expire', '--expire=soon', 'main', '--json'], { cwd });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 'USAGE', data: { reason: 'bad-age', value: 'soon' } });
    cairnOk(['config', 'gc.reflogExpire', 'a.while'], { cwd });
    const cfg = runCairn(['reflog', 'expire', '--all'], { cwd });
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toContain("gc.reflogExpire 'a.while'");
    expect(runCairn(['reflog', 'expire', '--all', 'main'], { cwd }).code).toBe(2);
    expect(runCairn(['reflog', 'expire'], { cwd }).code).toBe(2);
    expect(runCairn(['reflog', 'expire', '--expire=now', 'nope'], { cwd }).code).toBe(4);
    expect(rows().length).toBe(4);
  });
});
