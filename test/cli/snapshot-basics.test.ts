import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdirSync, writeFileSync, unlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';

let dir: string;
let cleanup: () => void;
const write = (p: string, s: string) => {
  mkdirSync(join(dir, p, '..'), { recursive: true });
  writeFileSync(join(dir, p), s);
};

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  cairnOk(['init'], { cwd: dir });
});
afterEach(() => cleanup());

describe('init, add, status, commit', () => {
  it('shows untracked files, collapsing untracked folders like git', () => {
    write('a.csv', 'x,y\n1,2\n');
    write('data/b.json', '{"b":1}\n');
    write('data/deep/c.jsonl', '{"c":1}\n');
    expect(cairnOk(['status'], { cwd: dir })).toBe(
      'On branch main\n\nNo commits yet\n\nUntracked files:\n  (use "cairn add <file>..." to include in what will be committed)\n\ta.csv\n\tdata/\n\nno changes added to commit (use "cairn add" or "cairn commit -a")\n',
    );
    expect(cairnOk(['status', '--short', '-u', 'all'], { cwd: dir })).toBe('?? a.csv\n?? data/b.json\n?? data/deep/c.jsonl\n');
  });

  it('stages, commits with a reproducible id, and reports a clean tree', () => {
    write('a.csv', 'x,y\n1,2\n');
    write('data/b.json', '{"b":1}\n');
    expect(cairnOk(['add', '.'], { cwd: dir })).toBe('staged 2 new, 0 modified, 0 deleted file(s)\n');
    expect(cairnOk(['status', '-s'], { cwd: dir })).toBe('A  a.csv\nA  data/b.json\n');
    const out = cairnOk(['commit', '-m', 'first', '--json'], { cwd: dir });
    const res = JSON.parse(out) as { committed: boolean; id: string; parents: string[]; branch: string; files: number };
    expect(res).toMatchObject({ committed: true, parents: [], branch: 'main', files: 2 });
    expect(res.id).toMatch(/^[0-9a-f]{64}$/);
    // Same content, author and clock in another folder give the same commit id.
    const other = tempDir();
    try {
      cairnOk(['init'], { cwd: other.dir });
      mkdirSync(join(other.dir, 'data'));
      writeFileSync(join(other.dir, 'a.csv'), 'x,y\n1,2\n');
      writeFileSync(join(other.dir, 'data/b.json'), '{"b":1}\n');
      const again = JSON.parse(cairnOk(['commit', '-a', '-m', 'first', '--json'], { cwd: other.dir })) as { id: string };
      expect(again.id).toBe(res.id);
    } finally {
      other.cleanup();
    }
    expect(cairnOk(['status'], { cwd: dir })).toBe('On branch main\n\nnothing to commit, working tree clean\n');
  });

  it('sees modifications and deletions, and commit -a stages them (and new files)', () => {
    write('a.csv', '1\n');
    write('b.csv', '2\n');
    cairnOk(['commit', '-a', '-m', 'one'], { cwd: dir });
    write('a.csv', '1 changed\n');
    unlinkSync(join(dir, 'b.csv'));
    write('c.csv', 'new\n');
    expect(cairnOk(['status', '-s'], { cwd: dir })).toBe(' M a.csv\n D b.csv\n?? c.csv\n');
    const st = JSON.parse(cairnOk(['status', '--json'], { cwd: dir })) as {
      unstaged: { path: string; change: string }[];
      untracked: string[];
    };
    expect(st.unstaged.map((c) => [c.path, c.change])).toEqual([
      ['a.csv', 'modified'],
      ['b.csv', 'deleted'],
    ]);
    expect(st.untracked).toEqual(['c.csv']);
    expect(cairnOk(['commit', '-a', '-m', 'two'], { cwd: dir })).toMatch(/^\[main [0-9a-f]{12}\] two\n$/);
    expect(cairnOk(['status', '-s'], { cwd: dir })).toBe('');
  });

  it('exits 1 with nothing to commit', () => {
    write('a.csv', '1\n');
    cairnOk(['commit', '-a', '-m', 'one'], { cwd: dir });
    const r = runCairn(['commit', '-a', '-m', 'again'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('nothing to commit, working tree matches HEAD\n');
  });

  it('respects .cairnignore for untracked files but keeps tracked ones', () => {
    write('keep.csv', '1\n');
    write('tracked.tmp', 'tracked before the rule\n');
    cairnOk(['commit', '-a', '-m', 'one'], { cwd: dir });
    write('.cairnignore', '*.tmp\ncache/\n');
    write('new.tmp', 'ignored\n');
    write('cache/x.csv', 'ignored\n');
    write('tracked.tmp', 'still tracked, now modified\n');
    expect(cairnOk(['status', '-s'], { cwd: dir })).toBe(' M tracked.tmp\n?? .cairnignore\n');
  });

  it('stores a symlink as a link, without following it', () => {
    write('real.csv', 'data\n');
    symlinkSync('/etc', join(dir, 'outside'));
    cairnOk(['add', '.'], { cwd: dir });
    const st = JSON.parse(cairnOk(['status', '--json'], { cwd: dir })) as { staged: { path: string; newKind: string; newSize: number }[] };
    expect(st.staged.find((c) => c.path === 'outside')).toMatchObject({ newKind: 'symlink', newSize: 4 });
  });

  it('gives clear errors and documented exit codes', () => {
    const outside = tempDir();
    try {
      const r = runCairn(['status'], { cwd: outside.dir });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/not a cairn repository/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    } finally {
      outside.cleanup();
    }
    expect(runCairn(['add', 'missing.csv'], { cwd: dir }).code).toBe(4);
    expect(runCairn(['add', '../elsewhere'], { cwd: dir }).code).toBe(2);
    expect(runCairn(['commit'], { cwd: dir }).code).toBe(2);
    expect(runCairn(['no-such-command'], { cwd: dir }).code).toBe(2);
  });

  it('prints help with an example for every command', () => {
    const help = cairnOk(['--help'], { cwd: dir });
    const commands = [...help.matchAll(/^  ([a-z-]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(4);
    for (const c of commands) expect(cairnOk([c, '--help'], { cwd: dir }), `cairn ${c} --help`).toMatch(/Example/);
  });
});
