// What may be a tree entry name, a worktree path or a ref name. Every name from a tree, a remote or
// the worktree passes through here before it touches the file system (docs/FORMAT.md §7 names, §15.4).
import { InvalidNameError, UnsafePathError } from '../errors.js';

const MAX_NAME_BYTES = 255;

/**
 * Names made only of these ASCII characters, not starting with '.' nor ending in '.' or ' ', pass
 * every rule below (no separators, no '.cairn' alias, no HFS+-ignored code points, valid UTF-8):
 * the common case skips the full checks, which cost ~10 us per name on 100k-file checkouts.
 */
export const SAFE_NAME = /^(?:[A-Za-z0-9_+=,@-]|[A-Za-z0-9_+=,@-][A-Za-z0-9._+=,@ -]{0,253}[A-Za-z0-9_+=,@-])$/;

/** Why `name` cannot be a tree entry name, or null when it can. */
export function entryNameProblem(name: string): string | null {
  if (SAFE_NAME.test(name)) return null;
  if (name.length === 0) return 'empty name';
  if (name === '.' || name === '..') return `'${name}' is not a file name`;
  if (name.includes('/')) return "contains '/'";
  if (name.includes('\\')) return "contains '\\'";
  if (name.includes('\0')) return 'contains NUL';
  if (isRepositoryFolderAlias(name)) return "'.cairn' is reserved for the repository";
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return `longer than ${MAX_NAME_BYTES} bytes`;
  if (/[\ud800-\udfff]/.test(name.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) return 'not valid UTF-8';
  return null;
}

export function checkEntryName(name: string, where = name): void {
  const problem = entryNameProblem(name);
  if (problem !== null) throw new UnsafePathError(where, problem);
}

/**
 * Code points that HFS+ ignores in names (the list git checks, CVE-2014-9390): on a Mac,
 * ".c\u200cairn" and "\ufeff.cairn" are the folder ".cairn".
 */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * Names that would land on one file on a case-insensitive or normalising file system: case and
 * Unicode normalisation (macOS, Windows), code points HFS+ ignores, and trailing dots and spaces,
 * which Windows drops ("a.csv." is "a.csv").
 */
export function foldName(name: string): string {
  return name
    .replace(HFS_IGNORED, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[. ]+$/, '');
}

/**
 * Whether checking out `name` could write into the repository folder on some file system: ".cairn"
 * in any case, spelled with HFS+-ignored code points or Windows' trailing dots and spaces, its NTFS
 * short name "CAIRN~1", or an NTFS stream of it (".cairn::$INDEX_ALLOCATION" is the folder itself).
 */
function isRepositoryFolderAlias(name: string): boolean {
  const f = foldName(name.split(':')[0]!);
  return f === '.cairn' || f === 'cairn~1';
}

/**
 * Validates a repository-relative path ("a/b/c.csv", '/' separated, no leading slash) and returns
 * its components. The empty string is the root.
 */
export function splitRepoPath(path: string): string[] {
  if (path === '') return [];
  const parts = path.split('/');
  for (const part of parts) {
    const problem = entryNameProblem(part);
    if (problem !== null) throw new UnsafePathError(path, problem);
  }
  return parts;
}

export function joinRepoPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

// UTF-16 code-unit order equals UTF-8 byte order unless a surrogate or a unit >= U+E000 is involved.
const BEYOND_BMP_ORDER = /[\ud800-\uffff]/;

/** Compare repository paths the way trees sort their entries: by UTF-8 bytes. */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  if (!BEYOND_BMP_ORDER.test(a) && !BEYOND_BMP_ORDER.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Ref names (branches, tags, remotes): git's rules, narrowed. Components separated by '/', no
 * component starting with '.', none ending in '.lock', no '..', no control characters or ' ~^:?*[\'.
 */
export function refNameProblem(name: string): string | null {
  if (name.length === 0) return 'empty';
  if (name.length > 200) return 'longer than 200 characters';
  if (name === 'HEAD') return "'HEAD' is reserved";
  if (name.startsWith('/') || name.endsWith('/')) return "starts or ends with '/'";
  if (name.includes('//')) return "contains '//'";
  if (name.includes('..')) return "contains '..'";
  if (name.includes('@{')) return "contains '@{'";
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return 'contains a space, control character or one of ~^:?*[\\';
  if (name.endsWith('.')) return "ends with '.'";
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return "a component starts with '.'";
    if (part.endsWith('.lock')) return "a component ends with '.lock'";
  }
  if (name.startsWith('-')) return "starts with '-'";
  return null;
}

export function checkRefName(name: string, what = 'branch name'): void {
  const problem = refNameProblem(name);
  if (problem !== null) throw new InvalidNameError(name, `${what} ${problem}`);
}
