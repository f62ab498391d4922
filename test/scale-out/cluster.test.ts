// Three stateless `cairn serve` processes on one PostgreSQL and one radosgw, behind a real nginx
// (issue 10): a push through one server and a clone through another see the same repository; a
// clone, fetch or push through nginx, whose requests land on different servers, behaves as
// against one; 8 clients racing to one branch through the three get exactly one winner per round
// and lose nothing; multi-ref pushes in opposite orders never surface a deadlock.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, TEST_ENV, tempDir } from '../helpers/cli.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { endBytes, hashOf, MAGIC, recordBytes } from '../helpers/fake-remote.js';
import { requestLog, sleep, writeDataset } from '../helpers/sync-fixtures.js';
import { ancestors, commitIds, refState, withRepo } from '../faults/helpers.js';
import { CairnError } from '../../src/errors.js';
import { commit } from '../../src/ops/commit.js';
import { refWho } from '../../src/ops/identity.js';
import { merge } from '../../src/ops/merge.js';
import { RemoteClient } from '../../src/sync/client/http-client.js';
import { fetchRemote } from '../../src/sync/client/fetch.js';
import { pushRefs } from '../../src/sync/client/push.js';

const AUTHOR = { name: TEST_ENV['CAIRN_AUTHOR_NAME']!, email: TEST_ENV['CAIRN_AUTHOR_EMAIL']! };
const TIME = Number(TEST_ENV['CAIRN_COMMIT_TIME']);
const WHO = refWho(AUTHOR);
const MAIN = 'refs/heads/main';

const tmp = tempDir('cairn-cluster-test-');
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 3 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  tmp.cleanup();
});

/** The repository's refs as a server advertises them. */
async function remoteRefs(url: string): Promise<Map<string, string>> {
  const client = new RemoteClient(url);
  try {
    return new Map((await client.refs()).refs.map((r) => [r.name, r.id]));
  } finally {
    await client.close();
  }
}

/** Requests each server answered for repository `repo` so far (its request log). */
function requestsPerServer(repo: string): number[] {
  return cluster.servers.map((s) => requestLog(s.log()).filter((l) => l.repo === repo).length);
}

/** A push-objects request of `chunks` random chunks of `bytes` each, straight to `base`, unpublished. */
async function stageChunks(base: string, repo: string, chunks: number, bytes: number): Promise<number> {
  await fetch(`${base}/${repo}/v1/push-lacks`, { method: 'POST', body: Buffer.alloc(0) });
  const recs = Array.from({ length: chunks }, () => {
    const body = randomBytes(bytes);
    return recordBytes(hashOf('chunk', body), 0, body);
  });
  const res = await fetch(`${base}/${repo}/v1/push-objects`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-cairn-objects' },
    body: Buffer.concat([MAGIC, ...recs, endBytes(recs.length)]),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('three servers behind nginx', () => {
  it('push through one server, clone through another: the same repository, fsck clean', async () => {
    const src = join(tmp.dir, 'src');
    cairnOk(['init', 'src'], { cwd: tmp.dir });
    writeDataset(src, { records: 60, blobs: 2, blobBytes: 300 << 10 });
    cairnOk(['commit', '-a', '-m', 'one'], { cwd: src });
    cairnOk(['push', `${cluster.servers[0]!.url}/one`, 'main'], { cwd: src });
    const dst = join(tmp.dir, 'dst');
    cairnOk(['clone', `${cluster.servers[1]!.url}/one`, dst], { cwd: tmp.dir });
    expect(refState(dst).refs[MAIN]).toBe(refState(src).refs[MAIN]);
    expect([...commitIds(dst).entries()].sort()).toEqual([...commitIds(src).entries()].sort());
    expect(readFileSync(join(dst, 'blobs', 'b1.bin')).equals(readFileSync(join(src, 'blobs', 'b1.bin')))).toBe(true);
    cairnOk(['fsck'], { cwd: dst });
    // The third server, never used for this repository, serves it too.
    expect((await remoteRefs(`${cluster.servers[2]!.url}/one`)).get(MAIN)).toBe(refState(src).refs[MAIN]);
  }, 120_000);

  it('clone, push and fetch through nginx, every request possibly on another server, behave as against one', async () => {
    const url = `${cluster.url}/two`;
    const a = join(tmp.dir, 'a');
    cairnOk(['init', 'a'], { cwd: tmp.dir });
    writeDataset(a, { records: 120, blobs: 1, blobBytes: 1 << 20 });
    cairnOk(['commit', '-a', '-m', 'first'], { cwd: a });
    cairnOk(['push', url, 'main'], { cwd: a });
    const b = join(tmp.dir, 'b');
    cairnOk(['clone', url, b], { cwd: tmp.dir });
    cairnOk(['fsck'], { cwd: b });
    expect([...commitIds(b).entries()].sort()).toEqual([...commitIds(a).entries()].sort());
    // b changes a file and pushes; a pulls it.
    writeFileSync(join(b, 'rows', 'part0', 'r0.jsonl'), '{"id":0,"edited":true}\n');
    cairnOk(['commit', '-a', '-m', 'edit from b'], { cwd: b });
    cairnOk(['push'], { cwd: b });
    cairnOk(['remote', 'add', 'origin', url], { cwd: a });
    cairnOk(['pull', 'origin', 'main'], { cwd: a });
    expect(refState(a).refs[MAIN]).toBe(refState(b).refs[MAIN]);
    expect(readFileSync(join(a, 'rows', 'part0', 'r0.jsonl'), 'utf8')).toBe('{"id":0,"edited":true}\n');
    cairnOk(['fsck'], { cwd: a });
    // nginx spread the requests: every server answered some of this repository's requests. (The
    // CLI ran synchronously: the servers' log lines are read once this process's loop runs again.)
    await sleep(200);
    const per = requestsPerServer('two');
    expect(
      per.every((n) => n > 0),
      `requests per server: ${per.join(' ')}`,
    ).toBe(true);
  }, 180_000);

  it('8 clients racing to one branch through the three servers: one winner per round, and after fetch + merge + push every commit is on the branch', async () => {
    const CLIENTS = 8;
    const url = `${cluster.url}/race`;
    const base = join(tmp.dir, 'race-base');
    cairnOk(['init', 'race-base'], { cwd: tmp.dir });
    writeDataset(base, { records: 20, blobs: 0, blobBytes: 0 });
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: base });
    cairnOk(['push', url, 'main'], { cwd: base });
    const baseId = refState(base).refs[MAIN]!;
    const dirs = Array.from({ length: CLIENTS }, (_, k) => join(tmp.dir, `race${k}`));
    cairnOk(['clone', url, dirs[0]!], { cwd: tmp.dir });
    for (const dir of dirs.slice(1)) cpSync(dirs[0]!, dir, { recursive: true });
    const own: string[] = [];
    for (const [k, dir] of dirs.entries()) {
      mkdirSync(join(dir, 'clients'), { recursive: true });
      writeFileSync(join(dir, 'clients', `c${k}.json`), JSON.stringify({ client: k }) + '\n');
      const res = await withRepo(dir, (repo) =>
        commit(repo, { message: `client ${k}`, author: AUTHOR, time: TIME, tzOffset: 0, all: true }),
      );
      if (!res.committed) throw new Error(`client ${k}: nothing committed`);
      own.push(res.id);
    }
    let pending = dirs.map((_, k) => k);
    const refusals: Record<string, number> = {};
    for (let round = 1; pending.length > 0; round++) {
      expect(round, 'rounds did not converge').toBeLessThanOrEqual(CLIENTS);
      if (round > 1)
        await Promise.all(
          pending.map((k) =>
            withRepo(dirs[k]!, async (repo) => {
              await fetchRemote(repo, { url, remoteName: 'origin', who: WHO });
              const m = merge(repo, { rev: 'refs/remotes/origin/main', author: AUTHOR, time: TIME, tzOffset: 0, message: 'merge' });
              expect(m.status, `round ${round}, client ${k}`).toBe('merged');
            }),
          ),
        );
      const tipBefore = (await remoteRefs(url)).get(MAIN)!;
      const outcomes = await Promise.allSettled(
        pending.map((k) =>
          withRepo(dirs[k]!, (repo) => pushRefs(repo, { url, remoteName: 'origin', refspecs: [{ src: MAIN, dst: MAIN }], who: WHO })),
        ),
      );
      const won = pending.filter((_, j) => outcomes[j]!.status === 'fulfilled');
      expect(won.length, `round ${round}: exactly one push wins`).toBe(1);
      for (const o of outcomes) {
        if (o.status === 'fulfilled') continue;
        const err: unknown = o.reason;
        if (!(err instanceof CairnError)) throw err;
        const reason = String(err.data['reason']);
        expect(['non-fast-forward', 'ref-moved'], `${err.code}: ${err.message}`).toContain(reason);
        refusals[reason] = (refusals[reason] ?? 0) + 1;
      }
      const tip = (await remoteRefs(url)).get(MAIN)!;
      expect(tip).toBe(refState(dirs[won[0]!]!).refs[MAIN]);
      expect(ancestors(dirs[won[0]!]!, tip).has(tipBefore)).toBe(true);
      pending = pending.filter((k) => k !== won[0]);
    }
    // Everything is on the branch, as a fresh clone through nginx sees it.
    const check = join(tmp.dir, 'race-check');
    cairnOk(['clone', url, check], { cwd: tmp.dir });
    cairnOk(['fsck'], { cwd: check });
    const reachable = ancestors(check, refState(check).refs[MAIN]!);
    expect(reachable.has(baseId)).toBe(true);
    for (const [k, id] of own.entries()) expect(reachable.has(id), `client ${k}`).toBe(true);
    for (let k = 0; k < CLIENTS; k++) expect(commitIds(check).has(`clients/c${k}.json`)).toBe(true);
    console.log(`cluster race: ${CLIENTS} clients through 3 servers; refusals ${JSON.stringify(refusals)}`);
  }, 300_000);

  it('multi-ref pushes in opposite orders, at once, never reach a client as a deadlock or a server error', async () => {
    const url = `${cluster.url}/multi`;
    const seed = join(tmp.dir, 'multi-seed');
    cairnOk(['init', 'multi-seed'], { cwd: tmp.dir });
    writeFileSync(join(seed, 'x.json'), '{"x":0}\n');
    cairnOk(['commit', '-a', '-m', 'seed'], { cwd: seed });
    cairnOk(['branch', 'b1'], { cwd: seed });
    cairnOk(['branch', 'b2'], { cwd: seed });
    cairnOk(['push', url, 'main', 'b1', 'b2'], { cwd: seed });
    const sides = [join(tmp.dir, 'multi-l'), join(tmp.dir, 'multi-r')];
    for (const d of sides) cairnOk(['clone', url, d], { cwd: tmp.dir });
    const codes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const outcomes = await Promise.allSettled(
        sides.map((dir, side) =>
          withRepo(dir, async (repo) => {
            await fetchRemote(repo, { url, remoteName: 'origin', who: WHO });
            const names = side === 0 ? ['b1', 'b2'] : ['b2', 'b1'];
            for (const n of names) {
              repo.refs.update(
                [{ name: `refs/heads/${n}`, expected: undefined, next: repo.refs.resolve(`refs/remotes/origin/${n}`) }],
                WHO,
                'sync',
              );
            }
            const res = commit(repo, {
              message: `side ${side} round ${round}`,
              author: AUTHOR,
              time: TIME + round,
              tzOffset: 0,
              allowEmpty: true,
            });
            if (!res.committed) throw new Error('nothing committed');
            for (const n of names) repo.refs.update([{ name: `refs/heads/${n}`, expected: undefined, next: res.id }], WHO, 'move');
            return pushRefs(repo, {
              url,
              remoteName: 'origin',
              refspecs: names.map((n) => ({ src: `refs/heads/${n}`, dst: `refs/heads/${n}` })),
              force: true,
              who: WHO,
            });
          }),
        ),
      );
      for (const o of outcomes) {
        if (o.status === 'fulfilled') continue;
        const err: unknown = o.reason;
        if (!(err instanceof CairnError)) throw err;
        codes.push(`${err.code}:${String(err.data['reason'])}`);
        // Losing the race is the only acceptable failure: never LOCKED, IO or a 5xx.
        expect(err.code, err.message).toBe('REF_MOVED');
      }
    }
    const refs = await remoteRefs(url);
    expect(refs.get('refs/heads/b1')).toBe(refs.get('refs/heads/b2'));
    console.log(`cluster multi-ref: 6 rounds, losers ${codes.length} (${[...new Set(codes)].join(', ') || 'none'})`);
  }, 180_000);

  it("bounds one client's unpublished quarantine across every server, not per process", async () => {
    // A cluster of its own, with a small per-client bound (PROTOCOL §8): 3 × 100 KiB fit, a fourth does not.
    const small = await startCluster({ servers: 2, args: ['--max-client-quarantine', String(350 << 10)] });
    try {
      const [a, b] = small.servers.map((x) => x.url);
      expect(await stageChunks(a!, 'q', 2, 100 << 10)).toBe(200);
      expect(await stageChunks(b!, 'q', 1, 100 << 10)).toBe(200);
      // Through the other server, this client already holds ~300 KiB: the next 100 KiB is refused.
      expect(await stageChunks(a!, 'q', 1, 100 << 10)).toBe(413);
      expect(await stageChunks(b!, 'q2', 1, 100 << 10)).toBe(413);
    } finally {
      await small.stop();
    }
  }, 60_000);
});
