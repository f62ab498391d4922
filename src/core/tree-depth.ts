// How deep folders may nest (docs/FORMAT.md §7.1). Walks are iterative, so depth costs no stack;
// the limit exists because a path 100k folders deep is quadratic to build and check, and cannot
// exist on a POSIX file system anyway (PATH_MAX). 4096 is git's `core.maxTreeDepth` default.
import { BadFormatError } from '../errors.js';

/** The most folders a path may pass through below the root tree. */
export const MAX_TREE_DEPTH = 4096;

/** Throws BAD_FORMAT when a folder `depth` levels below the root (the root is 0) is too deep. */
export function checkTreeDepth(depth: number, dir: string): void {
  if (depth <= MAX_TREE_DEPTH) return;
  // The path is as long as the tree is deep: quote only its start.
  const shown = dir.length > 120 ? `${dir.slice(0, 120)}…` : dir;
  throw new BadFormatError(
    `tree at '${shown}' is nested more than ${MAX_TREE_DEPTH} folders deep, which cairn refuses (docs/FORMAT.md §7.1); the repository's history holds a hostile or damaged tree`,
    { what: 'tree', reason: 'too deep', depth },
  );
}
