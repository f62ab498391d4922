// Runs the built `cairn` binary in a folder, with a fixed author and clock so ids are reproducible.
import { spawnSync, spawn, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CAIRN_BIN = join(REPO_ROOT, 'bin', 'cairn');

export const TEST_ENV: Record<string, string> = {
  CAIRN_AUTHOR_NAME: 'Test',
  CAIRN_AUTHOR_EMAIL: 'test@example.com',
  CAIRN_COMMIT_TIME: '1700000000000',
  NO_COLOR: '1',
};

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCairn(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string | Buffer }): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [CAIRN_BIN, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...TEST_ENV, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like runCairn, but fails the test with the command's stderr when it exits non-zero. */
export function cairnOk(args: string[], opts: { cwd: string; env?: Record<string, string> }): string {
  const r = runCairn(args, opts);
  if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Starts cairn without waiting (for kill -9 and race tests). */
export function spawnCairn(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  return spawn(process.execPath, [CAIRN_BIN, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...TEST_ENV, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs cairn to completion without blocking this process's event loop (a fake server may live in
 * it). A run still going after `timeoutMs` is killed and fails the test: it hangs.
 */
export function runCairnAwaited(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const p = spawnCairn(args, opts);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`cairn ${args.join(' ')} still running after ${timeoutMs} ms (hangs)`));
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export function tempDir(prefix = 'cairn-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
