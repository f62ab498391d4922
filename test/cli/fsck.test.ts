// `cairn fsck` end to end: golden output for a healthy repository and for a damaged one (human and
// --json), and its exit codes (0 healthy, 7 damaged, 3 outside a repository).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { deleteIndexRow } from '../helpers/fsck-damage.js';
import { hashObject } from '../../src/core/hash.js';
import { encodeInlineFile } from '../../src/core/file-object.js';
import { Repository } from '../../src/store/repository.js';
import { resolveRevision } from '../../src/ops/history/rev-parse.js';

const fid = (content: string) => hashObject('file', encodeInlineFile(Buffer.from(content)));
let tmp: { dir: string; cleanup: () => void };
let cwd: string;

beforeEach(() => {
  tmp = tempDir('cairn-fsck-cli-');
  cwd = tmp.dir;
  cairnOk(['init'], { cwd });
  mkdirSync(join(cwd, 'data'));
  writeFileSync(join(cwd, 'a.txt'), 'alpha\n');
  writeFileSync(join(cwd, 'data/x.csv'), 'id,v\n1,2\n');
  cairnOk(['add', '.'], { cwd });
  cairnOk(['commit', '-m', 'one'], { cwd });
  writeFileSync(join(cwd, 'a.txt'), 'alpha beta\n');
  cairnOk(['commit', '-a', '-m', 'two'], { cwd, env: { CAIRN_COMMIT_TIME: '1700000001000' } });
});
afterEach(() => tmp.cleanup());

describe('cairn fsck', () => {
  it('reports a healthy repository and exits 0', () => {
    expect(runCairn(['fsck'], { cwd })).toEqual({
      code: 0,
      stdout: 'checked 2 commits, 3 trees, 3 files, 0 chunks (26 B)\nno problems found\n',
      stderr: '',
    });
    expect(JSON.parse(cairnOk(['fsck', '--json'], { cwd }))).toEqual({
      ok: true,
      checked: { commits: 2, trees: 3, files: 3, chunks: 0, bytes: 26 },
      problems: [],
    });
  });

  it('names a missing object by id and path, and exits 7', () => {
    const repo = Repository.open(cwd);
    const head = resolveRevision(repo, 'HEAD');
    repo.close();
    const x = fid('id,v\n1,2\n');
    deleteIndexRow(cwd, x);
    const r = runCairn(['fsck'], { cwd });
    expect(r.code).toBe(7);
    expect(r.stdout).toBe(
      `missing file ${x}\n` +
        `  at refs/heads/main: commit ${head.slice(0, 12)} file data/x.csv\n` +
        `  object ${x} is missing from the store; run 'cairn fsck' to see what is lost, and 'cairn fetch --repair' to bring it back from a replica that has it\n` +
        'checked 2 commits, 3 trees, 2 files, 0 chunks (17 B)\n' +
        "1 problem found: bring missing objects back from a replica that has them ('cairn fetch --repair REMOTE'), or restore damaged ones from a backup\n",
    );
    const j = runCairn(['fsck', '--json'], { cwd });
    expect(j.code).toBe(7);
    expect(JSON.parse(j.stdout)).toEqual({
      ok: false,
      checked: { commits: 2, trees: 3, files: 2, chunks: 0, bytes: 17 },
      problems: [
        {
          id: x,
          kind: 'missing',
          type: 'file',
          path: `refs/heads/main: commit ${head.slice(0, 12)} file data/x.csv`,
          message: expect.stringContaining(x),
        },
      ],
    });
  });

  it('exits 3 outside a repository', () => {
    const other = tempDir('cairn-fsck-none-');
    try {
      expect(runCairn(['fsck'], { cwd: other.dir }).code).toBe(3);
    } finally {
      other.cleanup();
    }
  });
});
