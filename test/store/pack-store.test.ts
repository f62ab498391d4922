import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repository } from '../../src/store/repository.js';
import { hashObject } from '../../src/core/hash.js';
import { tempDir } from '../helpers/cli.js';

let dir: string;
let cleanup: () => void;
let repo: Repository;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  repo = Repository.init(dir).repo;
});
afterEach(() => {
  repo.close();
  cleanup();
});

describe('pack store', () => {
  it('makes objects visible only after flush, and returns exactly what was put', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { minLength: 1, maxLength: 20 }), (bodies) => {
        const ids = bodies.map((b) => repo.objects.put('chunk', b));
        for (const [i, id] of ids.entries()) expect(id).toBe(hashObject('chunk', bodies[i]!));
        repo.objects.flush();
        for (const [i, id] of ids.entries()) expect(Buffer.compare(repo.objects.get(id, 'chunk').data, Buffer.from(bodies[i]!))).toBe(0);
      }),
      { numRuns: 30 },
    );
  });

  it('does not show unflushed objects to another process', () => {
    const id = repo.objects.put('chunk', Buffer.from('not yet'));
    const other = Repository.open(dir);
    expect(other.objects.has(id)).toBe(false);
    repo.objects.flush();
    expect(other.objects.has(id)).toBe(true);
    other.close();
  });

  it('compresses text and stores random bytes raw, both readable', () => {
    const text = Buffer.from('{"id":1,"name":"abc"}\n'.repeat(2000));
    const random = Buffer.from(Array.from({ length: 40000 }, (_, i) => (i * 2654435761) >>> 24));
    const a = repo.objects.put('chunk', text);
    const b = repo.objects.put('chunk', random);
    repo.objects.flush();
    expect(repo.objects.info(a)!.storedSize).toBeLessThan(text.length / 4);
    expect(repo.objects.get(a).data.equals(text)).toBe(true);
    expect(repo.objects.get(b).data.equals(random)).toBe(true);
  });

  it('reports a flipped byte as corruption naming the object, never as data', () => {
    const body = Buffer.from('precious bytes that must not change');
    const id = repo.objects.put('chunk', body);
    repo.objects.flush();
    const row = repo.db.prepare('SELECT p.name AS name, o.offset AS offset FROM objects o JOIN packs p ON p.id = o.pack WHERE o.id = ?').get(id) as { name: string; offset: number };
    const path = join(dir, '.cairn', 'packs', row.name);
    const bytes = readFileSync(path);
    bytes[row.offset + 3]! ^= 0x40;
    writeFileSync(path, bytes);
    const fresh = Repository.open(dir);
    try {
      expect(() => fresh.objects.get(id)).toThrowError(expect.objectContaining({ code: 'CORRUPT_OBJECT', data: expect.objectContaining({ id }) }));
    } finally {
      fresh.close();
    }
  });

  it('reads many objects in pack order with coalesced reads, each verified', () => {
    const bodies = Array.from({ length: 300 }, (_, i) => Buffer.from(`record ${i} `.repeat(1 + (i % 7))));
    const ids = bodies.map((b) => repo.objects.put('chunk', b));
    repo.objects.flush();
    const got = new Map(repo.objects.getMany([...ids].reverse(), 'chunk'));
    expect(got.size).toBe(300);
    for (const [i, id] of ids.entries()) expect(got.get(id)!.data.equals(bodies[i]!)).toBe(true);
    const ghost = hashObject('chunk', Buffer.from('absent'));
    expect(() => [...repo.objects.getMany([ids[0]!, ghost])]).toThrowError(expect.objectContaining({ code: 'MISSING_OBJECT' }));
    const row = repo.db.prepare('SELECT p.name AS name, o.offset AS offset FROM objects o JOIN packs p ON p.id = o.pack WHERE o.id = ?').get(ids[150]) as { name: string; offset: number };
    const path = join(dir, '.cairn', 'packs', row.name);
    const bytes = readFileSync(path);
    bytes[row.offset]! ^= 0x01;
    writeFileSync(path, bytes);
    const fresh = Repository.open(dir);
    try {
      expect(() => [...fresh.objects.getMany(ids)]).toThrowError(expect.objectContaining({ code: 'CORRUPT_OBJECT', data: expect.objectContaining({ id: ids[150] }) }));
    } finally {
      fresh.close();
    }
  });

  it('deduplicates identical objects', () => {
    const a = repo.objects.put('chunk', Buffer.from('same'));
    const b = repo.objects.put('chunk', Buffer.from('same'));
    repo.objects.flush();
    repo.objects.put('chunk', Buffer.from('same'));
    repo.objects.flush();
    expect(a).toBe(b);
    expect((repo.db.prepare('SELECT count(*) AS n FROM objects').get() as { n: number }).n).toBe(1);
  });
});
