// The parallel worktree comparison behind `status` and `diff`: worker threads walk disjoint parts
// of the tree and compare stat data with the index themselves; this thread only hashes the files
// they flag. Falls back (returns undefined) where workers cannot run, e.g. from TypeScript sources.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { IoError } from '../../errors.js';
import type { Repository } from '../../store/repository.js';
import type { IndexEntry } from '../../store/worktree-index.js';
import { readDirChecked } from '../worktree/scan-shared.js';
import type { StatusWorkerInput, StatusWorkerReply } from './protocol.js';
import { loadIgnore, type WorktreeFile } from '../worktree/scan.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);
const WORKER_SILENCE_MS = 30_000;

export interface RawWorktreeChanges {
  suspects: StatusWorkerReply['suspects'];
  deleted: StatusWorkerReply['deleted'];
  untracked: WorktreeFile[];
  unstorable: { path: string; reason: string }[];
  /** E.g. a .cairnignore that is a symlink and was not applied. */
  warnings: string[];
}

export function parallelCompare(repo: Repository): RawWorktreeChanges | undefined {
  if (!existsSync(fileURLToPath(WORKER_URL))) return undefined;
  const ignoreFile = loadIgnore(repo.root);
  const rules = ignoreFile.text;
  const ig = ignoreFile.rules;
  // Root entries: which are tracked is known only to the workers; an ignored root twin that is
  // tracked still collides, and is reported by add and commit.
  const top = readDirChecked(repo.root, true, ig === undefined ? undefined : (name, isDir) => ig.ignores(isDir ? `${name}/` : name));
  if (top === undefined) return undefined;
  const unstorable: { path: string; reason: string }[] = [];
  const dirs: string[] = [];
  const files: string[] = [];
  for (const { entry: d, problem } of top) {
    if (problem !== null) unstorable.push({ path: d.name, reason: problem });
    else (d.isDirectory() ? dirs : files).push(d.name);
  }
  const threads = Math.max(1, Math.min(2, availableParallelism(), dirs.length));
  const index = repo.index.rawBlob() ?? null;
  const racyFromNs = repo.index.writtenAt() * 1e6;
  // [0]: replies sent; [1]: files visited, a heartbeat so a dead worker cannot hang us forever.
  const signal = new SharedArrayBuffer(8);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  for (let t = 0; t < threads; t++) {
    const { port1, port2 } = new MessageChannel();
    const data: StatusWorkerInput & { port: MessagePort; signal: SharedArrayBuffer } = {
      root: repo.root,
      ignoreText: rules,
      index,
      topDirs: dirs.filter((_, i) => i % threads === t),
      rootFiles: t === 0,
      rootFileNames: t === 0 ? files : [],
      racyFromNs,
      port: port2,
      signal,
    };
    // execArgv: [] so flags meant for the main program (e.g. --input-type) cannot break the worker.
    const w = new Worker(WORKER_URL, { workerData: data, transferList: [port2], execArgv: [] });
    w.unref();
    workers.push(w);
    ports.push(port1);
  }
  const flag = new Int32Array(signal);
  let beat = -1;
  let quietSince = Date.now();
  for (let got = Atomics.load(flag, 0); got < threads; got = Atomics.load(flag, 0)) {
    Atomics.wait(flag, 0, got, 1000);
    const now = Atomics.load(flag, 1);
    if (now !== beat) {
      beat = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > WORKER_SILENCE_MS) {
      for (const w of workers) void w.terminate();
      throw new IoError(
        `the worktree scan stopped responding for ${WORKER_SILENCE_MS / 1000} s (a worker thread died or the file system hangs)`,
        {},
      );
    }
  }
  const out: RawWorktreeChanges = { suspects: [], deleted: [], untracked: [], unstorable, warnings: ignoreFile.warnings };
  for (const [t, port] of ports.entries()) {
    const reply = receiveMessageOnPort(port)!.message as StatusWorkerReply;
    port.close();
    void workers[t]!.terminate();
    if (reply.error !== undefined) throw new IoError(`the worktree scan failed: ${reply.error.split('\n')[0]}`, { detail: reply.error });
    out.suspects.push(...reply.suspects);
    out.deleted.push(...reply.deleted);
    out.untracked.push(...reply.untracked);
    out.unstorable.push(...reply.unstorable);
  }
  // Root-level untracked files were not filtered by the worker's ignore rules only if tracked.
  if (ig !== undefined) out.untracked = out.untracked.filter((f) => !ig.ignores(f.path));
  return out;
}

/** The index entry a worker saw, in the index's own shape. */
export function asIndexEntry(path: string, e: StatusWorkerReply['deleted'][number]['entry']): IndexEntry {
  return { path, ...e };
}
