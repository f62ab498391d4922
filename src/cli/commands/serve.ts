// `cairn serve`: host every repository under a folder over HTTP(S) until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { pino } from 'pino';
import { IoError, UsageError } from '../../errors.js';
import { Authorizer } from '../../sync/server/auth.js';
import { createCairnServer } from '../../sync/server/server.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../../sync/protocol/messages.js';
import { printJson, type CommandContext } from '../context.js';
import { action } from '../run-action.js';

interface ServeFlags {
  root: string;
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
  tokens?: string;
  insecureNoAuth?: boolean;
  denyForce?: boolean;
  maxConcurrent?: string;
  maxObjectSize?: string;
  maxPushSize?: string;
  maxObjects?: string;
  idleTimeout?: string;
  requestTimeout?: string;
  log?: string;
  quiet?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('host every repository under a folder over HTTP(S) for clone, fetch and push')
    .option('--root <dir>', 'folder holding the repositories (each is served at /<its path>)', '.')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', '7070')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--tokens <file>', "grants, one per line: 'TOKEN read|write REPO-PATTERN' ('anonymous read PATTERN' for token-less reads)")
    .option('--insecure-no-auth', 'allow serving without --tokens on a non-loopback address (anyone may push)')
    .option('--deny-force', 'refuse forced (non-fast-forward) pushes and deletions')
    .option('--max-concurrent <n>', 'requests served at once; more get 503', String(DEFAULT_LIMITS.maxConcurrent))
    .option('--max-object-size <bytes>', 'largest object accepted', String(DEFAULT_LIMITS.maxObjectBytes))
    .option('--max-push-size <bytes>', 'largest push (bytes on the wire)', String(DEFAULT_LIMITS.maxPushBytes))
    .option('--max-objects <n>', 'most objects in one request', String(DEFAULT_LIMITS.maxObjects))
    .option('--idle-timeout <ms>', 'close connections idle this long', String(DEFAULT_LIMITS.idleTimeoutMs))
    .option('--request-timeout <ms>', 'longest a request may take', String(DEFAULT_LIMITS.requestTimeoutMs))
    .option('--log <file>', 'write the request log (one JSON line per request) to a file instead of stderr')
    .option('-q, --quiet', 'no request log')
    .option('--json', 'print the listening address as JSON')
    .addHelpText(
      'after',
      `
Repositories are addressed by their path under --root: a repository in ROOT/team/sales is
http://HOST:PORT/team/sales. A push to a path that holds no repository creates one when the token
may write there. Without --tokens every request may read and write, which is only allowed on a
loopback address. GET /healthz answers 200 when the server is up; GET /metrics serves Prometheus
metrics (cairn_*). Stops cleanly on SIGINT or SIGTERM.

Examples:
  $ cairn serve --root /srv/cairn --port 7070
  $ cairn serve --root /srv/cairn --host 0.0.0.0 --tokens /etc/cairn/tokens \\
        --tls-cert cert.pem --tls-key key.pem
  tokens file:
    s3cr3t-ci-token   write  *
    r3ad-0nly-token   read   team/*
    anonymous         read   public/*`,
    )
    // Not repoAction: serve has no repository of its own; the server opens the one each request names.
    .action(
      action(ctx, async (opts: ServeFlags) => {
        const root = resolve(ctx.cwd, opts.root);
        const port = intOption(opts.port, '--port', 0, 65535);
        const loopback = opts.host === '127.0.0.1' || opts.host === '::1' || opts.host === 'localhost';
        let auth = Authorizer.open();
        if (opts.tokens !== undefined) {
          const path = resolve(ctx.cwd, opts.tokens);
          auth = Authorizer.parse(readText(path, '--tokens'), path);
        } else if (!loopback && !opts.insecureNoAuth) {
          throw new UsageError(
            `refusing to serve ${opts.host} without --tokens: anyone could push; add --tokens FILE (or --insecure-no-auth)`,
          );
        }
        if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
        const tls =
          opts.tlsCert !== undefined
            ? { cert: readBytes(resolve(ctx.cwd, opts.tlsCert), '--tls-cert'), key: readBytes(resolve(ctx.cwd, opts.tlsKey!), '--tls-key') }
            : undefined;
        const limits: ServerLimits = {
          ...DEFAULT_LIMITS,
          maxConcurrent: intOption(opts.maxConcurrent, '--max-concurrent', 1, 100_000),
          maxObjectBytes: intOption(opts.maxObjectSize, '--max-object-size', 1024, 2 ** 31),
          maxPushBytes: intOption(opts.maxPushSize, '--max-push-size', 1024, 2 ** 53),
          maxObjects: intOption(opts.maxObjects, '--max-objects', 1, 2 ** 31),
          idleTimeoutMs: intOption(opts.idleTimeout, '--idle-timeout', 100, 86_400_000),
          requestTimeoutMs: intOption(opts.requestTimeout, '--request-timeout', 100, 7 * 86_400_000),
        };
        const logger = opts.quiet
          ? pino({ level: 'silent' })
          : pino(
              { base: null, timestamp: pino.stdTimeFunctions.isoTime },
              opts.log !== undefined ? pino.destination({ dest: resolve(ctx.cwd, opts.log), sync: false }) : pino.destination(2),
            );
        const srv = createCairnServer({ root, auth, limits, allowForce: !opts.denyForce, logger, tls });
        await new Promise<void>((ok, fail) => {
          srv.server.once('error', (err: NodeJS.ErrnoException) =>
            fail(new IoError(`cannot listen on ${opts.host}:${port}: ${err.code ?? err.message}`, { host: opts.host, port })),
          );
          srv.server.listen(port, opts.host, () => ok());
        });
        const addr = srv.server.address() as AddressInfo;
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        const url = `${tls === undefined ? 'http' : 'https'}://${host}:${addr.port}`;
        if (opts.json) printJson(ctx, { url, root, port: addr.port, auth: auth.isOpen ? 'open' : 'tokens', pid: process.pid });
        else ctx.out.write(`cairn serve: listening on ${url} (root ${root}${auth.isOpen ? ', no tokens: open to local users' : ''})\n`);
        await new Promise<void>((done) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void srv.close().then(() => {
              logger.flush?.();
              done();
            });
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );
}

function intOption(v: string | undefined, name: string, min: number, max: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, not '${v}'`);
  return n;
}

function readText(path: string, what: string): string {
  return readBytes(path, what).toString('utf8');
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new IoError(`cannot read ${what} file ${path}: ${(err as Error).message}`, { path });
  }
}
