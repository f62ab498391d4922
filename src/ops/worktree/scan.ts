// Walks the worktree: every file, executable and symlink, with the stat data the index compares
// against. Skips `.cairn/` and untracked paths matched by `.cairnignore` (gitignore syntax, matched
// in linear time by core/glob-match.ts); tracked files stay visible even when a pattern matches
// them, as in git.
import { lstatSync, type Dirent, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../../errors.js';
import { IgnoreRules } from '../../core/path-rules.js';
import { entryNameProblem } from '../../core/names.js';
import type { Repository } from '../../store/repository.js';
import { readDirChecked } from './scan-shared.js';
import { readRulesFile } from './rules-file.js';

export type FileKind = 'file' | 'exec' | 'symlink';

export interface WorktreeFile {
  path: string;
  kind: FileKind;
  size: number;
  mtimeNs: number;
  ctimeNs: number;
  ino: number;
}

export interface ScanOptions {
  /** Repository-relative paths (files or directories) to limit the scan to; default: everything. */
  paths?: readonly string[];
  /** Tracked paths: shown even when ignored; their directories are entered even when ignored. */
  tracked?: ReadonlySet<string>;
}

export interface ScanResult {
  files: WorktreeFile[];
  /** Names cairn cannot store (e.g. containing '\'), reported rather than silently dropped. */
  unstorable: Unstorable[];
  /** Things the user should know, e.g. a .cairnignore that is a symlink and was not applied. */
  warnings: string[];
}

export interface Unstorable {
  path: string;
  reason: string;
  /** For a case twin (README beside readme): the path it collides with. */
  twin?: string;
}

export const IGNORE_FILE = '.cairnignore';

/** The stat fields the index keeps, in one place so every writer of the index agrees. */
export function statFields(st: Stats): { size: number; mtimeNs: number; ctimeNs: number; ino: number } {
  return { size: st.size, mtimeNs: Math.round(st.mtimeMs * 1e6), ctimeNs: Math.round(st.ctimeMs * 1e6), ino: st.ino };
}

export function kindOf(st: Stats): FileKind | undefined {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFile()) return st.mode & 0o111 ? 'exec' : 'file';
  return undefined;
}

export interface IgnoreFile {
  /** The rules' text (handed to the status workers), or null when there are no rules. */
  text: string | null;
  rules: IgnoreRules | undefined;
  /** Why a .cairnignore that is there was not applied (a symlink, a FIFO). */
  warnings: string[];
}

/**
 * The worktree's .cairnignore: read without following a symlink and within the size limit, parsed
 * once (BAD_FORMAT past the limits of docs/FORMAT.md §14.2). No rules is `rules: undefined`:
 * matching 100k paths against none would cost ~0.6 s.
 */
export function loadIgnore(root: string): IgnoreFile {
  const file = readRulesFile(root, IGNORE_FILE);
  const warnings = file.warning === undefined ? [] : [file.warning];
  if (file.text === null || !/^\s*[^#\s]/m.test(file.text)) return { text: null, rules: undefined, warnings };
  return { text: file.text, rules: IgnoreRules.parse(file.text, IGNORE_FILE), warnings };
}

export function scanWorktree(repo: Repository, opts: ScanOptions = {}): ScanResult {
  const root = repo.root;
  const ignoreFile = loadIgnore(root);
  const ig = ignoreFile.rules;
  const tracked = opts.tracked ?? new Set<string>();
  const trackedDirs = new Set<string>();
  for (const p of tracked) {
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) trackedDirs.add(p.slice(0, i));
  }
  const files: WorktreeFile[] = [];
  const unstorable: Unstorable[] = [];

  const visitFile = (path: string, abs: string, hint?: Dirent): void => {
    if (ig !== undefined && !tracked.has(path) && ig.ignores(path)) return;
    let st: Stats;
    try {
      st = lstatSync(abs);
    } catch {
      return; // vanished while scanning
    }
    const kind = kindOf(st);
    if (kind === undefined) {
      if (hint === undefined || !hint.isDirectory()) unstorable.push({ path, reason: 'not a regular file, directory or symlink' });
      return;
    }
    files.push({ path, kind, size: st.size, mtimeNs: Math.round(st.mtimeMs * 1e6), ctimeNs: Math.round(st.ctimeMs * 1e6), ino: st.ino });
  };

  const walk = (dir: string, absDir: string): void => {
    const prefix = dir === '' ? '' : `${dir}/`;
    const ignored =
      ig === undefined
        ? undefined
        : (name: string, isDir: boolean) =>
            isDir
              ? !trackedDirs.has(prefix + name) && ig.ignores(`${prefix}${name}/`)
              : !tracked.has(prefix + name) && ig.ignores(prefix + name);
    for (const { entry: d, problem, twin } of readDirChecked(absDir, dir === '', ignored) ?? []) {
      const name = d.name;
      const path = prefix + name;
      if (problem !== null) {
        unstorable.push(twin === undefined ? { path, reason: problem } : { path, reason: problem, twin: prefix + twin });
        continue;
      }
      const abs = absDir + sep + name;
      if (d.isDirectory()) {
        if (ig !== undefined && !trackedDirs.has(path) && ig.ignores(`${path}/`)) continue;
        walk(path, abs);
      } else visitFile(path, abs, d);
    }
  };

  if (opts.paths === undefined) walk('', root);
  else {
    for (const p of opts.paths) {
      const refused = namedPathProblem(root, p);
      if (refused !== null) {
        unstorable.push({ path: p, reason: refused });
        continue;
      }
      const abs = p === '' ? root : join(root, p);
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch {
        continue; // the caller decides whether a missing path is an error (it may be a deletion)
      }
      if (st.isDirectory()) walk(p, abs);
      else visitFile(p, abs);
    }
  }
  // Unsorted on purpose: sorting 100k paths costs ~100 ms and no caller needs the order.
  return { files, unstorable, warnings: ignoreFile.warnings };
}

/**
 * A path named by the caller is held to the walk's rules: every component storable, and no folder
 * on the way a symlink (lstat and O_NOFOLLOW guard only the last component; cairn never follows a
 * link, not even to somewhere inside the worktree). A missing folder is not a problem here: the
 * path may be a deletion, which the caller judges.
 */
function namedPathProblem(root: string, path: string): string | null {
  if (path === '') return null;
  const parts = path.split('/');
  let abs = root;
  for (let i = 0; i < parts.length; i++) {
    const problem = entryNameProblem(parts[i]!);
    if (problem !== null) return problem;
    if (i === parts.length - 1) break;
    abs = join(abs, parts[i]!);
    let st: Stats;
    try {
      st = lstatSync(abs);
    } catch {
      return null;
    }
    if (st.isSymbolicLink()) return `'${parts.slice(0, i + 1).join('/')}' is a symlink, which cairn stores as a link and never follows`;
    if (!st.isDirectory()) return null;
  }
  return null;
}

/**
 * Turns a user-supplied path (relative to `cwd`) into a repository path, refusing paths outside
 * the worktree or inside `.cairn`.
 */
export function toRepoPath(repo: Repository, cwd: string, userPath: string): string {
  const abs = resolve(cwd, userPath);
  const rel = relative(repo.root, abs);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    throw new UsageError(`'${userPath}' is outside the repository at ${repo.root}`);
  const path = rel.split(sep).join('/');
  if (path.split('/')[0]?.toLowerCase() === '.cairn') throw new UsageError(`'${userPath}' is inside the repository's own .cairn folder`);
  return path;
}

/** True when `path` equals `prefix` or lies below it ('' matches everything). */
export function underPath(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || (path.startsWith(prefix) && path[prefix.length] === '/');
}
