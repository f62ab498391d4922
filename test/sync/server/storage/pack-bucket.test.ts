// Immutable packs on the real radosgw: create-only puts, coalesced exact range reads, retries of
// faults injected by a real proxy (test/helpers/s3-fault-proxy.ts), the range cache, no leaked keys.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CairnError, IoError, UsageError, BadFormatError } from '../../../../src/errors.js';
import { PackBucket, newPackName, type ByteRange, type PackBucketConfig } from '../../../../src/sync/server/storage/pack-bucket.js';
import { PackCache } from '../../../../src/sync/server/storage/pack-cache.js';
import { engines } from '../../../helpers/engines.js';
import { startFaultProxy, type FaultProxy } from '../../../helpers/s3-fault-proxy.js';

const e = engines();
const bucket = `cairn-packs-${process.pid}`;
const raw = new S3Client({
  endpoint: e.s3Endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
});
const tmp = mkdtempSync(join(tmpdir(), `cairn-pack-bucket-${process.pid}-`));
const opened: PackBucket[] = [];
let proxy: FaultProxy;

/** A PackBucket on this test's bucket, straight to radosgw or through the fault proxy. */
function packs(over: Partial<PackBucketConfig> & { viaProxy?: boolean } = {}): PackBucket {
  const { viaProxy, ...rest } = over;
  const b = new PackBucket({
    bucket,
    prefix: 'repo-a/',
    endpoint: viaProxy === true ? proxy.url : e.s3Endpoint,
    credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
    retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 100, attemptTimeoutMs: 3000, deadlineMs: 20_000 },
    ...rest,
  });
  opened.push(b);
  return b;
}

/** A pack of `count` records of `size` bytes, and each record's range. */
function fakePack(count: number, size: number): { bytes: Buffer; ranges: ByteRange[] } {
  const bytes = randomBytes(count * size);
  return { bytes, ranges: Array.from({ length: count }, (_, i) => ({ offset: i * size, length: size })) };
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

beforeAll(async () => {
  proxy = await startFaultProxy(e.s3Endpoint);
});

afterAll(async () => {
  for (const b of opened) b.destroy();
  await proxy.close();
  for (;;) {
    const list = await raw.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
    const keys = (list?.Contents ?? []).map((o) => o.Key!);
    for (const Key of keys) await raw.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    if (list?.IsTruncated !== true) break;
  }
  await raw.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  raw.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

describe('PackBucket on radosgw', () => {
  it('creates the bucket when missing, then finds it', async () => {
    const b = packs();
    expect(await b.ensureBucket()).toBe('created');
    expect(await b.ensureBucket()).toBe('exists');
  });

  it('stores a pack and reads back exactly the ranges asked for, with its length and checksum recorded', async () => {
    const b = packs();
    const { bytes } = fakePack(100, 1000);
    const name = newPackName(bytes);
    expect(name).toMatch(/^[0-9a-f]{32}-[0-9a-f]{64}$/);
    expect(await b.putPack(name, bytes)).toBe('stored');
    const ranges: ByteRange[] = [
      { offset: 0, length: 1 },
      { offset: 99_999, length: 1 },
      { offset: 500, length: 0 },
      { offset: 12_345, length: 4321 },
      { offset: 0, length: 100_000 },
    ];
    const got = await b.readRanges(name, ranges);
    ranges.forEach((r, i) => expect(same(got[i]!, bytes.subarray(r.offset, r.offset + r.length))).toBe(true));
    const head = await b.headPack(name);
    expect(head.length).toBe(100_000);
    expect(name.endsWith(head.sha256!)).toBe(true);
    const key = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: `repo-a/packs/${name}` }));
    expect(key.Metadata).toMatchObject({ 'cairn-length': '100000' });
    await key.Body!.transformToByteArray();
  });

  it('reports a second put of a name as the same upload (same bytes) or a name clash (other bytes), never overwriting', async () => {
    const b = packs();
    const bytes = randomBytes(5000);
    const name = newPackName(bytes);
    expect(await b.putPack(name, bytes)).toBe('stored');
    expect(await b.putPack(name, bytes)).toBe('already-stored');

    // Another writer (a bug) put other bytes under a name first: the clash is an error, its bytes stay.
    const mine = randomBytes(5000);
    const clash = newPackName(mine);
    const theirs = randomBytes(4000);
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `repo-a/packs/${clash}`, Body: theirs }));
    const err = await b.putPack(clash, mine).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).data).toMatchObject({ reason: 'pack-name-taken', name: clash, storedLength: 4000, length: 5000 });
    expect(
      same(
        await raw.send(new GetObjectCommand({ Bucket: bucket, Key: `repo-a/packs/${clash}` })).then((r) => r.Body!.transformToByteArray()),
        theirs,
      ),
    ).toBe(true);

    // A name that does not carry its bytes' hash is refused before any request.
    await expect(b.putPack(newPackName(theirs), mine)).rejects.toBeInstanceOf(BadFormatError);
    await expect(b.putPack('../escape', mine)).rejects.toBeInstanceOf(BadFormatError);
    await expect(b.readRanges('../escape', [{ offset: 0, length: 1 }])).rejects.toBeInstanceOf(BadFormatError);
  });

  it('reads 1,000 ranges of a 2,000-record pack with one GET, or few GETs under a 64 KiB span bound', async () => {
    const b = packs({ viaProxy: true });
    const { bytes, ranges } = fakePack(2000, 500);
    const name = newPackName(bytes);
    await b.putPack(name, bytes);
    const pick = ranges.filter((_, i) => (i * 7919) % 2 === 0).slice(0, 1000);
    const shuffled = [...pick].sort((x, y) => ((x.offset * 31) % 997) - ((y.offset * 31) % 997));
    proxy.resetCounts();
    const got = await b.readRanges(name, shuffled);
    shuffled.forEach((r, i) => expect(same(got[i]!, bytes.subarray(r.offset, r.offset + r.length))).toBe(true));
    expect(proxy.counts()['GET']).toBe(1);
    expect(b.stats().get).toMatchObject({ requests: 1, errors: 0, bytes: 999_500 });

    const bounded = packs({ viaProxy: true, maxSpanBytes: 64 << 10, concurrency: 4 });
    proxy.resetCounts();
    const got2 = await bounded.readRanges(name, shuffled);
    shuffled.forEach((r, i) => expect(same(got2[i]!, bytes.subarray(r.offset, r.offset + r.length))).toBe(true));
    expect(proxy.counts()['GET']).toBe(16); // 1,000,000 bytes / 65,536 per GET, rounded up
    expect(proxy.maxInFlight('GET')).toBeLessThanOrEqual(4);
    expect(proxy.maxInFlight('GET')).toBeGreaterThan(1);
  });

  it('returns exactly the asked bytes for any ranges and any gap / span / concurrency settings (fast-check, real GETs)', async () => {
    const { bytes } = fakePack(1, 300_000);
    const name = newPackName(bytes);
    await packs().putPack(name, bytes);
    const range = fc
      .integer({ min: 0, max: 299_999 })
      .chain((offset) =>
        fc.record({ offset: fc.constant(offset), length: fc.integer({ min: 0, max: Math.min(20_000, 300_000 - offset) }) }),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(range, { maxLength: 40 }),
        fc.record({
          gapBytes: fc.nat({ max: 50_000 }),
          maxSpanBytes: fc.integer({ min: 1, max: 100_000 }),
          concurrency: fc.integer({ min: 1, max: 6 }),
        }),
        async (ranges, settings) => {
          const b = packs(settings);
          const got = await b.readRanges(name, ranges);
          ranges.forEach((r, i) => expect(same(got[i]!, bytes.subarray(r.offset, r.offset + r.length))).toBe(true));
          expect(b.stats().get.errors).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('sends one GET for readers asking the same span at the same time', async () => {
    const b = packs({ viaProxy: true });
    const { bytes, ranges } = fakePack(100, 1000);
    const name = newPackName(bytes);
    await b.putPack(name, bytes);
    proxy.resetCounts();
    const all = await Promise.all(Array.from({ length: 8 }, () => b.readRanges(name, ranges.slice(5, 50))));
    for (const got of all)
      ranges.slice(5, 50).forEach((r, i) => expect(same(got[i]!, bytes.subarray(r.offset, r.offset + r.length))).toBe(true));
    expect(proxy.counts()['GET']).toBe(1);
    expect(b.stats().get).toMatchObject({ requests: 1, shared: 7 });
  });

  it('retries 500 and 503 answers with backoff and then succeeds, counting the failed attempts', async () => {
    const b = packs({ viaProxy: true });
    const bytes = randomBytes(20_000);
    const name = newPackName(bytes);
    proxy.inject('PUT', { kind: 'status', status: 500 }, 1);
    expect(await b.putPack(name, bytes)).toBe('stored');
    proxy.inject('GET', { kind: 'status', status: 503 }, 2);
    const [r] = await b.readRanges(name, [{ offset: 100, length: 1000 }]);
    expect(same(r!, bytes.subarray(100, 1100))).toBe(true);
    const s = b.stats();
    expect(s.put).toMatchObject({ requests: 2, errors: 1, retries: 1, bytes: 20_000 });
    expect(s.get).toMatchObject({ requests: 3, errors: 2, retries: 2, bytes: 1000 });
    expect(s.get.latencyBuckets.reduce((x, y) => x + y, 0)).toBe(3);
  });

  it('gives up after the bounded attempts with a retryable IoError naming the status', async () => {
    const b = packs({
      viaProxy: true,
      retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, attemptTimeoutMs: 3000, deadlineMs: 10_000 },
    });
    const bytes = randomBytes(1000);
    const name = newPackName(bytes);
    await packs().putPack(name, bytes);
    proxy.inject('GET', { kind: 'status', status: 503 }, 3);
    const err = await b.readRanges(name, [{ offset: 0, length: 10 }]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).data).toMatchObject({ reason: 'unavailable', op: 'get', status: 503, attempts: 3, retryable: true });
    // A 4xx other than 408/409/429 is not retried: one attempt.
    proxy.inject('GET', { kind: 'status', status: 403 }, 1);
    const denied = await b.readRanges(name, [{ offset: 0, length: 10 }]).catch((x: unknown) => x);
    expect((denied as IoError).data).toMatchObject({ reason: 'refused', status: 403, attempts: 1, retryable: false });
    // A pack that is not there is lost data, not an outage: reason missing, one attempt.
    const gone = await b.readRanges(newPackName(Buffer.from('never stored')), [{ offset: 0, length: 10 }]).catch((x: unknown) => x);
    expect((gone as IoError).data).toMatchObject({ reason: 'missing', status: 404, attempts: 1, retryable: false });
  });

  it('never returns a truncated range body: retried, and after the attempts an IoError (reason length)', async () => {
    const b = packs({ viaProxy: true });
    const bytes = randomBytes(50_000);
    const name = newPackName(bytes);
    await packs().putPack(name, bytes);
    proxy.inject('GET', { kind: 'truncate' }, 1);
    const [r] = await b.readRanges(name, [{ offset: 1000, length: 30_000 }]);
    expect(same(r!, bytes.subarray(1000, 31_000))).toBe(true);
    expect(b.stats().get).toMatchObject({ requests: 2, errors: 1 });

    proxy.inject('GET', { kind: 'truncate' }, 4);
    const err = await b.readRanges(name, [{ offset: 1000, length: 30_000 }]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).data).toMatchObject({ reason: 'length', op: 'get', attempts: 4 });
  });

  it('abandons a stalled answer after the attempt timeout and retries, within a bounded time', async () => {
    const b = packs({ viaProxy: true, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, attemptTimeoutMs: 400, deadlineMs: 10_000 } });
    const bytes = randomBytes(40_000);
    const name = newPackName(bytes);
    await packs().putPack(name, bytes);
    proxy.inject('GET', { kind: 'stall' }, 1);
    const t0 = Date.now();
    const [r] = await b.readRanges(name, [{ offset: 0, length: 40_000 }]);
    expect(same(r!, bytes)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);

    proxy.inject('GET', { kind: 'stall' }, 3);
    const t1 = Date.now();
    const err = await b.readRanges(name, [{ offset: 0, length: 40_000 }]).catch((x: unknown) => x);
    expect((err as IoError).data).toMatchObject({ reason: 'timeout', attempts: 3, retryable: true });
    expect(Date.now() - t1).toBeLessThan(3 * 400 + 2000);
  });

  it('recognises a retried upload whose first answer was lost (stored, answer dropped) as already stored', async () => {
    const b = packs({
      viaProxy: true,
      retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, attemptTimeoutMs: 1000, deadlineMs: 10_000 },
    });
    const bytes = randomBytes(30_000);
    const name = newPackName(bytes);
    proxy.inject('PUT', { kind: 'stall' }, 1);
    expect(await b.putPack(name, bytes)).toBe('already-stored');
    expect(b.stats().put).toMatchObject({ requests: 2, errors: 1 });
    const [r] = await packs().readRanges(name, [{ offset: 0, length: 30_000 }]);
    expect(same(r!, bytes)).toBe(true);
  });

  it('serves repeated ranges from the cache with no GET, and refetches a damaged cache file', async () => {
    const cache = await PackCache.open({ dir: join(tmp, 'cache'), maxBytes: 1 << 20 });
    const b = packs({ viaProxy: true, cache });
    const { bytes, ranges } = fakePack(50, 1000);
    const name = newPackName(bytes);
    await b.putPack(name, bytes);
    const some = ranges.slice(10, 20);
    proxy.resetCounts();
    await b.readRanges(name, some);
    expect(proxy.counts()['GET']).toBe(1);
    const again = await b.readRanges(name, some);
    some.forEach((r, i) => expect(same(again[i]!, bytes.subarray(r.offset, r.offset + r.length))).toBe(true));
    expect(proxy.counts()['GET']).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 10, misses: 10 });

    // A range inside the span read before (its gap bytes included) is a hit too.
    const inside = await b.readRanges(name, [{ offset: 10_500, length: 9000 }]);
    expect(same(inside[0]!, bytes.subarray(10_500, 19_500))).toBe(true);
    expect(proxy.counts()['GET']).toBe(1);

    const files = readdirSync(cache.dir).filter((f) => /^[0-9a-f]{32}-\d+-\d+$/.test(f));
    expect(files).toHaveLength(1); // one file per GET span, not one per range
    writeFileSync(join(cache.dir, files[0]!), 'garbage');
    const third = await b.readRanges(name, some);
    some.forEach((r, i) => expect(same(third[i]!, bytes.subarray(r.offset, r.offset + r.length))).toBe(true));
    expect(proxy.counts()['GET']).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 11, misses: 20, corrupt: 1, entries: 1 });
  });

  it('takes credentials from AWS_* variables, and never shows them in errors or figures', async () => {
    const fromEnv = packs({
      credentials: undefined,
      env: { AWS_ACCESS_KEY_ID: e.s3AccessKey, AWS_SECRET_ACCESS_KEY: e.s3SecretKey, AWS_REGION: 'us-east-1' },
    });
    expect(await fromEnv.ensureBucket()).toBe('exists');
    expect(() => packs({ credentials: undefined, env: {} })).toThrow(UsageError);

    const secret = `wrong-secret-${randomBytes(8).toString('hex')}`;
    const access = `AKCAIRN${randomBytes(6).toString('hex').toUpperCase()}`;
    const bad = packs({ viaProxy: true, credentials: { accessKeyId: access, secretAccessKey: secret } });
    const err = await bad.readRanges(newPackName(Buffer.from('x')), [{ offset: 0, length: 1 }]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(CairnError);
    expect((err as IoError).data).toMatchObject({ reason: 'refused', retryable: false });
    const shown = [String(err), (err as Error).stack, JSON.stringify(err), JSON.stringify(bad.stats()), String((err as Error).cause)].join(
      '\n',
    );
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(access);
    expect(shown).not.toContain(e.s3SecretKey);
  });
});
