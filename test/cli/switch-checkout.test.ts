// End-to-end: the built `cairn` binary's switch, checkout, restore, reset and export — human and
// --json output, exit codes, and the files they leave behind.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';

const tmp = tempDir('cairn-cli-switch-');
afterAll(() => tmp.cleanup());

let n = 0;
/** A fresh repository with main (a.txt, d/x.txt, shared.txt) and dev (a.txt changed, b.txt, no d/). */
function setup(): { dir: string; main: string; dev: string } {
  const dir = join(tmp.dir, `r${n++}`);
  mkdirSync(dir);
  cairnOk(['init'], { cwd: dir });
  writeFileSync(join(dir, 'a.txt'), 'a main\n');
  writeFileSync(join(dir, 'shared.txt'), 'same\n');
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd', 'x.txt'), 'x\n');
  cairnOk(['commit', '-a', '-m', 'main'], { cwd: dir });
  cairnOk(['switch', '-c', 'dev'], { cwd: dir });
  writeFileSync(join(dir, 'a.txt'), 'a dev\n');
  writeFileSync(join(dir, 'b.txt'), 'b\n');
  cairnOk(['rm', '-r', 'd'], { cwd: dir });
  cairnOk(['commit', '-a', '-m', 'dev'], { cwd: dir });
  cairnOk(['switch', 'main'], { cwd: dir });
  const id = (rev: string) => cairnOk(['rev-parse', rev], { cwd: dir }).trim();
  return { dir, main: id('main'), dev: id('dev') };
}

let r: ReturnType<typeof setup>;
beforeAll(() => {
  r = setup();
});

describe('cairn switch', () => {
  it('creates, switches and reports in human and --json form', () => {
    const { dir } = setup();
    expect(cairnOk(['switch', 'dev'], { cwd: dir })).toBe("Switched to branch 'dev' (2 file(s) updated, 1 removed)\n");
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a dev\n');
    expect(existsSync(join(dir, 'd'))).toBe(false);
    expect(cairnOk(['switch', 'dev'], { cwd: dir })).toBe("Already on 'dev'\n");
    expect(cairnOk(['switch', '-c', 'topic'], { cwd: dir })).toBe("Switched to a new branch 'topic'\n");
    const json = JSON.parse(cairnOk(['switch', '--json', 'main'], { cwd: dir }));
    const main = cairnOk(['rev-parse', 'main'], { cwd: dir }).trim();
    const dev = cairnOk(['rev-parse', 'dev'], { cwd: dir }).trim();
    expect(json).toEqual({
      branch: 'main',
      head: main,
      detached: false,
      created: false,
      alreadyOn: false,
      previous: { branch: 'topic', head: dev },
      updated: 2,
      removed: 1,
    });
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('');
  });

  it('refuses to overwrite local changes with exit 6 naming the files, and --force discards them', () => {
    const { dir } = setup();
    writeFileSync(join(dir, 'a.txt'), 'my edit\n');
    const res = runCairn(['switch', 'dev'], { cwd: dir });
    expect(res.code).toBe(6);
    expect(res.stderr).toContain('a.txt');
    expect(res.stdout).toBe('');
    const json = runCairn(['switch', '--json', 'dev'], { cwd: dir });
    expect(json.code).toBe(6);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'DIRTY_WORKTREE', data: { paths: ['a.txt'] } });
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('my edit\n');
    expect(cairnOk(['switch', '--force', 'dev'], { cwd: dir })).toBe("Switched to branch 'dev' (2 file(s) updated, 1 removed)\n");
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a dev\n');
  });

  it('creates a branch at a start point and detaches with --detach', () => {
    const { dir, dev } = setup();
    expect(cairnOk(['switch', '-c', 'from-dev', 'dev'], { cwd: dir })).toBe(
      "Switched to a new branch 'from-dev' (2 file(s) updated, 1 removed)\n",
    );
    expect(runCairn(['switch', '-c', 'dev'], { cwd: dir }).code).toBe(6);
    expect(cairnOk(['switch', '--detach', 'main'], { cwd: dir })).toMatch(
      /^HEAD is now at [0-9a-f]{12} \(2 file\(s\) updated, 1 removed\)\n$/,
    );
    expect(cairnOk(['rev-parse', 'HEAD'], { cwd: dir }).trim()).not.toBe(dev);
  });

  it('exits 2 on usage errors and 4 for an unknown branch', () => {
    expect(runCairn(['switch'], { cwd: r.dir }).code).toBe(2);
    expect(runCairn(['switch', 'main', 'dev'], { cwd: r.dir }).code).toBe(2);
    expect(runCairn(['switch', 'nope'], { cwd: r.dir }).code).toBe(4);
  });

  it('has help with an example', () => {
    for (const cmd of ['switch', 'checkout', 'restore', 'reset', 'export']) {
      const out = cairnOk([cmd, '--help'], { cwd: r.dir });
      expect(out).toContain('Example:');
      expect(out).toContain(`cairn ${cmd}`);
    }
  });
});

describe('cairn checkout', () => {
  it('detaches at a revision and switches back to a branch', () => {
    const { dir, main, dev } = setup();
    expect(cairnOk(['checkout', 'dev~1'], { cwd: dir })).toBe(`HEAD is now at ${main.slice(0, 12)}\n`);
    expect(JSON.parse(cairnOk(['checkout', '--json', dev], { cwd: dir }))).toMatchObject({ branch: null, detached: true, head: dev });
    expect(cairnOk(['status'], { cwd: dir })).toContain(`HEAD detached at ${dev.slice(0, 12)}`);
    expect(cairnOk(['checkout', 'main'], { cwd: dir })).toBe("Switched to branch 'main' (2 file(s) updated, 1 removed)\n");
    expect(runCairn(['checkout', 'no-such-rev'], { cwd: dir }).code).toBe(4);
  });
});

describe('cairn restore', () => {
  it('discards worktree edits, unstages, and restores from a revision', () => {
    const { dir } = setup();
    writeFileSync(join(dir, 'a.txt'), 'edit\n');
    expect(cairnOk(['restore', 'a.txt'], { cwd: dir })).toBe('1 file(s) restored\n');
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a main\n');
    writeFileSync(join(dir, 'a.txt'), 'staged\n');
    cairnOk(['add', 'a.txt'], { cwd: dir });
    expect(cairnOk(['restore', '--staged', 'a.txt'], { cwd: dir })).toBe('1 index entry reset\n');
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe(' M a.txt\n');
    const json = JSON.parse(cairnOk(['restore', '--json', '--source', 'dev', '.'], { cwd: dir }));
    expect(json).toEqual({ written: ['a.txt', 'b.txt'], removed: ['d/x.txt'], staged: [] });
    expect(runCairn(['restore', 'nope.txt'], { cwd: dir }).code).toBe(4);
  });

  it('takes paths relative to the current folder', () => {
    const { dir } = setup();
    writeFileSync(join(dir, 'd', 'x.txt'), 'edit\n');
    cairnOk(['restore', 'x.txt'], { cwd: join(dir, 'd') });
    expect(readFileSync(join(dir, 'd', 'x.txt'), 'utf8')).toBe('x\n');
  });
});

describe('cairn reset', () => {
  it('moves the branch in each mode and unstages paths after --', () => {
    const { dir, main, dev } = setup();
    cairnOk(['switch', 'dev'], { cwd: dir });
    expect(cairnOk(['reset', '--soft', 'HEAD~1'], { cwd: dir })).toBe(`HEAD is now at ${main.slice(0, 12)}\n`);
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('M  a.txt\nA  b.txt\nD  d/x.txt\n');
    expect(cairnOk(['reset', '--mixed', dev], { cwd: dir })).toBe(`HEAD is now at ${dev.slice(0, 12)}\n`);
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('');
    writeFileSync(join(dir, 'a.txt'), 'edit\n');
    cairnOk(['add', 'a.txt'], { cwd: dir });
    expect(cairnOk(['reset', '--', 'a.txt'], { cwd: dir })).toBe('Unstaged changes after reset:\n\ta.txt\n');
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe(' M a.txt\n');
    cairnOk(['add', 'a.txt'], { cwd: dir });
    expect(cairnOk(['reset', 'a.txt'], { cwd: dir })).toBe('Unstaged changes after reset:\n\ta.txt\n');
    const json = JSON.parse(cairnOk(['reset', '--json', '--hard', 'main'], { cwd: dir }));
    expect(json).toMatchObject({ mode: 'hard', branch: 'dev', previous: dev, head: main, updated: 2, removed: 1 });
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a main\n');
    expect(cairnOk(['rev-parse', 'dev'], { cwd: dir }).trim()).toBe(main);
    expect(runCairn(['reset', '--soft', '--hard'], { cwd: dir }).code).toBe(2);
    expect(runCairn(['reset', 'main', 'dev', '--', 'a.txt'], { cwd: dir }).code).toBe(2);
  });
});

describe('cairn export', () => {
  it('writes a snapshot (or one folder of it) into a new folder, and refuses a non-empty one', () => {
    const { dir, main } = setup();
    const out = join(tmp.dir, `export-${n}`);
    expect(cairnOk(['export', 'main', out], { cwd: dir })).toBe(`exported 3 file(s) (14 B) of ${main.slice(0, 12)} to ${out}\n`);
    expect(readFileSync(join(out, 'd', 'x.txt'), 'utf8')).toBe('x\n');
    expect(existsSync(join(out, '.cairn'))).toBe(false);
    const res = runCairn(['export', 'main', out], { cwd: dir });
    expect(res.code).toBe(6);
    const sub = join(tmp.dir, `export-sub-${n}`);
    expect(JSON.parse(cairnOk(['export', '--json', 'main:d', sub], { cwd: dir }))).toEqual({ dir: sub, commit: main, files: 1, bytes: 2 });
    expect(readFileSync(join(sub, 'x.txt'), 'utf8')).toBe('x\n');
    expect(runCairn(['export', 'main:nope', join(tmp.dir, 'never')], { cwd: dir }).code).toBe(4);
    expect(existsSync(join(tmp.dir, 'never'))).toBe(false);
  });
});

describe('many files (worker threads write them)', () => {
  it('switch and export write 700 new files exactly, and status is clean afterwards', () => {
    const dir = join(tmp.dir, 'many');
    mkdirSync(dir);
    cairnOk(['init'], { cwd: dir });
    writeFileSync(join(dir, 'readme.txt'), 'few\n');
    cairnOk(['commit', '-a', '-m', 'few'], { cwd: dir });
    cairnOk(['switch', '-c', 'many'], { cwd: dir });
    const want = new Map<string, string>();
    for (let i = 0; i < 700; i++) {
      const p = `rows/part${i % 7}/r${i}.json`;
      mkdirSync(join(dir, 'rows', `part${i % 7}`), { recursive: true });
      const body = `{"id":${i},"v":"${'x'.repeat(i % 50)}"}\n`;
      writeFileSync(join(dir, p), body);
      want.set(p, body);
    }
    cairnOk(['commit', '-a', '-m', 'many'], { cwd: dir });
    cairnOk(['switch', 'main'], { cwd: dir });
    expect(existsSync(join(dir, 'rows'))).toBe(false);
    expect(cairnOk(['switch', 'many'], { cwd: dir })).toBe("Switched to branch 'many' (700 file(s) updated, 0 removed)\n");
    for (const [p, body] of want) expect(readFileSync(join(dir, p), 'utf8')).toBe(body);
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('');
    const out = join(tmp.dir, 'many-export');
    expect(cairnOk(['export', 'many', out], { cwd: dir })).toMatch(/^exported 701 file\(s\)/);
    for (const [p, body] of want) expect(readFileSync(join(out, p), 'utf8')).toBe(body);
  });
});
