// diff's sides (index/worktree, --cached, REV vs worktree, commit vs commit), path limits, kind
// changes, and the pruning of equal subtrees when two commits are compared.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Repository } from '../../../src/store/repository.js';
import { add } from '../../../src/ops/add.js';
import { commit } from '../../../src/ops/commit.js';
import { rm } from '../../../src/ops/rm.js';
import type { DiffChange } from '../../../src/ops/diff/diff-types.js';
import { diff, diffCommits } from '../../../src/ops/diff/diff.js';
import { lookupPath } from '../../../src/ops/tree/tree-walk.js';
import { readCommit } from '../../../src/store/typed-objects.js';
import { hashObject } from '../../../src/core/hash.js';
import { encodeInlineFile } from '../../../src/core/file-object.js';
import type { CairnError } from '../../../src/errors.js';

const AUTHOR = { name: 'Test', email: 'test@example.com' };
let dir: string;
let repo: Repository;
let clock = 1_700_000_000_000;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-diff-'));
  repo = Repository.init(dir).repo;
});
afterEach(() => {
  repo.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(path: string, content: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

function snapshot(message: string): string {
  add(repo, { paths: [''] });
  const res = commit(repo, { message, author: AUTHOR, time: (clock += 1000), tzOffset: 0 });
  if (!res.committed) throw new Error('nothing committed');
  return res.id;
}

const fileId = (content: string) => hashObject('file', encodeInlineFile(Buffer.from(content)));
const brief = (cs: DiffChange[]) => cs.map((c) => `${c.change} ${c.path}`);

function base(): string {
  write('a.txt', 'alpha\n');
  write('data/x.csv', 'id,v\n1,2\n');
  write('data/sub/y.json', '{"y":1}\n');
  write('database.csv', 'db\n');
  return snapshot('base');
}

describe('index vs worktree (cairn diff)', () => {
  it('shows unstaged modifications and deletions with ids and sizes, never untracked files', () => {
    base();
    write('a.txt', 'alpha beta\n');
    unlinkSync(join(dir, 'data/x.csv'));
    write('untracked.txt', 'u');
    const res = diff(repo);
    expect(res.from).toEqual({ type: 'index' });
    expect(res.to).toEqual({ type: 'worktree' });
    expect(res.changes).toEqual([
      {
        path: 'a.txt',
        change: 'modified',
        old: { id: fileId('alpha\n'), kind: 'file', size: 6 },
        new: { id: fileId('alpha beta\n'), kind: 'file', size: 11 },
      },
      { path: 'data/x.csv', change: 'deleted', old: { id: fileId('id,v\n1,2\n'), kind: 'file', size: 9 }, new: null },
    ]);
    expect(res.summary).toEqual({ files: 2, added: 0, modified: 1, deleted: 1, typechange: 0, bytesAdded: 5, bytesRemoved: 9 });
  });

  it('is empty once the changes are staged', () => {
    base();
    write('a.txt', 'changed\n');
    add(repo, { paths: [''] });
    expect(diff(repo).changes).toEqual([]);
    expect(brief(diff(repo, { cached: true }).changes)).toEqual(['modified a.txt']);
  });

  it('reports an exec-bit flip as a modification with the same id', () => {
    base();
    chmodSync(join(dir, 'a.txt'), 0o755);
    const [c] = diff(repo).changes;
    expect(c).toEqual({
      path: 'a.txt',
      change: 'modified',
      old: { id: fileId('alpha\n'), kind: 'file', size: 6 },
      new: { id: fileId('alpha\n'), kind: 'exec', size: 6 },
    });
  });

  it('reports a file replaced by a symlink as a typechange', () => {
    base();
    unlinkSync(join(dir, 'a.txt'));
    symlinkSync('data/x.csv', join(dir, 'a.txt'));
    expect(diff(repo).changes).toEqual([
      {
        path: 'a.txt',
        change: 'typechange',
        old: { id: fileId('alpha\n'), kind: 'file', size: 6 },
        new: { id: fileId('data/x.csv'), kind: 'symlink', size: 10 },
      },
    ]);
  });
});

describe('commit vs index (cairn diff --cached [REV])', () => {
  it('shows every staged file as added on an unborn branch', () => {
    write('a.txt', 'alpha\n');
    write('d/b.txt', 'b');
    add(repo, { paths: [''] });
    const res = diff(repo, { cached: true });
    expect(res.from).toEqual({ type: 'commit', id: null });
    expect(res.to).toEqual({ type: 'index' });
    expect(brief(res.changes)).toEqual(['added a.txt', 'added d/b.txt']);
  });

  it('compares the index with an older revision when given one', () => {
    const c1 = base();
    write('new.txt', 'n');
    snapshot('second');
    rm(repo, { paths: ['database.csv'] });
    expect(brief(diff(repo, { cached: true }).changes)).toEqual(['deleted database.csv']);
    expect(brief(diff(repo, { cached: true, from: c1 }).changes)).toEqual(['deleted database.csv', 'added new.txt']);
  });
});

describe('commit vs worktree (cairn diff REV)', () => {
  it('combines staged and unstaged changes, and counts an untracked leftover of a tracked path as deleted', () => {
    base();
    write('a.txt', 'staged\n');
    add(repo, { paths: ['a.txt'] });
    write('data/x.csv', 'unstaged\n');
    rm(repo, { paths: ['database.csv'], cached: true });
    write('brand-new.txt', 'not tracked');
    expect(brief(diff(repo, { from: 'HEAD' }).changes)).toEqual(['modified a.txt', 'modified data/x.csv', 'deleted database.csv']);
    const res = diff(repo, { from: 'HEAD', paths: ['data/x.csv'] });
    expect(res.to).toEqual({ type: 'worktree' });
    expect(res.changes[0]!.new).toEqual({ id: fileId('unstaged\n'), kind: 'file', size: 9 });
  });
});

describe('commit vs commit (cairn diff A B)', () => {
  it('lists additions, modifications and deletions between two commits', () => {
    const c1 = base();
    write('a.txt', 'alpha2\n');
    unlinkSync(join(dir, 'data/sub/y.json'));
    write('data/z.txt', 'z');
    add(repo, { paths: [''] });
    const c2 = snapshot('two');
    const res = diff(repo, { from: c1, to: c2 });
    expect(res.from).toEqual({ type: 'commit', id: c1 });
    expect(res.to).toEqual({ type: 'commit', id: c2 });
    expect(brief(res.changes)).toEqual(['modified a.txt', 'deleted data/sub/y.json', 'added data/z.txt']);
    expect(brief(diff(repo, { from: c2, to: c1 }).changes)).toEqual(['modified a.txt', 'added data/sub/y.json', 'deleted data/z.txt']);
    expect(diff(repo, { from: 'HEAD', to: c2 }).changes).toEqual([]);
  });

  it('never reads a subtree whose id is equal on both sides', () => {
    write('big/1.txt', '1');
    write('big/deep/2.txt', '2');
    write('small.txt', 's');
    const c1 = snapshot('one');
    write('small.txt', 's2');
    const c2 = snapshot('two');
    const bigId = lookupPath(repo.objects, readCommit(repo.objects, c1).tree, 'big')!.id;
    const deepId = lookupPath(repo.objects, readCommit(repo.objects, c1).tree, 'big/deep')!.id;
    const get = vi.spyOn(repo.objects, 'get');
    expect(brief(diffCommits(repo.objects, c1, c2))).toEqual(['modified small.txt']);
    const read = get.mock.calls.map((c) => c[0]);
    expect(read).not.toContain(bigId);
    expect(read).not.toContain(deepId);
    // Two commits and two root trees: nothing else.
    expect(read).toHaveLength(4);
  });

  it('shows a file replaced by a directory as a deletion plus additions', () => {
    write('thing', 'a file');
    const c1 = snapshot('file');
    unlinkSync(join(dir, 'thing'));
    write('thing/inside.txt', 'now a dir');
    add(repo, { paths: [''] });
    const c2 = snapshot('dir');
    expect(brief(diff(repo, { from: c1, to: c2 }).changes)).toEqual(['deleted thing', 'added thing/inside.txt']);
  });

  it('classifies exec-bit and symlink changes', () => {
    write('run.sh', 'echo hi\n');
    write('link', 'plain');
    const c1 = snapshot('one');
    chmodSync(join(dir, 'run.sh'), 0o755);
    unlinkSync(join(dir, 'link'));
    symlinkSync('run.sh', join(dir, 'link'));
    const c2 = snapshot('two');
    const res = diff(repo, { from: c1, to: c2 });
    expect(res.changes.map((c) => [c.change, c.path, c.old?.kind, c.new?.kind])).toEqual([
      ['typechange', 'link', 'file', 'symlink'],
      ['modified', 'run.sh', 'file', 'exec'],
    ]);
    expect(res.changes[1]!.old!.id).toBe(res.changes[1]!.new!.id);
  });
});

describe('path limits', () => {
  it('limits every mode to a directory (not its name-prefixed siblings) or a file', () => {
    const c1 = base();
    write('data/x.csv', 'changed\n');
    write('data/sub/y.json', '{"y":2}\n');
    write('database.csv', 'changed db\n');
    write('a.txt', 'changed a\n');
    const expected = ['modified data/sub/y.json', 'modified data/x.csv'];
    expect(brief(diff(repo, { paths: ['data'] }).changes)).toEqual(expected);
    expect(brief(diff(repo, { paths: ['data/'] }).changes)).toEqual(expected);
    expect(brief(diff(repo, { from: c1, paths: ['data'] }).changes)).toEqual(expected);
    add(repo, { paths: [''] });
    expect(brief(diff(repo, { cached: true, paths: ['data'] }).changes)).toEqual(expected);
    const c2 = snapshot('two');
    expect(brief(diff(repo, { from: c1, to: c2, paths: ['data'] }).changes)).toEqual(expected);
    expect(brief(diff(repo, { from: c1, to: c2, paths: ['data/sub', 'a.txt'] }).changes)).toEqual([
      'modified a.txt',
      'modified data/sub/y.json',
    ]);
    expect(brief(diff(repo, { from: c1, to: c2, paths: [''] }).changes)).toHaveLength(4);
    expect(diff(repo, { from: c1, to: c2, paths: ['nowhere'] }).changes).toEqual([]);
  });

  it('refuses a path that could escape the worktree', () => {
    base();
    expect(() => diff(repo, { paths: ['../etc'] })).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH' }));
  });
});

describe('argument errors', () => {
  it('needs a first revision before a second, and --cached takes one revision', () => {
    base();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as CairnError).code;
      }
      return 'ok';
    };
    expect(code(() => diff(repo, { to: 'HEAD' }))).toBe('USAGE');
    expect(code(() => diff(repo, { from: 'HEAD', to: 'HEAD', cached: true }))).toBe('USAGE');
    expect(code(() => diff(repo, { from: 'no-such-branch' }))).toBe('NOT_FOUND');
  });
});
