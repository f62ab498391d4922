// cairn as git's merge driver, with the real `git merge`: the config lines of docs/MERGE.md, a merge
// git's own line merge conflicts on made clean, and a real conflict reported back to git (exit 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAIRN_BIN, tempDir } from '../helpers/cli.js';

let tmp: { dir: string; cleanup: () => void };
let n = 0;

beforeAll(() => {
  tmp = tempDir('cairn-merge-git-');
});
afterAll(() => tmp.cleanup());

const GIT_ENV = {
  PATH: process.env['PATH'] ?? '',
  HOME: '/nonexistent',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@example.com',
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_DATE: '1700000000 +0000',
  LC_ALL: 'C',
  NO_COLOR: '1',
};

function git(cwd: string, ...args: string[]): { code: number; out: string } {
  const r = spawnSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

function gitOk(cwd: string, ...args: string[]): string {
  const r = git(cwd, ...args);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} exited ${r.code}: ${r.out}`);
  return r.out;
}

/** A repository where branch `theirs` and `main` both edit `file` from one base commit. */
function repoWith(file: string, base: string, ours: string, theirs: string): string {
  const dir = join(tmp.dir, `repo-${++n}`);
  mkdirSync(dir);
  gitOk(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, file), base);
  gitOk(dir, 'add', '.');
  gitOk(dir, 'commit', '-q', '-m', 'base');
  gitOk(dir, 'checkout', '-q', '-b', 'theirs');
  writeFileSync(join(dir, file), theirs);
  gitOk(dir, 'commit', '-q', '-a', '-m', 'theirs');
  gitOk(dir, 'checkout', '-q', 'main');
  writeFileSync(join(dir, file), ours);
  gitOk(dir, 'commit', '-q', '-a', '-m', 'ours');
  return dir;
}

/** The setup docs/MERGE.md gives, with `cairn` spelled as this checkout's launcher. */
function useCairnDriver(dir: string, pattern: string, driverArgs: string): void {
  const cairn = `"${process.execPath}" "${CAIRN_BIN}"`;
  gitOk(dir, 'config', 'merge.cairn.name', 'cairn structural merge');
  gitOk(dir, 'config', 'merge.cairn.driver', `${cairn} merge-file ${driverArgs} %O %A %B`);
  writeFileSync(join(dir, '.git', 'info', 'attributes'), `${pattern} merge=cairn\n`);
}

// Edits of adjacent lines: one hunk for git's line merge, two keys for a structural one.
const BASE = '{\n  "name": "widget",\n  "price": 10,\n  "stock": 5\n}\n';
const OURS = '{\n  "name": "widget",\n  "price": 12,\n  "stock": 5\n}\n';
const THEIRS = '{\n  "name": "widget",\n  "price": 10,\n  "stock": 7\n}\n';

describe('cairn merge-file as a git merge driver', () => {
  it("git's own merge conflicts on edits of two adjacent keys", () => {
    const dir = repoWith('item.json', BASE, OURS, THEIRS);
    const r = git(dir, 'merge', '--no-edit', 'theirs');
    expect(r.code).toBe(1);
    expect(r.out).toContain('CONFLICT (content): Merge conflict in item.json');
    expect(readFileSync(join(dir, 'item.json'), 'utf8')).toContain('<<<<<<<');
  });

  it('with the driver, git merge succeeds and commits the structural merge', () => {
    const dir = repoWith('item.json', BASE, OURS, THEIRS);
    useCairnDriver(dir, '*.json', '--path %P');
    const r = git(dir, 'merge', '--no-edit', 'theirs');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'item.json'), 'utf8')).toBe('{\n  "name": "widget",\n  "price": 12,\n  "stock": 7\n}\n');
    expect(gitOk(dir, 'status', '--porcelain')).toBe('');
    expect(gitOk(dir, 'log', '--format=%P', '-1').trim().split(' ')).toHaveLength(2);
    expect(gitOk(dir, 'show', 'HEAD:item.json')).toBe(readFileSync(join(dir, 'item.json'), 'utf8'));
  });

  it('with --driver json (git hands the driver temporary names without the extension)', () => {
    const dir = repoWith('item.data', BASE, OURS, THEIRS);
    useCairnDriver(dir, '*.data', '--driver json');
    expect(git(dir, 'merge', '--no-edit', 'theirs').code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'item.data'), 'utf8'))).toEqual({ name: 'widget', price: 12, stock: 7 });
  });

  it('merges JSON Lines records edited on both sides', () => {
    const base = '{"id":1,"qty":1,"note":"a"}\n{"id":2,"qty":1,"note":"b"}\n';
    const ours = '{"id":1,"qty":5,"note":"a"}\n{"id":2,"qty":1,"note":"b"}\n';
    const theirs = '{"id":1,"qty":1,"note":"A"}\n{"id":2,"qty":1,"note":"b"}\n{"id":3,"qty":0,"note":"c"}\n';
    const dir = repoWith('stock.jsonl', base, ours, theirs);
    expect(git(dir, 'merge', '--no-edit', 'theirs').code).toBe(1);
    gitOk(dir, 'merge', '--abort');
    useCairnDriver(dir, '*.jsonl', '--path %P');
    expect(git(dir, 'merge', '--no-edit', 'theirs').code).toBe(0);
    expect(readFileSync(join(dir, 'stock.jsonl'), 'utf8')).toBe(
      '{"id":1,"qty":5,"note":"A"}\n{"id":2,"qty":1,"note":"b"}\n{"id":3,"qty":0,"note":"c"}\n',
    );
  });

  it("a real conflict: the driver exits 1, git reports it and leaves valid JSON holding ours' value", () => {
    const dir = repoWith('item.json', BASE, OURS, THEIRS.replace('"price": 10', '"price": 11'));
    useCairnDriver(dir, '*.json', '--path %P');
    const r = git(dir, 'merge', '--no-edit', 'theirs');
    expect(r.code).toBe(1);
    expect(r.out).toContain('CONFLICT (content): Merge conflict in item.json');
    // The driver's own report (its stderr) names the pointer and the three values.
    expect(r.out).toContain('both-modified /price: base 10, ours 12, theirs 11');
    expect(JSON.parse(readFileSync(join(dir, 'item.json'), 'utf8'))).toEqual({ name: 'widget', price: 12, stock: 7 });
    expect(gitOk(dir, 'diff', '--name-only', '--diff-filter=U')).toBe('item.json\n');
    // The three versions stay in git's index for the user to resolve.
    expect(gitOk(dir, 'show', ':3:item.json')).toContain('"price": 11');
  });

  it('an invalid JSON side makes the driver fail (exit >= 2) and git report a conflict', () => {
    const dir = repoWith('item.json', BASE, OURS, '{ "price": ');
    useCairnDriver(dir, '*.json', '--path %P');
    const r = git(dir, 'merge', '--no-edit', 'theirs');
    expect(r.code).toBe(1);
    expect(r.out).toContain('cannot decode JSON file');
    expect(gitOk(dir, 'diff', '--name-only', '--diff-filter=U')).toBe('item.json\n');
  });
});
