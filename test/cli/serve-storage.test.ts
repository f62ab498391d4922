// How `cairn serve` chooses its storage (src/cli/serve-storage.ts): flags, environment and a JSON
// --config file, with the PostgreSQL + S3 backend started for real from each source, and the
// mistakes a user makes refused with exit 2 and a message saying what to give instead.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCairn, tempDir } from '../helpers/cli.js';
import { engines } from '../helpers/engines.js';
import { spawnServe, type TestServer } from '../helpers/server.js';
import { TEST_BUCKET } from '../helpers/cluster.js';

const e = engines();
const tmp = tempDir('cairn-serve-storage-');
const schemas: string[] = [];
const servers: TestServer[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  const pool = new pg.Pool({ connectionString: e.pgUrl, max: 1 });
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
  await pool.end();
  tmp.cleanup();
});

function fresh(): { schema: string; objects: string } {
  const tag = `cli${process.pid}_${randomBytes(3).toString('hex')}`;
  schemas.push(`cairn_${tag}`);
  return { schema: `cairn_${tag}`, objects: `s3://${TEST_BUCKET}/${tag}/` };
}

async function readyz(server: TestServer): Promise<unknown> {
  const res = await fetch(`${server.url}/readyz`);
  expect(res.status).toBe(200);
  return res.json();
}

describe('cairn serve storage settings', () => {
  it('refuses half a backend and two backends at once, exit 2, saying what to give', () => {
    const dbOnly = runCairn(['serve', '--db', e.pgUrl, '--port', '0'], { cwd: tmp.dir });
    expect(dbOnly.code).toBe(2);
    expect(dbOnly.stderr).toContain('--db needs --objects');
    const objectsOnly = runCairn(['serve', '--objects', 's3://b/p/', '--port', '0'], { cwd: tmp.dir });
    expect(objectsOnly.code).toBe(2);
    expect(objectsOnly.stderr).toContain('--objects needs --db');
    const both = runCairn(['serve', '--root', tmp.dir, '--db', e.pgUrl, '--objects', 's3://b/p/'], { cwd: tmp.dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give one of them');
    const notPg = runCairn(['serve', '--db', 'mysql://x@y/z', '--objects', 's3://b/p/'], { cwd: tmp.dir });
    expect(notPg.code).toBe(2);
    const badConfig = join(tmp.dir, 'bad.json');
    writeFileSync(badConfig, '{"db": "postgres://x@y/z", "bucket": "nope"}');
    const unknownKey = runCairn(['serve', '--config', badConfig], { cwd: tmp.dir });
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain("unknown key 'bucket'");
    for (const r of [dbOnly, objectsOnly, both, notPg, unknownKey]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('starts on PostgreSQL + S3 from a --config file alone, credentials included, and never prints them', async () => {
    const { schema, objects } = fresh();
    const config = join(tmp.dir, 'serve.json');
    writeFileSync(
      config,
      JSON.stringify({
        db: e.pgUrl,
        dbSchema: schema,
        objects,
        s3Endpoint: e.s3Endpoint,
        awsAccessKeyId: e.s3AccessKey,
        awsSecretAccessKey: e.s3SecretKey,
        cacheDir: join(tmp.dir, 'cache-config'),
        cacheSize: 1 << 20,
      }),
    );
    const server = await spawnServe(tmp.dir, ['--config', config]);
    servers.push(server);
    expect(await readyz(server)).toMatchObject({ ready: true, backend: 'postgres+s3' });
    expect(server.log()).not.toContain(e.s3SecretKey);
  }, 60_000);

  it('starts from the environment (CAIRN_SERVE_DB, CAIRN_SERVE_OBJECTS, AWS_*), the environment winning over the file', async () => {
    const { schema, objects } = fresh();
    const config = join(tmp.dir, 'wrong.json');
    // A file naming a database that does not exist: the environment's values must win over it.
    writeFileSync(config, JSON.stringify({ db: 'postgres://nobody@127.0.0.1:1/none', objects: 's3://wrong/' }));
    const server = await spawnServe(tmp.dir, ['--config', config, '--db-schema', schema, '--cache-dir', join(tmp.dir, 'cache-env')], {
      CAIRN_SERVE_DB: e.pgUrl,
      CAIRN_SERVE_OBJECTS: objects,
      CAIRN_SERVE_S3_ENDPOINT: e.s3Endpoint,
      AWS_ACCESS_KEY_ID: e.s3AccessKey,
      AWS_SECRET_ACCESS_KEY: e.s3SecretKey,
    });
    servers.push(server);
    expect(await readyz(server)).toMatchObject({ ready: true, backend: 'postgres+s3' });
  }, 60_000);
});
