// A hostile client cannot corrupt a `cairn serve`, whatever its backend: raw HTTP (node:http,
// bytes built by hand with test/helpers/fake-remote.ts) against a real server with small limits.
// After each attack the served repository is whole (HostileBackend.assertWhole), its refs are
// unchanged, nothing reached its store, the server still answers /healthz, and an honest clone works.
// The same cases run against the folder backend (sync-hostile-client.test.ts) and the PostgreSQL +
// S3 one (sync-hostile-client-pg.test.ts, issue 10: "bad input stays refused as today").
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cloneRepo } from '../../src/sync/client/clone.js';
import { spawnCairn, tempDir } from '../helpers/cli.js';
import { endBytes, MAGIC, ObjectSet, recordBytes } from '../helpers/fake-remote.js';

/** A running `cairn serve` of a backend. */
export interface HostileServer {
  url: string;
  /** Its request log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** How many objects a repository holds in its store and in its quarantine. */
export interface StoredCounts {
  objects: number;
  staged: number;
}

/** What differs between the backends the cases run against. */
export interface HostileBackend {
  /** Names the cases' describe block. */
  readonly name: string;
  /**
   * A server started with `args` (tokens, limits), on a store that holds the honest repository
   * 'good' (honestRepo's one commit on main, HEAD naming main) by the time this resolves.
   * `token` is a write token `args` accept, for a backend that must push 'good' to its server.
   */
  start(args: readonly string[], token: string): Promise<HostileServer>;
  /** One more server on the same store, with `args` only (no tokens: an open server). */
  another(args: readonly string[]): Promise<HostileServer>;
  /**
   * Fails unless the served repository 'good' is whole. `clone` is a fresh clone of it just made
   * with the library (every object verified on arrival); a backend that cannot read its store
   * as a repository checks that clone instead.
   */
  assertWhole(clone: string): Promise<void>;
  /** Objects of repository `name` in its store and its quarantine; undefined when it does not exist. */
  stored(name: string): Promise<StoredCounts | undefined>;
  /**
   * Everything the backend keeps, one entry per place or row, as paths relative to where the
   * repositories live: a repository created as 'x' shows as 'x' or 'x/...', anything outside
   * as '../...'. The cases only compare two of these.
   */
  footprint(): Promise<string[]>;
  /** Stops every server it started and removes what it made. */
  stop(): Promise<void>;
}

const TOKEN = 'w-0123456789abcdef0123456789abcdef';
const READ_TOKEN = 'r-0123456789abcdef0123456789abcdef';
const MAX_OBJECT = 4096;
const MAX_OBJECTS = 5;
const MAX_PUSH = 65_536;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One raw request; a connection the server cuts resolves with status 0. */
function raw(
  base: string,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
  token: string | null = TOKEN,
): Promise<Answer> {
  return new Promise((resolve) => {
    const u = new URL(base);
    const h: Record<string, string> = { ...headers };
    if (token !== null) h['authorization'] = `Bearer ${token}`;
    if (body !== undefined && h['transfer-encoding'] === undefined) h['content-length'] = String(Buffer.byteLength(body));
    const req = request({ host: u.hostname, port: u.port, method, path, headers: h }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    // A write error (the server closed after refusing) may come before its answer: wait for it.
    req.on('error', () => setTimeout(() => resolve({ status: 0, headers: {}, body: '' }), 200));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawnCairn(args, { cwd, env });
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdout!.resume();
    p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

/** Every path under `dir`, relative to it, sorted. */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

/** The honest repository's working folder at `dir`: one commit of a.json on main. */
export async function honestRepo(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const args of [['init'], ['add', '.'], ['commit', '-m', 'honest']]) {
    if (args[0] === 'add') writeFileSync(join(dir, 'a.json'), '{"a": 1}\n');
    const r = await run(args, dir);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}

function streamOf(objs: ObjectSet, ids = objs.list.map((o) => o.id)): Buffer {
  const recs = ids.map((id) => {
    const o = objs.byId.get(id)!;
    return recordBytes(o.id, { chunk: 0, file: 1, tree: 2, commit: 3 }[o.type], o.body);
  });
  return Buffer.concat([MAGIC, ...recs, endBytes(recs.length)]);
}

function code(a: Answer): string | undefined {
  try {
    return (JSON.parse(a.body) as { error?: { code: string } }).error?.code;
  } catch {
    return undefined;
  }
}

export function describeHostileClient(backend: HostileBackend): void {
  describe(`a hostile client against the ${backend.name} backend`, () => {
    hostileCases(backend);
  });
}

function hostileCases(backend: HostileBackend): void {
  let sandbox: { dir: string; cleanup: () => void };
  let srv: HostileServer;
  let url: string;
  let refsBefore: string;
  let storedBefore: StoredCounts;
  let clones = 0;

  beforeAll(async () => {
    sandbox = tempDir('cairn-hostile-client-');
    const tokens = join(sandbox.dir, 'tokens');
    writeFileSync(tokens, `${TOKEN} write *\n${READ_TOKEN} read *\n`);
    srv = await backend.start(
      [
        '--tokens',
        tokens,
        '--max-object-size',
        String(MAX_OBJECT),
        '--max-objects',
        String(MAX_OBJECTS),
        '--max-push-size',
        String(MAX_PUSH),
        '--idle-timeout',
        '1000',
        // A body must bring 32 KiB (or its rest) in every second: the trickle below is cut after one.
        '--progress-window',
        '1000',
      ],
      TOKEN,
    );
    url = srv.url;
    refsBefore = (await raw(url, 'GET', '/good/v1/refs')).body;
    expect(JSON.parse(refsBefore)).toMatchObject({ version: 1, head: 'refs/heads/main' });
    storedBefore = (await backend.stored('good'))!;
    expect(storedBefore.objects).toBeGreaterThan(0);
  }, 60_000);

  afterAll(async () => {
    await backend.stop();
    sandbox?.cleanup();
  });

  /** What must hold after every attack. */
  async function serverIntact(): Promise<void> {
    expect((await raw(url, 'GET', '/healthz', undefined, {}, null)).status).toBe(200);
    expect((await raw(url, 'GET', '/good/v1/refs')).body).toBe(refsBefore);
    // Nothing an attack sent reached the store (what a case may leave staged, it counts itself).
    expect((await backend.stored('good'))!.objects).toBe(storedBefore.objects);
    const dir = join(sandbox.dir, `honest-${clones++}`);
    const res = await cloneRepo({ url: `${url}/good`, dir, who: 'test', token: TOKEN });
    expect(res.head).toBe((JSON.parse(refsBefore) as { refs: { id: string }[] }).refs[0]!.id);
    await backend.assertWhole(dir);
  }

  /** Runs `attack` and returns how many objects it left in the quarantine of 'good'. */
  async function stagedBy(attack: () => Promise<void>): Promise<number> {
    const before = (await backend.stored('good'))!.staged;
    await attack();
    return (await backend.stored('good'))!.staged - before;
  }

  function pushObjects(body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    return raw(url, 'POST', '/good/v1/push-objects', body, { 'content-type': 'application/x-cairn-objects', ...headers });
  }

  function pushRefs(body: unknown): Promise<Answer> {
    return raw(url, 'POST', '/good/v1/push-refs', typeof body === 'string' ? body : JSON.stringify(body), {
      'content-type': 'application/json',
    });
  }

  describe('object streams from a hostile client', () => {
    test('bad magic: 400, nothing stored', async () => {
      const staged = await stagedBy(async () => {
        const a = await pushObjects(Buffer.concat([Buffer.from('GITPACK1'), endBytes(0)]));
        expect(a.status).toBe(400);
        expect(code(a)).toBe('BAD_FORMAT');
      });
      expect(staged).toBe(0);
      await serverIntact();
    });

    test('a stream cut off mid-record and one without its end record: 400', async () => {
      const objs = new ObjectSet();
      objs.file('cut');
      const full = streamOf(objs);
      const cut = await stagedBy(async () => {
        const a = await pushObjects(full.subarray(0, full.length - 38 - 3));
        expect(a.status).toBe(400);
      });
      expect(cut).toBe(0);
      // Every record arrived whole and verified: it may wait in the quarantine for a resumed push.
      const noEnd = await stagedBy(async () => {
        const b = await pushObjects(full.subarray(0, full.length - 38));
        expect(b.status).toBe(400);
        expect(b.body).toMatch(/end record/);
      });
      expect(noEnd).toBe(1);
      await serverIntact();
    });

    test('a record longer than --max-object-size is refused from its header: 400', async () => {
      const staged = await stagedBy(async () => {
        const body = Buffer.concat([MAGIC, recordBytes('ab'.repeat(32), 0, Buffer.alloc(0), MAX_OBJECT + 1)]);
        const a = await pushObjects(body);
        expect(a.status).toBe(400);
        expect(a.body).toMatch(/exceeds the limit/);
        // Also a 4 GiB record length, sent without the bytes it promises.
        const b = await pushObjects(Buffer.concat([MAGIC, recordBytes('ab'.repeat(32), 0, Buffer.alloc(0), 0xffffffff)]));
        expect(b.status).toBe(400);
      });
      expect(staged).toBe(0);
      await serverIntact();
    });

    test('a record whose bytes do not hash to its id: 400 CORRUPT_OBJECT', async () => {
      const objs = new ObjectSet();
      const id = objs.file('honest bytes');
      const body = Buffer.concat([MAGIC, recordBytes(id, 1, Buffer.from([1, 0, 0x65, 0x76, 0x69, 0x6c])), endBytes(1)]);
      const staged = await stagedBy(async () => {
        const a = await pushObjects(body);
        expect(a.status).toBe(400);
        expect(code(a)).toBe('CORRUPT_OBJECT');
      });
      expect(staged).toBe(0);
      await serverIntact();
    });

    test.each(['..', '.cairn', 'a/b', '.'])("a tree with an entry named '%s': 400 UNSAFE_PATH", async (name) => {
      const objs = new ObjectSet();
      // A file of its own per case, so what each case stages is counted apart.
      const f = objs.file(`x for '${name}'`);
      objs.tree([{ name, kind: 'file', id: f, size: 1 }]);
      const staged = await stagedBy(async () => {
        const a = await pushObjects(streamOf(objs));
        expect(a.status).toBe(400);
        expect(code(a)).toBe('UNSAFE_PATH');
      });
      // The file, verified before the tree, may wait in the quarantine; the tree never does.
      expect(staged).toBe(1);
      await serverIntact();
    });

    test('more objects than --max-objects: refused', async () => {
      const objs = new ObjectSet();
      for (let i = 0; i <= MAX_OBJECTS; i++) objs.chunk(Buffer.from(`chunk ${i}`));
      const staged = await stagedBy(async () => {
        const a = await pushObjects(streamOf(objs));
        expect(a.status).toBeGreaterThanOrEqual(400);
        expect(a.status).toBeLessThan(500);
        expect(a.body).toMatch(/more than 5 objects/);
      });
      // The five within the limit were verified and staged before the sixth was refused.
      expect(staged).toBe(MAX_OBJECTS);
      await serverIntact();
    });

    test('a body over --max-push-size: 413, declared or not', async () => {
      const big = Buffer.concat([MAGIC, Buffer.alloc(MAX_PUSH + 1)]);
      const staged = await stagedBy(async () => {
        const a = await pushObjects(big);
        expect(a.status).toBe(413);
        // Chunked, no length declared: counted as it arrives. Records of 4000 zero bytes are valid
        // chunk-sized records with wrong ids, so refuse by size, or by hash: either way a 4xx.
        const b = await raw(url, 'POST', '/good/v1/push-objects', big, {
          'content-type': 'application/x-cairn-objects',
          'transfer-encoding': 'chunked',
        });
        expect([0, 400, 413]).toContain(b.status);
      });
      expect(staged).toBe(0);
      await serverIntact();
    });
  });

  describe('push-refs from a hostile client', () => {
    const zero = '0'.repeat(64);
    const current = () => (JSON.parse(refsBefore) as { refs: { id: string }[] }).refs[0]!.id;

    test('not JSON, or the wrong shape: 400', async () => {
      for (const body of [
        '{"updates": [',
        '[]',
        { updates: [] },
        { updates: [{ name: 'refs/heads/x', old: null, new: 'nothex' }] },
        { updates: 'x' },
        { updates: [{ name: 'refs/heads/x', old: null, new: zero, force: 'yes' }] },
      ]) {
        const a = await pushRefs(body);
        expect(a.status, JSON.stringify(body)).toBe(400);
        expect(code(a)).toBe('USAGE');
      }
      await serverIntact();
    });

    test.each([
      'refs/remotes/origin/main',
      'HEAD',
      'refs/heads/../x',
      'refs/heads/a/../../b',
      'refs/tags/..',
      'main',
      'refs/heads/.cairn',
      'refs/heads/x.lock',
      'refs/heads//x',
    ])("a ref named '%s': 400 INVALID_NAME", async (name) => {
      const a = await pushRefs({ updates: [{ name, old: null, new: current(), force: true }] });
      expect(a.status).toBe(400);
      expect(code(a)).toBe('INVALID_NAME');
      await serverIntact();
    });

    test('a commit whose closure is missing: 409, nothing moves', async () => {
      // The commit itself arrives (valid, hashed right) but its tree never does.
      const objs = new ObjectSet();
      const f = objs.file('orphan');
      const tree = objs.tree([{ name: 'o.txt', kind: 'file', id: f, size: 6 }]);
      const commit = objs.commit(tree, [current()], 'tree never sent');
      const staged = await stagedBy(async () => {
        expect((await pushObjects(streamOf(objs, [commit]))).status).toBe(200);
      });
      expect(staged).toBe(1);
      const held = (await backend.stored('good'))!.staged;
      const a = await pushRefs({
        updates: [
          { name: 'refs/heads/feature', old: null, new: commit, force: false },
          { name: 'refs/heads/other', old: null, new: current(), force: false },
        ],
      });
      expect(a.status).toBe(409);
      expect(code(a)).toBe('MISSING_OBJECT');
      // And a commit the server never saw at all.
      const b = await pushRefs({ updates: [{ name: 'refs/heads/ghost', old: null, new: 'cd'.repeat(32), force: false }] });
      expect(b.status).toBe(409);
      // The refused update promoted nothing: the commit still waits in the quarantine.
      expect((await backend.stored('good'))!.staged).toBe(held);
      await serverIntact();
    });

    test('a commit whose tree is a chunk: refused, nothing moves', async () => {
      const objs = new ObjectSet();
      const chunk = objs.chunk(Buffer.from('not a tree'));
      const commit = objs.commit(chunk, [current()], 'tree is a chunk');
      expect((await pushObjects(streamOf(objs))).status).toBe(200);
      const staged = (await backend.stored('good'))!.staged;
      const a = await pushRefs({ updates: [{ name: 'refs/heads/chunky', old: null, new: commit, force: false }] });
      expect(a.status).toBe(400);
      expect(code(a)).toBe('BAD_FORMAT');
      expect((await backend.stored('good'))!.staged).toBe(staged);
      await serverIntact();
    });
  });

  describe('repository names from a hostile client', () => {
    const names = [
      '/../escape',
      '/%2e%2e/escape',
      '/good/%2e%2e/%2e%2e/escape',
      '/a%2f..%2f..%2fescape',
      '//tmp/escape',
      '/%2ftmp%2fescape',
      '/.cairn',
      '/good/.cairn',
      '/good%00x',
      '/%E0%A4%A',
      '/v1',
      '/-x',
      `/${'a/'.repeat(9)}b`,
    ];
    // The folder backend would turn a name into a path, the PostgreSQL one into a row (and never
    // into an S3 key: packs are named by the server alone). Either way the footprint compared here
    // is what the backend keeps, relative to where its repositories live: no entry may appear but
    // the plain names that URL parsing leaves of the dot-segment attempts.
    test.each(names)("'%s': 4xx, nothing created", async (name) => {
      const before = await backend.footprint();
      for (const endpoint of ['push-lacks', 'refs']) {
        const a = await raw(
          url,
          endpoint === 'refs' ? 'GET' : 'POST',
          `${name}/v1/${endpoint}`,
          endpoint === 'refs' ? undefined : Buffer.alloc(32),
          { 'content-type': 'application/x-cairn-ids' },
        );
        // Dot segments ('..', '%2e%2e') are resolved by URL parsing, leaving '/escape' or '/tmp/escape':
        // a plain new name under the root.
        if (a.status === 200) expect(name).toMatch(/(\.\.|%2e%2e)\/escape$|^\/\/tmp\/escape$/);
        else expect([400, 404]).toContain(a.status);
      }
      const created = (await backend.footprint()).filter((p) => !before.includes(p));
      expect(created.filter((p) => !/^(escape|tmp\/escape)(\/|$)/.test(p) && p !== 'tmp')).toEqual([]);
      await serverIntact();
    });
  });

  describe('slow and greedy clients', () => {
    test('a client trickling its headers is cut off within the idle timeout; others are served meanwhile', async () => {
      const u = new URL(url);
      const sock = connect(Number(u.port), u.hostname);
      const started = Date.now();
      const closed = new Promise<number>((resolve) => sock.on('close', () => resolve(Date.now() - started)));
      sock.on('error', () => undefined);
      const header = `GET /good/v1/refs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nX-Slow: `;
      let i = 0;
      const timer = setInterval(() => {
        if (!sock.destroyed) sock.write(i < header.length ? header[i++]! : 'a');
      }, 200);
      // Meanwhile another client is served at once.
      const t0 = Date.now();
      expect((await raw(url, 'GET', '/good/v1/refs')).status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(1000);
      const after = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]);
      clearInterval(timer);
      sock.destroy();
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThan(4000);
      await serverIntact();
    }, 20_000);

    test('a client trickling its body is cut off within the progress window; others are served meanwhile', async () => {
      const u = new URL(url);
      const started = Date.now();
      const req = request({
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: '/good/v1/push-objects',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-cairn-objects', 'content-length': '60000' },
      });
      const answered = new Promise<{ status: number; ms: number }>((resolve) => {
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, ms: Date.now() - started });
        });
        req.on('error', () => resolve({ status: 0, ms: Date.now() - started }));
      });
      req.write(MAGIC);
      const timer = setInterval(() => {
        if (!req.destroyed) req.write(Buffer.alloc(1));
      }, 200);
      const t0 = Date.now();
      expect((await raw(url, 'GET', '/healthz', undefined, {}, null)).status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(1000);
      const r = await Promise.race([
        answered,
        new Promise<{ status: number; ms: number }>((res) => setTimeout(() => res({ status: -1, ms: -1 }), 8000)),
      ]);
      clearInterval(timer);
      req.destroy();
      expect([0, 408]).toContain(r.status);
      expect(r.ms).toBeGreaterThan(0);
      expect(r.ms).toBeLessThan(4000);
      await serverIntact();
    }, 20_000);

    test('a connection that sends nothing is closed after the idle timeout', async () => {
      const u = new URL(url);
      const sock = connect(Number(u.port), u.hostname);
      sock.on('error', () => undefined);
      const started = Date.now();
      const ms = await new Promise<number>((resolve) => {
        sock.on('close', () => resolve(Date.now() - started));
        setTimeout(() => resolve(-1), 8000);
      });
      sock.destroy();
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(4000);
    }, 20_000);

    test('more than --max-concurrent requests at once: 503 for the extras, the others complete', async () => {
      const local = await backend.another(['--max-concurrent', '3']);
      try {
        const u = new URL(local.url);
        // Three pushes hold their slots: headers sent, body still to come.
        const objs = new ObjectSet();
        objs.file('held');
        const body = streamOf(objs);
        const held = [0, 1, 2].map(() => {
          const req = request({
            host: u.hostname,
            port: u.port,
            method: 'POST',
            path: '/good/v1/push-objects',
            headers: { 'content-type': 'application/x-cairn-objects', 'content-length': String(body.length) },
          });
          const done = new Promise<number>((resolve) => {
            req.on('response', (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', () => resolve(0));
          });
          req.write(body.subarray(0, 4));
          return { req, done };
        });
        await new Promise((r) => setTimeout(r, 300));
        const extras = await Promise.all([0, 1, 2].map(() => raw(local.url, 'GET', '/good/v1/refs', undefined, {}, null)));
        expect(extras.map((e) => e.status)).toEqual([503, 503, 503]);
        expect(extras[0]!.headers['retry-after']).toBe('1');
        for (const h of held) h.req.end(body.subarray(4));
        expect(await Promise.all(held.map((h) => h.done))).toEqual([200, 200, 200]);
        expect((await raw(local.url, 'GET', '/good/v1/refs', undefined, {}, null)).status).toBe(200);
      } finally {
        await local.stop();
      }
      await serverIntact();
    }, 30_000);
  });

  describe('tokens', () => {
    test('missing, unknown, look-alike and read-only tokens: 401/403, nothing changes', async () => {
      const update = {
        updates: [
          { name: 'refs/heads/main', old: (JSON.parse(refsBefore) as { refs: { id: string }[] }).refs[0]!.id, new: null, force: true },
        ],
      };
      const body = JSON.stringify(update);
      const json = { 'content-type': 'application/json' };
      const missing = await raw(url, 'POST', '/good/v1/push-refs', body, json, null);
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await raw(url, 'GET', '/good/v1/refs', undefined, {}, null)).status).toBe(401);
      // Shares all but the last character with the write token.
      const lookAlike = `${TOKEN.slice(0, -1)}0`;
      expect((await raw(url, 'POST', '/good/v1/push-refs', body, json, lookAlike)).status).toBe(401);
      expect((await raw(url, 'POST', '/good/v1/push-refs', body, json, `${TOKEN}x`)).status).toBe(401);
      expect((await raw(url, 'POST', '/good/v1/push-refs', body, json, TOKEN.slice(0, -1))).status).toBe(401);
      expect((await raw(url, 'POST', '/good/v1/push-refs', body, json, '')).status).toBe(401);
      expect(
        (
          await raw(
            url,
            'POST',
            '/good/v1/push-refs',
            body,
            { ...json, authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
            null,
          )
        ).status,
      ).toBe(401);
      const readOnly = await raw(url, 'POST', '/good/v1/push-refs', body, json, READ_TOKEN);
      expect(readOnly.status).toBe(403);
      expect((await raw(url, 'POST', '/good/v1/push-objects', streamOf(new ObjectSet()), {}, READ_TOKEN)).status).toBe(403);
      // A read-only token cannot create a repository either.
      expect((await raw(url, 'POST', '/newrepo/v1/push-lacks', Buffer.alloc(32), {}, READ_TOKEN)).status).toBe(403);
      expect(await backend.stored('newrepo')).toBeUndefined();
      expect((await backend.footprint()).some((p) => p.startsWith('newrepo'))).toBe(false);
      expect(srv.log()).not.toContain(TOKEN);
      await serverIntact();
    });

    test('cairn clone and push with a wrong token: exit 8, nothing changes', async () => {
      const dir = join(sandbox.dir, 'cli-clone');
      const r = await run(['clone', `${url}/good`, dir], sandbox.dir, { CAIRN_TOKEN: `${TOKEN.slice(0, -1)}0` });
      expect(r.code).toBe(8);
      expect(r.stderr).toMatch(/authentication required|unknown token/);
      expect(r.stderr).not.toContain(TOKEN.slice(0, 20));
      const ok = await run(['clone', `${url}/good`, dir], sandbox.dir, { CAIRN_TOKEN: READ_TOKEN });
      expect(ok.code, ok.stderr).toBe(0);
      writeFileSync(join(dir, 'b.json'), '{}\n');
      for (const args of [
        ['add', '.'],
        ['commit', '-m', 'denied'],
      ])
        expect((await run(args, dir)).code).toBe(0);
      const p = await run(['push'], dir, { CAIRN_TOKEN: READ_TOKEN });
      expect(p.code).toBe(8);
      expect(p.stderr).toMatch(/permission denied/);
      await serverIntact();
    }, 30_000);
  });
}
