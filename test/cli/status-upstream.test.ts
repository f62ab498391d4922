// End to end: `cairn status` against the current branch's upstream — up to date, ahead, behind,
// diverged, gone, none — in the long form, `-sb` and --json. Remote-tracking refs are written with
// the RefStore directly, as a fetch would leave them (no server needed).
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveRevision } from '../../src/ops/history/rev-parse.js';
import { Repository } from '../../src/store/repository.js';
import { cairnOk, tempDir } from '../helpers/cli.js';

let template: { dir: string; cleanup: () => void };
let dir: string;
let cleanup: () => void;
const ok = (...args: string[]) => cairnOk(args, { cwd: dir });

function commitFile(name: string, at: number): void {
  writeFileSync(join(dir, name), `${name}\n`);
  ok('add', name);
  cairnOk(['commit', '-m', name], { cwd: dir, env: { CAIRN_COMMIT_TIME: String(1_700_000_000_000 + at * 60_000) } });
}

/** Points refs/remotes/origin/main at `rev` (null deletes it). */
function setTracking(rev: string | null): void {
  const repo = Repository.open(dir);
  try {
    const id = rev === null ? null : resolveRevision(repo, rev);
    repo.refs.update([{ name: 'refs/remotes/origin/main', expected: undefined, next: id }], 'test', 'fetch');
  } finally {
    repo.close();
  }
}

/** main has commits one, two; origin is configured and main tracks origin/main. */
beforeAll(() => {
  template = tempDir('cairn-status-up-template-');
  dir = template.dir;
  ok('init');
  commitFile('one.txt', 1);
  commitFile('two.txt', 2);
  ok('remote', 'add', 'origin', 'http://127.0.0.1:9/data');
  ok('config', 'branch.main.remote', 'origin');
  ok('config', 'branch.main.merge', 'refs/heads/main');
});
afterAll(() => template.cleanup());
beforeEach(() => {
  ({ dir, cleanup } = tempDir('cairn-status-up-'));
  cpSync(template.dir, dir, { recursive: true });
});
afterEach(() => cleanup());

describe('cairn status with an upstream', () => {
  it('says up to date when the branch equals its upstream', () => {
    setTracking('refs/heads/main');
    expect(ok('status')).toBe("On branch main\nYour branch is up to date with 'origin/main'.\n\nnothing to commit, working tree clean\n");
    expect(ok('status', '-sb')).toBe('## main...origin/main\n');
    expect(JSON.parse(ok('status', '--json'))).toMatchObject({ upstream: 'origin/main', upstreamGone: false, ahead: 0, behind: 0 });
  });

  it('counts commits ahead', () => {
    setTracking('HEAD~1');
    commitFile('three.txt', 3);
    expect(ok('status')).toBe(
      'On branch main\nYour branch is ahead of \'origin/main\' by 2 commits.\n  (use "cairn push" to publish your local commits)\n\nnothing to commit, working tree clean\n',
    );
    expect(ok('status', '-s', '--branch')).toBe('## main...origin/main [ahead 2]\n');
    expect(JSON.parse(ok('status', '--json'))).toMatchObject({ upstream: 'origin/main', ahead: 2, behind: 0 });
  });

  it('counts commits behind, singular for one', () => {
    setTracking('HEAD');
    ok('reset', '--hard', 'HEAD~1');
    expect(ok('status')).toBe(
      'On branch main\nYour branch is behind \'origin/main\' by 1 commit, and can be fast-forwarded.\n  (use "cairn pull" to update your local branch)\n\nnothing to commit, working tree clean\n',
    );
    expect(ok('status', '-sb')).toBe('## main...origin/main [behind 1]\n');
  });

  it('says diverged with both counts, and keeps the short path lines under the header', () => {
    setTracking('HEAD');
    ok('reset', '--hard', 'HEAD~1');
    commitFile('mine.txt', 4);
    writeFileSync(join(dir, 'new.txt'), 'x\n');
    expect(ok('status')).toBe(
      'On branch main\nYour branch and \'origin/main\' have diverged,\nand have 1 and 1 different commits each, respectively.\n  (use "cairn pull" to merge the remote branch into yours)\n\nUntracked files:\n  (use "cairn add <file>..." to include in what will be committed)\n\tnew.txt\n\nno changes added to commit (use "cairn add" or "cairn commit -a")\n',
    );
    expect(ok('status', '-sb')).toBe('## main...origin/main [ahead 1, behind 1]\n?? new.txt\n');
    expect(ok('status', '-s')).toBe('?? new.txt\n');
    expect(JSON.parse(ok('status', '--json'))).toMatchObject({ upstream: 'origin/main', ahead: 1, behind: 1, untracked: ['new.txt'] });
  });

  it('says the upstream is gone when the tracking ref does not exist', () => {
    expect(ok('status')).toBe(
      'On branch main\nYour branch is based on \'origin/main\', but the upstream is gone.\n  (use "cairn fetch origin" to refresh it, or "cairn push origin main" to publish your branch again)\n\nnothing to commit, working tree clean\n',
    );
    expect(ok('status', '-sb')).toBe('## main...origin/main [gone]\n');
    expect(JSON.parse(ok('status', '--json'))).toMatchObject({ upstream: 'origin/main', upstreamGone: true, ahead: null, behind: null });
  });

  it('says nothing about an upstream when none is configured, on a detached HEAD or an unborn branch', () => {
    setTracking('HEAD');
    ok('config', '--unset', 'branch.main.remote');
    expect(ok('status')).toBe('On branch main\n\nnothing to commit, working tree clean\n');
    expect(ok('status', '-sb')).toBe('## main\n');
    expect(JSON.parse(ok('status', '--json'))).toMatchObject({ upstream: null, upstreamGone: false, ahead: null, behind: null });
    ok('config', 'branch.main.remote', 'origin');
    ok('switch', '--detach', 'HEAD~1');
    expect(ok('status', '-sb')).toBe('## HEAD (no branch)\n');
    expect(JSON.parse(ok('status', '--json'))).toMatchObject({ branch: null, upstream: null });
    const repo = Repository.open(dir); // an unborn branch, as right after init
    try {
      repo.refs.setSymbolic('HEAD', { symbolic: true, target: 'refs/heads/fresh' }, 'test', 'unborn');
    } finally {
      repo.close();
    }
    ok('config', 'branch.fresh.remote', 'origin');
    ok('config', 'branch.fresh.merge', 'refs/heads/main');
    expect(ok('status', '-sb')).toMatch(/^## No commits yet on fresh\n/);
  });
});
