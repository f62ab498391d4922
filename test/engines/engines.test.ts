// The engine facts the PostgreSQL + S3 backend is designed on (issue 10), checked against the real
// engines every run, so a change of engine version that breaks one fails here first, by name:
// PostgreSQL's row count is a compare-and-swap signal that exactly one racer wins; radosgw refuses
// a second create of one key (If-None-Match: *) and serves exact byte ranges; nginx spreads requests
// over several upstreams on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../helpers/engines.js';

const e = engines();

describe('PostgreSQL', () => {
  const pool = new pg.Pool({ connectionString: e.pgUrl, max: 16 });
  const table = `cas_${process.pid}`;
  beforeAll(async () => {
    await pool.query(`CREATE TABLE ${table} (name text PRIMARY KEY, id text NOT NULL)`);
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('UPDATE … WHERE id = old: of 16 concurrent racers from one base exactly one changes a row, in every round', async () => {
    await pool.query(`INSERT INTO ${table} VALUES ('refs/heads/main', 'base')`);
    let old = 'base';
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          pool.query(`UPDATE ${table} SET id = $1 WHERE name = 'refs/heads/main' AND id = $2`, [`r${round}-c${i}`, old]),
        ),
      );
      const winners = results.map((r, i) => (r.rowCount === 1 ? i : -1)).filter((i) => i >= 0);
      expect(winners, `round ${round}`).toHaveLength(1);
      const now = await pool.query<{ id: string }>(`SELECT id FROM ${table} WHERE name = 'refs/heads/main'`);
      expect(now.rows[0]!.id).toBe(`r${round}-c${winners[0]}`);
      old = now.rows[0]!.id;
    }
  });
});

describe('radosgw (S3)', () => {
  const s3 = new S3Client({
    endpoint: e.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
  });
  const bucket = `cairn-engines-${process.pid}`;
  const keys: string[] = [];
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    s3.destroy();
  });

  it('refuses a second create of one key with 412 (If-None-Match: *), keeping the first bytes', async () => {
    const Key = 'packs/one.pack';
    keys.push(Key);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.from('first'), IfNoneMatch: '*' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.from('second'), IfNoneMatch: '*' })).then(
      () => 'accepted',
      (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode,
    );
    expect(second).toBe(412);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).toString()).toBe('first');
  });

  it('serves exactly the byte ranges asked for, at random offsets of a 1 MiB object', async () => {
    const Key = 'packs/ranges.pack';
    keys.push(Key);
    const body = randomBytes(1 << 20);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body }));
    for (let i = 0; i < 20; i++) {
      const start = Math.floor(Math.random() * body.length);
      const end = Math.min(body.length - 1, start + Math.floor(Math.random() * 100_000));
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, Range: `bytes=${start}-${end}` }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });
});

describe('nginx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-nginx-'));
  const upstreams: Server[] = [];
  let port = 0;
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const s = createServer((_req, res) => res.end(`server ${i}`));
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      upstreams.push(s);
    }
    // A free port for nginx: bind one, note it, let it go (nginx binds it right after).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const servers = upstreams.map((s) => `server 127.0.0.1:${(s.address() as AddressInfo).port};`).join(' ');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon on; pid ${dir}/nginx.pid; error_log ${dir}/error.log; worker_processes 1;
events { worker_connections 64; }
http { access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream cairn { ${servers} }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://cairn; } } }
`,
    );
    const r = spawnSync(e.nginx, ['-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(async () => {
    spawnSync(e.nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-s', 'stop']);
    for (const s of upstreams) await new Promise<void>((r) => s.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads requests over every upstream (round robin)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/`, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      seen.add(body);
    }
    expect([...seen].sort()).toEqual(['server 0', 'server 1', 'server 2']);
  });
});
