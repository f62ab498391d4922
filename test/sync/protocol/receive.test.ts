// receiveStream, the receiver's check of every record: a valid stream is staged whole and stays
// invisible; wrong bytes for an id, an object not asked for, a tree naming `..`, an unknown type,
// a decompression bomb and streams over the limits are refused, and what was verified before the
// bad record is kept (a re-run does not ask for it again).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { CairnError } from '../../../src/errors.js';
import { hashObject, type ObjectId } from '../../../src/core/hash.js';
import { decodeFile } from '../../../src/core/file-object.js';
import { PackStore, type RawRecord } from '../../../src/store/object-store.js';
import { Repository } from '../../../src/store/repository.js';
import { receiveStream, type ReceiveLimits } from '../../../src/sync/protocol/receive.js';
import { endRecord, recordHeader, STREAM_MAGIC } from '../../../src/sync/protocol/wire.js';
import { tempDir } from '../../helpers/cli.js';
import { makeCommit } from '../../helpers/history-repo.js';

let dirs: (() => void)[] = [];
let source: Repository;
let target: Repository;
let staging: PackStore;

const LIMITS: ReceiveLimits = { maxObjectBytes: 1 << 20, maxObjects: 1000, maxTotalBytes: 64 << 20 };

beforeEach(() => {
  const a = tempDir('cairn-recv-src-');
  const b = tempDir('cairn-recv-dst-');
  dirs = [a.cleanup, b.cleanup];
  source = Repository.init(a.dir).repo;
  target = Repository.init(b.dir).repo;
  staging = new PackStore(target.db, target.cairnDir, { staging: true });
});
afterEach(() => {
  staging.close();
  source.close();
  target.close();
  for (const c of dirs) c();
});

function big(seed: string, n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < n; i++) parts.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(parts).subarray(0, n);
}

/** A small history in the source repository; returns every record of it, children first. */
function sourceRecords(): RawRecord[] {
  const c = makeCommit(source, {
    files: { 'a.json': '{"a":1}\n', 'd/big.bin': big('x', 60_000), 'd/t.txt': 'text '.repeat(2000) },
    message: 'one',
  });
  const ids = [...source.objects.allIds()].map((o) => o.id);
  expect(ids).toContain(c);
  return [...source.objects.rawRecords(ids)];
}

function streamOf(records: readonly Pick<RawRecord, 'id' | 'typeCode' | 'comp' | 'stored'>[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [STREAM_MAGIC];
  for (const r of records) parts.push(recordHeader(r.id, r.typeCode, r.comp, r.stored.length), r.stored);
  if (opts.end !== false) parts.push(endRecord(records.length));
  return Buffer.concat(parts);
}

/** The body as a client sends it: in small pieces. */
async function* pieces(buf: Buffer, size = 777): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function codeOfAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CairnError) return err.code;
    throw err;
  }
  throw new Error('expected a CairnError');
}

function staged(ids: readonly ObjectId[]): boolean[] {
  return staging.lacking(ids).map((l) => !l);
}

describe('receiveStream', () => {
  it('stages every record of a valid stream, invisible to ordinary readers', async () => {
    const recs = sourceRecords();
    const res = await receiveStream(pieces(streamOf(recs)), staging, { limits: LIMITS, expected: new Set(recs.map((r) => r.id)) });
    expect(res).toMatchObject({ objects: recs.length, complete: true });
    expect(res.bytes).toBe(recs.reduce((n, r) => n + r.stored.length, 0));
    expect(res.rawBytes).toBe(recs.reduce((n, r) => n + r.rawLen, 0));
    expect(staged(recs.map((r) => r.id)).every(Boolean)).toBe(true);
    expect(recs.some((r) => target.objects.has(r.id))).toBe(false);
    expect(staging.stagedStats().count).toBe(recs.length);
    // The two small files are inline file objects; big.bin's file object lists chunks.
    const inline = recs
      .filter((r) => r.typeCode === 1 && decodeFile(source.objects.get(r.id, 'file').data).kind === 'inline')
      .map((r) => r.id);
    expect(inline.length).toBe(2);
    expect([...res.inlineFiles].sort()).toEqual(inline.sort());
  });

  it('reports a cut-off stream as incomplete and keeps what arrived', async () => {
    const recs = sourceRecords();
    const full = streamOf(recs, { end: false });
    const res = await receiveStream(pieces(full.subarray(0, full.length - 5)), staging, { limits: LIMITS });
    expect(res.complete).toBe(false);
    expect(res.objects).toBe(recs.length - 1);
    expect(staged(recs.map((r) => r.id))).toEqual(recs.map((_, i) => i < recs.length - 1));
  });

  it('refuses bytes that do not hash to their id, keeping the records verified before', async () => {
    const recs = sourceRecords();
    const [first, second, third] = recs as [RawRecord, RawRecord, RawRecord];
    const forged = { ...second, stored: third.stored, comp: third.comp };
    expect(await codeOfAsync(receiveStream(pieces(streamOf([first, forged, third])), staging, { limits: LIMITS }))).toBe('CORRUPT_OBJECT');
    expect(staged([first.id, second.id, third.id])).toEqual([true, false, false]);
  });

  it('refuses an object that was not asked for', async () => {
    const recs = sourceRecords();
    const expected = new Set(recs.slice(1).map((r) => r.id));
    expect(await codeOfAsync(receiveStream(pieces(streamOf(recs)), staging, { limits: LIMITS, expected }))).toBe('REMOTE');
    expect(staging.stagedStats().count).toBe(0);
  });

  it('refuses a tree with an entry named .. before storing it', async () => {
    const name = Buffer.from('..');
    const body = Buffer.concat([Buffer.from([1, 1, 0, name.length]), name, Buffer.alloc(32, 0xab), Buffer.from([5])]);
    const id = hashObject('tree', body);
    const code = await codeOfAsync(
      receiveStream(pieces(streamOf([{ id, typeCode: 2, comp: 0, stored: body }])), staging, { limits: LIMITS }),
    );
    expect(code).toBe('UNSAFE_PATH');
    expect(staged([id])).toEqual([false]);
  });

  it('refuses an unknown type code', async () => {
    const body = Buffer.from('whatever');
    const rec = { id: hashObject('chunk', body), typeCode: 9, comp: 0, stored: body };
    expect(await codeOfAsync(receiveStream(pieces(streamOf([rec])), staging, { limits: LIMITS }))).toBe('BAD_FORMAT');
  });

  it('refuses a record that decompresses beyond the object size limit', async () => {
    const raw = Buffer.alloc(200_000);
    const rec = { id: hashObject('chunk', raw), typeCode: 0, comp: 1, stored: deflateRawSync(raw) };
    expect(rec.stored.length).toBeLessThan(1000);
    const limits = { ...LIMITS, maxObjectBytes: 10_000 };
    expect(await codeOfAsync(receiveStream(pieces(streamOf([rec])), staging, { limits }))).toBe('CORRUPT_OBJECT');
    expect(staged([rec.id])).toEqual([false]);
  });

  it('refuses streams with more objects or more decompressed bytes than allowed', async () => {
    const recs = sourceRecords();
    expect(await codeOfAsync(receiveStream(pieces(streamOf(recs)), staging, { limits: { ...LIMITS, maxObjects: 2 } }))).toBe('REJECTED');
    expect(staging.stagedStats().count).toBe(2);
    expect(await codeOfAsync(receiveStream(pieces(streamOf(recs)), staging, { limits: { ...LIMITS, maxTotalBytes: 1000 } }))).toBe(
      'REJECTED',
    );
  });

  it('refuses a record larger than the object limit before reading its body', async () => {
    const rec = { id: 'cd'.repeat(32), typeCode: 0, comp: 0, stored: Buffer.alloc(5000) };
    expect(await codeOfAsync(receiveStream(pieces(streamOf([rec])), staging, { limits: { ...LIMITS, maxObjectBytes: 4000 } }))).toBe(
      'BAD_FORMAT',
    );
  });
});
