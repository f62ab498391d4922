// The commit graph: isAncestor, mergeBases and aheadBehind against brute force on generated DAGs
// (several roots, criss-cross merges, equal and skewed clocks), generation numbers and their cache
// (persisted, checked, never waited for, migrated into old repositories), and a 50k-deep history.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Commit } from '../../../src/core/commit-object.js';
import { encodeCommit } from '../../../src/core/commit-object.js';
import { hashObject, type ObjectId, type ObjectType } from '../../../src/core/hash.js';
import { aheadBehind } from '../../../src/ops/history/ahead-behind.js';
import { CommitGraph, isAncestor, type CommitSource } from '../../../src/ops/history/commit-graph.js';
import { mergeBases } from '../../../src/ops/history/merge-base.js';
import { PriorityQueue } from '../../../src/ops/history/priority-queue.js';
import { GenerationStore } from '../../../src/store/commit-generations.js';
import { SCHEMA_VERSION } from '../../../src/store/database.js';
import { PackStore, type ObjectReader } from '../../../src/store/object-store.js';
import { Repository } from '../../../src/store/repository.js';
import { emptyTree, writeCommit } from '../../../src/store/typed-objects.js';
import { AUTHOR, emptyTreeCommits, T0, tempRepo, type TempRepo } from '../../helpers/history-repo.js';

const HOUR = 3600;

let t: TempRepo;
/** A commit with the empty tree; `at` in seconds after T0. Not flushed. */
let put: (parents: ObjectId[], at: number) => ObjectId;
beforeAll(() => {
  t = tempRepo();
  put = emptyTreeCommits(t.repo, 'g');
  t.repo.objects.flush();
});
afterAll(() => t.cleanup());

/** A chain of `n` commits, one a minute, flushed; the oldest first. */
function chain(n: number): ObjectId[] {
  const ids: ObjectId[] = [];
  for (let i = 0; i < n; i++) ids.push(put(i === 0 ? [] : [ids[i - 1]!], i * 60));
  t.repo.objects.flush();
  return ids;
}

/** Counts commit reads through `objects`, with or without the repository's generation cache. */
function counting(withDb: boolean): { source: CommitSource; reads: () => number } {
  let n = 0;
  const o = t.repo.objects;
  const objects: ObjectReader = { has: (id) => o.has(id), info: (id) => o.info(id), get: (id, type) => (n++, o.get(id, type)) };
  return { source: withDb ? { objects, db: t.repo.db } : { objects }, reads: () => n };
}

const cachedRows = () => t.repo.db.prepare('SELECT count(*) FROM commit_generations').pluck().get() as number;

// ---------------------------------------------------------------------------------------------
// Generated DAGs, with the truth computed from their description (no reads).

interface Dag {
  ids: ObjectId[];
  stamps: number[];
  /** anc[i]: indices of i's ancestors, i included. */
  anc: Set<number>[];
  gen: number[];
}

/**
 * Commit i has up to 3 parents among the earlier ones, mostly recent ones (so merges of merges and
 * criss-crosses are common), sometimes none (several roots). `draw` is turned into (real, stamp).
 */
function dagArb(draw: fc.Arbitrary<number>) {
  const parents = fc.oneof(
    { weight: 1, arbitrary: fc.constant<number[]>([]) },
    { weight: 6, arbitrary: fc.uniqueArray(fc.oneof(fc.nat(6), fc.nat()), { minLength: 1, maxLength: 3 }) },
  );
  return fc.array(fc.record({ parents, draw }), { minLength: 1, maxLength: 70, size: 'max' });
}

function build(
  specs: { parents: number[]; draw: number }[],
  time: (parentReal: number[], draw: number) => { real: number; stamp: number },
): Dag {
  const dag: Dag = { ids: [], stamps: [], anc: [], gen: [] };
  const real: number[] = [];
  specs.forEach((s, i) => {
    const ps = i === 0 ? [] : [...new Set(s.parents.map((back) => i - 1 - (back % i)))];
    const tm = time(
      ps.map((p) => real[p]!),
      s.draw,
    );
    real.push(tm.real);
    dag.stamps.push(tm.stamp);
    dag.ids.push(
      put(
        ps.map((p) => dag.ids[p]!),
        tm.stamp,
      ),
    );
    const anc = new Set<number>([i]);
    for (const p of ps) for (const a of dag.anc[p]!) anc.add(a);
    dag.anc.push(anc);
    dag.gen.push(1 + Math.max(0, ...ps.map((p) => dag.gen[p]!)));
  });
  t.repo.objects.flush();
  return dag;
}

/** Clocks 0-20 hours behind real time, real gaps of 0 s to 30 h: what aheadBehind's margin covers. */
const boundedSkew = {
  draw: fc
    .record({ gap: fc.constantFrom(0, 0, 1, HOUR, 30 * HOUR), behind: fc.constantFrom(0, 0, 5, 12, 20) })
    .map((r) => r.gap * 100 + r.behind),
  time: (pts: number[], d: number) => {
    const real = Math.max(0, ...pts) + Math.floor(d / 100);
    return { real, stamp: real - (d % 100) * HOUR };
  },
};
/** Any stamp at all, mostly equal ones: children older than parents by any amount. */
const wildClocks = {
  draw: fc.nat(6),
  time: (_pts: number[], d: number) => ({ real: 0, stamp: d * 1000 }),
};

function ancestorsOf(dag: Dag, tips: number[]): Set<number> {
  const s = new Set<number>();
  for (const tip of tips) for (const a of dag.anc[tip]!) s.add(a);
  return s;
}

/** Best common ancestors by definition: common ones not below another common one; oldest first. */
function bruteBases(dag: Dag, ours: number[], theirs: number[]): ObjectId[] {
  const a = ancestorsOf(dag, ours);
  const common = [...ancestorsOf(dag, theirs)].filter((x) => a.has(x));
  const best = common.filter((c) => !common.some((o) => o !== c && dag.anc[o]!.has(c)));
  return best
    .map((i) => ({ id: dag.ids[i]!, time: dag.stamps[i]! }))
    .sort((x, y) => x.time - y.time || (x.id < y.id ? -1 : 1))
    .map((x) => x.id);
}

function bruteAheadBehind(dag: Dag, a: number, b: number): { ahead: number; behind: number } {
  const A = dag.anc[a]!;
  const B = dag.anc[b]!;
  return { ahead: [...A].filter((x) => !B.has(x)).length, behind: [...B].filter((x) => !A.has(x)).length };
}

const pairs = (n: number) => fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { minLength: 1, maxLength: 12 });

function withPairs(draw: fc.Arbitrary<number>) {
  return dagArb(draw).chain((specs) =>
    fc.tuple(
      fc.constant(specs),
      pairs(specs.length),
      fc.array(fc.nat(specs.length - 1), { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(specs.length - 1), { minLength: 1, maxLength: 3 }),
    ),
  );
}

describe('on generated DAGs', () => {
  let multiBase = 0;
  afterAll(() => {
    // The shapes include criss-cross histories, not only trees and simple merges.
    expect(multiBase).toBeGreaterThan(0);
  });

  for (const [name, clocks] of [
    ['clocks behind by up to 20 hours', boundedSkew],
    ['any clocks', wildClocks],
  ] as const) {
    it(`isAncestor equals reachability for every pair, and generations are exact (${name})`, () => {
      fc.assert(
        fc.property(withPairs(clocks.draw), ([specs, some]) => {
          const dag = build(specs, clocks.time);
          const n = dag.ids.length;
          // One graph for all n² questions: memoised generations, persisted once 64 are pending.
          const graph = new CommitGraph(t.repo);
          for (let a = 0; a < n; a++) {
            for (let d = 0; d < n; d++) expect(isAncestor(t.repo, dag.ids[a]!, dag.ids[d]!, graph)).toBe(dag.anc[d]!.has(a));
          }
          for (let i = 0; i < n; i++) expect(graph.generation(dag.ids[i]!)).toBe(dag.gen[i]);
          // Fresh graphs: from the cache (if it was written), and with no database at all.
          const store = new GenerationStore(t.repo.db);
          for (const [a, d] of some) {
            expect(isAncestor(t.repo, dag.ids[a]!, dag.ids[d]!)).toBe(dag.anc[d]!.has(a));
            expect(isAncestor({ objects: t.repo.objects }, dag.ids[a]!, dag.ids[d]!)).toBe(dag.anc[d]!.has(a));
            const row = store.get(dag.ids[d]!);
            if (row !== undefined) expect(row).toBe(dag.gen[d]);
          }
        }),
        { numRuns: 60 },
      );
    });

    it(`mergeBases equals the best common ancestors, oldest first (${name})`, () => {
      fc.assert(
        fc.property(withPairs(clocks.draw), ([specs, some, ours, theirs]) => {
          const dag = build(specs, clocks.time);
          for (const [a, b] of some) {
            const bases = mergeBases(t.repo, [dag.ids[a]!], [dag.ids[b]!]);
            expect(bases).toEqual(bruteBases(dag, [a], [b]));
            if (bases.length > 1) multiBase++;
          }
          const ids = (xs: number[]) => xs.map((i) => dag.ids[i]!);
          expect(mergeBases(t.repo, ids(ours), ids(theirs))).toEqual(bruteBases(dag, ours, theirs));
        }),
        { numRuns: 100 },
      );
    });
  }

  it('aheadBehind equals the set differences when clocks are within the skew margin', () => {
    fc.assert(
      fc.property(withPairs(boundedSkew.draw), ([specs, some]) => {
        const dag = build(specs, boundedSkew.time);
        for (const [a, b] of some) expect(aheadBehind(t.repo.objects, dag.ids[a]!, dag.ids[b]!)).toEqual(bruteAheadBehind(dag, a, b));
      }),
      { numRuns: 100 },
    );
  });

  it('aheadBehind equals the set differences with no margin when no parent is newer than its child', () => {
    // Equal times are common (CI jobs commit within the same millisecond).
    fc.assert(
      fc.property(withPairs(fc.constantFrom(0, 0, 1, 5)), ([specs, some]) => {
        const dag = build(specs, (pts, d) => {
          const at = Math.max(0, ...pts) + d;
          return { real: at, stamp: at };
        });
        for (const [a, b] of some)
          expect(aheadBehind(t.repo.objects, dag.ids[a]!, dag.ids[b]!, { skewMarginMs: 0 })).toEqual(bruteAheadBehind(dag, a, b));
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('isAncestor with generations', () => {
  it('reads only the commits between the two once generations are cached', () => {
    const ids = chain(300);
    const cold = counting(true);
    expect(isAncestor(cold.source, ids[290]!, ids[299]!)).toBe(true);
    expect(cold.reads()).toBeGreaterThanOrEqual(300); // the first query learns the whole history
    const warm = counting(true);
    expect(isAncestor(warm.source, ids[290]!, ids[299]!)).toBe(true);
    expect(warm.reads()).toBeLessThan(15);
  });

  it('answers no at once when the ancestor is not of lower generation', () => {
    const ids = chain(120);
    const side = put([ids[10]!], 99_999);
    t.repo.objects.flush();
    isAncestor(t.repo, ids[0]!, ids[119]!); // warms the cache
    const q = counting(true);
    expect(isAncestor(q.source, ids[119]!, ids[5]!)).toBe(false);
    expect(isAncestor(q.source, ids[50]!, side)).toBe(false); // gen 51 vs 12
    expect(q.reads()).toBeLessThan(12);
  });

  it('never walks below the ancestor generation when the answer is no', () => {
    // A long main line and a short branch off its root: "is the branch tip in main?" stops at its level.
    const ids = chain(200);
    const branch = put([ids[0]!], 1);
    t.repo.objects.flush();
    expect(isAncestor(t.repo, ids[0]!, ids[199]!)).toBe(true); // warms the cache
    const q = counting(true);
    expect(isAncestor(q.source, branch, ids[199]!)).toBe(false);
    expect(q.reads()).toBeLessThan(205);
    const high = put([ids[150]!], 9_999);
    t.repo.objects.flush();
    const q2 = counting(true);
    expect(isAncestor(q2.source, high, ids[199]!)).toBe(false); // gen 152: only main's top ~48 are read
    expect(q2.reads()).toBeLessThan(60);
  });

  it('works over a sync receiver store plus quarantine, caching in the same database', () => {
    const ids = chain(80);
    const staging = new PackStore(t.repo.db, t.repo.cairnDir, { staging: true });
    try {
      const incoming = writeCommit(staging, {
        tree: emptyTree(t.repo.objects),
        parents: [ids[79]!],
        author: AUTHOR,
        time: T0 + 1_000_000,
        tzOffset: 0,
        message: 'pushed',
        meta: {},
      });
      staging.flush();
      expect(t.repo.objects.has(incoming)).toBe(false);
      const source = { objects: staging, db: t.repo.db };
      expect(isAncestor(source, ids[3]!, incoming)).toBe(true);
      expect(isAncestor(source, incoming, ids[79]!)).toBe(false);
      expect(new GenerationStore(t.repo.db).get(incoming)).toBe(81);
    } finally {
      staging.close();
    }
  });

  it('keeps working, without waiting, while another process holds the write lock', () => {
    const ids = chain(100);
    const other = new Database(join(t.dir, '.cairn', 'cairn.db'));
    const before = cachedRows();
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      expect(isAncestor(t.repo, ids[0]!, ids[99]!)).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000); // the connection's busy timeout is 10 s
      expect(cachedRows()).toBe(before);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(isAncestor(t.repo, ids[0]!, ids[99]!)).toBe(true);
    expect(cachedRows()).toBeGreaterThanOrEqual(before + 100);
  });

  it('refuses an inconsistent cache row: CORRUPT_OBJECT, the cache cleared, right on the next try', () => {
    const ids = chain(100);
    expect(isAncestor(t.repo, ids[0]!, ids[99]!)).toBe(true);
    t.repo.db.prepare('UPDATE commit_generations SET generation = 500 WHERE id = ?').run(ids[40]!);
    let code: string | undefined;
    try {
      isAncestor(t.repo, ids[40]!, ids[99]!);
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).toBe('CORRUPT_OBJECT');
    expect(cachedRows()).toBe(0);
    expect(isAncestor(t.repo, ids[40]!, ids[99]!)).toBe(true);
  });

  it('computes generations 50,000 commits deep without recursion', () => {
    const mem = new MemoryObjects();
    let tip = mem.commit([], 0);
    const root = tip;
    for (let i = 1; i < 50_000; i++) tip = mem.commit([tip], i);
    const graph = new CommitGraph({ objects: mem });
    expect(graph.generation(tip)).toBe(50_000);
    expect(isAncestor({ objects: mem }, root, tip, graph)).toBe(true);
    expect(isAncestor({ objects: mem }, tip, root, graph)).toBe(false);
  });
});

describe('the generation cache table', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('is added to a schema 2 repository on open, which keeps its history', () => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-graph-'));
    const { repo: old } = Repository.init(dir);
    const tr = emptyTree(old.objects);
    const a = writeCommit(old.objects, { tree: tr, parents: [], author: AUTHOR, time: T0, tzOffset: 0, message: 'a', meta: {} });
    const b = writeCommit(old.objects, { tree: tr, parents: [a], author: AUTHOR, time: T0 + 1, tzOffset: 0, message: 'b', meta: {} });
    old.objects.flush();
    old.close();
    // What the previous cairn wrote: schema 2, no cache table.
    const raw = new Database(join(dir, '.cairn', 'cairn.db'));
    raw.exec('DROP TABLE commit_generations');
    raw.prepare("UPDATE meta SET value = '2' WHERE key = 'schema'").run();
    raw.close();
    const repo = Repository.open(dir);
    try {
      expect(repo.db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get()).toBe(String(SCHEMA_VERSION));
      expect(repo.db.prepare('SELECT count(*) FROM commit_generations').pluck().get()).toBe(0);
      expect(isAncestor(repo, a, b)).toBe(true);
      expect(isAncestor(repo, b, a)).toBe(false);
    } finally {
      repo.close();
    }
  });
});

describe('PriorityQueue', () => {
  it('pops in the given order, whatever the push order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        const q = new PriorityQueue<number>((a, b) => a < b);
        for (const x of xs) q.push(x);
        const out: number[] = [];
        for (let v = q.pop(); v !== undefined; v = q.pop()) out.push(v);
        expect(out).toEqual([...xs].sort((a, b) => a - b));
        expect(q.size).toBe(0);
      }),
    );
  });
});

/** Commits in memory, ids computed as the store would, for histories too deep to write quickly. */
class MemoryObjects implements ObjectReader {
  private readonly bodies = new Map<ObjectId, Buffer>();
  private readonly tree = hashObject('tree', Buffer.from([1]));

  commit(parents: ObjectId[], time: number): ObjectId {
    const c: Commit = { tree: this.tree, parents, author: AUTHOR, time, tzOffset: 0, message: 'm', meta: {} };
    const body = encodeCommit(c);
    const id = hashObject('commit', body);
    this.bodies.set(id, body);
    return id;
  }

  has(id: ObjectId): boolean {
    return this.bodies.has(id);
  }

  info(id: ObjectId) {
    const b = this.bodies.get(id);
    return b === undefined ? undefined : { type: 'commit' as ObjectType, size: b.length, storedSize: b.length };
  }

  get(id: ObjectId): { type: ObjectType; data: Buffer } {
    const data = this.bodies.get(id);
    if (data === undefined) throw new Error(`missing ${id}`);
    return { type: 'commit', data };
  }
}
