// Shared by the conformance suites: awaiting a failure whether the call under test throws or rejects
// (today's stores are synchronous, the PostgreSQL/S3 ones will not be), and declaring known failures.
import { it } from 'vitest';
import { CairnError } from '../../src/errors.js';

/**
 * The CairnError that `fn` throws or rejects with; fails the test when it succeeds or throws
 * anything else. Suites use it so that one test body serves a synchronous and an async store.
 */
export async function failure(fn: () => unknown): Promise<CairnError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CairnError) return err;
    throw err;
  }
  throw new Error('expected a CairnError, the call succeeded');
}

/**
 * Options every suite takes. `knownFailures` names tests (by their exact title) that the
 * implementation is known to fail: they run as `it.fails`, so the suite stays green while the
 * deviation is recorded, and turns red the day the implementation is fixed (remove the entry then).
 */
export interface SuiteOptions {
  knownFailures?: readonly string[];
}

/** `it`, or `it.fails` for a test listed in `knownFailures`; a listed title the suite lacks is an error. */
export function testFactory(opts: SuiteOptions, titles: Set<string>): (title: string, fn: () => Promise<void> | void) => void {
  const known = new Set(opts.knownFailures ?? []);
  return (title, fn) => {
    titles.add(title);
    (known.has(title) ? it.fails : it)(title, fn);
  };
}

/** Fails when `knownFailures` names a test the suite does not have (a typo would hide nothing, silently). */
export function checkKnownFailures(opts: SuiteOptions, titles: Set<string>): void {
  it('names only existing tests as known failures', () => {
    const unknown = (opts.knownFailures ?? []).filter((t) => !titles.has(t));
    if (unknown.length > 0) throw new Error(`knownFailures names no test of this suite: ${unknown.join('; ')}`);
  });
}
