// `cairn diff` end to end: golden human, --stat, --name-*, and --json output for each pair of sides,
// path limits (also from a subfolder), argument disambiguation and --exit-code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { hashObject } from '../../src/core/hash.js';
import { encodeInlineFile } from '../../src/core/file-object.js';
import { Repository } from '../../src/store/repository.js';
import { resolveRevision } from '../../src/ops/history/rev-parse.js';

const fid = (content: string) => hashObject('file', encodeInlineFile(Buffer.from(content)));
let tmp: { dir: string; cleanup: () => void };
let cwd: string;
let c1: string;
let c2: string;

function put(path: string, content: string): void {
  mkdirSync(dirname(join(cwd, path)), { recursive: true });
  writeFileSync(join(cwd, path), content);
}

beforeAll(() => {
  tmp = tempDir('cairn-diff-cli-');
  cwd = tmp.dir;
  cairnOk(['init'], { cwd });
  put('a.txt', 'alpha\n');
  put('run.sh', 'echo hi\n');
  put('data/x.csv', 'id,v\n1,2\n');
  put('data/sub/y.json', '{"y":1}\n');
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'one'], { cwd });
  put('data/x.csv', 'id,v\n1,2\n3,4\n');
  put('data/new.txt', 'new\n');
  unlinkSync(join(cwd, 'data/sub/y.json'));
  cairnOk(['commit', '-a', '-m', 'two'], { cwd, env: { CAIRN_COMMIT_TIME: '1700000001000' } });
  const repo = Repository.open(cwd);
  c1 = resolveRevision(repo, 'HEAD~1');
  c2 = resolveRevision(repo, 'HEAD');
  repo.close();
  // Unstaged: a.txt grows, run.sh becomes executable, data/x.csv is deleted; one untracked file.
  put('a.txt', 'alpha beta\n');
  chmodSync(join(cwd, 'run.sh'), 0o755);
  unlinkSync(join(cwd, 'data/x.csv'));
  put('untracked.txt', 'u\n');
});
afterAll(() => tmp.cleanup());

const UNSTAGED = 'M a.txt (6 B -> 11 B)\nD data/x.csv (13 B)\nM run.sh (file -> exec)\n';

describe('cairn diff (index vs worktree)', () => {
  it('prints one line per changed path with sizes, and no untracked files', () => {
    expect(cairnOk(['diff'], { cwd })).toBe(UNSTAGED);
  });

  it('prints --name-only and --name-status', () => {
    expect(cairnOk(['diff', '--name-only'], { cwd })).toBe('a.txt\ndata/x.csv\nrun.sh\n');
    expect(cairnOk(['diff', '--name-status'], { cwd })).toBe('M\ta.txt\nD\tdata/x.csv\nM\trun.sh\n');
  });

  it('prints a --stat table with totals', () => {
    expect(cairnOk(['diff', '--stat'], { cwd })).toBe(
      [
        ' M a.txt      | 6 B -> 11 B (+5 B)',
        ' D data/x.csv | deleted, 13 B',
        ' M run.sh     | file -> exec',
        ' 3 files changed (2 modified, 1 deleted), 5 B added, 13 B removed',
        '',
      ].join('\n'),
    );
  });

  it('prints --json with both sides of every change', () => {
    const out = JSON.parse(cairnOk(['diff', '--json'], { cwd })) as unknown;
    expect(out).toEqual({
      from: { type: 'index' },
      to: { type: 'worktree' },
      changes: [
        {
          path: 'a.txt',
          change: 'modified',
          old: { id: fid('alpha\n'), kind: 'file', size: 6 },
          new: { id: fid('alpha beta\n'), kind: 'file', size: 11 },
        },
        { path: 'data/x.csv', change: 'deleted', old: { id: fid('id,v\n1,2\n3,4\n'), kind: 'file', size: 13 }, new: null },
        {
          path: 'run.sh',
          change: 'modified',
          old: { id: fid('echo hi\n'), kind: 'file', size: 8 },
          new: { id: fid('echo hi\n'), kind: 'exec', size: 8 },
        },
      ],
      summary: { files: 3, added: 0, modified: 2, deleted: 1, typechange: 0, bytesAdded: 5, bytesRemoved: 13 },
    });
  });

  it('exits 1 with --exit-code when there are differences, 0 when there are none', () => {
    expect(runCairn(['diff', '--exit-code'], { cwd })).toMatchObject({ code: 1, stdout: UNSTAGED });
    expect(runCairn(['diff', '--exit-code', '--', 'data/sub'], { cwd })).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('cairn diff with revisions', () => {
  it('--cached and --staged compare HEAD with the index: nothing staged yet', () => {
    expect(cairnOk(['diff', '--cached'], { cwd })).toBe('');
    expect(cairnOk(['diff', '--staged', 'HEAD~1'], { cwd })).toBe(
      'A data/new.txt (4 B)\nD data/sub/y.json (8 B)\nM data/x.csv (9 B -> 13 B)\n',
    );
  });

  it('REV compares a commit with the worktree', () => {
    expect(cairnOk(['diff', 'HEAD~1'], { cwd })).toBe(
      'M a.txt (6 B -> 11 B)\nA data/new.txt (4 B)\nD data/sub/y.json (8 B)\nD data/x.csv (9 B)\nM run.sh (file -> exec)\n',
    );
  });

  it('A B compares two commits, and -- limits to paths', () => {
    expect(cairnOk(['diff', 'HEAD~1', 'HEAD'], { cwd })).toBe(
      'A data/new.txt (4 B)\nD data/sub/y.json (8 B)\nM data/x.csv (9 B -> 13 B)\n',
    );
    expect(cairnOk(['diff', 'HEAD~1', 'HEAD', '--', 'data/sub'], { cwd })).toBe('D data/sub/y.json (8 B)\n');
    const json = JSON.parse(cairnOk(['diff', '--json', c1, c2, '--', 'data/x.csv'], { cwd })) as unknown;
    expect(json).toEqual({
      from: { type: 'commit', id: c1 },
      to: { type: 'commit', id: c2 },
      changes: [
        {
          path: 'data/x.csv',
          change: 'modified',
          old: { id: fid('id,v\n1,2\n'), kind: 'file', size: 9 },
          new: { id: fid('id,v\n1,2\n3,4\n'), kind: 'file', size: 13 },
        },
      ],
      summary: { files: 1, added: 0, modified: 1, deleted: 0, typechange: 0, bytesAdded: 4, bytesRemoved: 0 },
    });
  });

  it('takes paths relative to the current folder and prints repository paths', () => {
    expect(cairnOk(['diff', 'HEAD~1', 'HEAD', '--', '.'], { cwd: join(cwd, 'data/sub') })).toBe('D data/sub/y.json (8 B)\n');
    expect(cairnOk(['diff', '--name-only', 'HEAD~1', 'HEAD', '--', 'sub', 'new.txt'], { cwd: join(cwd, 'data') })).toBe(
      'data/new.txt\ndata/sub/y.json\n',
    );
  });
});

describe('cairn diff arguments', () => {
  it('tells revisions from paths without --, as git does', () => {
    expect(cairnOk(['diff', 'HEAD~1', 'HEAD', 'data/sub'], { cwd })).toBe('D data/sub/y.json (8 B)\n');
    expect(cairnOk(['diff', 'a.txt'], { cwd })).toBe('M a.txt (6 B -> 11 B)\n');
    // data/x.csv is gone from disk but still tracked: still a path.
    expect(cairnOk(['diff', 'data/x.csv'], { cwd })).toBe('D data/x.csv (13 B)\n');
  });

  it('refuses unknown names, names that are both, and too many revisions', () => {
    expect(runCairn(['diff', 'no-such-thing'], { cwd }).code).toBe(4);
    put('main', 'a file named like the branch\n');
    try {
      expect(runCairn(['diff', 'main'], { cwd }).code).toBe(2);
      expect(cairnOk(['diff', 'main', '--', 'a.txt'], { cwd })).toBe('M a.txt (6 B -> 11 B)\n');
    } finally {
      unlinkSync(join(cwd, 'main'));
    }
    expect(runCairn(['diff', 'HEAD', 'HEAD', 'HEAD', '--', 'a.txt'], { cwd }).code).toBe(2);
    expect(runCairn(['diff', '--cached', 'HEAD~1', 'HEAD'], { cwd }).code).toBe(2);
    expect(runCairn(['diff', 'HEAD', '--', '../outside'], { cwd }).code).toBe(2);
  });

  it('reports errors as JSON with --json', () => {
    const r = runCairn(['diff', '--json', 'no-such-thing'], { cwd });
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
