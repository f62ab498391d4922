// `cairn count-objects` end to end, checked against an independent count: sums straight from the
// SQLite tables and the pack files, and a known small history whose reachable objects are named by
// id (a deleted branch's unique objects stay reachable through its reflog until it is expired).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { deleteIndexRow } from '../helpers/fsck-damage.js';
import { Repository } from '../../src/store/repository.js';
import { readCommit, readTree } from '../../src/store/typed-objects.js';

const HEADER = 38;
let tmp: { dir: string; cleanup: () => void };
let cwd: string;

const counts = () => JSON.parse(cairnOk(['count-objects', '--json'], { cwd }));

function query<T>(sql: string, ...args: unknown[]): T[] {
  const db = new Database(join(cwd, '.cairn', 'cairn.db'));
  try {
    const stmt = db.prepare(sql);
    return (stmt.reader ? stmt.all(...args) : (stmt.run(...args), [])) as T[];
  } finally {
    db.close();
  }
}

/** Row count, stored bytes (record headers included) and raw bytes of the given object rows. */
function sums(table: 'objects' | 'staged', where = '1', ...args: unknown[]) {
  const [r] = query<{ count: number; size: number; stored: number }>(
    `SELECT count(*) AS count, coalesce(sum(raw_len), 0) AS size, coalesce(sum(stored_len), 0) + ${HEADER} * count(*) AS stored FROM ${table} WHERE ${where}`,
    ...args,
  );
  return r!;
}

/** The ids main's one commit reaches: commit, root tree, and every file of it (all inline here). */
function mainClosure(): string[] {
  const repo = Repository.open(cwd);
  try {
    const c = repo.refs.resolve('refs/heads/main')!;
    const tree = readCommit(repo.objects, c).tree;
    return [c, tree, ...readTree(repo.objects, tree).map((e) => e.id)];
  } finally {
    repo.close();
  }
}

beforeEach(() => {
  tmp = tempDir('cairn-count-cli-');
  cwd = tmp.dir;
  cairnOk(['init'], { cwd });
  writeFileSync(join(cwd, 'a.txt'), 'alpha\n');
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'one'], { cwd });
  // A branch with unique data: a chunked file (random, so no chunk is shared).
  cairnOk(['switch', '-c', 'feat'], { cwd });
  writeFileSync(join(cwd, 'big.bin'), randomBytes(400_000));
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'big'], { cwd, env: { CAIRN_COMMIT_TIME: '1700000001000' } });
  cairnOk(['switch', 'main'], { cwd });
});
afterEach(() => tmp.cleanup());

describe('cairn count-objects', () => {
  it('counts by type, total, packs and quarantine exactly as the tables and pack files hold them', () => {
    const j = counts();
    const byType = { commit: 3, tree: 2, file: 1, chunk: 0 } as const;
    for (const [type, code] of Object.entries(byType)) expect(j.types[type]).toEqual(sums('objects', 'type = ?', code));
    expect(j.types.commit.count).toBe(2);
    expect(j.types.chunk.count).toBeGreaterThan(1);
    expect(j.total).toEqual(sums('objects'));
    expect(j.quarantine).toEqual({ count: 0, size: 0, stored: 0 });
    const packs = query<{ name: string }>('SELECT name FROM packs');
    const bytes = packs.reduce((n, p) => n + statSync(join(cwd, '.cairn', 'packs', p.name)).size, 0);
    expect(j.packs).toEqual({ count: packs.length, bytes, unindexed: 0, orphans: 0, orphanBytes: 0 });
    // Every pack byte is a magic or an indexed record: nothing unused in a clean repository.
    expect(bytes).toBe(packs.length * 8 + j.total.stored);
    expect(readdirSync(join(cwd, '.cairn', 'packs')).length).toBe(packs.length);
    expect(j.problems).toEqual([]);
  });

  it("keeps a deleted branch's objects reachable through its reflog until it is expired, then counts exactly them unreachable", () => {
    cairnOk(['branch', '-D', 'feat'], { cwd });
    let j = counts();
    expect(j.unreachable).toEqual({ count: 0, size: 0, stored: 0 });
    expect(j.reachable).toEqual(j.total);
    expect(j.reclaimable).toBe(0);

    cairnOk(['reflog', 'expire', '--all', '--expire=now'], { cwd });
    j = counts();
    const live = mainClosure();
    expect(live.length).toBe(3);
    const marks = live.map(() => '?').join(', ');
    expect(j.reachable).toEqual(sums('objects', `id IN (${marks})`, ...live));
    expect(j.unreachable).toEqual(sums('objects', `id NOT IN (${marks})`, ...live));
    expect(j.unreachable.count).toBe(j.total.count - 3);
    expect(j.unreachable.size).toBeGreaterThan(400_000);
    expect(j.reclaimable).toBe(j.unreachable.stored);
    expect(j.roots).toEqual({ refs: 1, reflog: 0, index: 1, merge: 0 });
  });

  it('counts what only the worktree index names as reachable', () => {
    cairnOk(['branch', '-D', 'feat'], { cwd });
    cairnOk(['reflog', 'expire', '--all', '--expire=now'], { cwd });
    writeFileSync(join(cwd, 'staged.txt'), 'staged, not committed\n');
    cairnOk(['add', 'staged.txt'], { cwd });
    const j = counts();
    expect(j.reachable.count).toBe(4);
    expect(j.roots.index).toBe(2);
  });

  it('counts what only a merge in progress names as reachable', () => {
    cairnOk(['switch', 'feat'], { cwd });
    writeFileSync(join(cwd, 'a.txt'), 'feat side\n');
    cairnOk(['commit', '-a', '-m', 'f'], { cwd, env: { CAIRN_COMMIT_TIME: '1700000002000' } });
    cairnOk(['switch', 'main'], { cwd });
    writeFileSync(join(cwd, 'a.txt'), 'main side\n');
    cairnOk(['commit', '-a', '-m', 'm'], { cwd, env: { CAIRN_COMMIT_TIME: '1700000003000' } });
    expect(runCairn(['merge', 'feat'], { cwd }).code).toBe(5);
    cairnOk(['branch', '-D', 'feat'], { cwd });
    cairnOk(['reflog', 'expire', '--all', '--expire=now'], { cwd });
    const j = counts();
    expect(j.roots.merge).toBeGreaterThan(0);
    expect(j.unreachable).toEqual({ count: 0, size: 0, stored: 0 });
    cairnOk(['merge', '--abort'], { cwd });
    expect(counts().unreachable.size).toBeGreaterThan(400_000);
  });

  it('counts the quarantine and pack files never registered', () => {
    const [row] = query<{ stored_len: number; raw_len: number }>('SELECT stored_len, raw_len FROM objects LIMIT 1');
    query(`INSERT INTO staged SELECT '${'f'.repeat(64)}', type, pack, offset, stored_len, raw_len, comp FROM objects LIMIT 1`);
    writeFileSync(join(cwd, '.cairn', 'packs', 'pack-orphan.pack'), Buffer.alloc(1000));
    const j = counts();
    expect(j.quarantine).toEqual({ count: 1, size: row!.raw_len, stored: row!.stored_len + HEADER });
    expect(j.packs).toMatchObject({ orphans: 1, orphanBytes: 1000 });
    expect(j.reclaimable).toBe(j.quarantine.stored + 1000);
  });

  it('prints a human summary, by type with -v, and answers to the alias stats', () => {
    const j = counts();
    const out = cairnOk(['count-objects'], { cwd });
    expect(out.split('\n')[0]).toBe(
      `objects:     ${j.total.count} objects, ${fmt(j.total.stored)} stored (${fmt(j.total.size)} uncompressed)`,
    );
    expect(out).toContain(`reachable:   ${j.reachable.count} objects, ${fmt(j.reachable.stored)}\n`);
    expect(out).toContain('unreachable: 0 objects, 0 B\n');
    expect(out.endsWith('gc could reclaim: up to 0 B\n')).toBe(true);
    const v = cairnOk(['stats', '-v'], { cwd });
    expect(v).toContain(`  commits:   2 objects, ${fmt(j.types.commit.stored)} (${fmt(j.types.commit.size)} uncompressed)\n`);
    expect(v).toContain('roots:       2 refs');
    expect(cairnOk(['count-objects', '--help'], { cwd })).toContain('$ cairn count-objects -v');
  });

  it('exits 7 when a reachable object is missing, still printing the counts', () => {
    const [file] = mainClosure().slice(2);
    deleteIndexRow(cwd, file!);
    const r = runCairn(['count-objects', '--json'], { cwd });
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout).problems).toEqual([expect.objectContaining({ id: file, kind: 'missing' })]);
    expect(r.stderr).toContain("run 'cairn fsck'");
  });
});

function fmt(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
