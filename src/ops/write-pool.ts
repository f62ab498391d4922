// Writes many new files with worker threads, each reading its share of file objects from the
// store and creating the files itself: creating files costs the kernel tens of microseconds each,
// so a fresh checkout of 100k small files is bound by how many threads create them at once.
// Synchronous for the caller (it waits on a shared counter, reporting progress meanwhile). Falls
// back (returns undefined) where workers cannot run, e.g. from TypeScript sources under a test runner.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CairnError, type ErrorCode } from '../errors.js';
import type { Leaf } from './tree-walk.js';
import type { WriteWorkerInput, WriteWorkerReply } from './write-protocol.js';

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
  bytes: number;
}

export function poolAvailable(files: number, threads?: number): boolean {
  return (threads === undefined ? files >= POOL_MIN_FILES : threads > 0) && existsSync(fileURLToPath(WORKER_URL));
}

export function writeWithPool(repoRoot: string, jobs: readonly PoolJob[], opts: { stats: boolean; threads?: number; onDone?: (done: number) => void }): PoolResult {
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(MAX_THREADS, availableParallelism()), Math.ceil(jobs.length / 64)));
  const signal = new SharedArrayBuffer(4);
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
    const data: WriteWorkerInput & { port: MessagePort; signal: SharedArrayBuffer; progress: SharedArrayBuffer } = {
      repoRoot,
      paths: part.map((j) => j.abs),
      ids: part.map((j) => j.leaf.id),
      sizes: part.map((j) => j.leaf.size),
      exec: part.map((j) => j.leaf.kind === 'exec'),
      stats: opts.stats,
      slot: t,
      port: port2,
      signal,
      progress,
    };
    const w = new Worker(WORKER_URL, { workerData: data, transferList: [port2] });
    w.unref();
    workers.push(w);
    ports.push(port1);
  }
  const flag = new Int32Array(signal);
  const counters = new Int32Array(progress);
  for (let got = Atomics.load(flag, 0); got < threads; got = Atomics.load(flag, 0)) {
    Atomics.wait(flag, 0, got, 200);
    if (opts.onDone !== undefined) {
      let done = 0;
      for (let t = 0; t < threads; t++) done += Atomics.load(counters, t);
      opts.onDone(done);
    }
  }
  const result: PoolResult = { stats: new Array(jobs.length), existed: [], bytes: 0 };
  let failure: unknown;
  for (const [t, port] of ports.entries()) {
    const reply = receiveMessageOnPort(port)?.message as WriteWorkerReply | undefined;
    port.close();
    void workers[t]!.terminate();
    if (reply === undefined) {
      failure ??= new CairnError('IO', 'a checkout worker thread stopped without a reply');
      continue;
    }
    if (reply.error !== undefined) failure ??= revive(reply.error);
    const [from, to] = ranges[t]!;
    const skipped = new Set(reply.exists);
    for (let i = 0; i < to - from; i++) {
      if (skipped.has(i)) {
        result.existed.push(jobs[from + i]!);
        continue;
      }
      if (opts.stats) {
        const s = reply.stats;
        result.stats[from + i] = [s[i * 4]!, s[i * 4 + 1]!, s[i * 4 + 2]!, s[i * 4 + 3]!];
      }
    }
    result.bytes += reply.bytes;
  }
  if (failure !== undefined) throw failure;
  return result;
}

function revive(e: NonNullable<WriteWorkerReply['error']>): Error {
  if (e.cairn) return new CairnError(e.code as ErrorCode, e.message, e.data ?? {});
  const err = new Error(e.message) as NodeJS.ErrnoException;
  if (e.code !== undefined) err.code = e.code;
  if (e.syscall !== undefined) err.syscall = e.syscall;
  if (e.path !== undefined) err.path = e.path;
  return err;
}
