// 16 clients push to the same branch at once from the same base (issue 4): each round exactly one
// wins and every other gets the non-fast-forward error; the losers fetch and merge (a clean merge:
// each client touched its own file) and push again, until all have pushed. Nothing is lost: every
// client's commit is on the server's branch, and fsck is clean.
//
// Round 1 is 16 real `cairn push` processes started together (proves exit 6 and the message the
// user reads). The later rounds drive the losers through the library in this process: one CLI
// process per client and round made the file take minutes, and proved nothing more. The library
// pushes share one event loop, but each is several HTTP requests that interleave at the real
// `cairn serve` exactly as separate processes' would: all fetch the same tip, all pass the
// client-side fast-forward check, and the server's compare-and-swap picks one winner (the rest
// are refused there: cairn_ref_update_conflicts_total).
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnOk, TEST_ENV, tempDir } from '../helpers/cli.js';
import { repoUrl, startServer, type TestServer } from '../helpers/server.js';
import { metricValue, writeDataset } from '../helpers/sync-fixtures.js';
import { ancestors, checkWhole, commitIds, refState, runAndKill, withRepo } from './helpers.js';
import { CairnError } from '../../src/errors.js';
import { commit } from '../../src/ops/commit.js';
import { refWho } from '../../src/ops/identity.js';
import { merge } from '../../src/ops/merge.js';
import { fetchRemote } from '../../src/sync/client/fetch.js';
import { pushRefs } from '../../src/sync/client/push.js';

const CLIENTS = 16;
const AUTHOR = { name: TEST_ENV['CAIRN_AUTHOR_NAME']!, email: TEST_ENV['CAIRN_AUTHOR_EMAIL']! };
const TIME = Number(TEST_ENV['CAIRN_COMMIT_TIME']);
const WHO = refWho(AUTHOR);
const MAIN = 'refs/heads/main';

const tmp = tempDir('cairn-sync-race-');
let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

/** Runs cairn to completion without blocking; generous limit, as 16 run at once on a loaded machine. */
async function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = await runAndKill(args, cwd, 300_000);
  return { code: o.code ?? -1, stdout: o.stdout, stderr: o.stderr };
}

const secs = (from: number, to: number) => ((to - from) / 1000).toFixed(1);

describe('concurrent pushes to one branch', () => {
  it(`${CLIENTS} clients from the same base: one wins per round, the others are told to fetch and merge first, and after fetch + merge + push all commits are on the branch`, async () => {
    const started = performance.now();
    server = await startServer(join(tmp.dir, 'served'));
    const url = repoUrl(server, 'race');
    const served = join(server.root, 'race');
    const base = join(tmp.dir, 'base');
    cairnOk(['init', 'base'], { cwd: tmp.dir });
    writeDataset(base, { records: 40, blobs: 1, blobBytes: 64 << 10 });
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: base });
    cairnOk(['push', url, 'main'], { cwd: base });
    const baseId = refState(base).head!;

    // Sixteen replicas of the same base: one clone, copied (a clone folder is self-contained: remote
    // URL and upstream live in its own config). Each commits a file nobody else touches.
    const dirs = Array.from({ length: CLIENTS }, (_, k) => join(tmp.dir, `client${k}`));
    cairnOk(['clone', url, dirs[0]!], { cwd: tmp.dir });
    for (const dir of dirs.slice(1)) cpSync(dirs[0]!, dir, { recursive: true });
    const own: string[] = [];
    for (const [k, dir] of dirs.entries()) {
      mkdirSync(join(dir, 'clients'), { recursive: true });
      writeFileSync(
        join(dir, 'clients', `c${k}.jsonl`),
        Array.from({ length: 20 }, (_, j) => JSON.stringify({ id: j, client: k, v: `${k}-${j}` })).join('\n') + '\n',
      );
      const res = await withRepo(dir, (repo) =>
        commit(repo, { message: `client ${k}`, author: AUTHOR, time: TIME, tzOffset: 0, all: true }),
      );
      if (!res.committed) throw new Error(`client ${k}: nothing committed`);
      expect(res.parents).toEqual([baseId]);
      own.push(res.id);
    }
    expect(new Set(own).size).toBe(CLIENTS);

    const tSetup = performance.now();
    const conflictsBefore = await metricValue(server.url, 'cairn_ref_update_conflicts_total');
    const winners: number[] = [];
    const rejected = { cli: 0, 'non-fast-forward': 0, 'ref-moved': 0 };
    /** The branch moved to the winner's commit, a descendant of the tip the round started from. */
    const checkRound = (round: number, tipBefore: string, winner: number) => {
      const tip = refState(served).refs[MAIN]!;
      expect(tip, `round ${round}`).toBe(refState(dirs[winner]!).refs[MAIN]);
      expect(ancestors(served, tip).has(tipBefore), `round ${round}`).toBe(true);
      winners.push(winner);
    };

    // Round 1: sixteen `cairn push` processes at the same moment, all from the base.
    let pending = dirs.map((_, k) => k);
    const pushed = await Promise.all(pending.map((k) => run(['push'], dirs[k]!)));
    const won1 = pending.filter((_, j) => pushed[j]!.code === 0);
    expect(won1.length, `round 1: exactly one push wins (exit codes ${pushed.map((r) => r.code).join(' ')})`).toBe(1);
    for (const [j, r] of pushed.entries()) {
      if (r.code === 0) continue;
      expect(r.code, `round 1, client ${pending[j]}: ${r.stderr}`).toBe(6);
      expect(r.stderr, `round 1, client ${pending[j]}`).toContain('fetch and merge first');
      rejected.cli++;
    }
    checkRound(1, baseId, won1[0]!);
    const tRound1 = performance.now();
    pending = pending.filter((k) => k !== won1[0]);

    // Rounds 2..16 through the library: every loser fetches and merges, then all push at once.
    let round = 2;
    for (; pending.length > 0; round++) {
      expect(round, `rounds did not converge: still pending ${pending.join(' ')}`).toBeLessThanOrEqual(CLIENTS);
      const tipBefore = refState(served).refs[MAIN]!;
      await Promise.all(
        pending.map((k) =>
          withRepo(dirs[k]!, async (repo) => {
            await fetchRemote(repo, { url, remoteName: 'origin', who: WHO });
            const m = merge(repo, {
              rev: 'refs/remotes/origin/main',
              author: AUTHOR,
              time: TIME,
              tzOffset: 0,
              message: `Merge branch 'main' of ${url}`,
            });
            // A loser's own commit is not on the server: always a real merge, and always clean.
            expect(m.status, `round ${round}, merge of client ${k}`).toBe('merged');
            expect(m.conflicts).toEqual([]);
          }),
        ),
      );
      const outcomes = await Promise.allSettled(
        pending.map((k) =>
          withRepo(dirs[k]!, (repo) => pushRefs(repo, { url, remoteName: 'origin', refspecs: [{ src: MAIN, dst: MAIN }], who: WHO })),
        ),
      );
      const won = pending.filter((_, j) => outcomes[j]!.status === 'fulfilled');
      expect(won.length, `round ${round}: exactly one push wins`).toBe(1);
      for (const [j, o] of outcomes.entries()) {
        if (o.status === 'fulfilled') continue;
        const err: unknown = o.reason;
        if (!(err instanceof CairnError)) throw err;
        // Refused by the client's own check (REJECTED), or lost the server's compare-and-swap, which
        // arrives as the server's REF_MOVED.
        const reason = err.data['reason'];
        const expected = reason === 'ref-moved' ? 'REF_MOVED' : 'REJECTED';
        expect(err.code, `round ${round}, client ${pending[j]}: ${err.message}`).toBe(expected);
        expect(
          reason === 'non-fast-forward' || reason === 'ref-moved',
          `round ${round}, client ${pending[j]}: reason ${String(reason)}`,
        ).toBe(true);
        expect(err.data['ref']).toBe(MAIN);
        rejected[reason as 'non-fast-forward' | 'ref-moved']++;
      }
      checkRound(round, tipBefore, won[0]!);
      pending = pending.filter((k) => k !== won[0]);
    }
    expect(new Set(winners).size).toBe(CLIENTS);
    const tRounds = performance.now();

    // Nothing lost: every client's own commit is on the branch, and the tree has every client's file.
    const tip = refState(served).refs[MAIN]!;
    const reachable = ancestors(served, tip);
    for (const [k, id] of own.entries()) expect(reachable.has(id), `client ${k}'s commit ${id}`).toBe(true);
    expect(reachable.has(baseId)).toBe(true);
    const files = commitIds(served, tip);
    for (let k = 0; k < CLIENTS; k++) expect(files.has(`clients/c${k}.jsonl`), `clients/c${k}.jsonl`).toBe(true);
    expect(await checkWhole(served)).toEqual([]);
    // Losers got past the client-side check and lost the compare-and-swap on the server.
    const total = rejected.cli + rejected['non-fast-forward'] + rejected['ref-moved'];
    const conflicts = (await metricValue(server.url, 'cairn_ref_update_conflicts_total')) - conflictsBefore;
    expect(conflicts).toBeGreaterThan(0);
    expect(conflicts).toBeGreaterThanOrEqual(rejected['ref-moved']);
    expect(conflicts).toBeLessThanOrEqual(total);
    console.log(
      `sync-race: ${CLIENTS} clients, ${round - 1} rounds (one winner each: ${winners.join(' ')}), ${total} rejected pushes ` +
        `(${rejected.cli} CLI in round 1; library: ${rejected['non-fast-forward']} refused by the client check, ${rejected['ref-moved']} by the server's compare-and-swap); ` +
        `cairn_ref_update_conflicts_total +${conflicts}; ` +
        `${secs(started, tSetup)} s setup, ${secs(tSetup, tRound1)} s CLI round, ${secs(tRound1, tRounds)} s library rounds, ${secs(tRounds, performance.now())} s checks`,
    );
  }, 300_000);
});
