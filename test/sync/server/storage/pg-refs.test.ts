// The server seam's refs: the shared RefStore conformance suite against PostgreSQL (PgRefStore) and
// the folder backend (FolderRefStore), then what only the PostgreSQL store must show: races between
// many connections, opposite-order multi-ref batches without deadlocks, the versioned schema, and
// errors that never carry the database password. Real PostgreSQL 15 from scripts/services.sh; this
// file works in its own schema (named with the process id), dropped at the end.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import net from 'node:net';
import fc from 'fast-check';
import { engines } from '../../../helpers/engines.js';
import { tempDir } from '../../../helpers/cli.js';
import { openFolderRefs } from '../../../conformance/folder-refs.js';
import { refStoreConformance, type RefStoreFixture } from '../../../conformance/ref-store.suite.js';
import { failure } from '../../../conformance/helpers.js';
import { Repository } from '../../../../src/store/repository.js';
import { hashObject, type ObjectId } from '../../../../src/core/hash.js';
import { FolderRefStore } from '../../../../src/sync/server/storage/refs.js';
import { openPgRepository, type MissingObjects, type PgRefStore } from '../../../../src/sync/server/storage/pg-refs.js';
import { createPgPool } from '../../../../src/sync/server/storage/pg-pool.js';
import { PG_SCHEMA_VERSION } from '../../../../src/sync/server/storage/pg-schema.js';
import { StorageUnavailableError } from '../../../../src/sync/server/storage/pg-errors.js';

const SCHEMA = `cairn_t_pgrefs_${process.pid}`;
const url = engines().pgUrl;
const pools: pg.Pool[] = [];
let repoCounter = 0;

/** Objects "stored" for these tests: the object index does not exist yet, so refs take a set. */
const stored = new Set<ObjectId>();
const missingObjects: MissingObjects = async (ids) => ids.filter((id) => !stored.has(id));
const idOf = (seed: string): ObjectId => hashObject('chunk', Buffer.from(seed));

function pool(max = 10): pg.Pool {
  const p = createPgPool(url, { max });
  pools.push(p);
  return p;
}

/** Conflicts the stores ran a transaction again for, by SQLSTATE (40P01 deadlock, 40001, 23505). */
const retries = new Map<string, number>();
const onRetry = (code: string): void => void retries.set(code, (retries.get(code) ?? 0) + 1);

async function openRepo(p: pg.Pool, name: string, schema = SCHEMA): Promise<PgRefStore> {
  return (await openPgRepository(p, name, { url, schema, missingObjects, create: true, onRetry })).refs;
}

afterAll(async () => {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA}_new CASCADE`);
  await admin.end();
  for (const p of pools) await p.end();
});

// Each fixture: a fresh repository in the shared schema, and a second pool as another server.
async function openPgRefs(): Promise<RefStoreFixture> {
  const name = `conformance-${++repoCounter}`;
  const mine = createPgPool(url, { max: 4 });
  const refs = await openRepo(mine, name);
  return {
    refs,
    storeObject: async (seed) => {
      const id = idOf(`${name}/${seed}`);
      stored.add(id);
      return id;
    },
    openAnother: async () => {
      const theirs = createPgPool(url, { max: 4 });
      return { refs: await openRepo(theirs, name), close: () => theirs.end() };
    },
    close: () => mine.end(),
  };
}

refStoreConformance('PostgreSQL (PgRefStore)', openPgRefs, { transactions: false });

refStoreConformance('folder (FolderRefStore)', () => openFolderRefs((refs) => new FolderRefStore(refs)), { transactions: false });

describe('PgRefStore under concurrency', () => {
  let ids: ObjectId[];
  beforeAll(() => {
    ids = Array.from({ length: 200 }, (_, i) => idOf(`race ${i}`));
    for (const id of ids) stored.add(id);
  });

  it('16 updates of one branch from one base: exactly one wins per round, the rest get REF_MOVED with the winner', async () => {
    // 16 handles on 4 pools: 16 connections, as from several servers.
    const name = 'race-one-branch';
    const handles: PgRefStore[] = [];
    const ps = [pool(4), pool(4), pool(4), pool(4)];
    for (let i = 0; i < 16; i++) handles.push(await openRepo(ps[i % 4]!, name));
    const ref = 'refs/heads/main';
    await handles[0]!.update([{ name: ref, expected: null, next: ids[0]! }], 'me', 'base');
    let current = ids[0]!;
    let next = 1;
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const tries = handles.map((h, i) => ({ h, id: ids[next + i]! }));
      next += handles.length;
      const outcomes = await Promise.allSettled(
        tries.map((t) => t.h.update([{ name: ref, expected: current, next: t.id }], 'racer', `round ${round}`)),
      );
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(won.length).toBe(1);
      const winner = tries[won[0]!]!.id;
      for (const o of outcomes) {
        if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'REF_MOVED', data: { ref, expected: current, found: winner } });
      }
      current = winner;
      expect(await handles[round]!.resolve(ref)).toBe(winner);
    }
    const log = (await handles[0]!.reflog(ref, 1000)).reverse();
    expect(log.length).toBe(1 + rounds);
    for (let i = 1; i < log.length; i++) expect(log[i]!.old).toBe(log[i - 1]!.new);
  });

  it('16 creators of one absent ref: one wins, the rest REF_MOVED with the found value (no unique-violation error)', async () => {
    const name = 'race-create';
    const p = pool(16);
    const handles = await Promise.all(Array.from({ length: 16 }, () => openRepo(p, name)));
    const outcomes = await Promise.allSettled(
      handles.map((h, i) => h.update([{ name: 'refs/heads/new', expected: null, next: ids[100 + i]! }], 'racer', 'create')),
    );
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(won.length).toBe(1);
    for (const o of outcomes) {
      if (o.status === 'rejected')
        expect(o.reason).toMatchObject({ code: 'REF_MOVED', data: { ref: 'refs/heads/new', expected: null, found: ids[100 + won[0]!] } });
    }
  });

  it('8 pairs of multi-ref updates in opposite name orders: no deadlock reaches the caller, each batch all or none', async () => {
    const name = 'opposite-orders';
    const p = pool(16);
    const a = await openRepo(p, name);
    const refNames = Array.from({ length: 6 }, (_, i) => `refs/heads/r${i}`);
    await a.update(
      refNames.map((n) => ({ name: n, expected: null, next: ids[0]! })),
      'me',
      'base',
    );
    let total = 0;
    retries.clear();
    for (let round = 0; round < 4; round++) {
      const before = new Map<string, ObjectId>((await a.list('refs/heads/')).map((r) => [r.name, r.id]));
      const handles = await Promise.all(Array.from({ length: 16 }, () => openRepo(p, name)));
      // Pair k: one batch over the refs ascending, the other descending, both expecting `before`;
      // with `expected: undefined` on half of them, both of a pair may apply, one after the other.
      const batches = handles.map((h, i) => {
        const order = i % 2 === 0 ? refNames : [...refNames].reverse();
        const check = i % 4 < 2;
        const id = ids[150 + ((round * 16 + i) % 50)]!;
        return { h, id, updates: order.map((n) => ({ name: n, expected: check ? before.get(n)! : undefined, next: id })) };
      });
      const outcomes = await Promise.allSettled(batches.map((b) => b.h.update(b.updates, 'racer', `round ${round}`)));
      for (const o of outcomes) {
        if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'REF_MOVED' });
      }
      // Every unchecked batch applies; at most one checked batch can (they all expect `before`).
      const applied = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(applied.filter((i) => i % 4 >= 2).length).toBe(8);
      expect(applied.filter((i) => i % 4 < 2).length).toBeLessThanOrEqual(1);
      // All or none: every ref holds the id of the same (last) batch applied.
      const after = await a.list('refs/heads/');
      expect(new Set(after.map((r) => r.id)).size).toBe(1);
      expect(applied.map((i) => batches[i]!.id)).toContain(after[0]!.id);
      total += applied.length;
      for (const n of refNames) expect((await a.reflog(n, 1000)).length).toBe(1 + total);
    }
    // Locking in name order means PostgreSQL never even detected a deadlock (the retry is only a net).
    expect(retries.get('40P01') ?? 0).toBe(0);
    // The reflog of each ref is an unbroken chain.
    for (const n of refNames) {
      const log = (await a.reflog(n, 1000)).reverse();
      for (let i = 1; i < log.length; i++) expect(log[i]!.old).toBe(log[i - 1]!.new);
    }
  });
});

describe('PgRefStore schema', () => {
  const schema = `${SCHEMA}_new`;

  it('creates the schema at the current version, opens it again unchanged, and refuses a newer one (BAD_FORMAT)', async () => {
    const p = pool(2);
    const refs = await openRepo(p, 'r', schema);
    const id = idOf('schema test');
    stored.add(id);
    await refs.update([{ name: 'refs/heads/main', expected: null, next: id }], 'me', 'create');
    const version = async (): Promise<string | undefined> =>
      (await p.query<{ value: string }>(`SELECT value FROM ${schema}.meta WHERE key = 'schema_version'`)).rows[0]?.value;
    expect(await version()).toBe(String(PG_SCHEMA_VERSION));
    // Opening again (another server starting) changes nothing and finds the same repository.
    const again = await openPgRepository(p, 'r', { url, schema, missingObjects });
    expect(again.created).toBe(false);
    expect(await again.refs.resolve('refs/heads/main')).toBe(id);
    // A newer cairn migrated it: this one refuses to touch it.
    await p.query(`UPDATE ${schema}.meta SET value = $1 WHERE key = 'schema_version'`, [String(PG_SCHEMA_VERSION + 1)]);
    const err = await failure(() => openPgRepository(p, 'r', { url, schema, missingObjects }));
    expect(err.code).toBe('BAD_FORMAT');
    expect(err.data).toMatchObject({ reason: 'newer', found: PG_SCHEMA_VERSION + 1, supported: PG_SCHEMA_VERSION });
    expect(err.message).toContain('upgrade cairn');
    expect(await version()).toBe(String(PG_SCHEMA_VERSION + 1));
  });

  it('several servers creating the schema and one repository at once: one schema, one repository row', async () => {
    const s = `${SCHEMA}_many`;
    try {
      const opened = await Promise.all(
        Array.from({ length: 6 }, () => openPgRepository(pool(2), 'shared', { url, schema: s, missingObjects, create: true })),
      );
      expect(new Set(opened.map((o) => o.repoId)).size).toBe(1);
      expect(opened.filter((o) => o.created).length).toBe(1);
    } finally {
      await pool(1).query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    }
  });

  it('refuses to open a repository that does not exist without create', async () => {
    const err = await failure(() => openPgRepository(pool(1), 'nowhere', { url, schema: SCHEMA, missingObjects }));
    expect(err.code).toBe('BAD_FORMAT');
  });
});

describe('PgRefStore connection failures', () => {
  const password = 'S3cret-pw-%21-do-not-show';
  const decoded = 'S3cret-pw-!-do-not-show';

  function withCredentials(base: string, user: string, port?: number): string {
    const u = new URL(base);
    u.username = user;
    u.password = password;
    if (port !== undefined) u.port = String(port);
    return u.toString();
  }

  async function closedPort(): Promise<number> {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
  }

  it('a closed port is StorageUnavailableError (IO, retryable), naming host and port but never the password', async () => {
    const bad = withCredentials(url, 'postgres', await closedPort());
    const p = createPgPool(bad, { max: 1, connectTimeoutMs: 2000 });
    try {
      const err = await failure(() => openPgRepository(p, 'r', { url: bad, schema: SCHEMA, missingObjects }));
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err.code).toBe('IO');
      expect(err.data).toMatchObject({ backend: 'postgres', retryable: true, reason: 'ECONNREFUSED' });
      const shown = JSON.stringify({ message: err.message, data: err.data, stack: err.stack });
      expect(shown).not.toContain(password);
      expect(shown).not.toContain(decoded);
      expect(err.message).toContain('127.0.0.1');
    } finally {
      await p.end();
    }
  });

  it('refused credentials (an unknown role with a password) are a typed error without the password', async () => {
    // The test cluster trusts 127.0.0.1, so a wrong password for a real role would be accepted:
    // an unknown role is the credential failure it can produce.
    const bad = withCredentials(url, 'no_such_role_cairn', undefined);
    const p = createPgPool(bad, { max: 1 });
    try {
      const err = await failure(() => openPgRepository(p, 'r', { url: bad, schema: SCHEMA, missingObjects }));
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err.data).toMatchObject({ backend: 'postgres', retryable: false });
      const shown = JSON.stringify({ message: err.message, data: err.data, stack: err.stack });
      expect(shown).not.toContain(password);
      expect(shown).not.toContain(decoded);
    } finally {
      await p.end();
    }
  });

  it('a backend terminated in the middle of an update (as by a restart): retryable IO, nothing applied, the retry succeeds', async () => {
    const admin = pool(1);
    const p = createPgPool(url, { max: 2 });
    try {
      let kill = true;
      // The injected object check runs inside the update's transaction: there, the backend serving
      // it is terminated by another connection (pg_terminate_backend: 57P01 on the next statement).
      const killing: MissingObjects = async (ids, tx) => {
        if (kill) {
          kill = false;
          const pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        }
        return missingObjects(ids, tx);
      };
      const { refs } = await openPgRepository(p, 'terminated', { url, schema: SCHEMA, missingObjects: killing, create: true });
      const [x, y] = [idOf('term x'), idOf('term y')];
      stored.add(x).add(y);
      const err = await failure(() => refs.update([{ name: 'refs/heads/main', expected: null, next: x }], 'me', 'create'));
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err.data).toMatchObject({ backend: 'postgres', retryable: true });
      expect(await refs.read('refs/heads/main')).toBeUndefined();
      expect(await refs.reflog('refs/heads/main')).toEqual([]);
      await refs.update([{ name: 'refs/heads/main', expected: null, next: x }], 'me', 'create');
      await refs.update([{ name: 'refs/heads/main', expected: x, next: y }], 'me', 'move');
      expect((await refs.reflog('refs/heads/main')).map((e) => e.message)).toEqual(['move', 'create']);
    } finally {
      await p.end();
    }
  });

  it('a store whose database goes away mid-life fails its next call as retryable, then works once it is back', async () => {
    // A TCP proxy in front of the real PostgreSQL, cut and restored: a real broken connection.
    const target = new URL(url);
    const sockets = new Set<net.Socket>();
    let accepting = true;
    const proxy = net.createServer((client) => {
      if (!accepting) return client.destroy();
      const upstream = net.connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxied = withCredentials(url, target.username || 'postgres', (proxy.address() as { port: number }).port);
    const p = createPgPool(proxied, { max: 2, connectTimeoutMs: 2000 });
    try {
      const refs = (await openPgRepository(p, 'through-proxy', { url: proxied, schema: SCHEMA, missingObjects, create: true })).refs;
      const [x, y] = [idOf('proxy x'), idOf('proxy y')];
      stored.add(x).add(y);
      await refs.update([{ name: 'refs/heads/main', expected: null, next: x }], 'me', 'create');
      accepting = false;
      for (const s of sockets) s.destroy();
      const err = await failure(() => refs.update([{ name: 'refs/heads/main', expected: x, next: y }], 'me', 'move'));
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err.data).toMatchObject({ retryable: true });
      expect(JSON.stringify({ m: err.message, d: err.data })).not.toContain(password);
      accepting = true;
      await refs.update([{ name: 'refs/heads/main', expected: x, next: y }], 'me', 'move');
      expect(await refs.resolve('refs/heads/main')).toBe(y);
      expect((await refs.reflog('refs/heads/main')).map((e) => e.message)).toEqual(['move', 'create']);
    } finally {
      await p.end();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});

describe('PgRefStore against the SQLite store (differential)', () => {
  it('random batches of updates: the same outcome (applied, or the same error code and data) and the same refs and reflog', async () => {
    const names = ['refs/heads/a', 'refs/heads/b', 'refs/tags/c'];
    const slot = fc.integer({ min: 0, max: 4 }); // 0..3 a stored object, 4 the ghost
    const update = fc.record({
      name: fc.constantFrom(...names),
      expected: fc.oneof(fc.constant<'any'>('any'), fc.constant<'none'>('none'), slot),
      next: fc.oneof(fc.constant<'delete'>('delete'), slot),
    });
    const batches = fc.array(fc.array(update, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(batches, async (plan) => {
        const { dir, cleanup } = tempDir('cairn-diff-refs-');
        const repo = Repository.init(dir).repo;
        const p = createPgPool(url, { max: 1 });
        try {
          const folder = new FolderRefStore(repo.refs);
          const pgRefs = await openRepo(p, `diff-${++run}`);
          const objs = [0, 1, 2, 3].map((i) => repo.objects.put('chunk', Buffer.from(`diff ${i}`)));
          repo.objects.flush();
          for (const id of objs) stored.add(id);
          const ids = [...objs, 'f'.repeat(64)];
          for (const [i, batch] of plan.entries()) {
            const updates = batch.map((u) => ({
              name: u.name,
              expected: u.expected === 'any' ? undefined : u.expected === 'none' ? null : ids[u.expected]!,
              next: u.next === 'delete' ? null : ids[u.next]!,
            }));
            const outcome = async (store: FolderRefStore | PgRefStore): Promise<unknown> => {
              try {
                await store.update(updates, 'me', `batch ${i}`);
                return 'ok';
              } catch (err) {
                return { code: (err as { code?: unknown }).code, data: (err as { data?: unknown }).data };
              }
            };
            expect(await outcome(pgRefs)).toEqual(await outcome(folder));
          }
          expect(await pgRefs.list('refs/')).toEqual(await folder.list('refs/'));
          for (const n of names) {
            const strip = (log: { old: unknown; new: unknown; message: string }[]): unknown[] => log.map((e) => [e.old, e.new, e.message]);
            expect(strip(await pgRefs.reflog(n, 1000))).toEqual(strip(await folder.reflog(n, 1000)));
          }
        } finally {
          await p.end();
          repo.close();
          cleanup();
        }
      }),
      { numRuns: 40 },
    );
  });
});
