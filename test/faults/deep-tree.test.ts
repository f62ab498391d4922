// Unbounded depth (issue 9): a tree 100k folders deep used to crash clone with a stack overflow
// (exit 70). Every tree walk is iterative now, and a tree nested deeper than MAX_TREE_DEPTH (4096,
// docs/FORMAT.md §7.1) is BAD_FORMAT (exit 7) wherever it is walked; one exactly that deep still
// reads. Served by the lying server for clone, and built locally for the other commands.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { ObjectSet, startFakeRemote, type FakeRemote } from '../helpers/fake-remote.js';
import { MAX_TREE_DEPTH } from '../../src/core/tree-depth.js';
import { encodeTree } from '../../src/core/tree-object.js';
import { Repository } from '../../src/store/repository.js';
import { storeBuffer } from '../../src/store/file-writer.js';
import { commitTree } from '../helpers/checkout-fixtures.js';
import { startServer } from '../helpers/server.js';
import { runCairnAsync, snapshotWorktree } from './helpers.js';

const DEEP = 100_000;
/** Deep enough that a recursive walk would overflow the stack, shallow enough to push quickly. */
const PUSH_DEEP = 20_000;
const sandbox = tempDir('cairn-deep-');
afterAll(() => sandbox.cleanup());

const noTrace = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at |internal error/);

describe('a tree 100k folders deep served by a remote', () => {
  let fake: FakeRemote;
  beforeAll(async () => {
    const objects = new ObjectSet();
    let id = objects.tree([{ name: 'leaf.txt', kind: 'file', id: objects.file('bottom\n'), size: 7 }]);
    for (let i = 0; i < DEEP; i++) id = objects.tree([{ name: 'd', kind: 'tree', id, size: 7 }]);
    const commit = objects.commit(id, [], 'deep\n');
    fake = await startFakeRemote(objects, [{ name: 'refs/heads/main', id: commit }]);
  }, 60_000);
  afterAll(() => fake?.close());

  it('clone exits 7 with a message, never 70, and the clone is left usable', async () => {
    const dir = join(sandbox.dir, 'clone');
    // Asynchronous: the lying server answers from this process.
    const r = await runCairnAsync(['clone', fake.url, dir], sandbox.dir);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/4096 folders deep/);
    expect(r.stderr.length).toBeLessThan(1000); // the path is quoted by its start only
    noTrace(r.stderr);
    expect(readdirSync(dir)).toEqual(['.cairn']);
    const fsck = runCairn(['fsck'], { cwd: dir });
    expect(fsck.code).not.toBe(70);
    noTrace(fsck.stderr);
    expect(runCairn(['log', '--oneline', 'origin/main'], { cwd: dir }).code).toBe(0);
  }, 120_000);
});

describe('deep trees in a local repository', () => {
  const wt = join(sandbox.dir, 'local');
  /** Commits over a chain of `d` folders: depth -> commit id. */
  const commits = new Map<number, string>();
  beforeAll(() => {
    mkdirSync(wt);
    cairnOk(['init'], { cwd: wt });
    writeFileSync(join(wt, 'top.txt'), 'top\n');
    cairnOk(['add', '.'], { cwd: wt });
    cairnOk(['commit', '-m', 'shallow'], { cwd: wt });
    const repo = Repository.open(wt);
    try {
      // Children of main, so merge fast-forwards (a checkout) and switch is a two-tree update.
      const main = repo.refs.resolve('HEAD')!;
      const leaf = storeBuffer(repo.objects, Buffer.from('bottom\n'));
      let id = repo.objects.put('tree', encodeTree([{ name: 'leaf.txt', kind: 'file', id: leaf.id, size: leaf.size }]));
      for (let depth = 1; depth <= DEEP; depth++) {
        id = repo.objects.put('tree', encodeTree([{ name: 'd', kind: 'tree', id, size: 7 }]));
        if ([MAX_TREE_DEPTH, MAX_TREE_DEPTH + 1, PUSH_DEEP, DEEP].includes(depth)) {
          repo.objects.flush();
          const c = commitTree(repo, id, [main], `depth ${depth}`);
          commits.set(depth, c);
          repo.refs.update([{ name: `refs/heads/d${depth}`, expected: null, next: c }], 'test', 'branch');
        }
      }
      repo.objects.flush();
    } finally {
      repo.close();
    }
  }, 120_000);

  it(`ls -r lists a tree exactly ${MAX_TREE_DEPTH} folders deep`, () => {
    const out = cairnOk(['ls', '-r', `d${MAX_TREE_DEPTH}`], { cwd: wt });
    expect(out).toContain(`${'d/'.repeat(MAX_TREE_DEPTH)}leaf.txt`);
  });

  it(`switch to a tree ${MAX_TREE_DEPTH} deep is refused before any folder is made (path past PATH_MAX)`, () => {
    const before = snapshotWorktree(wt);
    const r = runCairn(['switch', `d${MAX_TREE_DEPTH}`], { cwd: wt });
    // 'd/' x 4096 is longer than Linux allows a path to be: an I/O error (exit 10), not a crash.
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toMatch(/more than the 4096 this system allows; nothing was changed/);
    expect(r.stderr.length).toBeLessThan(1000);
    noTrace(r.stderr);
    expect(snapshotWorktree(wt)).toEqual(before);
  });

  for (const depth of [MAX_TREE_DEPTH + 1, DEEP]) {
    it.each([
      ['ls -r', ['ls', '-r', `d${depth}`]],
      ['diff', ['diff', 'main', `d${depth}`]],
      ['switch', ['switch', `d${depth}`]],
      ['switch --force', ['switch', '--force', `d${depth}`]],
      ['reset --hard', ['reset', '--hard', `d${depth}`]],
      ['restore --source', ['restore', '--source', `d${depth}`, '.']],
      ['merge', ['merge', `d${depth}`]],
      ['export', ['export', `d${depth}`, join(sandbox.dir, `export-${depth}`)]],
    ])(`%s of a tree ${depth} deep exits 7 and changes nothing`, (_name, args) => {
      const before = snapshotWorktree(wt);
      const r = runCairn(args, { cwd: wt });
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr).toMatch(/nested more than 4096 folders deep/);
      noTrace(r.stderr);
      expect(snapshotWorktree(wt)).toEqual(before);
      expect(cairnOk(['rev-parse', 'HEAD'], { cwd: wt }).trim()).not.toBe(commits.get(depth));
    });
  }

  it('fsck walks the 100k-deep history without crashing, and log reads it', () => {
    const r = runCairn(['fsck'], { cwd: wt });
    expect(r.code, r.stderr).not.toBe(70);
    noTrace(r.stderr);
    expect(runCairn(['log', '--oneline', `d${DEEP}`], { cwd: wt }).code).toBe(0);
  }, 120_000);

  it('push to a real server and clone back: the sender and the receiver walk it, the checkout refuses it (exit 7)', async () => {
    const server = await startServer(join(sandbox.dir, 'srv'));
    try {
      const url = `${server.url}/deep`;
      const push = runCairn(['push', url, `d${PUSH_DEEP}:main`], { cwd: wt });
      expect(push.code, push.stderr).toBe(0);
      const dir = join(sandbox.dir, 'clone-back');
      const r = runCairn(['clone', url, dir], { cwd: sandbox.dir });
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr).toMatch(/nested more than 4096 folders deep/);
      noTrace(r.stderr);
    } finally {
      await server.stop();
    }
    expect(server.log()).not.toMatch(/Maximum call stack|internal error/);
  }, 180_000);
});
