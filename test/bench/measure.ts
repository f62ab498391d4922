// Timing, peak-RSS and disk-usage helpers for the benchmark harness.
// Nothing here holds benchmark data in memory: children stream their own I/O,
// and only the last few KiB of their stdout/stderr are kept for error reports.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CmdSpec {
  /** Short human label, e.g. "cairn add .". */
  label: string;
  cmd: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface CmdResult {
  label: string;
  commandLine: string;
  ok: boolean;
  code: number | null;
  signal: string | null;
  seconds: number;
  /** Peak resident set size in KiB, or null when it could not be measured. */
  peakRssKiB: number | null;
  stdoutTail: string;
  stderrTail: string;
  error?: string;
}

const TAIL_BYTES = 8192;
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

let timeBinary: string | null | undefined;

/** GNU time, which reports the peak RSS of the command it runs (`-f %M`, KiB). */
export function gnuTime(): string | null {
  if (timeBinary === undefined) {
    timeBinary = null;
    for (const candidate of ['/usr/bin/time', '/bin/time']) {
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        timeBinary = candidate;
        break;
      } catch {
        // not there
      }
    }
  }
  return timeBinary;
}

/** Forget the cached answer of gnuTime() (after installing the `time` package). */
export function resetGnuTime(): void {
  timeBinary = undefined;
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > TAIL_BYTES && this.chunks.length > 1) {
      const first = this.chunks.shift();
      if (first) this.size -= first.length;
    }
  }
  text(): string {
    const buf = Buffer.concat(this.chunks);
    return buf.subarray(Math.max(0, buf.length - TAIL_BYTES)).toString('utf8');
  }
}

function readVmHwmKiB(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

let timeFileCounter = 0;

/** Process groups of the commands running now (each command is started in its own group). */
const running = new Set<number>();

/** Kill the commands this harness started and that are still running (on Ctrl-C). */
export function killRunning(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

export function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * Run one command, measuring wall time and peak RSS. Never throws: a failure
 * (non-zero exit, signal, timeout, spawn error) is reported in the result.
 */
export function runCommand(spec: CmdSpec): Promise<CmdResult> {
  const commandLine = [spec.cmd, ...spec.args].map(quoteArg).join(' ');
  const timeBin = gnuTime();
  const timeFile = timeBin ? path.join(os.tmpdir(), `cairn-bench-rss-${process.pid}-${++timeFileCounter}`) : null;
  const cmd = timeBin ?? spec.cmd;
  const args = timeBin && timeFile ? ['-f', '%M', '-o', timeFile, spec.cmd, ...spec.args] : spec.args;
  const stdout = new Tail();
  const stderr = new Tail();

  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let polledHwm: number | null = null;
    let timedOut = false;
    let settled = false;
    const child = spawn(cmd, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout can end the whole command
    });
    if (child.pid !== undefined) running.add(child.pid);
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));

    const poll =
      !timeBin && child.pid !== undefined
        ? setInterval(() => {
            const v = child.pid !== undefined ? readVmHwmKiB(child.pid) : null;
            if (v !== null && (polledHwm === null || v > polledHwm)) polledHwm = v;
          }, 20)
        : null;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
    }, spec.timeoutMs ?? DEFAULT_TIMEOUT_MS);

    const finish = (code: number | null, signal: string | null, error?: string): void => {
      if (settled) return;
      settled = true;
      if (child.pid !== undefined) running.delete(child.pid);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let peakRssKiB: number | null = polledHwm;
      if (timeFile) {
        try {
          const text = fs.readFileSync(timeFile, 'utf8');
          // GNU time may prepend "Command exited with non-zero status N".
          const lines = text.trim().split('\n');
          const last = Number(lines[lines.length - 1]);
          if (Number.isFinite(last) && last > 0) peakRssKiB = last;
        } catch {
          // command never started
        }
        fs.rmSync(timeFile, { force: true });
      }
      const errText = timedOut ? `timed out after ${((spec.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000).toFixed(0)} s` : error;
      resolve({
        label: spec.label,
        commandLine,
        ok: !timedOut && !error && code === 0,
        code,
        signal,
        seconds,
        peakRssKiB,
        stdoutTail: stdout.text(),
        stderrTail: stderr.text(),
        ...(errText ? { error: errText } : {}),
      });
    };
    child.on('error', (err) => finish(null, null, err.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

export interface StepsResult {
  ok: boolean;
  /** Sum of the wall times of the steps that ran. */
  seconds: number;
  /** Largest peak RSS of any step (KiB), null if unknown. */
  peakRssKiB: number | null;
  steps: CmdResult[];
  failed?: CmdResult;
}

/** Run commands in order, stopping at the first failure. */
export async function runSteps(specs: CmdSpec[]): Promise<StepsResult> {
  const steps: CmdResult[] = [];
  let seconds = 0;
  let peak: number | null = null;
  for (const spec of specs) {
    const r = await runCommand(spec);
    steps.push(r);
    seconds += r.seconds;
    if (r.peakRssKiB !== null) peak = Math.max(peak ?? 0, r.peakRssKiB);
    if (!r.ok) return { ok: false, seconds, peakRssKiB: peak, steps, failed: r };
  }
  return { ok: true, seconds, peakRssKiB: peak, steps };
}

/** One-line description of a failed command, with the end of its stderr. */
export function describeFailure(r: CmdResult): string {
  const why = r.error ?? (r.signal ? `killed by ${r.signal}` : `exit ${r.code}`);
  const tail = (r.stderrTail.trim() || r.stdoutTail.trim()).split('\n').slice(-4).join(' | ');
  return `${r.label} failed (${why}): ${tail || '(no output)'}  [${r.commandLine}]`;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface DiskUsage {
  /** Allocated bytes (st_blocks * 512), what `du` reports. */
  allocated: number;
  /** Sum of file sizes (`du --apparent-size`). */
  apparent: number;
  files: number;
}

/** Disk usage of a file or directory tree (symlinks not followed). */
export function diskUsage(root: string): DiskUsage {
  const total: DiskUsage = { allocated: 0, apparent: 0, files: 0 };
  const visit = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    total.allocated += st.blocks * 512;
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name));
    } else {
      total.apparent += st.size;
      total.files += 1;
    }
  };
  visit(root);
  return total;
}

/** Count regular files under a directory, skipping the named metadata dirs. */
export function countFiles(root: string, skip: readonly string[] = []): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      if (skip.includes(ent.name)) continue;
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) stack.push(p);
      else if (ent.isFile()) {
        files += 1;
        bytes += fs.statSync(p).size;
      }
    }
  }
  return { files, bytes };
}
