// The stable error code a call throws (tests assert codes, never message text), or undefined when
// it returns normally; anything that is not a CairnError is rethrown.
import { CairnError } from '../../src/errors.js';

export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CairnError) return err.code;
    throw err;
  }
  return undefined;
}

/** The CairnError a call throws (for assertions on `data` too); fails when it returns normally. */
export function errorOf(fn: () => unknown): CairnError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CairnError) return err;
    throw err;
  }
  throw new Error('expected a CairnError, nothing was thrown');
}
