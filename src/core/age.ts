// Ages as git's expiry options spell them (`--expire=90.days`, `gc.reflogExpire`, and later gc's
// `--prune=<age>`): how far back from now a cutoff lies, in milliseconds. Pure, so it is
// property-tested without a clock; the caller subtracts the age from its own "now".
import { UsageError, quoteForMessage } from '../errors.js';

const SECOND = 1000;
const DAY = 86_400 * SECOND;

/** Unit names (singular; a trailing "s" is accepted on every one) and their length in ms. */
const UNITS: Readonly<Record<string, number>> = {
  second: SECOND,
  sec: SECOND,
  minute: 60 * SECOND,
  min: 60 * SECOND,
  hour: 3600 * SECOND,
  day: DAY,
  week: 7 * DAY,
  // As git's approxidate: a month is 30 days, a year 365.
  month: 30 * DAY,
  year: 365 * DAY,
};

/** The unit names parseAge accepts, for messages and tests. */
export const AGE_UNITS: readonly string[] = Object.keys(UNITS);

/** Larger ages are refused rather than rounded: ~285 000 years, far past any clock's epoch. */
export const MAX_AGE_MS = 2 ** 53 - 1;

/**
 * Parses an age: `now` (0), `never` (Infinity: nothing is ever old enough), a whole number of
 * seconds (`3600`), or a whole number and a unit joined by a dot or spaces (`90.days`, `2.weeks`,
 * `1 hour`), optionally followed by `.ago` / ` ago` as git writes them (`2.weeks.ago`). Case and
 * surrounding spaces do not matter. Anything else — fractions, negatives, dates, unknown units, an
 * age past MAX_AGE_MS — is a USAGE error naming `what` (the option or config key it came from).
 */
export function parseAge(text: string, what = 'age'): number {
  const s = text.trim().toLowerCase();
  if (s === 'now') return 0;
  if (s === 'never') return Infinity;
  const m = /^(\d+)(?:(?:\.|\s+)([a-z]+?)s?)?(?:(?:\.|\s+)ago)?$/.exec(s);
  const unit = m?.[2] === undefined ? SECOND : UNITS[m[2]];
  if (m === null || unit === undefined) {
    throw new UsageError(
      `${what} '${quoteForMessage(text)}' is not an age: write 'now', 'never', a number of seconds, or a number and a unit (${AGE_UNITS.join(', ')}), e.g. '90.days'`,
      { reason: 'bad-age', value: text },
    );
  }
  const ms = Number(m[1]) * unit;
  if (!(ms <= MAX_AGE_MS))
    throw new UsageError(`${what} '${quoteForMessage(text)}' is too long an age`, { reason: 'bad-age', value: text });
  return ms;
}

/** The time before which things are older than `ageMs`, as seen at `now` (ms since the epoch). */
export function cutoffFor(ageMs: number, now: number): number {
  return ageMs === Infinity ? -Infinity : now - ageMs;
}
