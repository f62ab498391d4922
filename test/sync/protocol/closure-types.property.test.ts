// Properties of the type and size checks (FORMAT §7.2): for any repository content, shared files
// and shared folders included, the honest closure passes stagedClosure and fsck, and one lie at any
// single reference — a size off by any amount, a folder named as a file or a file as a folder, a
// commit whose parent is a tree — makes stagedClosure throw BAD_FORMAT and fsck report it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CairnError } from '../../../src/errors.js';
import { fsck } from '../../../src/ops/fsck.js';
import { PackStore } from '../../../src/store/object-store.js';
import { Repository } from '../../../src/store/repository.js';
import { stagedClosure } from '../../../src/sync/protocol/closure.js';
import { packStoreSource } from '../../../src/sync/protocol/object-source.js';
import { tempDir } from '../../helpers/cli.js';
import { ObjectSet, type FakeEntry } from '../../helpers/fake-remote.js';

/** A folder: names to file contents (strings) or subfolders. */
interface Dir {
  [name: string]: string | Dir;
}

type Lie = { at: number; kind: 'size'; delta: number } | { at: number; kind: 'kind' } | { at: -1; kind: 'parent' };

const names = fc.constantFrom('a', 'b', 'c', 'd');
// Few distinct contents, so the same file id (and the same folder id) often appears twice.
const content = fc.constantFrom('x\n', 'y\n', 'zz\n', '');
const dir: fc.Arbitrary<Dir> = fc.letrec<{ dir: Dir }>((tie) => ({
  dir: fc.dictionary(names, fc.oneof({ depthSize: 'small', withCrossShrink: true }, content, tie('dir')), { minKeys: 1, maxKeys: 4 }),
})).dir;

/**
 * Encodes `root` children first; the lie, if any, is told at the `at`-th reference met (a tree
 * entry), counting in encoding order. Returns the commit and how many references there were.
 */
function build(objs: ObjectSet, root: Dir, lie?: Lie): { commit: string; refs: number } {
  let n = 0;
  const enc = (d: Dir): { id: string; size: number } => {
    const entries: FakeEntry[] = [];
    for (const name of Object.keys(d).sort()) {
      const v = d[name]!;
      const e: FakeEntry =
        typeof v === 'string' ? { name, kind: 'file', id: objs.file(v), size: Buffer.byteLength(v) } : { name, kind: 'tree', ...enc(v) };
      if (lie !== undefined && lie.at === n) {
        if (lie.kind === 'size') {
          const s = e.size + lie.delta;
          e.size = s >= 0 ? s : e.size + 1;
        } else if (lie.kind === 'kind') e.kind = e.kind === 'tree' ? 'file' : 'tree';
      }
      n++;
      entries.push(e);
    }
    return { id: objs.tree(entries), size: entries.reduce((s, e) => s + e.size, 0) };
  };
  const tree = enc(root).id;
  const commit = lie?.kind === 'parent' ? objs.commit(tree, [tree], 'parent is a tree') : objs.commit(tree, [], 'honest');
  return { commit, refs: n };
}

let sandbox: { dir: string; cleanup: () => void };
// The receiver: its store holds only honest closures (as a real store does), so lies meet stored
// files and folders as well as quarantined ones. fsck gets a store of its own, lies and all.
let repo: Repository;
let damaged: Repository;

beforeAll(() => {
  sandbox = tempDir('cairn-closure-prop-');
  repo = Repository.init(`${sandbox.dir}/receiver`).repo;
  damaged = Repository.init(`${sandbox.dir}/fsck`).repo;
});
afterAll(() => {
  repo?.close();
  damaged?.close();
  sandbox?.cleanup();
});

function storeHonest(objs: ObjectSet): void {
  for (const o of objs.list) repo.objects.put(o.type, o.body);
  repo.objects.flush();
}

async function closureOf(objs: ObjectSet, commit: string): Promise<string | null> {
  const staging = new PackStore(repo.db, repo.cairnDir, { staging: true });
  try {
    for (const o of objs.list) staging.put(o.type, o.body);
    staging.flush();
    await stagedClosure(packStoreSource(staging), [commit]);
    return null;
  } catch (err) {
    if (!(err instanceof CairnError)) throw err;
    return err.code;
  } finally {
    staging.close();
  }
}

function fsckOf(objs: ObjectSet, commit: string): number {
  for (const o of objs.list) damaged.objects.put(o.type, o.body);
  damaged.objects.flush();
  damaged.refs.update([{ name: 'refs/heads/main', expected: undefined, next: commit }], 'test', 'property');
  return fsck(damaged).problems.filter((p) => p.kind === 'bad-format').length;
}

const lie = (refs: number): fc.Arbitrary<Lie> =>
  fc.oneof(
    fc.record({
      at: fc.nat(refs - 1),
      kind: fc.constant('size' as const),
      delta: fc.integer({ min: -3, max: 1000 }).filter((d) => d !== 0),
    }),
    fc.record({ at: fc.nat(refs - 1), kind: fc.constant('kind' as const) }),
    fc.constant({ at: -1, kind: 'parent' as const }),
  );

describe('type and size checks at every reference', () => {
  test('honest content, however shared, passes the closure check and fsck', async () => {
    await fc.assert(
      fc.asyncProperty(dir, async (root) => {
        const objs = new ObjectSet();
        const { commit } = build(objs, root);
        expect(await closureOf(objs, commit)).toBeNull();
        expect(fsckOf(objs, commit)).toBe(0);
        storeHonest(objs);
      }),
      { numRuns: 40 },
    );
  });

  test('one lie at any one reference is BAD_FORMAT on receive and a bad-format problem in fsck', async () => {
    await fc.assert(
      fc.asyncProperty(
        dir.chain((root) => {
          const refs = build(new ObjectSet(), root).refs;
          return fc.tuple(fc.constant(root), lie(refs));
        }),
        async ([root, l]) => {
          const objs = new ObjectSet();
          const { commit } = build(objs, root, l);
          expect(await closureOf(objs, commit)).toBe('BAD_FORMAT');
          expect(fsckOf(objs, commit)).toBeGreaterThan(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
