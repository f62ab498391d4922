// The client reads a server's status strictly (issue 9, docs/PROTOCOL.md §3): every step succeeds
// with 200 and nothing else — a redirect, a 204 or a 304 is an error (exit 8), not "the remote is
// empty" with exit 0 — and a busy server (503, whatever its body says) is the remote's state,
// exit 8 "server busy", never exit 9, which is the local database's lock.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Repository } from '../../src/store/repository.js';
import { cairnOk, runCairnAwaited, tempDir, type RunResult as Run } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { ObjectSet, sendJson, startFakeRemote, type Attack, type FakeRemote } from '../helpers/fake-remote.js';

const run = (args: string[], cwd: string, env: Record<string, string> = {}) => runCairnAwaited(args, { cwd, env });

let sandbox: { dir: string; cleanup: () => void };
let fake: FakeRemote;
let local: string;
let n = 0;

const EMPTY_REFS = { version: 1, head: null, refs: [] };

beforeAll(async () => {
  sandbox = tempDir('cairn-remote-status-');
  const objects = new ObjectSet();
  const file = objects.file('hello\n');
  const tree = objects.tree([{ name: 'a.txt', kind: 'file', id: file, size: 6 }]);
  const commit = objects.commit(tree, [], 'one');
  fake = await startFakeRemote(objects, [{ name: 'refs/heads/main', id: commit }]);
  local = join(sandbox.dir, 'local');
  mkdirSync(local);
  cairnOk(['init'], { cwd: local });
  writeFileSync(join(local, 'x.json'), '{"x": 1}\n');
  cairnOk(['add', '.'], { cwd: local });
  cairnOk(['commit', '-m', 'x'], { cwd: local });
}, 30_000);

afterAll(async () => {
  await fake?.close();
  sandbox?.cleanup();
});

function answer(status: number, headers: Record<string, string>, body?: unknown): Attack {
  return ({ res }) => {
    if (body === undefined) {
      res.writeHead(status, headers);
      res.end();
    } else {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      sendJson(res, status, body);
    }
  };
}

/** A clone into a fresh folder with `attacks` in place: exits 8, says `message`, leaves no repository. */
async function cloneFails(attacks: Record<string, Attack>, message: RegExp): Promise<Run> {
  fake.attacks = attacks;
  const dir = join(sandbox.dir, `clone-${n++}`);
  try {
    const r = await run(['clone', fake.url, dir], sandbox.dir);
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(!existsSync(dir) || readdirSync(dir).filter((e) => e !== '.cairn').length === 0).toBe(true);
    return r;
  } finally {
    fake.attacks = {};
  }
}

describe('a status other than 200 is an error', () => {
  test.each([301, 302, 303, 307, 308])(
    'refs answered %i with a Location and an empty ref list: exit 8, not "remote is empty"',
    async (status) => {
      const r = await cloneFails(
        { refs: answer(status, { location: 'http://127.0.0.1:1/elsewhere' }, EMPTY_REFS) },
        new RegExp(`HTTP ${status} \\(redirect to http://127\\.0\\.0\\.1:1/elsewhere\\).*does not follow redirects`),
      );
      expect(r.stdout).not.toMatch(/empty/);
    },
  );

  test('refs answered 304 or 204 without a body: exit 8', async () => {
    await cloneFails({ refs: answer(304, {}) }, /HTTP 304/);
    await cloneFails({ refs: answer(204, {}) }, /HTTP 204 where the protocol has 200/);
  });

  test('a redirect at a later step (fetch-list) fails the fetch: exit 8, nothing fetched', async () => {
    const dir = join(sandbox.dir, 'fetcher');
    cairnOk(['init', dir], { cwd: sandbox.dir });
    fake.attacks = { 'fetch-list': answer(302, { location: '/moved' }, {}) };
    try {
      const r = await run(['fetch', fake.url], dir);
      expect(r.code, r.stderr).toBe(8);
      expect(r.stderr).toMatch(/HTTP 302 \(redirect to \/moved\)/);
      const repo = Repository.open(dir);
      try {
        expect(repo.refs.list('refs/remotes/')).toEqual([]);
      } finally {
        repo.close();
      }
    } finally {
      fake.attacks = {};
    }
  });
});

describe('a busy server is exit 8, never 9', () => {
  test('503 with the protocol body (overload) and Retry-After: exit 8 "server busy", the wait named', async () => {
    await cloneFails(
      {
        refs: answer(
          503,
          { 'retry-after': '7' },
          { error: { code: 'REJECTED', message: 'server busy (64 requests at once)', data: { reason: 'overload' } } },
        ),
      },
      /: server busy \(64 requests at once\); try again in 7 s/,
    );
  });

  test("503 naming the server's LOCKED, or with no body at all (a proxy): exit 8", async () => {
    await cloneFails({ refs: answer(503, {}, { error: { code: 'LOCKED', message: 'repository is locked', data: {} } }) }, /server busy/);
    await cloneFails({ refs: answer(503, {}) }, /server busy \(HTTP 503\); try again later/);
  });

  test('push to a busy server: exit 8, --json code REMOTE with the status', async () => {
    fake.attacks = { refs: answer(503, { 'retry-after': '2' }) };
    try {
      const r = await run(['push', fake.url, 'main', '--json'], local);
      expect(r.code, r.stderr).toBe(8);
      const out = JSON.parse(r.stdout.trim() || r.stderr.trim().split('\n').pop()!) as {
        error: { code: string; data: Record<string, unknown> };
      };
      expect(out.error.code).toBe('REMOTE');
      expect(out.error.data['status']).toBe(503);
      expect(out.error.data['retryAfter']).toBe(2);
    } finally {
      fake.attacks = {};
    }
  });

  test('a real cairn serve at its --max-concurrent: clone exits 8 "server busy"', async () => {
    const root = join(sandbox.dir, 'served');
    mkdirSync(join(root, 'r'), { recursive: true });
    const srv = await startServer(root, ['--max-concurrent', '1', '--quiet']);
    try {
      const u = new URL(srv.url);
      // One request holds the only slot: headers sent, body still to come.
      const held = request({
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: '/r/v1/push-lacks',
        headers: { 'content-length': '64' },
        agent: false,
      });
      held.on('error', () => undefined);
      held.write(Buffer.alloc(8));
      await new Promise((r) => setTimeout(r, 300));
      const r = await run(['clone', `${srv.url}/r`, join(sandbox.dir, 'busy-clone')], sandbox.dir);
      held.destroy();
      expect(r.code, r.stderr).toBe(8);
      expect(r.stderr).toMatch(/: server busy \(1 requests at once\); try again in 1 s/);
    } finally {
      await srv.stop();
    }
  }, 30_000);
});
