// PostgreSQL failures as cairn's typed errors, with credentials kept out of every message.
// A connection that cannot be made or breaks is StorageUnavailableError (IO, retryable: the server
// answers 503 and the client retries); a serialization failure or deadlock is retried by the caller
// (isRetryableConflict); anything else is an IoError naming the SQLSTATE, never pg's raw error.
import { IoError, type IoData } from '../../../errors.js';

/** The engine behind the server's storage cannot be reached now; retrying later may succeed. */
export class StorageUnavailableError extends IoError {
  constructor(message: string, data: IoData & { backend: string; retryable: boolean; reason?: string }, cause?: unknown) {
    super(message, data, cause);
  }
}

/** SQLSTATEs after which the same transaction, run again, may succeed: serialization failure, deadlock. */
const CONFLICT_CODES = new Set(['40001', '40P01']);

/** Node socket errors and SQLSTATE classes that mean "the database is not reachable (now)". */
const NET_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export function isRetryableConflict(err: unknown): boolean {
  const c = codeOf(err);
  return c !== undefined && CONFLICT_CODES.has(c);
}

/** A unique violation: two transactions created the same absent row; the loser retries and then sees it. */
export function isUniqueViolation(err: unknown): boolean {
  return codeOf(err) === '23505';
}

/** Where a database URL points, without its user's password: `host:port/db`. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable database URL)';
  }
}

/** `text` with every occurrence of the URL's password (raw and percent-decoded) replaced. */
export function redact(text: string, url: string): string {
  let out = text;
  try {
    const u = new URL(url);
    for (const secret of new Set([u.password, safeDecode(u.password)])) {
      if (secret.length > 0) out = out.split(secret).join('***');
    }
  } catch {
    // An unparseable URL: say nothing of it at all.
    out = out.split(url).join('***');
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The typed error for a pg failure that is not one this store answers itself (REF_MOVED, retries):
 * StorageUnavailableError for a connection problem, IoError otherwise. The message names the
 * database by host, port and name and quotes pg's text with the password removed.
 */
export function pgFailure(err: unknown, url: string, doing: string): IoError {
  const code = codeOf(err);
  const raw = err instanceof Error ? err.message : String(err);
  const text = redact(raw, url);
  const where = describeDatabase(url);
  const unreachable =
    (code !== undefined && (NET_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(raw);
  if (unreachable) {
    return new StorageUnavailableError(
      `PostgreSQL at ${where} cannot be reached while ${doing} (${code ?? text}); nothing was changed unless the commit itself was cut off. Retry when the database is back`,
      { backend: 'postgres', retryable: true, reason: code ?? 'connection', detail: text },
    );
  }
  if (code !== undefined && code.startsWith('28')) {
    // Authentication / authorization: a configuration problem, not a transient one.
    return new StorageUnavailableError(`PostgreSQL at ${where} refused the credentials while ${doing}: ${text}`, {
      backend: 'postgres',
      retryable: false,
      reason: code,
    });
  }
  return new IoError(`PostgreSQL at ${where} failed while ${doing}: ${text}${code === undefined ? '' : ` (SQLSTATE ${code})`}`, {
    errno: code,
    detail: text,
  });
}
