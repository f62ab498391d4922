// `reflog`: a ref's history of values, newest first, and `reflog expire`: dropping entries older
// than an age (the store keeps each existing ref's newest entry), so that gc may later let go of
// what only old entries still reach.
import { NotFoundError, UsageError } from '../errors.js';
import { cutoffFor, parseAge } from '../core/age.js';
import type { ReflogEntry, ReflogExpiry } from '../store/ref-store-contract.js';
import type { Repository } from '../store/repository.js';
import { refCandidates } from './history/rev-parse.js';

/** The age `reflog expire` uses without --expire and without `gc.reflogExpire`: as git's. */
export const DEFAULT_REFLOG_EXPIRE = '90.days';
export const REFLOG_EXPIRE_KEY = 'gc.reflogExpire';

/**
 * The full name of the ref NAME means, as git reads a short name (HEAD, refs/…, then
 * refs/heads/NAME, refs/tags/NAME, refs/remotes/NAME…): the first candidate that exists or still
 * has a reflog (a deleted branch keeps one until it expires: that is how its work is found again).
 */
export function reflogRefName(repo: Repository, name: string): string {
  const full = refCandidates(name).find((c) => repo.refs.read(c) !== undefined || repo.refs.reflog(c, 1).length > 0);
  if (full === undefined) throw new NotFoundError('ref', name, 'no such ref, and no reflog under that name');
  return full;
}

export interface ReflogShowOptions {
  /** At most this many entries, the newest (default: all). */
  limit?: number;
}

/** The entries of REF's reflog, newest first, each with its index n (REF@{n}). */
export function readReflog(
  repo: Repository,
  name: string,
  opts: ReflogShowOptions = {},
): { ref: string; entries: (ReflogEntry & { index: number })[] } {
  const ref = reflogRefName(repo, name);
  const entries = repo.refs.reflog(ref, opts.limit ?? Number.MAX_SAFE_INTEGER).map((e, index) => ({ ...e, index }));
  return { ref, entries };
}

export interface ReflogExpireOptions {
  /** The age text (`90.days`, `now`, `never`); default: config gc.reflogExpire, else 90 days. */
  expire?: string;
  /** Ref names as the user gave them, or 'all'. */
  refs: readonly string[] | 'all';
  dryRun?: boolean;
  /** The clock (ms since the epoch); default Date.now(). */
  now?: number;
}

export interface ReflogExpireResult {
  /** The age applied, as written, and where it came from. */
  expire: string;
  from: 'option' | 'config' | 'default';
  /** Entries at or before this time were old enough to go (ms since the epoch; null for 'never'). */
  cutoff: number | null;
  dryRun: boolean;
  refs: ReflogExpiry[];
  dropped: number;
}

export function expireReflogs(repo: Repository, opts: ReflogExpireOptions): ReflogExpireResult {
  const configured = repo.config.get(REFLOG_EXPIRE_KEY);
  const [expire, from, what] =
    opts.expire !== undefined
      ? [opts.expire, 'option' as const, '--expire']
      : configured !== undefined
        ? [configured, 'config' as const, REFLOG_EXPIRE_KEY]
        : [DEFAULT_REFLOG_EXPIRE, 'default' as const, 'the default'];
  const age = parseAge(expire, what);
  if (opts.refs !== 'all' && opts.refs.length === 0) throw new UsageError('reflog expire needs the refs to expire, or --all');
  const which = opts.refs === 'all' ? 'all' : opts.refs.map((r) => reflogRefName(repo, r));
  // An entry exactly `age` old goes too, so `--expire=now` drops everything up to this instant.
  const at = cutoffFor(age, opts.now ?? Date.now());
  const refs = repo.refs.expireReflog(which, at + 1, { dryRun: opts.dryRun === true });
  return {
    expire,
    from,
    cutoff: at === -Infinity ? null : at,
    dryRun: opts.dryRun === true,
    refs,
    dropped: refs.reduce((n, r) => n + r.dropped, 0),
  };
}
