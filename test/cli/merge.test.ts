// End-to-end: the built `cairn` binary's merge — fast-forward, --no-ff, --ff-only, a clean
// structural JSON merge, refusals, --favor, merge-base — with golden human and --json output.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';

const tmp = tempDir('cairn-cli-merge-');
afterAll(() => tmp.cleanup());

let n = 0;
export function fresh(): string {
  const dir = join(tmp.dir, `r${n++}`);
  mkdirSync(dir);
  cairnOk(['init'], { cwd: dir });
  return dir;
}

const T0 = 1_700_000_000_000;
/** Commits everything with the clock at T0 + `at` seconds. */
function commitAll(dir: string, message: string, at = 0): string {
  cairnOk(['commit', '-a', '-m', message], { cwd: dir, env: { CAIRN_COMMIT_TIME: String(T0 + at * 1000) } });
  return id(dir, 'HEAD');
}
const id = (dir: string, rev: string) => cairnOk(['rev-parse', rev], { cwd: dir }).trim();
const parents = (dir: string, rev: string): string[] => JSON.parse(cairnOk(['log', '--json', '-n', '1', rev], { cwd: dir })).parents;
const json = (s: string) => JSON.stringify(JSON.parse(s), null, 2) + '\n';

/** main: product.json + notes.txt; feature: one commit on top, main: untouched. */
function linear(): string {
  const dir = fresh();
  writeFileSync(join(dir, 'product.json'), json('{"name": "widget", "price": 10, "tags": ["a"]}'));
  writeFileSync(join(dir, 'notes.txt'), 'one\ntwo\nthree\n');
  commitAll(dir, 'base');
  cairnOk(['switch', '-c', 'feature'], { cwd: dir });
  writeFileSync(join(dir, 'notes.txt'), 'one\ntwo\nthree\nfour\n');
  writeFileSync(join(dir, 'extra.csv'), 'id,v\n1,x\n');
  commitAll(dir, 'feature work', 10);
  cairnOk(['switch', 'main'], { cwd: dir });
  return dir;
}

/** Diverged: main and feature each edit a different key of product.json. */
function diverged(): string {
  const dir = linear();
  cairnOk(['switch', 'feature'], { cwd: dir });
  writeFileSync(join(dir, 'product.json'), json('{"name": "widget", "price": 12, "tags": ["a"]}'));
  commitAll(dir, 'reprice', 20);
  cairnOk(['switch', 'main'], { cwd: dir });
  writeFileSync(join(dir, 'product.json'), json('{"name": "Widget Pro", "price": 10, "tags": ["a", "b"]}'));
  commitAll(dir, 'rename and tag', 30);
  return dir;
}

describe('cairn merge: fast-forward', () => {
  it('moves the branch and the files, human and --json', () => {
    const dir = linear();
    const main = id(dir, 'main');
    const feature = id(dir, 'feature');
    const out = cairnOk(['merge', 'feature'], { cwd: dir });
    expect(out).toBe(`Updating ${main.slice(0, 12)}..${feature.slice(0, 12)}\nFast-forward (2 file(s) updated, 0 removed)\n`);
    expect(id(dir, 'main')).toBe(feature);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('one\ntwo\nthree\nfour\n');
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('');
    expect(cairnOk(['merge', 'feature'], { cwd: dir })).toBe('Already up to date.\n');
    const again = JSON.parse(cairnOk(['merge', '--json', 'feature'], { cwd: dir }));
    expect(again).toMatchObject({ status: 'up-to-date', head: feature, theirs: feature, conflicts: [] });
  });

  it('--no-ff makes a two-parent merge commit even when a fast-forward is possible', () => {
    const dir = linear();
    const main = id(dir, 'main');
    const feature = id(dir, 'feature');
    const res = JSON.parse(cairnOk(['merge', '--no-ff', '--json', 'feature'], { cwd: dir }));
    expect(res).toMatchObject({
      status: 'merged',
      branch: 'main',
      previous: main,
      theirs: feature,
      bases: [main],
      conflicts: [],
      settled: 0,
    });
    expect(parents(dir, 'main')).toEqual([main, feature]);
    expect(JSON.parse(cairnOk(['log', '--json', '-n', '1'], { cwd: dir })).message).toBe("Merge branch 'feature'\n");
    expect(readFileSync(join(dir, 'extra.csv'), 'utf8')).toBe('id,v\n1,x\n');
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('');
  });

  it('--ff-only refuses diverged histories with exit 6 and changes nothing', () => {
    const dir = diverged();
    const main = id(dir, 'main');
    const before = readFileSync(join(dir, 'product.json'), 'utf8');
    const r = runCairn(['merge', '--ff-only', '--json', 'feature'], { cwd: dir });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).error.code).toBe('REJECTED');
    expect(id(dir, 'main')).toBe(main);
    expect(readFileSync(join(dir, 'product.json'), 'utf8')).toBe(before);
  });
});

describe('cairn merge: three-way', () => {
  it('merges two edits of different keys of one JSON file cleanly (golden output)', () => {
    const dir = diverged();
    const main = id(dir, 'main');
    const feature = id(dir, 'feature');
    const out = cairnOk(['merge', 'feature'], { cwd: dir });
    const merged = id(dir, 'main');
    expect(out).toBe(`Auto-merging product.json (json)\nMerge made: [main ${merged.slice(0, 12)}] (3 file(s) updated, 0 removed)\n`);
    expect(readFileSync(join(dir, 'product.json'), 'utf8')).toBe(json('{"name": "Widget Pro", "price": 12, "tags": ["a", "b"]}'));
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('one\ntwo\nthree\nfour\n');
    expect(parents(dir, 'main')).toEqual([main, feature]);
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe('');
    expect(runCairn(['fsck'], { cwd: dir }).code).toBe(0);
  });

  it('reports the merge as JSON', () => {
    const dir = diverged();
    const main = id(dir, 'main');
    const feature = id(dir, 'feature');
    const res = JSON.parse(cairnOk(['merge', '--json', 'feature'], { cwd: dir }));
    expect(res).toEqual({
      status: 'merged',
      branch: 'main',
      previous: main,
      head: id(dir, 'main'),
      theirs: feature,
      theirsLabel: 'feature',
      bases: [id(dir, 'main~1~1')],
      commit: id(dir, 'main'),
      merged: [{ path: 'product.json', driver: 'json', conflicts: 0, settled: 0 }],
      renames: [],
      conflicts: [],
      settled: 0,
      updated: 3,
      removed: 0,
      resumed: false,
    });
  });

  it('is deterministic: the same merge on two clones gives the same commit id', () => {
    const a = diverged();
    const b = diverged();
    cairnOk(['merge', 'feature'], { cwd: a });
    cairnOk(['merge', 'feature'], { cwd: b });
    expect(id(a, 'main')).toBe(id(b, 'main'));
  });

  it('refuses with exit 6 when a file it touches has uncommitted changes, and changes nothing', () => {
    const dir = diverged();
    writeFileSync(join(dir, 'product.json'), '{"mine": true}\n');
    const r = runCairn(['merge', '--json', 'feature'], { cwd: dir });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'DIRTY_WORKTREE', data: { paths: ['product.json'] } });
    expect(readFileSync(join(dir, 'product.json'), 'utf8')).toBe('{"mine": true}\n');
    expect(runCairn(['conflicts', '--json'], { cwd: dir }).stdout).toBe('{"merging":false,"paths":[]}\n');
  });

  it('refuses with exit 6 while changes are staged', () => {
    const dir = diverged();
    writeFileSync(join(dir, 'other.txt'), 'staged\n');
    cairnOk(['add', 'other.txt'], { cwd: dir });
    const r = runCairn(['merge', '--json', 'feature'], { cwd: dir });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'DIRTY_WORKTREE', data: { paths: ['other.txt'] } });
  });

  it('keeps unstaged edits of files the merge does not touch', () => {
    const dir = diverged();
    writeFileSync(join(dir, 'unrelated.txt'), 'u\n');
    commitAll(dir, 'add unrelated', 40);
    writeFileSync(join(dir, 'unrelated.txt'), 'edited, not committed\n');
    cairnOk(['merge', 'feature'], { cwd: dir });
    expect(readFileSync(join(dir, 'unrelated.txt'), 'utf8')).toBe('edited, not committed\n');
    expect(cairnOk(['status', '--short'], { cwd: dir })).toBe(' M unrelated.txt\n');
  });
});

describe('cairn merge --favor', () => {
  /** Both sides change price; main's commit is newer than feature's. */
  function conflicting(): string {
    const dir = linear();
    cairnOk(['switch', 'feature'], { cwd: dir });
    writeFileSync(join(dir, 'product.json'), json('{"name": "widget", "price": 12, "tags": ["a"]}'));
    commitAll(dir, 'feature price', 20);
    cairnOk(['switch', 'main'], { cwd: dir });
    writeFileSync(join(dir, 'product.json'), json('{"name": "widget", "price": 11, "tags": ["x"]}'));
    commitAll(dir, 'main price', 30);
    return dir;
  }

  it('theirs settles every conflict for the merged branch and says how many', () => {
    const dir = conflicting();
    const out = cairnOk(['merge', '--favor', 'theirs', 'feature'], { cwd: dir });
    expect(out).toBe(
      `Auto-merging product.json (json)\nSettled 1 conflict(s) in favor of feature (--favor theirs).\nMerge made: [main ${id(dir, 'main').slice(0, 12)}] (3 file(s) updated, 0 removed)\n`,
    );
    expect(JSON.parse(readFileSync(join(dir, 'product.json'), 'utf8'))).toEqual({ name: 'widget', price: 12, tags: ['x'] });
  });

  it('newer picks the side whose commit is more recent (here ours), reported in --json', () => {
    const dir = conflicting();
    const res = JSON.parse(cairnOk(['merge', '--favor', 'newer', '--json', 'feature'], { cwd: dir }));
    expect(res).toMatchObject({ status: 'merged', settled: 1, favored: 'ours', conflicts: [] });
    expect(JSON.parse(readFileSync(join(dir, 'product.json'), 'utf8'))).toEqual({ name: 'widget', price: 11, tags: ['x'] });
  });

  it('newer picks theirs when their commit is the later one', () => {
    const dir = conflicting();
    cairnOk(['switch', 'feature'], { cwd: dir });
    writeFileSync(join(dir, 'product.json'), json('{"name": "widget", "price": 13, "tags": ["a"]}'));
    commitAll(dir, 'later feature price', 50);
    cairnOk(['switch', 'main'], { cwd: dir });
    const res = JSON.parse(cairnOk(['merge', '--favor', 'newer', '--json', 'feature'], { cwd: dir }));
    expect(res).toMatchObject({ status: 'merged', settled: 1, favored: 'theirs' });
    expect(JSON.parse(readFileSync(join(dir, 'product.json'), 'utf8')).price).toBe(13);
  });

  it('rejects an unknown rule with exit 2', () => {
    const dir = conflicting();
    expect(runCairn(['merge', '--favor', 'mine', 'feature'], { cwd: dir }).code).toBe(2);
  });
});

describe('cairn merge-base', () => {
  it('prints the base, --all every base, --json a list; exit 1 without common history', () => {
    const dir = diverged();
    const base = id(dir, 'feature~1~1');
    expect(cairnOk(['merge-base', 'main', 'feature'], { cwd: dir })).toBe(`${base}\n`);
    expect(cairnOk(['merge-base', '--all', 'feature', 'main'], { cwd: dir })).toBe(`${base}\n`);
    expect(cairnOk(['merge-base', '--json', 'main', 'feature'], { cwd: dir })).toBe(`{"bases":["${base}"]}\n`);
  });

  it('lists both bases of a criss-cross history and notes it', () => {
    const dir = diverged();
    const main1 = id(dir, 'main');
    const feat1 = id(dir, 'feature');
    // Cross-merge both ways: main merges feature, feature merges the old main tip.
    cairnOk(['merge', 'feature'], { cwd: dir, env: { CAIRN_COMMIT_TIME: String(T0 + 100_000) } });
    cairnOk(['switch', 'feature'], { cwd: dir });
    cairnOk(['merge', main1], { cwd: dir, env: { CAIRN_COMMIT_TIME: String(T0 + 110_000) } });
    expect(parents(dir, 'feature')).toEqual([feat1, main1]);
    const r = runCairn(['merge-base', 'main', 'feature'], { cwd: dir });
    expect(r.stdout).toBe(`${feat1}\n`);
    expect(r.stderr).toBe("note: 2 best common ancestors (criss-cross history); see 'cairn merge-base --all'\n");
    expect(cairnOk(['merge-base', '--all', 'main', 'feature'], { cwd: dir })).toBe(`${feat1}\n${main1}\n`);
    // Merging the two cross-merges goes through a virtual base and says so.
    cairnOk(['switch', 'main'], { cwd: dir });
    const out = cairnOk(['merge', 'feature'], { cwd: dir, env: { CAIRN_COMMIT_TIME: String(T0 + 120_000) } });
    expect(out).toBe(
      `Merge base: virtual, merged from 2 common ancestors (criss-cross history)\nMerge made: [main ${id(dir, 'main').slice(0, 12)}] (0 file(s) updated, 0 removed)\n`,
    );
  });
});
