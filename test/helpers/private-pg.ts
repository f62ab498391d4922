// A private PostgreSQL 15 instance for one test that stops and restarts it (the shared engine of
// scripts/services.sh serves other tests at the same time and is never touched). Made as
// scripts/services.sh makes the shared one: initdb into a temporary folder, pg_ctl with its own
// port and socket folder, fsync off; run as the postgres user when this process is root (PostgreSQL
// refuses to run as root).
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './net.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PrivatePg {
  port: number;
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication). */
  url: string;
  dir: string;
  /** `pg_ctl stop -m fast`: open connections are terminated, in-flight transactions rolled back. */
  stop(): void;
  start(): void;
  /** Stops the instance (immediate) and deletes its folder; safe to call more than once. */
  destroy(): void;
}

function pgUid(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Runs a PostgreSQL binary (as postgres when root); stdio ignored, so the daemon holds no pipe of ours. */
function asPg(bin: string, args: string[], timeoutMs: number): void {
  const owner = pgUid();
  const quoted = [join(PG_BIN, bin), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r =
    owner === undefined
      ? spawnSync(join(PG_BIN, bin), args, { stdio: 'ignore', timeout: timeoutMs })
      : spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { stdio: 'ignore', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (status ${r.status}, ${r.error?.message ?? r.signal ?? ''})`);
}

export async function startPrivatePg(): Promise<PrivatePg> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-private-pg-'));
  const owner = pgUid();
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  let running = false;
  const start = (): void => {
    asPg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', '-o', opts, 'start'], 40_000);
    running = true;
  };
  const stop = (): void => {
    asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], 40_000);
    running = false;
  };
  const destroy = (): void => {
    if (running) {
      try {
        asPg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], 40_000);
      } catch {
        /* already gone */
      }
      running = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    asPg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], 60_000);
    start();
  } catch (err) {
    destroy();
    throw err;
  }
  return { port, url: `postgres://postgres@127.0.0.1:${port}/postgres`, dir, stop, start, destroy };
}
