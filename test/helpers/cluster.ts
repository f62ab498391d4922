// Several real `cairn serve` processes on the PostgreSQL + S3 backend (the engines of
// scripts/services.sh), each on its own port of 127.0.0.1, and a real nginx in front of them
// spreading requests round robin, as docs/DEPLOY.md sets it up. Each cluster gets a schema and a
// key prefix of its own, so tests running at once never see each other's repositories.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './net.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { engines } from './engines.js';
import { spawnServe, type TestServer } from './server.js';

export const TEST_BUCKET = 'cairn-tests';

export interface Cluster {
  /** nginx's address: every request may reach any server. */
  url: string;
  servers: TestServer[];
  /** The arguments a server of this cluster is started with (to start one more, or again). */
  serveArgs: string[];
  serveEnv: Record<string, string>;
  schema: string;
  /**
   * Starts one more server of this cluster (not behind nginx), with `args` in place of the
   * cluster's own extra arguments (opts.args) when given.
   */
  startServer(args?: readonly string[]): Promise<TestServer>;
  /** A query on the cluster's database (for assertions on rows). */
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/**
 * nginx in front of `upstreams`, configured as docs/DEPLOY.md says (streaming bodies both ways).
 * Kept-alive upstream connections are closed after 4 s, before the servers' own 5 s keep-alive
 * timeout: else nginx may send a request on a connection the server is closing (a 502).
 */
export function nginxConfig(dir: string, port: number, upstreams: readonly string[]): string {
  return `daemon on; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn; worker_processes 1;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream cairn { ${upstreams.map((u) => `server ${u} max_fails=3 fail_timeout=5s;`).join(' ')} keepalive 16; keepalive_timeout 4s; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location / {
      proxy_pass http://cairn;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
`;
}

export async function startCluster(
  opts: { servers?: number; args?: string[]; env?: Record<string, string>; /** cairn launcher (default bin/cairn) */ bin?: string } = {},
): Promise<Cluster> {
  const e = engines();
  const tag = `t${process.pid}_${randomBytes(4).toString('hex')}`;
  const schema = `cairn_${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-cluster-'));
  const baseArgs = [
    '--db',
    e.pgUrl,
    '--db-schema',
    schema,
    '--objects',
    `s3://${TEST_BUCKET}/${tag}/`,
    '--s3-endpoint',
    e.s3Endpoint,
    '--trusted-proxy',
    '127.0.0.1',
  ];
  const serveArgs = [...baseArgs, ...(opts.args ?? [])];
  const serveEnv = { AWS_ACCESS_KEY_ID: e.s3AccessKey, AWS_SECRET_ACCESS_KEY: e.s3SecretKey, ...opts.env };
  let n = 0;
  const start = (args: readonly string[] = opts.args ?? []) =>
    spawnServe(dir, [...baseArgs, ...args, '--cache-dir', join(dir, `cache-${n++}`)], serveEnv, opts.bin);
  const servers: TestServer[] = [];
  const pool = new pg.Pool({ connectionString: e.pgUrl, max: 2 });
  let nginxUp = false;
  const stop = async () => {
    if (nginxUp) spawnSync(e.nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-s', 'stop']);
    await Promise.all(servers.map((s) => s.stop()));
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // All at once on a fresh schema, as a Deployment's replicas start: creating and migrating it
    // is each server's first step, serialised by the schema's advisory lock (FORMAT §17).
    const started = await Promise.allSettled(Array.from({ length: opts.servers ?? 3 }, () => start()));
    for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const port = await freePort();
    writeFileSync(
      join(dir, 'nginx.conf'),
      nginxConfig(
        dir,
        port,
        servers.map((s) => s.url.replace(/^http:\/\//, '')),
      ),
    );
    const r = spawnSync(e.nginx, ['-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nginx did not start: ${r.stderr}`);
    nginxUp = true;
    return {
      url: `http://127.0.0.1:${port}`,
      servers,
      serveArgs,
      serveEnv,
      schema,
      startServer: async (args?: readonly string[]) => {
        const s = await start(args);
        servers.push(s);
        return s;
      },
      query: async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await pool.query<T>(sql, params)).rows,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
