// `cairn add` and case twins: two names of one folder that differ only in case or Unicode
// normalisation cannot both be committed, so add refuses them (UNSAFE_PATH, exit 7) naming both,
// and stages nothing; and an index left empty never becomes an empty root commit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('cairn-add-'));
  cairnOk(['init'], { cwd: dir });
});
afterEach(() => cleanup());

function put(path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

function stagedPaths(): string[] {
  const s = JSON.parse(cairnOk(['status', '--json'], { cwd: dir })) as { staged: { path: string }[] };
  return s.staged.map((c) => c.path);
}

function refusal(args: string[]): { code: string; data: Record<string, unknown> } {
  const r = runCairn([...args, '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(7);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return (JSON.parse(r.stdout) as { error: { code: string; data: Record<string, unknown> } }).error;
}

describe('cairn add and case twins', () => {
  it('refuses README beside readme with UNSAFE_PATH naming both, stages nothing, and commit makes no empty root commit', () => {
    put('README', 'upper\n');
    put('readme', 'lower\n');
    put('other.txt', 'fine\n');
    const err = refusal(['add', '.']);
    expect(err).toMatchObject({ code: 'UNSAFE_PATH', data: { path: 'README', twin: 'readme', reason: 'case twin' } });
    const human = runCairn(['add', '.'], { cwd: dir });
    expect(human.stderr).toContain("'README' and 'readme'");
    expect(human.stderr).toContain('nothing was staged');
    expect(stagedPaths()).toEqual([]);
    // It used to skip both with a warning, and commit then made an empty root commit.
    const c = runCairn(['commit', '-m', 'first'], { cwd: dir });
    expect(c.code).toBe(1);
    expect(c.stdout).toBe("nothing to commit: no files are staged (use 'cairn add', or --allow-empty)\n");
    expect(runCairn(['log'], { cwd: dir }).code).toBe(4);
    expect(refusal(['commit', '-a', '-m', 'first']).code).toBe('UNSAFE_PATH');
    expect(runCairn(['log'], { cwd: dir }).code).toBe(4);
  });

  it('refuses twins in a subfolder and twins by Unicode normalisation', () => {
    put('data/A.csv', 'a\n');
    put('data/a.csv', 'b\n');
    expect(refusal(['add', 'data'])).toMatchObject({ data: { path: 'data/A.csv', twin: 'data/a.csv' } });
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    put(`n/${nfc}`, '1\n');
    put(`n/${nfd}`, '2\n');
    expect(refusal(['add', 'n']).data['paths']).toEqual([`n/${nfd}`, `n/${nfc}`].sort());
    expect(stagedPaths()).toEqual([]);
  });

  it('refuses a new twin of a tracked file, leaving the index as it was', () => {
    put('README', 'upper\n');
    cairnOk(['add', '.'], { cwd: dir });
    cairnOk(['commit', '-m', 'one'], { cwd: dir });
    put('README', 'changed\n');
    put('readme', 'lower\n');
    expect(refusal(['add', '.']).code).toBe('UNSAFE_PATH');
    expect(stagedPaths()).toEqual([]);
    expect(refusal(['commit', '-a', '-m', 'two']).code).toBe('UNSAFE_PATH');
    expect(cairnOk(['log', '--oneline'], { cwd: dir }).trim().split('\n')).toHaveLength(1);
  });

  it('stages one twin named on its own, and one whose twin .cairnignore leaves out', () => {
    put('README', 'upper\n');
    put('readme', 'lower\n');
    cairnOk(['add', 'README'], { cwd: dir });
    expect(stagedPaths()).toEqual(['README']);
    put('.cairnignore', 'readme\n');
    cairnOk(['add', '.'], { cwd: dir });
    expect(stagedPaths()).toEqual(['.cairnignore', 'README']);
    expect(cairnOk(['commit', '-m', 'one'], { cwd: dir })).toMatch(/^\[main \(root-commit\) [0-9a-f]{12}\] one\n$/);
    // No warning about a twin that is not a candidate.
    expect(runCairn(['status'], { cwd: dir }).stderr).toBe('');
  });

  it('makes no empty root commit when every path was skipped, unless --allow-empty', () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const add = runCairn(['add', '.'], { cwd: dir });
    expect(add.code).toBe(0);
    expect(add.stderr).toContain("skipped 'pipe'");
    expect(runCairn(['commit', '-m', 'first'], { cwd: dir }).code).toBe(1);
    expect(runCairn(['log'], { cwd: dir }).code).toBe(4);
    expect(cairnOk(['commit', '--allow-empty', '-m', 'first'], { cwd: dir })).toMatch(/root-commit/);
  });
});
