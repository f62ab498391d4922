// The tree merge's view of the merge drivers: pick one for a path (.cairnattributes first, then
// driver-choice.ts: extension, then content) and run it, falling back to the text driver when a
// structured driver cannot read a version (a .json file holding invalid JSON merges as git would).
import { CairnError } from '../../errors.js';
import type { MergeInput, MergeOutput } from '../../core/merge/types.js';
import type { Attributes } from './attributes.js';
import { chooseDriver, mergeDriver, type DriverName } from '../../core/merge/driver-choice.js';

export interface DriverPick {
  name: DriverName;
  options: Record<string, string>;
}

export interface DriverRun extends MergeOutput {
  /** The driver that produced `content` (text after a fallback). */
  driver: DriverName;
  /** Why the chosen driver was not used, when it fell back. */
  fallback?: string;
}

export function pickDriver(attrs: Attributes, path: string, versions: readonly (Buffer | null)[]): DriverPick {
  const a = attrs.lookup(path);
  return { name: chooseDriver(path, versions, a.driver), options: a.options };
}

/** Runs the picked driver; BAD_FORMAT from a structured driver retries as text (binary when it looks so). */
export function runDriver(pick: DriverPick, input: Omit<MergeInput, 'options'>): DriverRun {
  const full: MergeInput = Object.keys(pick.options).length > 0 ? { ...input, options: pick.options } : input;
  try {
    return { ...mergeDriver(pick.name)(full), driver: pick.name };
  } catch (err) {
    if (!(err instanceof CairnError) || err.code !== 'BAD_FORMAT' || pick.name === 'text' || pick.name === 'binary') throw err;
    const out = mergeDriver('text')(input);
    return { ...out, driver: 'text', fallback: `${pick.name} driver: ${err.message}` };
  }
}
