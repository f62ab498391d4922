// Types and sizes are checked at every reference, not once per id (issue 9, Integrity): a tree that
// names one id as a folder and as a file, a commit whose parent is a tree or whose tree is a file, a
// tree entry or a chunk list whose sizes lie. Each is refused by `cairn fetch` and `cairn clone`
// from a lying server (test/helpers/fake-remote.ts: exit 7, refs unchanged, fsck clean), refused by
// `cairn serve` from a lying pusher (400 BAD_FORMAT, nothing moves), and reported by fsck when it is
// already in a store (docs/PROTOCOL.md §6.3, docs/FORMAT.md §7.2).
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Repository } from '../../src/store/repository.js';
import { fsck, type FsckProblem } from '../../src/ops/fsck.js';
import { stagedClosure } from '../../src/sync/protocol/closure.js';
import { packStoreSource } from '../../src/sync/protocol/object-source.js';
import { PackStore } from '../../src/store/object-store.js';
import { CairnError } from '../../src/errors.js';
import { readCommit, readFileObject, readTree } from '../../src/store/typed-objects.js';
import { storeBuffer } from '../../src/store/file-writer.js';
import { runCairnAwaited, tempDir, type RunResult as Run } from '../helpers/cli.js';
import { startServer, repoUrl, type TestServer } from '../helpers/server.js';
import { endBytes, MAGIC, ObjectSet, recordBytes, startFakeRemote, type FakeRemote } from '../helpers/fake-remote.js';

const run = (args: string[], cwd: string, timeoutMs?: number) => runCairnAwaited(args, { cwd, timeoutMs });

async function ok(args: string[], cwd: string): Promise<void> {
  const r = await run(args, cwd);
  if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
}

// The honest repository's content, rebuilt byte for byte by the fake encoder: the same ids as the
// objects every replica of it holds, so an attack can name objects the victim already stores.
const HONEST_B = 'honest\n';
function honestObjects(objs: ObjectSet): { fileB: string; treeD: string } {
  const fileB = objs.file(HONEST_B);
  const treeD = objs.tree([{ name: 'b.txt', kind: 'file', id: fileB, size: HONEST_B.length }]);
  return { fileB, treeD };
}

interface Case {
  name: string;
  /** Builds the lie; returns the commit a branch names. */
  make: (objs: ObjectSet) => string;
  message: RegExp;
  /** The lie names objects only a replica of the honest repository holds: fetch, not clone. */
  storedOnly?: boolean;
}

const CASES: Case[] = [
  {
    name: 'a tree naming one id as a folder and as a file',
    make: (o) => {
      const inner = o.tree([{ name: 'pwned.txt', kind: 'file', id: o.file('pwned\n'), size: 6 }]);
      const top = o.tree([
        { name: 'a', kind: 'tree', id: inner, size: 6 },
        { name: 'b', kind: 'file', id: inner, size: 6 },
      ]);
      return o.commit(top, [], 'folder and file');
    },
    message: /is a tree but entry 'b' of [0-9a-f]{64} uses it as a file/,
  },
  {
    name: 'a tree naming one id as a file first, then as a folder',
    make: (o) => {
      const inner = o.tree([{ name: 'pwned.txt', kind: 'file', id: o.file('pwned\n'), size: 6 }]);
      const top = o.tree([
        { name: 'a', kind: 'file', id: inner, size: 6 },
        { name: 'b', kind: 'tree', id: inner, size: 6 },
      ]);
      return o.commit(top, [], 'file and folder');
    },
    message: /is a tree but entry 'a' of [0-9a-f]{64} uses it as a file/,
  },
  {
    name: 'the same id as a folder one level down and as a file deeper',
    make: (o) => {
      const leaf = o.tree([{ name: 'p.txt', kind: 'file', id: o.file('pwned\n'), size: 6 }]);
      const mid = o.tree([{ name: 'x', kind: 'file', id: leaf, size: 6 }]);
      const top = o.tree([
        { name: 'a', kind: 'tree', id: leaf, size: 6 },
        { name: 'm', kind: 'tree', id: mid, size: 6 },
      ]);
      return o.commit(top, [], 'levels apart');
    },
    message: /is a tree but entry 'x' of [0-9a-f]{64} uses it as a file/,
  },
  {
    name: 'a commit whose parent is its own tree',
    make: (o) => {
      const tree = o.tree([{ name: 'x.txt', kind: 'file', id: o.file('pwned\n'), size: 6 }]);
      return o.commit(tree, [tree], 'parent is a tree');
    },
    message: /is a tree but parent 1 of [0-9a-f]{64} uses it as a commit/,
  },
  {
    name: 'a commit whose tree is a file',
    make: (o) => o.commit(o.file('pwned\n'), [], 'tree is a file'),
    message: /is a file but tree of [0-9a-f]{64} uses it as a tree/,
  },
  {
    name: 'a tree entry claiming 999 bytes for a 6-byte file',
    make: (o) => o.commit(o.tree([{ name: 'x.txt', kind: 'file', id: o.file('pwned\n'), size: 999 }]), [], 'size lies'),
    message: /says entry 'x.txt' holds 999 bytes, but file [0-9a-f]{64} holds 6/,
  },
  {
    name: 'the same file named twice, the second time with a lying size',
    make: (o) => {
      const f = o.file('pwned\n');
      const tree = o.tree([
        { name: 'a.txt', kind: 'file', id: f, size: 6 },
        { name: 'b.txt', kind: 'file', id: f, size: 999 },
      ]);
      return o.commit(tree, [], 'second size lies');
    },
    message: /says entry 'b.txt' holds 999 bytes/,
  },
  {
    name: 'a folder entry whose size is not the sum of the sizes below it',
    make: (o) => {
      const inner = o.tree([{ name: 'p.txt', kind: 'file', id: o.file('pwned\n'), size: 6 }]);
      return o.commit(o.tree([{ name: 'd', kind: 'tree', id: inner, size: 5 }]), [], 'folder size lies');
    },
    message: /says entry 'd' holds 5 bytes, but tree [0-9a-f]{64} holds 6/,
  },
  {
    name: 'a file object whose chunk sizes lie',
    make: (o) => {
      const c1 = o.chunk(Buffer.alloc(20_000, 1));
      const c2 = o.chunk(Buffer.alloc(12, 2));
      // The file object and the tree agree (20,100 bytes); the second chunk holds 12, not 100.
      const f = o.chunkedFile([
        { id: c1, size: 20_000 },
        { id: c2, size: 100 },
      ]);
      return o.commit(o.tree([{ name: 'big.bin', kind: 'file', id: f, size: 20_100 }]), [], 'chunk size lies');
    },
    message: /file [0-9a-f]{64} says chunk 2 holds 100 bytes, but chunk [0-9a-f]{64} holds 12/,
  },
  {
    // Sizes agree everywhere, but the layout is the wrong one for 6 bytes (FORMAT §5): a sender
    // deciding by the entry's size would never list its chunk, and every clone would fail.
    name: 'a chunked file object for 6 bytes',
    make: (o) => {
      const f = o.chunkedFile([{ id: o.chunk(Buffer.from('pwned\n')), size: 6 }]);
      return o.commit(o.tree([{ name: 'x.txt', kind: 'file', id: f, size: 6 }]), [], 'small file chunked');
    },
    message: /chunked, but its 6 bytes are at most 16384/,
  },
  {
    name: 'an inline file object of 20,000 bytes',
    make: (o) => {
      const f = o.add('file', Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(20_000, 7)]));
      return o.commit(o.tree([{ name: 'x.bin', kind: 'file', id: f, size: 20_000 }]), [], 'large file inline');
    },
    message: /inline, but its 20000 bytes are more than 16384/,
  },
  {
    name: 'a new tree naming a stored file with a lying size',
    storedOnly: true,
    make: (o) => {
      const { fileB } = honestObjects(o);
      o.list.splice(0); // the victim holds them: the server sends only the new tree and commit
      return o.commit(o.tree([{ name: 'b.txt', kind: 'file', id: fileB, size: 999 }]), [], 'stored file size lies');
    },
    message: /says entry 'b.txt' holds 999 bytes, but file [0-9a-f]{64} holds 7/,
  },
  {
    name: 'a new tree naming a stored folder with a lying size',
    storedOnly: true,
    make: (o) => {
      const { treeD } = honestObjects(o);
      o.list.splice(0);
      return o.commit(o.tree([{ name: 'd', kind: 'tree', id: treeD, size: 999 }]), [], 'stored folder size lies');
    },
    message: /says entry 'd' holds 999 bytes, but tree [0-9a-f]{64} holds 7/,
  },
  {
    // The stored folder is reached first as a commit's tree (no size claimed), then from a new
    // tree that lies about its size: the lie is checked though the folder was already reached.
    name: 'a stored folder reached first as a root tree, then from a new tree with a lying size',
    storedOnly: true,
    make: (o) => {
      const { treeD } = honestObjects(o);
      o.list.splice(0);
      const base = o.commit(treeD, [], 'root is the stored folder'); // streamed first: read first
      const top = o.tree([{ name: 'd', kind: 'tree', id: treeD, size: 999 }]);
      return o.commit(top, [base], 'lies about it');
    },
    message: /says entry 'd' holds 999 bytes, but tree [0-9a-f]{64} holds 7/,
  },
  {
    name: 'a new tree naming a stored folder as a file',
    storedOnly: true,
    make: (o) => {
      const { treeD } = honestObjects(o);
      o.list.splice(0);
      return o.commit(o.tree([{ name: 'd', kind: 'file', id: treeD, size: 7 }]), [], 'stored folder as a file');
    },
    message: /is a tree but entry 'd' of [0-9a-f]{64} uses it as a file/,
  },
  {
    name: 'a ref naming a tree this replica already stores',
    storedOnly: true,
    make: (o) => {
      const { treeD } = honestObjects(o);
      o.list.splice(0);
      return treeD;
    },
    message: /is a tree/,
  },
  {
    name: 'a commit whose parent is a stored tree',
    storedOnly: true,
    make: (o) => {
      const { treeD } = honestObjects(o);
      o.list.splice(0);
      return o.commit(treeD, [treeD], 'parent is a stored tree');
    },
    message: /is a tree but parent 1 of [0-9a-f]{64} uses it as a commit/,
  },
];

let sandbox: { dir: string; cleanup: () => void };
let honest: TestServer;
let goodUrl: string;
let baseClient: string;
const fakes: FakeRemote[] = [];

beforeAll(async () => {
  sandbox = tempDir('cairn-sync-types-');
  const good = join(sandbox.dir, 'srv', 'good');
  mkdirSync(join(good, 'd'), { recursive: true });
  await ok(['init'], good);
  writeFileSync(join(good, 'a.json'), '{"a": 1}\n');
  writeFileSync(join(good, 'd', 'b.txt'), HONEST_B);
  await ok(['add', '.'], good);
  await ok(['commit', '-m', 'honest'], good);
  honest = await startServer(join(sandbox.dir, 'srv'));
  goodUrl = repoUrl(honest, 'good');
  baseClient = join(sandbox.dir, 'base-client');
  await ok(['clone', goodUrl, baseClient], sandbox.dir);
  // The fake encoder and cairn agree byte for byte: the stored-object cases name real objects.
  const repo = Repository.open(baseClient);
  try {
    const { fileB, treeD } = honestObjects(new ObjectSet());
    expect(repo.objects.info(fileB)?.type).toBe('file');
    expect(repo.objects.info(treeD)?.type).toBe('tree');
  } finally {
    repo.close();
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await honest?.stop();
  sandbox?.cleanup();
});

/** fsck clean (nothing promoted that names a lie), and the refs as they are. */
function inspect(dir: string): Record<string, string> {
  const repo = Repository.open(dir);
  try {
    expect(fsck(repo).problems).toEqual([]);
    return Object.fromEntries(repo.refs.list('refs/').map((r) => [r.name, r.id]));
  } finally {
    repo.close();
  }
}

function refused(r: Run, message: RegExp): void {
  expect(r.code, r.stderr).toBe(7);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe.concurrent('a lying server: fetch and clone refuse a mistyped or mis-sized reference (exit 7)', () => {
  CASES.forEach((c, i) => {
    test(`${c.name}: refused, refs unchanged, fsck clean`, async () => {
      const objs = new ObjectSet();
      const commit = c.make(objs);
      const f = await startFakeRemote(objs, [{ name: 'refs/heads/main', id: commit }]);
      fakes.push(f);
      const work = join(sandbox.dir, `case-${i}`);
      mkdirSync(work);
      if (c.storedOnly !== true) {
        const victim = join(work, 'victim');
        refused(await run(['clone', f.url, victim], work), c.message);
        if (existsSync(join(victim, '.cairn'))) expect(inspect(victim)).toEqual({});
      }
      const client = join(work, 'client');
      cpSync(baseClient, client, { recursive: true });
      const before = inspect(client);
      refused(await run(['fetch', f.url], client), c.message);
      expect(inspect(client)).toEqual(before);
      // Run again (the quarantine keeps what arrived): still refused, not accepted on resume.
      refused(await run(['fetch', f.url], client), c.message);
      expect(inspect(client)).toEqual(before);
    }, 40_000);
  });
});

// ---- the server's side: the same lies pushed over raw HTTP to a real `cairn serve` ----

interface Answer {
  status: number;
  body: string;
}

function post(path: string, body: Buffer | string, type: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(honest.url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path,
        headers: { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function streamOf(objs: ObjectSet): Buffer {
  const code = { chunk: 0, file: 1, tree: 2, commit: 3 } as const;
  const recs = objs.list.map((o) => recordBytes(o.id, code[o.type], o.body));
  return Buffer.concat([MAGIC, ...recs, endBytes(recs.length)]);
}

function serverRefs(): Record<string, string> {
  const repo = Repository.open(join(honest.root, 'good'));
  try {
    expect(fsck(repo).problems).toEqual([]);
    return Object.fromEntries(repo.refs.list('refs/').map((r) => [r.name, r.id]));
  } finally {
    repo.close();
  }
}

describe('a lying pusher: the server refuses a mistyped or mis-sized reference', () => {
  CASES.forEach((c, i) => {
    test(`${c.name}: the push is refused with 400 BAD_FORMAT, nothing moves`, async () => {
      const before = serverRefs();
      const objs = new ObjectSet();
      const commit = c.make(objs);
      // A lie one object shows (a layout) is refused with the objects; one that needs the closure
      // (a type, a size) when the refs would name it.
      const sent = await post('/good/v1/push-objects', streamOf(objs), 'application/x-cairn-objects');
      const a =
        sent.status !== 200
          ? sent
          : await post(
              '/good/v1/push-refs',
              JSON.stringify({ updates: [{ name: `refs/heads/lie-${i}`, old: null, new: commit, force: false }] }),
              'application/json',
            );
      expect(a.status, a.body).toBe(400);
      const err = (JSON.parse(a.body) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('BAD_FORMAT');
      expect(err.message).toMatch(c.message);
      expect(serverRefs()).toEqual(before);
    });
  });
});

// ---- the closure check itself, on a quarantine filled by hand ----

describe('stagedClosure', () => {
  test('accepts an honest closure that names one file twice and a stored folder, and lists only what was staged', async () => {
    const t = tempDir('cairn-closure-');
    try {
      const repo = Repository.init(t.dir).repo;
      try {
        const stored = new ObjectSet();
        const { treeD, fileB } = honestObjects(stored);
        for (const o of stored.list) repo.objects.put(o.type, o.body);
        repo.objects.flush();
        const objs = new ObjectSet();
        const f = objs.file('pwned\n');
        const top = objs.tree([
          { name: 'a.txt', kind: 'file', id: f, size: 6 },
          { name: 'b.txt', kind: 'file', id: f, size: 6 },
          { name: 'c.txt', kind: 'file', id: fileB, size: 7 },
          { name: 'd', kind: 'tree', id: treeD, size: 7 },
        ]);
        const commit = objs.commit(top, [], 'fine');
        const staging = new PackStore(repo.db, repo.cairnDir, { staging: true });
        try {
          for (const o of objs.list) staging.put(o.type, o.body);
          staging.flush();
          expect((await stagedClosure(packStoreSource(staging), [commit])).sort()).toEqual([commit, top, f].sort());
          expect((await stagedClosure(packStoreSource(staging), [commit], { inlineFiles: new Set([f]) })).sort()).toEqual(
            [commit, top, f].sort(),
          );
        } finally {
          staging.close();
        }
      } finally {
        repo.close();
      }
    } finally {
      t.cleanup();
    }
  });

  test('a lie is BAD_FORMAT with the referrer and the object in its data', async () => {
    const t = tempDir('cairn-closure-');
    try {
      const repo = Repository.init(t.dir).repo;
      try {
        const objs = new ObjectSet();
        const f = objs.file('pwned\n');
        const tree = objs.tree([{ name: 'x.txt', kind: 'file', id: f, size: 999 }]);
        const commit = objs.commit(tree, [], 'lie');
        const staging = new PackStore(repo.db, repo.cairnDir, { staging: true });
        try {
          for (const o of objs.list) staging.put(o.type, o.body);
          staging.flush();
          let caught: unknown;
          try {
            await stagedClosure(packStoreSource(staging), [commit], { inlineFiles: new Set([f]) });
          } catch (err) {
            caught = err;
          }
          expect(caught).toBeInstanceOf(CairnError);
          expect((caught as CairnError).code).toBe('BAD_FORMAT');
          expect((caught as CairnError).data).toMatchObject({ id: tree, object: f, claimed: 999, found: 6 });
        } finally {
          staging.close();
        }
      } finally {
        repo.close();
      }
    } finally {
      t.cleanup();
    }
  });
});

// ---- fsck: the same lies, already in a store (put there by hand, as an old cairn might have) ----

function fsckOf(c: Case): FsckProblem[] {
  const t = tempDir('cairn-fsck-types-');
  try {
    const repo = Repository.init(t.dir).repo;
    try {
      const objs = new ObjectSet();
      const stored = new ObjectSet();
      honestObjects(stored);
      for (const o of stored.list) repo.objects.put(o.type, o.body);
      const commit = c.make(objs);
      for (const o of objs.list) repo.objects.put(o.type, o.body);
      repo.objects.flush();
      repo.refs.update([{ name: 'refs/heads/main', expected: undefined, next: commit }], 'test', 'lie');
      return fsck(repo).problems;
    } finally {
      repo.close();
    }
  } finally {
    t.cleanup();
  }
}

describe('fsck reports a mistyped or mis-sized reference wherever it is met', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const problems = fsckOf(c);
    expect(problems.length, JSON.stringify(problems)).toBeGreaterThan(0);
    expect(problems.every((p) => p.kind === 'bad-format')).toBe(true);
  });

  test('a tree naming one id as a folder and as a file: reported at the second entry, with its path', () => {
    const problems = fsckOf(CASES[0]!);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'bad-format', type: 'file' });
    expect(problems[0]!.path).toMatch(/^refs\/heads\/main: commit [0-9a-f]{12} file b$/);
    expect(problems[0]!.message).toMatch(/is a tree, but .* uses it as a file/);
  });

  test('a commit whose parent is its own tree: reported, and the tree is still checked', () => {
    const problems = fsckOf(CASES[3]!);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'bad-format', type: 'commit' });
    expect(problems[0]!.path).toMatch(/parent 1$/);
  });

  test('cairn fsck exits 7 on a tree entry that lies about its size', async () => {
    const t = tempDir('cairn-fsck-types-cli-');
    try {
      const repo = Repository.init(t.dir).repo;
      try {
        const objs = new ObjectSet();
        const commit = CASES[5]!.make(objs);
        for (const o of objs.list) repo.objects.put(o.type, o.body);
        repo.objects.flush();
        repo.refs.update([{ name: 'refs/heads/main', expected: undefined, next: commit }], 'test', 'lie');
      } finally {
        repo.close();
      }
      const r = await run(['fsck'], t.dir);
      expect(r.code).toBe(7);
      expect(r.stdout).toMatch(/says entry 'x.txt' holds 999 bytes, but file [0-9a-f]{64} holds 6/);
    } finally {
      t.cleanup();
    }
  });
});

// ---- typed reads and the size reads the checks rest on ----

describe('typed reads refuse an object of another type; sizes come from headers', () => {
  test('readCommit, readTree and readFileObject on an object of another type: BAD_FORMAT', () => {
    const t = tempDir('cairn-typed-reads-');
    try {
      const repo = Repository.init(t.dir).repo;
      try {
        const objs = new ObjectSet();
        const file = objs.file('pwned\n');
        const tree = objs.tree([{ name: 'x.txt', kind: 'file', id: file, size: 6 }]);
        const commit = objs.commit(tree, [], 'm');
        for (const o of objs.list) repo.objects.put(o.type, o.body);
        repo.objects.flush();
        const code = (fn: () => unknown) => {
          try {
            fn();
            return null;
          } catch (err) {
            return (err as CairnError).code;
          }
        };
        expect(code(() => readCommit(repo.objects, tree))).toBe('BAD_FORMAT');
        expect(code(() => readTree(repo.objects, file))).toBe('BAD_FORMAT');
        expect(code(() => readTree(repo.objects, commit))).toBe('BAD_FORMAT');
        expect(code(() => readFileObject(repo.objects, tree))).toBe('BAD_FORMAT');
        expect(code(() => readFileObject(repo.objects, file))).toBeNull();
      } finally {
        repo.close();
      }
    } finally {
      t.cleanup();
    }
  });

  test('PackStore.fileSizes: inline, deflated inline and chunked files, as decodeFile says', () => {
    const t = tempDir('cairn-file-sizes-');
    try {
      const repo = Repository.init(t.dir).repo;
      try {
        const ids = [
          storeBuffer(repo.objects, Buffer.from('six b\n')).id,
          storeBuffer(repo.objects, Buffer.alloc(0)).id,
          storeBuffer(repo.objects, Buffer.from('compressible '.repeat(1000))).id,
          storeBuffer(repo.objects, Buffer.alloc(300_000, 3)).id,
        ];
        repo.objects.flush();
        const comp = repo.db.prepare('SELECT comp FROM objects WHERE id = ?');
        expect((comp.get(ids[2]) as { comp: number }).comp).toBe(1); // the deflate path is taken
        const sizes = repo.objects.fileSizes(repo.objects.whereMany(ids));
        expect(ids.map((id) => sizes.get(id))).toEqual(ids.map((id) => readFileObject(repo.objects, id).size));
        expect(ids.map((id) => sizes.get(id))).toEqual([6, 0, 13_000, 300_000]);
      } finally {
        repo.close();
      }
    } finally {
      t.cleanup();
    }
  });
});
