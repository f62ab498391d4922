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

/** Longer ref names are refused (cairn's narrowing of git's rules: they become SQLite keys and messages). */
export const MAX_REF_NAME = 200;

// Characters git's check-ref-format refuses anywhere: ASCII controls, DEL, space, ~ ^ : ? * [ \.
// C1 controls (U+0080-U+009F) are cairn's narrowing: some terminals act on them (U+009B is CSI).
const REF_FORBIDDEN = /[\u0000-\u0020\u007f-\u009f~^:?*[\\]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why `name` cannot be a ref name, or null: git's check-ref-format rules (git help
 * check-ref-format; for a branch, as `--branch` checks it), narrowed (docs/FORMAT.md §13):
 * - components separated by '/', none empty, none starting with '.', none ending in '.lock';
 * - no '..', no '@{', no control character, space or one of ~ ^ : ? * [ \; not ending in '.';
 * - not '@' alone (git: as a whole ref; cairn: also as a branch, since '@' means HEAD here);
 * - a branch or tag name (the short name, or the part after refs/heads/ or refs/tags/) does not
 *   start with '-' and is not 'HEAD' (git --branch);
 * - narrowed: at most MAX_REF_NAME characters, C1 controls refused, valid UTF-8.
 * Names from a remote pass through here before they become refs (fetch, clone, the server's push).
 */
export function refNameProblem(name: string): string | null {
  if (name.length === 0) return 'empty';
  if (name.length > MAX_REF_NAME) return `longer than ${MAX_REF_NAME} characters`;
  if (REF_FORBIDDEN.test(name)) return 'contains a space, control character or one of ~^:?*[\\';
  if (LONE_SURROGATE.test(name)) return 'not valid UTF-8';
  if (name.startsWith('/') || name.endsWith('/')) return "starts or ends with '/'";
  if (name.includes('//')) return "contains '//'";
  if (name.includes('..')) return "contains '..'";
  if (name.includes('@{')) return "contains '@{'";
  if (name.endsWith('.')) return "ends with '.'";
  if (name === '@') return "'@' is reserved (it means HEAD)";
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return "a component starts with '.'";
    if (part.endsWith('.lock')) return "a component ends with '.lock'";
  }
  const short = name.startsWith('refs/heads/') ? name.slice(11) : name.startsWith('refs/tags/') ? name.slice(10) : name;
  if (short === 'HEAD') return "'HEAD' is reserved";
  if (short === '@') return "'@' is reserved (it means HEAD)";
  if (short.startsWith('-')) return "starts with '-'";
  return null;
}

export function checkRefName(name: string, what = 'branch name'): void {
  const problem = refNameProblem(name);
  if (problem !== null) throw new InvalidNameError(name, `${what} ${problem}`);
}
