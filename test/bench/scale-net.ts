// What the scale-* scenarios share: the engines check (refusing clearly when PostgreSQL or radosgw
// do not answer), the two kinds of backend under test — N `cairn serve` on PostgreSQL + S3 behind
// nginx (test/helpers/cluster.ts, reused as the tests use it) and one `cairn serve --root` (the
// folder baseline) — their request logs, their /metrics counters, and CPU time per process from
// /proc/<pid>/stat.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { startCluster, TEST_BUCKET } from '../helpers/cluster.js';
import { engines, SERVICES_DIR, type Engines } from '../helpers/engines.js';
import type { Bench } from './context.js';
import { startCairnServe } from './sync-net.js';

export const START_ENGINES = 'bash scripts/services.sh start';

// The AWS SDK warns on Node 20 that later releases will need Node 22: noise in every table here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** Thrown when the engines are not up: the run is refused, with what to do. */
export class EnginesDown extends Error {}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const s = net.connect(port, host);
    const t = setTimeout(() => {
      s.destroy();
      done(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      done(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      done(false);
    });
  });
}

/** The engines' settings, once PostgreSQL answers a query and radosgw and nginx are there; else EnginesDown. */
export async function requireEngines(): Promise<Engines> {
  let e: Engines;
  try {
    e = engines();
  } catch (err) {
    throw new EnginesDown(`the scale-* scenarios need PostgreSQL + radosgw: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const client = new pg.Client({ connectionString: e.pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    problems.push(`PostgreSQL (${e.pgUrl.replace(/\/\/[^@]*@/, '//')}) does not answer: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const s3 = new URL(e.s3Endpoint);
  if (!(await tcpOpen(s3.hostname, Number(s3.port || 80), 3000))) problems.push(`radosgw does not listen on ${e.s3Endpoint}`);
  if (!fs.existsSync(e.nginx)) problems.push(`no nginx at ${e.nginx}`);
  if (problems.length)
    throw new EnginesDown(
      `the engines are not up: ${problems.join('; ')}. Start them with \`${START_ENGINES}\` (as root), then run again.`,
    );
  return e;
}

/** One request-log line of `cairn serve` (pino JSON). */
export interface RequestLine {
  time: number;
  endpoint: string;
  status: number;
  ms: number;
  bytesOut: number;
  bytesIn: number;
}

export function parseRequestLog(text: string): RequestLine[] {
  const out: RequestLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as Partial<Omit<RequestLine, 'time'>> & { msg?: string; time?: string | number };
      // pino's time: ISO text as cairn serve configures it (epoch ms in pino's default).
      const time = typeof v.time === 'string' ? Date.parse(v.time) : v.time;
      if (
        v.msg === 'request' &&
        typeof v.endpoint === 'string' &&
        typeof v.ms === 'number' &&
        typeof time === 'number' &&
        !Number.isNaN(time)
      )
        out.push({
          time,
          endpoint: v.endpoint,
          status: v.status ?? 0,
          ms: v.ms,
          bytesOut: v.bytesOut ?? 0,
          bytesIn: v.bytesIn ?? 0,
        });
    } catch {
      // not a log record
    }
  }
  return out;
}

/** A backend under test: where clients go, the processes to account CPU to, the request log, /metrics. */
export interface Backend {
  /** 'folder' or 'pg+s3 ×N'. */
  label: string;
  kind: 'folder' | 'pg';
  servers: number;
  /** Base URL (nginx for a cluster). */
  url: string;
  /** pids of the cairn serve processes. */
  pids: number[];
  /** Request-log lines of every server so far. */
  requests(): RequestLine[];
  /** Sum over the servers of the cairn_s3_* / cairn_pack_cache_* counters (empty for the folder backend). */
  metrics(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** `cairn serve --root DIR` (one server, the folder backend). */
export async function startFolderBackend(b: Bench, name: string): Promise<Backend> {
  const root = b.freshDir(`serve-root-${name}`);
  const logFile = path.join(b.session, `serve-${name}.log`);
  const srv = await startCairnServe(b, root, logFile);
  return {
    label: 'folder',
    kind: 'folder',
    servers: 1,
    url: `http://127.0.0.1:${srv.port}`,
    pids: [srv.pid],
    requests: () => parseRequestLog(fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    metrics: () => Promise.resolve({}),
    stop: () => srv.stop(),
  };
}

const METRIC =
  /^(cairn_s3_requests_total|cairn_s3_bytes_total|cairn_pack_cache_hits_total|cairn_pack_cache_misses_total)(\{[^}]*\})? ([0-9.e+]+)$/;

/** Counters of one /metrics page, keyed `name` or `name{op}` (e.g. cairn_s3_requests_total{put}). */
export function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = METRIC.exec(line.trim());
    if (!m) continue;
    const op = /op="([a-z]+)"/.exec(m[2] ?? '')?.[1];
    const key = op ? `${m[1]}{${op}}` : (m[1] as string);
    out[key] = (out[key] ?? 0) + Number(m[3]);
  }
  return out;
}

/** N servers on PostgreSQL + S3 (a schema and key prefix of their own) behind nginx. */
export async function startPgBackend(b: Bench, servers: number): Promise<Backend> {
  const c = await startCluster({ servers, bin: b.opts.cairnBin });
  const objects = c.serveArgs[c.serveArgs.indexOf('--objects') + 1] ?? '';
  return {
    label: `pg+s3 ×${servers}`,
    kind: 'pg',
    servers,
    url: c.url,
    pids: c.servers.map((s) => s.proc.pid as number),
    requests: () => c.servers.flatMap((s) => parseRequestLog(s.log())),
    metrics: async () => {
      const sum: Record<string, number> = {};
      for (const s of c.servers) {
        const r = await fetch(`${s.url}/metrics`);
        for (const [k, v] of Object.entries(parseMetrics(await r.text()))) sum[k] = (sum[k] ?? 0) + v;
      }
      return sum;
    },
    stop: async () => {
      await c.stop();
      await deletePrefix(objects).catch((err: unknown) => b.log(`  note: could not delete ${objects}: ${(err as Error).message}`));
    },
  };
}

/** Removes the packs a cluster left under its key prefix (the cluster helper drops only its schema). */
async function deletePrefix(objectsUrl: string): Promise<void> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(objectsUrl);
  if (!m || m[1] !== TEST_BUCKET) return;
  const e = engines();
  const s3 = new S3Client({
    endpoint: e.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
  });
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: m[1], Prefix: m[2], ContinuationToken: token }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: m[1], Delete: { Objects: keys, Quiet: true } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    s3.destroy();
  }
}

export function metricsDelta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) out[k] = v - (before[k] ?? 0);
  return out;
}

// ---- CPU time per process ----

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, and cutime + cstime (reaped children), in seconds. */
  self: number;
  children: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text
    .slice(close + 2)
    .split(' ')
    .map(Number);
  // After "pid (comm) ": state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  const hz = clockTicks();
  return { pid, comm, ppid: f[1] ?? 0, self: ((f[11] ?? 0) + (f[12] ?? 0)) / hz, children: ((f[13] ?? 0) + (f[14] ?? 0)) / hz };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    const s = readStat(Number(n));
    if (s) out.push(s);
  }
  return out;
}

function postmasterPid(): number | null {
  try {
    return Number(fs.readFileSync(path.join(SERVICES_DIR, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

/** CPU-seconds so far of each process group: every cairn server, all of PostgreSQL, radosgw, ceph-osd + ceph-mon. */
export function cpuSnapshot(serverPids: readonly number[]): Record<string, number> {
  const stats = allStats();
  const out: Record<string, number> = {};
  serverPids.forEach((pid, i) => {
    const s = stats.find((x) => x.pid === pid);
    out[`cairn serve ${i + 1}`] = s ? s.self + s.children : 0;
  });
  const pm = postmasterPid();
  const master = pm === null ? undefined : stats.find((x) => x.pid === pm);
  if (master) {
    // The postmaster's reaped children (backends that ended) plus the live ones.
    out['postgres'] = master.self + master.children + stats.filter((x) => x.ppid === pm).reduce((n, x) => n + x.self, 0);
  }
  const byComm = (name: string, comms: string[]): void => {
    const ps = stats.filter((x) => comms.includes(x.comm));
    if (ps.length) out[name] = ps.reduce((n, x) => n + x.self + x.children, 0);
  };
  byComm('radosgw', ['radosgw']);
  byComm('ceph-osd + ceph-mon', ['ceph-osd', 'ceph-mon']);
  return out;
}

export function cpuDelta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) out[k] = v - (before[k] ?? 0);
  return out;
}

/** The p-th percentile (0..100) of `values` by nearest rank, or null. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** Request-log lines of a time window, grouped by endpoint (health and metrics requests left out). */
export function byEndpoint(lines: readonly RequestLine[], from: number, to: number): Map<string, RequestLine[]> {
  const out = new Map<string, RequestLine[]>();
  for (const l of lines) {
    if (l.time < from || l.time > to || ['metrics', 'healthz', 'readyz'].includes(l.endpoint)) continue;
    const list = out.get(l.endpoint) ?? [];
    list.push(l);
    out.set(l.endpoint, list);
  }
  return out;
}
