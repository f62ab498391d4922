// The PostgreSQL + S3 backend on the real engines for one test file: its own schema and bucket
// (named with the process id and a tag), and a cleanup that drops the schema and empties and
// deletes the bucket. Used by pg-storage.test.ts (the conformance suite) and pg-objects.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { engines } from '../../../helpers/engines.js';
import { openPgS3Storage, type PgS3Config } from '../../../../src/sync/server/storage/pg-backend.js';
import type { ServerStorage } from '../../../../src/sync/server/storage/backend.js';

export interface PgS3Fixture {
  schema: string;
  bucket: string;
  raw: S3Client;
  admin: pg.Pool;
  /** The config of a backend on this fixture's schema and bucket, with `over` applied. */
  config(over?: Partial<PgS3Config>): PgS3Config;
  open(over?: Partial<PgS3Config>): Promise<ServerStorage>;
  /** Keys under the bucket (all of them). */
  keys(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export function pgS3Fixture(tag: string): PgS3Fixture {
  const e = engines();
  const schema = `cairn_t_${tag}_${process.pid}`;
  const bucket = `cairn-${tag.replaceAll('_', '-')}-${process.pid}`;
  const cacheDir = mkdtempSync(join(tmpdir(), `cairn-${tag}-cache-`));
  const raw = new S3Client({
    endpoint: e.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
  });
  const admin = new pg.Pool({ connectionString: e.pgUrl, max: 2 });
  const opened: ServerStorage[] = [];
  const config = (over: Partial<PgS3Config> = {}): PgS3Config => ({
    databaseUrl: e.pgUrl,
    schema,
    objects: `s3://${bucket}/repos/`,
    endpoint: e.s3Endpoint,
    credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
    cacheDir,
    cacheBytes: 64 << 20,
    poolSize: 4,
    s3Retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 100, attemptTimeoutMs: 5000, deadlineMs: 20_000 },
    ...over,
  });
  const keys = async (): Promise<string[]> => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const list = await raw.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of list.Contents ?? []) out.push(o.Key!);
      token = list.IsTruncated === true ? list.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  };
  return {
    schema,
    bucket,
    raw,
    admin,
    config,
    async open(over) {
      const s = await openPgS3Storage(config(over));
      opened.push(s);
      return s;
    },
    keys,
    async cleanup() {
      for (const s of opened) await s.close().catch(() => undefined);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
      const all = await keys().catch(() => []);
      for (const Key of all) await raw.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
      await raw.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      raw.destroy();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}
