// Checkout worker thread: reads its share of file objects from the store (batched, in pack order)
// and writes them as new files. The main thread has validated every path and made every folder;
// this thread only creates files (O_EXCL | O_NOFOLLOW: never over an existing file, never through
// a symlink) and reports their stat data.
import { closeSync, fstatSync, openSync, writeSync, constants as fsc } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { CairnError, CorruptObjectError } from '../../errors.js';
import { decodeFile, type FileObject } from '../../core/file-object.js';
import { Repository } from '../../store/repository.js';
import { fileContent } from '../../store/typed-objects.js';
import { GATE_ABORT, type WorkerShared, type WriteWorkerInput, type WriteWorkerReply } from './write-protocol.js';

const input = workerData as WriteWorkerInput & WorkerShared;
const gate = new Int32Array(input.gate);
const progress = new Int32Array(input.progress);
const n = input.paths.length;
const reply: WriteWorkerReply = { stats: new Float64Array(input.stats ? n * 4 : 0), exists: [], reached: 0, bytes: 0 };
const FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;
const BATCH = 1024;

function writeOne(repo: Repository, i: number, f: FileObject): void {
  reply.reached = i + 1;
  let fd: number;
  try {
    fd = openSync(input.paths[i]!, FLAGS, input.exec[i] ? 0o777 : 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    reply.exists.push(i);
    return;
  }
  try {
    let total = 0;
    for (const piece of f.kind === 'inline' ? [f.data] : fileContent(repo.objects, input.ids[i]!, f)) {
      let off = 0;
      while (off < piece.length) off += writeSync(fd, piece, off, piece.length - off);
      total += piece.length;
    }
    if (total !== input.sizes[i])
      throw new CorruptObjectError(`file ${input.ids[i]} at '${input.paths[i]}' has ${total} bytes, its tree says ${input.sizes[i]}`, {
        id: input.ids[i],
      });
    reply.bytes += total;
    if (input.stats) {
      const st = fstatSync(fd);
      // Same rounding as scan.ts statFields, so status trusts these values.
      reply.stats.set([st.size, Math.round(st.mtimeMs * 1e6), Math.round(st.ctimeMs * 1e6), st.ino], i * 4);
    }
  } finally {
    closeSync(fd);
  }
}

let repo: Repository | undefined;
try {
  repo = Repository.open(input.repoRoot);
  for (let start = 0; start < n; start += BATCH) {
    const end = Math.min(n, start + BATCH);
    const objects = new Map<string, FileObject>();
    for (const [id, obj] of repo.objects.getMany(input.ids.slice(start, end), 'file')) objects.set(id, decodeFile(obj.data, `file ${id}`));
    // The first batch is read while the main thread makes the folders; then wait for its go.
    while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0);
    if (Atomics.load(gate, 0) === GATE_ABORT) break;
    for (let i = start; i < end; i++) writeOne(repo, i, objects.get(input.ids[i]!)!);
    Atomics.store(progress, input.slot, end);
  }
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  reply.error =
    err instanceof CairnError
      ? { message: err.message, code: err.code, cairn: true, data: err.data }
      : { message: e?.message ?? String(err), code: e?.code, syscall: e?.syscall, path: e?.path, cairn: false };
} finally {
  try {
    repo?.close();
  } catch {
    /* closing a read-only handle cannot lose anything */
  }
}

input.port.postMessage(reply);
const flag = new Int32Array(input.signal);
Atomics.add(flag, 0, 1);
Atomics.notify(flag, 0);
