// scale-push: pushes per second through 1, 2 and 3 `cairn serve` on PostgreSQL + S3 behind nginx,
// with one `cairn serve --root` (folder backend) beside as the baseline. K clients (library, in a
// few worker processes: see scale-push-worker.ts) push small commits in a loop for a fixed time,
// (a) each to its own branch, (b) all to one branch (fetch + merge + push; losses counted). From
// the servers' request logs: p50/p99 per endpoint; from /proc: CPU-seconds per push per process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.js';
import type { Bench } from '../context.js';
import { runCommand } from '../measure.js';
import { fmtSeconds, type ScenarioReport } from '../report.js';
import {
  byEndpoint,
  cpuDelta,
  cpuSnapshot,
  metricsDelta,
  percentile,
  requireEngines,
  startFolderBackend,
  startPgBackend,
  type Backend,
} from '../scale-net.js';
import type { WorkerConfig, WorkerResult } from '../scale-push-worker.js';
import { cairnJson } from './sync-common.js';

export const title = 'pushes per second through 1, 2 and 3 servers on PostgreSQL + S3 (folder backend beside)';

interface PushScale {
  clients: number;
  workers: number;
  seconds: number;
  /** Sequential CLI pushes timed to compare the drivers. */
  cliPushes: number;
}

function pushScale(b: Bench): PushScale {
  return b.opts.quick ? { clients: 4, workers: 2, seconds: 6, cliPushes: 2 } : { clients: 8, workers: 2, seconds: 30, cliPushes: 3 };
}

const WORKER = path.join(REPO_ROOT, 'test', 'bench', 'scale-push-worker.ts');

interface Worker {
  ready: Promise<void>;
  done: Promise<WorkerResult>;
  go(): void;
  kill(): void;
}

function startWorker(cfg: WorkerConfig, timeoutMs: number): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(cfg)], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A worker that died during setup closes its stdin: `go` must not crash the harness with EPIPE.
  child.stdin.on('error', () => undefined);
  let out = '';
  let err = '';
  let readyOk: () => void = () => undefined;
  const ready = new Promise<void>((ok) => (readyOk = ok));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) readyOk();
  });
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<WorkerResult>((ok, fail) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) ok(JSON.parse(line) as WorkerResult);
      else fail(new Error(`worker exited ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
  // A worker that dies during setup must not leave `ready` pending forever.
  const readyOrDead = Promise.race([ready, done.then(() => undefined)]);
  return {
    ready: readyOrDead,
    done,
    go: () => child.stdin.end('go\n'),
    kill: () => child.kill('SIGKILL'),
  };
}

interface Round {
  ok: number;
  lost: number;
  errors: number;
  firstError: string | null;
  wall: number;
  pushMs: number[];
  cycleMs: number[];
  clientCpu: number;
  from: number;
  to: number;
  cpu: Record<string, number>;
  s3: Record<string, number>;
}

async function round(b: Bench, be: Backend, repo: string, mode: WorkerConfig['mode'], sc: PushScale): Promise<Round> {
  const dirs = Array.from({ length: sc.clients }, (_, i) => ({ id: i + 1, dir: b.freshPath(`push-${mode}-c${i + 1}`) }));
  const workers: Worker[] = [];
  for (let w = 0; w < sc.workers; w++) {
    const clients = dirs.filter((_, i) => i % sc.workers === w);
    if (clients.length) workers.push(startWorker({ url: `${be.url}/${repo}`, mode, seconds: sc.seconds, clients }, 600_000));
  }
  try {
    await Promise.all(workers.map((w) => w.ready));
    const cpu0 = cpuSnapshot(be.pids);
    const m0 = await be.metrics();
    const from = Date.now();
    for (const w of workers) w.go();
    const results = await Promise.all(workers.map((w) => w.done));
    const to = Date.now();
    // Let the last request-log lines reach the log before they are read.
    await new Promise((r) => setTimeout(r, 300));
    const cpu = cpuDelta(cpuSnapshot(be.pids), cpu0);
    const s3 = metricsDelta(await be.metrics(), m0);
    const clients = results.flatMap((r) => r.clients);
    return {
      ok: clients.reduce((n, c) => n + c.ok, 0),
      lost: clients.reduce((n, c) => n + c.lost, 0),
      errors: clients.reduce((n, c) => n + c.errors, 0),
      firstError: clients.find((c) => c.firstError)?.firstError ?? null,
      wall: Math.max(...results.map((r) => r.wallSeconds)),
      pushMs: clients.flatMap((c) => c.pushMs),
      cycleMs: clients.flatMap((c) => c.cycleMs),
      clientCpu: results.reduce((n, r) => n + r.cpuSeconds, 0),
      from,
      to,
      cpu,
      s3,
    };
  } finally {
    for (const w of workers) w.kill();
    for (const d of dirs) b.trash(d.dir);
  }
}

function record(b: Bench, rep: ScenarioReport, be: Backend, mode: string, r: Round): void {
  const peer = be.label;
  const rate = r.ok / r.wall;
  const attempts = r.ok + r.lost + r.errors;
  rep.add(peer, `${mode}: pushes/s`, '/s', rate);
  rep.add(peer, `${mode}: pushes ok`, 'count', r.ok);
  if (mode === 'one branch') rep.add(peer, `${mode}: lost races (REF_MOVED / non-fast-forward)`, 'count', r.lost);
  rep.add(peer, `${mode}: success rate`, '%', attempts ? (100 * r.ok) / attempts : 0);
  if (r.errors) rep.fail(peer, `${mode}: pushes`, 'count', `${r.errors} push(es) failed otherwise, first: ${r.firstError ?? '?'}`);
  const p50 = percentile(r.pushMs, 50);
  const p99 = percentile(r.pushMs, 99);
  if (p50 !== null) rep.add(peer, `${mode}: client push p50`, 'ms', p50);
  if (p99 !== null) rep.add(peer, `${mode}: client push p99`, 'ms', p99);
  if (mode === 'one branch') {
    const c50 = percentile(r.cycleMs, 50);
    if (c50 !== null) rep.add(peer, `${mode}: client fetch+merge+commit+push p50`, 'ms', c50);
  }
  const eps = byEndpoint(be.requests(), r.from, r.to);
  const parts: string[] = [];
  for (const [ep, lines] of [...eps.entries()].sort()) {
    const ms = lines.map((l) => l.ms);
    const e50 = percentile(ms, 50) ?? 0;
    const e99 = percentile(ms, 99) ?? 0;
    rep.add(peer, `${mode}: ${ep} p50`, 'ms', e50);
    rep.add(peer, `${mode}: ${ep} p99`, 'ms', e99);
    parts.push(`${ep} ${lines.length}× p50 ${e50} / p99 ${e99} ms`);
  }
  const cpuParts: string[] = [];
  if (r.ok > 0) {
    let servers = 0;
    for (const [proc, sec] of Object.entries(r.cpu)) {
      if (proc.startsWith('cairn serve')) servers += sec;
      rep.add(peer, `${mode}: CPU per push, ${proc}`, 'ms', (1000 * sec) / r.ok);
      cpuParts.push(`${proc} ${((1000 * sec) / r.ok).toFixed(1)}`);
    }
    rep.add(peer, `${mode}: CPU per push, all cairn servers`, 'ms', (1000 * servers) / r.ok);
    rep.add(peer, `${mode}: CPU per push, clients (library workers)`, 'ms', (1000 * r.clientCpu) / r.ok);
    cpuParts.push(`clients ${((1000 * r.clientCpu) / r.ok).toFixed(1)}`);
    const puts = r.s3['cairn_s3_requests_total{put}'];
    const gets = r.s3['cairn_s3_requests_total{get}'];
    if (puts !== undefined) rep.add(peer, `${mode}: S3 PUTs per push`, 'count', puts / r.ok);
    if (gets !== undefined) rep.add(peer, `${mode}: S3 GETs per push`, 'count', gets / r.ok);
  }
  b.log(
    `    ${peer} ${mode}: ${r.ok} ok, ${r.lost} lost, ${r.errors} failed in ${fmtSeconds(r.wall)}: ${rate.toFixed(2)} pushes/s; ${parts.join('; ')}`,
  );
  if (cpuParts.length) b.log(`      CPU ms per push: ${cpuParts.join(', ')}`);
}

/** Seed repository (one small commit) pushed to the backend under `names`. */
async function seed(b: Bench, be: Backend, dir: string, names: string[]): Promise<string | null> {
  for (const n of names) {
    const err = await b.exec([b.cairn(['push', `${be.url}/${n}`, 'main'], dir, `cairn push (seed) ${n}`)]);
    if (err) return err;
  }
  return null;
}

/** The CLI as the driver: `cairn commit -a` + `cairn push` per change, sequential, against a backend. */
async function cliDriver(b: Bench, rep: ScenarioReport, be: Backend, sc: PushScale): Promise<void> {
  const dir = b.freshPath('push-cli');
  const err = await b.exec([b.cairn(['clone', `${be.url}/push-distinct`, dir], b.session)]);
  if (err) {
    rep.errors.push(`cli driver clone: ${err}`);
    return;
  }
  for (let i = 1; i <= sc.cliPushes; i++) {
    fs.writeFileSync(path.join(dir, 'cli.txt'), `cli change ${i}\n`);
    const c = await runCommand(b.cairn(['commit', '-a', '-m', `cli ${i}`], dir));
    const p = await runCommand(b.cairn(['push', '--json', 'origin', 'main:cli'], dir));
    if (!c.ok || !p.ok) {
      rep.errors.push(`cli driver: ${c.ok ? p.stderrTail.trim() : c.stderrTail.trim()}`);
      return;
    }
    rep.add('cli driver', 'commit -a + push, one after another (process start included)', 's', c.seconds + p.seconds);
    rep.add('cli driver', 'push alone', 's', p.seconds);
    if (!cairnJson(p)) rep.notes.push('cli driver: no --json record from cairn push');
  }
  b.trash(dir);
}

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  await requireEngines();
  const sc = pushScale(b);
  rep.params['clients'] = sc.clients;
  rep.params['worker processes'] = sc.workers;
  rep.params['seconds per round'] = sc.seconds;
  const seedDir = b.freshDir('push-seed');
  fs.writeFileSync(path.join(seedDir, 'README.txt'), 'scale-push seed\n');
  fs.writeFileSync(path.join(seedDir, 'data.csv'), 'id,value\n1,a\n2,b\n');
  const err = await b.exec([b.cairn(['init'], seedDir), b.cairn(['add', '.'], seedDir), b.cairn(['commit', '-m', 'seed'], seedDir)]);
  if (err) {
    rep.errors.push(`seed: ${err}`);
    return;
  }
  const configs: (() => Promise<Backend>)[] = [
    () => startFolderBackend(b, 'scale-push'),
    () => startPgBackend(b, 1),
    () => startPgBackend(b, 2),
    () => startPgBackend(b, 3),
  ];
  for (const [i, start] of configs.entries()) {
    const be = await start();
    try {
      b.log(`  ${be.label}: ${be.servers} server(s) at ${be.url}`);
      const e = await seed(b, be, seedDir, ['push-distinct', 'push-shared']);
      if (e) {
        rep.errors.push(`${be.label} seed push: ${e}`);
        continue;
      }
      if (i === 0) await cliDriver(b, rep, be, sc);
      record(b, rep, be, 'distinct branches', await round(b, be, 'push-distinct', 'distinct', sc));
      record(b, rep, be, 'one branch', await round(b, be, 'push-shared', 'shared', sc));
    } catch (e) {
      rep.errors.push(`${be.label}: ${(e as Error).message}`);
    } finally {
      await be.stop();
    }
  }
  // ratioCheck tests subject / reference ≤ limit: 1 server's rate over 3 servers' below 1 means it scales up.
  rep.ratioCheck(
    'distinct branches: pushes/s of 1 server ÷ of 3 (< 1: scales up)',
    ['pg+s3 ×1', 'distinct branches: pushes/s'],
    ['pg+s3 ×3', 'distinct branches: pushes/s'],
    1.0,
  );
  const one = rep.get('pg+s3 ×1', 'distinct branches: pushes/s')?.median;
  const three = rep.get('pg+s3 ×3', 'distinct branches: pushes/s')?.median;
  const folder = rep.get('folder', 'distinct branches: pushes/s')?.median;
  if (one && three)
    rep.notes.push(
      `distinct branches: 3 servers push ${(three / one).toFixed(2)}× as fast as 1 (issue: scale up from 1 to 3; ratio reported).`,
    );
  if (one && folder)
    rep.notes.push(`distinct branches: one pg+s3 server does ${(one / folder).toFixed(2)}× the pushes/s of the folder backend.`);
  const cli = rep.get('cli driver', 'commit -a + push, one after another (process start included)')?.median;
  const lib = rep.get('folder', 'distinct branches: client push p50')?.median;
  if (cli && lib)
    rep.notes.push(
      `driver: one CLI change (commit -a + push: two node processes, one after the other) took ${fmtSeconds(cli)} against the folder server, of which most is the two processes starting and loading cairn; a library push took ${lib.toFixed(0)} ms (p50, with ${sc.clients} clients pushing at once). On 2 cores, K CLI clients would spend the CPU the servers need on start-up, so the rounds use the library in ${sc.workers} worker processes.`,
    );
  rep.notes.push(
    'CPU per push = (utime+stime after − before, /proc/<pid>/stat) / successful pushes in the round: each cairn server; postgres = the postmaster with its reaped children plus its live backends; radosgw; ceph-osd + ceph-mon. PostgreSQL and Ceph are shared with other sessions on this machine, so their figures include whatever else ran meanwhile; nginx is not counted.',
  );
  rep.notes.push(
    'p50/p99 per endpoint come from the servers\' request logs (one JSON line per request, `ms`), for the requests that ended inside the round. "one branch": each client fetches, merges origin/main, commits and pushes main; a push that loses the compare-and-swap (REF_MOVED) or is refused as non-fast-forward counts as lost.',
  );
}
