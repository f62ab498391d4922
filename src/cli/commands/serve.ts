// `cairn serve`: host every repository under a folder over HTTP(S) until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isIP, type AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { pino } from 'pino';
import { IoError, UsageError } from '../../errors.js';
import { Authorizer } from '../../sync/server/auth.js';
import { createCairnServer } from '../../sync/server/server.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../../sync/protocol/messages.js';
import { printJson, type CommandContext } from '../context.js';
import { action } from '../run-action.js';
import { chooseStorage, type StorageFlags } from '../serve-storage.js';

/**
 * The server's limits (docs/PROTOCOL.md §8, docs/DEPLOY.md "Limits"): each is a flag, else the
 * environment variable CAIRN_SERVE_<FLAG> (e.g. CAIRN_SERVE_MAX_ANONYMOUS), else its default.
 */
const LIMIT_OPTIONS: readonly { flag: string; arg: string; key: keyof ServerLimits; min: number; max: number; help: string }[] = [
  { flag: 'max-concurrent', arg: 'n', key: 'maxConcurrent', min: 1, max: 100_000, help: 'requests served at once; more get 503' },
  {
    flag: 'max-anonymous',
    arg: 'n',
    key: 'maxAnonymous',
    min: 1,
    max: 100_000,
    help: 'requests without a token served at once (with --tokens); more get 503',
  },
  {
    flag: 'max-per-address',
    arg: 'n',
    key: 'maxPerAddress',
    min: 1,
    max: 100_000,
    help: 'requests at once from one address without a token',
  },
  { flag: 'max-per-token', arg: 'n', key: 'maxPerToken', min: 1, max: 100_000, help: 'requests at once with one token' },
  { flag: 'max-connections', arg: 'n', key: 'maxConnections', min: 1, max: 1_000_000, help: 'open connections in all; more are closed' },
  {
    flag: 'max-connections-per-address',
    arg: 'n',
    key: 'maxConnectionsPerAddress',
    min: 1,
    max: 1_000_000,
    help: 'open connections from one address; more are closed',
  },
  { flag: 'max-object-size', arg: 'bytes', key: 'maxObjectBytes', min: 1024, max: 2 ** 31, help: 'largest object accepted' },
  { flag: 'max-push-size', arg: 'bytes', key: 'maxPushBytes', min: 1024, max: 2 ** 53, help: 'largest push (bytes on the wire)' },
  { flag: 'max-objects', arg: 'n', key: 'maxObjects', min: 1, max: 2 ** 31, help: 'most objects in one request' },
  { flag: 'idle-timeout', arg: 'ms', key: 'idleTimeoutMs', min: 100, max: 86_400_000, help: 'close connections idle this long' },
  { flag: 'request-timeout', arg: 'ms', key: 'requestTimeoutMs', min: 100, max: 7 * 86_400_000, help: 'longest a request may take' },
  { flag: 'headers-timeout', arg: 'ms', key: 'headersTimeoutMs', min: 100, max: 86_400_000, help: 'longest wait for request headers' },
  {
    flag: 'keep-alive-timeout',
    arg: 'ms',
    key: 'keepAliveTimeoutMs',
    min: 100,
    max: 86_400_000,
    help: 'close an idle kept-alive connection after this long',
  },
  {
    flag: 'progress-window',
    arg: 'ms',
    key: 'progressWindowMs',
    min: 100,
    max: 86_400_000,
    help: 'a body must bring --progress-min-bytes in every window this long (sliding), else 408',
  },
  { flag: 'progress-min-bytes', arg: 'bytes', key: 'progressMinBytes', min: 1, max: 2 ** 40, help: 'bytes due in every --progress-window' },
  {
    flag: 'auth-failures',
    arg: 'n',
    key: 'authFailures',
    min: 1,
    max: 1_000_000,
    help: 'unknown tokens from one address within --auth-window before 429',
  },
  { flag: 'auth-window', arg: 'ms', key: 'authWindowMs', min: 100, max: 86_400_000, help: 'window of --auth-failures' },
  {
    flag: 'max-quarantine',
    arg: 'bytes',
    key: 'maxQuarantineBytes',
    min: 1024,
    max: 2 ** 53,
    help: 'bytes unfinished pushes may hold in one repository; more get 413',
  },
  {
    flag: 'max-client-quarantine',
    arg: 'bytes',
    key: 'maxClientQuarantineBytes',
    min: 1024,
    max: 2 ** 53,
    help: "bytes one client's unfinished pushes may hold; more get 413",
  },
  {
    flag: 'staging-max-age',
    arg: 'ms',
    key: 'stagingMaxAgeMs',
    min: 100,
    max: 365 * 86_400_000,
    help: 'remove staging of pushes abandoned this long (on start and periodically)',
  },
];

function envName(flag: string): string {
  return `CAIRN_SERVE_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

interface ServeFlags extends StorageFlags {
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
  tokens?: string;
  insecureNoAuth?: boolean;
  denyForce?: boolean;
  trustedProxy?: string[];
  log?: string;
  quiet?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  const serve = program
    .command('serve')
    .description('host repositories over HTTP(S) for clone, fetch and push: from a folder, or from PostgreSQL + S3 for several servers')
    .option('--root <dir>', 'folder holding the repositories (each is served at /<its path>; default: the current folder)')
    .option(
      '--db <url>',
      'PostgreSQL for refs, object index and quarantine: postgres://USER@HOST:PORT/DB (env CAIRN_SERVE_DB; with --objects)',
    )
    .option('--db-schema <name>', "PostgreSQL schema holding cairn's tables (default cairn; env CAIRN_SERVE_DB_SCHEMA)")
    .option('--objects <s3url>', 'S3-compatible storage for packs: s3://BUCKET/PREFIX/ (env CAIRN_SERVE_OBJECTS; with --db)')
    .option('--s3-endpoint <url>', 'S3 endpoint, e.g. http://radosgw:7480 (default AWS; env CAIRN_SERVE_S3_ENDPOINT)')
    .option('--s3-region <region>', 'S3 region (default AWS_REGION, else us-east-1)')
    .option('--cache-dir <dir>', 'local cache of pack ranges read from S3 (default a folder under the temp dir; env CAIRN_SERVE_CACHE_DIR)')
    .option('--cache-size <bytes>', `bound on --cache-dir (default ${1 << 30}; env CAIRN_SERVE_CACHE_SIZE)`)
    .option(
      '--config <file>',
      'JSON file with db, dbSchema, objects, s3Endpoint, s3Region, awsAccessKeyId, awsSecretAccessKey, cacheDir, cacheSize (flags and env win)',
    )
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', '7070')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--tokens <file>', "grants, one per line: 'TOKEN read|write REPO-PATTERN' ('anonymous read PATTERN' for token-less reads)")
    .option('--insecure-no-auth', 'allow serving without --tokens on a non-loopback address (anyone may push)')
    .option('--deny-force', 'refuse forced (non-fast-forward) pushes and deletions')
    .option(
      '--trusted-proxy <addr...>',
      'reverse proxies (exact addresses) whose X-Forwarded-For names the client, for the per-address limits (env CAIRN_SERVE_TRUSTED_PROXY, comma-separated)',
    )
    .option('--log <file>', 'write the request log (one JSON line per request) to a file instead of stderr')
    .option('-q, --quiet', 'no request log')
    .option('--json', 'print the listening address as JSON');
  for (const o of LIMIT_OPTIONS)
    serve.option(`--${o.flag} <${o.arg}>`, `${o.help} (default ${DEFAULT_LIMITS[o.key]}; env ${envName(o.flag)})`);
  serve
    .addHelpText(
      'after',
      `
Repositories are addressed by their path: a repository in ROOT/team/sales is
http://HOST:PORT/team/sales. A push to a path that holds no repository creates one when the token
may write there. Without --tokens every request may read and write, which is only allowed on a
loopback address. GET /healthz answers 200 when the server is up; GET /readyz answers 503 while its
storage (PostgreSQL, S3) cannot be reached; GET /metrics serves Prometheus metrics (cairn_*). Stops
cleanly on SIGINT or SIGTERM.

With --db and --objects the server keeps nothing itself (but a cache): run several behind a load
balancer (docs/DEPLOY.md). It creates its schema and the bucket when missing. S3 credentials come
from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the --config file), the database password from
the URL or PGPASSWORD.

Examples:
  $ cairn serve --root /srv/cairn --port 7070
  $ AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… cairn serve --host 0.0.0.0 --tokens /etc/cairn/tokens \\
        --db postgres://cairn@db:5432/cairn --objects s3://cairn-packs/prod/ --s3-endpoint http://radosgw:7480
  $ cairn serve --root /srv/cairn --host 0.0.0.0 --tokens /etc/cairn/tokens \\
        --tls-cert cert.pem --tls-key key.pem
  tokens file:
    s3cr3t-ci-token   write  *
    r3ad-0nly-token   read   team/*
    anonymous         read   public/*`,
    )
    // Not repoAction: serve has no repository of its own; the server opens the one each request names.
    .action(
      action(ctx, async (opts: ServeFlags & Record<string, string | boolean | undefined>) => {
        const choice = chooseStorage(opts, ctx.env, ctx.cwd);
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
        const limits: ServerLimits = { ...DEFAULT_LIMITS };
        for (const o of LIMIT_OPTIONS) {
          const given = opts[camel(o.flag)];
          const env = ctx.env[envName(o.flag)];
          if (typeof given === 'string') limits[o.key] = intOption(given, `--${o.flag}`, o.min, o.max);
          else if (env !== undefined && env !== '') limits[o.key] = intOption(env, envName(o.flag), o.min, o.max);
        }
        const logger = opts.quiet
          ? pino({ level: 'silent' })
          : pino(
              { base: null, timestamp: pino.stdTimeFunctions.isoTime },
              opts.log !== undefined ? pino.destination({ dest: resolve(ctx.cwd, opts.log), sync: false }) : pino.destination(2),
            );
        const proxies = (opts.trustedProxy ?? (ctx.env['CAIRN_SERVE_TRUSTED_PROXY'] ?? '').split(','))
          .flatMap((a) => a.split(','))
          .map((a) => a.trim())
          .filter((a) => a !== '');
        for (const a of proxies) if (isIP(a) === 0) throw new UsageError(`--trusted-proxy takes IP addresses, not '${a.slice(0, 100)}'`);
        const storage = await choice.open();
        const srv = createCairnServer({
          ...(storage !== undefined ? { storage } : { root: choice.root! }),
          auth,
          limits,
          allowForce: !opts.denyForce,
          logger,
          tls,
          trustedProxies: proxies,
        });
        await new Promise<void>((ok, fail) => {
          srv.server.once('error', (err: NodeJS.ErrnoException) =>
            fail(new IoError(`cannot listen on ${opts.host}:${port}: ${err.code ?? err.message}`, { host: opts.host, port })),
          );
          srv.server.listen(port, opts.host, () => ok());
        });
        const addr = srv.server.address() as AddressInfo;
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        const url = `${tls === undefined ? 'http' : 'https'}://${host}:${addr.port}`;
        if (opts.json)
          printJson(ctx, {
            url,
            ...(choice.root !== undefined ? { root: choice.root } : {}),
            backend: choice.kind,
            storage: choice.describe,
            port: addr.port,
            auth: auth.isOpen ? 'open' : 'tokens',
            pid: process.pid,
          });
        else
          ctx.out.write(`cairn serve: listening on ${url} (${choice.describe}${auth.isOpen ? ', no tokens: open to local users' : ''})\n`);
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
