// 16 clients push to the same branch at once from the same base (issue 4): each round exactly one
// wins and every other gets the non-fast-forward error (exit 6, "fetch and merge first"); the
// losers pull (a clean merge: each client touched its own file) and push again, until all have
// pushed. Nothing is lost: every client's commit is on the server's branch, and fsck is clean.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnOk, tempDir } from '../helpers/cli.js';
import { repoUrl, startServer, type TestServer } from '../helpers/server.js';
import { metricValue, writeDataset } from '../helpers/sync-fixtures.js';
import { checkWhole, commitIds, refState, runAndKill } from './helpers.js';
import { Repository } from '../../src/store/repository.js';
import { readCommit } from '../../src/store/typed-objects.js';

const CLIENTS = 16;

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

/** Runs `fn` over `items`, at most `n` at a time (pulls need not overlap to prove anything). */
async function limited<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Every commit reachable from `tip` (parents followed through merges). */
function ancestors(dir: string, tip: string): Set<string> {
  const repo = Repository.open(dir);
  try {
    const seen = new Set<string>();
    const stack = [tip];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...readCommit(repo.objects, id).parents);
    }
    return seen;
  } finally {
    repo.close();
  }
}

describe('concurrent pushes to one branch', () => {
  it(`${CLIENTS} clients from the same base: one wins per round, the others are told to fetch and merge first, and after pull + push all commits are on the branch`, async () => {
    const started = performance.now();
    server = await startServer(join(tmp.dir, 'served'));
    const url = repoUrl(server, 'race');
    const base = join(tmp.dir, 'base');
    cairnOk(['init', 'base'], { cwd: tmp.dir });
    writeDataset(base, { records: 40, blobs: 1, blobBytes: 64 << 10 });
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: base });
    cairnOk(['push', url, 'main'], { cwd: base });
    const baseId = refState(base).head!;

    // Sixteen replicas of the same base, each with one commit of its own: a file nobody else touches.
    const dirs = Array.from({ length: CLIENTS }, (_, k) => join(tmp.dir, `client${k}`));
    const cloned = await limited(dirs, 4, (d) => run(['clone', url, d], tmp.dir));
    for (const r of cloned) expect(r.code, r.stderr).toBe(0);
    for (const [k, dir] of dirs.entries()) {
      mkdirSync(join(dir, 'clients'), { recursive: true });
      writeFileSync(join(dir, 'clients', `c${k}.jsonl`), Array.from({ length: 20 }, (_, j) => JSON.stringify({ id: j, client: k, v: `${k}-${j}` })).join('\n') + '\n');
    }
    const committed = await limited([...dirs.keys()], 4, (k) => run(['commit', '-a', '-m', `client ${k}`], dirs[k]!));
    for (const r of committed) expect(r.code, r.stderr).toBe(0);
    const own = dirs.map((dir) => refState(dir).head!);
    expect(new Set(own).size).toBe(CLIENTS);

    const conflictsBefore = await metricValue(server.url, 'cairn_ref_update_conflicts_total');
    let pending = dirs.map((_, k) => k);
    const winners: number[] = [];
    let rejections = 0;
    let round = 0;
    for (; pending.length > 0; round++) {
      expect(round, `rounds did not converge: still pending ${pending.join(' ')}`).toBeLessThan(CLIENTS + 4);
      // Everyone still pending pushes at the same moment, all from the server's current tip.
      const tipBefore = refState(join(server.root, 'race')).refs['refs/heads/main']!;
      const pushed = await Promise.all(pending.map((k) => run(['push'], dirs[k]!)));
      const won = pending.filter((_, j) => pushed[j]!.code === 0);
      expect(won.length, `round ${round}: exactly one push wins (exit codes ${pushed.map((r) => r.code).join(' ')})`).toBe(1);
      for (const [j, r] of pushed.entries()) {
        if (r.code === 0) continue;
        expect(r.code, `round ${round}, client ${pending[j]}: ${r.stderr}`).toBe(6);
        expect(r.stderr, `round ${round}, client ${pending[j]}`).toMatch(/fetch and merge first|someone else pushed/);
        rejections++;
      }
      const winner = won[0]!;
      winners.push(winner);
      // The branch moved to the winner's commit, a descendant of the tip the round started from.
      const tip = refState(join(server.root, 'race')).refs['refs/heads/main']!;
      expect(tip, `round ${round}`).toBe(refState(dirs[winner]!).head);
      expect(ancestors(join(server.root, 'race'), tip).has(tipBefore), `round ${round}`).toBe(true);
      pending = pending.filter((k) => k !== winner);
      // The losers fetch and merge (clean: different files), then try again next round.
      const pulled = await limited(pending, 4, (k) => run(['pull'], dirs[k]!));
      for (const [j, r] of pulled.entries()) expect(r.code, `round ${round}, pull of client ${pending[j]}: ${r.stderr}`).toBe(0);
    }

    // Nothing lost: every client's own commit is on the branch, and the tree has every client's file.
    const served = join(server.root, 'race');
    const tip = refState(served).refs['refs/heads/main']!;
    const reachable = ancestors(served, tip);
    for (const [k, id] of own.entries()) expect(reachable.has(id), `client ${k}'s commit ${id}`).toBe(true);
    expect(reachable.has(baseId)).toBe(true);
    const files = commitIds(served, tip);
    for (let k = 0; k < CLIENTS; k++) expect(files.has(`clients/c${k}.jsonl`), `clients/c${k}.jsonl`).toBe(true);
    expect(await checkWhole(served)).toEqual([]);
    // Some losers got past the client-side check and lost the compare-and-swap on the server.
    const conflicts = (await metricValue(server.url, 'cairn_ref_update_conflicts_total')) - conflictsBefore;
    expect(conflicts).toBeGreaterThan(0);
    expect(conflicts).toBeLessThanOrEqual(rejections);
    console.log(
      `sync-race: ${CLIENTS} clients, ${round} rounds (one winner each: ${winners.join(' ')}), ${rejections} rejected pushes, ` +
        `${conflicts} of them refused by the server's compare-and-swap (cairn_ref_update_conflicts_total); ${Math.round((performance.now() - started) / 1000)} s`,
    );
  }, 900_000);
});
