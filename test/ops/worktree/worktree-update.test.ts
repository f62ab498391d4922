// updateWorktree: all or nothing. A failure while staging (a damaged object, a refusal found late)
// leaves the folder exactly as it was; nothing is ever written through a symlink.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { storeBuffer } from '../../../src/store/file-writer.js';
import { Repository } from '../../../src/store/repository.js';
import type { Leaf } from '../../../src/ops/tree/tree-walk.js';
import { updateWorktree } from '../../../src/ops/worktree/worktree-update.js';
import { WorktreeWriter } from '../../../src/ops/worktree/writer.js';
import { snapshot } from '../../helpers/checkout-fixtures.js';
import { codeOf } from '../../helpers/errors.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** A repository at SANDBOX/wt with an `outside` folder beside it. */
function setup(): { repo: Repository; wt: string; outside: string; leaf: (path: string, text: string) => Leaf } {
  const sandbox = mkdtempSync(join(tmpdir(), 'cairn-update-'));
  const wt = join(sandbox, 'wt');
  const outside = join(sandbox, 'outside');
  mkdirSync(wt);
  mkdirSync(outside);
  const { repo } = Repository.init(wt);
  cleanups.push(() => {
    repo.close();
    rmSync(sandbox, { recursive: true, force: true });
  });
  const leaf = (path: string, text: string): Leaf => {
    const s = storeBuffer(repo.objects, Buffer.from(text));
    repo.objects.flush();
    return { path, kind: 'file', id: s.id, size: s.size };
  };
  return { repo, wt, outside, leaf };
}

describe('updateWorktree', () => {
  it('undoes every staged write when a file fails half-way, leaving the folder as it was', () => {
    const { repo, wt, leaf } = setup();
    writeFileSync(join(wt, 'old.txt'), 'old\n');
    writeFileSync(join(wt, 'gone.txt'), 'gone\n');
    mkdirSync(join(wt, 'kept'));
    writeFileSync(join(wt, 'blocker'), 'a file where a folder goes\n');
    const before = snapshot(wt);
    const writer = new WorktreeWriter(wt, repo.objects, { stats: true });
    // The last leaf's tree entry lies about its size: found only once its bytes are written.
    const liar = { ...leaf('z-liar.txt', 'six b\n'), size: 999 };
    const writes = [
      leaf('old.txt', 'replaced\n'),
      leaf('new/deep/a.txt', 'new folder\n'),
      leaf('kept/b.txt', 'in an existing folder\n'),
      leaf('blocker/c.txt', 'in a folder that replaces a file\n'),
      liar,
    ].map((l) => ({ leaf: l, present: l.path === 'old.txt' }));
    expect(codeOf(() => updateWorktree(writer, writes, ['gone.txt', 'blocker']))).toBe('CORRUPT_OBJECT');
    expect(snapshot(wt)).toEqual(before);
    expect(readdirSync(wt).sort()).toEqual(['.cairn', 'blocker', 'gone.txt', 'kept', 'old.txt']);
  });

  it('refuses a folder holding untracked files that a file replaces, changing nothing', () => {
    const { repo, wt, leaf } = setup();
    mkdirSync(join(wt, 'f'));
    writeFileSync(join(wt, 'f', 'tracked.txt'), 't\n');
    writeFileSync(join(wt, 'f', 'mine.txt'), 'untracked work\n');
    const before = snapshot(wt);
    const writer = new WorktreeWriter(wt, repo.objects, { stats: true });
    const writes = [leaf('a.txt', 'a\n'), leaf('f', 'now a file\n')].map((l) => ({ leaf: l, present: false }));
    expect(codeOf(() => updateWorktree(writer, writes, ['f/tracked.txt']))).toBe('DIRTY_WORKTREE');
    expect(snapshot(wt)).toEqual(before);
    // With only tracked files in it, the folder goes and the file takes its place.
    rmSync(join(wt, 'f', 'mine.txt'));
    updateWorktree(writer, writes, ['f/tracked.txt']);
    expect(readFileSync(join(wt, 'f'), 'utf8')).toBe('now a file\n');
  });

  it('never writes through a symlink standing where a folder goes', () => {
    const { repo, wt, outside, leaf } = setup();
    symlinkSync(outside, join(wt, 'a'));
    const writes = [{ leaf: leaf('a/b', 'inside\n'), present: false }];
    expect(codeOf(() => updateWorktree(new WorktreeWriter(wt, repo.objects), writes, []))).toBe('UNSAFE_PATH');
    expect(lstatSync(join(wt, 'a')).isSymbolicLink()).toBe(true);
    // Removed by this update (a tracked link), or replaced under --force: never followed.
    updateWorktree(new WorktreeWriter(wt, repo.objects), writes, ['a']);
    expect(lstatSync(join(wt, 'a')).isDirectory()).toBe(true);
    expect(readFileSync(join(wt, 'a', 'b'), 'utf8')).toBe('inside\n');
    rmSync(join(wt, 'a'), { recursive: true });
    symlinkSync(outside, join(wt, 'a'));
    updateWorktree(new WorktreeWriter(wt, repo.objects, { force: true }), writes, []);
    expect(lstatSync(join(wt, 'a')).isDirectory()).toBe(true);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a missing object before touching anything', () => {
    const { repo, wt, leaf } = setup();
    writeFileSync(join(wt, 'gone.txt'), 'gone\n');
    const before = snapshot(wt);
    const missing: Leaf = { path: 'm.txt', kind: 'file', id: 'ab'.repeat(32), size: 3 };
    const writes = [leaf('a.txt', 'a\n'), missing].map((l) => ({ leaf: l, present: false }));
    expect(codeOf(() => updateWorktree(new WorktreeWriter(wt, repo.objects), writes, ['gone.txt']))).toBe('MISSING_OBJECT');
    expect(snapshot(wt)).toEqual(before);
  });
});
