// src/core/merge/types.ts — the contract between merge drivers and the tree merge that calls them.
export interface MergeInput {
  /** null when the path did not exist in the merge base (add/add). */
  base: Buffer | null;
  ours: Buffer;
  theirs: Buffer;
  /** Repository path, for messages and attribute lookup. */
  path: string;
  /** Driver options from .cairnattributes, e.g. { key: 'sku' }. */
  options?: Record<string, string>;
  /** Labels for conflict markers / reports (default 'ours', 'theirs', 'base'). */
  labels?: { ours?: string; theirs?: string; base?: string };
  /** Settle every conflict by this rule instead of reporting it ('newer' is decided by the caller and passed as 'ours' or 'theirs'). */
  favor?: 'ours' | 'theirs';
}
export interface MergeConflict {
  /** Where: a JSON Pointer (RFC 6901) for json, 'key=<value>' or 'key=<value>/<field>' for records, 'lines A-B' for text. */
  location: string;
  kind: 'both-modified' | 'modify-delete' | 'delete-modify' | 'add-add' | 'binary' | 'type-change';
  /** The three values as JSON-able data (parsed JSON values, record objects, or text lines joined). undefined = absent. */
  base?: unknown;
  ours?: unknown;
  theirs?: unknown;
}
export interface MergeOutput {
  /** The merged file. With conflicts: still a valid document of its format holding OURS' value at each conflict (json/jsonl/csv), or text with conflict markers (text). */
  content: Buffer;
  conflicts: MergeConflict[];
  /** Conflicts settled by `favor`. */
  settled: number;
}
export type MergeDriver = (input: MergeInput) => MergeOutput;
