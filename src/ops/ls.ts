// Reading a committed tree without touching the worktree: resolve "REV:PATH" to a tree entry
// (`cat`, `rev-parse`) and list a folder's entries, optionally recursively (`ls`).
import { CairnError, InvalidPathError, NotFoundError, UsageError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import { checkTreeDepth } from '../core/tree-depth.js';
import type { TreeEntry } from '../core/tree-object.js';
import { joinRepoPath, splitRepoPath } from '../core/names.js';
import type { Repository } from '../store/repository.js';
import { readCommit, readTree } from '../store/typed-objects.js';
import { lookupPath } from './tree/tree-walk.js';
import { resolveRevision, splitRevPath } from './history/rev-parse.js';

export interface ResolvedPath {
  /** The commit the path was looked up in. */
  commit: ObjectId;
  /** Repository path, '' for the root. */
  path: string;
  entry: TreeEntry;
}

/** "REV:PATH" (or a bare REV: its root tree) to the entry it names; NOT_FOUND when absent. */
export function resolvePath(repo: Repository, spec: string): ResolvedPath {
  const { rev, path = '' } = splitRevPath(spec);
  const commit = resolveRevision(repo, rev);
  const problem = pathProblem(path);
  if (problem !== null) throw new InvalidPathError(path, problem);
  const tree = readCommit(repo.objects, commit).tree;
  const entry = lookupPath(repo.objects, tree, path);
  if (entry === undefined) throw new NotFoundError('path', path, `no such file or folder in ${rev}; list it with 'cairn ls ${rev}'`);
  return { commit, path, entry: path === '' ? entry : { ...entry, name: path.slice(path.lastIndexOf('/') + 1) } };
}

function pathProblem(path: string): string | null {
  try {
    splitRepoPath(path);
    return null;
  } catch (err) {
    return err instanceof CairnError ? String(err.data['reason']) : String(err);
  }
}

/** The file (or symlink) at "REV:PATH", for streaming its content; a folder is a USAGE error. */
export function resolveFile(repo: Repository, spec: string): ResolvedPath {
  if (splitRevPath(spec).path === undefined)
    throw new UsageError(`'${spec}' names a commit, not a file: use REV:PATH, e.g. '${spec}:data.csv'`, { spec });
  const found = resolvePath(repo, spec);
  if (found.entry.kind === 'tree') {
    const { rev } = splitRevPath(spec);
    throw new UsageError(`'${found.path || '/'}' is a folder in ${rev}, not a file; list it with 'cairn ls ${rev}:${found.path}'`, {
      spec,
      path: found.path,
    });
  }
  return found;
}

export interface LsEntry extends TreeEntry {
  /** Full repository path. */
  path: string;
  /** Path relative to the listed folder (equal to `name` unless recursive). */
  relative: string;
}

export interface LsOptions {
  /** Descend into subfolders, listing files only (as `git ls-tree -r`). */
  recursive?: boolean;
}

export interface LsResult {
  commit: ObjectId;
  path: string;
  /** The folder's own tree id, or the file's id when PATH names a file. */
  id: ObjectId;
  entries: LsEntry[];
}

/** Entries of the folder at "REV[:PATH]" in tree order; a file lists itself. */
export function listTree(repo: Repository, spec: string, opts: LsOptions = {}): LsResult {
  const found = resolvePath(repo, spec);
  const { entry } = found;
  if (entry.kind !== 'tree') {
    return { commit: found.commit, path: found.path, id: entry.id, entries: [{ ...entry, path: found.path, relative: entry.name }] };
  }
  const entries: LsEntry[] = [];
  // Iterative (tree order, depth first): a hostile tree may be deep; MAX_TREE_DEPTH bounds it.
  const base = found.path === '' ? 0 : found.path.split('/').length;
  const stack = [{ list: readTree(repo.objects, entry.id), k: 0, rel: '', depth: base }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const e = f.list[f.k++];
    if (e === undefined) {
      stack.pop();
      continue;
    }
    const relative = joinRepoPath(f.rel, e.name);
    if (e.kind === 'tree' && opts.recursive) {
      checkTreeDepth(f.depth + 1, relative);
      stack.push({ list: readTree(repo.objects, e.id), k: 0, rel: relative, depth: f.depth + 1 });
    } else entries.push({ ...e, path: joinRepoPath(found.path, relative), relative });
  }
  return { commit: found.commit, path: found.path, id: entry.id, entries };
}
