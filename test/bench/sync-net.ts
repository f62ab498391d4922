// Loopback servers for the sync benchmarks: `cairn serve`, `git daemon`, and a byte-counting TCP
// proxy put in front of either, so both tools' traffic is measured the same way (payload bytes on
// the TCP connections, both directions, HTTP or git protocol framing included).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Bench } from './context.js';
import { freePort } from '../helpers/net.js';

export { freePort };

export interface Proxy {
  port: number;
  /** Bytes client -> server and server -> client since the last reset(). */
  up(): number;
  down(): number;
  reset(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 (any free port) forwarding every connection to 127.0.0.1:targetPort. */
export async function startProxy(targetPort: number): Promise<Proxy> {
  let up = 0;
  let down = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => {
      up += d.length;
    });
    upstream.on('data', (d: Buffer) => {
      down += d.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    up: () => up,
    down: () => down,
    reset: () => {
      up = 0;
      down = 0;
    },
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before listening on ${port}`);
    const ok = await new Promise<boolean>((done) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        done(true);
      });
      s.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Servers still running, killed if the harness exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function track(child: ChildProcess, stderrTail: { text: string }): Server['stop'] {
  live.add(child);
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail.text = (stderrTail.text + d.toString('utf8')).slice(-4000);
  });
  return () =>
    new Promise<void>((done) => {
      live.delete(child);
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return done();
      const kill = setTimeout(() => {
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {
          // gone
        }
      }, 5000);
      child.once('close', () => {
        clearTimeout(kill);
        done();
      });
      try {
        process.kill(-child.pid, 'SIGTERM'); // its process group: git daemon's children too
      } catch {
        clearTimeout(kill);
        done();
      }
    });
}

/** `cairn serve --root ROOT --port 0 --json`, its request log in logFile. */
export async function startCairnServe(b: Bench, root: string, logFile: string): Promise<Server> {
  const spec = b.cairn(['serve', '--root', root, '--port', '0', '--json', '--log', logFile], root);
  const child = spawn(spec.cmd, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail = { text: '' };
  const stop = track(child, tail);
  try {
    const line = await new Promise<string>((ok, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error('cairn serve printed no address within 30 s')), 30_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          ok(out.slice(0, nl));
        }
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        fail(new Error(`cairn serve exited (${code}): ${tail.text.trim().split('\n').slice(-3).join(' | ')}`));
      });
    });
    const { port } = JSON.parse(line) as { port: number };
    return { port, pid: child.pid as number, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** `git daemon` serving every repository under base (read and push), on a free port. */
export async function startGitDaemon(b: Bench, base: string): Promise<Server> {
  const port = await freePort();
  const spec = b.gitCmd(
    [
      'daemon',
      '--export-all',
      '--reuseaddr',
      '--enable=receive-pack',
      '--max-connections=0',
      '--listen=127.0.0.1',
      `--port=${port}`,
      `--base-path=${base}`,
      base,
    ],
    base,
  );
  const child = spawn(spec.cmd, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const tail = { text: '' };
  const stop = track(child, tail);
  try {
    await waitForPort(port, child, 10_000);
  } catch (e) {
    await stop();
    throw new Error(`git daemon: ${(e as Error).message}: ${tail.text.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return { port, pid: child.pid as number, stop };
}
