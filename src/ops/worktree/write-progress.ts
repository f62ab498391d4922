// Progress of writing files into a folder, counted in files, or in bytes when a single large file
// dominates (a 4 GiB file would otherwise sit at "0/1 files" for minutes).
import type { ProgressFn } from '../progress.js';
import type { Leaf } from '../tree/tree-walk.js';

const BYTES_MODE_FILE = 64 << 20;
const BYTES_STEP = 8 << 20;
const FILES_STEP = 256;

export interface WriteProgress {
  /** Files done so far (removals included when the caller counted them in `extraFiles`). */
  files(done: number): void;
  bytes(n: number): void;
}

export function writeProgress(onProgress: ProgressFn | undefined, phase: string, leaves: readonly Leaf[], extraFiles = 0): WriteProgress {
  if (onProgress === undefined) return { files: () => undefined, bytes: () => undefined };
  let largest = 0;
  let totalBytes = 0;
  for (const l of leaves) {
    totalBytes += l.size;
    if (l.size > largest) largest = l.size;
  }
  if (largest >= BYTES_MODE_FILE) {
    let done = 0;
    let reported = 0;
    return {
      files: () => undefined,
      bytes: (n) => {
        done += n;
        if (done - reported < BYTES_STEP && done !== totalBytes) return;
        reported = done;
        onProgress({ phase, done, total: totalBytes, unit: 'bytes' });
      },
    };
  }
  const total = leaves.length + extraFiles;
  let reported = 0;
  return {
    files: (done) => {
      if (done - reported < FILES_STEP && done !== total) return;
      reported = done;
      onProgress({ phase, done, total, unit: 'files' });
    },
    bytes: () => undefined,
  };
}
