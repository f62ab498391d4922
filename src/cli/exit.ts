// Exit codes, decided here and only here (documented in docs/CLI.md). Scripts may rely on them.
import type { ErrorCode } from '../errors.js';

export const EXIT = {
  OK: 0,
  /** A check answered "no": nothing to commit, differences found (diff --exit-code). */
  FALSE: 1,
  USAGE: 2,
  NOT_A_REPOSITORY: 3,
  NOT_FOUND: 4,
  CONFLICTS: 5,
  REJECTED: 6,
  CORRUPT: 7,
  REMOTE: 8,
  LOCKED: 9,
  IO: 10,
  INTERRUPTED: 130,
  INTERNAL: 70,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  USAGE: EXIT.USAGE,
  INVALID_NAME: EXIT.USAGE,
  INVALID_PATH: EXIT.USAGE,
  AMBIGUOUS: EXIT.USAGE,
  ALREADY_EXISTS: EXIT.REJECTED,
  NOT_A_REPOSITORY: EXIT.NOT_A_REPOSITORY,
  NOT_FOUND: EXIT.NOT_FOUND,
  UNSAFE_PATH: EXIT.CORRUPT,
  CORRUPT_OBJECT: EXIT.CORRUPT,
  MISSING_OBJECT: EXIT.CORRUPT,
  BAD_FORMAT: EXIT.CORRUPT,
  REF_MOVED: EXIT.REJECTED,
  DIRTY_WORKTREE: EXIT.REJECTED,
  NOTHING_TO_COMMIT: EXIT.FALSE,
  REJECTED: EXIT.REJECTED,
  UNRESOLVED_CONFLICTS: EXIT.CONFLICTS,
  LOCKED: EXIT.LOCKED,
  REMOTE: EXIT.REMOTE,
  IO: EXIT.IO,
  INTERRUPTED: EXIT.INTERRUPTED,
};

export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code] ?? EXIT.INTERNAL;
}
