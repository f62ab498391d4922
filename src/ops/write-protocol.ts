// Messages between the checkout writer and its worker threads (write-pool.ts, write-worker.ts).

export interface WriteWorkerInput {
  /** Worktree root of the repository whose objects are read. */
  repoRoot: string;
  /** Absolute destination paths, already validated and with real parent folders. */
  paths: string[];
  ids: string[];
  sizes: number[];
  exec: boolean[];
  stats: boolean;
  /** This worker's slot in the shared progress counters. */
  slot: number;
}

export interface WriteWorkerError {
  message: string;
  /** A CairnError code, or a Node errno code (with syscall) for file-system failures. */
  code?: string;
  syscall?: string;
  path?: string;
  cairn: boolean;
  data?: Record<string, unknown>;
}

export interface WriteWorkerReply {
  /** Per job: size, mtimeNs, ctimeNs, ino (zeros when `stats` is off or the job was skipped). */
  stats: Float64Array;
  /** Indexes of jobs whose destination already existed (left untouched for the caller). */
  exists: number[];
  bytes: number;
  error?: WriteWorkerError;
}
