// Which merge driver handles a file: the one named (--driver, .cairnattributes), else by extension, else
// by content (binary or text). Shared by `merge-file`, the structural diff and the tree merge.
import { UsageError } from '../../errors.js';
import { looksBinary, mergeBinary } from './binary-merge.js';
import { mergeCsv } from './csv-merge.js';
import { mergeJson } from './json-merge.js';
import { mergeJsonl } from './jsonl-merge.js';
import { mergeText } from './text-merge.js';
import type { MergeDriver } from './types.js';

export const DRIVER_NAMES = ['json', 'jsonl', 'csv', 'text', 'binary'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

const DRIVERS: Record<DriverName, MergeDriver> = {
  json: mergeJson,
  jsonl: mergeJsonl,
  csv: mergeCsv,
  text: mergeText,
  binary: mergeBinary,
};

// Aliases users write in attributes and on the command line; tsv is csv with a tab (the csv driver
// picks the delimiter from the path or its `delimiter` option).
const ALIASES: Record<string, DriverName> = { ndjson: 'jsonl', tsv: 'csv' };

/** The driver for a name given by the user; UsageError for an unknown one. */
export function driverNamed(name: string): DriverName {
  const lower = name.toLowerCase();
  if ((DRIVER_NAMES as readonly string[]).includes(lower)) return lower as DriverName;
  const alias = ALIASES[lower];
  if (alias !== undefined) return alias;
  throw new UsageError(`unknown merge driver '${name}': use one of ${DRIVER_NAMES.join(', ')} (or ndjson, tsv)`, { driver: name });
}

/** The structured driver an extension implies, or null when only the content can tell (text or binary). */
export function driverForExtension(path: string): DriverName | null {
  const m = /\.([^./]+)$/.exec(path);
  switch (m?.[1]?.toLowerCase()) {
    case 'json':
      return 'json';
    case 'jsonl':
    case 'ndjson':
      return 'jsonl';
    case 'csv':
    case 'tsv':
    case 'tab':
      return 'csv';
    default:
      return null;
  }
}

/**
 * The driver for a file: `explicit` when given; else its extension's; else binary when any version
 * looks binary (git's rule: a NUL in the first 8000 bytes), else text.
 */
export function chooseDriver(path: string, versions: readonly (Buffer | null)[], explicit?: string): DriverName {
  if (explicit !== undefined) return driverNamed(explicit);
  return driverForExtension(path) ?? (versions.some((v) => v !== null && looksBinary(v)) ? 'binary' : 'text');
}

export function mergeDriver(name: DriverName): MergeDriver {
  return DRIVERS[name];
}
