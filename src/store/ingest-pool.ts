// A pool of ingest workers with a synchronous API: the main thread hands out batches of files,
// blocks on a shared counter (Atomics.wait) until replies arrive, and appends the encoded objects
// to its pack. Synchronous so `add` and `commit` keep simple call sites; the workers do the
// reading, chunking, hashing and compressing on every core.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { IoError, MissingObjectError } from '../errors.js';
import type { PackStore } from './object-store.js';
import { COMP_KNOWN, type IngestReply } from './ingest-protocol.js';

const WORKER_URL = new URL('./ingest-worker.js', import.meta.url);
const SMALL = 64 << 10;
const BATCH_FILES = 256;
const BATCH_BYTES = 4 << 20;
// Replies a worker may have queued: bounds memory to about CREDITS x 4 MiB per worker.
const CREDITS = 4;
const IN_FLIGHT = 2;
// Replies arrive at least every 4 MiB of input; this long without one means a dead worker.
const WORKER_SILENCE_MS = 60_000;

export type IngestResult = { id: string; size: number } | { error: string };

interface Slot {
  worker: Worker;
  port: MessagePort;
  credits: Int32Array;
  inflight: number;
}

export class IngestPool {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly slots: Slot[] = [];

  private constructor(threads: number, level: number, dbPath: string | null) {
    for (let i = 0; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const creditsBuf = new SharedArrayBuffer(4);
      const credits = new Int32Array(creditsBuf);
      credits[0] = CREDITS;
      const worker = new Worker(WORKER_URL, {
        workerData: { port: port2, signal: this.signal.buffer, credits: creditsBuf, level, dbPath },
        transferList: [port2],
        execArgv: [],
      });
      worker.unref();
      this.slots.push({ worker, port: port1, credits, inflight: 0 });
    }
  }

  /** A pool, or undefined when workers cannot run here (e.g. running from TypeScript sources). */
  /** `dbPath`: the repository database, so workers can skip objects already stored. */
  static create(level: number, dbPath: string | null, threads = Math.min(4, availableParallelism())): IngestPool | undefined {
    if (threads < 2 || !existsSync(fileURLToPath(WORKER_URL))) return undefined;
    return new IngestPool(threads, level, dbPath);
  }

  /** Stores every file; results are in input order. `onBytes` reports progress. */
  storeFiles(store: PackStore, files: readonly { abs: string; size: number }[], onBytes?: (n: number) => void): IngestResult[] {
    const results: IngestResult[] = new Array(files.length);
    const tasks: { start: number; paths: string[] }[] = [];
    let cur: { start: number; paths: string[] } | undefined;
    let curBytes = 0;
    files.forEach((f, i) => {
      if (f.size > SMALL) {
        tasks.push({ start: i, paths: [f.abs] });
        return;
      }
      if (cur === undefined || cur.paths.length >= BATCH_FILES || curBytes >= BATCH_BYTES) {
        cur = { start: i, paths: [] };
        curBytes = 0;
        tasks.push(cur);
      }
      // Batches hold consecutive indices only: a large file in between starts a new batch.
      if (cur.start + cur.paths.length !== i) {
        cur = { start: i, paths: [] };
        curBytes = 0;
        tasks.push(cur);
      }
      cur.paths.push(f.abs);
      curBytes += f.size;
    });
    // Large files first: they take longest, so both cores stay busy to the end.
    const isLarge = (t: number) => files[tasks[t]!.start]!.size > SMALL;
    const all = tasks.map((_, i) => i);
    const order = [...all.filter(isLarge), ...all.filter((t) => !isLarge(t))];
    let next = 0;
    let remaining = tasks.length;
    let lastReply = Date.now();
    while (remaining > 0) {
      for (const slot of this.slots) {
        while (slot.inflight < IN_FLIGHT && next < order.length) {
          const t = order[next++]!;
          slot.port.postMessage({ id: t, paths: tasks[t]!.paths });
          slot.inflight++;
        }
      }
      const seen = Atomics.load(this.signal, 0);
      let got = false;
      for (const slot of this.slots) {
        for (let m = receiveMessageOnPort(slot.port); m !== undefined; m = receiveMessageOnPort(slot.port)) {
          got = true;
          const reply = m.message as IngestReply;
          for (const o of reply.objects) {
            if (o.comp === COMP_KNOWN) {
              // Objects are never deleted while a writer runs (no gc yet; gc must keep a grace period).
              if (!store.hasOrPending(o.id))
                throw new MissingObjectError(`object ${o.id} vanished from the store during add`, { id: o.id });
            } else store.putEncoded(o.id, o.type, o.stored, o.comp, o.rawLen);
          }
          Atomics.add(slot.credits, 0, 1);
          Atomics.notify(slot.credits, 0);
          if (reply.bytes > 0) onBytes?.(reply.bytes);
          if (reply.results !== undefined) {
            const task = tasks[reply.task]!;
            reply.results.forEach((r, k) => {
              results[task.start + k] = r;
              if ('size' in r && r.size <= SMALL) onBytes?.(r.size);
            });
            slot.inflight--;
            remaining--;
          }
        }
      }
      if (got) lastReply = Date.now();
      else if (Date.now() - lastReply > WORKER_SILENCE_MS) {
        throw new IoError(
          `file ingest stopped responding for ${WORKER_SILENCE_MS / 1000} s (a worker thread died or the file system hangs)`,
          {},
        );
      } else if (remaining > 0) Atomics.wait(this.signal, 0, seen, 200);
    }
    return results;
  }

  close(): void {
    for (const s of this.slots) {
      s.port.close();
      void s.worker.terminate();
    }
  }
}
