// Messages between `status` and its worker threads.
import type { FileKind, WorktreeFile } from '../worktree/scan.js';

export interface StatusWorkerInput {
  root: string;
  ignoreText: string | null;
  /** The encoded worktree index (columnar, version 2), or null when empty. */
  index: Buffer | null;
  /** Top-level folders this worker walks. */
  topDirs: string[];
  /** Whether this worker owns the root-level files (their index entries and deletions). */
  rootFiles: boolean;
  rootFileNames: string[];
  /** Files modified at or after this instant (ns) are re-hashed: their stat data cannot vouch. */
  racyFromNs: number;
}

export interface SeenFile extends WorktreeFile {
  entry: { id: string; kind: FileKind; size: number; mtimeNs: number; ctimeNs: number; ino: number };
}

export interface StatusWorkerReply {
  /** Tracked files whose stat data differs from the index (or is racy): to be hashed. */
  suspects: SeenFile[];
  untracked: WorktreeFile[];
  deleted: { path: string; entry: SeenFile['entry'] }[];
  unstorable: { path: string; reason: string }[];
  scanned: number;
  /** Set when the worker failed; the main thread reports it. */
  error?: string;
}
