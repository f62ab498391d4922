// A push that loses the server's compare-and-swap arrives at the client as the server's REF_MOVED,
// with its data, and the CLI reports it with REF_MOVED's exit code (it used to arrive as REJECTED:
// the client read the code from the status alone). Against a real `cairn serve` on 127.0.0.1.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, TEST_ENV, tempDir } from '../../helpers/cli.js';
import { repoUrl, startServer, type TestServer } from '../../helpers/server.js';
import type { CommandContext } from '../../../src/cli/context.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit.js';
import { reportError } from '../../../src/cli/run-action.js';
import { CairnError, RefMovedError } from '../../../src/errors.js';
import { refWho } from '../../../src/ops/identity.js';
import { Repository } from '../../../src/store/repository.js';
import { RemoteClient } from '../../../src/sync/client/http-client.js';
import { pushRefs } from '../../../src/sync/client/push.js';

const MAIN = 'refs/heads/main';
const WHO = refWho({ name: TEST_ENV['CAIRN_AUTHOR_NAME']!, email: TEST_ENV['CAIRN_AUTHOR_EMAIL']! });

const tmp = tempDir('cairn-ref-moved-');
let server: TestServer;
let url: string;
const local = join(tmp.dir, 'local');
let first: string;

beforeAll(async () => {
  server = await startServer(join(tmp.dir, 'served'));
  url = repoUrl(server, 'data');
  mkdirSync(local);
  cairnOk(['init'], { cwd: local });
  writeFileSync(join(local, 'a.json'), '{"v": 1}\n');
  cairnOk(['add', '.'], { cwd: local });
  cairnOk(['commit', '-m', 'one'], { cwd: local });
  cairnOk(['push', url, 'main'], { cwd: local });
  first = withRepo(local, (repo) => repo.refs.resolve(MAIN)!);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

function withRepo<R>(dir: string, fn: (repo: Repository) => R): R {
  const repo = Repository.open(dir);
  try {
    return fn(repo);
  } finally {
    repo.close();
  }
}

async function failure(p: Promise<unknown>): Promise<CairnError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CairnError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('a ref update that loses the compare-and-swap', () => {
  it('arrives as REF_MOVED with the server data when the expected old id is wrong', async () => {
    const stale = 'f'.repeat(64);
    const client = new RemoteClient(url);
    try {
      const err = await failure(client.pushRefs([{ name: MAIN, old: stale, new: 'e'.repeat(64), force: false }]));
      expect(err).toBeInstanceOf(RefMovedError);
      expect(err.code).toBe('REF_MOVED');
      expect(err.data).toMatchObject({
        status: 409,
        endpoint: 'push-refs',
        remoteCode: 'REF_MOVED',
        ref: MAIN,
        expected: stale,
        found: first,
        reason: 'fetch first',
      });
      expect(exitCodeFor(err.code)).toBe(EXIT.REJECTED);
    } finally {
      await client.close();
    }
  });

  it('answers up to date, moving and logging nothing, when the ref already holds the new id (a retried push whose answer was lost)', async () => {
    const client = new RemoteClient(url);
    try {
      const before = withRepo(join(server.root, 'data'), (served) => served.refs.reflog(MAIN).length);
      const out = await client.pushRefs([{ name: MAIN, old: null, new: first, force: false }]);
      expect(out.results).toEqual([{ name: MAIN, old: null, new: first, status: 'up-to-date', forced: false }]);
      expect(withRepo(join(server.root, 'data'), (served) => served.refs.reflog(MAIN).length)).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('fails a push whose branch moved on the server after it read the refs with REF_MOVED, exit 6', async () => {
    writeFileSync(join(local, 'a.json'), '{"v": 2}\n');
    cairnOk(['commit', '-a', '-m', 'two'], { cwd: local });
    // The moment the client has read the refs (and passed its own fast-forward check), another
    // writer moves the branch on the server: here, deletes it, straight in the served repository.
    let moved = false;
    const err = await failure(
      withRepoAsync(local, (repo) =>
        pushRefs(repo, {
          url,
          refspecs: [{ src: MAIN, dst: MAIN }],
          who: WHO,
          progress: (p) => {
            if (moved || p.phase !== 'negotiating') return;
            moved = true;
            withRepo(join(server.root, 'data'), (served) =>
              served.refs.update([{ name: MAIN, expected: first, next: null }], 'test', 'moved meanwhile'),
            );
          },
        }),
      ),
    );
    expect(moved).toBe(true);
    expect(err).toBeInstanceOf(RefMovedError);
    expect(err.code).toBe('REF_MOVED');
    expect(err.message).toContain('fetch and merge first');
    expect(err.data).toMatchObject({ ref: MAIN, expected: first, found: null, reason: 'ref-moved', remoteCode: 'REF_MOVED' });

    // What the CLI makes of it: REF_MOVED's exit code, and the code in the --json error object.
    const out: string[] = [];
    const ctx = {
      out: { write: (s: string) => out.push(s) },
      err: { write: () => true },
      color: new Chalk({ level: 0 }),
    } as unknown as CommandContext;
    expect(reportError(ctx, true, err)).toBe(exitCodeFor('REF_MOVED'));
    expect(exitCodeFor('REF_MOVED')).toBe(6);
    expect((JSON.parse(out.join('')) as { error: { code: string; data: { ref: string } } }).error).toMatchObject({
      code: 'REF_MOVED',
      data: { ref: MAIN },
    });
  }, 30_000);
});

async function withRepoAsync<R>(dir: string, fn: (repo: Repository) => Promise<R>): Promise<R> {
  const repo = Repository.open(dir);
  try {
    return await fn(repo);
  } finally {
    repo.close();
  }
}
