// Finding (and, where allowed, installing) the peers, and describing the machine.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function which(name: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

let aptUpdated = false;

function apt(args: string[]): { ok: boolean; tail: string } {
  const r = spawnSync('apt-get', args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 << 20,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
  return { ok: r.status === 0, tail: r.error ? r.error.message : out };
}

/** apt-get install a Debian package (as root only), running `apt-get update` once if needed. */
export function aptInstall(pkg: string, log: (m: string) => void): boolean {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    log(`  cannot install ${pkg}: not root (install it with: sudo apt-get install -y ${pkg})`);
    return false;
  }
  if (!which('apt-get')) {
    log(`  cannot install ${pkg}: no apt-get on this machine`);
    return false;
  }
  log(`  installing ${pkg} with apt-get ...`);
  let r = apt(['install', '-y', '-q', pkg]);
  if (!r.ok && !aptUpdated) {
    aptUpdated = true;
    apt(['update', '-q']);
    r = apt(['install', '-y', '-q', pkg]);
  }
  if (!r.ok) log(`  apt-get install ${pkg} failed: ${r.tail}`);
  return r.ok;
}

/** Path of a command, installing its Debian package first if it is missing and installing is allowed. */
export function ensureCommand(name: string, pkg: string, install: boolean, log: (m: string) => void): string | null {
  const found = which(name);
  if (found || !install) return found;
  aptInstall(pkg, log);
  return which(name);
}

function firstLine(cmd: string, args: string[], cwd?: string): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, timeout: 30_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return null;
  return r.stdout.trim().split('\n')[0] ?? null;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  ramBytes: number;
  os: string;
  node: string;
  git: string | null;
  benchFs: string | null;
  /** 1-minute load average when the run started (a busy machine makes timings noisy). */
  loadAvg1: number;
  cairnVersion: string | null;
  cairnCommit: string | null;
  date: string;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function machineInfo(benchDir: string, git: string | null, cairnVersion: string | null, repoRoot: string): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    ramBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    git: git ? (firstLine(git, ['--version'])?.replace(/^git version /, '') ?? null) : null,
    benchFs: firstLine('findmnt', ['-n', '-o', 'FSTYPE', '-T', benchDir]) ?? firstLine('stat', ['-f', '-c', '%T', benchDir]),
    loadAvg1: Number((os.loadavg()[0] ?? 0).toFixed(2)),
    cairnVersion,
    cairnCommit: git ? firstLine(git, ['rev-parse', '--short', 'HEAD'], repoRoot) : null,
    date: new Date().toISOString(),
  };
}
