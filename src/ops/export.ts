// `export REV[:PATH] DIR`: write a commit's tree (or a subtree) into an empty or new folder that
// need not be a repository. No index, no HEAD: a plain copy of the snapshot, written with the
// same safety checks as a checkout (validated names, symlinks kept inside DIR).
import { lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { AlreadyExistsError, NotFoundError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import type { Repository } from '../store/repository.js';
import { readCommit } from '../store/typed-objects.js';
import type { ProgressFn } from './progress.js';
import { resolveRevision, splitRevPath } from './history/rev-parse.js';
import { flattenTree, lookupPath, type Leaf } from './tree/tree-walk.js';
import { WorktreeWriter } from './worktree/writer.js';
import { updateWorktree } from './worktree/worktree-update.js';
import { writeProgress } from './worktree/write-progress.js';

export interface ExportOptions {
  /** A revision, optionally with ':PATH' to export one folder or file of it. */
  rev: string;
  /** Absolute (or process-relative) destination folder: must be empty or not exist. */
  dir: string;
  onProgress?: ProgressFn;
  /** Worker threads for writing files: undefined = automatic (many files), 0 = none. */
  threads?: number;
}

export interface ExportResult {
  dir: string;
  commit: ObjectId;
  files: number;
  bytes: number;
}

export function exportTree(repo: Repository, opts: ExportOptions): ExportResult {
  const { rev, path } = splitRevPath(opts.rev);
  const commit = resolveRevision(repo, rev);
  const tree = readCommit(repo.objects, commit).tree;
  let leaves: Leaf[];
  if (path === undefined || path === '') leaves = flattenTree(repo.objects, tree);
  else {
    const entry = lookupPath(repo.objects, tree, path);
    if (entry === undefined) throw new NotFoundError('path', path, `not in ${rev}`);
    const base = path.slice(path.lastIndexOf('/') + 1);
    // The folder's contents (or the single file) land directly in DIR.
    leaves =
      entry.kind === 'tree' ? flattenTree(repo.objects, entry.id) : [{ path: base, kind: entry.kind, id: entry.id, size: entry.size }];
  }
  const dir = resolve(opts.dir);
  let bytes = 0;
  const progress = writeProgress(opts.onProgress, 'export', leaves);
  const onBytes = (n: number) => {
    bytes += n;
    progress.bytes(n);
  };
  const writer = new WorktreeWriter(dir, repo.objects, { stats: false, repoRoot: repo.root, onBytes });
  updateWorktree(
    writer,
    leaves.map((leaf) => ({ leaf, present: false })),
    [],
    { threads: opts.threads, onDone: progress.files, beforeWrite: () => prepareDir(dir) },
  );
  return { dir, commit, files: leaves.length, bytes };
}

function prepareDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = lstatSync(dir).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (!isDir || readdirSync(dir).length > 0) {
    throw new AlreadyExistsError(
      `'${dir}' ${isDir ? 'is not empty' : 'exists and is not a folder'}: export writes into an empty or new folder`,
      { path: dir },
    );
  }
}
