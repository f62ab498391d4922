// Typed errors: every failure cairn reports has a stable code, structured data and a message that
// says what to do. The CLI maps codes to exit codes (cli/exit.ts); nothing else decides exit codes.

export type ErrorCode =
  | 'USAGE'
  | 'NOT_A_REPOSITORY'
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'AMBIGUOUS'
  | 'INVALID_NAME'
  | 'INVALID_PATH'
  | 'UNSAFE_PATH'
  | 'CORRUPT_OBJECT'
  | 'MISSING_OBJECT'
  | 'BAD_FORMAT'
  | 'REF_MOVED'
  | 'DIRTY_WORKTREE'
  | 'NOTHING_TO_COMMIT'
  | 'UNRESOLVED_CONFLICTS'
  | 'LOCKED'
  | 'REJECTED'
  | 'REMOTE'
  | 'IO'
  | 'INTERRUPTED';

export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.data = data;
    this.name = new.target.name;
  }

  toJSON(): { code: ErrorCode; message: string; data: Record<string, unknown> } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

export class UsageError extends CairnError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('USAGE', message, data);
  }
}

export class NotARepositoryError extends CairnError {
  constructor(dir: string) {
    super('NOT_A_REPOSITORY', `not a cairn repository (or any parent up to /): ${dir}; run 'cairn init' to create one`, { dir });
  }
}

export class NotFoundError extends CairnError {
  constructor(what: string, name: string, hint = '') {
    super('NOT_FOUND', `${what} '${name}' not found${hint ? `: ${hint}` : ''}`, { what, name });
  }
}

export class AmbiguousError extends CairnError {
  constructor(prefix: string, candidates: string[]) {
    super('AMBIGUOUS', `short id '${prefix}' is ambiguous (${candidates.length} objects match): use more digits`, { prefix, candidates });
  }
}

export class InvalidNameError extends CairnError {
  constructor(name: string, reason: string) {
    super('INVALID_NAME', `invalid name '${name}': ${reason}`, { name, reason });
  }
}

/** A path or tree entry name that could escape the worktree or collide with cairn's own folder. */
export class UnsafePathError extends CairnError {
  constructor(path: string, reason: string) {
    super('UNSAFE_PATH', `refusing unsafe path '${printable(path)}': ${reason}`, { path, reason });
  }
}

/** Stored bytes do not hash to their id, or do not decode: never returned as data. */
export class CorruptObjectError extends CairnError {
  constructor(id: string, reason: string, data: Record<string, unknown> = {}) {
    super('CORRUPT_OBJECT', `object ${id} is corrupt: ${reason}; run 'cairn fsck' to list damage, and fetch the object again from a replica`, { id, reason, ...data });
  }
}

export class MissingObjectError extends CairnError {
  constructor(id: string, data: Record<string, unknown> = {}) {
    super('MISSING_OBJECT', `object ${id} is missing from the store; run 'cairn fsck', and fetch it again from a replica`, { id, ...data });
  }
}

export class BadFormatError extends CairnError {
  constructor(what: string, reason: string, data: Record<string, unknown> = {}) {
    super('BAD_FORMAT', `cannot decode ${what}: ${reason}`, { what, reason, ...data });
  }
}

/** A compare-and-swap on a ref lost a race: someone else moved it first. */
export class RefMovedError extends CairnError {
  constructor(ref: string, expected: string | null, found: string | null, data: Record<string, unknown> = {}) {
    const short = (id: string | null) => (id === null ? '(none)' : id.slice(0, 12));
    const own = typeof data['newId'] === 'string' ? ` Your commit ${data['newId'] as string} is stored; merge it with 'cairn merge ${(data['newId'] as string).slice(0, 12)}' or branch from it.` : '';
    super('REF_MOVED', `branch moved: '${ref}' changed since you started (expected ${short(expected)}, found ${short(found)}).${own}`, { ref, expected, found, ...data });
  }
}

export class DirtyWorktreeError extends CairnError {
  constructor(paths: string[], action: string) {
    const shown = paths.slice(0, 10).join(', ') + (paths.length > 10 ? ` and ${paths.length - 10} more` : '');
    super('DIRTY_WORKTREE', `${action} would overwrite uncommitted changes in: ${shown}; commit them, or use --force to discard them`, { paths });
  }
}

export class LockedError extends CairnError {
  constructor(what: string, holder: string) {
    super('LOCKED', `${what} is locked by ${holder}; wait for it to finish, or remove the lock if that process is gone`, { what, holder });
  }
}

function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
