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
