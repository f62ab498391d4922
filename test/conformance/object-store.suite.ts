// The object store conformance suite: every object store (packs + SQLite now, S3 + PostgreSQL for the
// server later), in each of its modes, runs these tests unchanged through a factory. It checks the
// ObjectReader/ObjectWriter contract in src/store/object-store.ts: round trips of every object type,
// ids that hash the content, idempotent puts, visibility only after flush, MISSING_OBJECT, and
// damaged bytes reported as CORRUPT_OBJECT, never as data. `quarantineConformance` adds what a store
// writing into a quarantine promises (invisible outside until promoted, kept across interruptions).
import { describe, expect } from 'vitest';
import fc from 'fast-check';
import { hashObject, OBJECT_TYPES, type ObjectId, type ObjectType } from '../../src/core/hash.js';
import type { ObjectReader, ObjectWriter } from '../../src/store/object-store.js';
import { checkKnownFailures, failure, testFactory, type SuiteOptions } from './helpers.js';

export interface ObjectStoreHandle {
  store: ObjectReader & ObjectWriter;
  close(): Promise<void>;
}

export interface ObjectStoreFixture extends ObjectStoreHandle {
  /** Another handle on the same storage in the same mode, opened afresh (another process, another server). */
  openAnother(): Promise<ObjectStoreHandle>;
  /**
   * Damages the stored bytes of a flushed object with a non-empty body, the way the backend can be
   * damaged (a flipped byte in a pack file, a rewritten S3 object), so that what a fresh handle
   * reads no longer hashes to `id`.
   */
  corrupt(id: ObjectId): Promise<void>;
}

export interface QuarantineFixture extends ObjectStoreFixture {
  /** A handle on the store proper: what refs and every ordinary reader see. */
  openOutside(): Promise<ObjectStoreHandle>;
  /** For each id, whether neither the store nor the quarantine holds it (what a sender must still send). */
  lacking(ids: readonly ObjectId[]): boolean[];
  /** Moves quarantined objects into the store; returns how many moved. Ids not quarantined are skipped. */
  promote(ids: Iterable<ObjectId>): number;
}

const body = (s: string): Buffer => Buffer.from(s, 'utf8');
/** Bytes that deflate cannot shrink (a store that compresses must still keep them exactly). */
const noise = (n: number, seed = 1): Buffer => {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};
const GHOST: ObjectId = hashObject('chunk', body('never stored anywhere'));

async function withHandle<T>(open: () => Promise<ObjectStoreHandle>, fn: (h: ObjectStoreHandle) => Promise<T>): Promise<T> {
  const h = await open();
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

export function objectStoreConformance(name: string, open: () => Promise<ObjectStoreFixture>, opts: SuiteOptions = {}): void {
  const titles = new Set<string>();
  const test = testFactory(opts, titles);
  const fresh = (fn: (f: ObjectStoreFixture) => Promise<void>) => async () => {
    const f = await open();
    try {
      await fn(f);
    } finally {
      await f.close();
    }
  };

  describe(`object store conformance: ${name}`, () => {
    test(
      'stores every object type and returns it byte for byte, under the id that hashes its content',
      fresh(async ({ store }) => {
        const bodies = fc.oneof(
          fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
          fc.tuple(fc.string({ maxLength: 40 }), fc.nat({ max: 200 })).map(([s, n]) => body(s.repeat(n))),
        );
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.constantFrom(...OBJECT_TYPES), bodies), { minLength: 1, maxLength: 12 }),
            async (objects) => {
              const ids = [];
              for (const [type, b] of objects) ids.push(await store.put(type, b));
              await store.flush();
              for (const [i, [type, b]] of objects.entries()) {
                expect(ids[i]).toBe(hashObject(type, b));
                expect(await store.has(ids[i]!)).toBe(true);
                const got = await store.get(ids[i]!);
                expect(got.type).toBe(type);
                expect(Buffer.from(got.data).equals(b)).toBe(true);
                expect((await store.get(ids[i]!, type)).data.equals(b)).toBe(true);
                expect(await store.info(ids[i]!)).toMatchObject({ type, size: b.length });
              }
            },
          ),
          { numRuns: 60, seed: 4242 },
        );
      }),
    );

    test(
      'stores an empty object and a large one (6 MiB)',
      fresh(async ({ store }) => {
        const big = noise(6 << 20, 7);
        const empty = await store.put('chunk', Buffer.alloc(0));
        const large = await store.put('chunk', big);
        await store.flush();
        expect((await store.get(empty)).data.length).toBe(0);
        expect(empty).toBe(hashObject('chunk', Buffer.alloc(0)));
        expect((await store.get(large)).data.equals(big)).toBe(true);
      }),
    );

    test(
      'makes thousands of objects put before one flush readable',
      fresh(async ({ store }) => {
        const ids: ObjectId[] = [];
        for (let i = 0; i < 3000; i++) ids.push(await store.put('chunk', body(`record ${i}\n`)));
        await store.flush();
        for (const [i, id] of ids.entries()) expect((await store.get(id, 'chunk')).data.toString()).toBe(`record ${i}\n`);
      }),
    );

    test(
      'refuses an object of another type than expected (BAD_FORMAT)',
      fresh(async ({ store }) => {
        const id = await store.put('tree', body('not a chunk'));
        await store.flush();
        const err = await failure(() => store.get(id, 'chunk'));
        expect(err.code).toBe('BAD_FORMAT');
        expect(err.data).toMatchObject({ id });
      }),
    );

    test(
      'an absent id: has is false, info undefined, get throws MISSING_OBJECT naming it',
      fresh(async ({ store }) => {
        expect(await store.has(GHOST)).toBe(false);
        expect(await store.info(GHOST)).toBeUndefined();
        const err = await failure(() => store.get(GHOST));
        expect(err.code).toBe('MISSING_OBJECT');
        expect(err.data).toMatchObject({ id: GHOST });
      }),
    );

    test(
      'put is idempotent: the same content gives the same id, before and after a flush',
      fresh(async ({ store }) => {
        const a = await store.put('chunk', body('same'));
        const b = await store.put('chunk', body('same'));
        await store.flush();
        const c = await store.put('chunk', body('same'));
        await store.flush();
        await store.flush();
        expect([b, c]).toEqual([a, a]);
        expect((await store.get(a)).data.toString()).toBe('same');
      }),
    );

    test(
      'the same bytes under two types are two objects',
      fresh(async ({ store }) => {
        const ids = new Map<ObjectType, ObjectId>();
        for (const type of OBJECT_TYPES) ids.set(type, await store.put(type, body('x')));
        await store.flush();
        expect(new Set(ids.values()).size).toBe(OBJECT_TYPES.length);
        for (const [type, id] of ids) expect((await store.get(id)).type).toBe(type);
      }),
    );

    test(
      'objects become visible to another handle only after flush, all of them at once',
      fresh(async (f) => {
        await withHandle(f.openAnother, async (other) => {
          const ids = [
            await f.store.put('chunk', body('one')),
            await f.store.put('file', body('two')),
            await f.store.put('commit', body('three')),
          ];
          for (const id of ids) expect(await other.store.has(id)).toBe(false);
          expect((await failure(() => other.store.get(ids[0]!))).code).toBe('MISSING_OBJECT');
          await f.store.flush();
          for (const id of ids) expect(await other.store.has(id)).toBe(true);
          expect((await other.store.get(ids[1]!, 'file')).data.toString()).toBe('two');
        });
      }),
    );

    test(
      'reports damaged bytes as CORRUPT_OBJECT naming the object, never as data',
      fresh(async (f) => {
        // One object deflate shrinks and one it cannot: a store may keep them differently.
        const text = body('{"id":1,"name":"abc"}\n'.repeat(500));
        const raw = noise(4000, 3);
        const [t, r] = [await f.store.put('chunk', text), await f.store.put('chunk', raw)];
        const bystander = await f.store.put('chunk', body('an object nobody damaged'));
        await f.store.flush();
        await f.corrupt(t);
        await f.corrupt(r);
        await withHandle(f.openAnother, async (other) => {
          for (const id of [t, r]) {
            const err = await failure(() => other.store.get(id));
            expect(err.code).toBe('CORRUPT_OBJECT');
            expect(err.data).toMatchObject({ id });
          }
          expect((await other.store.get(bystander)).data.toString()).toBe('an object nobody damaged');
        });
      }),
    );

    checkKnownFailures(opts, titles);
  });
}

export function quarantineConformance(name: string, open: () => Promise<QuarantineFixture>, opts: SuiteOptions = {}): void {
  const titles = new Set<string>();
  const test = testFactory(opts, titles);
  const fresh = (fn: (f: QuarantineFixture) => Promise<void>) => async () => {
    const f = await open();
    try {
      await fn(f);
    } finally {
      await f.close();
    }
  };

  describe(`quarantine conformance: ${name}`, () => {
    test(
      'quarantined objects are readable through the quarantine and invisible outside it until promoted',
      fresh(async (f) => {
        const ids = [await f.store.put('chunk', body('arrived')), await f.store.put('commit', body('tip'))];
        await f.store.flush();
        await withHandle(f.openOutside, async (outside) => {
          for (const id of ids) {
            expect(await f.store.has(id)).toBe(true);
            expect(await outside.store.has(id)).toBe(false);
            expect(await outside.store.info(id)).toBeUndefined();
            expect((await failure(() => outside.store.get(id))).code).toBe('MISSING_OBJECT');
          }
          await withHandle(f.openAnother, async (other) => expect((await other.store.get(ids[1]!, 'commit')).data.toString()).toBe('tip'));
          expect(await f.promote(ids)).toBe(2);
          for (const id of ids) expect(await outside.store.has(id)).toBe(true);
          expect((await outside.store.get(ids[0]!, 'chunk')).data.toString()).toBe('arrived');
          // Promoted objects are still readable through the quarantine handle, from the store now.
          expect(await f.store.has(ids[0]!)).toBe(true);
        });
      }),
    );

    test(
      'promotes only the ids asked for; promoting again, or an id never quarantined, moves nothing',
      fresh(async (f) => {
        const [a, b] = [await f.store.put('chunk', body('a')), await f.store.put('chunk', body('b'))];
        await f.store.flush();
        expect(await f.promote([a])).toBe(1);
        expect(await f.promote([a])).toBe(0);
        expect(await f.promote([GHOST])).toBe(0);
        await withHandle(f.openOutside, async (outside) => {
          expect(await outside.store.has(a)).toBe(true);
          expect(await outside.store.has(b)).toBe(false);
        });
      }),
    );

    test(
      'lacking: false for objects in the store or in the quarantine, true for the others',
      fresh(async (f) => {
        const staged = await f.store.put('chunk', body('staged'));
        await f.store.flush();
        const stored = await withHandle(f.openOutside, async (outside) => {
          const id = await outside.store.put('chunk', body('stored'));
          await outside.store.flush();
          return id;
        });
        expect(await f.lacking([staged, GHOST, stored, GHOST])).toEqual([false, true, false, true]);
        expect(await f.lacking([])).toEqual([]);
      }),
    );

    test(
      'an object the store already holds is readable through the quarantine and never moved',
      fresh(async (f) => {
        const id = await withHandle(f.openOutside, async (outside) => {
          const stored = await outside.store.put('file', body('already here'));
          await outside.store.flush();
          return stored;
        });
        expect(await f.store.put('file', body('already here'))).toBe(id);
        await f.store.flush();
        expect((await f.store.get(id, 'file')).data.toString()).toBe('already here');
        expect(await f.promote([id])).toBe(0);
      }),
    );

    test(
      'keeps quarantined objects when the writer goes away without promoting (an interrupted transfer)',
      fresh(async (f) => {
        const id = await withHandle(f.openAnother, async (writer) => {
          const put = await writer.store.put('chunk', body('half a push'));
          await writer.store.flush();
          return put;
        });
        await withHandle(f.openAnother, async (later) => expect((await later.store.get(id)).data.toString()).toBe('half a push'));
        expect(await f.lacking([id])).toEqual([false]);
        await withHandle(f.openOutside, async (outside) => expect(await outside.store.has(id)).toBe(false));
      }),
    );

    test(
      'reports a damaged quarantined object as CORRUPT_OBJECT, never as data',
      fresh(async (f) => {
        const id = await f.store.put('chunk', body('received bytes '.repeat(40)));
        await f.store.flush();
        await f.corrupt(id);
        await withHandle(f.openAnother, async (other) => {
          const err = await failure(() => other.store.get(id));
          expect(err.code).toBe('CORRUPT_OBJECT');
          expect(err.data).toMatchObject({ id });
        });
      }),
    );

    checkKnownFailures(opts, titles);
  });
}
