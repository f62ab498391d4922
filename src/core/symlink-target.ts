// Which symlink targets a checkout may create: relative, inside the worktree, never into .cairn,
// and resolvable without following another symlink out (docs/FORMAT.md §15.4).

/** Why a symlink at `linkPath` (repo path) may not point at `target`, or null when it may. */
export function symlinkTargetProblem(linkPath: string, target: string): string | null {
  if (target.length === 0) return 'empty symlink target';
  if (target.includes('\0')) return 'symlink target contains NUL';
  if (target.startsWith('/') || /^[a-zA-Z]:/.test(target) || target.startsWith('\\')) return `symlink target '${target}' is absolute`;
  // '..' is only allowed as leading components: after a normal component it would be resolved by
  // the OS through whatever that component is (possibly another symlink), not lexically.
  const depth = linkPath.split('/').length - 1;
  const resolved = linkPath.split('/').slice(0, -1);
  let ups = 0;
  let seenName = false;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (seenName) return `symlink target '${target}' has '..' after a name`;
      if (++ups > depth) return `symlink target '${target}' escapes the worktree`;
      resolved.pop();
      continue;
    }
    seenName = true;
    resolved.push(part);
  }
  if (resolved[0]?.toLowerCase() === '.cairn') return `symlink target '${target}' points into .cairn`;
  return null;
}
