// Hostile repository content (issue 9): rules files whose patterns made regex matching hang, rules
// files that are symlinks to /dev/zero or a FIFO, or too large (docs/FORMAT.md §14.2); file names
// and remote messages holding terminal escapes; ref names git refuses; names of a megabyte.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { ObjectSet, REFUSED_REF_NAMES, TERMINAL_ESCAPES, escapesInError, startFakeRemote } from '../helpers/fake-remote.js';
import { runCairnAsync, runCairnTimed } from './helpers.js';
import { Repository } from '../../src/store/repository.js';

const tmp = tempDir('cairn-hostile-content-');
afterAll(() => tmp.cleanup());

let n = 0;
function fresh(): string {
  const dir = join(tmp.dir, `r${n++}`);
  mkdirSync(dir);
  cairnOk(['init'], { cwd: dir });
  return dir;
}

/** The pattern that kept `ignore` (and a naive glob-to-regex) busy for minutes on a long name. */
const HOSTILE = '**/*a*a*a*a*a*a*a*a*a*b';
const LONG = 'a'.repeat(250);

describe('hostile .cairnignore and .cairnattributes', () => {
  it('status and add finish at once with a backtracking-bait .cairnignore pattern and long names', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'd'));
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'd', `${LONG.slice(0, 240)}${i}`), `${i}\n`);
    writeFileSync(join(dir, LONG), 'x\n');
    writeFileSync(join(dir, '.cairnignore'), `${HOSTILE}\n${'*a'.repeat(400)}b\n`);
    const st = runCairnTimed(['status', '--short'], dir, 15_000);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain(`?? ${LONG}\n`);
    expect(st.ms).toBeLessThan(10_000);
    const add = runCairnTimed(['add', '--json', '.'], dir, 15_000);
    expect(add.code, add.stderr).toBe(0);
    expect((JSON.parse(add.stdout) as { added: string[] }).added).toHaveLength(22);
  });

  it('merge finishes at once with a backtracking-bait .cairnattributes pattern', () => {
    const dir = fresh();
    const file = join(dir, LONG);
    writeFileSync(join(dir, '.cairnattributes'), `${HOSTILE} merge=text\n`);
    writeFileSync(file, 'one\ntwo\nthree\nfour\nfive\n');
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: dir });
    cairnOk(['switch', '-c', 'feature'], { cwd: dir });
    writeFileSync(file, 'ONE\ntwo\nthree\nfour\nfive\n');
    cairnOk(['commit', '-a', '-m', 'feature'], { cwd: dir });
    cairnOk(['switch', 'main'], { cwd: dir });
    writeFileSync(file, 'one\ntwo\nthree\nfour\nFIVE\n');
    cairnOk(['commit', '-a', '-m', 'main'], { cwd: dir });
    const m = runCairnTimed(['merge', '--json', 'feature'], dir, 15_000);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ status: 'merged', merged: [{ path: LONG, driver: 'text' }] });
    expect(m.ms).toBeLessThan(10_000);
  });

  it('a .cairnignore that is a symlink to /dev/zero or to a FIFO is not read: a warning, and status goes on', () => {
    const zero = fresh();
    symlinkSync('/dev/zero', join(zero, '.cairnignore'));
    writeFileSync(join(zero, 'a.tmp'), 'x\n');
    const z = runCairnTimed(['status', '--short'], zero, 15_000);
    expect(z.code, z.stderr).toBe(0);
    expect(z.stderr).toMatch(/^warning: \.cairnignore is a symlink, which cairn does not follow: its rules are not applied$/m);
    expect(z.stdout).toContain('?? a.tmp\n');
    const commitAll = runCairnTimed(['commit', '-a', '-m', 'all'], zero, 15_000);
    expect(commitAll.code, commitAll.stderr).toBe(0);
    expect(commitAll.stderr).toMatch(/warning: \.cairnignore is a symlink/);

    const fifo = fresh();
    execFileSync('mkfifo', [join(tmp.dir, `pipe${n}`)]);
    symlinkSync(join(tmp.dir, `pipe${n}`), join(fifo, '.cairnignore'));
    const f = runCairnTimed(['add', '.'], fifo, 15_000);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stderr).toMatch(/\.cairnignore is a symlink/);

    // A FIFO in place of the file itself: not opened for reading at all.
    const own = fresh();
    execFileSync('mkfifo', [join(own, '.cairnignore')]);
    const o = runCairnTimed(['status', '--json'], own, 15_000);
    expect(o.code, o.stderr).toBe(0);
    expect((JSON.parse(o.stdout) as { warnings: string[] }).warnings[0]).toMatch(/not a regular file/);
  });

  it('a .cairnattributes symlink to /dev/zero is not read: the merge goes on with a warning', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'f.txt'), '1\n2\n3\n4\n5\n');
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: dir });
    cairnOk(['switch', '-c', 'feature'], { cwd: dir });
    writeFileSync(join(dir, 'f.txt'), 'one\n2\n3\n4\n5\n');
    cairnOk(['commit', '-a', '-m', 'feature'], { cwd: dir });
    cairnOk(['switch', 'main'], { cwd: dir });
    writeFileSync(join(dir, 'f.txt'), '1\n2\n3\n4\nfive\n');
    cairnOk(['commit', '-a', '-m', 'main'], { cwd: dir });
    symlinkSync('/dev/zero', join(dir, '.cairnattributes'));
    const m = runCairnTimed(['merge', 'feature'], dir, 15_000);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stderr).toMatch(/warning: \.cairnattributes is a symlink/);
  });

  it('a committed .cairnattributes over 1 MiB is BAD_FORMAT (exit 7) when a merge reads it from the tree', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'f.txt'), '1\n2\n3\n4\n5\n');
    writeFileSync(join(dir, '.cairnattributes'), `${'# padding\n'.repeat(110_000)}*.txt merge=text\n`);
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: dir });
    cairnOk(['switch', '-c', 'feature'], { cwd: dir });
    writeFileSync(join(dir, 'f.txt'), 'one\n2\n3\n4\n5\n');
    cairnOk(['commit', '-a', '-m', 'feature'], { cwd: dir });
    cairnOk(['switch', 'main'], { cwd: dir });
    writeFileSync(join(dir, 'f.txt'), '1\n2\n3\n4\nfive\n');
    cairnOk(['commit', '-a', '-m', 'main'], { cwd: dir });
    rmSync(join(dir, '.cairnattributes')); // not in the worktree: the merge reads ours from the tree
    const r = runCairnTimed(['merge', '--json', 'feature'], dir, 15_000);
    expect(r.code, r.stderr).toBe(7);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_FORMAT', data: { what: '.cairnattributes', reason: 'too-large' } } });
  });

  it('a .cairnignore over 1 MiB is BAD_FORMAT (exit 7) naming the file, not silently dropped', () => {
    const dir = fresh();
    writeFileSync(join(dir, '.cairnignore'), `${'# padding\n'.repeat(110_000)}*.tmp\n`);
    const r = runCairnTimed(['status', '--json'], dir, 15_000);
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_FORMAT', data: { what: '.cairnignore', reason: 'too-large' } } });
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

/** Raw terminal controls (ESC, CR, BEL, C1) that must never reach the terminal unescaped. */
const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const EVIL_NAME = 'evil\u001b[2J\r\nerror: forged.txt';
const EVIL_QUOTED = '"evil\\033[2J\\r\\nerror: forged.txt"';

describe('names and remote messages in human output', () => {
  it('quotes a file name holding ESC[2J and CR LF as git does, in status, ls and diff; --json keeps it exact', () => {
    const dir = fresh();
    writeFileSync(join(dir, EVIL_NAME), 'v1\n');
    const short = cairnOk(['status', '--short'], { cwd: dir });
    expect(short).toBe(`?? ${EVIL_QUOTED}\n`);
    const long = cairnOk(['status'], { cwd: dir });
    expect(long).toContain(`\t${EVIL_QUOTED}\n`);
    expect((JSON.parse(cairnOk(['status', '--json'], { cwd: dir })) as { untracked: string[] }).untracked).toEqual([EVIL_NAME]);
    cairnOk(['commit', '-a', '-m', 'evil'], { cwd: dir });
    expect(cairnOk(['ls'], { cwd: dir })).toBe(`${EVIL_QUOTED}\n`);
    writeFileSync(join(dir, EVIL_NAME), 'v2\n');
    expect(cairnOk(['diff', '--name-only'], { cwd: dir })).toBe(`${EVIL_QUOTED}\n`);
    for (const args of [['status'], ['status', '-s'], ['diff'], ['diff', '--stat'], ['ls', '-l']]) {
      const r = runCairn(args, { cwd: dir });
      expect(RAW_CONTROLS.test(r.stdout + r.stderr), args.join(' ')).toBe(false);
    }
  });

  it("escapes a remote's error message (clear screen, OSC, CR, a forged error: line) into one line; --json keeps it JSON-escaped", async () => {
    const objs = new ObjectSet();
    const fake = await startFakeRemote(objs, []);
    try {
      fake.attacks['refs'] = escapesInError;
      const human = await runCairnAsync(['clone', fake.url, 'victim'], tmp.dir);
      expect(human.code).toBe(8);
      expect(RAW_CONTROLS.test(human.stderr)).toBe(false);
      expect(human.stderr.trimEnd().split('\n')).toHaveLength(1); // no forged second line
      expect(human.stderr).toMatch(/^error: .*denied \\033\[2J\\033\]0;owned\\a\\rfine\\nerror: forged line/);
      const json = await runCairnAsync(['clone', '--json', fake.url, 'victim2'], tmp.dir);
      expect(json.code).toBe(8);
      expect(RAW_CONTROLS.test(json.stdout)).toBe(false);
      const err = (JSON.parse(json.stdout) as { error: { code: string; data: { note: string } } }).error;
      expect(err.code).toBe('REMOTE');
      expect(err.data.note).toBe(TERMINAL_ESCAPES);
    } finally {
      await fake.close();
    }
  });
});

describe('commit text from a remote', () => {
  it('log and show print a message and author holding terminal escapes with the controls escaped', async () => {
    const objs = new ObjectSet();
    const f = objs.file('x\n');
    const c = objs.commit(
      objs.tree([{ name: 'a.txt', kind: 'file', id: f, size: 2 }]),
      [],
      `subject \u001b[2J\u001b]0;t\u0007\n\nbody\u009b1m\tend\n`,
    );
    const fake = await startFakeRemote(objs, [{ name: 'refs/heads/main', id: c }]);
    try {
      const r = await runCairnAsync(['clone', fake.url, 'msg-victim'], tmp.dir);
      expect(r.code, r.stderr).toBe(0);
      const dir = join(tmp.dir, 'msg-victim');
      const log = runCairn(['log'], { cwd: dir });
      expect(log.code).toBe(0);
      expect(RAW_CONTROLS.test(log.stdout)).toBe(false);
      expect(log.stdout).toContain('    subject \\033[2J\\033]0;t\\a\n');
      expect(log.stdout).toContain('    body\\u009b1m\tend\n');
      for (const args of [['log', '--oneline'], ['show'], ['log', '--graph']]) {
        const out = runCairn(args, { cwd: dir });
        expect(RAW_CONTROLS.test(out.stdout), args.join(' ')).toBe(false);
      }
      const json = JSON.parse(runCairn(['log', '--json', '-n', '1'], { cwd: dir }).stdout) as { message: string };
      expect(json.message).toContain('\u001b[2J');
    } finally {
      await fake.close();
    }
  });
});

describe('ref names a hostile remote advertises', () => {
  it('clone and fetch take only names git accepts: none becomes HEAD, a local branch, a tag or a tracking ref', async () => {
    const objs = new ObjectSet();
    const f = objs.file('hello\n');
    const c = objs.commit(objs.tree([{ name: 'a.txt', kind: 'file', id: f, size: 6 }]), [], 'init');
    const refs = [{ name: 'refs/heads/main', id: c }, ...REFUSED_REF_NAMES.map((name) => ({ name, id: c }))];
    const fake = await startFakeRemote(objs, refs, 'refs/heads/-x');
    try {
      const r = await runCairnAsync(['clone', fake.url, 'refs-victim'], tmp.dir);
      expect(r.code, r.stderr).toBe(0);
      const dir = join(tmp.dir, 'refs-victim');
      const listed = () => {
        const repo = Repository.open(dir);
        try {
          return { refs: repo.refs.list('').map((x) => x.name), head: repo.refs.read('HEAD') };
        } finally {
          repo.close();
        }
      };
      const after = listed();
      expect(after.refs.sort()).toEqual(['refs/heads/main', 'refs/remotes/origin/main']);
      expect(after.head).toMatchObject({ symbolic: true, target: 'refs/heads/main' });
      const fetched = await runCairnAsync(['fetch'], dir);
      expect(fetched.code, fetched.stderr).toBe(0);
      expect(listed().refs.sort()).toEqual(['refs/heads/main', 'refs/remotes/origin/main']);
      // Asking for an advertised but refused name by hand is refused too (exit 2), before anything is made.
      const asked = await runCairnAsync(['clone', '-b', 'a..b', fake.url, 'refs-asked'], tmp.dir);
      expect(asked.code).toBe(2);
      expect(existsSync(join(tmp.dir, 'refs-asked'))).toBe(false);
    } finally {
      await fake.close();
    }
  });

  it('a clone offered only refused names fails (exit 8) and quotes the name escaped and bounded', async () => {
    const objs = new ObjectSet();
    const c = objs.commit(objs.tree([]), [], 'init');
    const fake = await startFakeRemote(objs, [{ name: `refs/heads/-${'\u001b'.repeat(900)}`, id: c }], 'refs/heads/main');
    try {
      const r = await runCairnAsync(['clone', fake.url, 'only-bad'], tmp.dir);
      expect(r.code).toBe(8);
      expect(RAW_CONTROLS.test(r.stderr)).toBe(false);
      expect(r.stderr.length).toBeLessThan(1000);
    } finally {
      await fake.close();
    }
  });
});

describe('bounded quoting', () => {
  it('a 100 KiB branch name is not echoed whole: the message shows 200 characters, an ellipsis and the length', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a'), 'a\n');
    cairnOk(['commit', '-a', '-m', 'a'], { cwd: dir });
    const name = 'x'.repeat(100_000);
    const r = runCairn(['branch', name], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(600);
    expect(r.stderr).toContain(`\u2026 (${name.length} characters)`);
    const json = runCairn(['branch', '--json', name], { cwd: dir });
    expect((JSON.parse(json.stdout) as { error: { data: { name: string } } }).error.data.name).toBe(name);
    // Led by '-', the name is an unknown option to the argument parser: its message is bounded too.
    const dash = runCairn(['branch', `-${name}`], { cwd: dir });
    expect(dash.code).toBe(2);
    expect(dash.stderr.length).toBeLessThan(1000);
  });

  it('a tree entry name of 1 MiB from a remote is refused (exit 7) with a bounded message', async () => {
    const objs = new ObjectSet();
    const f = objs.file('x\n');
    const c = objs.commit(objs.tree([{ name: 'n'.repeat(1 << 20), kind: 'file', id: f, size: 2 }]), [], 'huge name');
    const fake = await startFakeRemote(objs, [{ name: 'refs/heads/main', id: c }]);
    try {
      const r = await runCairnAsync(['clone', fake.url, 'huge-name'], tmp.dir);
      expect(r.code).toBe(7);
      expect(r.stderr.length).toBeLessThan(2000);
    } finally {
      await fake.close();
    }
  });
});
