// End-to-end: `cairn snapshot` — stages new, modified and deleted files (honouring .cairnignore and
// PATHs), commits only when something changed (exit 0 vs 1, --exit-zero), counts what it committed,
// tags idempotently (exit 6 for a tag on another commit unless --force-tag), refuses during a merge,
// and with --push sends the branch and tag to a real `cairn serve` (token-protected) on 127.0.0.1.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';

const tmp = tempDir('cairn-cli-snapshot-');
afterAll(() => tmp.cleanup());

const T0 = 1_700_000_000_000;
let n = 0;

function repo(): string {
  const dir = join(tmp.dir, `r${n++}`);
  mkdirSync(dir);
  cairnOk(['init'], { cwd: dir });
  return dir;
}

function write(dir: string, path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

const at = (s: number) => ({ CAIRN_COMMIT_TIME: String(T0 + s * 1000) });
const run = (dir: string, args: string[], s = 0) => runCairn(args, { cwd: dir, env: at(s) });
const ok = (dir: string, args: string[], s = 0) => cairnOk(args, { cwd: dir, env: at(s) });
const head = (dir: string) => ok(dir, ['rev-parse', 'HEAD']).trim();
const logCount = (dir: string) => ok(dir, ['log', '--oneline']).trim().split('\n').length;

interface SnapJson {
  committed: boolean;
  commit: string | null;
  parent: string | null;
  head: string | null;
  branch: string | null;
  added: number;
  modified: number;
  deleted: number;
  bytes: number;
  tag: { name: string; id: string; previous: string | null; changed: boolean } | null;
  pushed: null | {
    remote: string;
    url: string;
    refs: { dst: string; old: string | null; new: string; status: 'ok' | 'up-to-date'; forced: boolean }[];
    objects: number;
    bytesSent: number;
  };
}

function snapJson(dir: string, args: string[], s = 0): { code: number; res: SnapJson } {
  const r = run(dir, ['snapshot', ...args, '--json'], s);
  return { code: r.code, res: JSON.parse(r.stdout) as SnapJson };
}

function errJson(stdout: string): { code: string; data: Record<string, unknown> } {
  return (JSON.parse(stdout) as { error: { code: string; data: Record<string, unknown> } }).error;
}

describe('cairn snapshot', () => {
  it('commits the whole worktree with the same id as commit -a, and reports counts as JSON', () => {
    const dir = repo();
    write(dir, 'a.csv', 'x,y\n1,2\n');
    write(dir, 'data/b.json', '{"b":1}\n');
    const { code, res } = snapJson(dir, ['-m', 'first']);
    expect(code).toBe(0);
    expect(res).toEqual({
      committed: true,
      commit: res.commit,
      parent: null,
      head: res.commit,
      branch: 'main',
      added: 2,
      modified: 0,
      deleted: 0,
      bytes: 16,
      tag: null,
      pushed: null,
    });
    expect(res.commit).toMatch(/^[0-9a-f]{64}$/);
    const other = repo();
    write(other, 'a.csv', 'x,y\n1,2\n');
    write(other, 'data/b.json', '{"b":1}\n');
    const viaCommit = JSON.parse(ok(other, ['commit', '-a', '-m', 'first', '--json'])) as { id: string };
    expect(res.commit).toBe(viaCommit.id);
    expect(ok(dir, ['status', '--short'])).toBe('');
  });

  it('re-run with nothing new: exit 1, no commit, same HEAD; --exit-zero makes it exit 0', () => {
    const dir = repo();
    write(dir, 'a.csv', '1\n');
    const first = snapJson(dir, ['-m', 'one']).res;
    const again = snapJson(dir, ['-m', 'one'], 5);
    expect(again.code).toBe(1);
    expect(again.res).toEqual({
      committed: false,
      commit: null,
      parent: null,
      head: first.commit,
      branch: 'main',
      added: 0,
      modified: 0,
      deleted: 0,
      bytes: 0,
      tag: null,
      pushed: null,
    });
    expect(run(dir, ['snapshot', '-m', 'one', '--exit-zero'], 6).code).toBe(0);
    expect(head(dir)).toBe(first.commit);
    expect(logCount(dir)).toBe(1);
  });

  it('counts added, modified and deleted files and the bytes of new content', () => {
    const dir = repo();
    write(dir, 'keep.txt', 'same\n');
    write(dir, 'edit.txt', 'old\n');
    write(dir, 'sub/gone.txt', 'bye\n');
    const first = snapJson(dir, ['-m', 'one']).res;
    write(dir, 'edit.txt', 'new content\n');
    rmSync(join(dir, 'sub/gone.txt'));
    write(dir, 'fresh.jsonl', '{"id":1}\n');
    const { code, res } = snapJson(dir, ['-m', 'two'], 10);
    expect(code).toBe(0);
    expect(res).toMatchObject({ committed: true, parent: first.commit, added: 1, modified: 1, deleted: 1, bytes: 12 + 9 });
    expect(ok(dir, ['ls', '-r'])).toBe('edit.txt\nfresh.jsonl\nkeep.txt\n');
  });

  it('honours .cairnignore and stages only under the PATHs given', () => {
    const dir = repo();
    write(dir, '.cairnignore', '*.tmp\n');
    write(dir, 'data/a.json', '{"a":1}\n');
    write(dir, 'data/scratch.tmp', 'junk\n');
    write(dir, 'other.txt', 'not yet\n');
    const { res } = snapJson(dir, ['data', '-m', 'data only']);
    expect(res).toMatchObject({ committed: true, added: 1 });
    expect(ok(dir, ['ls', '-r'])).toBe('data/a.json\n');
    expect(ok(dir, ['status', '--short'])).toBe('?? .cairnignore\n?? other.txt\n');
    // A path relative to the current folder, as for add.
    write(dir, 'data/b.json', '{"b":2}\n');
    const sub = runCairn(['snapshot', '.', '-m', 'from data/', '--json'], { cwd: join(dir, 'data'), env: at(1) });
    expect(sub.code).toBe(0);
    expect(JSON.parse(sub.stdout)).toMatchObject({ committed: true, added: 1, modified: 0, deleted: 0 });
    expect(ok(dir, ['ls', '-r'])).toBe('data/a.json\ndata/b.json\n');
  });

  it('prints one line per fact for humans (golden)', () => {
    const dir = repo();
    write(dir, 'a.txt', 'hello\n');
    const r = run(dir, ['snapshot', '-m', 'first line\n\nbody', '--tag', 'v1']);
    expect(r.code).toBe(0);
    const id = head(dir).slice(0, 12);
    expect(r.stdout).toBe(`[main (root-commit) ${id}] first line\n 1 added, 0 modified, 0 deleted (6 B)\ntagged 'v1' at ${id}\n`);
    const again = run(dir, ['snapshot', '-m', 'first line', '--tag', 'v1'], 1);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe(`nothing changed since ${id} on main; no commit made\ntag 'v1' already at ${id}\n`);
    const empty = repo();
    const none = run(empty, ['snapshot', '-m', 'x']);
    expect([none.code, none.stdout]).toEqual([1, 'nothing to snapshot: no files and no commits yet\n']);
  });

  it('tags the new commit, and a re-run leaves the tag as it is', () => {
    const dir = repo();
    write(dir, 'a.txt', '1\n');
    const { res } = snapJson(dir, ['-m', 'one', '--tag', 'build-1']);
    expect(res.tag).toEqual({ name: 'build-1', id: res.commit, previous: null, changed: true });
    const again = snapJson(dir, ['-m', 'one', '--tag', 'build-1', '--exit-zero'], 1);
    expect(again.code).toBe(0);
    expect(again.res.tag).toEqual({ name: 'build-1', id: res.commit, previous: res.commit, changed: false });
    expect(ok(dir, ['tag'])).toBe('build-1\n');
  });

  it('refuses a tag that names another commit (exit 6) before committing, unless --force-tag', () => {
    const dir = repo();
    write(dir, 'a.txt', '1\n');
    const one = snapJson(dir, ['-m', 'one', '--tag', 'v1']).res;
    write(dir, 'a.txt', '2\n');
    const two = snapJson(dir, ['-m', 'two'], 1).res;
    // The tag names an older commit: refused, whether or not there is anything to commit.
    const stale = run(dir, ['snapshot', '-m', 'three', '--tag', 'v1', '--json'], 2);
    expect(stale.code).toBe(6);
    expect(errJson(stale.stdout)).toMatchObject({ code: 'ALREADY_EXISTS', data: { name: 'v1', id: one.commit, commit: null } });
    // The tag names HEAD but a commit is due: it would be left behind, so refused too, and no commit is made.
    ok(dir, ['tag', '-f', 'v1']);
    write(dir, 'a.txt', '3\n');
    const behind = run(dir, ['snapshot', '-m', 'three', '--tag', 'v1', '--json'], 2);
    expect(behind.code).toBe(6);
    expect(errJson(behind.stdout)).toMatchObject({ code: 'ALREADY_EXISTS', data: { name: 'v1', id: two.commit } });
    expect(head(dir)).toBe(two.commit);
    const forced = snapJson(dir, ['-m', 'three', '--tag', 'v1', '--force-tag'], 3);
    expect(forced.code).toBe(0);
    expect(forced.res.tag).toEqual({ name: 'v1', id: forced.res.commit, previous: two.commit, changed: true });
    expect(ok(dir, ['rev-parse', 'v1']).trim()).toBe(forced.res.commit);
  });

  it('rejects a bad tag name (exit 2) and a path that matches nothing (exit 4) without committing', () => {
    const dir = repo();
    write(dir, 'a.txt', '1\n');
    const bad = run(dir, ['snapshot', '-m', 'x', '--tag', 'bad..name', '--json']);
    expect(bad.code).toBe(2);
    expect(errJson(bad.stdout).code).toBe('INVALID_NAME');
    expect(ok(dir, ['status', '--short'])).toBe('?? a.txt\n');
    const missing = run(dir, ['snapshot', 'nope', '-m', 'x', '--json']);
    expect(missing.code).toBe(4);
    expect(errJson(missing.stdout).code).toBe('NOT_FOUND');
    expect(run(dir, ['rev-parse', 'HEAD']).code).not.toBe(0);
  });

  it('refuses to run during a merge, conflicted or resolved but uncommitted (exit 5), and changes nothing', () => {
    const dir = repo();
    write(dir, 'p.json', '{"price": 10}\n');
    ok(dir, ['commit', '-a', '-m', 'base']);
    ok(dir, ['switch', '-c', 'feature']);
    write(dir, 'p.json', '{"price": 12}\n');
    ok(dir, ['commit', '-a', '-m', 'feature'], 1);
    ok(dir, ['switch', 'main']);
    write(dir, 'p.json', '{"price": 11}\n');
    ok(dir, ['commit', '-a', '-m', 'main'], 2);
    const main = head(dir);
    expect(run(dir, ['merge', 'feature'], 3).code).toBe(5);
    const conflicted = run(dir, ['snapshot', '-m', 'ci', '--json'], 4);
    expect(conflicted.code).toBe(5);
    expect(errJson(conflicted.stdout)).toMatchObject({ code: 'UNRESOLVED_CONFLICTS', data: { paths: ['p.json'] } });
    expect(conflicted.stderr).toMatch(/^error: snapshot refuses to run during a merge: /);
    ok(dir, ['resolve', '--ours', 'p.json']);
    const resolved = run(dir, ['snapshot', '-m', 'ci', '--json'], 4);
    expect(resolved.code).toBe(5);
    expect(errJson(resolved.stdout).code).toBe('UNRESOLVED_CONFLICTS');
    expect(resolved.stderr).toContain("'cairn merge --continue'");
    expect(head(dir)).toBe(main);
    // Once the merge is concluded, snapshot runs again.
    ok(dir, ['merge', '--continue'], 5);
    write(dir, 'p.json', '{"price": 13}\n');
    expect(snapJson(dir, ['-m', 'after merge'], 6).res).toMatchObject({ committed: true, modified: 1 });
  });

  it('commits on a detached HEAD, with branch null', () => {
    const dir = repo();
    write(dir, 'a.txt', '1\n');
    const one = snapJson(dir, ['-m', 'one']).res;
    ok(dir, ['switch', '--detach', 'HEAD']);
    write(dir, 'a.txt', '2\n');
    const { code, res } = snapJson(dir, ['-m', 'two'], 1);
    expect(code).toBe(0);
    expect(res).toMatchObject({ committed: true, branch: null, parent: one.commit, modified: 1 });
    expect(ok(dir, ['rev-parse', 'main']).trim()).toBe(one.commit);
  });
});

describe('cairn snapshot --push', () => {
  const TOKEN = 'snapshot-test-write-token';
  let server: TestServer;
  const auth = { CAIRN_TOKEN: TOKEN };
  const prun = (dir: string, args: string[], s = 0, env: Record<string, string> = auth) =>
    runCairn(args, { cwd: dir, env: { ...at(s), ...env } });
  const pjson = (dir: string, args: string[], s = 0) => {
    const r = prun(dir, ['snapshot', ...args, '--json'], s);
    return { code: r.code, res: JSON.parse(r.stdout) as SnapJson, stderr: r.stderr };
  };
  /** A fresh clone of the remote repository: its refs are what the server holds. */
  const cloneOf = (url: string) => {
    const dir = join(tmp.dir, `clone${n++}`);
    cairnOk(['clone', url, dir], { cwd: tmp.dir, env: auth });
    return dir;
  };
  const rev = (dir: string, name: string) => ok(dir, ['rev-parse', name]).trim();

  beforeAll(async () => {
    const tokens = join(tmp.dir, 'tokens');
    writeFileSync(tokens, `${TOKEN} write *\n`);
    server = await startServer(join(tmp.dir, 'srv'), ['--tokens', tokens, '-q']);
  });
  afterAll(async () => {
    await server?.stop();
  });

  function pushing(name: string): { dir: string; url: string } {
    const dir = repo();
    const url = `${server.url}/${name}`;
    ok(dir, ['remote', 'add', 'origin', url]);
    return { dir, url };
  }

  it('pushes the branch and the tag to the same names; a re-run is a no-op that sends nothing', () => {
    const { dir, url } = pushing('basic');
    write(dir, 'data/a.jsonl', '{"id":1}\n');
    const first = pjson(dir, ['-m', 'one', '--tag', 'v1', '--push', 'origin']);
    expect(first.code).toBe(0);
    const c1 = first.res.commit!;
    expect(first.res.pushed).toMatchObject({
      remote: 'origin',
      url,
      refs: [
        { dst: 'refs/heads/main', old: null, new: c1, status: 'ok', forced: false },
        { dst: 'refs/tags/v1', old: null, new: c1, status: 'ok', forced: false },
      ],
    });
    expect(first.res.pushed!.objects).toBeGreaterThan(0);
    expect(rev(dir, 'origin/main')).toBe(c1);
    const clone = cloneOf(url);
    expect([rev(clone, 'main'), rev(clone, 'v1')]).toEqual([c1, c1]);
    ok(clone, ['fsck']);

    const again = pjson(dir, ['-m', 'one', '--tag', 'v1', '--push', 'origin', '--exit-zero'], 1);
    expect(again.code).toBe(0);
    expect(again.res).toMatchObject({ committed: false, head: c1, tag: { changed: false } });
    expect(again.res.pushed!.refs.map((r) => r.status)).toEqual(['up-to-date', 'up-to-date']);
    expect(again.res.pushed!.objects).toBe(0);
  });

  it('prints what it pushed for humans (golden)', () => {
    const { dir } = pushing('human');
    write(dir, 'a.txt', 'hello\n');
    const r = prun(dir, ['snapshot', '-m', 'one', '--push', 'origin']);
    expect(r.code).toBe(0);
    const id = rev(dir, 'HEAD').slice(0, 12);
    expect(r.stdout).toMatch(
      new RegExp(
        `^\\[main \\(root-commit\\) ${id}\\] one\\n 1 added, 0 modified, 0 deleted \\(6 B\\)\\norigin: main created at ${id}\\norigin: sent 3 object\\(s\\), [0-9.]+ (B|KiB)\\n$`,
      ),
    );
    const again = prun(dir, ['snapshot', '-m', 'one', '--push', 'origin'], 1);
    expect([again.code, again.stdout]).toEqual([1, `nothing changed since ${id} on main; no commit made\norigin: main up to date\n`]);
  });

  it('moves a tag on the remote with --force-tag without forcing the branch', () => {
    const { dir, url } = pushing('force-tag');
    write(dir, 'a.txt', '1\n');
    const c1 = pjson(dir, ['-m', 'one', '--tag', 'latest', '--push', 'origin']).res.commit!;
    write(dir, 'a.txt', '2\n');
    const refused = prun(dir, ['snapshot', '-m', 'two', '--tag', 'latest', '--push', 'origin'], 1);
    expect(refused.code).toBe(6);
    const moved = pjson(dir, ['-m', 'two', '--tag', 'latest', '--force-tag', '--push', 'origin'], 2);
    expect(moved.code).toBe(0);
    const c2 = moved.res.commit!;
    expect(moved.res.pushed!.refs).toEqual([
      { dst: 'refs/heads/main', old: c1, new: c2, status: 'ok', forced: false },
      { dst: 'refs/tags/latest', old: c1, new: c2, status: 'ok', forced: true },
    ]);
    const clone = cloneOf(url);
    expect([rev(clone, 'main'), rev(clone, 'latest')]).toEqual([c2, c2]);
  });

  it('keeps the commit when the push is rejected (exit 6) and finishes the push when re-run after a pull', () => {
    const { dir, url } = pushing('race');
    write(dir, 'a.txt', '1\n');
    pjson(dir, ['-m', 'one', '--push', 'origin']);
    const other = cloneOf(url);
    write(other, 'b.txt', 'theirs\n');
    const theirs = pjson(other, ['-m', 'theirs', '--push', 'origin'], 1).res.commit!;
    write(dir, 'a.txt', '2\n');
    const rejected = prun(dir, ['snapshot', '-m', 'ours', '--push', 'origin', '--json'], 2);
    expect(rejected.code).toBe(6);
    const err = errJson(rejected.stdout);
    expect(err.code).toBe('REJECTED');
    const ours = rev(dir, 'HEAD');
    expect(err.data).toMatchObject({ commit: ours, head: ours, reason: 'non-fast-forward' });
    expect(rejected.stderr).toContain(`the snapshot is committed (${ours.slice(0, 12)})`);
    expect(ok(dir, ['status', '--short'])).toBe('');
    expect(prun(dir, ['pull', 'origin', 'main'], 3).code).toBe(0);
    const done = pjson(dir, ['-m', 'ours', '--push', 'origin', '--exit-zero'], 4);
    expect(done.code).toBe(0);
    expect(done.res.committed).toBe(false);
    const merged = rev(dir, 'HEAD');
    expect(done.res.pushed!.refs).toEqual([{ dst: 'refs/heads/main', old: theirs, new: merged, status: 'ok', forced: false }]);
  });

  it('refuses a missing token (exit 8), an unknown remote (exit 4) and a detached HEAD (exit 2)', () => {
    const { dir } = pushing('refusals');
    write(dir, 'a.txt', '1\n');
    const noToken = prun(dir, ['snapshot', '-m', 'one', '--push', 'origin', '--json'], 0, {});
    expect(noToken.code).toBe(8);
    expect(errJson(noToken.stdout).data).toMatchObject({ commit: rev(dir, 'HEAD') });
    expect(noToken.stdout + noToken.stderr).not.toContain(TOKEN);
    // Checked before staging: nothing is committed or staged.
    write(dir, 'b.txt', '2\n');
    const head1 = rev(dir, 'HEAD');
    const unknown = prun(dir, ['snapshot', '-m', 'two', '--push', 'nowhere', '--json'], 1);
    expect(unknown.code).toBe(4);
    expect(errJson(unknown.stdout).code).toBe('NOT_FOUND');
    ok(dir, ['switch', '--detach', 'HEAD']);
    const detached = prun(dir, ['snapshot', '-m', 'two', '--push', 'origin', '--json'], 1);
    expect(detached.code).toBe(2);
    expect(rev(dir, 'HEAD')).toBe(head1);
    expect(ok(dir, ['status', '--short'])).toBe('?? b.txt\n');
  });
});
