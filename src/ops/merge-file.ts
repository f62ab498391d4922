// `merge-file`: a three-way merge of three files on disk with cairn's drivers, outside any repository
// (so cairn can serve as git's merge driver). Writes the result over OURS atomically unless asked not to.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import type { MergeConflict } from '../core/merge/types.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { chooseDriver, mergeDriver, type DriverName } from '../core/merge/driver-choice.js';

export interface MergeFileOptions {
  /** File paths, resolved against `cwd`. */
  base: string;
  ours: string;
  theirs: string;
  cwd: string;
  /** A driver name (json, jsonl, ndjson, csv, tsv, text, binary); default: by `path`'s extension, then by content. */
  driver?: string;
  /** The name the file has for the user (git's %P): picks the driver and names the file in messages. Default: `ours`. */
  path?: string;
  /** Driver options, e.g. { key: 'sku' } (records' identity field) or { delimiter: ';' } for csv. */
  options?: Record<string, string>;
  labels?: { base?: string; ours?: string; theirs?: string };
  /** Settle every conflict with this side's value instead of reporting it. */
  favor?: 'ours' | 'theirs';
  /** false: compute only (`-p`); true (default): replace OURS with the result. */
  write?: boolean;
}

export interface MergeFileResult {
  driver: DriverName;
  /** The merged file (with conflicts: ours' value at each, or conflict markers for text). */
  content: Buffer;
  conflicts: MergeConflict[];
  settled: number;
  /** The file replaced (the real path of OURS), or null when nothing was written. */
  written: string | null;
}

export function mergeFile(opts: MergeFileOptions): MergeFileResult {
  const oursPath = resolve(opts.cwd, opts.ours);
  const base = readInput(resolve(opts.cwd, opts.base), 'base');
  const ours = readInput(oursPath, 'ours');
  const theirs = readInput(resolve(opts.cwd, opts.theirs), 'theirs');
  const path = opts.path ?? opts.ours;
  // git hands a driver an empty %O when the file was added on both sides; no format parses "" as a
  // document, so an empty base means "no base" (add/add), as the driver contract spells it.
  const baseOrNull = base.length === 0 ? null : base;
  const driver = chooseDriver(path, [baseOrNull, ours, theirs], opts.driver);
  const out = mergeDriver(driver)({
    base: baseOrNull,
    ours,
    theirs,
    path,
    ...(opts.options ? { options: opts.options } : {}),
    ...(opts.labels ? { labels: opts.labels } : {}),
    ...(opts.favor ? { favor: opts.favor } : {}),
  });
  let written: string | null = null;
  if (opts.write !== false && !out.content.equals(ours)) {
    // The target of a symlinked OURS is what git's merge-file rewrites too; the link itself stays.
    written = realpathSync(oursPath);
    writeFileAtomic(written, out.content, statSync(written).mode & 0o7777);
  }
  return { driver, content: out.content, conflicts: out.conflicts, settled: out.settled, written };
}

// Drivers decode a whole version into one string, and V8 strings stop at 2^29 - 24 UTF-16 units.
export const MAX_MERGE_FILE_BYTES = 0x1fffffe8;

function readInput(file: string, side: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`${side} file`, file);
    if (code === 'EISDIR') throw new UsageError(`the ${side} file '${file}' is a directory`, { path: file, side });
    if (code === 'ERR_FS_FILE_TOO_LARGE') throw tooLarge(file, side);
    throw err;
  }
  if (buf.length > MAX_MERGE_FILE_BYTES) throw tooLarge(file, side);
  return buf;
}

function tooLarge(file: string, side: string): UsageError {
  return new UsageError(
    `the ${side} file '${file}' is too large to merge in memory (the limit is ${MAX_MERGE_FILE_BYTES} bytes, about 512 MiB)`,
    { path: file, side, limit: MAX_MERGE_FILE_BYTES },
  );
}
