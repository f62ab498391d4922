// The pg.Pool the server backend runs on: bounded, with connect and statement timeouts, and an
// 'error' listener, so an idle connection that PostgreSQL drops (a restart) is discarded instead of
// crashing the process; the next query opens a new one, or fails as StorageUnavailableError.
import pg from 'pg';
import { describeDatabase } from './pg-errors.js';

export interface PgPoolOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** How long to wait for a connection, ms (default 5000). */
  connectTimeoutMs?: number;
  /** Server-side statement timeout, ms (default 30000). */
  statementTimeoutMs?: number;
  /** Told of an idle connection's failure; the message names host:port/db, never the password. */
  onIdleError?: (message: string) => void;
}

export function createPgPool(url: string, opts: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    application_name: 'cairn',
  });
  pool.on('error', (err: Error & { code?: string }) => {
    opts.onIdleError?.(`PostgreSQL at ${describeDatabase(url)}: idle connection lost (${err.code ?? 'connection'})`);
  });
  return pool;
}
