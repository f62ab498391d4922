// Messages between the checkout writer and its worker threads (write-pool.ts, write-worker.ts).
import type { MessagePort } from 'node:worker_threads';

/** Gate values: workers may prepare while it is 0, write once it is GO, and quit on ABORT. */
export const GATE_GO = 1;
export const GATE_ABORT = 2;

/** Shared memory and the reply port handed to each worker beside its input. */
export interface WorkerShared {
  port: MessagePort;
  /** Int32 counter of finished workers (notified). */
  signal: SharedArrayBuffer;
  /** Int32 gate (see GATE_GO / GATE_ABORT). */
  gate: SharedArrayBuffer;
  /** Int32 per worker: files done so far. */
  progress: SharedArrayBuffer;
}

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
  /** Jobs [0, reached) were attempted; later ones were never touched (a failure stopped the worker). */
  reached: number;
  bytes: number;
  error?: WriteWorkerError;
}
