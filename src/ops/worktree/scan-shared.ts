// Constants and the name check shared by the worktree scanner and its worker thread.
import { readdirSync, type Dirent } from 'node:fs';
import { SAFE_NAME, entryNameProblem, foldName } from '../../core/names.js';

export { SAFE_NAME } from '../../core/names.js';

/**
 * Entries of one directory that would land on the same file on a case-insensitive or normalising
 * file system (README and readme): trees refuse such twins, so the scanner reports both as
 * unstorable instead of letting a later commit fail. Maps each twin to the name it collides with.
 */
export function caseTwins(names: readonly string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const twins = new Map<string, string>();
  for (const name of names) {
    const key = /^[\x00-\x7f]*$/.test(name) && !/[. ]$/.test(name) ? name.toLowerCase() : foldName(name);
    const other = seen.get(key);
    if (other === undefined) seen.set(key, name);
    else {
      twins.set(name, other);
      twins.set(other, name);
    }
  }
  return twins;
}

export const KIND_CODES = { file: 0, exec: 1, symlink: 2 } as const;
export const KIND_NAMES = ['file', 'exec', 'symlink'] as const;

/**
 * Why the entry `name` of directory `absDir` cannot be stored, or null. Node decodes a name whose
 * bytes are not UTF-8 with U+FFFD, so the decoded name opens nothing (or another file): such a name
 * is found by re-reading the directory as bytes, only when a U+FFFD shows up. `cache` holds that
 * directory's undecodable names between calls.
 */
export function worktreeNameProblem(name: string, absDir: string, cache: { undecodable?: Set<string> }): string | null {
  if (SAFE_NAME.test(name)) return null;
  const problem = entryNameProblem(name);
  if (problem !== null || !name.includes('\ufffd')) return problem;
  if (cache.undecodable === undefined) {
    cache.undecodable = new Set();
    for (const raw of readdirSync(absDir, { encoding: 'buffer' })) {
      const decoded = raw.toString('utf8');
      if (!Buffer.from(decoded, 'utf8').equals(raw)) cache.undecodable.add(decoded);
    }
  }
  return cache.undecodable.has(name) ? 'not valid UTF-8' : null;
}

/**
 * One directory's entries, each with why its name cannot be stored (null when it can): the rules
 * of names.ts, undecodable bytes, and case twins (`twin`: the name it collides with) among the
 * entries `ignored` does not leave out. The repository's own `.cairn` is left out when `isRoot`.
 * Undefined when the directory cannot be read (vanished, permissions).
 */
export function readDirChecked(
  absDir: string,
  isRoot: boolean,
  ignored?: (name: string, isDir: boolean) => boolean,
): { entry: Dirent; problem: string | null; twin?: string }[] | undefined {
  let entries: Dirent[];
  try {
    entries = readdirSync(absDir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  if (isRoot) entries = entries.filter((d) => d.name !== '.cairn');
  const nameCache = {};
  // An ignored (untracked) entry will not be stored, so it collides with nothing.
  const candidates = ignored === undefined ? entries : entries.filter((d) => !ignored(d.name, d.isDirectory()));
  const twins = candidates.length > 1 ? caseTwins(candidates.map((d) => d.name)) : undefined;
  return entries.map((entry) => {
    const problem = worktreeNameProblem(entry.name, absDir, nameCache);
    const twin = twins?.get(entry.name);
    if (problem !== null || twin === undefined) return { entry, problem };
    return { entry, problem: `differs from '${twin}' only in case or normalisation (they would be one file on macOS and Windows)`, twin };
  });
}
