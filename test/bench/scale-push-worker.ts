// A worker process of scale-push: drives several push clients with the client library (no CLI
// process per push: on 2 cores a `cairn` process costs ~1 s of CPU to start, which would measure
// node's start-up, not the servers). Run as `node --import tsx scale-push-worker.ts CONFIG-JSON`.
//
// Protocol: each client clones the served repository (untimed), then the worker prints `ready`;
// on `go` from stdin every client loops for `seconds`, and the worker prints one JSON line with
// the results and exits.
//   distinct: commit a change to its own file on main, push main -> refs/heads/<its branch>.
//   shared:   fetch, merge origin/main, commit, push main -> main; REF_MOVED or non-fast-forward
//             counts as a loss (another client won the round), anything else as an error.
import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../../src/errors.js';
import { commit } from '../../src/ops/commit.js';
import { refWho } from '../../src/ops/identity.js';
import { merge } from '../../src/ops/merge.js';
import { Repository } from '../../src/store/repository.js';
import { cloneRepo } from '../../src/sync/client/clone.js';
import { fetchRemote } from '../../src/sync/client/fetch.js';
import { pushRefs } from '../../src/sync/client/push.js';

export interface WorkerConfig {
  url: string;
  mode: 'distinct' | 'shared';
  seconds: number;
  clients: { id: number; dir: string }[];
}

export interface ClientResult {
  id: number;
  ok: number;
  lost: number;
  errors: number;
  firstError: string | null;
  /** ms of each successful push request sequence (pushRefs), and of each whole cycle (fetch + merge + commit + push). */
  pushMs: number[];
  cycleMs: number[];
}

export interface WorkerResult {
  clients: ClientResult[];
  /** CPU-seconds of this worker process during the timed loop. */
  cpuSeconds: number;
  wallSeconds: number;
}

const author = { name: 'bench', email: 'bench@example.com' };
const who = refWho(author);

async function setup(cfg: WorkerConfig): Promise<void> {
  for (const c of cfg.clients) {
    if (!fs.existsSync(path.join(c.dir, '.cairn'))) await cloneRepo({ url: cfg.url, dir: c.dir, who });
  }
}

function lostRace(err: unknown): boolean {
  return err instanceof CairnError && (err.code === 'REF_MOVED' || (err.code === 'REJECTED' && err.data['reason'] === 'non-fast-forward'));
}

async function loop(cfg: WorkerConfig, c: WorkerConfig['clients'][number], deadline: number): Promise<ClientResult> {
  const res: ClientResult = { id: c.id, ok: 0, lost: 0, errors: 0, firstError: null, pushMs: [], cycleMs: [] };
  const repo = Repository.open(c.dir);
  const file = path.join(c.dir, `client-${c.id}.txt`);
  const dst = cfg.mode === 'distinct' ? `refs/heads/client-${c.id}` : 'refs/heads/main';
  let n = 0;
  try {
    while (Date.now() < deadline) {
      const t0 = performance.now();
      try {
        if (cfg.mode === 'shared') {
          await fetchRemote(repo, { url: cfg.url, remoteName: 'origin', who });
          const m = merge(repo, { rev: 'origin/main', author, message: 'merge origin/main' });
          if (m.status === 'conflicts') throw new Error('unexpected merge conflict (clients edit different files)');
        }
        fs.writeFileSync(file, `client ${c.id} change ${++n} at ${Date.now()}\n`);
        commit(repo, { message: `client ${c.id} change ${n}`, author, all: true });
        const p0 = performance.now();
        await pushRefs(repo, { url: cfg.url, remoteName: 'origin', refspecs: [{ src: 'refs/heads/main', dst }], who });
        const t1 = performance.now();
        res.ok++;
        res.pushMs.push(t1 - p0);
        res.cycleMs.push(t1 - t0);
      } catch (err) {
        if (lostRace(err)) res.lost++;
        else {
          res.errors++;
          res.firstError ??= err instanceof Error ? err.message : String(err);
          // A broken client should not spin: wait a little before the next round.
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  } finally {
    repo.close();
  }
  return res;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '') as WorkerConfig;
  await setup(cfg);
  process.stdout.write('ready\n');
  await new Promise<void>((ok) => {
    let buf = '';
    process.stdin.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('go')) ok();
    });
  });
  process.stdin.pause();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = Date.now() + cfg.seconds * 1000;
  const clients = await Promise.all(cfg.clients.map((c) => loop(cfg, c, deadline)));
  const cpu = process.cpuUsage(cpu0);
  const out: WorkerResult = { clients, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - t0) / 1000 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`scale-push worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
