// Worktree scan on a worker thread: readdir + lstat of every file is most of `status`'s cost on
// big trees, and it can run while the main thread decodes the index. Replies with one string of
// paths and one Float64Array of stat fields, so 100k files cross threads in two transfers.
import { workerData, type MessagePort } from 'node:worker_threads';
import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import { sep } from 'node:path';
import ignore from 'ignore';
import { KIND_CODES, caseTwins, worktreeNameProblem } from './scan-shared.js';

const { port, signal, root, ignoreText, trackedDirs } = workerData as { port: MessagePort; signal: SharedArrayBuffer; root: string; ignoreText: string | null; trackedDirs: string[] };
const ig = ignoreText === null ? undefined : ignore().add(ignoreText);
const keepDirs = new Set(trackedDirs);

const paths: string[] = [];
let stats = new Float64Array(1 << 16);
let n = 0;
const unstorable: { path: string; reason: string }[] = [];

function push(path: string, kind: number, size: number, mtimeMs: number, ctimeMs: number, ino: number): void {
  if ((n + 1) * 5 > stats.length) {
    const bigger = new Float64Array(stats.length * 2);
    bigger.set(stats);
    stats = bigger;
  }
  paths.push(path);
  const o = n * 5;
  stats[o] = kind;
  stats[o + 1] = size;
  stats[o + 2] = Math.round(mtimeMs * 1e6);
  stats[o + 3] = Math.round(ctimeMs * 1e6);
  stats[o + 4] = ino;
  n++;
}

function walk(dir: string, absDir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(absDir, { withFileTypes: true });
  } catch {
    return;
  }
  const nameCache = {};
  const twins = entries.length > 1 ? caseTwins(entries.map((d) => d.name)) : undefined;
  for (const d of entries) {
    const name = d.name;
    if (dir === '' && name === '.cairn') continue;
    const path = dir === '' ? name : `${dir}/${name}`;
    const twin = twins?.get(name);
    const problem = worktreeNameProblem(name, absDir, nameCache) ?? (twin !== undefined ? `differs from '${twin}' only in case or normalisation (they would be one file on macOS and Windows)` : null);
    if (problem !== null) {
      unstorable.push({ path, reason: problem });
      continue;
    }
    const abs = absDir + sep + name;
    if (d.isDirectory()) {
      if (ig !== undefined && !keepDirs.has(path) && ig.ignores(`${path}/`)) continue;
      walk(path, abs);
      continue;
    }
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      continue;
    }
    const kind = st.isSymbolicLink() ? KIND_CODES.symlink : st.isFile() ? (st.mode & 0o111 ? KIND_CODES.exec : KIND_CODES.file) : -1;
    if (kind < 0) {
      if (!st.isDirectory()) unstorable.push({ path, reason: 'not a regular file, directory or symlink' });
      continue;
    }
    push(path, kind, st.size, st.mtimeMs, st.ctimeMs, st.ino);
  }
}

walk('', root);
const out = stats.slice(0, n * 5);
// NUL cannot occur in a stored name (names.ts), so it separates paths safely.
port.postMessage({ paths: paths.join('\0'), stats: out, unstorable }, [out.buffer]);
const flag = new Int32Array(signal);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
