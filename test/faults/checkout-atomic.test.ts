// Checkout is all-or-nothing at the worktree level (issue 9): a target commit with a missing or
// damaged object makes switch, checkout, reset --hard, merge and restore exit 7 and leave every
// file, the index, HEAD and .cairn exactly as they were — whether the failure is found before
// writing (a missing object) or half-way through (a chunk whose bytes do not match its id, in a
// worker thread or on the main thread).
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { deleteIndexRow, flipByte, noise } from '../helpers/fsck-damage.js';
import { Repository } from '../../src/store/repository.js';
import { readCommit, readFileObject } from '../../src/store/typed-objects.js';
import { lookupPath } from '../../src/ops/tree/tree-walk.js';
import { refState, snapshotWorktree } from './helpers.js';

const sandbox = tempDir('cairn-atomic-');
afterAll(() => sandbox.cleanup());

/** Everything a failed checkout must not change: files, index rows, refs, leftovers in .cairn. */
function state(dir: string): { files: [string, string][]; index: string; refs: string; cairn: string[] } {
  const repo = Repository.open(dir);
  let index: string;
  try {
    index = JSON.stringify(repo.index.all());
  } finally {
    repo.close();
  }
  const cairn = readdirSync(join(dir, '.cairn')).filter((n) => !/^cairn\.db-(wal|shm)$/.test(n));
  return { files: [...snapshotWorktree(dir)].sort(), index, refs: JSON.stringify(refState(dir)), cairn: cairn.sort() };
}

/**
 * main: a few files, a folder that `next` turns into a file and a file it turns into a folder.
 * next: edits, deletions, 600 new small files (enough for the worker pool), a 3 MB file of many
 * chunks and a symlink. Returns the repository folder.
 */
function makeRepo(name: string): string {
  const dir = join(sandbox.dir, name);
  mkdirSync(dir);
  cairnOk(['init'], { cwd: dir });
  writeFileSync(join(dir, 'keep.txt'), 'kept\n');
  writeFileSync(join(dir, 'edit.txt'), 'before\n');
  writeFileSync(join(dir, 'gone.txt'), 'removed by next\n');
  writeFileSync(join(dir, 'swap'), 'a file on main, a folder on next\n');
  mkdirSync(join(dir, 'fold'));
  writeFileSync(join(dir, 'fold', 'inner.txt'), 'a folder on main, a file on next\n');
  cairnOk(['add', '.'], { cwd: dir });
  cairnOk(['commit', '-m', 'main'], { cwd: dir });
  cairnOk(['switch', '-c', 'next'], { cwd: dir });
  writeFileSync(join(dir, 'edit.txt'), 'after\n');
  runCairn(['rm', 'gone.txt', 'swap', '-r', 'fold'], { cwd: dir });
  mkdirSync(join(dir, 'swap'));
  writeFileSync(join(dir, 'swap', 'x.txt'), 'now a folder\n');
  writeFileSync(join(dir, 'fold'), 'now a file\n');
  mkdirSync(join(dir, 'rows'));
  for (let i = 0; i < 600; i++) writeFileSync(join(dir, 'rows', `r${String(i).padStart(3, '0')}.json`), `{"id":${i}}\n`);
  writeFileSync(join(dir, 'big.bin'), noise(3 << 20, 7));
  symlinkSync('keep.txt', join(dir, 'link')); // relative: the old rules refused absolute links up front
  cairnOk(['add', '.'], { cwd: dir });
  cairnOk(['commit', '-m', 'next'], { cwd: dir });
  cairnOk(['switch', 'main'], { cwd: dir });
  return dir;
}

/** Ids of objects of `next` to damage: a chunk of big.bin, the file object of a new row and of edit.txt. */
function targets(dir: string): { chunk: string; row: string; edit: string } {
  const repo = Repository.open(dir);
  try {
    const tree = readCommit(repo.objects, repo.refs.resolve('refs/heads/next')!).tree;
    const big = readFileObject(repo.objects, lookupPath(repo.objects, tree, 'big.bin')!.id);
    if (big.kind !== 'chunked') throw new Error('big.bin should be chunked');
    return {
      chunk: big.chunks[Math.floor(big.chunks.length / 2)]!.id,
      row: lookupPath(repo.objects, tree, 'rows/r599.json')!.id,
      edit: lookupPath(repo.objects, tree, 'edit.txt')!.id,
    };
  } finally {
    repo.close();
  }
}

// Every command that writes a commit's tree into the worktree, from main towards next.
const COMMANDS: [string, string[]][] = [
  ['switch', ['switch', 'next']],
  ['switch --force', ['switch', '--force', 'next']],
  ['checkout', ['checkout', 'next']],
  ['checkout of a commit (detached)', ['checkout', 'next~0']],
  ['reset --hard', ['reset', '--hard', 'next']],
  ['merge (fast-forward)', ['merge', 'next']],
  ['restore --source', ['restore', '--source', 'next', '.']],
];

describe.each([
  ['a missing chunk (found before writing)', (dir: string) => deleteIndexRow(dir, targets(dir).chunk)],
  ['a corrupt chunk (found while writing, worker thread)', (dir: string) => void flipByte(dir, targets(dir).chunk)],
  ['a corrupt new small file (found while writing)', (dir: string) => void flipByte(dir, targets(dir).row)],
  ['a corrupt replacement of a tracked file (found while writing its temp)', (dir: string) => void flipByte(dir, targets(dir).edit)],
])('with %s in the target commit', (label, damage) => {
  let dir: string;
  beforeAll(() => {
    dir = makeRepo(label.replace(/\W+/g, '-'));
    damage(dir);
  }, 120_000);

  it.each(COMMANDS)('%s exits 7 and changes no file, index entry or ref', (_name, args) => {
    const before = state(dir);
    const r = runCairn(args, { cwd: dir });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(state(dir)).toEqual(before);
    expect(existsSync(join(dir, '.cairn', 'checkout-pending'))).toBe(false);
  });

  it('status is still clean and main still checks out whole', () => {
    expect(JSON.parse(cairnOk(['status', '--json'], { cwd: dir }))).toMatchObject({ staged: [], unstaged: [], untracked: [] });
    expect(snapshotWorktree(dir).get('fold/inner.txt')).toBeDefined();
    expect(snapshotWorktree(dir).get('swap')).toBeDefined();
  });
});

describe('an undamaged target', () => {
  it('is checked out whole by the same update path (folder <-> file swaps, links, 600 files)', () => {
    const dir = makeRepo('undamaged');
    cairnOk(['switch', 'next'], { cwd: dir });
    const files = snapshotWorktree(dir);
    expect(files.get('link')).toBe('-> keep.txt');
    expect(files.has('swap/x.txt') && files.has('fold') && !files.has('gone.txt')).toBe(true);
    expect([...files.keys()].filter((p) => p.startsWith('rows/'))).toHaveLength(600);
    expect(JSON.parse(cairnOk(['status', '--json'], { cwd: dir }))).toMatchObject({ staged: [], unstaged: [], untracked: [] });
    cairnOk(['switch', 'main'], { cwd: dir });
    expect(snapshotWorktree(dir).has('rows/r000.json')).toBe(false);
    expect(JSON.parse(cairnOk(['status', '--json'], { cwd: dir }))).toMatchObject({ staged: [], unstaged: [], untracked: [] });
  }, 120_000);
});
