// The values a merge reports: conflicted paths with their three versions and the conflicts inside
// them, and the files a driver merged. Shared by the tree merge, the merge state and the CLI.
import type { MergeConflict } from '../../core/merge/types.js';
import type { DriverName } from '../../core/merge/driver-choice.js';
import type { Leaf } from '../tree/tree-walk.js';

export type Side = 'ours' | 'theirs';
export type PathConflictKind =
  'content' | 'add-add' | 'modify-delete' | 'delete-modify' | 'type-change' | 'directory-file' | 'rename-rename';

/** One conflict inside a path: a driver's MergeConflict, or the whole path ('' location) for tree-level ones. */
export interface ConflictEntry {
  location: string;
  kind: MergeConflict['kind'] | 'directory-file' | 'rename-rename';
  base?: unknown;
  ours?: unknown;
  theirs?: unknown;
  resolved?: boolean;
}

export interface ConflictedPath {
  path: string;
  kind: PathConflictKind;
  /** The driver that merged the contents (content, add-add); null for tree-level conflicts. */
  driver: DriverName | null;
  options?: Record<string, string>;
  /** The three versions (a side's leaf may live at another path: renames). null = absent. */
  base: Leaf | null;
  ours: Leaf | null;
  theirs: Leaf | null;
  /** directory-file: where the file standing in the folder's way was written instead. */
  movedTo?: string;
  conflicts: ConflictEntry[];
  resolved: boolean;
}

export interface MergedFile {
  path: string;
  driver: DriverName;
  conflicts: number;
  settled: number;
  fallback?: string;
}
