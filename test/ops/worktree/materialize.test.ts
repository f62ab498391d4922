// materialize / WorktreeWriter: what a checkout writes, what it refuses (hostile trees, symlinks
// out of the worktree, folders replaced by symlinks), and how a rerun finishes an interrupted one.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CairnError } from '../../../src/errors.js';
import { materialize } from '../../../src/ops/worktree/materialize.js';
import { treeChanges } from '../../../src/ops/tree/tree-changes.js';
import { exportTree } from '../../../src/ops/export.js';
import { status } from '../../../src/ops/status/status.js';
import { switchBranch } from '../../../src/ops/switch.js';
import { symlinkTargetProblem, tempName } from '../../../src/ops/worktree/writer.js';
import { Repository } from '../../../src/store/repository.js';
import { commitTree, fileEntry, putRawTree, snapshot, treeOf } from '../../helpers/checkout-fixtures.js';
import { makeCommit } from '../../helpers/history-repo.js';
import { codeOf } from '../../helpers/errors.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** A repository at SANDBOX/wt, so that anything written outside the worktree is visible. */
function sandboxRepo(): { repo: Repository; sandbox: string; wt: string } {
  const sandbox = mkdtempSync(join(tmpdir(), 'cairn-mat-'));
  const wt = join(sandbox, 'wt');
  const { repo } = Repository.init(wt);
  cleanups.push(() => {
    repo.close();
    rmSync(sandbox, { recursive: true, force: true });
  });
  return { repo, sandbox, wt };
}

function clean(repo: Repository): string[] {
  const s = status(repo);
  return [
    ...s.staged.map((c) => `staged ${c.path}`),
    ...s.unstaged.map((c) => `unstaged ${c.path}`),
    ...s.untracked.map((p) => `untracked ${p}`),
  ];
}

describe('materialize', () => {
  it('writes files, folders, exec bits and symlinks, and records stat data so status is clean', () => {
    const { repo, wt } = sandboxRepo();
    const c = makeCommit(repo, {
      message: 'one',
      files: {
        'a.txt': 'alpha\n',
        'd/e/f.csv': 'k,v\n1,2\n',
        'run.sh': { exec: '#!/bin/sh\n' },
        link: { symlink: 'd/e/f.csv' },
        'd/up': { symlink: '../a.txt' },
      },
    });
    const res = materialize(repo, { from: null, to: treeOf(repo, c) });
    expect(res).toEqual({ updated: 5, removed: 0, bytes: 6 + 8 + 10 });
    expect(snapshot(wt)).toEqual({
      'a.txt': 'alpha\n',
      d: 'dir',
      'd/e': 'dir',
      'd/e/f.csv': 'k,v\n1,2\n',
      'd/up': 'link:../a.txt',
      link: 'link:d/e/f.csv',
      'run.sh': 'exec:#!/bin/sh\n',
    });
    const entries = repo.index.all();
    expect(entries.map((e) => e.path)).toEqual(['a.txt', 'd/e/f.csv', 'd/up', 'link', 'run.sh']);
    for (const e of entries) {
      const st = lstatSync(join(wt, e.path));
      expect(e.ino).toBe(st.ino);
      expect(e.size).toBe(st.size);
      expect(e.mtimeNs).toBe(Math.round(st.mtimeMs * 1e6));
    }
    // The index's tree cache is filled from the checked-out tree: nothing to rebuild for status.
    expect(repo.index.cachedTrees().get('')?.id).toBe(treeOf(repo, c));
    expect(clean(repo)).toEqual([]);
    expect(existsSync(join(repo.cairnDir, 'checkout-pending'))).toBe(false);
  });

  it('replaces changed files through a temp name, deletes removed ones and prunes emptied folders, keeping untracked files', () => {
    const { repo, wt } = sandboxRepo();
    const c1 = makeCommit(repo, {
      message: 'one',
      files: { 'a.txt': 'one\n', 'gone/x/y.txt': 'y\n', 'keep/z.txt': 'z\n', 'keep/old.txt': 'o\n' },
    });
    materialize(repo, { from: null, to: treeOf(repo, c1) });
    writeFileSync(join(wt, 'keep', 'mine.txt'), 'untracked\n');
    const inoBefore = statSync(join(wt, 'a.txt')).ino;
    const c2 = makeCommit(repo, { message: 'two', files: { 'a.txt': 'two\n', 'keep/z.txt': 'z\n', 'new/n.txt': 'n\n' } });
    const res = materialize(repo, { from: treeOf(repo, c1), to: treeOf(repo, c2) });
    expect(res).toMatchObject({ updated: 2, removed: 2 });
    expect(snapshot(wt)).toEqual({
      'a.txt': 'two\n',
      keep: 'dir',
      'keep/mine.txt': 'untracked\n',
      'keep/z.txt': 'z\n',
      new: 'dir',
      'new/n.txt': 'n\n',
    });
    // rename over the old file: a new inode, never the old one rewritten in place (no torn file).
    expect(statSync(join(wt, 'a.txt')).ino).not.toBe(inoBefore);
    expect(readdirSync(wt).filter((n) => n.endsWith('.cairn-tmp'))).toEqual([]);
    expect(repo.index.all().map((e) => e.path)).toEqual(['a.txt', 'keep/z.txt', 'new/n.txt']);
  });

  it('streams a chunked file and checks its size against the tree', () => {
    const { repo, wt } = sandboxRepo();
    const big = Buffer.alloc(6 << 20);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    const c = makeCommit(repo, { message: 'big', files: { 'big.bin': big } });
    let reports = 0;
    materialize(repo, {
      from: null,
      to: treeOf(repo, c),
      onProgress: (e) => {
        expect(e).toMatchObject({ phase: 'checkout', unit: 'files', total: 1 });
        reports++;
      },
    });
    expect(readFileSync(join(wt, 'big.bin')).equals(big)).toBe(true);
    expect(reports).toBe(1);
  });

  it('reports progress in bytes when a large file dominates', () => {
    const { repo, wt } = sandboxRepo();
    const big = Buffer.alloc(70 << 20, 'abcdefgh');
    const c = makeCommit(repo, { message: 'big', files: { 'big.bin': big, 'small.txt': 's\n' } });
    const seen: { done: number; total?: number; unit?: string }[] = [];
    materialize(repo, { from: null, to: treeOf(repo, c), onProgress: (e) => seen.push({ done: e.done, total: e.total, unit: e.unit }) });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((e) => e.unit === 'bytes' && e.total === big.length + 2)).toBe(true);
    expect(seen.at(-1)!.done).toBe(big.length + 2);
    expect(statSync(join(wt, 'big.bin')).size).toBe(big.length);
  });

  it('changes only the exec bit when content is unchanged', () => {
    const { repo, wt } = sandboxRepo();
    const c1 = makeCommit(repo, { message: 'one', files: { 'run.sh': '#!/bin/sh\n' } });
    materialize(repo, { from: null, to: treeOf(repo, c1) });
    const c2 = makeCommit(repo, { message: 'two', files: { 'run.sh': { exec: '#!/bin/sh\n' } } });
    materialize(repo, { from: treeOf(repo, c1), to: treeOf(repo, c2) });
    expect(statSync(join(wt, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(clean(repo)).toEqual([]);
  });
});

describe('hostile trees', () => {
  for (const name of ['..', '.CAIRN', '.cairn', 'a/b', 'a\\b', '.', 'nul\0x']) {
    it(`refuses an entry named ${JSON.stringify(name)} and writes nothing`, () => {
      const { repo, sandbox, wt } = sandboxRepo();
      const good = fileEntry(repo, 'good.txt', 'fine\n');
      const bad = fileEntry(repo, name, 'evil\n');
      const tree = putRawTree(repo, [good, bad]);
      const commit = commitTree(repo, tree);
      expect(codeOf(() => materialize(repo, { from: null, to: tree }))).toBe('UNSAFE_PATH');
      expect(codeOf(() => exportTree(repo, { rev: commit, dir: join(sandbox, 'out') }))).toBe('UNSAFE_PATH');
      expect(readdirSync(sandbox)).toEqual(['wt']);
      expect(readdirSync(wt)).toEqual(['.cairn']);
      expect(repo.index.count()).toBe(0);
    });
  }

  it('refuses a hostile name nested below good folders, before writing anything', () => {
    const { repo, sandbox, wt } = sandboxRepo();
    const inner = putRawTree(repo, [fileEntry(repo, '..', 'evil\n')]);
    const mid = putRawTree(repo, [{ name: 'deeper', kind: 'tree', id: inner, size: 5 }]);
    const top = putRawTree(repo, [fileEntry(repo, 'a.txt', 'a\n'), { name: 'sub', kind: 'tree', id: mid, size: 5 }]);
    expect(codeOf(() => materialize(repo, { from: null, to: top }))).toBe('UNSAFE_PATH');
    expect(readdirSync(sandbox)).toEqual(['wt']);
    expect(readdirSync(wt)).toEqual(['.cairn']);
  });

  it('refuses a tree folder named .cairn that would overwrite the repository', () => {
    const { repo, wt } = sandboxRepo();
    const inner = putRawTree(repo, [fileEntry(repo, 'cairn.db', 'garbage')]);
    const top = putRawTree(repo, [{ name: '.Cairn', kind: 'tree', id: inner, size: 7 }]);
    const dbBefore = readFileSync(join(wt, '.cairn', 'cairn.db'));
    expect(codeOf(() => materialize(repo, { from: null, to: top }))).toBe('UNSAFE_PATH');
    expect(readFileSync(join(wt, '.cairn', 'cairn.db')).equals(dbBefore)).toBe(true);
  });

  for (const target of ['../../etc', '/etc/passwd', '../x', 'a/../../x', 'd/../..', '.cairn/cairn.db', 'sub/../.CAIRN']) {
    it(`checks out a symlink to ${target} as a link, writing nothing through it`, () => {
      const { repo, sandbox, wt } = sandboxRepo();
      const tree = putRawTree(repo, [fileEntry(repo, 'a.txt', 'a\n'), fileEntry(repo, 'evil', target, 'symlink')]);
      materialize(repo, { from: null, to: tree });
      expect(readlinkSync(join(wt, 'evil'))).toBe(target);
      exportTree(repo, { rev: commitTree(repo, tree), dir: join(sandbox, 'out') });
      expect(readlinkSync(join(sandbox, 'out', 'evil'))).toBe(target);
      expect(readdirSync(sandbox).sort()).toEqual(['out', 'wt']);
      expect(readdirSync(wt).sort()).toEqual(['.cairn', 'a.txt', 'evil']);
    });
  }

  it('refuses only symlink targets no link can hold (docs/FORMAT.md §5.1)', () => {
    const t = (s: string) => symlinkTargetProblem(Buffer.from(s));
    for (const ok of ['a.txt', '../a.txt', '../../../../etc', '/etc/passwd', 'a/../../x', '.cairn/cairn.db']) expect(t(ok)).toBeNull();
    expect(t('')).toMatch(/empty/);
    expect(t('a\0b')).toMatch(/NUL/);
  });

  it('never writes through a folder the user replaced by a symlink to outside', () => {
    const { repo, sandbox, wt } = sandboxRepo();
    const c1 = makeCommit(repo, { message: 'one', files: { 'd/x.txt': 'one\n', 'top.txt': 't\n' } });
    switchBranch(repo, { branch: 'main', force: true });
    const outside = join(sandbox, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'x.txt'), 'precious\n');
    rmSync(join(wt, 'd'), { recursive: true });
    symlinkSync(outside, join(wt, 'd'));
    const c2 = makeCommit(repo, { message: 'two', files: { 'd/x.txt': 'two\n', 'd/new.txt': 'n\n', 'top.txt': 't\n' } });
    // Without --force: the symlink is the user's, so the checkout refuses and names it.
    let err: CairnError | undefined;
    try {
      materialize(repo, { from: treeOf(repo, c1), to: treeOf(repo, c2) });
    } catch (e) {
      err = e as CairnError;
    }
    expect(err?.code).toBe('DIRTY_WORKTREE');
    expect(err?.data['paths']).toEqual(['d']);
    expect(readdirSync(outside)).toEqual(['x.txt']);
    // With --force the link is replaced by a real folder; what it pointed to is untouched.
    materialize(repo, { from: treeOf(repo, c1), to: treeOf(repo, c2), force: true });
    expect(readFileSync(join(outside, 'x.txt'), 'utf8')).toBe('precious\n');
    expect(readdirSync(outside)).toEqual(['x.txt']);
    expect(lstatSync(join(wt, 'd')).isDirectory()).toBe(true);
    expect(snapshot(wt)).toEqual({ d: 'dir', 'd/new.txt': 'n\n', 'd/x.txt': 'two\n', 'top.txt': 't\n' });
  });

  it('does not delete through a symlinked folder either', () => {
    const { repo, sandbox, wt } = sandboxRepo();
    const c1 = makeCommit(repo, { message: 'one', files: { 'd/x.txt': 'one\n' } });
    materialize(repo, { from: null, to: treeOf(repo, c1) });
    const outside = join(sandbox, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'x.txt'), 'precious\n');
    rmSync(join(wt, 'd'), { recursive: true });
    symlinkSync(outside, join(wt, 'd'));
    const c2 = makeCommit(repo, { message: 'two', files: { 'e.txt': 'e\n' } });
    materialize(repo, { from: treeOf(repo, c1), to: treeOf(repo, c2), force: true });
    expect(readFileSync(join(outside, 'x.txt'), 'utf8')).toBe('precious\n');
    expect(readlinkSync(join(wt, 'd'))).toBe(outside);
  });
});

describe('interrupted checkout', () => {
  it('a rerun overwrites its own partial new files and finishes, with a clean status', () => {
    const { repo, wt } = sandboxRepo();
    const c1 = makeCommit(repo, { message: 'one', files: { 'base.txt': 'b\n' } });
    materialize(repo, { from: null, to: treeOf(repo, c1) });
    const files: Record<string, string> = { 'base.txt': 'b2\n' };
    for (let i = 0; i < 600; i++) files[`rows/r${String(i).padStart(3, '0')}.json`] = `{"id":${i}}\n`;
    const c2 = makeCommit(repo, { message: 'two', files });
    const from = treeOf(repo, c1);
    const to = treeOf(repo, c2);
    // A failure half-way (here thrown from progress after 256 files) is undone: the worktree,
    // the index and the crash marker are as they were.
    expect(() =>
      materialize(repo, {
        from,
        to,
        onProgress: () => {
          throw new Error('failed');
        },
      }),
    ).toThrow('failed');
    expect(existsSync(join(repo.cairnDir, 'checkout-pending'))).toBe(false);
    expect(existsSync(join(wt, 'rows'))).toBe(false);
    expect(readFileSync(join(wt, 'base.txt'), 'utf8')).toBe('b\n');
    // What a kill -9 half-way leaves instead (nothing runs to undo it): the marker, some new
    // files, one of them torn; index and HEAD untouched.
    writeFileSync(join(repo.cairnDir, 'checkout-pending'), JSON.stringify({ from, to }));
    mkdirSync(join(wt, 'rows'));
    for (let i = 0; i < 300; i++) writeFileSync(join(wt, `rows/r${String(i).padStart(3, '0')}.json`), `{"id":${i}}\n`);
    writeFileSync(join(wt, 'rows/r300.json'), '{"i');
    expect(repo.index.get('rows/r000.json')).toBeUndefined();
    // The rerun does not refuse because of its own work.
    materialize(repo, { from, to });
    expect(readFileSync(join(wt, 'rows/r300.json'), 'utf8')).toBe('{"id":300}\n');
    expect(readFileSync(join(wt, 'base.txt'), 'utf8')).toBe('b2\n');
    expect(existsSync(join(repo.cairnDir, 'checkout-pending'))).toBe(false);
    expect(repo.index.count()).toBe(601);
    expect(clean(repo)).toEqual([]);
  });

  it('without the marker, an untracked file in the way is refused', () => {
    const { repo, wt } = sandboxRepo();
    const c1 = makeCommit(repo, { message: 'one', files: { 'base.txt': 'b\n' } });
    materialize(repo, { from: null, to: treeOf(repo, c1) });
    const c2 = makeCommit(repo, { message: 'two', files: { 'base.txt': 'b\n', 'new.txt': 'new\n' } });
    writeFileSync(join(wt, 'new.txt'), 'mine\n');
    expect(codeOf(() => materialize(repo, { from: treeOf(repo, c1), to: treeOf(repo, c2) }))).toBe('DIRTY_WORKTREE');
    expect(readFileSync(join(wt, 'new.txt'), 'utf8')).toBe('mine\n');
  });

  it('removes a leftover temp file of an interrupted replace', () => {
    const { repo, wt } = sandboxRepo();
    const c1 = makeCommit(repo, { message: 'one', files: { 'a.txt': 'one\n' } });
    materialize(repo, { from: null, to: treeOf(repo, c1) });
    writeFileSync(join(wt, tempName('a.txt')), 'half');
    const c2 = makeCommit(repo, { message: 'two', files: { 'a.txt': 'two\n' } });
    materialize(repo, { from: treeOf(repo, c1), to: treeOf(repo, c2) });
    expect(readdirSync(wt).sort()).toEqual(['.cairn', 'a.txt']);
  });

  it('a partial file at a changed path is never left torn: either the old or the new content', () => {
    const { repo, wt } = sandboxRepo();
    const c1 = makeCommit(repo, { message: 'one', files: { 'a.txt': 'old content\n' } });
    materialize(repo, { from: null, to: treeOf(repo, c1) });
    truncateSync(join(wt, 'a.txt'), 3);
    // A file the user (not cairn) changed is dirty: the checkout refuses rather than overwrite it.
    const c2 = makeCommit(repo, { message: 'two', files: { 'a.txt': 'new content\n' } });
    expect(codeOf(() => materialize(repo, { from: treeOf(repo, c1), to: treeOf(repo, c2) }))).toBe('DIRTY_WORKTREE');
  });
});

describe('treeChanges', () => {
  it('skips equal subtrees and reports typechanges between a file and a folder', () => {
    const { repo } = sandboxRepo();
    const c1 = makeCommit(repo, { message: 'one', files: { 'same/a.txt': 'a', x: 'file', 'y/z': 'z' } });
    const c2 = makeCommit(repo, { message: 'two', files: { 'same/a.txt': 'a', 'x/inner': 'i', y: 'file now' } });
    const changes = treeChanges(repo.objects, treeOf(repo, c1), treeOf(repo, c2));
    expect(changes.map((c) => [c.path, c.old?.kind ?? '-', c.new?.kind ?? '-'])).toEqual([
      ['x/inner', '-', 'file'],
      ['x', 'file', '-'],
      ['y/z', 'file', '-'],
      ['y', '-', 'file'],
    ]);
  });
});
