// stagedClosure, the quarantine exit check: a complete closure yields exactly the quarantined
// objects it reaches (stopping at the store), a missing object is MISSING_OBJECT and an object of
// the wrong type in a reference (a commit whose tree is a chunk) is BAD_FORMAT.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { ObjectId } from '../../../src/core/hash.js';
import { encodeInlineFile } from '../../../src/core/file-object.js';
import { HASH_ONLY, PackStore, type ObjectWriter } from '../../../src/store/object-store.js';
import { storeBuffer } from '../../../src/store/file-writer.js';
import { Repository } from '../../../src/store/repository.js';
import { writeCommit, writeTree } from '../../../src/store/typed-objects.js';
import { stagedClosure } from '../../../src/sync/protocol/closure.js';
import { packStoreSource } from '../../../src/sync/protocol/object-source.js';
import { tempDir } from '../../helpers/cli.js';
import { failure } from '../../conformance/helpers.js';

const closure = (store: PackStore, tips: ObjectId[], known?: { inlineFiles?: ReadonlySet<ObjectId> }) =>
  stagedClosure(packStoreSource(store), tips, known);
import { AUTHOR, T0 } from '../../helpers/history-repo.js';

let dir: string;
let cleanup: () => void;
let repo: Repository;
let staging: PackStore;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('cairn-closure-'));
  repo = Repository.init(dir).repo;
  staging = new PackStore(repo.db, repo.cairnDir, { staging: true });
});
afterEach(() => {
  staging.close();
  repo.close();
  cleanup();
});

function big(seed: string, n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < n; i++) parts.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(parts).subarray(0, n);
}

function commit(store: ObjectWriter, tree: ObjectId, parents: ObjectId[] = [], message = 'm'): ObjectId {
  return writeCommit(store, { tree, parents, author: AUTHOR, time: T0, tzOffset: 0, message, meta: {} });
}

/** Every id a writer was asked to put, in order (a recording wrapper around the staging store). */
function recording(store: PackStore): { writer: PackStore; ids: Set<ObjectId> } {
  const ids = new Set<ObjectId>();
  const writer = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'put')
        return (type: Parameters<PackStore['put']>[0], body: Uint8Array) => {
          const id = target.put(type, body);
          ids.add(id);
          return id;
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { writer, ids };
}

describe('stagedClosure', async () => {
  it('returns exactly the quarantined objects a complete push reaches', async () => {
    const { writer, ids } = recording(staging);
    const f1 = storeBuffer(writer, big('one', 90_000));
    const f2 = storeBuffer(writer, Buffer.from('small'));
    const sub = writeTree(writer, [{ name: 'big.bin', kind: 'file', id: f1.id, size: f1.size }]);
    const root = writeTree(writer, [
      { name: 'd', kind: 'tree', id: sub, size: f1.size },
      { name: 'a.txt', kind: 'file', id: f2.id, size: f2.size },
    ]);
    const c1 = commit(writer, root);
    const c2 = commit(writer, root, [c1], 'second');
    staging.flush();
    expect(ids.size).toBeGreaterThan(6);
    const got = await closure(staging, [c2]);
    expect(new Set(got)).toEqual(ids);
    expect(got.length).toBe(ids.size);
    // Nothing became visible to ordinary readers.
    expect(repo.objects.has(c2)).toBe(false);
  });

  it('reads no inline file the caller vouches for, and still checks its presence and type', async () => {
    const small = Array.from({ length: 20 }, (_, i) => storeBuffer(staging, Buffer.from(`small ${i}`)));
    const chunked = storeBuffer(staging, big('two', 90_000));
    const tree = writeTree(staging, [
      ...small.map((f, i) => ({ name: `s${String(i).padStart(2, '0')}`, kind: 'file' as const, id: f.id, size: f.size })),
      { name: 'z.bin', kind: 'file', id: chunked.id, size: chunked.size },
    ]);
    const c = commit(staging, tree);
    staging.flush();
    const inlineFiles = new Set(small.map((f) => f.id));
    const reads: ObjectId[] = [];
    const counted = new Proxy(staging, {
      get(target, prop, receiver) {
        if (prop === 'getMany') return (ids: ObjectId[]) => (reads.push(...ids), target.getMany(ids));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const plain = await closure(staging, [c]);
    const vouched = await closure(counted, [c], { inlineFiles });
    expect(new Set(vouched)).toEqual(new Set(plain));
    // The commit, the tree and the chunked file object are read; none of the 20 small files.
    expect(new Set(reads)).toEqual(new Set([c, tree, chunked.id]));
    // Vouched for or not, an inline file that is missing or of the wrong type is still refused.
    const ghost = HASH_ONLY.put('file', encodeInlineFile(Buffer.from('never sent')));
    const c2 = commit(staging, writeTree(staging, [{ name: 'g', kind: 'file', id: ghost, size: 10 }]));
    const c3 = commit(staging, writeTree(staging, [{ name: 'h', kind: 'file', id: tree, size: 10 }]));
    staging.flush();
    expect((await failure(() => closure(staging, [c2], { inlineFiles: new Set([ghost]) }))).code).toBe('MISSING_OBJECT');
    expect((await failure(() => closure(staging, [c3], { inlineFiles: new Set([tree]) }))).code).toBe('BAD_FORMAT');
  });

  it('stops at objects already in the store', async () => {
    const base = storeBuffer(repo.objects, Buffer.from('already here'));
    const baseTree = writeTree(repo.objects, [{ name: 'x', kind: 'file', id: base.id, size: base.size }]);
    const parent = commit(repo.objects, baseTree);
    repo.objects.flush();
    const f = storeBuffer(staging, Buffer.from('new'));
    const tree = writeTree(staging, [
      { name: 'x', kind: 'file', id: base.id, size: base.size },
      { name: 'y', kind: 'file', id: f.id, size: f.size },
    ]);
    const child = commit(staging, tree, [parent]);
    staging.flush();
    expect(new Set(await closure(staging, [child]))).toEqual(new Set([child, tree, f.id]));
  });

  it('refuses a closure with a missing object, naming it and what reached it', async () => {
    const f = storeBuffer(staging, Buffer.from('present'));
    const absent = HASH_ONLY.put('file', encodeInlineFile(Buffer.from('never sent')));
    const tree = writeTree(staging, [
      { name: 'a', kind: 'file', id: f.id, size: f.size },
      { name: 'b', kind: 'file', id: absent, size: 10 },
    ]);
    const c = commit(staging, tree);
    staging.flush();
    const err = await failure(() => closure(staging, [c]));
    expect(err.code).toBe('MISSING_OBJECT');
    expect(err.data).toMatchObject({ id: absent, from: tree });
  });

  it('refuses a missing tip and a missing parent', async () => {
    const ghost = commit(HASH_ONLY, 'ab'.repeat(32));
    expect((await failure(() => closure(staging, [ghost]))).code).toBe('MISSING_OBJECT');
    const tree = writeTree(staging, []);
    const c = commit(staging, tree, [ghost]);
    staging.flush();
    expect((await failure(() => closure(staging, [c]))).data).toMatchObject({ id: ghost, from: c });
  });

  it('refuses a commit whose tree is a chunk', async () => {
    const chunk = staging.put('chunk', Buffer.from('raw bytes, not a tree'));
    const c = commit(staging, chunk);
    staging.flush();
    const err = await failure(() => closure(staging, [c]));
    expect(err.code).toBe('BAD_FORMAT');
    expect(err.data).toMatchObject({ id: chunk, from: c });
  });

  it('refuses a tip that is a tree, and a tree entry whose file is a commit', async () => {
    const tree = writeTree(staging, []);
    const c = commit(staging, tree);
    const bad = writeTree(staging, [{ name: 'f', kind: 'file', id: c, size: 1 }]);
    const c2 = commit(staging, bad);
    staging.flush();
    expect((await failure(() => closure(staging, [tree]))).code).toBe('BAD_FORMAT');
    expect((await failure(() => closure(staging, [c2]))).code).toBe('BAD_FORMAT');
  });
});
