// The server-storage conformance suite (issue 10): every ServerStorage (the folder backend and the
// PostgreSQL + S3 one, src/sync/server/storage/backend.ts) runs these tests unchanged through a
// factory. Real objects built with src/core (chunks, inline and chunked files, trees, commits),
// staged through a StagingWriter as receive stages them, then: repositories (open/create/list),
// refs through repo.refs (compare-and-swap, all-or-none batches, REF_MOVED with the found value,
// the reflog), objects (absent ids, staged vs promoted visibility, verified reads), the quarantine
// (a staged object is invisible to fetch and to refs until published) and the push transaction
// (publish: all or nothing, MISSING_OBJECT for an id no longer staged, a retry finding its refs
// already moved is REF_MOVED with found = the new value, which the push layer answers "up to date").
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashObject, type ObjectId, type ObjectType } from '../../src/core/hash.js';
import { encodeChunkedFile, encodeInlineFile } from '../../src/core/file-object.js';
import { encodeTree } from '../../src/core/tree-object.js';
import { encodeCommit } from '../../src/core/commit-object.js';
import { COMP_DEFLATE, COMP_NONE } from '../../src/core/compress.js';
import { typeCodeOf, verifyRecord, type RawRecord } from '../../src/store/object-store.js';
import type { RepositoryStorage, ServerStorage } from '../../src/sync/server/storage/backend.js';
import { failure } from './helpers.js';

export interface ServerStorageHandle {
  storage: ServerStorage;
  cleanup(): Promise<void>;
}

/** One object as receive hands it to a StagingWriter: its id, type, body and stored form. */
export interface TestObject {
  id: ObjectId;
  type: ObjectType;
  body: Buffer;
  stored: Buffer;
  comp: number;
  /** For a file object: its content size (FORMAT §5). */
  fileSize?: number;
}

function object(type: ObjectType, body: Buffer, fileSize?: number): TestObject {
  // Big bodies deflated, small ones raw: a backend must keep both exactly.
  const deflate = body.length >= 4096;
  const stored = deflate ? deflateRawSync(body, { level: 1 }) : body;
  return {
    id: hashObject(type, body),
    type,
    body,
    stored,
    comp: deflate ? COMP_DEFLATE : COMP_NONE,
    ...(fileSize !== undefined ? { fileSize } : {}),
  };
}

/** A one-commit history unique to `seed`: a chunk, a chunked file, an inline file, a tree, a commit (children first). */
export function history(
  seed: string,
  parents: ObjectId[] = [],
): { objects: TestObject[]; commit: ObjectId; tree: ObjectId; files: TestObject[] } {
  const chunkBody = Buffer.from(`chunk of ${seed}\n`.repeat(400));
  const chunk = object('chunk', chunkBody);
  const big = object('file', encodeChunkedFile([{ id: chunk.id, size: chunkBody.length }]), chunkBody.length);
  const text = Buffer.from(`hello from ${seed}\n`);
  const small = object('file', encodeInlineFile(text), text.length);
  const tree = object(
    'tree',
    encodeTree([
      { name: 'big.txt', kind: 'file', id: big.id, size: chunkBody.length },
      { name: 'small.txt', kind: 'file', id: small.id, size: text.length },
    ]),
  );
  const commit = object(
    'commit',
    encodeCommit({
      tree: tree.id,
      parents,
      author: { name: 'Suite', email: 'suite@example.com' },
      time: 1_760_000_000_000,
      tzOffset: 0,
      message: `commit ${seed}\n`,
      meta: {},
    }),
  );
  return { objects: [chunk, big, small, tree, commit], commit: commit.id, tree: tree.id, files: [big, small] };
}

/** Stages `objects` through one writer, as one push-objects request does, and closes it (which flushes). */
export async function stage(repo: RepositoryStorage, objects: readonly TestObject[], opts: { withFileSize?: boolean } = {}): Promise<void> {
  const w = repo.stager('suite-client');
  for (const o of objects) {
    w.putEncoded(o.id, o.type, o.stored, o.comp, o.body.length, false, opts.withFileSize === false ? undefined : o.fileSize);
  }
  await w.close();
}

async function collect(records: AsyncIterable<RawRecord> | Iterable<RawRecord>): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

const ids = (objects: readonly TestObject[]): ObjectId[] => objects.map((o) => o.id);
const MAIN = 'refs/heads/main';

export function describeServerStorage(name: string, open: () => Promise<ServerStorageHandle>): void {
  describe(`server storage conformance: ${name}`, () => {
    let h: ServerStorageHandle;
    let counter = 0;
    const fresh = async (): Promise<RepositoryStorage> => {
      const repo = await h.storage.open(`suite/r${++counter}-${Date.now().toString(36)}`, true);
      if (repo === undefined) throw new Error('open(name, true) gave no repository');
      return repo;
    };
    /** Stages and publishes a history with `main` moved to it (from `from`): a stored, referenced commit. */
    const commitOn = async (repo: RepositoryStorage, seed: string, from: ObjectId | null, parents: ObjectId[] = []) => {
      const hist = history(seed, parents);
      await stage(repo, hist.objects);
      await repo.publish({
        promote: ids(hist.objects),
        moves: [{ name: MAIN, expected: from, next: hist.commit }],
        who: 'suite',
        message: `push ${seed}`,
      });
      return hist;
    };

    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('opens a repository only when it exists or create is set, and lists it', async () => {
      const name = `suite/listed-${Date.now().toString(36)}`;
      expect(await h.storage.open(name, false)).toBeUndefined();
      const repo = await h.storage.open(name, true);
      expect(repo?.name).toBe(name);
      const again = await h.storage.open(name, false);
      expect(again?.name).toBe(name);
      expect(await h.storage.list()).toContain(name);
      expect((await h.storage.list(1)).length).toBeLessThanOrEqual(1);
      expect(await repo!.checkedOut()).toBeNull();
      h.storage.release(repo!);
      h.storage.release(again!);
      const ready = await h.storage.ready();
      expect(ready).toEqual({ ready: true, problems: [] });
    });

    it('lacking: absent ids are lacking, staged and published ones are not', async () => {
      const repo = await fresh();
      const a = history('lacking-a');
      const b = history('lacking-b');
      expect(await repo.lacking(ids(a.objects))).toEqual(a.objects.map(() => true));
      await stage(repo, a.objects);
      expect(await repo.lacking([...ids(a.objects), ...ids(b.objects)])).toEqual([
        ...a.objects.map(() => false),
        ...b.objects.map(() => true),
      ]);
      await repo.publish({ promote: ids(a.objects), moves: [], who: 'suite', message: 'promote' });
      expect(await repo.lacking(ids(a.objects))).toEqual(a.objects.map(() => false));
      // The same id twice answers alike both times.
      expect(await repo.lacking([b.commit, a.commit, b.commit])).toEqual([true, false, true]);
    });

    it('a staged object is invisible to fetch and to refs, visible to the closure check, until published', async () => {
      const repo = await fresh();
      const hist = history('quarantine');
      await stage(repo, hist.objects);

      // Outside: the store only.
      expect((await repo.objects.whereMany(ids(hist.objects))).size).toBe(0);
      expect((await failure(() => repo.objects.getMany([hist.commit]))).code).toBe('MISSING_OBJECT');
      const missing = await failure(() => repo.records([hist.commit]));
      expect(missing.code).toBe('MISSING_OBJECT');
      const refused = await failure(() => repo.refs.update([{ name: MAIN, expected: null, next: hist.commit }], 'suite', 'too early'));
      expect(refused.code).toBe('MISSING_OBJECT');
      expect(await repo.refs.read(MAIN)).toBeUndefined();

      // The closure check's view: the store and the quarantine.
      const where = await repo.staged.whereMany(ids(hist.objects));
      expect(where.size).toBe(hist.objects.length);
      for (const o of hist.objects) expect(where.get(o.id)).toMatchObject({ where: 'staged', type: o.type, size: o.body.length });
      const got = await repo.staged.getMany(ids(hist.objects));
      for (const o of hist.objects) {
        expect(got.get(o.id)?.type).toBe(o.type);
        expect(Buffer.from(got.get(o.id)!.data).equals(o.body)).toBe(true);
      }
      expect(await repo.stagedBytes()).toBeGreaterThan(0);

      const moved = await repo.publish({
        promote: ids(hist.objects),
        moves: [{ name: MAIN, expected: null, next: hist.commit }],
        who: 'suite',
        message: 'push',
      });
      expect(moved).toBe(hist.objects.length);
      expect(await repo.refs.resolve(MAIN)).toBe(hist.commit);
      const stored = await repo.objects.whereMany(ids(hist.objects));
      for (const o of hist.objects) expect(stored.get(o.id)).toMatchObject({ where: 'store', type: o.type, size: o.body.length });
      expect(await repo.stagedBytes()).toBe(0);

      // Fetch's records: every id once, each one verifying against its id.
      const records = await collect(await repo.records(ids(hist.objects)));
      expect(records.map((r) => r.id).sort()).toEqual(ids(hist.objects).sort());
      for (const r of records) {
        const o = hist.objects.find((x) => x.id === r.id)!;
        expect(r.typeCode).toBe(typeCodeOf(o.type));
        expect(r.rawLen).toBe(o.body.length);
        expect(Buffer.from(verifyRecord(r.id, r.typeCode, r.comp, Buffer.from(r.stored), r.rawLen + 1).data).equals(o.body)).toBe(true);
      }
      const log = await repo.refs.reflog(MAIN);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ ref: MAIN, old: null, new: hist.commit, who: 'suite', message: 'push' });
    });

    it('the store wins over the quarantine: an object staged again after publishing reads as stored', async () => {
      const repo = await fresh();
      const hist = await commitOn(repo, 'wins', null);
      await stage(repo, hist.objects);
      const where = await repo.staged.whereMany(ids(hist.objects));
      for (const o of hist.objects) expect(where.get(o.id)?.where).toBe('store');
    });

    it('a writer ignores an id put twice, and publish counts each object once', async () => {
      const repo = await fresh();
      const hist = history('twice');
      const w = repo.stager('suite-client');
      for (const o of [...hist.objects, ...hist.objects]) w.putEncoded(o.id, o.type, o.stored, o.comp, o.body.length, false, o.fileSize);
      await w.flush();
      for (const o of hist.objects) w.putEncoded(o.id, o.type, o.stored, o.comp, o.body.length, false, o.fileSize);
      await w.close();
      expect(await repo.publish({ promote: [...ids(hist.objects), hist.commit], moves: [], who: 'suite', message: 'p' })).toBe(
        hist.objects.length,
      );
    });

    it('publish with an id neither staged nor stored is MISSING_OBJECT and applies nothing', async () => {
      const repo = await fresh();
      const base = await commitOn(repo, 'base', null);
      const next = history('next', [base.commit]);
      await stage(repo, next.objects.slice(0, -1)); // everything but the commit
      const err = await failure(() =>
        repo.publish({
          promote: ids(next.objects),
          moves: [{ name: MAIN, expected: base.commit, next: next.commit }],
          who: 'suite',
          message: 'p',
        }),
      );
      expect(err.code).toBe('MISSING_OBJECT');
      expect(err.data).toMatchObject({ id: next.commit });
      // Nothing applied: the ref, the reflog and the quarantine are as before.
      expect(await repo.refs.resolve(MAIN)).toBe(base.commit);
      expect(await repo.refs.reflog(MAIN)).toHaveLength(1);
      expect((await repo.objects.whereMany(ids(next.objects))).size).toBe(0);
      const still = await repo.staged.whereMany(ids(next.objects));
      expect(next.objects.slice(0, -1).every((o) => still.get(o.id)?.where === 'staged')).toBe(true);
    });

    it('publish moving a ref that moved meanwhile is REF_MOVED with the found value, and promotes nothing', async () => {
      const repo = await fresh();
      const base = await commitOn(repo, 'race-base', null);
      const theirs = await commitOn(repo, 'race-theirs', base.commit, [base.commit]);
      const mine = history('race-mine', [base.commit]);
      await stage(repo, mine.objects);
      const err = await failure(() =>
        repo.publish({
          promote: ids(mine.objects),
          moves: [{ name: MAIN, expected: base.commit, next: mine.commit }],
          who: 'suite',
          message: 'p',
        }),
      );
      expect(err.code).toBe('REF_MOVED');
      expect(err.data).toMatchObject({ ref: MAIN, expected: base.commit, found: theirs.commit });
      expect((await repo.objects.whereMany(ids(mine.objects))).size).toBe(0);
      expect((await repo.staged.whereMany(ids(mine.objects))).size).toBe(mine.objects.length);
    });

    it('a publish run again after its first attempt committed finds REF_MOVED with found = its own new value', async () => {
      const repo = await fresh();
      const base = await commitOn(repo, 'retry-base', null);
      const next = history('retry-next', [base.commit]);
      await stage(repo, next.objects);
      const req = {
        promote: ids(next.objects),
        moves: [{ name: MAIN, expected: base.commit, next: next.commit }],
        who: 'suite',
        message: 'retried',
      };
      expect(await repo.publish(req)).toBe(next.objects.length);
      const err = await failure(() => repo.publish(req));
      expect(err.code).toBe('REF_MOVED');
      // found === next: the push layer tells "up to date" from "fetch first" by this.
      expect(err.data).toMatchObject({ ref: MAIN, expected: base.commit, found: next.commit });
      expect(await repo.refs.reflog(MAIN)).toHaveLength(2);
    });

    it('refs through repo.refs: compare-and-swap, all-or-none batches, REF_MOVED with found, the reflog', async () => {
      const repo = await fresh();
      const a = await commitOn(repo, 'refs-a', null);
      const b = history('refs-b', [a.commit]);
      await stage(repo, b.objects);
      await repo.publish({ promote: ids(b.objects), moves: [], who: 'suite', message: 'objects only' });
      // A wrong expected value: REF_MOVED naming what was found, nothing changed.
      const moved = await failure(() => repo.refs.update([{ name: MAIN, expected: b.commit, next: a.commit }], 'suite', 'cas'));
      expect(moved.code).toBe('REF_MOVED');
      expect(moved.data).toMatchObject({ ref: MAIN, expected: b.commit, found: a.commit });
      // A batch whose second update fails applies neither.
      const batch = await failure(() =>
        repo.refs.update(
          [
            { name: 'refs/heads/topic', expected: null, next: b.commit },
            { name: MAIN, expected: null, next: b.commit },
          ],
          'suite',
          'batch',
        ),
      );
      expect(batch.code).toBe('REF_MOVED');
      expect(batch.data).toMatchObject({ ref: MAIN, expected: null, found: a.commit });
      expect(await repo.refs.read('refs/heads/topic')).toBeUndefined();
      // A good batch applies both, in one reflog step each.
      await repo.refs.update(
        [
          { name: 'refs/heads/topic', expected: null, next: b.commit },
          { name: MAIN, expected: a.commit, next: b.commit },
        ],
        'suite',
        'both',
      );
      expect(await repo.refs.list('refs/heads/')).toEqual([
        { name: MAIN, id: b.commit },
        { name: 'refs/heads/topic', id: b.commit },
      ]);
      const log = await repo.refs.reflog(MAIN);
      expect(log.map((e) => [e.old, e.new, e.message])).toEqual([
        [a.commit, b.commit, 'both'],
        [null, a.commit, 'push refs-a'],
      ]);
      // A ref naming an object the repository does not store is refused.
      const ghost = hashObject('commit', Buffer.from('never stored'));
      expect((await failure(() => repo.refs.update([{ name: MAIN, expected: undefined, next: ghost }], 'suite', 'ghost'))).code).toBe(
        'MISSING_OBJECT',
      );
    });

    it('fileSizes gives each file its content size, with or without the size given when staged', async () => {
      const repo = await fresh();
      const withSize = history('sizes-1');
      const withoutSize = history('sizes-2');
      await stage(repo, withSize.objects);
      await stage(repo, withoutSize.objects, { withFileSize: false });
      for (const view of [repo.staged]) {
        const files = [...withSize.files, ...withoutSize.files];
        const where = await view.whereMany(ids(files));
        const sizes = await view.fileSizes(where);
        for (const f of files) expect(sizes.get(f.id)).toBe(f.fileSize);
      }
      await repo.publish({ promote: [...ids(withSize.objects), ...ids(withoutSize.objects)], moves: [], who: 'suite', message: 'p' });
      const where = await repo.objects.whereMany(ids(withoutSize.files));
      const sizes = await repo.objects.fileSizes(where);
      for (const f of withoutSize.files) expect(sizes.get(f.id)).toBe(f.fileSize);
      const notFile = await repo.objects.whereMany([withSize.tree]);
      expect((await failure(() => repo.objects.fileSizes(notFile))).code).toBe('BAD_FORMAT');
    });

    it('getMany refuses an object of another type than expected (BAD_FORMAT) and a missing id (MISSING_OBJECT)', async () => {
      const repo = await fresh();
      const hist = await commitOn(repo, 'types', null);
      const err = await failure(() => repo.objects.getMany([hist.tree, hist.commit], 'commit'));
      expect(err.code).toBe('BAD_FORMAT');
      expect(err.data).toMatchObject({ id: hist.tree });
      expect((await repo.objects.getMany([hist.commit], 'commit')).get(hist.commit)?.type).toBe('commit');
      const ghost = hashObject('tree', Buffer.from('no such tree'));
      const missing = await failure(() => repo.staged.getMany([hist.tree, ghost]));
      expect(missing.code).toBe('MISSING_OBJECT');
      expect(missing.data).toMatchObject({ id: ghost });
    });

    it('expireStaging drops staging older than the age; the objects are lacking again', async () => {
      const repo = await fresh();
      const kept = await commitOn(repo, 'expire-kept', null);
      const old = history('expire-old', [kept.commit]);
      await stage(repo, old.objects);
      expect(await repo.expireStaging(60_000)).toEqual({ objects: 0, packs: 0 });
      const gone = await repo.expireStaging(1_000, Date.now() + 60_000);
      expect(gone.objects).toBe(old.objects.length);
      expect(gone.packs).toBeGreaterThanOrEqual(1);
      expect(await repo.lacking(ids(old.objects))).toEqual(old.objects.map(() => true));
      expect(await repo.stagedBytes()).toBe(0);
      // Promoted objects are not staging: they stay.
      expect((await repo.objects.getMany(ids(kept.objects))).size).toBe(kept.objects.length);
      const late = await failure(() => repo.publish({ promote: ids(old.objects), moves: [], who: 'suite', message: 'late' }));
      expect(late.code).toBe('MISSING_OBJECT');
    });
  });
}
