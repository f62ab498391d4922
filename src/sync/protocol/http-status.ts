// Error codes <-> HTTP statuses, for the server (which status an error is answered with) and the
// client (which error an answer becomes). The authority is docs/PROTOCOL.md §3 "Errors"; this table
// is that section's, and a change to one is a change to the other.
import { isErrorCode, type ErrorCode } from '../../errors.js';

export interface ErrorStatus {
  /** The status the server answers an error of this code with. */
  status: number;
  /**
   * The code the client reports for an answer with this code and status. The remote's own state
   * (a ref moved, an update refused, no such thing) keeps its code; a request the server
   * found malformed, or its own failure, is the remote's failure to the user (REMOTE), never a
   * usage error or local corruption.
   */
  client: ErrorCode;
}

export const ERROR_STATUS: Record<ErrorCode, ErrorStatus> = {
  USAGE: { status: 400, client: 'REMOTE' },
  BAD_FORMAT: { status: 400, client: 'REMOTE' },
  INVALID_NAME: { status: 400, client: 'REMOTE' },
  CORRUPT_OBJECT: { status: 400, client: 'REMOTE' },
  UNSAFE_PATH: { status: 400, client: 'REMOTE' },
  NOT_FOUND: { status: 404, client: 'NOT_FOUND' },
  REF_MOVED: { status: 409, client: 'REF_MOVED' },
  REJECTED: { status: 409, client: 'REJECTED' },
  // The closure of a pushed tip is incomplete: the update is refused, nothing local is damaged.
  MISSING_OBJECT: { status: 409, client: 'REJECTED' },
  // The server's repository is locked: the remote is busy, not the user's own database, which is
  // what LOCKED (exit 9) means on the client. Reported as REMOTE (exit 8): retry (§3).
  LOCKED: { status: 503, client: 'REMOTE' },
  // Not client mistakes: the server's own failures.
  NOT_A_REPOSITORY: { status: 500, client: 'REMOTE' },
  ALREADY_EXISTS: { status: 500, client: 'REMOTE' },
  AMBIGUOUS: { status: 500, client: 'REMOTE' },
  INVALID_PATH: { status: 500, client: 'REMOTE' },
  DIRTY_WORKTREE: { status: 500, client: 'REMOTE' },
  NOTHING_TO_COMMIT: { status: 500, client: 'REMOTE' },
  UNRESOLVED_CONFLICTS: { status: 500, client: 'REMOTE' },
  REMOTE: { status: 500, client: 'REMOTE' },
  IO: { status: 500, client: 'REMOTE' },
  INTERRUPTED: { status: 500, client: 'REMOTE' },
};

/**
 * The code for an answer whose body names no code the table gives this status (not JSON, from a
 * proxy, `INTERNAL`, or a refusal with a status of its own: 401/403, 405, 408, 413, 429, 503 busy).
 * Any other status is REMOTE: a busy server (503) is the remote's state, never exit 9, which is
 * the local database's lock (docs/PROTOCOL.md §3).
 */
export const STATUS_FALLBACK: Readonly<Record<number, ErrorCode>> = {
  404: 'NOT_FOUND',
  409: 'REJECTED',
};

/** The code a server's 500 names: a bug, not a cairn error code. */
export const INTERNAL_CODE = 'INTERNAL';

export function statusFor(code: ErrorCode): number {
  return ERROR_STATUS[code].status;
}

/** The error code the client reports for an error answer (status, and the body's code if any). */
export function clientCodeFor(status: number, bodyCode: string | undefined): ErrorCode {
  if (isErrorCode(bodyCode) && ERROR_STATUS[bodyCode].status === status) return ERROR_STATUS[bodyCode].client;
  return STATUS_FALLBACK[status] ?? 'REMOTE';
}
