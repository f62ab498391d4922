// End-to-end: a merge that stops on conflicts — golden merge, status and conflicts output (human
// and --json), commit refused, resolve (--ours/--theirs/--pointer/worktree), --continue making a
// two-parent commit, and --abort restoring the pre-merge files byte for byte.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';

const tmp = tempDir('cairn-cli-merge-conflicts-');
afterAll(() => tmp.cleanup());

const T0 = 1_700_000_000_000;
let n = 0;
const ok = (dir: string, args: string[], at?: number) =>
  cairnOk(args, { cwd: dir, ...(at !== undefined ? { env: { CAIRN_COMMIT_TIME: String(T0 + at * 1000) } } : {}) });
const id = (dir: string, rev: string) => ok(dir, ['rev-parse', rev]).trim();

/** main and feature both edit /price, line 2 of notes.txt; feature deletes gone.txt, main edits it. */
function conflicted(): { dir: string; main: string; feature: string } {
  const dir = join(tmp.dir, `r${n++}`);
  mkdirSync(dir);
  ok(dir, ['init']);
  writeFileSync(join(dir, 'product.json'), '{\n  "name": "widget",\n  "price": 10,\n  "stock": {"berlin": 5, "paris": 3}\n}\n');
  writeFileSync(join(dir, 'notes.txt'), 'one\ntwo\nthree\n');
  writeFileSync(join(dir, 'gone.txt'), 'keep\n');
  ok(dir, ['commit', '-a', '-m', 'base'], 0);
  ok(dir, ['switch', '-c', 'feature']);
  writeFileSync(join(dir, 'product.json'), '{\n  "name": "widget",\n  "price": 12,\n  "stock": {"berlin": 5, "paris": 4}\n}\n');
  writeFileSync(join(dir, 'notes.txt'), 'one\nTWO feature\nthree\n');
  ok(dir, ['rm', 'gone.txt']);
  ok(dir, ['commit', '-a', '-m', 'feature edits'], 10);
  ok(dir, ['switch', 'main']);
  writeFileSync(join(dir, 'product.json'), '{\n  "name": "widget",\n  "price": 11,\n  "stock": {"berlin": 6, "paris": 3}\n}\n');
  writeFileSync(join(dir, 'notes.txt'), 'one\nTWO main\nthree\n');
  writeFileSync(join(dir, 'gone.txt'), 'keep, edited\n');
  ok(dir, ['commit', '-a', '-m', 'main edits'], 20);
  return { dir, main: id(dir, 'main'), feature: id(dir, 'feature') };
}

/** Every file under `dir` except .cairn: bytes (base64) and mode, for byte-identity checks. */
function snapshot(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    if (rel === '' && name === '.cairn') continue;
    const p = rel === '' ? name : `${rel}/${name}`;
    const st = lstatSync(join(dir, p));
    if (st.isDirectory()) Object.assign(out, snapshot(dir, p));
    else out[p] = `${(st.mode & 0o777).toString(8)} ${readFileSync(join(dir, p)).toString('base64')}`;
  }
  return out;
}

describe('a merge stopped by conflicts', () => {
  it('reports them (golden), exits 5 and leaves valid files holding ours at each conflict', () => {
    const { dir } = conflicted();
    const r = runCairn(['merge', 'feature'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(r.stdout).toBe(
      'Auto-merging notes.txt (text)\n' +
        'Auto-merging product.json (json)\n' +
        "CONFLICT (modify/delete): gone.txt deleted in feature and modified in main; main's version left in the worktree\n" +
        'CONFLICT (content): notes.txt: 1 conflict(s) at lines 2-2 (text)\n' +
        'CONFLICT (content): product.json: 1 conflict(s) at /price (json)\n' +
        "Automatic merge failed: 3 conflicted path(s). Fix them and mark them with 'cairn resolve PATH' (see 'cairn conflicts'), then run 'cairn merge --continue' (or 'cairn merge --abort').\n",
    );
    // Valid JSON, ours' price, theirs' clean change (paris) merged in.
    expect(readFileSync(join(dir, 'product.json'), 'utf8')).toBe(
      '{\n  "name": "widget",\n  "price": 11,\n  "stock": {"berlin": 6, "paris": 4}\n}\n',
    );
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe(
      'one\n<<<<<<< main\nTWO main\n=======\nTWO feature\n>>>>>>> feature\nthree\n',
    );
    expect(readFileSync(join(dir, 'gone.txt'), 'utf8')).toBe('keep, edited\n');
  });

  it('shows in status (human, short, --json)', () => {
    const { dir, feature } = conflicted();
    runCairn(['merge', 'feature'], { cwd: dir });
    expect(ok(dir, ['status'])).toBe(
      'On branch main\n' +
        "You have unmerged paths (merging 'feature').\n" +
        '  (fix conflicts and run "cairn merge --continue")\n' +
        '  (use "cairn merge --abort" to abort the merge)\n' +
        '\nUnmerged paths:\n' +
        '  (use "cairn conflicts" to see them, "cairn resolve <path>..." to mark resolution)\n' +
        '\tdeleted by them: gone.txt\n' +
        '\tboth modified:   notes.txt\n' +
        '\tboth modified:   product.json\n',
    );
    expect(ok(dir, ['status', '--short'])).toBe('UD gone.txt\nUU notes.txt\nUU product.json\n');
    const js = JSON.parse(ok(dir, ['status', '--json']));
    expect(js.merge).toEqual({
      theirs: feature,
      theirsLabel: 'feature',
      phase: 'conflicts',
      unmerged: [
        { path: 'gone.txt', kind: 'modify-delete' },
        { path: 'notes.txt', kind: 'content' },
        { path: 'product.json', kind: 'content' },
      ],
      resolved: 0,
    });
  });

  it('lists each conflict with base, ours and theirs (human and --json)', () => {
    const { dir, main, feature } = conflicted();
    runCairn(['merge', 'feature'], { cwd: dir });
    const file = (rev: string, p: string) => id(dir, `${rev}:${p}`);
    expect(ok(dir, ['conflicts'])).toBe(
      `Merging 'feature' (${feature.slice(0, 12)}) into ${main.slice(0, 12)}: 3 unresolved path(s), 0 resolved\n` +
        '\ngone.txt  [modify-delete]\n' +
        '  (whole file)  modify-delete\n' +
        `    base:   {"kind":"file","id":"${file('main~1', 'gone.txt')}","size":5}\n` +
        `    ours:   {"kind":"file","id":"${file('main', 'gone.txt')}","size":13}\n` +
        '    theirs: (absent)\n' +
        '\nnotes.txt  [text, content]\n' +
        '  lines 2-2  both-modified\n' +
        '    base:   "two\\n"\n    ours:   "TWO main\\n"\n    theirs: "TWO feature\\n"\n' +
        '\nproduct.json  [json, content]\n' +
        '  /price  both-modified\n' +
        '    base:   10\n    ours:   11\n    theirs: 12\n',
    );
    const js = JSON.parse(ok(dir, ['conflicts', '--json']));
    expect(js).toMatchObject({ merging: true, ours: main, theirs: feature, theirsLabel: 'feature', phase: 'conflicts' });
    expect(
      js.paths.map((p: { path: string; kind: string; driver: string | null; resolved: boolean }) => [p.path, p.kind, p.driver, p.resolved]),
    ).toEqual([
      ['gone.txt', 'modify-delete', null, false],
      ['notes.txt', 'content', 'text', false],
      ['product.json', 'content', 'json', false],
    ]);
    expect(js.paths[2].conflicts).toEqual([{ location: '/price', kind: 'both-modified', base: 10, ours: 11, theirs: 12 }]);
    expect(js.paths[2].theirs).toEqual({ path: 'product.json', kind: 'file', id: file('feature', 'product.json'), size: 76 });
    expect(js.paths[0].conflicts[0].theirs).toBeUndefined();
    expect(JSON.parse(ok(dir, ['conflicts', '--json', 'notes.txt'])).paths.map((p: { path: string }) => p.path)).toEqual(['notes.txt']);
  });

  it('refuses commit and a new merge with exit 5 until every path is resolved', () => {
    const { dir, main } = conflicted();
    runCairn(['merge', 'feature'], { cwd: dir });
    const c = runCairn(['commit', '-m', 'too early', '--json'], { cwd: dir });
    expect(c.code).toBe(5);
    expect(JSON.parse(c.stdout).error).toMatchObject({
      code: 'UNRESOLVED_CONFLICTS',
      data: { paths: ['gone.txt', 'notes.txt', 'product.json'] },
    });
    expect(runCairn(['merge', '--continue'], { cwd: dir }).code).toBe(5);
    expect(runCairn(['merge', 'feature'], { cwd: dir }).code).toBe(5);
    expect(id(dir, 'main')).toBe(main);
  });

  it('resolves by side, by pointer and by hand; --continue commits two parents', () => {
    const { dir, main, feature } = conflicted();
    runCairn(['merge', 'feature'], { cwd: dir });
    expect(ok(dir, ['resolve', 'product.json', '--pointer', '/price', '--value', '12.50'])).toBe(
      'Resolved product.json at /price (value)\n2 conflicted path(s) remain: gone.txt, notes.txt\n',
    );
    // Exact number text kept; ours' formatting kept.
    expect(readFileSync(join(dir, 'product.json'), 'utf8')).toBe(
      '{\n  "name": "widget",\n  "price": 12.50,\n  "stock": {"berlin": 6, "paris": 4}\n}\n',
    );
    expect(ok(dir, ['resolve', 'gone.txt', '--theirs'])).toBe('Resolved gone.txt (theirs)\n1 conflicted path(s) remain: notes.txt\n');
    expect(existsSync(join(dir, 'gone.txt'))).toBe(false);
    writeFileSync(join(dir, 'notes.txt'), 'one\nTWO both\nthree\n');
    expect(ok(dir, ['resolve', 'notes.txt'])).toBe(
      "Resolved notes.txt (as in the worktree)\nAll conflicts resolved: run 'cairn merge --continue' to commit the merge.\n",
    );
    expect(ok(dir, ['status', '--short'])).toBe('D  gone.txt\nM  notes.txt\nM  product.json\n');
    const out = ok(dir, ['merge', '--continue'], 30);
    const merged = id(dir, 'main');
    expect(out).toBe(`[main ${merged.slice(0, 12)}] Merge branch 'feature'\n`);
    expect(JSON.parse(ok(dir, ['log', '--json', '-n', '1'])).parents).toEqual([main, feature]);
    expect(ok(dir, ['status', '--short'])).toBe('');
    expect(ok(dir, ['conflicts'])).toBe('No merge in progress.\n');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('one\nTWO both\nthree\n');
    expect(runCairn(['fsck'], { cwd: dir }).code).toBe(0);
  });

  it('--ours / --theirs on a file keep both sides’ clean changes, conflicts take that side', () => {
    const { dir } = conflicted();
    runCairn(['merge', 'feature'], { cwd: dir });
    ok(dir, ['resolve', 'product.json', '--theirs']);
    expect(JSON.parse(readFileSync(join(dir, 'product.json'), 'utf8'))).toEqual({
      name: 'widget',
      price: 12,
      stock: { berlin: 6, paris: 4 },
    });
    ok(dir, ['resolve', 'notes.txt', '--ours']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('one\nTWO main\nthree\n');
    ok(dir, ['resolve', 'gone.txt', '--ours']);
    expect(readFileSync(join(dir, 'gone.txt'), 'utf8')).toBe('keep, edited\n');
    // A plain commit concludes the merge too, with MERGE_HEAD as second parent.
    ok(dir, ['commit', '-m', 'merged by hand'], 40);
    expect(JSON.parse(ok(dir, ['log', '--json', '-n', '1'])).parents).toHaveLength(2);
  });

  it('refuses bad resolutions with clear codes', () => {
    const { dir } = conflicted();
    runCairn(['merge', 'feature'], { cwd: dir });
    expect(runCairn(['resolve', 'nope.txt'], { cwd: dir }).code).toBe(4);
    expect(runCairn(['resolve', 'notes.txt', '--pointer', '/x', '--value', '1'], { cwd: dir }).code).toBe(2);
    expect(runCairn(['resolve', 'product.json', '--pointer', '/name', '--value', '1'], { cwd: dir }).code).toBe(4);
    expect(runCairn(['resolve', 'product.json', '--pointer', '/price', '--value', '{bad'], { cwd: dir }).code).toBe(7);
    expect(runCairn(['resolve', 'product.json', '--ours', '--theirs'], { cwd: dir }).code).toBe(2);
    expect(JSON.parse(ok(dir, ['status', '--json'])).merge.resolved).toBe(0);
  });
});

describe('cairn merge --abort', () => {
  it('restores files, index and HEAD byte for byte, keeping unrelated local work', () => {
    const { dir, main } = conflicted();
    // Local work the merge does not touch: an untracked file and an unstaged edit.
    writeFileSync(join(dir, 'scratch.tmp'), 'untracked\n');
    writeFileSync(join(dir, 'extra.txt'), 'e\n');
    ok(dir, ['add', 'extra.txt']);
    ok(dir, ['commit', '-m', 'extra'], 25);
    const head = id(dir, 'main');
    writeFileSync(join(dir, 'extra.txt'), 'e, edited locally\n');
    const before = snapshot(dir);
    const statusBefore = ok(dir, ['status', '--short']);
    expect(runCairn(['merge', 'feature'], { cwd: dir }).code).toBe(5);
    // Half-way through resolving: one file rewritten, one resolved, one edited by hand.
    ok(dir, ['resolve', 'gone.txt', '--theirs']);
    writeFileSync(join(dir, 'notes.txt'), 'my attempt\n');
    ok(dir, ['resolve', 'product.json', '--theirs']);
    expect(snapshot(dir)).not.toEqual(before);
    expect(ok(dir, ['merge', '--abort'])).toBe(
      `Merge aborted: HEAD, index and files are back at ${head.slice(0, 12)} (3 file(s) restored, 0 removed).\n`,
    );
    expect(snapshot(dir)).toEqual(before);
    expect(ok(dir, ['status', '--short'])).toBe(statusBefore);
    expect(id(dir, 'main')).toBe(head);
    expect(head).not.toBe(main);
    expect(ok(dir, ['conflicts', '--json'])).toBe('{"merging":false,"paths":[]}\n');
    expect(runCairn(['merge', '--abort'], { cwd: dir }).code).toBe(2);
    expect(runCairn(['fsck'], { cwd: dir }).code).toBe(0);
    // The same merge can be run again afterwards.
    expect(runCairn(['merge', 'feature'], { cwd: dir }).code).toBe(5);
  });

  it('removes files the merge added', () => {
    const { dir } = conflicted();
    ok(dir, ['switch', 'feature']);
    writeFileSync(join(dir, 'new-from-feature.csv'), 'id\n1\n');
    ok(dir, ['add', 'new-from-feature.csv']);
    ok(dir, ['commit', '-m', 'add a file'], 15);
    ok(dir, ['switch', 'main']);
    const before = snapshot(dir);
    runCairn(['merge', 'feature'], { cwd: dir });
    expect(existsSync(join(dir, 'new-from-feature.csv'))).toBe(true);
    const res = JSON.parse(ok(dir, ['merge', '--abort', '--json']));
    expect(res.removed).toEqual(['new-from-feature.csv']);
    expect(snapshot(dir)).toEqual(before);
    expect(ok(dir, ['status', '--short'])).toBe('');
  });
});
