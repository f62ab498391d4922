// Faults of the scaled-out server (issue 10, "What must hold": Faults), each a real fault against
// the real engines — PostgreSQL 15, Ceph radosgw, nginx — and real `cairn serve` processes, no mock:
//   1. a server SIGKILLed mid-push: the retry through nginx (another server) resends at most one
//      flush window, and the result clones and fscks clean;
//   2. a server SIGKILLed between the S3 upload and the row insert (its PUT held by a proxy after
//      radosgw stored it): the pack is in S3 and no row names it; a push through another server
//      succeeds and no ref names anything missing;
//   3. a server SIGKILLed after the push transaction committed but before its answer reached the
//      client (a proxy drops it): the retry through another server says up to date, the reflog has
//      one entry;
//   4. a private PostgreSQL stopped mid-push and started again: the client gets a clear retryable
//      error (exit 8, "cannot be reached … try again", HTTP 503 in the server's log), nothing is
//      half-applied, the retry succeeds;
//   5. S3 answering 503 and 500 to PUTs and GETs, stalling a GET and truncating another: push and
//      clone succeed, the clone is byte-identical and fscks clean, the metrics count the retries.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairnAwaited, spawnCairn, tempDir, type RunResult } from '../helpers/cli.js';
import { startCluster, TEST_BUCKET, type Cluster } from '../helpers/cluster.js';
import { startCutProxy, type CutProxy } from '../helpers/cut-proxy.js';
import { engines } from '../helpers/engines.js';
import { startPrivatePg, type PrivatePg } from '../helpers/private-pg.js';
import { startFaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { spawnServe, type TestServer } from '../helpers/server.js';
import { requestLog, sleep, storedStats, writeDataset } from '../helpers/sync-fixtures.js';
import { checkWhole, diffSnapshots, refState, snapshotWorktree } from '../faults/helpers.js';
import { PackBucket } from '../../src/sync/server/storage/pack-bucket.js';
import { PG_FLUSH_POLICY } from '../../src/sync/server/storage/pg-objects.js';
import { RemoteClient } from '../../src/sync/client/http-client.js';

const MAIN = 'refs/heads/main';
/** The backend's flush window by size: what a killed server may lose of a push in progress. */
const WINDOW = PG_FLUSH_POLICY.flushBytes!;
/** Object stream framing per record (src/sync/protocol/wire.ts) and an id in a push-lacks body. */
const RECORD_HEADER = 38;
const ID_BYTES = 32;
const EXIT_REMOTE = 8;

const tmp = tempDir('cairn-scale-faults-');
let cluster: Cluster;
/** Servers, proxies and engines started outside the cluster, stopped in afterAll whatever happened. */
const servers: TestServer[] = [];
const s3Proxies: FaultProxy[] = [];
const cutProxies: CutProxy[] = [];
let privatePg: PrivatePg | undefined;
let privatePool: pg.Pool | undefined;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2 });
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all([...s3Proxies, ...cutProxies].map((p) => p.close()));
  await privatePool?.end().catch(() => undefined);
  privatePg?.destroy();
  await cluster?.stop();
  tmp.cleanup();
}, 60_000);

interface PushJson {
  listed: number;
  requested: number;
  received: number;
  alreadyThere: number;
  bytesSent: number;
  refs: { dst: string; old: string | null; new: string | null; status: 'ok' | 'up-to-date' }[];
}

/** The cluster's S3 key prefix (its --objects s3://BUCKET/PREFIX/). */
function clusterPrefix(): string {
  const objects = cluster.serveArgs[cluster.serveArgs.indexOf('--objects') + 1]!;
  return objects.slice(`s3://${TEST_BUCKET}/`.length);
}

/** One more server of the cluster's schema and bucket, but talking to S3 through `endpoint`. */
async function serveVia(endpoint: string, extra: string[] = []): Promise<TestServer> {
  const args = [...cluster.serveArgs];
  args[args.indexOf('--s3-endpoint') + 1] = endpoint;
  const dir = join(tmp.dir, `serve-${randomBytes(4).toString('hex')}`);
  const s = await spawnServe(dir, [...args, '--cache-dir', join(dir, 'cache'), ...extra], cluster.serveEnv);
  servers.push(s);
  return s;
}

/** A fresh replica at `tmp/name` with one commit of `shape`'s dataset. */
function replica(name: string, shape: Parameters<typeof writeDataset>[1]): string {
  cairnOk(['init', name], { cwd: tmp.dir });
  const dir = join(tmp.dir, name);
  writeDataset(dir, shape);
  cairnOk(['commit', '-a', '-m', `${name}: first`], { cwd: dir });
  return dir;
}

/** Staged rows of repository `repo` in the cluster's schema: count and stored bytes. */
async function stagedOf(repo: string): Promise<{ count: number; bytes: number }> {
  const s = cluster.schema;
  const [r] = await cluster.query<{ n: string; b: string }>(
    `SELECT count(*) AS n, coalesce(sum(q.stored_len), 0) AS b FROM ${s}.staged q JOIN ${s}.repositories p ON p.id = q.repo WHERE p.name = $1`,
    [repo],
  );
  return { count: Number(r!.n), bytes: Number(r!.b) };
}

/** The refs table of repository `repo` (non-symbolic refs). */
async function refsOf(repo: string): Promise<Record<string, string>> {
  const s = cluster.schema;
  const rows = await cluster.query<{ name: string; target: string }>(
    `SELECT r.name, r.target FROM ${s}.refs r JOIN ${s}.repositories p ON p.id = r.repo WHERE p.name = $1 AND NOT r.symbolic ORDER BY r.name`,
    [repo],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.target]));
}

/** Refs of repository `repo` that name an object the index does not hold (should be none, ever). */
async function refsNamingMissing(repo: string): Promise<string[]> {
  const s = cluster.schema;
  const rows = await cluster.query<{ name: string }>(
    `SELECT r.name FROM ${s}.refs r JOIN ${s}.repositories p ON p.id = r.repo
     WHERE p.name = $1 AND NOT r.symbolic
       AND NOT EXISTS (SELECT 1 FROM ${s}.objects o WHERE o.repo = r.repo AND o.id = decode(r.target, 'hex'))`,
    [repo],
  );
  return rows.map((r) => r.name);
}

/** Clones `url` into tmp/`name` and proves it whole and identical to `src`'s worktree. */
async function cloneMatches(url: string, name: string, src: string): Promise<string> {
  const dst = join(tmp.dir, name);
  const r = await runCairnAwaited(['clone', url, dst], { cwd: tmp.dir, timeoutMs: 120_000 });
  expect(r.code, `clone ${url}: ${r.stderr}`).toBe(0);
  expect(await checkWhole(dst)).toEqual([]);
  expect(refState(dst).refs[MAIN]).toBe(refState(src).refs[MAIN]);
  expect(diffSnapshots(snapshotWorktree(src), snapshotWorktree(dst))).toEqual([]);
  return dst;
}

/** One metric's value for one `op` label on a server's /metrics page. */
async function s3Metric(serverUrl: string, name: string, op: string): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`op="${op}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Runs `cairn ARGS` in `cwd` in the background: the child, and its outcome once it exits. */
function background(args: string[], cwd: string, timeoutMs = 120_000): { child: ReturnType<typeof spawnCairn>; done: Promise<RunResult> } {
  const child = spawnCairn(args, { cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((resolve) => {
    const hung = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(hung);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  return { child, done };
}

/** Polls `probe` every `everyMs` until it returns a value, the child exits, or `limitMs` passes. */
async function until<T>(
  probe: () => Promise<T | undefined>,
  child: { exitCode: number | null },
  limitMs: number,
  everyMs = 20,
): Promise<T | undefined> {
  const deadline = Date.now() + limitMs;
  while (child.exitCode === null && Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  return undefined;
}

/** The last non-empty line of a command's output (its error message). */
function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

function mib(n: number): string {
  return `${(n / (1 << 20)).toFixed(2)} MiB`;
}

describe('faults of the scaled-out server', () => {
  it('a server killed (kill -9) mid-push: the retry through another server resends at most one flush window', async () => {
    const t0 = performance.now();
    const name = 'killed-mid-push';
    // ~24 MiB of random chunks: three 8 MiB flush windows.
    const src = replica('kill-src', { records: 40, blobs: 24, blobBytes: 1 << 20 });
    const total = storedStats(src);
    const a = await cluster.startServer();
    const first = background(['push', `${a.url}/${name}`, 'main', '--json'], src);
    // Once a whole window has landed (staged rows committed), A dies.
    const before = await until(
      async () => {
        const s = await stagedOf(name);
        return s.bytes >= WINDOW ? s : undefined;
      },
      first.child,
      90_000,
    );
    if (before !== undefined) await a.kill();
    const failed = await first.done;
    expect(before, `the push ended before one window was staged: ${failed.stderr}`).toBeDefined();
    expect(failed.code, failed.stderr).toBe(EXIT_REMOTE);
    // What A staged survives it, invisible: no ref moved.
    const after = await stagedOf(name);
    expect(after.bytes).toBeGreaterThanOrEqual(before!.bytes);
    expect(await refsOf(name)).toEqual({});

    const again = await runCairnAwaited(['push', `${cluster.url}/${name}`, 'main', '--json'], { cwd: src, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    const res = JSON.parse(again.stdout) as PushJson;
    expect(res.listed).toBe(total.count);
    // Everything A staged is taken as there; only the rest travels again.
    expect(res.alreadyThere).toBe(after.count);
    // Client figures: body bytes on the wire, every request of the retry. Slack: each record's
    // header, the push-lacks id list and the small JSON requests.
    const slack = (RECORD_HEADER + ID_BYTES) * (res.listed + 1) + (64 << 10);
    const bound = total.bytes - before!.bytes + WINDOW + slack;
    expect(res.bytesSent).toBeLessThanOrEqual(bound);
    // Tighter, and what the bound rests on: nothing staged travels again (what A received and had
    // not flushed at the kill, at most one window, is all the retry resends).
    expect(res.bytesSent).toBeLessThanOrEqual(total.bytes - after.bytes + slack);
    expect(await refsOf(name)).toEqual({ [MAIN]: refState(src).refs[MAIN] });
    expect(await stagedOf(name)).toEqual({ count: 0, bytes: 0 });
    await cloneMatches(`${cluster.url}/${name}`, 'kill-clone', src);
    console.log(
      `scale-faults kill mid-push: ${mib(total.bytes)} in ${total.count} objects; killed with ${mib(before!.bytes)} staged (${mib(after.bytes)} after); ` +
        `the retry sent ${mib(res.bytesSent)} (${res.requested} objects; ${res.alreadyThere} already there), ` +
        `${mib(res.bytesSent - (total.bytes - after.bytes))} over what was not staged; bound ${mib(bound)} (window ${mib(WINDOW)}); ${Math.round(performance.now() - t0)} ms`,
    );
  }, 180_000);

  it('a server killed between the S3 upload and the row insert: the pack is in S3, no row names it, no ref names anything missing', async () => {
    const t0 = performance.now();
    const name = 'killed-after-upload';
    const src = replica('orphan-src', { records: 30, blobs: 2, blobBytes: 256 << 10 });
    const proxy = await startFaultProxy(engines().s3Endpoint);
    s3Proxies.push(proxy);
    const a = await serveVia(proxy.url);
    // Every PUT of A reaches radosgw, which stores it; A never hears back.
    proxy.inject('PUT', { kind: 'hold' }, 1_000);
    const first = background(['push', `${a.url}/${name}`, 'main', '--json'], src);
    const held = await until(async () => (proxy.held().length > 0 ? true : undefined), first.child, 60_000);
    expect(held, 'no PUT was held').toBe(true);
    // The flush's packs (meta and data) go up together: give the other one a moment, then kill.
    await sleep(300);
    await a.kill();
    const failed = await first.done;
    expect(failed.code, failed.stderr).toBe(EXIT_REMOTE);
    // A PUT still on its way to radosgw at the kill lands all the same: wait until every PUT A sent is held.
    // (A PUT whose body the kill cut short never lands: radosgw refuses it, and it is not held.)
    for (let i = 0; i < 40 && (proxy.counts()['PUT'] ?? 0) > proxy.held().length; i++) await sleep(50);
    const packs = proxy.held().map((h) => {
      expect(h.status).toBe(200);
      return /\/packs\/([0-9a-f]{32}-[0-9a-f]{64})/.exec(h.path)![1]!;
    });
    // Durable in S3, with the bytes its name says ...
    const e = engines();
    const bucket = new PackBucket({
      bucket: TEST_BUCKET,
      prefix: clusterPrefix(),
      endpoint: e.s3Endpoint,
      credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
    });
    try {
      for (const p of packs) {
        const head = await bucket.headPack(p);
        expect(head.length).toBeGreaterThan(0);
        expect(head.sha256).toBe(p.slice(33));
      }
    } finally {
      bucket.destroy();
    }
    // ... and named by no row: not in packs, so by no object or staged row either.
    const s = cluster.schema;
    const named = async () => {
      const [r] = await cluster.query<{ packs: string; objects: string; staged: string }>(
        `SELECT (SELECT count(*) FROM ${s}.packs WHERE name = ANY($1)) AS packs,
                (SELECT count(*) FROM ${s}.objects o JOIN ${s}.packs k ON k.id = o.pack WHERE k.name = ANY($1)) AS objects,
                (SELECT count(*) FROM ${s}.staged q JOIN ${s}.packs k ON k.id = q.pack WHERE k.name = ANY($1)) AS staged`,
        [packs],
      );
      return { packs: Number(r!.packs), objects: Number(r!.objects), staged: Number(r!.staged) };
    };
    expect(await named()).toEqual({ packs: 0, objects: 0, staged: 0 });
    expect(await stagedOf(name)).toEqual({ count: 0, bytes: 0 });
    expect(await refsOf(name)).toEqual({});

    // Another server takes the push whole: nothing of A's was staged, so everything is sent.
    const b = cluster.servers[0]!;
    const again = await runCairnAwaited(['push', `${b.url}/${name}`, 'main', '--json'], { cwd: src, timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    const res = JSON.parse(again.stdout) as PushJson;
    expect(res.alreadyThere).toBe(0);
    expect(await refsOf(name)).toEqual({ [MAIN]: refState(src).refs[MAIN] });
    expect(await refsNamingMissing(name)).toEqual([]);
    // The orphans stay orphans (garbage for gc), never holes.
    expect(await named()).toEqual({ packs: 0, objects: 0, staged: 0 });
    await cloneMatches(`${cluster.url}/${name}`, 'orphan-clone', src);
    console.log(
      `scale-faults kill after upload: ${packs.length} pack(s) stored in S3 and held, none named by a row; the push through another server sent ${res.requested} objects; ${Math.round(performance.now() - t0)} ms`,
    );
  }, 120_000);

  it('a server killed after the push transaction commits but before its answer: the retry says up to date, one reflog entry', async () => {
    const t0 = performance.now();
    const name = 'lost-answer';
    const src = replica('lost-src', { records: 20, blobs: 1, blobBytes: 128 << 10 });
    const b = cluster.servers[0]!;
    cairnOk(['push', `${b.url}/${name}`, 'main'], { cwd: src });
    const old = refState(src).refs[MAIN]!;
    writeFileSync(join(src, 'rows', 'part0', 'r0.jsonl'), '{"id":0,"second":true}\n');
    cairnOk(['commit', '-a', '-m', 'second'], { cwd: src });
    const next = refState(src).refs[MAIN]!;

    const a = await cluster.startServer();
    const proxy = await startCutProxy(a.url, (req) => req.method === 'POST' && /\/v1\/push-refs$/.test(req.url ?? ''));
    cutProxies.push(proxy);
    const first = background(['push', `${proxy.url}/${name}`, 'main', '--json'], src, 60_000);
    const cut = await Promise.race([proxy.cut, first.done.then(() => undefined)]);
    await a.kill();
    const failed = await first.done;
    expect(cut, `the push ended without its push-refs answer being cut: ${failed.stderr}`).toBeDefined();
    // A had committed and answered 200 ...
    expect(cut!.status).toBe(200);
    expect(JSON.parse(cut!.body)).toMatchObject({ results: [{ name: MAIN, status: 'ok' }] });
    // ... and the client only saw its connection drop.
    expect(failed.code, failed.stderr).toBe(EXIT_REMOTE);
    expect(failed.stderr).toMatch(/cannot reach|connection|socket hang up|ECONNRESET/i);
    const s = cluster.schema;
    const logged = async () =>
      Number(
        (
          await cluster.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${s}.reflog l JOIN ${s}.repositories p ON p.id = l.repo WHERE p.name = $1 AND l.ref = $2 AND l.new = $3`,
            [name, MAIN, next],
          )
        )[0]!.n,
      );
    expect(await refsOf(name)).toEqual({ [MAIN]: next });
    expect(await logged()).toBe(1);

    // The CLI's retry through another server: up to date, exit 0 (JSON and text alike).
    const again = await runCairnAwaited(['push', `${b.url}/${name}`, 'main', '--json'], { cwd: src });
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as PushJson).refs).toEqual([expect.objectContaining({ dst: MAIN, new: next, status: 'up-to-date' })]);
    const text = await runCairnAwaited(['push', `${cluster.url}/${name}`, 'main'], { cwd: src });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/= main \(up to date\)/);
    // The retry of the lost request itself (old value as first seen), as a client resending it
    // would: the server answers up to date, not "fetch first", and logs nothing more.
    const client = new RemoteClient(`${b.url}/${name}`);
    try {
      const answer = await client.pushRefs([{ name: MAIN, old, new: next, force: false }]);
      expect(answer.results).toEqual([expect.objectContaining({ name: MAIN, status: 'up-to-date' })]);
    } finally {
      await client.close();
    }
    expect(await logged()).toBe(1);
    expect(await refsOf(name)).toEqual({ [MAIN]: next });
    await cloneMatches(`${cluster.url}/${name}`, 'lost-clone', src);
    console.log(
      `scale-faults lost answer: committed push answered 200 then cut (the client: ${lastLine(failed.stderr)}); retries up to date, reflog entries for it: 1; ${Math.round(performance.now() - t0)} ms`,
    );
  }, 120_000);

  it('PostgreSQL restarted mid-push: a clear retryable error (503), nothing half-applied, the retry succeeds', async () => {
    const t0 = performance.now();
    const name = 'pg-restart';
    privatePg = await startPrivatePg();
    const pgp = privatePg;
    const pool = new pg.Pool({ connectionString: pgp.url, max: 2 });
    pool.on('error', () => undefined);
    privatePool = pool;
    const e = engines();
    const dir = join(tmp.dir, 'pg-restart-serve');
    const server = await spawnServe(
      dir,
      [
        '--db',
        pgp.url,
        '--db-schema',
        'cairn_private',
        '--objects',
        `s3://${TEST_BUCKET}/private-${process.pid}-${randomBytes(4).toString('hex')}/`,
        '--s3-endpoint',
        e.s3Endpoint,
        '--cache-dir',
        join(dir, 'cache'),
      ],
      cluster.serveEnv,
    );
    servers.push(server);
    const url = `${server.url}/${name}`;
    const src = replica('pg-src', { records: 20, blobs: 1, blobBytes: 64 << 10 });
    cairnOk(['push', url, 'main'], { cwd: src });
    const old = refState(src).refs[MAIN]!;
    writeDataset(src, { records: 0, blobs: 12, blobBytes: 1 << 20, prefix: 'more-' });
    cairnOk(['commit', '-a', '-m', 'twelve MiB more'], { cwd: src });
    const next = refState(src).refs[MAIN]!;

    // (The CLI above ran synchronously: the server's log lines of it are read once the loop runs.)
    await sleep(200);
    const logFrom = server.log().length;
    const first = background(['push', url, 'main', '--json'], src);
    // Once the push's first rows are staged, PostgreSQL goes away (fast shutdown: its connections
    // are terminated, open transactions rolled back) until the client has given up.
    const staged = await until(
      async () => {
        const r = await pool.query<{ n: string }>('SELECT count(*) AS n FROM cairn_private.staged');
        return Number(r.rows[0]!.n) > 0 ? true : undefined;
      },
      first.child,
      60_000,
    );
    const stoppedAt = performance.now();
    if (staged) pgp.stop();
    const failed = await first.done;
    if (staged) pgp.start();
    const downMs = performance.now() - stoppedAt;
    expect(staged, `the push ended before anything was staged: ${failed.stderr}`).toBe(true);
    expect(failed.code, failed.stderr).toBe(EXIT_REMOTE);
    expect(failed.stderr).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+\/postgres cannot be reached/);
    expect(failed.stderr).toMatch(/try again/);
    await sleep(200);
    // The failed push's requests: those before the failure answered, the failure a 503 (not a 500).
    const answered = requestLog(server.log().slice(logFrom)).filter((l) => l.repo === name);
    expect(
      answered.some((l) => l.status === 503),
      JSON.stringify(answered),
    ).toBe(true);
    expect(answered.map((l) => l.status).filter((st) => st !== 200 && st !== 503)).toEqual([]);
    // A storage failure, not a server fault: nothing was logged as an internal error.
    expect(server.log()).not.toContain('"msg":"internal error"');

    // Nothing half-applied: the branch is at its old value or its new one, and whole either way.
    const probe = new RemoteClient(url);
    let mid: string | undefined;
    try {
      mid = (await probe.refs()).refs.find((r) => r.name === MAIN)?.id;
    } finally {
      await probe.close();
    }
    expect([old, next]).toContain(mid);
    const midClone = join(tmp.dir, 'pg-mid-clone');
    cairnOk(['clone', url, midClone], { cwd: tmp.dir });
    expect(await checkWhole(midClone)).toEqual([]);
    expect(refState(midClone).refs[MAIN]).toBe(mid);

    const again = await runCairnAwaited(['push', url, 'main', '--json'], { cwd: src, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    const res = JSON.parse(again.stdout) as PushJson;
    expect(res.refs).toEqual([expect.objectContaining({ dst: MAIN, new: next })]);
    const reflog = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM cairn_private.reflog WHERE ref = $1 AND new = $2`, [
      MAIN,
      next,
    ]);
    expect(Number(reflog.rows[0]!.n)).toBe(1);
    await cloneMatches(url, 'pg-clone', src);
    console.log(
      `scale-faults PostgreSQL restart: the client failed with exit ${failed.code}: ${lastLine(failed.stderr)} (${answered.filter((l) => l.status === 503).length} request(s) answered 503), branch at the ${mid === old ? 'old' : 'new'} value meanwhile; ` +
        `the retry sent ${res.requested} objects (${res.alreadyThere} kept); PostgreSQL down ${Math.round(downMs)} ms; ${Math.round(performance.now() - t0)} ms`,
    );
    await server.stop();
    await pool.end();
    privatePool = undefined;
    pgp.destroy();
    privatePg = undefined;
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('S3 answering 500/503, stalling and truncating: push and clone succeed byte for byte, the retries counted', async () => {
    const t0 = performance.now();
    const name = 's3-faults';
    const src = replica('s3-src', { records: 40, blobs: 3, blobBytes: 512 << 10 });
    const proxy = await startFaultProxy(engines().s3Endpoint);
    s3Proxies.push(proxy);
    // No cache: every read of the clone goes to S3 through the faults.
    const s = await serveVia(proxy.url, ['--cache-size', '0']);
    proxy.inject('PUT', { kind: 'status', status: 503 }, 1);
    proxy.inject('PUT', { kind: 'status', status: 500 }, 1);
    const pushed = await runCairnAwaited(['push', `${s.url}/${name}`, 'main', '--json'], { cwd: src, timeoutMs: 120_000 });
    expect(pushed.code, pushed.stderr).toBe(0);
    const puts = proxy.counts()['PUT'] ?? 0;
    expect(await s3Metric(s.url, 'cairn_s3_errors_total', 'put')).toBeGreaterThanOrEqual(2);
    expect(await s3Metric(s.url, 'cairn_s3_retries_total', 'put')).toBeGreaterThanOrEqual(2);

    proxy.inject('GET', { kind: 'status', status: 503 }, 1);
    proxy.inject('GET', { kind: 'status', status: 500 }, 1);
    proxy.inject('GET', { kind: 'truncate' }, 1);
    proxy.inject('GET', { kind: 'stall' }, 1);
    const getErrors = await s3Metric(s.url, 'cairn_s3_errors_total', 'get');
    const getRetries = await s3Metric(s.url, 'cairn_s3_retries_total', 'get');
    const gets = proxy.counts()['GET'] ?? 0;
    const dst = await cloneMatches(`${s.url}/${name}`, 's3-clone', src);
    expect(readFileSync(join(dst, 'blobs', 'b0.bin')).equals(readFileSync(join(src, 'blobs', 'b0.bin')))).toBe(true);
    const errors = (await s3Metric(s.url, 'cairn_s3_errors_total', 'get')) - getErrors;
    const retries = (await s3Metric(s.url, 'cairn_s3_retries_total', 'get')) - getRetries;
    expect(errors).toBeGreaterThanOrEqual(4);
    expect(retries).toBeGreaterThanOrEqual(4);
    // Every pack stored has the bytes its name says: nothing went up wrong.
    const e = engines();
    const bucket = new PackBucket({
      bucket: TEST_BUCKET,
      prefix: clusterPrefix(),
      endpoint: e.s3Endpoint,
      credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
    });
    const sc = cluster.schema;
    const rows = await cluster.query<{ name: string; bytes: string }>(
      `SELECT k.name, k.bytes FROM ${sc}.packs k JOIN ${sc}.repositories p ON p.id = k.repo WHERE p.name = $1`,
      [name],
    );
    try {
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(await bucket.headPack(r.name)).toEqual({ length: Number(r.bytes), sha256: r.name.slice(33) });
    } finally {
      bucket.destroy();
    }
    console.log(
      `scale-faults S3: push with 2 PUT faults (${puts} PUTs, ${await s3Metric(s.url, 'cairn_s3_retries_total', 'put')} PUT retries), clone with 503, 500, truncate and stall on GETs ` +
        `(${(proxy.counts()['GET'] ?? 0) - gets} GETs, ${errors} failed, ${retries} retried); byte-identical, fsck clean; ${Math.round(performance.now() - t0)} ms`,
    );
  }, 120_000);
});
