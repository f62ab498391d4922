// Datasets and probes for the sync fault tests: a mixed dataset (JSON Lines records plus random
// binary files large enough to be chunked), the quarantine of a repository read from outside its
// process, and the counters a running server exposes on /metrics.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface DatasetShape {
  /** JSON Lines files, spread over a few folders. */
  records: number;
  /** Random (incompressible) binary files and the size of each. */
  blobs: number;
  blobBytes: number;
  /** Name prefix, so several datasets can share a folder. */
  prefix?: string;
}

/** Writes a dataset under `dir`; returns the bytes written. Content is random on every call. */
export function writeDataset(dir: string, shape: DatasetShape): number {
  const prefix = shape.prefix ?? '';
  let bytes = 0;
  for (let i = 0; i < shape.records; i++) {
    const folder = join(dir, `${prefix}rows`, `part${i % 8}`);
    if (i < 8) mkdirSync(folder, { recursive: true });
    const salt = randomBytes(4).toString('hex');
    const lines: string[] = [];
    for (let k = 0; k < 10 + (i % 40); k++)
      lines.push(JSON.stringify({ id: i * 1000 + k, salt, name: `row ${k} of file ${i}`, score: (i * 7919 + k * 104729) % 1000 }));
    const text = `${lines.join('\n')}\n`;
    writeFileSync(join(folder, `r${i}.jsonl`), text);
    bytes += text.length;
  }
  if (shape.blobs > 0) mkdirSync(join(dir, `${prefix}blobs`), { recursive: true });
  for (let i = 0; i < shape.blobs; i++) {
    writeFileSync(join(dir, `${prefix}blobs`, `b${i}.bin`), randomBytes(shape.blobBytes));
    bytes += shape.blobBytes;
  }
  return bytes;
}

export interface StagedStats {
  count: number;
  bytes: number;
}

/**
 * Objects waiting in a repository's quarantine, read through a read-only connection of its own
 * (the repository may be open in a running server or client at the same moment). Zero when the
 * repository does not exist yet.
 */
export function stagedStats(repoDir: string): StagedStats {
  const path = join(repoDir, '.cairn', 'cairn.db');
  if (!existsSync(path)) return { count: 0, bytes: 0 };
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 2000 });
    const r = db.prepare('SELECT count(*) AS n, coalesce(sum(stored_len), 0) AS b FROM staged').get() as { n: number; b: number };
    return { count: r.n, bytes: r.b };
  } catch {
    // Created but not yet initialized (no staged table): nothing staged.
    return { count: 0, bytes: 0 };
  } finally {
    db?.close();
  }
}

/** The ids waiting in a repository's quarantine. */
export function stagedIds(repoDir: string): Set<string> {
  const path = join(repoDir, '.cairn', 'cairn.db');
  if (!existsSync(path)) return new Set();
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 2000 });
  try {
    return new Set((db.prepare('SELECT id FROM staged').all() as { id: string }[]).map((r) => r.id));
  } finally {
    db.close();
  }
}

/** Objects in a repository's store proper (count and stored bytes). */
export function storedStats(repoDir: string): StagedStats {
  const db = new Database(join(repoDir, '.cairn', 'cairn.db'), { readonly: true, fileMustExist: true, timeout: 2000 });
  try {
    const r = db.prepare('SELECT count(*) AS n, coalesce(sum(stored_len), 0) AS b FROM objects').get() as { n: number; b: number };
    return { count: r.n, bytes: r.b };
  } finally {
    db.close();
  }
}

/** The sum over all label sets of one metric on a server's /metrics page. */
export async function metricValue(serverUrl: string, name: string): Promise<number> {
  const res = await fetch(`${serverUrl}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m !== null && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface RequestLine {
  endpoint?: string;
  repo?: string;
  status?: number;
  bytesIn?: number;
  bytesOut?: number;
  aborted?: boolean;
}

/** The parsed request-log lines a server wrote so far (one JSON object per request). */
export function requestLog(log: string): RequestLine[] {
  const out: RequestLine[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as RequestLine & { msg?: string };
      if (v.msg === 'request') out.push(v);
    } catch {
      /* a line cut by a kill */
    }
  }
  return out;
}

/**
 * Bytes waiting in the kernel on established TCP connections to or from `port` (receive queues not
 * yet read by their process plus send queues not yet taken by the peer): sent by one process but
 * not yet arrived in the other. Read with `ss`; 0 when `ss` is not there.
 */
export function queuedBytes(port: number): number {
  const r = spawnSync('ss', ['-tnH', 'state', 'established'], { encoding: 'utf8' });
  if (r.status !== 0) return 0;
  let sum = 0;
  for (const line of r.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    if (f[2]!.endsWith(`:${port}`) || f[3]!.endsWith(`:${port}`)) sum += Number(f[0]) + Number(f[1]);
  }
  return sum;
}
