// The values a diff reports, shared by the path diff (diff.ts) and the structural diff of data files
// (structural-diff.ts), which each need the other's shapes.
import type { ObjectId } from '../../core/hash.js';
import type { StructuralChange } from '../../core/merge/json-structural-diff.js';
import type { EntryKind } from '../../core/tree-object.js';
import type { ChangeKind } from '../status/status.js';

export type { StructuralChange };
export type LeafKind = Exclude<EntryKind, 'tree'>;

export interface FileState {
  id: ObjectId;
  kind: LeafKind;
  size: number;
}

export interface DiffChange {
  path: string;
  change: ChangeKind;
  /** null when the path is added. */
  old: FileState | null;
  /** null when the path is deleted. */
  new: FileState | null;
  /** With `structural`, for a modified JSON/JSONL/CSV file: its added, removed and changed keys and records. */
  structural?: FileStructure;
}

/** One side of a comparison; a commit id is null for an unborn HEAD (compared as an empty tree). */
export type DiffEndpoint = { type: 'commit'; id: ObjectId | null } | { type: 'index' } | { type: 'worktree' };

export type StructuralFormat = 'json' | 'jsonl' | 'csv';

export interface StructuralOptions {
  /** Identity field of records (json arrays of objects, jsonl, csv); default `id`, or detected for jsonl/csv. */
  key?: string;
  /** CSV delimiter (one character or 'tab'); default by extension. */
  delimiter?: string;
}

export interface StructuralDiff {
  format: StructuralFormat;
  /** jsonl/csv: the field records were matched by, or null when none is unique (then lines are compared). */
  key?: string | null;
  changes: StructuralChange[];
}

/** What `diff --structural` attaches to a changed file: its structural changes, or why there are none. */
export type FileStructure = StructuralDiff | { format: StructuralFormat; skipped: { code: string; message: string } };
