// vitest globalSetup: makes sure PostgreSQL and radosgw answer before any test runs, starting them
// with scripts/services.sh when they do not (and stopping at the end only what it started). Engines
// already running (a developer ran `bash scripts/services.sh start` once) are used and left alone.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const script = join(resolve(import.meta.dirname, '..', '..'), 'scripts', 'services.sh');
let started = false;

function services(command: 'start' | 'status' | 'stop'): number {
  const r = spawnSync('bash', [script, command], { stdio: command === 'status' ? 'ignore' : 'inherit', timeout: 600_000 });
  return r.status ?? 1;
}

export function setup(): void {
  if (services('status') === 0) return;
  if (services('start') !== 0) throw new Error(`could not start the test engines: see the messages above ('bash ${script} start')`);
  started = true;
}

export function teardown(): void {
  if (started) services('stop');
}
