// Starts a real `cairn serve` on 127.0.0.1 (a free port) for sync tests, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { CAIRN_BIN, TEST_ENV } from './cli.js';

export interface TestServer {
  url: string;
  root: string;
  proc: ChildProcess;
  /** The request log so far (one JSON line per request). */
  log: () => string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
  stop: () => Promise<void>;
  /** SIGKILL at once (fault tests). */
  kill: () => Promise<void>;
}

export async function startServer(root: string, args: string[] = [], env: Record<string, string> = {}): Promise<TestServer> {
  mkdirSync(root, { recursive: true });
  return spawnServe(root, ['--root', root, ...args], env);
}

/** `cairn serve ARGS --port 0 --json` (any backend); `root` is only reported back; `bin` another launcher (benchmarks' --cairn). */
export async function spawnServe(root: string, args: string[], env: Record<string, string> = {}, bin = CAIRN_BIN): Promise<TestServer> {
  const proc = spawn(process.execPath, [bin, 'serve', '--port', '0', '--json', ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`cairn serve did not start in 15 s: ${stderr}`)), 15_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cairn serve exited ${code}: ${stderr}`));
    });
  });
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  };
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await gone;
  };
  return { url, root, proc, log: () => stderr, stop, kill };
}

export function repoUrl(server: TestServer, name: string): string {
  return `${server.url}/${name}`;
}
