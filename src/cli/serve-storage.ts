// Where `cairn serve` keeps its repositories: the folder (--root, the embedded default) or
// PostgreSQL + S3 (--db with --objects). Each setting comes from its flag, else its environment
// variable (CAIRN_SERVE_DB, …; AWS_* for the S3 credentials and region), else the --config file;
// docs/DEPLOY.md shows all three. The PostgreSQL + S3 backend is loaded only when asked for, so
// no other command pays for its drivers.
import { readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { IoError, UsageError } from '../errors.js';
import type { ServerStorage } from '../sync/server/storage/backend.js';

export interface StorageFlags {
  root?: string;
  db?: string;
  dbSchema?: string;
  objects?: string;
  s3Endpoint?: string;
  s3Region?: string;
  cacheDir?: string;
  cacheSize?: string;
  config?: string;
}

/** The keys a --config file may hold (JSON), each the flag's value. */
const CONFIG_KEYS = [
  'db',
  'dbSchema',
  'objects',
  's3Endpoint',
  's3Region',
  'awsAccessKeyId',
  'awsSecretAccessKey',
  'cacheDir',
  'cacheSize',
] as const;
type ConfigKey = (typeof CONFIG_KEYS)[number];

export interface StorageChoice {
  kind: 'folder' | 'postgres+s3';
  /** For the start-up line and --json: never a password or key. */
  describe: string;
  root?: string;
  open(): Promise<ServerStorage | undefined>;
}

const DEFAULT_CACHE_BYTES = 1 << 30;

/** Settles which backend the flags, environment and config file ask for (a UsageError when they disagree). */
export function chooseStorage(flags: StorageFlags, env: Record<string, string | undefined>, cwd: string): StorageChoice {
  const file = flags.config !== undefined ? readConfig(resolve(cwd, flags.config)) : {};
  const pick = (flag: string | undefined, envName: string, key: ConfigKey): string | undefined => {
    if (flag !== undefined && flag !== '') return flag;
    const e = env[envName];
    if (e !== undefined && e !== '') return e;
    return file[key];
  };
  const db = pick(flags.db, 'CAIRN_SERVE_DB', 'db');
  const objects = pick(flags.objects, 'CAIRN_SERVE_OBJECTS', 'objects');
  if (db === undefined && objects === undefined) {
    const root = resolve(cwd, flags.root ?? '.');
    return { kind: 'folder', describe: `root ${root}`, root, open: async () => undefined };
  }
  if (db === undefined || objects === undefined)
    throw new UsageError(
      `${db === undefined ? '--objects needs --db' : '--db needs --objects'}: the PostgreSQL + S3 backend keeps refs and the object index in PostgreSQL and packs in S3 (e.g. --db postgres://cairn@db:5432/cairn --objects s3://cairn-packs/prod/)`,
      { reason: 'storage-flags' },
    );
  if (flags.root !== undefined && flags.root !== '.')
    throw new UsageError('--root and --db are two different backends: give one of them', { reason: 'storage-flags' });
  if (!/^postgres(ql)?:\/\//.test(db)) throw new UsageError(`--db takes a postgres://USER@HOST:PORT/DB URL`, { reason: 'storage-flags' });
  const endpoint = pick(flags.s3Endpoint, 'CAIRN_SERVE_S3_ENDPOINT', 's3Endpoint');
  const region = pick(flags.s3Region, 'AWS_REGION', 's3Region');
  const schema = pick(flags.dbSchema, 'CAIRN_SERVE_DB_SCHEMA', 'dbSchema');
  const accessKeyId = env['AWS_ACCESS_KEY_ID'] || file.awsAccessKeyId;
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'] || file.awsSecretAccessKey;
  const cacheSize = pick(flags.cacheSize, 'CAIRN_SERVE_CACHE_SIZE', 'cacheSize');
  const cacheBytes = cacheSize === undefined ? DEFAULT_CACHE_BYTES : Number(cacheSize);
  if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0)
    throw new UsageError(`--cache-size must be a whole number of bytes, not '${cacheSize}'`, { reason: 'storage-flags' });
  const cacheDir = resolve(
    cwd,
    pick(flags.cacheDir, 'CAIRN_SERVE_CACHE_DIR', 'cacheDir') ?? join(tmpdir(), `cairn-pack-cache-${safeUser()}`),
  );
  const where = describeUrl(db);
  return {
    kind: 'postgres+s3',
    describe: `PostgreSQL ${where}, packs in ${objects}${endpoint === undefined ? '' : ` at ${endpoint}`}`,
    open: async () => {
      const { openPgS3Storage } = await import('../sync/server/storage/pg-backend.js');
      return openPgS3Storage({
        databaseUrl: db,
        ...(schema !== undefined ? { schema } : {}),
        objects,
        ...(endpoint !== undefined ? { endpoint } : {}),
        ...(region !== undefined ? { region } : {}),
        ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
        cacheDir,
        cacheBytes,
        env,
      });
    },
  };
}

function readConfig(path: string): Partial<Record<ConfigKey, string>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IoError(`cannot read the --config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { path });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`the --config file ${path} is not JSON (keys: ${CONFIG_KEYS.join(', ')})`, { reason: 'config' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`the --config file ${path} must hold one JSON object`, { reason: 'config' });
  const out: Partial<Record<ConfigKey, string>> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(k))
      throw new UsageError(`the --config file ${path} has an unknown key '${k.slice(0, 40)}' (known: ${CONFIG_KEYS.join(', ')})`, {
        reason: 'config',
      });
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new UsageError(`'${k}' in the --config file ${path} must be a string`, { reason: 'config' });
    out[k as ConfigKey] = String(v);
  }
  return out;
}

/** host:port/db of a database URL: what may be shown (never the user's password). */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    throw new UsageError('--db is not a valid URL (postgres://USER@HOST:PORT/DB)', { reason: 'storage-flags' });
  }
}

function safeUser(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
  } catch {
    return String(process.getuid?.() ?? 'user');
  }
}
