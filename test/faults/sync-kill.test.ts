// kill -9 of the client or of the server at varied instants of `cairn push` and `cairn clone` (issue
// 4): afterwards no ref on either side names a commit whose closure is incomplete (`cairn fsck`
// passes on both, and every ref's closure reads back verified), and running the same command again
// completes, leaving identical refs on both sides.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { cairnOk, spawnCairn, tempDir } from '../helpers/cli.js';
import { repoUrl, startServer, type TestServer } from '../helpers/server.js';
import { sleep, stagedStats, writeDataset } from '../helpers/sync-fixtures.js';
import { checkWhole, closureProblems, refState, runCairnAsync, seededRandom } from './helpers.js';
import { Repository } from '../../src/store/repository.js';
import { fsck } from '../../src/ops/fsck.js';

const KILLS = 30;
/** A command that outlives this is hung: it is killed and the test fails. */
const RUN_LIMIT_MS = 180_000;

const tmp = tempDir('cairn-sync-kill-');
const SRC = join(tmp.dir, 'src');
let head = '';

/** One loop's server: its own root and port, so the push and clone loops run side by side. */
interface Served {
  server: TestServer;
  root: string;
  port: number;
}
const loops: Served[] = [];

async function serve(root: string): Promise<Served> {
  const server = await startServer(root);
  const s = { server, root, port: Number(new URL(server.url).port) };
  loops.push(s);
  return s;
}

beforeAll(() => {
  cairnOk(['init', 'src'], { cwd: tmp.dir });
  // ~3 MB in ~300 files: about a second of push or clone on a loaded two-core machine.
  writeDataset(SRC, { records: 280, blobs: 2, blobBytes: 1 << 20 });
  cairnOk(['commit', '-a', '-m', 'base'], { cwd: SRC });
  cairnOk(['tag', 'v1'], { cwd: SRC });
  head = refState(SRC).head!;
}, 120_000);

afterAll(async () => {
  for (const s of loops) await s.server.stop();
  tmp.cleanup();
});

/** The server on the same port again (remotes and pending clones keep their URL). */
async function restartServer(s: Served): Promise<void> {
  await s.server.kill();
  for (let attempt = 0; ; attempt++) {
    try {
      s.server = await startServer(s.root, ['--port', String(s.port)]);
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(250);
    }
  }
}

type Victim = 'client' | 'server';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** When the server logged the command's first request for `repo` (ms after the spawn). */
  firstRequestAt: number | undefined;
  /** The victim was killed while the command was still running. */
  killed: boolean;
}

/**
 * Runs `cairn ARGS` and SIGKILLs the victim `delayMs` after the server logged the command's first
 * request for repository `repo` (Infinity: no kill), so the kills spread over the exchange rather
 * than over process start-up.
 */
function runWithKill(args: string[], cwd: string, s: Served, repo: string, victim: Victim, delayMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const server = s.server;
    const from = server.log().length;
    const needle = `"repo":"${repo}"`;
    const child = spawnCairn(args, { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    let killed = false;
    let firstRequestAt: number | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const poll = setInterval(() => {
      if (firstRequestAt !== undefined || server.log().indexOf(needle, from) < 0) return;
      firstRequestAt = performance.now() - start;
      clearInterval(poll);
      if (delayMs === Infinity) return;
      killTimer = setTimeout(() => {
        if (exited) return;
        killed = true;
        if (victim === 'client') child.kill('SIGKILL');
        else void server.kill();
      }, delayMs);
    }, 4);
    const hung = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      exited = true;
      clearInterval(poll);
      clearTimeout(killTimer);
      clearTimeout(hung);
      resolve({ code, stdout, stderr, ms: performance.now() - start, firstRequestAt, killed });
    });
  });
}

/**
 * The repository is whole: fsck (the function behind `cairn fsck`, run in this process to spare a
 * process start per round) finds nothing, and every ref's closure reads back verified.
 */
function whole(dir: string, verified?: Set<string>): string[] {
  const problems = closureProblems(dir, verified);
  const repo = Repository.open(dir);
  try {
    for (const p of fsck(repo).problems) problems.push(`fsck: ${p.kind} ${p.type} ${p.id} at ${p.path}: ${p.message}`);
  } finally {
    repo.close();
  }
  return problems;
}

function setConfig(dir: string, key: string, value: string): void {
  const repo = Repository.open(dir);
  try {
    repo.config.set(key, value);
  } finally {
    repo.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function tally(xs: string[]): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k} ${n}`).join(', ');
}

describe.concurrent('kill -9 during sync', () => {
  it(`push: no ref names an incomplete commit on either side, and a re-run completes (${KILLS} kills of client and server)`, async ({
    expect,
  }) => {
    const rand = seededRandom(0x5eed1);
    const s = await serve(join(tmp.dir, 'served-push'));
    // Each round pushes the same commit to a new repository on the server (created by the push), so
    // every round transfers everything and the kill can land anywhere in it.
    const push = (i: number) => ['push', `k${i}`, 'main', '--json'];
    const name = (i: number) => `push/r${i}`;
    const prepare = (i: number) => setConfig(SRC, `remote.k${i}.url`, repoUrl(s.server, name(i)));
    // The kill window: from the first request the server sees to the client's exit.
    const spans: number[] = [];
    for (let w = 0; w < 2; w++) {
      prepare(100 + w);
      const r = await runWithKill(push(100 + w), SRC, s, name(100 + w), 'client', Infinity);
      expect(r.code, r.stderr).toBe(0);
      spans.push(r.ms - r.firstRequestAt!);
    }
    const verifiedSrc = new Set<string>();
    const landed: string[] = [];
    const stagedAtKill: number[] = [];
    const kills = { client: 0, server: 0 };
    let finishedFirst = 0;
    const started = performance.now();
    let i = 0;
    for (; kills.client + kills.server < KILLS; i++) {
      expect(i, `too many pushes finished before their kill (spans ${spans.map(Math.round).join(' ')} ms)`).toBeLessThan(KILLS * 2);
      const victim: Victim = i % 2 === 0 ? 'client' : 'server';
      prepare(i);
      const serverRepo = join(s.root, 'push', `r${i}`);
      const delay = Math.round(rand() * 1.1 * median(spans));
      const where = `round ${i}: ${victim} killed ${delay} ms after the first request`;
      const o = await runWithKill(push(i), SRC, s, name(i), victim, delay);
      if (!o.killed) {
        expect(o.code, `${where}: ${o.stderr}`).toBe(0);
        finishedFirst++;
        if (o.firstRequestAt !== undefined) spans.push(o.ms - o.firstRequestAt);
        continue;
      }
      kills[victim]++;
      // A server killed after it answered the ref update leaves nothing for the client to fail on,
      // and a client may exit 0 in the instant before its SIGKILL lands (a signal to a process
      // that has exited but is not yet reaped does nothing): either way the push is complete.
      if (o.code === 0) expect(refState(serverRepo).refs['refs/heads/main'], `${where}: the push succeeded`).toBe(head);

      // Both sides whole, and a ref on the server can only name the pushed commit.
      // A server killed while creating the repository leaves it unfinished (no HEAD, no refs); the
      // next push finishes creating it.
      const served = Repository.isFinished(serverRepo);
      expect(whole(SRC, verifiedSrc), where).toEqual([]);
      expect(served ? whole(serverRepo) : [], where).toEqual([]);
      const st = served ? stagedStats(serverRepo) : { count: 0, bytes: 0 };
      const remoteRef = served ? (refState(serverRepo).refs['refs/heads/main'] ?? null) : null;
      if (remoteRef !== null) expect(remoteRef, where).toBe(head);
      landed.push(
        !served
          ? 'before the repository existed'
          : remoteRef !== null
            ? 'after the ref update'
            : st.count > 0
              ? 'during the object stream'
              : 'before any object was kept',
      );
      if (remoteRef === null) stagedAtKill.push(st.count);

      if (victim === 'server') await restartServer(s);
      const again = await runWithKill(push(i), SRC, s, name(i), 'client', Infinity);
      expect(again.code, `${where}, re-run: ${again.stderr}`).toBe(0);
      expect(refState(serverRepo).refs, where).toEqual({ 'refs/heads/main': head });
      expect(refState(SRC).refs[`refs/remotes/k${i}/main`], where).toBe(head);
    }
    // Every repository the rounds pushed to holds exactly the pushed ref, and nothing is left in
    // its quarantine; `cairn fsck` (the command) passes on both sides.
    for (let k = 0; k < i; k++) {
      expect(refState(join(s.root, 'push', `r${k}`)).refs, `repository r${k}`).toEqual({ 'refs/heads/main': head });
      expect(stagedStats(join(s.root, 'push', `r${k}`)).count, `repository r${k}: quarantine left after a completed push`).toBe(0);
    }
    const final = await Promise.all([checkWhole(SRC), checkWhole(join(s.root, 'push', `r${i - 1}`))]);
    expect(final).toEqual([[], []]);
    console.log(
      `sync-kill push: ${kills.client} client kills, ${kills.server} server kills over ${i} rounds, at 0..${Math.round(1.1 * median(spans))} ms after the first request ` +
        `(typical exchange ${Math.round(median(spans))} ms); ${finishedFirst} pushes finished before their kill; landed: ${tally(landed)}; ` +
        `objects in the server's quarantine at kills before the ref update: ${stagedAtKill.sort((a, b) => a - b).join(' ')}; ${Math.round((performance.now() - started) / 1000)} s`,
    );
  }, 900_000);

  it(`clone: a killed clone leaves a whole (pending) repository, re-running it resumes and completes (${KILLS} kills of client and server)`, async ({
    expect,
  }) => {
    const rand = seededRandom(0x5eed2);
    const s = await serve(join(tmp.dir, 'served-clone'));
    const source = 'clone-src';
    const url = repoUrl(s.server, source);
    // The served repository: main and a tag, pushed once.
    expect((await runCairnAsync(['push', url, 'main', '--tags'], SRC)).code).toBe(0);
    const serverRepo = join(s.root, source);
    const served = refState(serverRepo).refs;
    expect(served).toEqual({ 'refs/heads/main': head, 'refs/tags/v1': head });
    const wantedRefs: Record<string, string> = { ...served, 'refs/remotes/origin/main': head };
    const clones = join(tmp.dir, 'clones');
    mkdirSync(clones);
    const clone = (dir: string) => ['clone', url, dir, '--json'];
    const spans: number[] = [];
    for (let w = 0; w < 2; w++) {
      const r = await runWithKill(clone(`warm${w}`), clones, s, source, 'client', Infinity);
      expect(r.code, r.stderr).toBe(0);
      spans.push(r.ms - r.firstRequestAt!);
    }
    const landed: string[] = [];
    const kills = { client: 0, server: 0 };
    let finishedFirst = 0;
    let resumed = 0;
    const started = performance.now();
    let i = 0;
    for (; kills.client + kills.server < KILLS; i++) {
      expect(i, `too many clones finished before their kill (spans ${spans.map(Math.round).join(' ')} ms)`).toBeLessThan(KILLS * 2);
      const victim: Victim = i % 2 === 0 ? 'client' : 'server';
      const dir = join(clones, `c${i}`);
      const delay = Math.round(rand() * 1.1 * median(spans));
      const where = `round ${i}: ${victim} killed ${delay} ms after the first request`;
      const o = await runWithKill(clone(`c${i}`), clones, s, source, victim, delay);
      if (!o.killed) {
        expect(o.code, `${where}: ${o.stderr}`).toBe(0);
        finishedFirst++;
        if (o.firstRequestAt !== undefined) spans.push(o.ms - o.firstRequestAt);
        continue;
      }
      kills[victim]++;
      // A server killed after its last answer leaves nothing for the clone to fail on: it completed.
      // (Or the client exited 0 just before its SIGKILL landed.)
      const completed = o.code === 0;

      // A clone killed while creating its repository leaves it unfinished: no HEAD, no refs, and
      // a re-run starts it again (Repository.isFinished).
      const exists = Repository.isFinished(dir);
      expect(exists ? whole(dir) : [], where).toEqual([]);
      if (victim === 'server') expect(whole(serverRepo), where).toEqual([]);
      if (exists) {
        // Every ref the killed clone made names what the server has (and is whole: checked above).
        const refs = refState(dir).refs;
        for (const [ref, id] of Object.entries(refs)) expect(id, `${where}: ${ref}`).toBe(wantedRefs[ref]);
        landed.push(
          Object.keys(refs).length > 0
            ? 'after the refs moved'
            : stagedStats(dir).count > 0
              ? 'during the object stream'
              : 'before any object was kept',
        );
      } else landed.push('before the repository existed');

      if (victim === 'server') await restartServer(s);
      if (!completed) {
        const again = await runWithKill(clone(`c${i}`), clones, s, source, 'client', Infinity);
        expect(again.code, `${where}, re-run: ${again.stderr}`).toBe(0);
        if ((JSON.parse(again.stdout) as { resumed: boolean }).resumed) resumed++;
      }
      expect(refState(dir).refs, where).toEqual(wantedRefs);
      expect(stagedStats(dir).count, `${where}: quarantine left after a completed clone`).toBe(0);
      const repo = Repository.open(dir);
      try {
        expect(repo.config.get('clone.pending'), where).toBeUndefined();
      } finally {
        repo.close();
      }
    }
    expect(refState(serverRepo).refs).toEqual(served);
    const final = await Promise.all([checkWhole(join(clones, `c${i - 1}`)), checkWhole(serverRepo)]);
    expect(final).toEqual([[], []]);
    console.log(
      `sync-kill clone: ${kills.client} client kills, ${kills.server} server kills over ${i} rounds, at 0..${Math.round(1.1 * median(spans))} ms after the first request ` +
        `(typical exchange ${Math.round(median(spans))} ms); ${finishedFirst} clones finished before their kill; landed: ${tally(landed)}; ` +
        `${resumed} re-runs resumed a pending clone; ${Math.round((performance.now() - started) / 1000)} s`,
    );
  }, 900_000);
});
