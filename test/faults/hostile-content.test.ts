// Hostile repository content (issue 9): rules files whose patterns made regex matching hang, rules
// files that are symlinks to /dev/zero or a FIFO, or too large (docs/FORMAT.md §14.1); file names
// and remote messages holding terminal escapes; ref names git refuses; names of a megabyte.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnOk, tempDir } from '../helpers/cli.js';
import { runCairnTimed } from './helpers.js';

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

  it('a .cairnignore over 1 MiB is BAD_FORMAT (exit 7) naming the file, not silently dropped', () => {
    const dir = fresh();
    writeFileSync(join(dir, '.cairnignore'), `${'# padding\n'.repeat(110_000)}*.tmp\n`);
    const r = runCairnTimed(['status', '--json'], dir, 15_000);
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_FORMAT', data: { what: '.cairnignore', reason: 'too-large' } } });
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
