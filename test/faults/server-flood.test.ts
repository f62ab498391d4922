// A flood of hostile clients cannot starve the others (issue 9, docs/PROTOCOL.md §8): trickling
// anonymous bodies, too many requests from one address or token, idle sockets, token guessing and
// pushes that never finish, each against a real `cairn serve` on 127.0.0.1 with small limits and
// short windows (every wait here is bounded and under a few seconds), and each server stopped.
import { randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Repository } from '../../src/store/repository.js';
import { fsck } from '../../src/ops/fsck.js';
import { cloneRepo } from '../../src/sync/client/clone.js';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { MAGIC, ObjectSet, recordBytes } from '../helpers/fake-remote.js';

const WRITE = 'w-flood-0123456789abcdef0123456789';
const OTHER = 'o-flood-0123456789abcdef0123456789';
const THIRD = 't-flood-0123456789abcdef0123456789';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** One request on a connection of its own; a connection the server cuts resolves with status 0. */
function raw(
  base: string,
  method: string,
  path: string,
  token: string | null,
  body?: Buffer | string,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const u = new URL(base);
    const headers: Record<string, string> = { ...extra };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request({ host: u.hostname, port: u.port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms: Date.now() - started });
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', () => setTimeout(() => resolve({ status: 0, headers: {}, body: '', ms: Date.now() - started }), 50));
    req.end(body);
  });
}

/**
 * A request that sends its headers and `first` bytes of a body of `length`, then `trickle` bytes
 * every `everyMs` (none if 0) until answered or `finish()`ed (which sends the rest).
 */
function hold(base: string, path: string, token: string | null, length: number, first: Buffer, trickleMs = 0) {
  const started = Date.now();
  const u = new URL(base);
  const headers: Record<string, string> = { 'content-length': String(length) };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  const req = request({ host: u.hostname, port: u.port, method: 'POST', path, headers, agent: false });
  let sent = first.length;
  const answer = new Promise<Answer>((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms: Date.now() - started });
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', () => resolve({ status: 0, headers: {}, body: '', ms: Date.now() - started }));
  });
  req.write(first);
  const timer =
    trickleMs > 0
      ? setInterval(() => {
          if (req.destroyed || sent >= length - 1) return;
          req.write(Buffer.from(' '));
          sent++;
        }, trickleMs)
      : undefined;
  void answer.then(() => clearInterval(timer));
  return {
    answer,
    finish: (rest: Buffer) => {
      clearInterval(timer);
      req.end(rest);
    },
    stop: () => {
      clearInterval(timer);
      req.destroy();
    },
  };
}

function errorReason(a: Answer): unknown {
  try {
    return (JSON.parse(a.body) as { error: { data: { reason?: string } } }).error.data.reason;
  } catch {
    return undefined;
  }
}

let sandbox: { dir: string; cleanup: () => void };
let root: string;
let tokens: string;
let commitId: string;

beforeAll(() => {
  sandbox = tempDir('cairn-flood-');
  root = join(sandbox.dir, 'root');
  const pub = join(root, 'pub');
  mkdirSync(pub, { recursive: true });
  cairnOk(['init'], { cwd: pub });
  writeFileSync(join(pub, 'a.json'), '{"a": 1}\n');
  cairnOk(['add', '.'], { cwd: pub });
  cairnOk(['commit', '-m', 'base'], { cwd: pub });
  const repo = Repository.open(pub);
  try {
    const main = repo.refs.read('refs/heads/main');
    if (main === undefined || main.symbolic) throw new Error('no main branch');
    commitId = main.id;
  } finally {
    repo.close();
  }
  // A repository with one 12 MiB incompressible file: its fetch-objects answer is more than the
  // socket buffers hold, so a client that reads none of it leaves the server waiting.
  const big = join(root, 'big');
  mkdirSync(big, { recursive: true });
  cairnOk(['init'], { cwd: big });
  writeFileSync(join(big, 'blob.bin'), randomBytes(12 << 20));
  cairnOk(['add', '.'], { cwd: big });
  cairnOk(['commit', '-m', 'big'], { cwd: big });
  tokens = join(sandbox.dir, 'tokens');
  writeFileSync(tokens, `${WRITE} write *\n${OTHER} write *\n${THIRD} write *\nanonymous read pub\n`);
}, 60_000);

afterAll(() => sandbox?.cleanup());

async function withServer(args: string[], fn: (srv: TestServer) => Promise<void>): Promise<void> {
  const srv = await startServer(root, ['--tokens', tokens, '--quiet', ...args]);
  try {
    await fn(srv);
  } finally {
    await srv.stop();
  }
}

async function honestClone(srv: TestServer, name: string): Promise<void> {
  const dir = join(sandbox.dir, name);
  const res = await cloneRepo({ url: `${srv.url}/pub`, dir, who: 'test', token: WRITE });
  expect(res.head).toBe(commitId);
}

const fetchListBody = () => Buffer.from(JSON.stringify({ wants: [commitId], haves: [] }));

describe('slow bodies', () => {
  test('64 trickling anonymous bodies hold no pool from others: a clone and /healthz succeed meanwhile, every trickler is cut within the window', async () => {
    // The connection cap is raised so that this test measures the request pools alone.
    await withServer(['--progress-window', '2000', '--progress-min-bytes', '1024', '--max-connections-per-address', '500'], async (srv) => {
      const body = fetchListBody();
      const tricklers = Array.from({ length: 64 }, () =>
        hold(srv.url, '/pub/v1/fetch-list', null, body.length + 4000, Buffer.from(' '), 100),
      );
      try {
        await new Promise((r) => setTimeout(r, 300));
        // The anonymous pool (16) is full: one more anonymous request is told so at once ...
        const anon = await raw(srv.url, 'GET', '/pub/v1/refs', null);
        expect(anon.status).toBe(503);
        expect(errorReason(anon)).toBe('anonymous');
        expect(anon.headers['retry-after']).toBe('1');
        // ... while the process answers its health check and a client with a token clones.
        const health = await raw(srv.url, 'GET', '/healthz', null);
        expect(health.status).toBe(200);
        expect(health.ms).toBeLessThan(1000);
        const t0 = Date.now();
        await honestClone(srv, 'flood-clone');
        const cloneDone = Date.now() - t0 + 300;
        const answers = await Promise.all(tricklers.map((t) => t.answer));
        const statuses = answers.map((a) => a.status);
        // 48 refused at once (pool full), 16 cut for lack of progress: none served, none left.
        expect(statuses.filter((s) => s === 503).length).toBe(48);
        expect(statuses.filter((s) => s === 408 || s === 0).length).toBe(16);
        const slowest = Math.max(...answers.map((a) => a.ms));
        expect(slowest).toBeGreaterThanOrEqual(1900);
        expect(slowest).toBeLessThan(5000);
        // The clone finished while the tricklers still held their slots.
        expect(cloneDone).toBeLessThan(Math.min(...answers.filter((a) => a.status !== 503).map((a) => a.ms)));
        // Slots are free again: anonymous requests are served.
        expect((await raw(srv.url, 'GET', '/pub/v1/refs', null)).status).toBe(200);
      } finally {
        for (const t of tricklers) t.stop();
      }
    });
  }, 30_000);

  test('a trickle fast enough on average but stalled for a window is cut (sliding window, not an average)', async () => {
    await withServer(['--progress-window', '1000', '--progress-min-bytes', '1000'], async (srv) => {
      const body = fetchListBody();
      // 3000 bytes at once (enough "on average" for three windows), then nothing.
      const h = hold(srv.url, '/pub/v1/fetch-list', WRITE, 3000 + body.length, Buffer.alloc(3000, 0x20));
      const a = await Promise.race([
        h.answer,
        new Promise<Answer>((r) => setTimeout(() => r({ status: -1, headers: {}, body: '', ms: -1 }), 6000)),
      ]);
      h.stop();
      expect(a.status).toBe(408);
      expect(errorReason(a)).toBe('slow');
      expect(a.ms).toBeGreaterThanOrEqual(900);
      expect(a.ms).toBeLessThan(2500);
      // An honest body of the same size, sent at once, is served.
      expect((await raw(srv.url, 'POST', '/pub/v1/fetch-list', WRITE, Buffer.concat([body, Buffer.alloc(3000, 0x20)]))).status).toBe(200);
    });
  }, 20_000);
});

describe('slow readers', () => {
  test('a client that takes nothing of an answer for a progress window loses its slot', async () => {
    await withServer(['--max-per-token', '1', '--progress-window', '1000'], async (srv) => {
      const list = await raw(srv.url, 'GET', '/big/v1/refs', WRITE);
      const tip = (JSON.parse(list.body) as { refs: { id: string }[] }).refs[0]!.id;
      const u = new URL(srv.url);
      const ids = await new Promise<Buffer>((resolve) => {
        const req = request(
          {
            host: u.hostname,
            port: u.port,
            method: 'POST',
            path: '/big/v1/fetch-list',
            agent: false,
            headers: { authorization: `Bearer ${WRITE}` },
          },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (d: Buffer) => parts.push(d));
            res.on('end', () => resolve(Buffer.concat(parts)));
          },
        );
        req.end(JSON.stringify({ wants: [tip], haves: [] }));
      });
      // Asks for every object, then reads nothing: the answer stalls in the socket buffers.
      const started = Date.now();
      const stalled = request({
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: '/big/v1/fetch-objects',
        agent: false,
        headers: { authorization: `Bearer ${WRITE}`, 'content-length': String(ids.length) },
      });
      // The client never reads: it may not even notice the server closing (its data sits unread).
      stalled.on('response', (res) => {
        res.pause();
        res.on('error', () => undefined);
      });
      stalled.on('error', () => undefined);
      stalled.end(ids);
      await new Promise((r) => setTimeout(r, 300));
      // Its token's only slot is taken meanwhile ...
      expect((await raw(srv.url, 'GET', '/big/v1/refs', WRITE)).status).toBe(503);
      // ... and freed when the server gives up on it: within about one window, not the idle timeout.
      let freed = -1;
      while (Date.now() - started < 8000) {
        if ((await raw(srv.url, 'GET', '/big/v1/refs', WRITE)).status === 200) {
          freed = Date.now() - started;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      stalled.destroy();
      expect(freed).toBeGreaterThan(900);
      expect(freed).toBeLessThan(4000);
      expect((await raw(srv.url, 'GET', '/big/v1/refs', WRITE)).status).toBe(200);
    });
  }, 30_000);
});

describe('caps per client', () => {
  test('per address (no token) and per token: the extra request gets 503 at once, other clients are served', async () => {
    await withServer(['--max-per-address', '3', '--max-per-token', '2'], async (srv) => {
      const body = fetchListBody();
      const anon = [0, 1, 2].map(() => hold(srv.url, '/pub/v1/fetch-list', null, body.length, body.subarray(0, 2)));
      const mine = [0, 1].map(() => hold(srv.url, '/pub/v1/fetch-list', WRITE, body.length, body.subarray(0, 2)));
      try {
        await new Promise((r) => setTimeout(r, 300));
        const anonExtra = await raw(srv.url, 'GET', '/pub/v1/refs', null);
        expect(anonExtra.status).toBe(503);
        expect(errorReason(anonExtra)).toBe('per-client');
        expect(anonExtra.headers['retry-after']).toBe('1');
        const tokenExtra = await raw(srv.url, 'GET', '/pub/v1/refs', WRITE);
        expect(tokenExtra.status).toBe(503);
        expect(errorReason(tokenExtra)).toBe('per-client');
        // Another token, from the same address, has slots of its own; so does /healthz.
        expect((await raw(srv.url, 'GET', '/pub/v1/refs', OTHER)).status).toBe(200);
        expect((await raw(srv.url, 'GET', '/healthz', null)).status).toBe(200);
        for (const h of [...anon, ...mine]) h.finish(body.subarray(2));
        expect((await Promise.all([...anon, ...mine].map((h) => h.answer))).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
        expect((await raw(srv.url, 'GET', '/pub/v1/refs', null)).status).toBe(200);
        expect((await raw(srv.url, 'GET', '/pub/v1/refs', WRITE)).status).toBe(200);
      } finally {
        for (const h of [...anon, ...mine]) h.stop();
      }
    });
  }, 20_000);

  test('idle sockets: connections over the per-address and total caps are closed at once, idle ones after the headers timeout', async () => {
    const openIdle = (srv: TestServer, n: number) => {
      const u = new URL(srv.url);
      const started = Date.now();
      return Array.from({ length: n }, () => {
        const sock = connect(Number(u.port), u.hostname);
        sock.on('error', () => undefined);
        const closed = new Promise<number>((resolve) => sock.on('close', () => resolve(Date.now() - started)));
        return { sock, closed };
      });
    };
    // A hang guard only (a loaded machine may delay a close): the assertions below bound the times.
    const bounded = (p: Promise<number>) => Promise.race([p, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
    for (const [args, kept] of [
      [['--max-connections-per-address', '5', '--headers-timeout', '1000'], 5],
      [['--max-connections', '4', '--headers-timeout', '1000'], 4],
    ] as const) {
      await withServer([...args], async (srv) => {
        const socks = openIdle(srv, 40);
        try {
          const times = await Promise.all(socks.map((s) => bounded(s.closed)));
          expect(
            times.every((t) => t >= 0),
            `${args.join(' ')}: ${times.join(' ')}`,
          ).toBe(true);
          const atOnce = times.filter((t) => t < 500).length;
          expect(atOnce).toBe(40 - kept);
          // The ones let in, idle, are closed by the headers timeout, not kept for minutes.
          const late = times.filter((t) => t >= 500);
          expect(late.length).toBe(kept);
          expect(Math.min(...late)).toBeGreaterThanOrEqual(900);
          expect(Math.max(...late)).toBeLessThan(6000);
          expect((await raw(srv.url, 'GET', '/healthz', null)).status).toBe(200);
        } finally {
          for (const s of socks) s.sock.destroy();
        }
      });
    }
  }, 45_000);
});

describe('token guessing', () => {
  test('after N unknown tokens from an address: 429 with Retry-After for every token, right ones included; no-token requests still served', async () => {
    await withServer(['--auth-failures', '5', '--auth-window', '1500'], async (srv) => {
      const guesses: Answer[] = [];
      // 300 guesses, ten at a time.
      for (let i = 0; i < 30; i++)
        guesses.push(
          ...(await Promise.all(Array.from({ length: 10 }, (_, j) => raw(srv.url, 'GET', '/pub/v1/refs', `guess-${i}-${j}-xxxxxxxx`)))),
        );
      const statuses = guesses.map((g) => g.status);
      expect(statuses.filter((s) => s === 401).length).toBe(5);
      expect(statuses.filter((s) => s === 429).length).toBe(295);
      const limited = guesses.find((g) => g.status === 429)!;
      expect(errorReason(limited)).toBe('auth-rate');
      const wait = Number(limited.headers['retry-after']);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(2);
      // A right token from the blocked address learns nothing either ...
      expect((await raw(srv.url, 'GET', '/pub/v1/refs', WRITE)).status).toBe(429);
      // ... requests without a token are not guesses, and are served.
      expect((await raw(srv.url, 'GET', '/pub/v1/refs', null)).status).toBe(200);
      // Once the window has passed, the right token works again.
      await new Promise((r) => setTimeout(r, 1600));
      expect((await raw(srv.url, 'GET', '/pub/v1/refs', WRITE)).status).toBe(200);
    });
  }, 30_000);

  test('behind a trusted proxy the limit goes by X-Forwarded-For; from anyone else that header is ignored', async () => {
    const guess = (srv: TestServer, i: number, forwarded: string) =>
      raw(srv.url, 'GET', '/pub/v1/refs', `guess-${i}-xxxxxxxxxx`, undefined, { 'x-forwarded-for': forwarded });
    await withServer(['--auth-failures', '3', '--auth-window', '5000', '--trusted-proxy', '127.0.0.1'], async (srv) => {
      for (let i = 0; i < 5; i++) await guess(srv, i, '203.0.113.9');
      expect((await raw(srv.url, 'GET', '/pub/v1/refs', WRITE, undefined, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
      // Another client behind the same proxy is not blocked by the guesser.
      expect((await raw(srv.url, 'GET', '/pub/v1/refs', WRITE, undefined, { 'x-forwarded-for': '203.0.113.10' })).status).toBe(200);
      // The rightmost address that is not the proxy's counts: a client cannot prepend its way out.
      expect((await raw(srv.url, 'GET', '/pub/v1/refs', WRITE, undefined, { 'x-forwarded-for': '1.1.1.1, 203.0.113.9' })).status).toBe(429);
    });
    await withServer(['--auth-failures', '3', '--auth-window', '5000'], async (srv) => {
      // Not a trusted proxy: a new X-Forwarded-For on every guess changes nothing.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await guess(srv, i, `198.51.100.${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    });
  }, 30_000);

  test('limits come from CAIRN_SERVE_* when no option is given; a bad value names its variable (exit 2)', async () => {
    const srv = await startServer(root, ['--tokens', tokens, '--quiet'], {
      CAIRN_SERVE_AUTH_FAILURES: '1',
      CAIRN_SERVE_AUTH_WINDOW: '5000',
    });
    try {
      expect((await raw(srv.url, 'GET', '/pub/v1/refs', 'nope-xxxxxxxxxxxx')).status).toBe(401);
      expect((await raw(srv.url, 'GET', '/pub/v1/refs', 'nope-xxxxxxxxxxxx')).status).toBe(429);
    } finally {
      await srv.stop();
    }
    const bad = runCairn(['serve', '--root', root, '--port', '0'], { cwd: sandbox.dir, env: { CAIRN_SERVE_MAX_PER_TOKEN: 'lots' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/CAIRN_SERVE_MAX_PER_TOKEN must be a whole number from 1 to 100000, not 'lots'/);
    // The option wins over the variable.
    const srv2 = await startServer(root, ['--tokens', tokens, '--quiet', '--auth-failures', '3'], { CAIRN_SERVE_AUTH_FAILURES: '1' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await raw(srv2.url, 'GET', '/pub/v1/refs', `nope-${i}-xxxxxxxxxx`)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await srv2.stop();
    }
  }, 30_000);

  test('cairn clone from a rate-limited address: exit 8 with the wait, not a stack trace', async () => {
    await withServer(['--auth-failures', '2', '--auth-window', '5000'], async (srv) => {
      for (let i = 0; i < 3; i++) await raw(srv.url, 'GET', '/pub/v1/refs', `nope-${i}-xxxxxxxxxx`);
      const r = runCairn(['clone', `${srv.url}/pub`, join(sandbox.dir, 'limited')], { cwd: sandbox.dir, env: { CAIRN_TOKEN: WRITE } });
      expect(r.code).toBe(8);
      expect(r.stderr).toMatch(/too many requests .*too many failed authentications.*try again in \d+ s/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }, 20_000);
});

describe('quarantine', () => {
  /** A push-objects body of `n` incompressible 2000-byte chunks, without its end record. */
  const unfinished = (n: number): Buffer => {
    const objs = new ObjectSet();
    for (let i = 0; i < n; i++) objs.chunk(randomBytes(2000));
    return Buffer.concat([MAGIC, ...objs.list.map((o) => recordBytes(o.id, 0, o.body))]);
  };
  const staged = (name: string) => {
    const repo = Repository.open(join(root, name));
    try {
      const row = repo.db.prepare('SELECT count(*) AS n, coalesce(sum(stored_len), 0) AS b FROM staged').get() as { n: number; b: number };
      const packs = readdirSync(join(root, name, '.cairn', 'packs')).filter((f) => f.endsWith('.pack')).length;
      return { objects: row.n, bytes: row.b, packs, problems: fsck(repo).problems };
    } finally {
      repo.close();
    }
  };

  test('unfinished pushes are bounded per client and per repository (413), and expire', async () => {
    const args = ['--max-quarantine', '9000', '--max-client-quarantine', '5000', '--staging-max-age', '1500'];
    await withServer(args, async (srv) => {
      // Creates the repository (push-lacks of no ids), then two chunks that never see an end record.
      expect((await raw(srv.url, 'POST', '/quar/v1/push-lacks', WRITE, Buffer.alloc(0))).status).toBe(200);
      const first = await raw(srv.url, 'POST', '/quar/v1/push-objects', WRITE, unfinished(2));
      expect(first.status).toBe(400);
      expect(staged('quar').objects).toBe(2);
      // The same client again: over its own bound.
      const again = await raw(srv.url, 'POST', '/quar/v1/push-objects', WRITE, unfinished(2));
      expect(again.status).toBe(413);
      expect(errorReason(again)).toBe('quarantine-full');
      expect(again.body).toMatch(/your unfinished pushes hold \d+ bytes/);
      // Another client has its own bound, until the repository's is reached.
      expect((await raw(srv.url, 'POST', '/quar/v1/push-objects', OTHER, unfinished(2))).status).toBe(400);
      const third = await raw(srv.url, 'POST', '/quar/v1/push-objects', THIRD, unfinished(2));
      expect(third.status).toBe(413);
      expect(third.body).toMatch(/this repository's quarantine holds \d+ bytes/);
      expect(staged('quar').objects).toBe(4);
      // Abandoned: expired by the periodic sweep, rows and pack files both.
      const deadline = Date.now() + 5000;
      while (staged('quar').objects > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const after = staged('quar');
      expect(after).toEqual({ objects: 0, bytes: 0, packs: 0, problems: [] });
      // And the clients' bounds are free again.
      expect((await raw(srv.url, 'POST', '/quar/v1/push-objects', WRITE, unfinished(2))).status).toBe(400);
    });
  }, 30_000);

  test('staging abandoned while the server was down is expired when it starts', async () => {
    await withServer(['--staging-max-age', '60000'], async (srv) => {
      expect((await raw(srv.url, 'POST', '/quar2/v1/push-lacks', WRITE, Buffer.alloc(0))).status).toBe(200);
      expect((await raw(srv.url, 'POST', '/quar2/v1/push-objects', WRITE, unfinished(3))).status).toBe(400);
    });
    expect(staged('quar2').objects).toBe(3);
    await new Promise((r) => setTimeout(r, 600));
    // Started with an age the staging is already past: gone before the first request.
    await withServer(['--staging-max-age', '500'], async () => {
      expect(staged('quar2')).toEqual({ objects: 0, bytes: 0, packs: 0, problems: [] });
    });
  }, 30_000);

  test('a finished push is not held against its client: a real push after an unfinished one works', async () => {
    await withServer(['--max-client-quarantine', '6000'], async (srv) => {
      expect((await raw(srv.url, 'POST', '/quar3/v1/push-lacks', OTHER, Buffer.alloc(0))).status).toBe(200);
      expect((await raw(srv.url, 'POST', '/quar3/v1/push-objects', OTHER, unfinished(1))).status).toBe(400);
      const work = join(sandbox.dir, 'pusher');
      mkdirSync(work, { recursive: true });
      cairnOk(['init'], { cwd: work });
      // Four pushes of ~1.5 KB of incompressible data each: together with the unfinished push,
      // more than the client's bound, had the published ones still counted.
      for (let i = 0; i < 4; i++) {
        writeFileSync(join(work, 'b.txt'), randomBytes(1500).toString('base64'));
        cairnOk(['add', '.'], { cwd: work });
        cairnOk(['commit', '-m', `b${i}`], { cwd: work });
        const r = runCairn(['push', `${srv.url}/quar3`, 'main'], { cwd: work, env: { CAIRN_TOKEN: OTHER } });
        expect(r.code, r.stderr).toBe(0);
      }
      // The unfinished push still counts: a push bigger than what is left is refused.
      const big = await raw(srv.url, 'POST', '/quar3/v1/push-objects', OTHER, unfinished(2));
      expect(big.status).toBe(413);
    });
  }, 30_000);
});
