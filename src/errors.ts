// Typed errors: every failure cairn reports has a stable code, structured data and a message that
// says what to do. The CLI maps codes to exit codes (cli/exit.ts); nothing else decides exit codes.
//
// One class per code. Every class can be built as `new XError(message, data, cause?)`, the message
// worded at the site that knows what the user should do next; classes whose messages share a shape
// also take the parts (`new NotFoundError('branch', name, hint)`) and build the message here. The
// two forms are told apart by the second argument: a data object, or a part (string, array, null).
// CairnError's constructor is protected: code outside this file names a class, never a code.

export const ERROR_CODES = [
  'USAGE',
  'NOT_A_REPOSITORY',
  'ALREADY_EXISTS',
  'NOT_FOUND',
  'AMBIGUOUS',
  'INVALID_NAME',
  'INVALID_PATH',
  'UNSAFE_PATH',
  'CORRUPT_OBJECT',
  'MISSING_OBJECT',
  'BAD_FORMAT',
  'REF_MOVED',
  'DIRTY_WORKTREE',
  'NOTHING_TO_COMMIT',
  'UNRESOLVED_CONFLICTS',
  'LOCKED',
  'REJECTED',
  'REMOTE',
  'IO',
  'INTERRUPTED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && (ERROR_CODES as readonly string[]).includes(s);
}

/** Structured detail: JSON values only, printed by --json and sent in the server's error bodies. */
export type ErrorData = Record<string, unknown>;

// ---- Reasons: the machine-readable `data.reason` (and `data.what`) values, one union per code ----

/** `data.reason` of REJECTED. */
export type RejectedReason =
  // branch -d
  | 'current'
  | 'not-merged'
  // push: checked by the client first, and by the server again
  | 'non-fast-forward'
  | 'checked-out'
  | 'force-denied'
  // the server refuses the request itself (docs/PROTOCOL.md §3: 503, 401/403, 413, 408)
  | 'overload'
  | 'auth'
  | 'too-large'
  | 'slow'
  // ... and the pools, auth rate and quarantine bounds of §8 (503, 429, 413)
  | 'anonymous'
  | 'per-client'
  | 'auth-rate'
  | 'quarantine-full';

/** `data.reason` of a NOT_FOUND answered by the server (docs/PROTOCOL.md §3). */
export type NotFoundReason = 'no-route' | 'no-repo' | 'want';

/** `data.reason` of a USAGE answered by the server: its request was malformed (docs/PROTOCOL.md §3). */
export type RequestUsageReason = 'bad-name' | 'method' | 'json' | 'schema' | 'truncated';

/** `data.reason` of REF_MOVED: the server's hint, or the pushing client's ('ref-moved', kept for scripts). */
export type RefMovedReason = 'fetch first' | 'ref-moved';

/** `data.what` of NOT_FOUND: the kind of thing that does not exist. */
export type NotFoundWhat =
  | 'revision'
  | 'commit'
  | 'branch'
  | 'tag'
  | 'ref'
  | 'remote'
  | 'path'
  | 'revision or path'
  | 'conflicted path'
  | 'conflict'
  | `${string} file`;

/** `data.what` of ALREADY_EXISTS. */
export type AlreadyExistsWhat = 'branch' | 'tag';

// ---- Data shapes: the keys each code's sites use, typed; more keys may ride along (context) ----

type Open = { [key: string]: unknown };
export type UsageData = Open & {
  /** A RequestUsageReason from a server; the reason a path cannot be stored, from `add`. */
  reason?: string;
  path?: string;
  line?: number;
};
export type NotFoundData = Open & {
  what?: NotFoundWhat;
  name?: string;
  reason?: NotFoundReason;
  path?: string;
  ref?: string;
  remote?: string;
  branch?: string | null;
};
export type AlreadyExistsData = Open & { what?: AlreadyExistsWhat; name?: string; path?: string; dir?: string };
export type RejectedData = Open & { reason?: RejectedReason; name?: string; ref?: string; limit?: number };
export type RefMovedData = Open & {
  reason?: RefMovedReason;
  ref?: string;
  expected?: string | null;
  found?: string | null;
  newId?: string | null;
};
export type RemoteData = Open & {
  url?: string;
  /** The HTTP status of an error answer, and the code its body named (whatever the client made of it). */
  status?: number;
  remoteCode?: string;
  endpoint?: string;
  /** The Node error code of a failed connection ('ECONNREFUSED', 'CAIRN_TIMEOUT', ...). */
  cause?: string;
  limit?: number;
};
export type IoData = Open & { path?: string; errno?: string; detail?: string };
export type UnresolvedConflictsData = Open & { theirs?: string; paths?: string[] };
export type DirtyWorktreeData = Open & { paths: string[] };
export type ObjectData = Open & { id?: string; name?: string; from?: string | null };
export type BadFormatData = Open & { what?: string; reason?: string; path?: string; side?: string; line?: number };
export type NameData = Open & { name?: string; reason?: string };
export type PathData = Open & { path?: string; reason?: string };

export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly data: ErrorData;

  protected constructor(code: ErrorCode, message: string, data: ErrorData = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.data = data;
    this.name = new.target.name;
  }

  toJSON(): { code: ErrorCode; message: string; data: ErrorData } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** The second argument is the worded form's data (not a message part: string, array or null). */
function isData(v: unknown): v is ErrorData {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class UsageError extends CairnError {
  constructor(message: string, data: UsageData = {}, cause?: unknown) {
    super('USAGE', message, data, cause);
  }
}

export class NotARepositoryError extends CairnError {
  /** `not a cairn repository (or any parent up to /): DIR; run 'cairn init' ...` */
  constructor(dir: string);
  constructor(message: string, data: ErrorData, cause?: unknown);
  constructor(a: string, data?: ErrorData, cause?: unknown) {
    if (isData(data)) super('NOT_A_REPOSITORY', a, data, cause);
    else super('NOT_A_REPOSITORY', `not a cairn repository (or any parent up to /): ${a}; run 'cairn init' to create one`, { dir: a });
  }
}

export class NotFoundError extends CairnError {
  /** `WHAT 'NAME' not found[: HINT]` */
  constructor(what: NotFoundWhat, name: string, hint?: string);
  constructor(message: string, data: NotFoundData, cause?: unknown);
  constructor(a: string, b: string | NotFoundData, c?: unknown) {
    if (isData(b)) super('NOT_FOUND', a, b, c);
    else
      super('NOT_FOUND', `${a} '${quoteForMessage(b)}' not found${typeof c === 'string' && c !== '' ? `: ${c}` : ''}`, {
        what: a,
        name: b,
      });
  }
}

export class AlreadyExistsError extends CairnError {
  /** `WHAT 'NAME' already exists; HINT` */
  constructor(what: AlreadyExistsWhat, name: string, hint: string);
  constructor(message: string, data: AlreadyExistsData, cause?: unknown);
  constructor(a: string, b: string | AlreadyExistsData, c?: unknown) {
    if (isData(b)) super('ALREADY_EXISTS', a, b, c);
    else super('ALREADY_EXISTS', `${a} '${quoteForMessage(b)}' already exists; ${c as string}`, { what: a, name: b });
  }
}

export class AmbiguousError extends CairnError {
  constructor(prefix: string, candidates: string[]);
  constructor(message: string, data: ErrorData, cause?: unknown);
  constructor(a: string, b: string[] | ErrorData, c?: unknown) {
    if (isData(b)) super('AMBIGUOUS', a, b, c);
    else
      super('AMBIGUOUS', `short id '${quoteForMessage(a)}' is ambiguous (${b.length} objects match): use more digits`, {
        prefix: a,
        candidates: b,
      });
  }
}

export class InvalidNameError extends CairnError {
  /** `invalid name 'NAME': REASON` */
  constructor(name: string, reason: string);
  constructor(message: string, data: NameData, cause?: unknown);
  constructor(a: string, b: string | NameData, c?: unknown) {
    if (isData(b)) super('INVALID_NAME', a, b, c);
    else super('INVALID_NAME', `invalid name '${quoteForMessage(a)}': ${b}`, { name: a, reason: b });
  }
}

/** A path given by the user that cannot name anything in a tree. */
export class InvalidPathError extends CairnError {
  /** `invalid path 'PATH': REASON` */
  constructor(path: string, reason: string);
  constructor(message: string, data: PathData, cause?: unknown);
  constructor(a: string, b: string | PathData, c?: unknown) {
    if (isData(b)) super('INVALID_PATH', a, b, c);
    else super('INVALID_PATH', `invalid path '${quoteForMessage(a)}': ${b}`, { path: a, reason: b });
  }
}

/** A path or tree entry name that could escape the worktree or collide with cairn's own folder. */
export class UnsafePathError extends CairnError {
  /** `refusing unsafe path 'PATH': REASON` (control characters escaped) */
  constructor(path: string, reason: string);
  constructor(message: string, data: PathData, cause?: unknown);
  constructor(a: string, b: string | PathData, c?: unknown) {
    if (isData(b)) super('UNSAFE_PATH', a, b, c);
    else super('UNSAFE_PATH', `refusing unsafe path '${quoteForMessage(a)}': ${b}`, { path: a, reason: b });
  }
}

/** Stored bytes do not hash to their id, or do not decode: never returned as data. */
export class CorruptObjectError extends CairnError {
  /** `object ID is corrupt: REASON; run 'cairn fsck' ...` */
  constructor(id: string, reason: string, data?: ObjectData);
  constructor(message: string, data: ObjectData, cause?: unknown);
  constructor(a: string, b: string | ObjectData, c?: unknown) {
    if (isData(b)) super('CORRUPT_OBJECT', a, b, c);
    else
      super(
        'CORRUPT_OBJECT',
        `object ${a} is corrupt: ${b}; run 'cairn fsck' to list the damage; a fetch cannot replace a damaged copy, so restore the repository from a backup or clone it again from a replica`,
        {
          id: a,
          reason: b,
          ...(c as ObjectData | undefined),
        },
      );
  }
}

export class MissingObjectError extends CairnError {
  /** `object ID is missing from the store; run 'cairn fsck' ...` */
  constructor(id: string);
  constructor(message: string, data: ObjectData, cause?: unknown);
  constructor(a: string, data?: ObjectData, cause?: unknown) {
    if (isData(data)) super('MISSING_OBJECT', a, data, cause);
    else
      super(
        'MISSING_OBJECT',
        `object ${a} is missing from the store; run 'cairn fsck' to see what is lost, and 'cairn fetch --repair' to bring it back from a replica that has it`,
        { id: a },
      );
  }
}

export class BadFormatError extends CairnError {
  /** `cannot decode WHAT: REASON` */
  constructor(what: string, reason: string, data?: BadFormatData, cause?: unknown);
  constructor(message: string, data: BadFormatData, cause?: unknown);
  constructor(a: string, b: string | BadFormatData, c?: unknown, d?: unknown) {
    if (isData(b)) super('BAD_FORMAT', a, b, c);
    else super('BAD_FORMAT', `cannot decode ${a}: ${b}`, { what: a, reason: b, ...(c as BadFormatData | undefined) }, d);
  }
}

/** A compare-and-swap on a ref lost a race: someone else moved it first. */
export class RefMovedError extends CairnError {
  /** `branch moved: 'REF' changed since you started (expected …, found …).` and, with data.newId, where the caller's commit is. */
  constructor(ref: string, expected: string | null, found: string | null, data?: RefMovedData);
  constructor(message: string, data: RefMovedData, cause?: unknown);
  constructor(a: string, b: string | null | RefMovedData, c?: unknown, d?: RefMovedData) {
    if (isData(b)) super('REF_MOVED', a, b, c);
    else {
      const data = d ?? {};
      const short = (id: string | null) => (id === null ? '(none)' : id.slice(0, 12));
      const own =
        typeof data['newId'] === 'string'
          ? ` Your commit ${data['newId']} is stored; merge it with 'cairn merge ${data['newId'].slice(0, 12)}' or branch from it.`
          : '';
      super(
        'REF_MOVED',
        `branch moved: '${quoteForMessage(a)}' changed since you started (expected ${short(b)}, found ${short(c as string | null)}).${own}`,
        { ref: a, expected: b, found: c, ...data },
      );
    }
  }
}

export class DirtyWorktreeError extends CairnError {
  /** `ACTION would overwrite uncommitted changes in: PATHS; commit them, or use --force to discard them` */
  constructor(paths: string[], action: string);
  constructor(message: string, data: DirtyWorktreeData, cause?: unknown);
  constructor(a: string[] | string, b: string | DirtyWorktreeData, c?: unknown) {
    if (isData(b)) super('DIRTY_WORKTREE', a as string, b, c);
    else {
      const paths = a as string[];
      const shown = paths.slice(0, 10).join(', ') + (paths.length > 10 ? ` and ${paths.length - 10} more` : '');
      super('DIRTY_WORKTREE', `${b} would overwrite uncommitted changes in: ${shown}; commit them, or use --force to discard them`, {
        paths,
      });
    }
  }
}

export class NothingToCommitError extends CairnError {
  constructor(message: string, data: ErrorData = {}, cause?: unknown) {
    super('NOTHING_TO_COMMIT', message, data, cause);
  }
}

export class UnresolvedConflictsError extends CairnError {
  constructor(message: string, data: UnresolvedConflictsData = {}, cause?: unknown) {
    super('UNRESOLVED_CONFLICTS', message, data, cause);
  }
}

export class LockedError extends CairnError {
  /** `WHAT is locked by HOLDER; wait for it to finish, or remove the lock ...` */
  constructor(what: string, holder: string);
  constructor(message: string, data: ErrorData, cause?: unknown);
  constructor(a: string, b: string | ErrorData, c?: unknown) {
    if (isData(b)) super('LOCKED', a, b, c);
    else
      super('LOCKED', `${a} is locked by ${b}; wait for it to finish, or remove the lock if that process is gone`, { what: a, holder: b });
  }
}

/** Refused to protect data: a non-fast-forward push, deleting the current branch, a server's refusal... */
export class RejectedError extends CairnError {
  constructor(message: string, data: RejectedData = {}, cause?: unknown) {
    super('REJECTED', message, data, cause);
  }
}

/** A remote failed: unreachable, refused the token, answered outside the protocol, cut a transfer off. */
export class RemoteError extends CairnError {
  /** `URL: PROBLEM` (data as given: the URL is in it only when the caller puts it there) */
  constructor(url: string, problem: string, data?: RemoteData, cause?: unknown);
  constructor(message: string, data: RemoteData, cause?: unknown);
  constructor(a: string, b: string | RemoteData, c?: unknown, d?: unknown) {
    if (isData(b)) super('REMOTE', a, b, c);
    else super('REMOTE', `${a}: ${b}`, (c as RemoteData | undefined) ?? {}, d);
  }
}

export class IoError extends CairnError {
  constructor(message: string, data: IoData = {}, cause?: unknown) {
    super('IO', message, data, cause);
  }
}

export class InterruptedError extends CairnError {
  constructor(message: string, data: ErrorData = {}, cause?: unknown) {
    super('INTERRUPTED', message, data, cause);
  }
}

type Worded = new (message: string, data: ErrorData, cause?: unknown) => CairnError;

const CLASS_OF: Record<ErrorCode, Worded> = {
  USAGE: UsageError,
  NOT_A_REPOSITORY: NotARepositoryError,
  ALREADY_EXISTS: AlreadyExistsError,
  NOT_FOUND: NotFoundError,
  AMBIGUOUS: AmbiguousError,
  INVALID_NAME: InvalidNameError,
  INVALID_PATH: InvalidPathError,
  UNSAFE_PATH: UnsafePathError,
  CORRUPT_OBJECT: CorruptObjectError,
  MISSING_OBJECT: MissingObjectError,
  BAD_FORMAT: BadFormatError,
  REF_MOVED: RefMovedError,
  // Its typed form requires `paths`; a revived one has whatever data it travelled with.
  DIRTY_WORKTREE: DirtyWorktreeError as unknown as Worded,
  NOTHING_TO_COMMIT: NothingToCommitError,
  UNRESOLVED_CONFLICTS: UnresolvedConflictsError,
  LOCKED: LockedError,
  REJECTED: RejectedError,
  REMOTE: RemoteError,
  IO: IoError,
  INTERRUPTED: InterruptedError,
};

/**
 * The error for a code known only at run time, as its class: one that crossed a boundary as data
 * (a worker thread's reply, a server's error answer) is rebuilt here, so `instanceof` still works.
 */
export function errorFor(code: ErrorCode, message: string, data: ErrorData = {}, cause?: unknown): CairnError {
  return new CLASS_OF[code](message, data, cause);
}

/** The same error (code, class, data) with its message prefixed and data added; `err` becomes the cause. */
export function withContext(err: CairnError, prefix: string, extra: ErrorData = {}): CairnError {
  return errorFor(err.code, `${prefix}${err.message}`, { ...err.data, ...extra }, err);
}

// ---- Quoting input in messages: names, paths and remote text are escaped and bounded here ----

/**
 * Characters a terminal may act on: C0 controls (ESC, CR, LF...), DEL, C1 controls (U+009B is CSI
 * on some terminals), the Unicode line separators and the bidirectional overrides.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const C_ESCAPES: Record<string, string> = { '\u0007': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\v': '\\v', '\f': '\\f', '\r': '\\r' };

/** `s` with every control character written as git writes it in a quoted path: \n, \t, \033, or \u009b beyond ASCII. */
export function escapeControls(s: string): string {
  return s.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return C_ESCAPES[c] ?? (code < 0x80 ? `\\${code.toString(8).padStart(3, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/** Whether `s` holds a character escapeControls would rewrite. */
export function hasControls(s: string): boolean {
  CONTROLS.lastIndex = 0;
  const found = CONTROLS.test(s);
  CONTROLS.lastIndex = 0;
  return found;
}

/** How much of one quoted input a message shows. */
export const MESSAGE_QUOTE_MAX = 200;

/**
 * User or remote input as a message quotes it: control characters escaped, and cut after `max`
 * characters with an ellipsis and the full length ("aaaa… (1048576 characters)"), so a hostile
 * name can neither drive the terminal nor flood it. Error data keeps the exact value.
 */
export function quoteForMessage(s: string, max = MESSAGE_QUOTE_MAX): string {
  if (s.length <= max) return escapeControls(s);
  let cut = s.slice(0, max);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${escapeControls(cut)}\u2026 (${s.length} characters)`;
}
