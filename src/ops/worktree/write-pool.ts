// Writes many new files with worker threads, each reading its share of file objects from the
// store and creating the files itself: creating files costs the kernel tens of microseconds each,
// so a fresh checkout of 100k small files is bound by how many threads create them at once.
// Synchronous for the caller (it waits on a shared counter, reporting progress meanwhile). Falls
// back (returns undefined) where workers cannot run, e.g. from TypeScript sources under a test runner.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { type ErrorCode, errorFor, IoError } from '../../errors.js';
import type { Leaf } from '../tree/tree-walk.js';
import { GATE_ABORT, GATE_GO, type WorkerShared, type WriteWorkerInput, type WriteWorkerReply } from './write-protocol.js';

const WORKER_URL = new URL('./write-worker.js', import.meta.url);

/** Below this many files a pool costs more (thread start, store handles) than it saves. */
export const POOL_MIN_FILES = 512;
const MAX_THREADS = 4;

export interface PoolJob {
  leaf: Leaf;
  abs: string;
}

export interface PoolResult {
  /** Per job: [size, mtimeNs, ctimeNs, ino] (when `stats`), or undefined if the path existed. */
  stats: (readonly [number, number, number, number] | undefined)[];
  /** Jobs left undone because something already existed at the path. */
  existed: PoolJob[];
  /** Jobs no worker attempted (after a failure), or of a worker that stopped without a reply. */
  unknown: Set<number>;
  bytes: number;
  /** The first worker failure; the other fields still say what the workers did (for undo). */
  failure?: unknown;
}

export function poolAvailable(files: number, threads?: number): boolean {
  return (threads === undefined ? files >= POOL_MIN_FILES : threads > 0) && existsSync(fileURLToPath(WORKER_URL));
}

export interface StartedPool {
  /** Lets the workers write (call once every parent folder exists). */
  go(): void;
  /** Stops the workers before they write anything (a folder could not be made). */
  abort(): void;
  /** Waits for the workers, reporting progress; a worker failure is in the result's `failure`. */
  wait(onDone?: (done: number) => void): PoolResult;
}

/**
 * Starts the workers at once: they boot, open the store and read their first objects while the
 * caller makes the folders, then wait for `go()` before creating any file.
 */
export function startPool(repoRoot: string, jobs: readonly PoolJob[], opts: { stats: boolean; threads?: number }): StartedPool {
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(MAX_THREADS, availableParallelism()), Math.ceil(jobs.length / 64)));
  const signal = new SharedArrayBuffer(4);
  const gate = new SharedArrayBuffer(4);
  const progress = new SharedArrayBuffer(4 * threads);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const ranges: [number, number][] = [];
  // Contiguous ranges in tree order: each thread mostly fills its own folders.
  for (let t = 0; t < threads; t++) {
    const from = Math.floor((jobs.length * t) / threads);
    const to = Math.floor((jobs.length * (t + 1)) / threads);
    ranges.push([from, to]);
    const part = jobs.slice(from, to);
    const { port1, port2 } = new MessageChannel();
    const data: WriteWorkerInput & WorkerShared = {
      repoRoot,
      paths: part.map((j) => j.abs),
      ids: part.map((j) => j.leaf.id),
      sizes: part.map((j) => j.leaf.size),
      exec: part.map((j) => j.leaf.kind === 'exec'),
      stats: opts.stats,
      slot: t,
      port: port2,
      signal,
      gate,
      progress,
    };
    const w = new Worker(WORKER_URL, { workerData: data, transferList: [port2] });
    w.unref();
    workers.push(w);
    ports.push(port1);
  }
  const gateFlag = new Int32Array(gate);
  const open = (value: number) => {
    Atomics.store(gateFlag, 0, value);
    Atomics.notify(gateFlag, 0);
  };
  return {
    go: () => open(GATE_GO),
    abort: () => {
      open(GATE_ABORT);
      for (const w of workers) void w.terminate();
      for (const p of ports) p.close();
    },
    wait: (onDone) => collect(jobs, opts.stats, threads, { signal, progress, ports, workers, ranges }, onDone),
  };
}

interface Running {
  signal: SharedArrayBuffer;
  progress: SharedArrayBuffer;
  ports: MessagePort[];
  workers: Worker[];
  ranges: [number, number][];
}

function collect(jobs: readonly PoolJob[], stats: boolean, threads: number, run: Running, onDone?: (done: number) => void): PoolResult {
  const flag = new Int32Array(run.signal);
  const counters = new Int32Array(run.progress);
  for (let got = Atomics.load(flag, 0); got < threads; got = Atomics.load(flag, 0)) {
    Atomics.wait(flag, 0, got, 200);
    if (onDone !== undefined) {
      let done = 0;
      for (let t = 0; t < threads; t++) done += Atomics.load(counters, t);
      onDone(done);
    }
  }
  const result: PoolResult = { stats: new Array(jobs.length), existed: [], unknown: new Set(), bytes: 0 };
  let failure: unknown;
  for (const [t, port] of run.ports.entries()) {
    const reply = receiveMessageOnPort(port)?.message as WriteWorkerReply | undefined;
    port.close();
    void run.workers[t]!.terminate();
    if (reply === undefined) {
      failure ??= new IoError('a checkout worker thread stopped without a reply');
      for (let i = run.ranges[t]![0]; i < run.ranges[t]![1]; i++) result.unknown.add(i);
      continue;
    }
    if (reply.error !== undefined) failure ??= revive(reply.error);
    const [from, to] = run.ranges[t]!;
    const skipped = new Set(reply.exists);
    for (let i = 0; i < to - from; i++) {
      if (i >= reply.reached) result.unknown.add(from + i);
      else if (skipped.has(i)) result.existed.push(jobs[from + i]!);
      else if (stats) {
        const s = reply.stats;
        result.stats[from + i] = [s[i * 4]!, s[i * 4 + 1]!, s[i * 4 + 2]!, s[i * 4 + 3]!];
      }
    }
    result.bytes += reply.bytes;
  }
  if (failure !== undefined) result.failure = failure;
  return result;
}

function revive(e: NonNullable<WriteWorkerReply['error']>): Error {
  if (e.cairn) return errorFor(e.code as ErrorCode, e.message, e.data ?? {});
  const err = new Error(e.message) as NodeJS.ErrnoException;
  if (e.code !== undefined) err.code = e.code;
  if (e.syscall !== undefined) err.syscall = e.syscall;
  if (e.path !== undefined) err.path = e.path;
  return err;
}
