// listObjects, the sender's half of negotiation, must be complete: for any history and any
// receiver holding whole closures of some commits, what it lists plus what the receiver holds
// covers everything the wanted commits reach. Histories are random DAGs (merges included) of
// random trees with shared subtrees and chunked files, built through the store APIs.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import type { ObjectId } from '../../../src/core/hash.js';
import type { PackStore } from '../../../src/store/object-store.js';
import { readCommit, readFileObject, readTree } from '../../../src/store/typed-objects.js';
import { listObjects } from '../../../src/sync/protocol/object-list.js';
import { packStoreSource } from '../../../src/sync/protocol/object-source.js';

const list = (store: PackStore, wants: string[], haves: string[]) => listObjects(packStoreSource(store), wants, haves);
import { makeCommit, tempRepo, type TempRepo } from '../../helpers/history-repo.js';

/** Deterministic pseudo-random bytes (SHA-256 in counter mode). */
function bytes(seed: string, n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < n; i++) parts.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(parts).subarray(0, n);
}

/** Edits a copy of `base` in a few places: most chunks stay shared with the original. */
function edited(base: Buffer, seed: number): Buffer {
  const out = Buffer.from(base);
  const at = (seed * 7919) % (out.length - 100);
  bytes(`edit${seed}`, 64).copy(out, at);
  return out;
}

const BIG = [bytes('a', 100_000), bytes('b', 70_000), bytes('c', 40_000)];
const CONTENTS: Buffer[] = [
  Buffer.from('{"id":1}\n'),
  Buffer.from('{"id":2}\n'),
  Buffer.from('hello\n'),
  Buffer.from(''),
  ...BIG,
  ...BIG.map((b, i) => edited(b, i + 1)),
  ...BIG.map((b, i) => edited(b, i + 11)),
];
const PATHS = ['a.json', 'b.txt', 'big', 'd1/x', 'd1/y', 'd1/big', 'd1/d2/z', 'd1/d2/big', 'd3/w', 'd3/d4/v', 'd5/x', 'd5/y'];

type Mutation = { kind: 'set'; path: number; content: number } | { kind: 'delete'; path: number } | { kind: 'copy-d1-to-d5' };
interface CommitGen {
  parents: number[];
  mutations: Mutation[];
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('set' as const), path: fc.nat(PATHS.length - 1), content: fc.nat(CONTENTS.length - 1) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.nat(PATHS.length - 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'copy-d1-to-d5' as const }) },
);
const history = fc.array(
  fc.record({ parents: fc.array(fc.nat(), { maxLength: 2 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 5 }) }),
  { minLength: 1, maxLength: 8 },
);

function build(t: TempRepo, gens: readonly CommitGen[]): ObjectId[] {
  const ids: ObjectId[] = [];
  const files: Map<string, number>[] = [];
  gens.forEach((g, i) => {
    const parents = i === 0 ? [] : [...new Set(g.parents.map((p) => p % i))];
    const state = new Map(parents.length > 0 ? files[parents[0]!] : []);
    for (const m of g.mutations) {
      if (m.kind === 'set') state.set(PATHS[m.path]!, m.content);
      else if (m.kind === 'delete') state.delete(PATHS[m.path]!);
      else for (const [p, c] of [...state]) if (p.startsWith('d1/') && !p.startsWith('d1/d2/')) state.set(`d5/${p.slice(3)}`, c);
    }
    files.push(state);
    const spec = Object.fromEntries([...state].map(([p, c]) => [p, CONTENTS[c]!]));
    ids.push(makeCommit(t.repo, { files: spec, message: `c${i}`, parents: parents.map((p) => ids[p]!), at: i, branch: null }));
  });
  return ids;
}

/** Everything `tips` reach: commits, trees, files, chunks. */
function closure(store: PackStore, tips: readonly ObjectId[]): Set<ObjectId> {
  const seen = new Set<ObjectId>();
  const stack: { id: ObjectId; type: 'commit' | 'tree' | 'file' | 'chunk' }[] = tips.map((id) => ({ id, type: 'commit' }));
  while (stack.length > 0) {
    const { id, type } = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    if (type === 'commit') {
      const c = readCommit(store, id);
      stack.push({ id: c.tree, type: 'tree' });
      for (const p of c.parents) stack.push({ id: p, type: 'commit' });
    } else if (type === 'tree') {
      for (const e of readTree(store, id)) stack.push({ id: e.id, type: e.kind === 'tree' ? 'tree' : 'file' });
    } else if (type === 'file') {
      const f = readFileObject(store, id);
      if (f.kind === 'chunked') for (const c of f.chunks) stack.push({ id: c.id, type: 'chunk' });
    }
  }
  return seen;
}

const repos: TempRepo[] = [];
afterAll(() => {
  for (const t of repos) t.cleanup();
});

function fresh(): TempRepo {
  const t = tempRepo();
  repos.push(t);
  return t;
}

describe('listObjects', () => {
  it('lists, with what the receiver holds, everything the wanted commits reach', async () => {
    await fc.assert(
      fc.asyncProperty(
        history,
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        async (gens, wantMask, haveMask, strangerHave) => {
          const t = fresh();
          const ids = build(t, gens);
          const wants = ids.filter((_, i) => wantMask[i]);
          const haves = ids.filter((_, i) => haveMask[i]);
          // A receiver may name commits the sender never saw: they must be ignored, not trusted.
          if (strangerHave) haves.push('ab'.repeat(32));
          const listed = await list(t.repo.objects, wants, haves);
          const held = closure(
            t.repo.objects,
            haves.filter((id) => ids.includes(id)),
          );
          const needed = closure(t.repo.objects, wants);
          const missing = [...needed].filter((id) => !held.has(id) && !listed.ids.includes(id));
          expect(missing).toEqual([]);
          expect(new Set(listed.ids).size).toBe(listed.ids.length);
          for (const id of listed.ids) expect(t.repo.objects.has(id)).toBe(true);
          t.cleanup();
          repos.splice(repos.indexOf(t), 1);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('lists nothing when the receiver already has every wanted commit', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), async (gens, mask) => {
        const t = fresh();
        const ids = build(t, gens);
        const wants = ids.filter((_, i) => mask[i]);
        expect((await list(t.repo.objects, wants, wants)).ids).toEqual([]);
        // An ancestor is held when a descendant is.
        expect((await list(t.repo.objects, [ids[0]!], [ids[ids.length - 1]!])).ids.length).toBeLessThanOrEqual(
          closure(t.repo.objects, [ids[0]!]).size,
        );
        t.cleanup();
        repos.splice(repos.indexOf(t), 1);
      }),
      { numRuns: 15 },
    );
  });

  it('lists only the chunks an edit changed when the receiver has the previous version', async () => {
    const t = fresh();
    const a = makeCommit(t.repo, { files: { 'd/big': BIG[0]!, 'small.txt': 'x' }, message: 'one' });
    const b = makeCommit(t.repo, { files: { 'd/big': edited(BIG[0]!, 5), 'small.txt': 'x' }, message: 'two' });
    const listed = await list(t.repo.objects, [b], [a]);
    const whole = closure(t.repo.objects, [b]);
    const old = closure(t.repo.objects, [a]);
    expect(listed.commits).toBe(1);
    expect(listed.ids[0]).toBe(b);
    // Exactly what is new: nothing the receiver holds is listed here.
    expect(new Set(listed.ids)).toEqual(new Set([...whole].filter((id) => !old.has(id))));
    const chunks = (
      readFileObject(
        t.repo.objects,
        readTree(t.repo.objects, readTree(t.repo.objects, readCommit(t.repo.objects, b).tree)[0]!.id)[0]!.id,
      ) as { chunks: { id: string }[] }
    ).chunks;
    expect(chunks.length).toBeGreaterThan(1);
  });
});
