// The RefStore conformance suite: every ref store (SQLite directly; FolderRefStore and PgRefStore
// behind the server seam, test/sync/server/storage/pg-refs.test.ts) runs these tests unchanged through
// a factory. It checks the contract in src/store/ref-store-contract.ts:
// compare-and-swap, all-or-none batches, REF_MOVED and its data, deletion, symbolic refs, listing
// order, the reflog, transactions, and two handles racing one compare-and-swap.
//
// Every call is awaited and failures are caught with `failure()`, so the same bodies run against a
// synchronous store (today) and a promise-returning one. Ref names are not validated by a store (the
// callers check them with core/names.ts), so there is no "invalid name" case here; invalid values
// (not an id, an object not stored, writing through a symbolic ref) are.
import { describe, expect } from 'vitest';
import type { ObjectId } from '../../src/core/hash.js';
import type { RefStore } from '../../src/store/ref-store-contract.js';
import type { ServerRefStore } from '../../src/sync/server/storage/refs.js';
import { compareNames } from '../../src/core/names.js';
import { checkKnownFailures, failure, testFactory, type SuiteOptions } from './helpers.js';

export interface RefStoreHandle {
  /** A synchronous store (SQLite) or an async one of the server seam: every call is awaited either way. */
  refs: RefStore | ServerRefStore;
  close(): Promise<void>;
}

export interface RefStoreFixture extends RefStoreHandle {
  /**
   * Stores an object whose closure is itself and returns its id: what `update` may point a ref at.
   * Different seeds give different ids.
   */
  storeObject(seed: string): Promise<ObjectId>;
  /** A second, independent handle on the same refs (another process, another server). */
  openAnother(): Promise<RefStoreHandle>;
}

/** A reflog `time` may come from a database server's clock: allowed this far from ours. */
const CLOCK_SLACK_MS = 5_000;

/** An id that no store holds: a valid id whose object was never stored. */
const GHOST: ObjectId = 'e'.repeat(64);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RefSuiteOptions extends SuiteOptions {
  /**
   * Whether the store has the synchronous `transaction(fn)` of RefStore (default true). The server
   * seam's stores have none (one update batch is a request's atomic change), so that block is not registered for them.
   */
  transactions?: boolean;
}

export function refStoreConformance(name: string, open: () => Promise<RefStoreFixture>, opts: RefSuiteOptions = {}): void {
  const titles = new Set<string>();
  const test = testFactory(opts, titles);
  /** Runs `body` against a fresh store, closing it (and its extra handles) afterwards. */
  const fresh =
    (body: (f: RefStoreFixture, ids: ObjectId[]) => Promise<void>, objects = 3): (() => Promise<void>) =>
    async () => {
      const f = await open();
      try {
        const ids: ObjectId[] = [];
        for (let i = 0; i < objects; i++) ids.push(await f.storeObject(`object ${i}`));
        await body(f, ids);
      } finally {
        await f.close();
      }
    };

  describe(`RefStore conformance: ${name}`, () => {
    describe('compare-and-swap', () => {
      test(
        'reads a missing ref as undefined and resolves it to null',
        fresh(async ({ refs }) => {
          expect(await refs.read('refs/heads/none')).toBeUndefined();
          expect(await refs.resolve('refs/heads/none')).toBeNull();
          expect(await refs.resolveName('refs/heads/none')).toEqual({ name: 'refs/heads/none', id: null });
          expect(await refs.reflog('refs/heads/none')).toEqual([]);
        }),
      );

      test(
        'creates a ref when expected is null and none exists',
        fresh(async ({ refs }, [a]) => {
          await refs.update([{ name: 'refs/heads/x', expected: null, next: a! }], 'me', 'create');
          expect(await refs.read('refs/heads/x')).toEqual({ symbolic: false, id: a });
          expect(await refs.resolve('refs/heads/x')).toBe(a);
        }),
      );

      test(
        'refuses a create (expected null) over an existing ref with REF_MOVED, keeping it',
        fresh(async ({ refs }, [a, b]) => {
          await refs.update([{ name: 'refs/heads/x', expected: null, next: a! }], 'me', 'create');
          const err = await failure(() => refs.update([{ name: 'refs/heads/x', expected: null, next: b! }], 'me', 'again'));
          expect(err.code).toBe('REF_MOVED');
          expect(err.data).toMatchObject({ ref: 'refs/heads/x', expected: null, found: a });
          expect(await refs.resolve('refs/heads/x')).toBe(a);
        }),
      );

      test(
        'moves a ref from the id it holds to another',
        fresh(async ({ refs }, [a, b]) => {
          await refs.update([{ name: 'refs/heads/x', expected: null, next: a! }], 'me', 'create');
          await refs.update([{ name: 'refs/heads/x', expected: a, next: b! }], 'me', 'move');
          expect(await refs.resolve('refs/heads/x')).toBe(b);
        }),
      );

      test(
        'refuses a stale expected id with REF_MOVED naming ref, expected, found and the new id',
        fresh(async ({ refs }, [a, b, c]) => {
          await refs.update([{ name: 'refs/heads/x', expected: null, next: a! }], 'me', 'create');
          await refs.update([{ name: 'refs/heads/x', expected: a, next: b! }], 'me', 'move');
          const err = await failure(() => refs.update([{ name: 'refs/heads/x', expected: a, next: c! }], 'me', 'stale'));
          expect(err.code).toBe('REF_MOVED');
          expect(err.data).toMatchObject({ ref: 'refs/heads/x', expected: a, found: b, newId: c });
          expect(await refs.resolve('refs/heads/x')).toBe(b);
          expect((await refs.reflog('refs/heads/x')).map((e) => e.message)).toEqual(['move', 'create']);
        }),
      );

      test(
        'refuses an expected id for a ref that does not exist (found null)',
        fresh(async ({ refs }, [a, b]) => {
          const err = await failure(() => refs.update([{ name: 'refs/heads/x', expected: a, next: b! }], 'me', 'stale'));
          expect(err.code).toBe('REF_MOVED');
          expect(err.data).toMatchObject({ ref: 'refs/heads/x', expected: a, found: null });
          expect(await refs.read('refs/heads/x')).toBeUndefined();
        }),
      );

      test(
        "carries the caller's extra data into REF_MOVED",
        fresh(async ({ refs }, [a, b]) => {
          await refs.update([{ name: 'refs/heads/x', expected: null, next: a! }], 'me', 'create');
          const err = await failure(() =>
            refs.update([{ name: 'refs/heads/x', expected: null, next: b! }], 'me', 'again', { remote: 'origin' }),
          );
          expect(err.data).toMatchObject({ ref: 'refs/heads/x', remote: 'origin' });
        }),
      );

      test(
        'writes without a check when expected is undefined',
        fresh(async ({ refs }, [a, b]) => {
          await refs.update([{ name: 'refs/heads/x', expected: undefined, next: a! }], 'me', 'one');
          await refs.update([{ name: 'refs/heads/x', expected: undefined, next: b! }], 'me', 'two');
          expect(await refs.resolve('refs/heads/x')).toBe(b);
        }),
      );

      test(
        'deletes a ref by compare-and-swap; a stale delete is REF_MOVED and keeps it',
        fresh(async ({ refs }, [a, b]) => {
          await refs.update([{ name: 'refs/heads/x', expected: null, next: a! }], 'me', 'create');
          const err = await failure(() => refs.update([{ name: 'refs/heads/x', expected: b, next: null }], 'me', 'stale delete'));
          expect(err.code).toBe('REF_MOVED');
          expect(err.data).toMatchObject({ ref: 'refs/heads/x', expected: b, found: a });
          expect(await refs.resolve('refs/heads/x')).toBe(a);
          await refs.update([{ name: 'refs/heads/x', expected: a, next: null }], 'me', 'delete');
          expect(await refs.read('refs/heads/x')).toBeUndefined();
          expect(await refs.list('refs/heads/')).toEqual([]);
          // The reflog outlives the ref it logs.
          expect((await refs.reflog('refs/heads/x')).map((e) => [e.old, e.new, e.message])).toEqual([
            [a, null, 'delete'],
            [null, a, 'create'],
          ]);
          // A deleted ref can be created again.
          await refs.update([{ name: 'refs/heads/x', expected: null, next: b! }], 'me', 'recreate');
          expect(await refs.resolve('refs/heads/x')).toBe(b);
        }),
      );

      test(
        'refuses to point a ref at an object that is not stored (MISSING_OBJECT)',
        fresh(async ({ refs }) => {
          const err = await failure(() => refs.update([{ name: 'refs/heads/x', expected: undefined, next: GHOST }], 'me', 'bad'));
          expect(err.code).toBe('MISSING_OBJECT');
          expect(await refs.read('refs/heads/x')).toBeUndefined();
          expect(await refs.reflog('refs/heads/x')).toEqual([]);
        }),
      );

      test(
        'refuses a next value that is not an object id (BAD_FORMAT)',
        fresh(async ({ refs }) => {
          for (const bad of ['', 'main', 'E'.repeat(64), 'e'.repeat(63), `${'e'.repeat(64)}\n`]) {
            const err = await failure(() => refs.update([{ name: 'refs/heads/x', expected: undefined, next: bad }], 'me', 'bad'));
            expect(err.code).toBe('BAD_FORMAT');
          }
          expect(await refs.read('refs/heads/x')).toBeUndefined();
        }),
      );
    });

    describe('batches: all or none', () => {
      test(
        'applies a batch whose expectations all hold, logging one entry per ref',
        fresh(async ({ refs }, [a, b]) => {
          await refs.update([{ name: 'refs/heads/one', expected: null, next: a! }], 'me', 'one');
          await refs.update(
            [
              { name: 'refs/heads/one', expected: a, next: b! },
              { name: 'refs/heads/two', expected: null, next: a! },
              { name: 'refs/tags/v1', expected: null, next: b! },
            ],
            'me',
            'batch',
          );
          expect(await refs.list('refs/')).toEqual([
            { name: 'refs/heads/one', id: b },
            { name: 'refs/heads/two', id: a },
            { name: 'refs/tags/v1', id: b },
          ]);
          for (const ref of ['refs/heads/one', 'refs/heads/two', 'refs/tags/v1'])
            expect((await refs.reflog(ref))[0]?.message).toBe('batch');
          expect((await refs.reflog('refs/heads/one')).length).toBe(2);
        }),
      );

      test(
        'one stale expectation anywhere in a batch applies none of it and logs nothing',
        fresh(async ({ refs }, [a, b, c]) => {
          await refs.update([{ name: 'refs/heads/one', expected: null, next: a! }], 'me', 'one');
          const before = async () => ({
            list: await refs.list(''),
            one: await refs.reflog('refs/heads/one'),
            two: await refs.reflog('refs/heads/two'),
            three: await refs.reflog('refs/heads/three'),
          });
          const start = await before();
          const batches = [
            // The stale one last: the updates before it must be undone.
            [
              { name: 'refs/heads/two', expected: null, next: a! },
              { name: 'refs/heads/three', expected: null, next: b! },
              { name: 'refs/heads/one', expected: null, next: c! },
            ],
            // The stale one first.
            [
              { name: 'refs/heads/one', expected: b, next: c! },
              { name: 'refs/heads/two', expected: null, next: a! },
            ],
            // The same ref twice: the second expectation sees the first update's value, not the stored one.
            [
              { name: 'refs/heads/one', expected: a, next: b! },
              { name: 'refs/heads/one', expected: a, next: c! },
            ],
          ];
          for (const batch of batches) {
            const err = await failure(() => refs.update(batch, 'me', 'batch'));
            expect(err.code).toBe('REF_MOVED');
            expect(await before()).toEqual(start);
          }
        }),
      );

      test(
        'a missing object anywhere in a batch applies none of it',
        fresh(async ({ refs }, [a]) => {
          const err = await failure(() =>
            refs.update(
              [
                { name: 'refs/heads/two', expected: null, next: a! },
                { name: 'refs/heads/three', expected: null, next: GHOST },
              ],
              'me',
              'batch',
            ),
          );
          expect(err.code).toBe('MISSING_OBJECT');
          expect(await refs.list('refs/')).toEqual([]);
          expect(await refs.reflog('refs/heads/two')).toEqual([]);
        }),
      );
    });

    describe('symbolic refs', () => {
      test(
        'a symbolic ref to an unborn branch resolves to null, then to the branch once it exists',
        fresh(async ({ refs }, [a]) => {
          await refs.setSymbolic('HEAD', { symbolic: true, target: 'refs/heads/trunk' }, 'me', 'init');
          expect(await refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/trunk' });
          expect(await refs.resolve('HEAD')).toBeNull();
          expect(await refs.resolveName('HEAD')).toEqual({ name: 'refs/heads/trunk', id: null });
          await refs.update([{ name: 'refs/heads/trunk', expected: null, next: a! }], 'me', 'commit');
          expect(await refs.resolve('HEAD')).toBe(a);
          expect(await refs.resolveName('HEAD')).toEqual({ name: 'refs/heads/trunk', id: a });
        }),
      );

      test(
        'refuses to write through a symbolic ref (BAD_FORMAT), changing nothing',
        fresh(async ({ refs }, [a]) => {
          await refs.setSymbolic('HEAD', { symbolic: true, target: 'refs/heads/trunk' }, 'me', 'init');
          const err = await failure(() => refs.update([{ name: 'HEAD', expected: undefined, next: a! }], 'me', 'through'));
          expect(err.code).toBe('BAD_FORMAT');
          expect(await refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/trunk' });
          expect(await refs.read('refs/heads/trunk')).toBeUndefined();
        }),
      );

      test(
        'switches and detaches HEAD, logging the ids it resolved to before and after',
        fresh(async ({ refs }, [a, b]) => {
          await refs.update([{ name: 'refs/heads/one', expected: null, next: a! }], 'me', 'one');
          await refs.update([{ name: 'refs/heads/two', expected: null, next: b! }], 'me', 'two');
          await refs.setSymbolic('HEAD', { symbolic: true, target: 'refs/heads/one' }, 'me', 'to one');
          await refs.setSymbolic('HEAD', { symbolic: true, target: 'refs/heads/two' }, 'me', 'to two');
          await refs.setSymbolic('HEAD', { symbolic: false, id: a! }, 'me', 'detach');
          expect(await refs.read('HEAD')).toEqual({ symbolic: false, id: a });
          expect(await refs.resolveName('HEAD')).toEqual({ name: 'HEAD', id: a });
          // The entry for 'to one' starts from whatever HEAD held in a fresh store, so it is left out.
          const log = (await refs.reflog('HEAD')).slice(0, 3).map((e) => [e.old, e.new, e.message]);
          expect(log.slice(0, 2)).toEqual([
            [b, a, 'detach'],
            [a, b, 'to two'],
          ]);
          expect(log[2]?.slice(1)).toEqual([a, 'to one']);
          // Moving a branch does not move a detached HEAD.
          await refs.update([{ name: 'refs/heads/one', expected: a, next: b! }], 'me', 'move one');
          expect(await refs.resolve('HEAD')).toBe(a);
        }),
      );

      test(
        'lists only direct refs, and a symbolic ref names no root',
        fresh(async ({ refs }, [a]) => {
          await refs.update([{ name: 'refs/heads/one', expected: null, next: a! }], 'me', 'one');
          await refs.setSymbolic('refs/heads/alias', { symbolic: true, target: 'refs/heads/one' }, 'me', 'alias');
          expect(await refs.list('refs/heads/')).toEqual([{ name: 'refs/heads/one', id: a }]);
          expect(await refs.allRoots()).toEqual([a]);
        }),
      );

      test(
        'refuses to close a loop of symbolic refs (BAD_FORMAT), changing nothing',
        fresh(async ({ refs }) => {
          await refs.setSymbolic('refs/heads/p', { symbolic: true, target: 'refs/heads/q' }, 'me', 'p');
          const err = await failure(() => refs.setSymbolic('refs/heads/q', { symbolic: true, target: 'refs/heads/p' }, 'me', 'q'));
          expect(err.code).toBe('BAD_FORMAT');
          expect(await refs.read('refs/heads/q')).toBeUndefined();
          expect(await refs.resolveName('refs/heads/p')).toEqual({ name: 'refs/heads/q', id: null });
          expect(await refs.reflog('refs/heads/q')).toEqual([]);
        }),
      );
    });

    describe('listing', () => {
      const names = [
        'refs/heads/a',
        'refs/heads/A',
        'refs/heads/a-b',
        'refs/heads/a/b',
        'refs/heads/a_b',
        'refs/heads/aXb',
        'refs/heads/a%',
        'refs/heads/é',
        'refs/heads/日本/x',
        'refs/heads/\ue000',
        'refs/headsx',
        'refs/tags/a',
        'refs/remotes/origin/main',
      ];

      test(
        'lists the direct refs whose names start with the prefix, ordered by the UTF-8 bytes of the names',
        fresh(async ({ refs }, [a]) => {
          for (const n of names) await refs.update([{ name: n, expected: null, next: a! }], 'me', 'create');
          const under = (p: string): string[] => names.filter((n) => n.startsWith(p)).sort(compareNames);
          for (const prefix of ['refs/heads/', 'refs/heads/a', 'refs/', 'refs/heads', 'refs/remotes/origin/', 'refs/nothing/']) {
            expect((await refs.list(prefix)).map((r) => r.name)).toEqual(under(prefix));
          }
          expect(await refs.list('refs/tags/')).toEqual([{ name: 'refs/tags/a', id: a }]);
        }),
      );

      test(
        'treats LIKE wildcards in a prefix as plain characters',
        fresh(async ({ refs }, [a]) => {
          for (const n of names) await refs.update([{ name: n, expected: null, next: a! }], 'me', 'create');
          expect((await refs.list('refs/heads/a_')).map((r) => r.name)).toEqual(['refs/heads/a_b']);
          expect((await refs.list('refs/heads/a%')).map((r) => r.name)).toEqual(['refs/heads/a%']);
        }),
      );

      test(
        'lists names with characters beyond U+FFFF under their prefix',
        fresh(async ({ refs }, [a]) => {
          // Ref names may hold any character but control characters and ~^:?*[\ (core/names.ts), emoji included.
          for (const n of ['refs/heads/a', 'refs/heads/😀', 'refs/heads/\uffff'])
            await refs.update([{ name: n, expected: null, next: a! }], 'me', 'create');
          expect((await refs.list('refs/heads/')).map((r) => r.name)).toEqual(['refs/heads/a', 'refs/heads/\uffff', 'refs/heads/😀']);
        }),
      );

      test(
        'names every id a direct ref holds once among the roots',
        fresh(async ({ refs }, [a, b]) => {
          await refs.update(
            [
              { name: 'refs/heads/one', expected: null, next: a! },
              { name: 'refs/heads/two', expected: null, next: a! },
              { name: 'refs/tags/t', expected: null, next: b! },
            ],
            'me',
            'create',
          );
          expect([...(await refs.allRoots())].sort()).toEqual([a, b].sort());
        }),
      );
    });

    describe('reflog', () => {
      test(
        'logs every change with old, new, who, message and time, newest first',
        fresh(async ({ refs }, [a, b, c]) => {
          const t0 = Date.now();
          await refs.update([{ name: 'refs/heads/x', expected: null, next: a! }], 'Ann <ann@example.com>', 'commit (initial): one');
          await refs.update([{ name: 'refs/heads/x', expected: a, next: b! }], 'Bob <bob@example.com>', 'commit: two');
          await refs.update([{ name: 'refs/heads/x', expected: b, next: c! }], 'cairn', 'reset: moving to HEAD~1');
          await refs.update([{ name: 'refs/heads/y', expected: null, next: c! }], 'me', 'other ref');
          const t1 = Date.now();
          const log = await refs.reflog('refs/heads/x');
          expect(log.map(({ ref, old, new: next, who, message }) => ({ ref, old, new: next, who, message }))).toEqual([
            { ref: 'refs/heads/x', old: b, new: c, who: 'cairn', message: 'reset: moving to HEAD~1' },
            { ref: 'refs/heads/x', old: a, new: b, who: 'Bob <bob@example.com>', message: 'commit: two' },
            { ref: 'refs/heads/x', old: null, new: a, who: 'Ann <ann@example.com>', message: 'commit (initial): one' },
          ]);
          for (const e of log) {
            expect(Number.isInteger(e.time)).toBe(true);
            expect(e.time).toBeGreaterThanOrEqual(t0 - CLOCK_SLACK_MS);
            expect(e.time).toBeLessThanOrEqual(t1 + CLOCK_SLACK_MS);
          }
          expect(log[0]!.time).toBeGreaterThanOrEqual(log[2]!.time);
        }),
      );

      test(
        'returns at most `limit` entries, the newest',
        fresh(async ({ refs }, ids) => {
          let prev: ObjectId | null = null;
          for (const [i, id] of ids.entries()) {
            await refs.update([{ name: 'refs/heads/x', expected: prev, next: id }], 'me', `step ${i}`);
            prev = id;
          }
          expect((await refs.reflog('refs/heads/x', 2)).map((e) => e.message)).toEqual(['step 4', 'step 3']);
          expect((await refs.reflog('refs/heads/x')).length).toBe(5);
        }, 5),
      );

      test(
        'keeps messages and names byte for byte (quotes, newlines, non-ASCII)',
        fresh(async ({ refs }, [a]) => {
          const message = 'merge \'topic\': "x"\nsecond line; DROP TABLE refs; é 😀';
          await refs.update([{ name: 'refs/heads/é', expected: null, next: a! }], 'Zoë <z@example.com>', message);
          expect(await refs.reflog('refs/heads/é')).toEqual([
            expect.objectContaining({ ref: 'refs/heads/é', who: 'Zoë <z@example.com>', message }),
          ]);
        }),
      );
    });

    describe('reflog expiry', () => {
      /** Moves refs/heads/x through `ids` (distinct ms apart) and creates then deletes refs/heads/gone. */
      const history = async (refs: RefStoreFixture['refs'], ids: ObjectId[]): Promise<void> => {
        let prev: ObjectId | null = null;
        for (const [i, id] of ids.entries()) {
          await refs.update([{ name: 'refs/heads/x', expected: prev, next: id }], 'me', `x ${i}`);
          prev = id;
          await sleep(5);
        }
        await refs.update([{ name: 'refs/heads/gone', expected: null, next: ids[0]! }], 'me', 'gone 0');
        await refs.update([{ name: 'refs/heads/gone', expected: ids[0]!, next: null }], 'me', 'gone 1');
      };
      const future = () => Date.now() + 2 * CLOCK_SLACK_MS;

      test(
        'drops every entry older than the cutoff but the newest of a ref that exists; a deleted ref loses all',
        fresh(async ({ refs }, ids) => {
          await history(refs, ids);
          expect(await refs.expireReflog(['refs/heads/x', 'refs/heads/gone'], future())).toEqual([
            { ref: 'refs/heads/gone', dropped: 2, kept: 0 },
            { ref: 'refs/heads/x', dropped: 2, kept: 1 },
          ]);
          // Kept past its age, the newest entry no longer names what x held before the cutoff.
          expect((await refs.reflog('refs/heads/x')).map((e) => [e.message, e.old, e.new])).toEqual([['x 2', null, ids[2]]]);
          expect(await refs.reflog('refs/heads/gone')).toEqual([]);
          expect(await refs.resolve('refs/heads/x')).toBe(ids[2]);
        }),
      );

      test(
        'drops exactly the entries whose time is before the cutoff',
        fresh(async ({ refs }, ids) => {
          await history(refs, ids);
          const log = await refs.reflog('refs/heads/x');
          expect(log[1]!.time).toBeGreaterThan(log[2]!.time);
          expect(await refs.expireReflog(['refs/heads/x'], log[1]!.time)).toEqual([{ ref: 'refs/heads/x', dropped: 1, kept: 2 }]);
          // The newest entry is younger than the cutoff: it keeps its old value.
          expect((await refs.reflog('refs/heads/x')).map((e) => [e.message, e.old])).toEqual([
            ['x 2', ids[1]],
            ['x 1', ids[0]],
          ]);
          expect(await refs.expireReflog(['refs/heads/x'], log[2]!.time - 2 * CLOCK_SLACK_MS)).toEqual([
            { ref: 'refs/heads/x', dropped: 0, kept: 2 },
          ]);
        }),
      );

      test(
        'a dry run counts the same and changes nothing',
        fresh(async ({ refs }, ids) => {
          await history(refs, ids);
          const before = [await refs.reflog('refs/heads/x'), await refs.reflog('refs/heads/gone')];
          // A store may start with a HEAD (a repository folder's, logged by init), or with none.
          const head = (await refs.reflog('HEAD')).length;
          expect(await refs.expireReflog('all', future(), { dryRun: true })).toEqual([
            ...(head === 0 ? [] : [{ ref: 'HEAD', dropped: head - 1, kept: 1 }]),
            { ref: 'refs/heads/gone', dropped: 2, kept: 0 },
            { ref: 'refs/heads/x', dropped: 2, kept: 1 },
          ]);
          expect([await refs.reflog('refs/heads/x'), await refs.reflog('refs/heads/gone')]).toEqual(before);
        }),
      );

      test(
        "'all' covers every ref with a reflog (deleted ones and a symbolic one too), in name order; a named ref without one is all zeros",
        fresh(async ({ refs }, ids) => {
          await history(refs, ids);
          const head = (await refs.reflog('HEAD')).length;
          await refs.setSymbolic('HEAD', { symbolic: true, target: 'refs/heads/x' }, 'me', 'checkout x');
          await refs.setSymbolic('HEAD', { symbolic: true, target: 'refs/heads/none' }, 'me', 'checkout none');
          expect(await refs.expireReflog('all', future())).toEqual([
            { ref: 'HEAD', dropped: head + 1, kept: 1 },
            { ref: 'refs/heads/gone', dropped: 2, kept: 0 },
            { ref: 'refs/heads/x', dropped: 2, kept: 1 },
          ]);
          expect((await refs.reflog('HEAD')).map((e) => e.message)).toEqual(['checkout none']);
          expect(await refs.expireReflog(['refs/heads/none', 'refs/heads/x', 'refs/heads/x'], future())).toEqual([
            { ref: 'refs/heads/none', dropped: 0, kept: 0 },
            { ref: 'refs/heads/x', dropped: 0, kept: 1 },
          ]);
        }),
      );

      test(
        'reflogIds lists every old and new id of every entry once, deleted refs included, until they expire',
        fresh(async ({ refs }, ids) => {
          const [a, b, c, d] = ids as [ObjectId, ObjectId, ObjectId, ObjectId];
          await history(refs, [a, b, c]);
          await refs.update([{ name: 'refs/heads/y', expected: null, next: d }], 'me', 'y');
          expect([...(await refs.reflogIds())].sort()).toEqual([a, b, c, d].sort());
          await refs.expireReflog('all', future());
          // Left: x's newest (its old value b released) and y's only entry (-> d).
          expect([...(await refs.reflogIds())].sort()).toEqual([c, d].sort());
        }, 4),
      );
    });

    const syncRefs = (f: RefStoreFixture): RefStore => f.refs as RefStore;
    // Not registered at all for a store without transaction(fn): nothing in CI is ever skipped.
    if (opts.transactions !== false)
      describe('transactions', () => {
        test(
          'commits the updates made inside together',
          fresh(async (f, [a, b]) => {
            const refs = syncRefs(f);
            // A rename, as `branch -m` does it.
            await refs.update([{ name: 'refs/heads/old', expected: null, next: a! }], 'me', 'create');
            await refs.transaction(() => {
              refs.update([{ name: 'refs/heads/new', expected: null, next: a! }], 'me', 'rename');
              refs.update([{ name: 'refs/heads/old', expected: a, next: null }], 'me', 'rename');
              refs.update([{ name: 'refs/heads/new', expected: a, next: b! }], 'me', 'move');
            });
            expect(await refs.list('refs/heads/')).toEqual([{ name: 'refs/heads/new', id: b }]);
          }),
        );

        test(
          'an error inside undoes every update made in it, reflog included',
          fresh(async (f, [a, b]) => {
            const refs = syncRefs(f);
            await refs.update([{ name: 'refs/heads/keep', expected: null, next: a! }], 'me', 'create');
            const err = await failure(() =>
              refs.transaction(() => {
                refs.update([{ name: 'refs/heads/new', expected: null, next: a! }], 'me', 'first');
                refs.update([{ name: 'refs/heads/keep', expected: a, next: b! }], 'me', 'second');
                refs.update([{ name: 'refs/heads/keep', expected: a, next: b! }], 'me', 'stale now');
              }),
            );
            expect(err.code).toBe('REF_MOVED');
            expect(await refs.list('refs/heads/')).toEqual([{ name: 'refs/heads/keep', id: a }]);
            expect(await refs.reflog('refs/heads/new')).toEqual([]);
            expect((await refs.reflog('refs/heads/keep')).length).toBe(1);
          }),
        );
      });

    describe('two handles on one store', () => {
      test(
        'a second handle sees a committed update at once',
        fresh(async (f, [a]) => {
          const other = await f.openAnother();
          try {
            await f.refs.update([{ name: 'refs/heads/x', expected: null, next: a! }], 'me', 'create');
            expect(await other.refs.resolve('refs/heads/x')).toBe(a);
            expect((await other.refs.reflog('refs/heads/x')).length).toBe(1);
          } finally {
            await other.close();
          }
        }),
      );

      test(
        'two handles racing a compare-and-swap from the same id: exactly one wins, the other gets REF_MOVED',
        fresh(async (f, ids) => {
          const other = await f.openAnother();
          try {
            const [base, ...next] = ids as [ObjectId, ...ObjectId[]];
            await f.refs.update([{ name: 'refs/heads/x', expected: null, next: base }], 'me', 'create');
            let current = base;
            for (let round = 0; round < next.length / 2; round++) {
              const mine = next[2 * round]!,
                theirs = next[2 * round + 1]!;
              const seen = [await f.refs.resolve('refs/heads/x'), await other.refs.resolve('refs/heads/x')];
              expect(seen).toEqual([current, current]);
              // Both saw `current`; both try to move from it. Started together, so an async store really races.
              const handles = round % 2 === 0 ? [f, other] : [other, f];
              const outcomes = await Promise.allSettled([
                (async () => handles[0]!.refs.update([{ name: 'refs/heads/x', expected: current, next: mine }], 'one', `round ${round}`))(),
                (async () =>
                  handles[1]!.refs.update([{ name: 'refs/heads/x', expected: current, next: theirs }], 'two', `round ${round}`))(),
              ]);
              const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
              expect(won.length).toBe(1);
              const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
              expect(lost.reason).toMatchObject({ code: 'REF_MOVED', data: { ref: 'refs/heads/x', expected: current } });
              current = won[0] === 0 ? mine : theirs;
              expect(await other.refs.resolve('refs/heads/x')).toBe(current);
              expect(await f.refs.resolve('refs/heads/x')).toBe(current);
            }
            // The reflog is an unbroken chain: each entry starts where the one before it ended.
            const log = (await f.refs.reflog('refs/heads/x', 1000)).reverse();
            expect(log.length).toBe(1 + next.length / 2);
            for (let i = 1; i < log.length; i++) expect(log[i]!.old).toBe(log[i - 1]!.new);
            expect(log[log.length - 1]!.new).toBe(current);
          } finally {
            await other.close();
          }
        }, 21),
      );
    });

    checkKnownFailures(opts, titles);
  });
}
