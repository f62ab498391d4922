// Ingest worker thread: reads worktree files, chunks, hashes and compresses them, and hands the
// encoded objects to the main thread, which alone appends to the pack. Reading and hashing are
// most of the cost of `add` (syscalls and SHA-256), so they run on every core.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { closeSync, openSync, readSync, constants as fsc } from 'node:fs';
import { Chunker } from '../core/chunker.js';
import { COMP_NONE, COMP_DEFLATE, maybeCompress } from '../core/compress.js';
import { encodeChunkedFile, encodeInlineFile, type ChunkRef } from '../core/file-object.js';
import { hashObject, type ObjectType } from '../core/hash.js';
import Database from 'better-sqlite3';
import { INLINE_MAX } from './file-limits.js';
import { COMP_KNOWN, type EncodedObject, type IngestReply, type IngestTask } from './ingest-protocol.js';

const EMPTY = new Uint8Array(0);

const { port, signal, credits, level, dbPath } = workerData as {
  port: MessagePort;
  signal: SharedArrayBuffer;
  credits: SharedArrayBuffer;
  level: number;
  dbPath: string | null;
};
// A read-only view of the object index: chunks already stored (a re-commit of an edited big file
// is mostly those) are neither compressed nor sent, only named.
// It is only a shortcut: a database this thread cannot open or read (damaged, read-only without its
// -shm file) means every object is sent, and the main thread, which writes, reports the damage.
const alreadyStored = ((): ((id: string) => boolean) | undefined => {
  if (dbPath === null) return undefined;
  let stmt: Database.Statement | undefined;
  try {
    stmt = new Database(dbPath, { readonly: true, fileMustExist: true }).prepare('SELECT 1 FROM objects WHERE id = ?').pluck();
  } catch {
    return undefined;
  }
  return (id) => {
    try {
      return stmt.get(id) !== undefined;
    } catch {
      return false;
    }
  };
})();
const done = new Int32Array(signal);
const credit = new Int32Array(credits);
const READ_SIZE = 4 << 20;
const smallBuf = Buffer.allocUnsafe(64 << 10);

/** Sends a reply, waiting for credit first so a slow main thread bounds this worker's memory. */
function send(reply: IngestReply): void {
  // Bodies that own their whole ArrayBuffer move to the main thread without a copy.
  const transfer: ArrayBuffer[] = [];
  for (const o of reply.objects) {
    const ab = o.stored.buffer as ArrayBuffer;
    if (o.stored.byteOffset === 0 && o.stored.byteLength === ab.byteLength && !transfer.includes(ab)) transfer.push(ab);
  }
  while (Atomics.sub(credit, 0, 1) <= 0) {
    Atomics.add(credit, 0, 1);
    Atomics.wait(credit, 0, 0, 1000);
  }
  port.postMessage(reply, transfer);
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
}

function encode(type: ObjectType, body: Uint8Array): EncodedObject {
  const id = hashObject(type, body);
  if (alreadyStored !== undefined && alreadyStored(id)) return { id, type, stored: EMPTY, comp: COMP_KNOWN, rawLen: body.length };
  const c = maybeCompress(body, level);
  // Copy out of shared/reused buffers: the bytes travel to another thread.
  const stored = copyOut(c ?? body);
  return { id, type, stored, comp: c === undefined ? COMP_NONE : COMP_DEFLATE, rawLen: body.length };
}

/** A copy with an ArrayBuffer of its own (not from Buffer's shared pool), so it can be transferred. */
function copyOut(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length);
  out.set(body);
  return out;
}

function storeOne(task: number, index: number, abs: string, batch: EncodedObject[]): { id: string; size: number } {
  const fd = openSync(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const first = readSync(fd, smallBuf, 0, smallBuf.length, 0);
    if (first <= INLINE_MAX) {
      const obj = encode('file', encodeInlineFile(smallBuf.subarray(0, first)));
      batch.push(obj);
      return { id: obj.id, size: first };
    }
    const chunker = new Chunker();
    const refs: ChunkRef[] = [];
    let total = 0;
    let objects: EncodedObject[] = [];
    let pendingBytes = 0;
    let readBytes = 0;
    const consume = (chunks: Buffer[]) => {
      for (const c of chunks) {
        const obj = encode('chunk', c);
        refs.push({ id: obj.id, size: c.length });
        objects.push(obj);
        pendingBytes += obj.stored.length;
      }
    };
    let buf: Buffer = Buffer.from(smallBuf.subarray(0, first));
    let n = first;
    for (;;) {
      total += n;
      readBytes += n;
      consume(chunker.push(buf.subarray(0, n)));
      if (pendingBytes >= READ_SIZE) {
        send({ task, index, objects, bytes: readBytes });
        objects = [];
        pendingBytes = 0;
        readBytes = 0;
      }
      buf = Buffer.allocUnsafe(READ_SIZE);
      n = readSync(fd, buf, 0, READ_SIZE, total);
      if (n === 0) break;
    }
    consume(chunker.finish());
    if (objects.length > 0 || readBytes > 0) send({ task, index, objects, bytes: readBytes });
    const fileObj = encode('file', encodeChunkedFile(refs));
    batch.push(fileObj);
    return { id: fileObj.id, size: total };
  } finally {
    closeSync(fd);
  }
}

port.on('message', (task: IngestTask) => {
  const batch: EncodedObject[] = [];
  const results: IngestReply['results'] = [];
  for (let i = 0; i < task.paths.length; i++) {
    try {
      results.push(storeOne(task.id, i, task.paths[i]!, batch));
    } catch (err) {
      results.push({ error: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  }
  send({ task: task.id, objects: batch, results, bytes: 0 });
});

parentPort?.postMessage('ready');
