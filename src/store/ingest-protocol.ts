// Messages between the ingest pool (main thread) and its workers.
import type { ObjectType } from '../core/hash.js';

export interface IngestTask {
  id: number;
  /** Absolute paths of regular files, opened with O_NOFOLLOW. */
  paths: string[];
}

/** `comp` of an object the worker found already stored: no bytes travel, the main thread checks. */
export const COMP_KNOWN = -1;

export interface EncodedObject {
  id: string;
  type: ObjectType;
  /** Bytes as stored in the pack (compressed when comp != 0). */
  stored: Uint8Array;
  comp: number;
  rawLen: number;
}

export interface IngestReply {
  task: number;
  /** Objects to append, children before the file objects that list them. */
  objects: EncodedObject[];
  /** Present on the task's final reply: one per path, in order. */
  results?: ({ id: string; size: number } | { error: string })[];
  /** Index of the path a partial (large-file) reply belongs to. */
  index?: number;
  bytes: number;
}
