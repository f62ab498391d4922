// Is a worktree file still what the index says? Stat data first (cheap); the content hash only when
// the stat data differs or cannot be trusted (docs/FORMAT.md §14, racy files).
import type { ObjectId } from '../../core/hash.js';
import { storePath, storeSymlink } from '../../store/file-writer.js';
import { HASH_ONLY } from '../../store/object-store.js';
import type { Repository } from '../../store/repository.js';
import type { IndexEntry } from '../../store/worktree-index.js';
import type { WorktreeFile } from './scan.js';

export function statMatches(e: IndexEntry, f: WorktreeFile): boolean {
  return e.size === f.size && e.mtimeNs === f.mtimeNs && e.ctimeNs === f.ctimeNs && e.ino === f.ino && e.mtimeNs !== 0;
}

export function hashWorktreeFile(repo: Repository, f: WorktreeFile): ObjectId | undefined {
  const abs = `${repo.root}/${f.path}`;
  try {
    return f.kind === 'symlink' ? storeSymlink(HASH_ONLY, abs).id : storePath(HASH_ONLY, abs).id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
