// The on-disk pack-range cache: hits and misses, LRU eviction by bytes, damaged files refetched, restart.
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { PackCache } from '../../../../src/sync/server/storage/pack-cache.js';

const root = mkdtempSync(join(tmpdir(), `cairn-pack-cache-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (maxBytes: number): Promise<PackCache> => PackCache.open({ dir: join(root, `c${n++}`), maxBytes });
const bytes = (len: number, seed: number): Buffer => Buffer.from(Array.from({ length: len }, (_, i) => (i * 31 + seed) & 0xff));
const entries = (c: PackCache): string[] => readdirSync(c.dir).filter((f) => /^[0-9a-f]{32}-\d+-\d+$/.test(f));

describe('PackCache', () => {
  it('misses, then serves any range inside a stored span with its bytes; a range reaching outside is a miss', async () => {
    const c = await fresh(1 << 20);
    expect(await c.get('p1', 0, 100)).toBeUndefined();
    expect(await c.put('p1', 1000, bytes(100, 1))).toBe(true);
    expect(Buffer.from((await c.get('p1', 1000, 100))!).equals(bytes(100, 1))).toBe(true);
    expect(Buffer.from((await c.get('p1', 1050, 20))!).equals(bytes(100, 1).subarray(50, 70))).toBe(true);
    expect(await c.get('p1', 1050, 51)).toBeUndefined();
    expect(await c.get('p1', 999, 2)).toBeUndefined();
    expect(await c.get('p2', 1000, 100)).toBeUndefined();
    const many = await c.lookup('p1', [
      { offset: 1000, length: 1 },
      { offset: 5, length: 0 },
      { offset: 2000, length: 1 },
    ]);
    expect(many.map((b) => b?.length)).toEqual([1, 0, undefined]);
    expect(c.stats()).toMatchObject({ hits: 3, misses: 5, corrupt: 0, entries: 1, bytes: 100 });
  });

  it('evicts the least recently used entries once the bodies pass the byte bound', async () => {
    const c = await fresh(1000);
    for (let i = 0; i < 4; i++) await c.put('p', i * 300, bytes(300, i)); // 1,200 bytes: the first goes
    expect(c.stats()).toMatchObject({ entries: 3, bytes: 900, evictions: 1 });
    expect(await c.get('p', 0, 300)).toBeUndefined();
    expect(await c.get('p', 300, 300)).toBeDefined(); // touched: now the youngest
    await c.put('p', 1200, bytes(300, 9)); // 1,200 again: 600 (the oldest untouched) goes
    expect(await c.get('p', 600, 300)).toBeUndefined();
    expect(await c.get('p', 300, 300)).toBeDefined();
    expect(entries(c)).toHaveLength(3);
    await c.put('p', 5000, bytes(2000, 1)); // larger than the bound: not kept
    expect(c.stats()).toMatchObject({ entries: 3, bytes: 900 });
  });

  it('treats a damaged file (flipped byte, truncated, empty) as a miss, deletes it, and stores it again', async () => {
    const c = await fresh(1 << 20);
    const damage = [
      (b: Buffer): Buffer => {
        const x = Buffer.from(b);
        x[x.length - 1]! ^= 1;
        return x;
      },
      (b: Buffer): Buffer => b.subarray(0, b.length - 5),
      (): Buffer => Buffer.alloc(0),
    ];
    for (const [k, hurt] of damage.entries()) {
      await c.put('p', k, bytes(64, k));
      const [file] = entries(c);
      writeFileSync(join(c.dir, file!), hurt(readFileSync(join(c.dir, file!))));
      expect(await c.get('p', k, 64)).toBeUndefined();
      expect(entries(c)).toHaveLength(0);
      await c.put('p', k, bytes(64, k));
      expect(Buffer.from((await c.get('p', k, 64))!).equals(bytes(64, k))).toBe(true);
      rmSync(join(c.dir, entries(c)[0]!));
      await c.get('p', k, 64); // a file deleted behind its back: a miss, forgotten
    }
    expect(c.stats()).toMatchObject({ corrupt: 3, entries: 0, bytes: 0 });
  });

  it('keeps its entries across a reopen, drops stale temp files, and applies a smaller bound', async () => {
    const dir = join(root, 'reopen');
    const a = await PackCache.open({ dir, maxBytes: 10_000 });
    for (let i = 0; i < 5; i++) await a.put('p', i * 100, bytes(100, i));
    writeFileSync(join(dir, '.tmp-deadbeef'), 'torn');
    const b = await PackCache.open({ dir, maxBytes: 300 });
    expect(b.stats()).toMatchObject({ entries: 3, bytes: 300 });
    expect(readdirSync(dir).some((f) => f.startsWith('.tmp-'))).toBe(false);
    // Which three survive depends on file times (equal within a fast test); each survivor is intact.
    let kept = 0;
    for (let i = 0; i < 5; i++) {
      const got = await b.get('p', i * 100, 100);
      if (got !== undefined) {
        expect(Buffer.from(got).equals(bytes(100, i))).toBe(true);
        kept++;
      }
    }
    expect(kept).toBe(3);
  });

  it('answers a put it cannot write (its folder gone) with false and a count, not an error', async () => {
    const c = await fresh(1 << 20);
    rmSync(c.dir, { recursive: true });
    expect(await c.put('p', 0, bytes(10, 1))).toBe(false);
    expect(c.stats()).toMatchObject({ writeErrors: 1, entries: 0, bytes: 0 });
  });
});
