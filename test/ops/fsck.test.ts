// fsck: counts each reachable object once, and names every kind of damage with the object's id and
// the path that reaches it (missing objects, dangling refs, lying sizes, hostile names, bad packs).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsck, type FsckProblem } from '../../src/ops/fsck.js';
import { encodeTree } from '../../src/core/tree-object.js';
import { readCommit, readFileObject, writeCommit, writeTree } from '../../src/store/typed-objects.js';
import { storeBuffer } from '../../src/store/file-writer.js';
import { lookupPath } from '../../src/ops/tree/tree-walk.js';
import { Repository } from '../../src/store/repository.js';
import { AUTHOR, T0, makeCommit, tempRepo, type TempRepo } from '../helpers/history-repo.js';
import { deleteIndexRow, noise } from '../helpers/fsck-damage.js';

let t: TempRepo;
let reopened: Repository | undefined;
beforeEach(() => {
  t = tempRepo();
});
afterEach(() => {
  reopened?.close();
  reopened = undefined;
  t.cleanup();
});

const BIG = noise(300_000, 7);

function history(): { c1: string; c2: string } {
  const c1 = makeCommit(t.repo, { files: { 'a.txt': 'a', 'd/b.txt': 'b', 'd/big.bin': BIG }, message: 'one\n' });
  const c2 = makeCommit(t.repo, { files: { 'a.txt': 'aa', 'd/b.txt': 'b', 'd/big.bin': BIG }, message: 'two\n', at: 10 });
  return { c1, c2 };
}

/** Reopens the repository so no cached file descriptor or statement hides the damage. */
function reopen(): Repository {
  t.repo.close();
  reopened?.close();
  reopened = Repository.open(t.dir);
  t.repo = reopened;
  return reopened;
}

function chunksOf(repo: Repository, commit: string, path: string): string[] {
  const entry = lookupPath(repo.objects, readCommit(repo.objects, commit).tree, path)!;
  const f = readFileObject(repo.objects, entry.id);
  if (f.kind !== 'chunked') throw new Error('expected a chunked file');
  return f.chunks.map((c) => c.id);
}

describe('fsck on a healthy repository', () => {
  it('checks every reachable object exactly once, shared ones included', () => {
    const { c2 } = history();
    t.repo.refs.update([{ name: 'refs/tags/v1', expected: null, next: c2 }], 'test', 'tag');
    const chunks = chunksOf(t.repo, c2, 'd/big.bin');
    const res = fsck(t.repo);
    expect(res.problems).toEqual([]);
    expect(res.ok).toBe(true);
    // Trees: root and d/ of c1, new root of c2 (d/ is shared). Files: a, aa, b, big.
    expect(res.checked).toEqual({ commits: 2, trees: 3, files: 4, chunks: chunks.length, bytes: 1 + 2 + 1 + 300_000 });
    expect(chunks.length).toBeGreaterThan(2);
  });

  it('reports progress with the number of stored objects as the total', () => {
    history();
    const events: { done: number; total?: number }[] = [];
    fsck(t.repo, { onProgress: (e) => events.push(e) });
    const last = events[events.length - 1]!;
    expect(last.total).toBe([...t.repo.objects.allIds()].length);
    expect(last.done).toBe(last.total);
  });
});

describe('fsck finds damage', () => {
  it('names a missing chunk with its id, the file path and its position', () => {
    const { c2 } = history();
    const chunks = chunksOf(t.repo, c2, 'd/big.bin');
    deleteIndexRow(t.dir, chunks[1]!);
    const res = fsck(reopen());
    expect(res.ok).toBe(false);
    expect(res.problems).toEqual([
      {
        id: chunks[1],
        kind: 'missing',
        type: 'chunk',
        path: `refs/heads/main: commit ${c2.slice(0, 12)} file d/big.bin chunk 2/${chunks.length}`,
        message: expect.stringContaining(chunks[1]!),
      },
    ]);
  });

  it('reports a dangling ref once and still checks the other refs', () => {
    const { c2 } = history();
    const ghost = 'f'.repeat(64);
    t.repo.db.prepare('INSERT INTO refs (name, target, symbolic) VALUES (?, ?, 0)').run('refs/heads/ghost', ghost);
    const res = fsck(t.repo);
    expect(res.problems).toEqual([{ id: ghost, kind: 'missing', type: 'ref', path: 'refs/heads/ghost', message: expect.any(String) }]);
    expect(res.checked.commits).toBe(2);
    expect(c2).toBeTruthy();
  });

  it('reports a missing parent commit with the child that names it', () => {
    const { c1, c2 } = history();
    deleteIndexRow(t.dir, c1);
    const res = fsck(reopen());
    expect(res.problems.map(pick)).toEqual([
      { id: c1, kind: 'missing', type: 'commit', path: `refs/heads/main: commit ${c2.slice(0, 12)} parent 1` },
    ]);
  });

  it('blames the tree whose entry lies about a file size', () => {
    const f = storeBuffer(t.repo.objects, Buffer.from('12345'));
    const tree = writeTree(t.repo.objects, [{ name: 'five.txt', kind: 'file', id: f.id, size: 6 }]);
    const c = commitTree(tree);
    const res = fsck(t.repo);
    expect(res.problems.map(pick)).toEqual([
      { id: tree, kind: 'bad-format', type: 'tree', path: `refs/heads/main: commit ${c.slice(0, 12)} tree /` },
    ]);
  });

  it('reports a tree holding an unsafe name as unsafe-name', () => {
    const f = storeBuffer(t.repo.objects, Buffer.from('x'));
    const body = encodeTree([{ name: 'ab', kind: 'file', id: f.id, size: 1 }]);
    body.write('..', body.indexOf('ab'), 'latin1');
    const sub = t.repo.objects.put('tree', body);
    const root = writeTree(t.repo.objects, [{ name: 'evil', kind: 'tree', id: sub, size: 1 }]);
    const c = commitTree(root);
    const res = fsck(t.repo);
    expect(res.problems.map(pick)).toEqual([
      { id: sub, kind: 'unsafe-name', type: 'tree', path: `refs/heads/main: commit ${c.slice(0, 12)} tree evil` },
    ]);
  });

  it('reports a ref that names a tree instead of a commit as bad-format', () => {
    const tree = writeTree(t.repo.objects, []);
    t.repo.objects.flush();
    t.repo.refs.update([{ name: 'refs/tags/odd', expected: null, next: tree }], 'test', 'tag');
    expect(fsck(t.repo).problems.map(pick)).toEqual([{ id: tree, kind: 'bad-format', type: 'commit', path: 'refs/tags/odd' }]);
  });

  it('checks index rows against their pack, unreachable objects included', () => {
    history();
    const orphan = t.repo.objects.put('chunk', Buffer.from('nobody points at me'));
    t.repo.objects.flush();
    t.repo.db.prepare('UPDATE objects SET offset = offset + 1000000 WHERE id = ?').run(orphan);
    const res = fsck(reopen());
    expect(res.problems).toHaveLength(1);
    expect(res.problems[0]).toMatchObject({ id: orphan, kind: 'corrupt', type: 'chunk' });
    expect(res.problems[0]!.path).toMatch(/^\.cairn\/packs\/pack-.*\.pack @\d+$/);
  });

  it('notices an index row whose record header names another object', () => {
    history();
    const a = t.repo.objects.put('chunk', Buffer.from('first orphan'));
    const b = t.repo.objects.put('chunk', Buffer.from('second orphan'));
    t.repo.objects.flush();
    const rowOf = (id: string) =>
      t.repo.db.prepare('SELECT offset, stored_len FROM objects WHERE id = ?').get(id) as { offset: number; stored_len: number };
    const rb = rowOf(b);
    t.repo.db.prepare('UPDATE objects SET offset = ?, stored_len = ? WHERE id = ?').run(rb.offset, rb.stored_len, a);
    expect(fsck(reopen()).problems.map((p) => [p.id, p.kind])).toEqual([[a, 'corrupt']]);
  });
});

function pick(p: FsckProblem): Pick<FsckProblem, 'id' | 'kind' | 'type' | 'path'> {
  return { id: p.id, kind: p.kind, type: p.type, path: p.path };
}

function commitTree(tree: string): string {
  const id = writeCommit(t.repo.objects, { tree, parents: [], author: AUTHOR, time: T0, tzOffset: 0, message: 'crafted\n', meta: {} });
  t.repo.objects.flush();
  t.repo.refs.update([{ name: 'refs/heads/main', expected: null, next: id }], 'test', 'crafted');
  return id;
}
