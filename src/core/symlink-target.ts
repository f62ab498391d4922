// Which symlink targets cairn stores and checks out (docs/FORMAT.md §5.1): any target a POSIX
// link can hold — relative, absolute, climbing out with `..`, dangling — because cairn never
// follows a link, it only creates and deletes links themselves (git's rule). `add` and checkout
// apply this one rule, so a link that was committed can always be checked out again.

/** Why a symlink may not hold `target` (raw bytes, as readlink returns them), or null when it may. */
export function symlinkTargetProblem(target: Uint8Array): string | null {
  if (target.length === 0) return 'empty symlink target';
  if (target.includes(0)) return 'symlink target contains NUL';
  return null;
}
