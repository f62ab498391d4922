// /healthz, /readyz and /metrics of a server on PostgreSQL + S3 (issue 10), with the real engines
// behind a relay (PostgreSQL) and a fault proxy (radosgw) the test can cut: /healthz stays 200
// while /readyz answers 503 naming what cannot be reached (never a credential), a push meanwhile
// fails with the retryable 503 and nothing half-applied, and once the engine is back the server is
// ready again and the same push succeeds. /metrics carries the backend's figures.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCairnAwaited, tempDir } from '../helpers/cli.js';
import { engines } from '../helpers/engines.js';
import { startFaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { spawnServe, type TestServer } from '../helpers/server.js';
import { requestLog, sleep } from '../helpers/sync-fixtures.js';
import { startRelay, type Relay } from '../helpers/tcp-relay.js';
import { TEST_BUCKET } from '../helpers/cluster.js';

const SECRET = 'Pw-not-to-be-shown-4711';
const e = engines();
const tag = `ready${process.pid}_${randomBytes(3).toString('hex')}`;
const schema = `cairn_${tag}`;
const tmp = tempDir('cairn-readiness-');
let relay: Relay;
let s3: FaultProxy;
let server: TestServer;

beforeAll(async () => {
  const pgUrl = new URL(e.pgUrl);
  relay = await startRelay(pgUrl.hostname, Number(pgUrl.port));
  s3 = await startFaultProxy(e.s3Endpoint);
  const viaRelay = new URL(e.pgUrl);
  viaRelay.port = String(relay.port);
  viaRelay.password = SECRET;
  server = await spawnServe(
    tmp.dir,
    [
      '--db',
      viaRelay.toString(),
      '--db-schema',
      schema,
      '--objects',
      `s3://${TEST_BUCKET}/${tag}/`,
      '--s3-endpoint',
      s3.url,
      '--cache-dir',
      join(tmp.dir, 'cache'),
    ],
    { AWS_ACCESS_KEY_ID: e.s3AccessKey, AWS_SECRET_ACCESS_KEY: e.s3SecretKey },
  );
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await relay?.close();
  await s3?.close();
  const pool = new pg.Pool({ connectionString: e.pgUrl, max: 1 });
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await pool.end();
  tmp.cleanup();
});

/**
 * The relay and the proxy live in this process: the CLI must run without blocking its event loop
 * (a synchronous spawn would stall them, and the server behind them).
 */
async function cairn(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCairnAwaited(args, { cwd, timeoutMs: 60_000 });
}

async function cairnOk(args: string[], cwd: string): Promise<string> {
  const r = await cairn(args, cwd);
  if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Polls /readyz until it answers `status` (bounded: 40 tries, 15 s). */
async function readyzBecomes(status: number): Promise<{ status: number; body: string }> {
  let last = { status: 0, body: '' };
  for (let i = 0; i < 40; i++) {
    last = await get('/readyz');
    if (last.status === status) return last;
    await sleep(375);
  }
  return last;
}

describe('readiness and metrics of a PostgreSQL + S3 server', () => {
  it('is ready with both engines up; /metrics has the backend figures and no credential', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true, backend: 'postgres+s3', problems: [] });
    const src = join(tmp.dir, 'src');
    await cairnOk(['init', 'src'], tmp.dir);
    writeFileSync(join(src, 'a.json'), '{"a":1}\n');
    await cairnOk(['commit', '-a', '-m', 'one'], src);
    await cairnOk(['push', `${server.url}/r`, 'main'], src);
    const metrics = (await get('/metrics')).body;
    for (const name of [
      'cairn_pg_query_duration_seconds_bucket',
      'cairn_s3_requests_total{op="put"}',
      'cairn_s3_bytes_total{op="put"}',
      'cairn_s3_request_duration_seconds_bucket',
      'cairn_pack_cache_hits_total',
      'cairn_pack_cache_misses_total',
    ])
      expect(metrics, name).toContain(name);
    expect(metrics).not.toContain(SECRET);
    expect(metrics).not.toContain(e.s3SecretKey);
  }, 60_000);

  it('answers /readyz 503 while PostgreSQL cannot be reached, /healthz 200; a push meanwhile is 503 and applies nothing; then ready again and the push succeeds', async () => {
    const src = join(tmp.dir, 'src');
    writeFileSync(join(src, 'a.json'), '{"a":2}\n');
    await cairnOk(['commit', '-a', '-m', 'two'], src);
    await relay.cut();
    const down = await readyzBecomes(503);
    expect(down.status).toBe(503);
    const body = JSON.parse(down.body) as { ready: boolean; problems: string[] };
    expect(body.ready).toBe(false);
    expect(body.problems.join(' ')).toContain(`127.0.0.1:${relay.port}`);
    expect(down.body).not.toContain(SECRET);
    expect((await get('/healthz')).status).toBe(200);
    const failed = await cairn(['push', `${server.url}/r`, 'main'], src);
    expect(failed.code, failed.stderr).toBe(8);
    expect(failed.stderr).not.toContain(SECRET);
    await sleep(100);
    const statuses = requestLog(server.log()).map((l) => l.status);
    expect(statuses).toContain(503);
    expect(server.log()).not.toContain(SECRET);
    await relay.restore();
    expect((await readyzBecomes(200)).status).toBe(200);
    const ok = await cairn(['push', `${server.url}/r`, 'main'], src);
    expect(ok.code, ok.stderr).toBe(0);
    const dst = join(tmp.dir, 'dst');
    await cairnOk(['clone', `${server.url}/r`, dst], tmp.dir);
    await cairnOk(['fsck'], dst);
  }, 90_000);

  it('answers /readyz 503 while S3 fails, naming S3, and 200 once it answers again', async () => {
    s3.inject('HEAD', { kind: 'status', status: 503 }, 1000);
    const down = await readyzBecomes(503);
    expect(down.status).toBe(503);
    expect((JSON.parse(down.body) as { problems: string[] }).problems.join(' ')).toMatch(/S3/);
    expect(down.body).not.toContain(e.s3SecretKey);
    s3.clear();
    expect((await readyzBecomes(200)).status).toBe(200);
  }, 60_000);
});
