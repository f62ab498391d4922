// The pack store (packs + SQLite index): the shared object store suite in both modes (direct, and
// staging into the quarantine), then what only this layout does (compression, coalesced reads, one
// index row per object).
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { chmodSync, closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Repository } from '../../src/store/repository.js';
import { PackStore } from '../../src/store/object-store.js';
import { hashObject, type ObjectId } from '../../src/core/hash.js';
import { tempDir } from '../helpers/cli.js';
import {
  objectStoreConformance,
  quarantineConformance,
  type ObjectStoreHandle,
  type QuarantineFixture,
} from '../conformance/object-store.suite.js';

/** Flips one byte in the middle of the object's stored record, in its pack file. */
function flipInPack(repo: Repository, id: ObjectId): void {
  const row = repo.db
    .prepare(
      'SELECT p.name AS name, o.offset AS offset, o.stored_len AS len FROM (SELECT id, pack, offset, stored_len FROM objects UNION ALL SELECT id, pack, offset, stored_len FROM staged) o JOIN packs p ON p.id = o.pack WHERE o.id = ?',
    )
    .get(id) as { name: string; offset: number; len: number } | undefined;
  if (row === undefined || row.len === 0) throw new Error(`no stored bytes to damage for ${id}`);
  const path = join(repo.cairnDir, 'packs', row.name);
  // Packs are created read-only (0444): lift that for the damage, then put it back.
  const mode = statSync(path).mode;
  chmodSync(path, 0o644);
  const fd = openSync(path, 'r+');
  try {
    const at = row.offset + Math.floor(row.len / 2);
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    byte[0]! ^= 0x40;
    writeSync(fd, byte, 0, 1, at);
  } finally {
    closeSync(fd);
    chmodSync(path, mode);
  }
}

/** A repository folder; `mode` picks what the store under test writes to. */
async function openPackStore(mode: 'direct' | 'staging'): Promise<QuarantineFixture> {
  const { dir, cleanup } = tempDir('cairn-objects-');
  const repo = Repository.init(dir).repo;
  const handles: { close(): void }[] = [];
  const handle = (staging: boolean): ObjectStoreHandle => {
    const other = Repository.open(dir);
    const store = staging ? new PackStore(other.db, other.cairnDir, { staging: true }) : other.objects;
    const h = {
      close: () => {
        if (!other.db.open) return;
        if (staging) store.close();
        other.close();
      },
    };
    handles.push(h);
    return { store, close: async () => h.close() };
  };
  const store = mode === 'staging' ? new PackStore(repo.db, repo.cairnDir, { staging: true }) : repo.objects;
  return {
    store,
    openAnother: async () => handle(mode === 'staging'),
    openOutside: async () => handle(false),
    corrupt: async (id) => flipInPack(repo, id),
    lacking: (ids) => store.lacking(ids),
    // As a push or fetch promotes: in one transaction (there, with the ref update).
    promote: (ids) => repo.refs.transaction(() => store.promote(ids)),
    close: async () => {
      for (const h of handles) h.close();
      if (store !== repo.objects) store.close();
      repo.close();
      cleanup();
    },
  };
}

objectStoreConformance('pack store, direct', () => openPackStore('direct'));
objectStoreConformance('pack store, staging into the quarantine', () => openPackStore('staging'));
quarantineConformance('pack store, staging into the quarantine', () => openPackStore('staging'));

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

describe('pack store layout', () => {
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

  it('reads many objects in pack order with coalesced reads, each verified', () => {
    const bodies = Array.from({ length: 300 }, (_, i) => Buffer.from(`record ${i} `.repeat(1 + (i % 7))));
    const ids = bodies.map((b) => repo.objects.put('chunk', b));
    repo.objects.flush();
    const got = new Map(repo.objects.getMany([...ids].reverse(), 'chunk'));
    expect(got.size).toBe(300);
    for (const [i, id] of ids.entries()) expect(got.get(id)!.data.equals(bodies[i]!)).toBe(true);
    const ghost = hashObject('chunk', Buffer.from('absent'));
    expect(() => [...repo.objects.getMany([ids[0]!, ghost])]).toThrowError(expect.objectContaining({ code: 'MISSING_OBJECT' }));
    flipInPack(repo, ids[150]!);
    const fresh = Repository.open(dir);
    try {
      expect(() => [...fresh.objects.getMany(ids)]).toThrowError(
        expect.objectContaining({ code: 'CORRUPT_OBJECT', data: expect.objectContaining({ id: ids[150] }) }),
      );
    } finally {
      fresh.close();
    }
  });

  it('keeps one index row for an object put three times', () => {
    const a = repo.objects.put('chunk', Buffer.from('same'));
    const b = repo.objects.put('chunk', Buffer.from('same'));
    repo.objects.flush();
    repo.objects.put('chunk', Buffer.from('same'));
    repo.objects.flush();
    expect(a).toBe(b);
    expect((repo.db.prepare('SELECT count(*) AS n FROM objects').get() as { n: number }).n).toBe(1);
  });
});
