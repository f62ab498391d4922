// Sync end to end with a real `cairn serve` on 127.0.0.1: first push creates the repository and
// sets the upstream; clone -> commit -> push -> fetch on another clone yields identical refs and
// every replica (the server's too) passes fsck; pull fast-forwards and merges data; non-fast-forward
// pushes exit 6 unless --force; tags travel with --tags and conflicting tags are kept; a no-op
// fetch is one request; --json results and progress lines parse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cairnOk, runCairn, spawnCairn, tempDir, type RunResult } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';

let tmp: { dir: string; cleanup: () => void };
let server: TestServer;
let url: string;
let A: string;
let B: string;
let S: string;

const ok = (cwd: string, ...args: string[]) => cairnOk(args, { cwd });
const run = (cwd: string, ...args: string[]) => runCairn(args, { cwd });

/** Runs cairn without blocking, so independent commands share the machine's cores. */
function start(cwd: string, ...args: string[]): Promise<RunResult> {
  const p = spawnCairn(args, { cwd });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    p.once('error', reject);
    p.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs several commands at once; each must exit 0; returns their stdout in order. */
async function all(...cmds: [string, ...string[]][]): Promise<string[]> {
  const res = await Promise.all(cmds.map(([cwd, ...args]) => start(cwd, ...args)));
  res.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`cairn ${cmds[i]!.slice(1).join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  });
  return res.map((r) => r.stdout);
}

const ids = (out: string) => out.trim().split('\n');

function records(values: string[]): string {
  return `${JSON.stringify({ records: values.map((v, i) => ({ id: i + 1, v })) }, null, 2)}\n`;
}

function bigJsonl(tag: string): string {
  return Array.from({ length: 1500 }, (_, i) => JSON.stringify({ id: i, tag, pad: `row ${i} `.repeat(3) })).join('\n') + '\n';
}

/** Every JSON line on stderr (progress events), parsed; fails on a line that is not JSON. */
function progressLines(stderr: string): { progress: string; done: number }[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { progress: string; done: number });
}

function requestLines(): { endpoint: string; status: number; repo: string }[] {
  return server
    .log()
    .split('\n')
    .filter((l) => l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as { endpoint: string; status: number; repo: string });
}

/** Waits until the server's log stops growing (its lines arrive asynchronously). */
async function settledLog(): Promise<number> {
  let n = requestLines().length;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const m = requestLines().length;
    if (m === n && i >= 2) break;
    n = m;
  }
  return n;
}

beforeAll(async () => {
  tmp = tempDir('cairn-sync-e2e-');
  server = await startServer(join(tmp.dir, 'srv'));
  url = `${server.url}/team/data`;
  A = join(tmp.dir, 'a');
  B = join(tmp.dir, 'b');
  S = join(server.root, 'team', 'data');
  mkdirSync(A);
  ok(A, 'init');
  writeFileSync(join(A, 'data.json'), records(['a', 'b', 'c']));
  writeFileSync(join(A, 'big.jsonl'), bigJsonl('one'));
  await all([A, 'commit', '-a', '-m', 'first'], [A, 'remote', 'add', 'origin', url]);
});

afterAll(async () => {
  await server?.stop();
  tmp?.cleanup();
});

describe('sync with a real server', () => {
  let first = '';

  it('creates the repository on first push and makes it the upstream', async () => {
    const r = run(A, 'push', 'origin', 'main', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as {
      refs: { dst: string; status: string; old: string | null; new: string }[];
      upstreams: string[];
      received: number;
    };
    first = res.refs[0]!.new;
    expect(res.refs).toEqual([expect.objectContaining({ dst: 'refs/heads/main', status: 'ok', old: null })]);
    expect(res.upstreams).toEqual(['main -> origin/main']);
    expect(res.received).toBeGreaterThan(3);
    expect(progressLines(r.stderr).length).toBeGreaterThan(0);
    const [config, revs] = await all([A, 'config', '--list', '--json'], [A, 'rev-parse', 'main', 'origin/main']);
    expect(JSON.parse(config!)).toMatchObject({ 'branch.main.remote': 'origin', 'branch.main.merge': 'refs/heads/main' });
    expect(ids(revs!)).toEqual([first, first]);
  });

  it('clones with --json, checks out the files and tracks the remote branch', async () => {
    const r = run(tmp.dir, 'clone', url, 'b', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { branch: string; head: string; files: number; resumed: boolean };
    expect(res).toMatchObject({ branch: 'main', head: first, files: 2, resumed: false });
    const events = progressLines(r.stderr);
    expect(events.some((e) => e.progress === 'receiving')).toBe(true);
    expect(readFileSync(join(B, 'data.json'), 'utf8')).toBe(records(['a', 'b', 'c']));
    expect(readFileSync(join(B, 'big.jsonl'), 'utf8')).toBe(bigJsonl('one'));
    const [config, status] = await all([B, 'config', '--list', '--json'], [B, 'status']);
    expect(JSON.parse(config!)).toMatchObject({
      'branch.main.remote': 'origin',
      'branch.main.merge': 'refs/heads/main',
      'remote.origin.url': url,
    });
    expect(status).toContain("up to date with 'origin/main'");
  });

  it('commit, push, fetch on the other clone: identical refs and fsck clean everywhere', async () => {
    writeFileSync(join(A, 'data.json'), records(['A1', 'b', 'c']));
    writeFileSync(join(A, 'big.jsonl'), bigJsonl('two'));
    ok(A, 'commit', '-a', '-m', 'second');
    expect(ok(A, 'push')).toContain('main');
    const r = run(B, 'fetch', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { updated: { ref: string; old: string; new: string }[]; received: number };
    expect(res.received).toBeGreaterThan(0);
    expect(progressLines(r.stderr).some((e) => e.progress === 'receiving')).toBe(true);
    const [revA, revB, revS, log, diff, status, ...fscks] = await all(
      [A, 'rev-parse', 'main', 'origin/main', 'main~1'],
      [B, 'rev-parse', 'origin/main', 'main'],
      [tmp.dir, '-C', S, 'rev-parse', 'main'],
      [B, 'log', '--oneline', 'origin/main'],
      [B, 'diff', 'main', 'origin/main'],
      [B, 'status'],
      [A, 'fsck'],
      [B, 'fsck'],
      [tmp.dir, '-C', S, 'fsck'],
    );
    const tip = ids(revA!)[0]!;
    expect(res.updated).toEqual([{ ref: 'refs/remotes/origin/main', old: first, new: tip }]);
    expect(ids(revA!)).toEqual([tip, tip, first]);
    expect(ids(revB!)).toEqual([tip, first]);
    expect(ids(revS!)).toEqual([tip]);
    expect(log).toContain('second');
    expect(diff).toContain('data.json');
    expect(status).toMatch(/behind 'origin\/main' by 1 commit/);
    for (const f of fscks) expect(f).toContain('no problems found');
  });

  it('makes a no-op fetch exactly one request', async () => {
    const before = await settledLog();
    expect(ok(B, 'fetch')).toContain('Already up to date');
    const after = await settledLog();
    expect(after - before).toBe(1);
    expect(requestLines().at(-1)).toMatchObject({ endpoint: 'refs', status: 200, repo: 'team/data' });
  });

  it('pulls a fast-forward', () => {
    expect(ok(B, 'pull')).toMatch(/Fast-forward/i);
    expect(readFileSync(join(B, 'data.json'), 'utf8')).toBe(records(['A1', 'b', 'c']));
    expect(readFileSync(join(B, 'big.jsonl'), 'utf8')).toBe(bigJsonl('two'));
  });

  it('pulls with a data merge when both clones edited different records', async () => {
    writeFileSync(join(A, 'data.json'), records(['A2', 'b', 'c']));
    writeFileSync(join(B, 'data.json'), records(['A1', 'b', 'B3']));
    await all([A, 'commit', '-a', '-m', 'A edits record 1'], [B, 'commit', '-a', '-m', 'B edits record 3']);
    ok(A, 'push');
    const r = run(B, 'pull', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { fetch: { updated: unknown[] }; merge: { status: string } };
    expect(res.fetch.updated).toHaveLength(1);
    expect(res.merge.status).not.toBe('conflicts');
    expect(JSON.parse(readFileSync(join(B, 'data.json'), 'utf8'))).toEqual(JSON.parse(records(['A2', 'b', 'B3'])));
    ok(B, 'push');
    expect(ok(A, 'pull')).toMatch(/Fast-forward/i);
    const [revA, revB, revS] = await all(
      [A, 'rev-parse', 'main', 'origin/main'],
      [B, 'rev-parse', 'main', 'HEAD^2'],
      [tmp.dir, '-C', S, 'rev-parse', 'main'],
    );
    const merged = ids(revB!)[0]!;
    expect(ids(revA!)).toEqual([merged, merged]);
    expect(ids(revS!)).toEqual([merged]);
    expect(ids(revB!)[1]).not.toBe(merged);
    expect(JSON.parse(readFileSync(join(A, 'data.json'), 'utf8'))).toEqual(JSON.parse(records(['A2', 'b', 'B3'])));
  });

  it('refuses a non-fast-forward push with exit 6, and --force overrides it', async () => {
    writeFileSync(join(A, 'a-only.txt'), 'from A\n');
    writeFileSync(join(B, 'b-only.txt'), 'from B\n');
    await all([A, 'commit', '-a', '-m', 'A moves on'], [B, 'commit', '-a', '-m', 'B moves on']);
    const pushed = JSON.parse(ok(A, 'push', '--json')) as { refs: { new: string }[] };
    const r = run(B, 'push');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('fetch and merge first');
    expect(ok(tmp.dir, '-C', S, 'rev-parse', 'main').trim()).toBe(pushed.refs[0]!.new);
    const f = run(B, 'push', '--force', '--json');
    expect(f.code).toBe(0);
    const forced = (JSON.parse(f.stdout) as { refs: { forced: boolean; new: string }[] }).refs[0]!;
    expect(forced.forced).toBe(true);
    const [revS, revB] = await all([tmp.dir, '-C', S, 'rev-parse', 'main'], [B, 'rev-parse', 'main', 'origin/main'], [A, 'fetch']);
    expect(ids(revS!)).toEqual([forced.new]);
    expect(ids(revB!)).toEqual([forced.new, forced.new]);
    // A's commit is now off the branch: A resets onto it for the next tests.
    ok(A, 'reset', '--hard', 'origin/main');
  });

  it('pushes tags with --tags; a fetch keeps a conflicting local tag and reports it', async () => {
    await all([A, 'tag', 'v1'], [B, 'tag', 'v2', 'HEAD']);
    ok(A, 'tag', 'v2', 'HEAD~1');
    const p = run(A, 'push', '--tags', '--json');
    expect(p.code).toBe(0);
    const pushed = (JSON.parse(p.stdout) as { refs: { dst: string; status: string }[] }).refs;
    expect(
      pushed
        .filter((r) => r.dst.startsWith('refs/tags/'))
        .map((r) => r.dst)
        .sort(),
    ).toEqual(['refs/tags/v1', 'refs/tags/v2']);
    const r = run(B, 'fetch', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { updated: { ref: string }[]; tagConflicts: { ref: string; local: string; remote: string }[] };
    const [revA, revB, again] = await all([A, 'rev-parse', 'v1', 'v2'], [B, 'rev-parse', 'v1', 'v2', 'HEAD'], [B, 'fetch']);
    const [v1, v2] = ids(revA!);
    const [bv1, bv2, bHead] = ids(revB!);
    expect(res.tagConflicts).toEqual([{ ref: 'refs/tags/v2', local: bHead, remote: v2 }]);
    expect(res.updated.map((u) => u.ref)).toContain('refs/tags/v1');
    expect([bv1, bv2]).toEqual([v1, bHead]);
    expect(v2).not.toBe(bHead);
    expect(again).toContain('[kept] v2');
    // Pushing the conflicting tag is a rejection, not an overwrite.
    const t = run(B, 'push', 'origin', 'v2');
    expect(t.code).toBe(6);
    expect(ok(tmp.dir, '-C', S, 'rev-parse', 'v2').trim()).toBe(v2);
  });

  it('sets the upstream of a new branch with push -u, then pushes to it with no arguments', async () => {
    ok(A, 'switch', '-c', 'feature');
    writeFileSync(join(A, 'feature.txt'), 'f\n');
    ok(A, 'commit', '-a', '-m', 'feature work');
    const r = run(A, 'push', '-u', 'origin', 'feature:topic');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Branch feature -> origin/topic set as upstream.');
    writeFileSync(join(A, 'feature.txt'), 'f2\n');
    ok(A, 'commit', '-a', '-m', 'more feature work');
    ok(A, 'push');
    const [revS, revA] = await all([tmp.dir, '-C', S, 'rev-parse', 'topic'], [A, 'rev-parse', 'feature', 'origin/topic']);
    const [feature] = ids(revA!);
    expect(ids(revS!)).toEqual([feature]);
    expect(ids(revA!)).toEqual([feature, feature]);
  });

  it('deletes a remote branch with push --delete; fetch --prune then drops the stale tracking ref elsewhere', async () => {
    ok(A, 'push', 'origin', 'feature:doomed');
    ok(B, 'fetch');
    const feature = ok(A, 'rev-parse', 'feature').trim();
    expect(ok(B, 'rev-parse', 'origin/doomed').trim()).toBe(feature);
    const d = run(A, 'push', 'origin', '--delete', 'doomed', '--json');
    expect(d.code, d.stderr).toBe(0);
    expect((JSON.parse(d.stdout) as { refs: unknown[] }).refs).toEqual([
      { dst: 'refs/heads/doomed', old: feature, new: null, status: 'ok', forced: false },
    ]);
    expect(run(tmp.dir, '-C', S, 'rev-parse', 'doomed').code).toBe(4);
    expect(run(A, 'rev-parse', 'origin/doomed').code).toBe(4);
    // Elsewhere a plain fetch keeps the stale tracking ref; --prune deletes it, and only it.
    ok(B, 'fetch');
    expect(run(B, 'rev-parse', 'origin/doomed').code).toBe(0);
    const p = run(B, 'fetch', '--prune', '--json');
    expect(p.code, p.stderr).toBe(0);
    expect((JSON.parse(p.stdout) as { pruned: unknown[] }).pruned).toEqual([{ ref: 'refs/remotes/origin/doomed', old: feature }]);
    expect(run(B, 'rev-parse', 'origin/doomed').code).toBe(4);
    expect(run(B, 'rev-parse', 'origin/main', 'origin/topic').code).toBe(0);
    expect(ok(B, 'fetch', '--prune')).not.toContain('[deleted]');
    // A name the remote lacks is NOT_FOUND; --delete with --all, or with no names, is a usage error.
    const [missing, withAll, none] = await Promise.all([
      start(A, 'push', 'origin', '--delete', 'no-such'),
      start(A, 'push', 'origin', '--delete', '--all'),
      start(A, 'push', 'origin', '--delete'),
    ]);
    expect([missing!.code, withAll!.code, none!.code]).toEqual([4, 2, 2]);
    expect(missing!.stderr).toContain("cannot delete 'no-such'");
  });

  it('a server started with --deny-force refuses deletions and forced pushes, and keeps its refs', async () => {
    const strict = await startServer(join(tmp.dir, 'strict'), ['--deny-force']);
    try {
      const at = `${strict.url}/r`;
      ok(A, 'push', at, 'feature:keep');
      const before = ok(tmp.dir, '-C', join(strict.root, 'r'), 'rev-parse', 'keep').trim();
      const [del, forced] = await Promise.all([start(A, 'push', at, '--delete', 'keep'), start(A, 'push', at, 'main:keep', '--force')]);
      expect([del!.code, forced!.code]).toEqual([6, 6]);
      expect(del!.stderr).toContain('does not allow forced updates');
      expect(ok(tmp.dir, '-C', join(strict.root, 'r'), 'rev-parse', 'keep').trim()).toBe(before);
    } finally {
      await strict.stop();
    }
  });

  it('pushes a branch named both by --all and by name once', async () => {
    const r = run(A, 'push', 'origin', 'feature', '--all', '--json');
    expect(r.code).toBe(0);
    const refs = (JSON.parse(r.stdout) as { refs: { dst: string; status: string }[] }).refs;
    expect(refs.map((x) => `${x.dst} ${x.status}`).sort()).toEqual(['refs/heads/feature ok', 'refs/heads/main up-to-date']);
  });

  it('clones a repository whose HEAD names a missing branch by checking out the branch it has', async () => {
    const only = `${server.url}/team/only-topic`;
    ok(A, 'push', only, 'feature');
    const res = JSON.parse(ok(tmp.dir, 'clone', only, 'c', '--json')) as { branch: string; head: string; files: number };
    const [revA, config] = await all([A, 'rev-parse', 'feature'], [join(tmp.dir, 'c'), 'config', '--list', '--json']);
    expect(res).toMatchObject({ branch: 'feature', head: ids(revA!)[0], files: 4 });
    expect(readFileSync(join(tmp.dir, 'c', 'feature.txt'), 'utf8')).toBe('f2\n');
    expect(JSON.parse(config!)).toMatchObject({ 'branch.feature.remote': 'origin', 'branch.feature.merge': 'refs/heads/feature' });
  });

  it('clones into an empty current folder, refuses a folder that is not empty (exit 6) or a bad remote name (exit 2), and reports a missing repository (exit 4)', async () => {
    const full = join(tmp.dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine\n');
    const here = join(tmp.dir, 'here');
    mkdirSync(here);
    const [r, m, n, dot] = await Promise.all([
      start(tmp.dir, 'clone', url, 'full'),
      start(tmp.dir, 'clone', `${server.url}/no/such/repo`, 'nothing'),
      start(tmp.dir, 'clone', '-o', 'a b', url, 'badname'),
      start(here, 'clone', url, '.'),
    ]);
    // An empty folder is fine, the current one included.
    expect(dot!.code).toBe(0);
    expect(existsSync(join(here, 'data.json'))).toBe(true);
    expect(n!.code).toBe(2);
    expect(existsSync(join(tmp.dir, 'badname'))).toBe(false);
    expect(r!.code).toBe(6);
    expect(readFileSync(join(full, 'keep.txt'), 'utf8')).toBe('mine\n');
    expect(m!.code).toBe(4);
    expect(existsSync(join(tmp.dir, 'nothing'))).toBe(false);
  });

  it('run again on a finished clone of the same URL changes nothing and exits 0; another URL is refused', async () => {
    const dir = join(tmp.dir, 'twice');
    ok(tmp.dir, 'clone', url, dir);
    writeFileSync(join(dir, 'data.json'), 'edited, not committed\n');
    const refsBefore = ok(dir, 'rev-parse', 'main', 'origin/main');
    const again = run(tmp.dir, 'clone', url, dir, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyCloned: true, resumed: false, received: 0, branch: 'main' });
    expect(run(tmp.dir, 'clone', url, dir).stdout).toContain('already a clone of');
    expect(readFileSync(join(dir, 'data.json'), 'utf8')).toBe('edited, not committed\n');
    expect(ok(dir, 'rev-parse', 'main', 'origin/main')).toBe(refsBefore);
    const other = run(tmp.dir, 'clone', `${server.url}/other`, dir);
    expect(other.code).not.toBe(0);
  });
});
