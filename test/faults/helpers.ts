// Shared machinery of the fault tests: kill a running cairn at a chosen instant, prove the
// repository whole afterwards (fsck + every ref's closure), and fingerprint a worktree.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CAIRN_BIN, REPO_ROOT, TEST_ENV, spawnCairn, type RunResult } from '../helpers/cli.js';
import { Repository } from '../../src/store/repository.js';
import { readCommit, readFileObject, readTree } from '../../src/store/typed-objects.js';
import { HASH_ONLY } from '../../src/store/object-store.js';
import { storePath, storeSymlink } from '../../src/store/file-writer.js';
import { flattenToMap } from '../../src/ops/tree/tree-walk.js';

export const FSCK_CLI = join(REPO_ROOT, 'dist', 'cli', 'commands', 'fsck.js');
export const SWITCH_CLI = join(REPO_ROOT, 'dist', 'cli', 'commands', 'switch.js');

export interface KillOutcome {
  /** The process finished on its own before the signal was due. */
  finished: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `cairn ARGS` and SIGKILLs it `delayMs` after the spawn, unless it finished first. */
export function runAndKill(args: string[], cwd: string, delayMs: number): Promise<KillOutcome> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawnCairn(args, { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, delayMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ finished: !killed || signal === null, code, signal, stdout, stderr, ms: performance.now() - start });
    });
  });
}

/** Runs cairn to completion without blocking the test process (so checks can overlap it). */
export function runCairnAsync(args: string[], cwd: string): Promise<RunResult & { ms: number }> {
  return runAndKill(args, cwd, 60_000).then((o) => ({ code: o.code ?? -1, stdout: o.stdout, stderr: o.stderr, ms: o.ms }));
}

/** Runs cairn to completion; a hung process is killed after `timeoutMs` and reported as code -1. */
export function runCairnTimed(args: string[], cwd: string, timeoutMs = 20_000): RunResult & { ms: number } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [CAIRN_BIN, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...TEST_ENV },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - start };
}

/**
 * Walks every ref's full closure through the library (commits, trees, files, chunks), reading each
 * object with hash verification. Returns one line per problem; empty means whole.
 */
export function closureProblems(dir: string, verified = new Set<string>()): string[] {
  const repo = Repository.open(dir);
  const problems: string[] = [];
  // Objects never change once stored (docs/FORMAT.md §15.3), so a caller checking repeatedly may pass the
  // ids already verified and pay only for new ones; a broken object is never added.
  const seen = new Set<string>();
  try {
    const refs = repo.refs.list('');
    const head = repo.refs.resolveName('HEAD');
    if (head.id !== null && !refs.some((r) => r.name === head.name)) refs.push({ name: 'HEAD', id: head.id });
    for (const ref of refs) {
      const stack: { id: string; type: 'commit' | 'tree' | 'file' | 'chunk' }[] = [{ id: ref.id, type: 'commit' }];
      while (stack.length > 0) {
        const v = stack.pop()!;
        if (seen.has(v.id) || verified.has(v.id)) continue;
        seen.add(v.id);
        try {
          if (v.type === 'commit') {
            const c = readCommit(repo.objects, v.id);
            for (const p of c.parents) stack.push({ id: p, type: 'commit' });
            stack.push({ id: c.tree, type: 'tree' });
          } else if (v.type === 'tree') {
            for (const e of readTree(repo.objects, v.id)) stack.push({ id: e.id, type: e.kind === 'tree' ? 'tree' : 'file' });
          } else if (v.type === 'file') {
            const f = readFileObject(repo.objects, v.id);
            if (f.kind !== 'inline') for (const ch of f.chunks) stack.push({ id: ch.id, type: 'chunk' });
          } else repo.objects.get(v.id, 'chunk');
          verified.add(v.id);
        } catch (err) {
          problems.push(`${ref.name}: ${v.type} ${v.id}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    repo.close();
  }
  return problems;
}

/**
 * The repository is whole: `cairn fsck` passes (when the command is built and `cli` is not false)
 * and every ref's closure reads back verified through the library. The two run side by side.
 * Returns the problems found, empty when whole.
 */
export async function checkWhole(dir: string, opts: { verified?: Set<string>; cli?: boolean } = {}): Promise<string[]> {
  const fsck = opts.cli !== false && existsSync(FSCK_CLI) ? runCairnAsync(['fsck'], dir) : undefined;
  const problems = closureProblems(dir, opts.verified);
  const r = await fsck;
  if (r !== undefined && r.code !== 0) problems.push(`cairn fsck exited ${r.code}: ${r.stderr}${r.stdout}`);
  return problems;
}

/** Every ref name and the id it holds, plus where HEAD points. */
export function refState(dir: string): { head: string | null; headTarget: string | null; refs: Record<string, string> } {
  const repo = Repository.open(dir);
  try {
    const h = repo.refs.read('HEAD');
    const refs: Record<string, string> = {};
    for (const r of repo.refs.list('refs/')) refs[r.name] = r.id;
    return { head: repo.refs.resolve('HEAD'), headTarget: h?.symbolic ? h.target : null, refs };
  } finally {
    repo.close();
  }
}

/** Worktree fingerprint: repository path -> sha256 of the bytes (symlinks: "->" + target). */
export function snapshotWorktree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      if (rel === '' && name === '.cairn') continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, path);
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(path);
      else if (st.isSymbolicLink()) out.set(path, `-> ${readlinkSync(abs)}`);
      else out.set(path, createHash('sha256').update(readFileSync(abs)).digest('hex') + (st.mode & 0o111 ? ' x' : ''));
    }
  };
  walk('');
  return out;
}

/** The paths whose content differs between two fingerprints (missing on either side included). */
export function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => a.get(p) !== b.get(p)).sort();
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing schedule can be replayed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` kill delays spread evenly over [0, maxMs], visited in a shuffled order. */
export function killSchedule(n: number, maxMs: number, rand: () => number): number[] {
  const delays = Array.from({ length: n }, (_, i) => Math.round((i * maxMs) / (n - 1)));
  for (let i = delays.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [delays[i], delays[j]] = [delays[j]!, delays[i]!];
  }
  return delays;
}

/** Ids cairn would give each worktree file (path -> "kind id"), computed without storing anything. */
export function worktreeIds(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const path of snapshotWorktree(dir).keys()) {
    const abs = join(dir, path);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out.set(path, `symlink ${storeSymlink(HASH_ONLY, abs).id}`);
    else out.set(path, `${st.mode & 0o111 ? 'exec' : 'file'} ${storePath(HASH_ONLY, abs).id}`);
  }
  return out;
}

/** The same view of a commit's tree (default: HEAD's). */
export function commitIds(dir: string, commitId?: string): Map<string, string> {
  const repo = Repository.open(dir);
  try {
    const id = commitId ?? repo.refs.resolve('HEAD');
    const tree = flattenToMap(repo.objects, id === null ? null : readCommit(repo.objects, id).tree);
    return new Map([...tree.values()].map((l) => [l.path, `${l.kind} ${l.id}`]));
  } finally {
    repo.close();
  }
}

/** Every commit reachable from `tip` in the replica at `dir` (parents followed through merges). */
export function ancestors(dir: string, tip: string): Set<string> {
  const repo = Repository.open(dir);
  try {
    const seen = new Set<string>();
    const stack = [tip];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...readCommit(repo.objects, id).parents);
    }
    return seen;
  } finally {
    repo.close();
  }
}

/** Opens the replica in `dir` for the length of `fn` (which may be async), closing it after. */
export async function withRepo<R>(dir: string, fn: (repo: Repository) => R | Promise<R>): Promise<R> {
  const repo = Repository.open(dir);
  try {
    return await fn(repo);
  } finally {
    repo.close();
  }
}
