// End to end: log (long, --oneline, -n, --json, --graph), show, cat, ls and rev-parse on the built
// binary, with golden output under a fixed author and clock.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAIRN_BIN, TEST_ENV, cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { makeCommit, tempRepo } from '../helpers/history-repo.js';
import { LogGraph, besideGraph } from '../../src/cli/log-graph.js';
import { EXIT } from '../../src/cli/exit.js';

const C1 = 'a6a29e9bdd13287a690660ee66602c625fb763f343c3c9c1a0b55c8f57e48dfc';
const C2 = 'a730a208ad5703a60557d8abea94649c811163095a3b2a0964b58922d4c8704f';
const TREE1 = '70bbd035c6c8b54ef6155fecbcd015aad9b7229c149548eb959eefb6d01f4794';
const TREE2 = 'a853bdb36892cc7396d58d4815f6141e72be8a00e51ca512965bff1c6d608525';

let dir: string;
let cleanup: () => void;
const cairn = (...args: string[]) => runCairn(args, { cwd: dir });
const ok = (...args: string[]) => cairnOk(args, { cwd: dir });

/** Two commits: data/{users.json,people.csv}; then users.json edited, people.csv gone, notes.txt and a symlink added. */
beforeAll(() => {
  ({ dir, cleanup } = tempDir('cairn-history-cli-'));
  ok('init');
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data/users.json'), '{"a":1}\n');
  writeFileSync(join(dir, 'data/people.csv'), 'id,name\n1,ada\n');
  ok('add', '.');
  cairnOk(['commit', '-m', 'first snapshot'], { cwd: dir, env: { CAIRN_COMMIT_TIME: '1700000000000' } });
  writeFileSync(join(dir, 'data/users.json'), '{"a":2}\n');
  rmSync(join(dir, 'data/people.csv'));
  writeFileSync(join(dir, 'notes.txt'), 'hello\n');
  symlinkSync('data/users.json', join(dir, 'latest'));
  ok('add', '.');
  cairnOk(['commit', '-m', 'second snapshot\n\nwith a body'], { cwd: dir, env: { CAIRN_COMMIT_TIME: '1700000060000' } });
  ok('tag', 'v1', 'HEAD~1');
});
afterAll(() => cleanup());

describe('cairn log', () => {
  it('prints git-style entries with decorations, newest first', () => {
    expect(ok('log')).toBe(
      `commit ${C2} (HEAD -> main)
Author: Test <test@example.com>
Date:   Tue Nov 14 22:14:20 2023 +0000

    second snapshot

    with a body

commit ${C1} (tag: v1)
Author: Test <test@example.com>
Date:   Tue Nov 14 22:13:20 2023 +0000

    first snapshot
`,
    );
  });

  it('prints one line per commit with --oneline, and honours -n and a start revision', () => {
    expect(ok('log', '--oneline')).toBe('a730a208ad57 (HEAD -> main) second snapshot\na6a29e9bdd13 (tag: v1) first snapshot\n');
    expect(ok('log', '--oneline', '-n', '1')).toBe('a730a208ad57 (HEAD -> main) second snapshot\n');
    expect(ok('log', '--oneline', 'v1')).toBe('a6a29e9bdd13 (tag: v1) first snapshot\n');
    expect(ok('log', '--oneline', '--graph')).toBe(
      '* a730a208ad57 (HEAD -> main) second snapshot\n* a6a29e9bdd13 (tag: v1) first snapshot\n',
    );
  });

  it('prints one JSON object per line with full ids, ISO time and milliseconds', () => {
    const lines = ok('log', '--json').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        id: C2,
        parents: [C1],
        tree: TREE2,
        author: { name: 'Test', email: 'test@example.com' },
        time: '2023-11-14T22:14:20.000Z',
        timeMs: 1700000060000,
        tzOffset: 0,
        message: 'second snapshot\n\nwith a body\n',
        meta: {},
        refs: ['HEAD -> main'],
      },
      {
        id: C1,
        parents: [],
        tree: TREE1,
        author: { name: 'Test', email: 'test@example.com' },
        time: '2023-11-14T22:13:20.000Z',
        timeMs: 1700000000000,
        tzOffset: 0,
        message: 'first snapshot\n',
        meta: {},
        refs: ['tag: v1'],
      },
    ]);
  });

  it('refuses a bad count and an unknown revision with their exit codes', () => {
    expect(cairn('log', '-n', 'x').code).toBe(EXIT.USAGE);
    const r = cairn('log', 'nope');
    expect(r.code).toBe(EXIT.NOT_FOUND);
    expect(r.stdout).toBe('');
  });

  it('exits NOT_FOUND on a branch without commits, and says so on --json', () => {
    const t = tempDir();
    try {
      cairnOk(['init'], { cwd: t.dir });
      const r = runCairn(['log'], { cwd: t.dir });
      expect(r.code).toBe(EXIT.NOT_FOUND);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain("'main'");
      const j = runCairn(['log', '--json'], { cwd: t.dir });
      expect(j.code).toBe(EXIT.NOT_FOUND);
      expect(JSON.parse(j.stdout).error.code).toBe('NOT_FOUND');
    } finally {
      t.cleanup();
    }
  });
});

describe('cairn log --graph', () => {
  /** base <- a (main), base <- b (feature), M = merge [a, b] on main. */
  function mergeRepo() {
    const t = tempRepo();
    const base = makeCommit(t.repo, { files: { x: 'x' }, message: 'base', at: 0 });
    t.repo.refs.update([{ name: 'refs/heads/feature', expected: null, next: base }], 'test', 'branch');
    const a = makeCommit(t.repo, { files: { x: 'x', a: 'a' }, message: 'a on main', at: 10 });
    const b = makeCommit(t.repo, { files: { x: 'x', b: 'b' }, message: 'b on feature', at: 20, branch: 'feature' });
    const m = makeCommit(t.repo, { files: { x: 'x', a: 'a', b: 'b' }, message: 'merge feature', at: 30, parents: [a, b] });
    t.repo.close();
    const s = (id: string) => id.slice(0, 12);
    return { dir: t.dir, base: s(base), a: s(a), b: s(b), m: s(m), cleanup: () => rmSync(t.dir, { recursive: true, force: true }) };
  }

  it('draws a merge with lanes like git', () => {
    const r = mergeRepo();
    try {
      expect(cairnOk(['log', '--graph', '--oneline'], { cwd: r.dir })).toBe(
        `*   ${r.m} (HEAD -> main) merge feature
|\\
| * ${r.b} (feature) b on feature
* | ${r.a} a on main
|/
* ${r.base} base
`,
      );
    } finally {
      r.cleanup();
    }
  });

  it('draws the long form with the lanes beside every line', () => {
    const r = mergeRepo();
    try {
      const out = cairnOk(['log', '--graph', '-n', '2'], { cwd: r.dir });
      expect(out.split('\n').map((l) => l.replace(/[0-9a-f]{64}/, 'ID').replace(/(Merge:) .*/, '$1 …'))).toEqual([
        '*   commit ID (HEAD -> main)',
        '|\\  Merge: …',
        '| | Author: Test <test@example.com>',
        '| | Date:   Tue Nov 14 22:13:50 2023 +0000',
        '| |',
        '| |     merge feature',
        '| |',
        '| * commit ID (feature)',
        '| | Author: Test <test@example.com>',
        '| | Date:   Tue Nov 14 22:13:40 2023 +0000',
        '| |',
        '| |     b on feature',
        '',
      ]);
    } finally {
      r.cleanup();
    }
  });
});

describe('LogGraph', () => {
  const draw = (commits: [string, string[]][]) => {
    const g = new LogGraph();
    return commits.flatMap(([id, parents]) => besideGraph(g.next(id, parents), [id])).join('\n');
  };

  it('keeps a linear history in one lane', () => {
    expect(
      draw([
        ['c', ['b']],
        ['b', ['a']],
        ['a', []],
      ]),
    ).toBe('* c\n* b\n* a');
  });

  it('opens a lane for a second tip and closes it where it joins', () => {
    expect(
      draw([
        ['t1', ['base']],
        ['t2', ['base']],
        ['base', []],
      ]),
    ).toBe('* t1\n| * t2\n|/\n* base');
  });

  it('forks three ways for an octopus merge and shifts lanes on the right', () => {
    expect(
      draw([
        ['m', ['p1', 'p2', 'p3']],
        ['p3', ['r']],
        ['p2', ['r']],
        ['p1', ['r']],
        ['r', []],
      ]),
    ).toBe(['*     m', '|\\', '| |\\', '| | * p3', '| * | p2', '| |/', '* | p1', '|/', '* r'].join('\n'));
  });

  it('routes a lane across others, one column per row, to the lane it joins', () => {
    expect(
      draw([
        ['t', ['base']],
        ['m', ['a', 'b']],
        ['b', ['base']],
        ['a', ['base']],
        ['base', []],
      ]),
    ).toBe(['* t', '| *   m', '| |\\', '| | * b', '| |/', '|/|', '| * a', '|/', '* base'].join('\n'));
  });
});

describe('cairn show', () => {
  it('prints the commit and its changed files with sizes', () => {
    expect(ok('show')).toBe(
      `commit ${C2} (HEAD -> main)
Author: Test <test@example.com>
Date:   Tue Nov 14 22:14:20 2023 +0000

    second snapshot

    with a body

D data/people.csv (14 B)
M data/users.json (8 B -> 8 B)
A latest (15 B)
A notes.txt (6 B)
4 files changed (2 added, 1 modified, 1 deleted), 21 B added, 14 B removed
`,
    );
  });

  it('lists a root commit as all additions, in JSON with full ids', () => {
    expect(JSON.parse(ok('show', '--json', 'v1'))).toEqual({
      commit: {
        id: C1,
        parents: [],
        tree: TREE1,
        author: { name: 'Test', email: 'test@example.com' },
        time: '2023-11-14T22:13:20.000Z',
        timeMs: 1700000000000,
        tzOffset: 0,
        message: 'first snapshot\n',
        meta: {},
        refs: ['tag: v1'],
      },
      changes: [
        {
          path: 'data/people.csv',
          change: 'added',
          old: null,
          new: { id: '96faa707d1f1a7b6a70f5c131dc8c2f84480ad07da0861a6d05cd7ff4ad53cfc', kind: 'file', size: 14 },
        },
        {
          path: 'data/users.json',
          change: 'added',
          old: null,
          new: { id: 'f3c35f44bf11e380660d2a2411fdfa40b2053bb4d3e2d16f972e5e7a90d6012b', kind: 'file', size: 8 },
        },
      ],
      summary: { files: 2, added: 2, modified: 0, deleted: 0, typechange: 0, bytesAdded: 22, bytesRemoved: 0 },
    });
  });

  it('prints a file for REV:PATH, and its entry with --json', () => {
    expect(ok('show', 'v1:data/people.csv')).toBe('id,name\n1,ada\n');
    expect(JSON.parse(ok('show', '--json', 'v1:data/people.csv'))).toEqual({
      commit: C1,
      path: 'data/people.csv',
      kind: 'file',
      id: '96faa707d1f1a7b6a70f5c131dc8c2f84480ad07da0861a6d05cd7ff4ad53cfc',
      size: 14,
    });
    expect(JSON.parse(ok('show', '--json', 'HEAD:data'))).toMatchObject({ commit: C2, path: 'data', kind: 'tree', size: 8 });
  });
});

describe('cairn cat', () => {
  it('prints committed content, not the worktree, and a symlink as its target', () => {
    writeFileSync(join(dir, 'notes.txt'), 'changed in the worktree\n');
    try {
      expect(ok('cat', 'HEAD:notes.txt')).toBe('hello\n');
      expect(ok('cat', 'HEAD~1:data/users.json')).toBe('{"a":1}\n');
      expect(ok('cat', ':data/users.json')).toBe('{"a":2}\n');
      expect(ok('cat', 'HEAD:latest')).toBe('data/users.json');
    } finally {
      writeFileSync(join(dir, 'notes.txt'), 'hello\n');
    }
  });

  it('refuses a folder (USAGE), a missing path (NOT_FOUND) and a bare revision (USAGE)', () => {
    expect(cairn('cat', 'HEAD:data').code).toBe(EXIT.USAGE);
    expect(cairn('cat', 'HEAD:').code).toBe(EXIT.USAGE);
    expect(cairn('cat', 'HEAD:nope.txt').code).toBe(EXIT.NOT_FOUND);
    expect(cairn('cat', 'HEAD~1:notes.txt').code).toBe(EXIT.NOT_FOUND);
    expect(cairn('cat', 'HEAD').code).toBe(EXIT.USAGE);
    expect(cairn('cat', 'HEAD:../x').code).toBe(EXIT.USAGE);
  });

  it('streams a large chunked file byte for byte', () => {
    const t = tempDir();
    try {
      cairnOk(['init'], { cwd: t.dir });
      const big = Buffer.alloc(6 << 20);
      let x = 12345;
      for (let i = 0; i < big.length; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        big[i] = x >>> 24;
      }
      writeFileSync(join(t.dir, 'big.bin'), big);
      cairnOk(['add', 'big.bin'], { cwd: t.dir });
      cairnOk(['commit', '-m', 'big'], { cwd: t.dir });
      rmSync(join(t.dir, 'big.bin'));
      const r = spawnSync(process.execPath, [CAIRN_BIN, 'cat', 'HEAD:big.bin'], {
        cwd: t.dir,
        env: { ...process.env, ...TEST_ENV },
        maxBuffer: 64 << 20,
      });
      expect(r.status).toBe(0);
      expect(Buffer.compare(r.stdout, big)).toBe(0);
    } finally {
      t.cleanup();
    }
  });

  it('stops quietly when the reader closes the pipe early', async () => {
    const t = tempDir();
    try {
      cairnOk(['init'], { cwd: t.dir });
      writeFileSync(join(t.dir, 'big.bin'), Buffer.alloc(8 << 20, 7));
      cairnOk(['add', 'big.bin'], { cwd: t.dir });
      cairnOk(['commit', '-m', 'big'], { cwd: t.dir });
      const child = spawn(process.execPath, [CAIRN_BIN, 'cat', 'HEAD:big.bin'], { cwd: t.dir, env: { ...process.env, ...TEST_ENV } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
      expect(stderr).not.toContain('internal error');
      expect(code).toBe(0);
    } finally {
      t.cleanup();
    }
  });
});

describe('cairn ls', () => {
  it('lists a folder, folders first-class with a trailing slash', () => {
    expect(ok('ls')).toBe('data/\nlatest\nnotes.txt\n');
    expect(ok('ls', 'v1:data')).toBe('people.csv\nusers.json\n');
    expect(ok('ls', 'v1:data/people.csv')).toBe('people.csv\n');
  });

  it('lists recursively in long form with kind, short id and size', () => {
    expect(ok('ls', '-r', '-l')).toBe(
      'file     4ad53bdc72c7   8  data/users.json\nsymlink  d9fc41d0c679  15  latest\nfile     3c9514236068   6  notes.txt\n',
    );
  });

  it('prints one JSON object per entry with full ids', () => {
    expect(
      ok('ls', '--json')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { name: 'data', path: 'data', kind: 'tree', id: '0ee41eaa58b525ec1b96c13240d2b2fa26aa555b4d1a3a369f74d145982baace', size: 8 },
      { name: 'latest', path: 'latest', kind: 'symlink', id: 'd9fc41d0c67909789fa3c5ce9686df303d7075ee26819192fea2f3f51ffcd630', size: 15 },
      {
        name: 'notes.txt',
        path: 'notes.txt',
        kind: 'file',
        id: '3c9514236068c0b64dbae48b34c183b0b1c78c6de8dcd1344f59f36b3c69dee5',
        size: 6,
      },
    ]);
  });

  it('reports a missing path as NOT_FOUND', () => {
    expect(cairn('ls', 'HEAD:nope').code).toBe(EXIT.NOT_FOUND);
  });
});

describe('cairn rev-parse', () => {
  it('prints full ids for revisions, short ids on request, and entry ids for REV:PATH', () => {
    expect(ok('rev-parse', 'HEAD', 'v1', 'main~1', C2.slice(0, 6))).toBe(`${C2}\n${C1}\n${C1}\n${C2}\n`);
    expect(ok('rev-parse', '--short', 'HEAD')).toBe(`${C2.slice(0, 12)}\n`);
    expect(ok('rev-parse', '--short', '--abbrev', '6', 'HEAD')).toBe(`${C2.slice(0, 6)}\n`);
    expect(ok('rev-parse', 'HEAD:notes.txt')).toBe('3c9514236068c0b64dbae48b34c183b0b1c78c6de8dcd1344f59f36b3c69dee5\n');
    expect(ok('rev-parse', 'HEAD:', 'v1:')).toBe(`${TREE2}\n${TREE1}\n`);
    expect(JSON.parse(ok('rev-parse', '--json', 'v1'))).toEqual({ rev: 'v1', id: C1 });
  });

  it('exits NOT_FOUND for an unknown revision and USAGE for a bad abbreviation length', () => {
    expect(cairn('rev-parse', 'nope').code).toBe(EXIT.NOT_FOUND);
    expect(cairn('rev-parse', 'HEAD~5').code).toBe(EXIT.NOT_FOUND);
    expect(cairn('rev-parse', '--short', '--abbrev', '2', 'HEAD').code).toBe(EXIT.USAGE);
  });
});
