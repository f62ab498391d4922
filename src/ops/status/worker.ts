// Status worker thread: walks part of the worktree and compares each file's stat data with the
// index right here, so only the few files that differ cross back to the main thread. On a clean
// 100k-file tree the main thread then decodes nothing and hashes nothing.
import { workerData, type MessagePort } from 'node:worker_threads';
import { lstatSync } from 'node:fs';
import { sep } from 'node:path';
import { IgnoreRules } from '../../core/path-rules.js';
import { KIND_CODES, KIND_NAMES, readDirChecked } from '../worktree/scan-shared.js';
import type { StatusWorkerInput, StatusWorkerReply, SeenFile } from './protocol.js';

const input = workerData as StatusWorkerInput & { port: MessagePort; signal: SharedArrayBuffer };
const beat = new Int32Array(input.signal);
// The main thread parsed the same text already (and refused it if over the limits).
const ig = input.ignoreText === null ? undefined : IgnoreRules.parse(input.ignoreText);
const mine = new Set(input.topDirs);

// The index, in the columnar layout of store/worktree-index.ts (version 2), checked by the main
// thread before it was sent (WorktreeIndex.rawBlob). Buffers arrive as plain Uint8Arrays after the
// structured clone. Everything that can throw runs inside the try below: a worker that died
// without replying would leave the main thread waiting for its heartbeat.
let blob: Buffer | null = null;
let n = 0;
const numbersAt = 8;
let idsAt = numbersAt;
let kindsAt = numbersAt;
let numbers: Float64Array<ArrayBufferLike> = new Float64Array(0);
const index = new Map<string, number>();
const trackedDirs = new Set<string>();
let seen = new Uint8Array(0);
const reply: StatusWorkerReply = { suspects: [], untracked: [], deleted: [], unstorable: [], scanned: 0 };

function readIndex(): void {
  if (input.index === null) return;
  blob = Buffer.from(input.index.buffer, input.index.byteOffset, input.index.byteLength);
  n = blob.readUInt32LE(4);
  idsAt = numbersAt + n * 32;
  kindsAt = idsAt + n * 32;
  numbers = new Float64Array(blob.buffer.slice(blob.byteOffset + numbersAt, blob.byteOffset + idsAt));
  const paths = n === 0 ? [] : blob.toString('utf8', kindsAt + n).split('\0');
  // Only this worker's share: entries under its top-level folders, plus root-level files for worker 0.
  for (let i = 0; i < n; i++) {
    const p = paths[i]!;
    const slash = p.indexOf('/');
    if (slash < 0 ? !input.rootFiles : !mine.has(p.slice(0, slash))) continue;
    index.set(p, i);
    if (ig !== undefined) for (let j = p.indexOf('/'); j >= 0; j = p.indexOf('/', j + 1)) trackedDirs.add(p.slice(0, j));
  }
  seen = new Uint8Array(n);
}

function entry(i: number): SeenFile['entry'] {
  return {
    id: blob!.toString('hex', idsAt + i * 32, idsAt + i * 32 + 32),
    kind: KIND_NAMES[blob![kindsAt + i]!]!,
    size: numbers[i]!,
    mtimeNs: numbers[n + i]!,
    ctimeNs: numbers[2 * n + i]!,
    ino: numbers[3 * n + i]!,
  };
}

function visit(path: string, abs: string): void {
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    return; // vanished while scanning
  }
  const kind = st.isSymbolicLink() ? KIND_CODES.symlink : st.isFile() ? (st.mode & 0o111 ? KIND_CODES.exec : KIND_CODES.file) : -1;
  if (kind < 0) {
    if (!st.isDirectory()) reply.unstorable.push({ path, reason: 'not a regular file, directory or symlink' });
    return;
  }
  reply.scanned++;
  if ((reply.scanned & 1023) === 0) Atomics.add(beat, 1, 1);
  const mtimeNs = Math.round(st.mtimeMs * 1e6);
  const ctimeNs = Math.round(st.ctimeMs * 1e6);
  const i = index.get(path);
  const file = { path, kind: KIND_NAMES[kind as 0 | 1 | 2], size: st.size, mtimeNs, ctimeNs, ino: st.ino };
  if (i === undefined) {
    if (ig === undefined || !ig.ignores(path)) reply.untracked.push(file);
    return;
  }
  seen[i] = 1;
  const o = i;
  const same =
    blob![kindsAt + i] === kind &&
    numbers[o] === st.size &&
    numbers[n + o] === mtimeNs &&
    numbers[2 * n + o] === ctimeNs &&
    numbers[3 * n + o] === st.ino &&
    mtimeNs !== 0 &&
    mtimeNs < input.racyFromNs;
  if (!same) reply.suspects.push({ ...file, entry: entry(i) });
}

/** The ignore rule of a folder's entries (untracked ones only), as the scanner applies it. */
function ignored(prefix: string): ((name: string, isDir: boolean) => boolean) | undefined {
  if (ig === undefined) return undefined;
  return (name, isDir) =>
    isDir ? !trackedDirs.has(prefix + name) && ig.ignores(`${prefix}${name}/`) : !index.has(prefix + name) && ig.ignores(prefix + name);
}

function walk(dir: string, absDir: string): void {
  const prefix = dir === '' ? '' : `${dir}/`;
  for (const { entry: d, problem } of readDirChecked(absDir, false, ignored(prefix)) ?? []) {
    const name = d.name;
    const path = prefix + name;
    if (problem !== null) {
      reply.unstorable.push({ path, reason: problem });
      continue;
    }
    const abs = absDir + sep + name;
    if (d.isDirectory()) {
      if (ig !== undefined && !trackedDirs.has(path) && ig.ignores(`${path}/`)) continue;
      walk(path, abs);
    } else visit(path, abs);
  }
}

try {
  readIndex();
  for (const name of input.topDirs) {
    if (ig !== undefined && !trackedDirs.has(name) && ig.ignores(`${name}/`)) continue;
    walk(name, input.root + sep + name);
  }
  for (const name of input.rootFileNames) visit(name, input.root + sep + name);
  for (const [p, i] of index) if (seen[i] === 0) reply.deleted.push({ path: p, entry: entry(i) });
} catch (err) {
  reply.error = String((err as Error)?.stack ?? err);
}
input.port.postMessage(reply);
const flag = new Int32Array(input.signal);
Atomics.add(flag, 0, 1);
Atomics.notify(flag, 0);
