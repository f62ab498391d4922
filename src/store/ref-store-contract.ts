// The refs contract: what every ref store (SQLite; PostgreSQL behind the server seam) promises.
// It imports no implementation, so a backend can depend on it without loading SQLite; the shared
// conformance suite (test/conformance/ref-store.suite.ts) checks each promise below.
import { BadFormatError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';

export type RefValue = { symbolic: false; id: ObjectId } | { symbolic: true; target: string };

export interface RefUpdate {
  name: string;
  /** undefined: don't check; null: the ref must not exist; an id: the ref must hold exactly that. */
  expected: ObjectId | null | undefined;
  /** null deletes the ref. */
  next: ObjectId | null;
}

export interface ReflogEntry {
  ref: string;
  old: ObjectId | null;
  new: ObjectId | null;
  who: string;
  time: number;
  message: string;
}

/** What `expireReflog` did (or, on a dry run, would do) to one ref's reflog. */
export interface ReflogExpiry {
  ref: string;
  /** Entries dropped (older than the cutoff, and not the kept newest one). */
  dropped: number;
  /** Entries left. */
  kept: number;
}

/**
 * Refs: direct refs (name -> object id) and symbolic ones (HEAD -> another ref's name), with a reflog.
 * Synchronous, as the SQLite store is; the server's asynchronous seam is this contract with promises
 * (ServerRefStore in src/sync/server/storage/refs.ts, implemented on this store and on PostgreSQL).
 *
 * - `update` applies all updates or none. Before writing, under one lock, every `expected` is
 *   compared with the stored value: a mismatch throws RefMovedError (REF_MOVED, data `ref`,
 *   `expected`, `found`, plus `newId` and `extra`), permanent for this attempt; nothing changes and
 *   nothing is logged. A `next` that is not an object id is BAD_FORMAT; a `next` naming an object
 *   that is not stored is MISSING_OBJECT; writing through a symbolic ref is BAD_FORMAT. Callers must
 *   have flushed the closure of every new id before calling (invariant 1); `update` checks only the
 *   named object itself.
 * - Every successful change appends one reflog entry per ref in the same transaction. `setSymbolic`
 *   logs the ids the ref resolved to before and after.
 * - Names are stored as given: validating them (core/names.ts `refNameProblem`) is the caller's job.
 * - `list(prefix)` returns direct refs only, whose names start with `prefix`, ordered by name.
 * - `reflog(ref, limit)` returns the newest entries first.
 * - `expireReflog(which, cutoff)` drops, in ONE transaction, the entries of the named refs (or of
 *   every ref that has a reflog, for 'all') whose `time` is before `cutoff` (ms since the epoch),
 *   except the newest entry of each ref that still exists (a direct or symbolic ref row): it says
 *   how the ref got its value, and `REF@{0}` keeps working. Kept past its age, that entry's `old`
 *   becomes null: the value the ref replaced before the cutoff is released with the rest of the
 *   expired history (else the last change of every ref, e.g. HEAD's switch away from a deleted
 *   branch, would keep what it replaced reachable forever). A deleted ref's entries all go once
 *   they are old. It returns one record per ref, in name order (UTF-8 bytes): every named ref, and
 *   for 'all' every ref that had entries. `dryRun` counts the same and changes nothing. Entries
 *   appended meanwhile by another writer are never dropped by a call that did not see them.
 * - `reflogIds()` lists every id a reflog entry names (old or new, each once): what gc must keep
 *   while the entries last.
 * - `resolveName` follows symbolic refs at most 5 levels; deeper is a loop (BAD_FORMAT), and
 *   `setSymbolic` refuses to make one (BAD_FORMAT, nothing changed). A symbolic ref to a missing ref
 *   resolves to id null (an unborn branch).
 * - `transaction(fn)` runs reads and updates (and, in the SQLite store, anything else in the same
 *   database) as one transaction; an error thrown by `fn` undoes all of it.
 */
export interface RefStore {
  read(name: string): RefValue | undefined;
  /** Follows symbolic refs (at most 5 levels) to the ref that holds an id. */
  resolveName(name: string): { name: string; id: ObjectId | null };
  resolve(name: string): ObjectId | null;
  list(prefix: string): { name: string; id: ObjectId }[];
  update(updates: readonly RefUpdate[], who: string, message: string, extra?: Record<string, unknown>): void;
  /** Points a symbolic ref (HEAD) at another ref, or detaches it at an id, logging the move. */
  setSymbolic(name: string, value: RefValue, who: string, message: string): void;
  reflog(ref: string, limit?: number): ReflogEntry[];
  /** Drops entries older than `cutoff` (keeping each existing ref's newest) in one transaction. */
  expireReflog(which: readonly string[] | 'all', cutoff: number, opts?: { dryRun?: boolean }): ReflogExpiry[];
  /** Every id a reflog entry names, old or new, once each. */
  reflogIds(): ObjectId[];
  /** Every id a ref names: the roots fsck starts from. */
  allRoots(): ObjectId[];
  /** Runs several reads and updates as one transaction (e.g. rename a branch). */
  transaction<T>(fn: () => T): T;
}

/**
 * A cutoff as an integer every store can compare with: entries at `time < cutoff` go, and times
 * are whole ms, so a fractional cutoff rounds up; ±Infinity ("never", "everything") clamp to the
 * safe range that a PostgreSQL bigint parameter also takes.
 */
export function reflogCutoff(cutoff: number): number {
  if (Number.isNaN(cutoff)) throw new BadFormatError(`not a reflog cutoff: ${cutoff}`, {});
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(cutoff)));
}
