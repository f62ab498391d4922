// `add`: store the current content of worktree paths and record it in the index. Unchanged files
// (stat data equal to the index) are skipped without being read; tracked files that vanished
// under a given path are staged as deletions, as `git add` does.
import { IoError, NotFoundError, UnsafePathError, UsageError } from '../errors.js';
import { storePath, storeSymlink } from '../store/file-writer.js';
import { IngestPool, type IngestResult } from '../store/ingest-pool.js';
import { DB_FILE, type Repository } from '../store/repository.js';
import { join } from 'node:path';
import type { IndexEntry } from '../store/worktree-index.js';
import { statMatches } from './worktree/file-state.js';
import { scanWorktree, underPath, type WorktreeFile } from './worktree/scan.js';
import type { ProgressFn } from './progress.js';

export interface AddOptions {
  /** Repository paths (files or directories); '' is the whole worktree. */
  paths: readonly string[];
  /** Only update files already tracked (`commit -a` in git's sense is not this; see commit). */
  trackedOnly?: boolean;
  onProgress?: ProgressFn;
}

export interface AddResult {
  added: string[];
  modified: string[];
  removed: string[];
  unchanged: number;
  bytes: number;
  unstorable: { path: string; reason: string }[];
  /** E.g. a .cairnignore that is a symlink and was not applied; present only when there are some. */
  warnings?: string[];
}

export function add(repo: Repository, opts: AddOptions): AddResult {
  const entries = new Map<string, IndexEntry>();
  for (const e of repo.index.all()) entries.set(e.path, e);
  const scan = scanWorktree(repo, { paths: opts.paths, tracked: new Set(entries.keys()) });
  refuseCaseTwins(scan.unstorable);
  const matched = new Set(scan.files.map((f) => f.path));
  for (const p of opts.paths) {
    if (p === '' || matched.has(p)) continue;
    const refused = scan.unstorable.find((u) => u.path === p);
    if (refused !== undefined) throw new UsageError(`cannot add '${p}': ${refused.reason}`, { path: p, reason: refused.reason });
    const tracked = [...entries.keys()].some((k) => underPath(k, p));
    if (!tracked && !scan.files.some((f) => underPath(f.path, p))) {
      throw new NotFoundError(`pathspec '${p}' did not match any files`, { path: p });
    }
  }
  const todo: WorktreeFile[] = [];
  let unchanged = 0;
  const racyFrom = repo.index.writtenAt() * 1e6;
  for (const f of scan.files) {
    const e = entries.get(f.path);
    if (e === undefined && opts.trackedOnly) continue;
    if (e !== undefined && e.kind === f.kind && statMatches(e, f) && e.mtimeNs < racyFrom) unchanged++;
    else todo.push(f);
  }
  const totalBytes = todo.reduce((s, f) => s + f.size, 0);
  const result: AddResult = { added: [], modified: [], removed: [], unchanged, bytes: 0, unstorable: scan.unstorable };
  if (scan.warnings.length > 0) result.warnings = scan.warnings;
  const upserts: IndexEntry[] = [];
  const refresh: IndexEntry[] = [];
  let done = 0;
  const onBytes = (n: number) => {
    result.bytes += n;
    if (n > 1 << 20 || ++done % 1000 === 0) opts.onProgress?.({ phase: 'adding', done: result.bytes, total: totalBytes, unit: 'bytes' });
  };
  const stored = storeAll(repo, todo, onBytes);
  for (const [i, f] of todo.entries()) {
    const s = stored[i]!;
    if ('error' in s) {
      if (s.error === 'ENOENT') continue; // deleted while we worked: staged as gone next time
      throw new IoError(`cannot read '${f.path}': ${s.error}`, { path: f.path, errno: s.error });
    }
    const old = entries.get(f.path);
    const stable = s.size === f.size;
    if (old !== undefined && old.id === s.id && old.kind === f.kind) {
      unchanged++;
      if (stable) refresh.push({ ...old, mtimeNs: f.mtimeNs, ctimeNs: f.ctimeNs, ino: f.ino });
      continue;
    }
    (old === undefined ? result.added : result.modified).push(f.path);
    // A file that changed while being read keeps zeroed stat data, so the next status re-reads it.
    upserts.push({ path: f.path, kind: f.kind, id: s.id, size: s.size, mtimeNs: stable ? f.mtimeNs : 0, ctimeNs: f.ctimeNs, ino: f.ino });
  }
  const removals: string[] = [];
  for (const path of entries.keys()) {
    if (!matched.has(path) && opts.paths.some((p) => underPath(path, p))) removals.push(path);
  }
  result.removed = removals;
  // Objects first, then the index that names them (docs/FORMAT.md §15.1).
  repo.objects.flush();
  if (upserts.length > 0 || removals.length > 0) repo.index.apply(upserts, removals);
  repo.index.refreshStats(refresh);
  return result;
}

/**
 * Two names of one folder that differ only in case or Unicode normalisation cannot both be in a
 * tree (docs/FORMAT.md §7). Skipping them with a warning used to let `commit` record a tree without
 * either (on an unborn branch, an empty root commit): `add` refuses instead, naming both, before
 * anything is stored or staged.
 */
function refuseCaseTwins(unstorable: readonly { path: string; reason: string; twin?: string }[]): void {
  const twins = unstorable.filter((u) => u.twin !== undefined);
  if (twins.length === 0) return;
  const [a, b] = [twins[0]!.path, twins[0]!.twin!].sort();
  const more = twins.length > 2 ? ` (and ${twins.length - 2} more such path(s))` : '';
  throw new UnsafePathError(
    `refusing to add '${a}' and '${b}': their names differ only in case or Unicode normalisation, so they would be one file on macOS and Windows${more}; rename or remove one of them, or list it in .cairnignore, then add again (nothing was staged)`,
    { path: a!, twin: b!, reason: 'case twin', paths: twins.map((t) => t.path).sort() },
  );
}

// Below this much work, starting worker threads (~50 ms) costs more than it saves.
const POOL_MIN_FILES = 200;
const POOL_MIN_BYTES = 16 << 20;

/** Stores files on worker threads when there is enough work, else on this thread. */
function storeAll(repo: Repository, files: readonly WorktreeFile[], onBytes: (n: number) => void): IngestResult[] {
  const regular = files.filter((f) => f.kind !== 'symlink');
  const bytes = regular.reduce((s, f) => s + f.size, 0);
  const pool =
    regular.length >= POOL_MIN_FILES || bytes >= POOL_MIN_BYTES
      ? IngestPool.create(repo.objects.compressionLevel, join(repo.cairnDir, DB_FILE))
      : undefined;
  try {
    const viaPool = pool?.storeFiles(
      repo.objects,
      regular.map((f) => ({ abs: `${repo.root}/${f.path}`, size: f.size })),
      onBytes,
    );
    let k = 0;
    return files.map((f) => {
      const abs = `${repo.root}/${f.path}`;
      try {
        if (f.kind === 'symlink') return storeSymlink(repo.objects, abs);
        if (viaPool !== undefined) return viaPool[k++]!;
        return storePath(repo.objects, abs, onBytes);
      } catch (err) {
        // Only a failure to read this file is this file's result; a store failure (a damaged
        // database, a pack that cannot be written on a full or read-only disk) ends the command.
        const e = err as NodeJS.ErrnoException;
        if (typeof e?.code === 'string' && e.path === abs) return { error: e.code };
        throw err;
      }
    });
  } finally {
    pool?.close();
  }
}
