// sync-noop-fetch: server throughput for clients that are already up to date. A no-op cairn fetch
// is one request (GET <repo>/v1/refs, then the client sees nothing new), so it is measured twice:
// at the HTTP level (N concurrent keep-alive clients in a loop: requests/s, p50/p99 latency) and as
// N concurrent `cairn fetch` processes (fetches/s, p99, process start included). git: N concurrent
// no-op `git fetch` processes against git daemon.
import path from 'node:path';
import { Agent, request } from 'undici';
import type { Bench } from '../context.js';
import { describeFailure, runCommand, type CmdSpec } from '../measure.js';
import { fmtSeconds, type ScenarioReport } from '../report.js';
import { smallParams } from './common.js';
import { smallSync, startServers, syncScale } from './sync-common.js';

export const title = 'server throughput: concurrent no-op fetches';

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

interface Load {
  count: number;
  errors: number;
  seconds: number;
  /** Sorted latencies in seconds. */
  latencies: number[];
  firstError?: string;
}

/** N keep-alive clients, each GET refs -> compare with the known tips -> again, for `seconds`. */
async function httpLoad(url: string, clients: number, seconds: number, known: string): Promise<Load> {
  const agent = new Agent({ connections: clients, pipelining: 1 });
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const s = process.hrtime.bigint();
      try {
        const res = await request(url, { dispatcher: agent });
        const text = await res.body.text();
        // The client's decision: the advertised tips are the ones it has, so nothing to do.
        const body = JSON.parse(text) as { refs?: unknown };
        if (res.statusCode !== 200 || JSON.stringify(body.refs) !== known)
          throw new Error(`status ${res.statusCode}, refs ${JSON.stringify(body.refs).slice(0, 100)}`);
        lat.push(Number(process.hrtime.bigint() - s) / 1e9);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  await agent.close();
  return { count: lat.length, errors, seconds: elapsed, latencies: lat.sort((a, b) => a - b), ...(firstError ? { firstError } : {}) };
}

/** N workers, each running `each` commands one after another. */
async function processLoad(spec: () => CmdSpec, clients: number, each: number): Promise<Load> {
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    for (let i = 0; i < each; i++) {
      const r = await runCommand(spec());
      if (r.ok) lat.push(r.seconds);
      else {
        errors++;
        firstError ??= describeFailure(r);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return { count: lat.length, errors, seconds: elapsed, latencies: lat.sort((a, b) => a - b), ...(firstError ? { firstError } : {}) };
}

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const data = await smallSync(b, rep);
  smallParams(b, rep, data.repo);
  const { clients, httpSeconds, processesPerClient } = syncScale(b);
  rep.params['clients'] = clients.join(', ');
  rep.params['HTTP seconds per measure'] = httpSeconds;
  rep.params['processes per client'] = processesPerClient;
  const srv = await startServers(b, rep);
  try {
    // Up-to-date clients, cloned straight from the servers (untimed).
    const cairnUrl = data.cairnRepo !== null && srv.cairn ? srv.cairnUrl(data.cairnRepo, true) : null;
    const gitUrl = data.gitBare !== null && srv.git ? srv.gitUrl(path.basename(data.gitBare), true) : null;
    const cairnClone = b.freshPath('noop-cairn');
    const gitClone = b.freshPath('noop-git');
    let cairnOk = false;
    let gitOk = false;
    let known = '';
    if (cairnUrl !== null) {
      b.log('  cloning the small repository with cairn (untimed) ...');
      const err = await b.exec([b.cairn(['clone', cairnUrl, cairnClone], b.session)]);
      if (err) rep.errors.push(`cairn setup: ${err}`);
      else {
        const res = await request(`${cairnUrl}/v1/refs`);
        known = JSON.stringify(((await res.body.json()) as { refs: unknown }).refs);
        cairnOk = true;
      }
    }
    if (gitUrl !== null) {
      b.log('  cloning the small repository with git (untimed, --no-checkout) ...');
      const err = await b.exec([b.gitCmd(['clone', '-q', '--no-checkout', gitUrl, gitClone], b.session)]);
      if (err) rep.errors.push(`git setup: ${err}`);
      else gitOk = true;
    }

    const record = (peer: string, what: string, unitName: string, l: Load): void => {
      if (l.errors > 0)
        rep.fail(peer, `${what}: ${unitName}/s`, 'count', `${l.errors} of ${l.count + l.errors} failed; first: ${l.firstError ?? '?'}`);
      const rate = l.count / l.seconds;
      rep.add(peer, `${what}: ${unitName}/s`, 'count', round1(rate));
      rep.add(peer, `${what}: p50 latency`, 's', quantile(l.latencies, 0.5));
      rep.add(peer, `${what}: p99 latency`, 's', quantile(l.latencies, 0.99));
      b.log(
        `    ${peer} ${what}: ${round1(rate)} ${unitName}/s, p50 ${fmtSeconds(quantile(l.latencies, 0.5))}, p99 ${fmtSeconds(quantile(l.latencies, 0.99))} (${l.count} in ${l.seconds.toFixed(1)} s${l.errors ? `, ${l.errors} errors` : ''})`,
      );
    };

    for (let runNo = 1; runNo <= b.opts.runs; runNo++) {
      for (const n of clients) {
        b.log(`  [run ${runNo}/${b.opts.runs}] ${n} concurrent clients`);
        if (cairnOk && cairnUrl !== null) {
          record('cairn', `HTTP GET v1/refs, ${n} clients`, 'req', await httpLoad(`${cairnUrl}/v1/refs`, n, httpSeconds, known));
          record(
            'cairn',
            `fetch processes, ${n} clients`,
            'fetches',
            await processLoad(() => b.cairn(['fetch', '--json'], cairnClone), n, processesPerClient),
          );
        }
        if (gitOk) {
          record(
            'git',
            `fetch processes, ${n} clients`,
            'fetches',
            await processLoad(() => b.gitCmd(['fetch', '-q', '--no-write-fetch-head', 'origin'], gitClone), n, processesPerClient),
          );
        }
      }
    }
    for (const n of clients) {
      const c = rep.get('cairn', `fetch processes, ${n} clients: fetches/s`)?.median ?? null;
      const g = rep.get('git', `fetch processes, ${n} clients: fetches/s`)?.median ?? null;
      if (c !== null && g !== null && g > 0)
        rep.notes.push(
          `${n} clients: cairn fetch processes complete ${(c / g).toFixed(2)}× as many no-op fetches per second as git fetch (${c} vs ${g}).`,
        );
    }
    b.trash(cairnClone);
    b.trash(gitClone);
  } finally {
    await srv.stop();
  }
  rep.notes.push(
    `HTTP level: undici, N keep-alive connections, each client in a loop GET <repo>/v1/refs, read and compare the refs with its own (what a no-op fetch does), ${httpSeconds} s per measure; the load generator runs in the harness process on the same machine.`,
  );
  rep.notes.push(
    `processes: N workers each run ${processesPerClient} no-op fetch(es) one after another in one up-to-date clone (\`cairn fetch --json\`; \`git fetch -q --no-write-fetch-head origin\` over git://); process start-up is included and dominates. No proxy in between.`,
  );
}
