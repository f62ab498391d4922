// What the sync scenarios share: their sizes, the loopback servers (cairn serve and git daemon, each
// behind a byte-counting proxy), the 1 GiB two-kind dataset committed and served by both tools, and
// reading the figures cairn prints with --json.
import fs from 'node:fs';
import path from 'node:path';
import type { Bench, SmallRepo } from '../context.js';
import { genJsonlFile, genRandomFile } from '../gen.js';
import { countFiles, type CmdResult } from '../measure.js';
import { fmtBytes, type ScenarioReport } from '../report.js';
import { startCairnServe, startGitDaemon, startProxy, type Proxy, type Server } from '../sync-net.js';
import { ensureSmallCommits, timedGen } from './common.js';

export interface SyncScale {
  /** sync-noop-fetch: numbers of concurrent clients. */
  clients: number[];
  /** sync-noop-fetch: seconds of HTTP-level load per client count and run. */
  httpSeconds: number;
  /** sync-noop-fetch: no-op fetch processes per client, per client count and run. */
  processesPerClient: number;
}

export function syncScale(b: Bench): SyncScale {
  // Quick mode: fewer clients, since every cairn process costs ~1 s of CPU to start (2-core machine).
  return b.opts.quick
    ? { clients: [4, 16], httpSeconds: 1, processesPerClient: 1 }
    : { clients: [8, 32], httpSeconds: 5, processesPerClient: 3 };
}

/**
 * Both servers, rooted at the session folder (a repository is served by its folder name), each
 * behind its own counting proxy. Clients are pointed at the proxies; stop() ends all four.
 */
export interface Servers {
  cairn: Server | null;
  git: Server | null;
  cairnProxy: Proxy | null;
  gitProxy: Proxy | null;
  /** URL of a cairn repository (a folder under the session), through the proxy or directly. */
  cairnUrl(name: string, direct?: boolean): string;
  gitUrl(name: string, direct?: boolean): string;
  stop(): Promise<void>;
}

export async function startServers(b: Bench, rep: ScenarioReport): Promise<Servers> {
  let cairn: Server | null = null;
  let git: Server | null = null;
  let cairnProxy: Proxy | null = null;
  let gitProxy: Proxy | null = null;
  if (b.cairnEnabled) {
    try {
      cairn = await startCairnServe(b, b.session, path.join(b.session, `serve-${rep.scenario}.log`));
      cairnProxy = await startProxy(cairn.port);
    } catch (e) {
      rep.errors.push(`cairn serve: ${(e as Error).message}`);
    }
  }
  if (b.gitEnabled) {
    try {
      git = await startGitDaemon(b, b.session);
      gitProxy = await startProxy(git.port);
    } catch (e) {
      rep.errors.push(`git daemon: ${(e as Error).message}`);
    }
  }
  return {
    cairn,
    git,
    cairnProxy,
    gitProxy,
    cairnUrl: (name, direct = false) => `http://127.0.0.1:${direct ? cairn?.port : cairnProxy?.port}/${name}`,
    gitUrl: (name, direct = false) => `git://127.0.0.1:${direct ? git?.port : gitProxy?.port}/${name}`,
    stop: async () => {
      await Promise.all([cairnProxy?.close(), gitProxy?.close(), cairn?.stop(), git?.stop()]);
    },
  };
}

export interface CairnTransfer {
  bytesSent: number;
  bytesReceived: number;
  requests: number;
  received: number;
  listed: number;
  requested: number;
}

/** The result record a cairn clone/fetch/push prints last with --json, or null. */
export function cairnJson(r: CmdResult): CairnTransfer | null {
  const lines = r.stdoutTail.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v = JSON.parse(lines[i] as string) as Partial<CairnTransfer>;
      if (typeof v.bytesReceived === 'number' && typeof v.bytesSent === 'number') return v as CairnTransfer;
    } catch {
      // not the record
    }
  }
  return null;
}

/** Make a git repository a served one: packed by `git gc` (bitmaps, as a bare repository gets), no auto gc on push. */
export async function gitServeReady(b: Bench, bare: string, extraConfig: [string, string][] = []): Promise<string | null> {
  const o = { gitDir: bare };
  return b.exec([
    ...[['receive.autogc', 'false'] as [string, string], ...extraConfig].map(([k, v]) =>
      b.gitCmd(['config', k, v], b.session, { ...o, label: `git config ${k} ${v}` }),
    ),
    b.gitCmd(['gc', '-q'], b.session, { ...o, label: 'git gc (server copy)' }),
  ]);
}

/** The 1 GiB dataset of large-commit (half random, half JSON Lines), committed by cairn and served by both. */
export interface LargeSync {
  /** cairn repository (worktree with .cairn), served as basename(dir). */
  dir: string;
  files: string[];
  bytes: number;
  cairnOk: boolean;
  /** Bare, packed git repository under the session, served as its basename; null if git failed. */
  gitBare: string | null;
}

const largeCache = new WeakMap<Bench, LargeSync>();

/** `withGit` false: cairn's commit only (the scale-* scenarios have no git peer). */
export async function largeSync(b: Bench, rep: ScenarioReport, withGit = b.gitEnabled): Promise<LargeSync> {
  const cached = largeCache.get(b);
  if (cached) return cached;
  const { largeFiles, largeFileBytes } = b.scale;
  const dir = b.freshDir('sync-large');
  const files: string[] = [];
  let bytes = 0;
  timedGen(b, `${largeFiles} files of ${fmtBytes(largeFileBytes)}`, () => {
    for (let i = 0; i < largeFiles; i++) {
      const random = i < largeFiles / 2;
      const name = `f${String(i).padStart(2, '0')}.${random ? 'bin' : 'jsonl'}`;
      const seed = `${b.opts.seed}/large/${i}`;
      bytes += random
        ? genRandomFile(path.join(dir, name), largeFileBytes, seed)
        : genJsonlFile(path.join(dir, name), largeFileBytes, seed).bytes;
      files.push(name);
    }
  });
  const out: LargeSync = { dir, files, bytes, cairnOk: false, gitBare: null };
  if (b.cairnEnabled) {
    b.log('  committing the large files with cairn (untimed) ...');
    const err = await b.exec([b.cairn(['init'], dir), b.cairn(['add', '.'], dir), b.cairn(['commit', '-m', 'large files'], dir)]);
    if (err) rep.errors.push(`cairn setup: ${err}`);
    else out.cairnOk = true;
  }
  if (withGit) {
    b.log('  committing the large files with git and packing a bare server copy (untimed) ...');
    const gitDir = b.freshPath('git-sync-large');
    const bare = `${b.freshPath('sync-large')}.git`;
    const o = { gitDir, workTree: dir };
    // pack.window=0: the ten files are unrelated, and a delta search over 100 MiB blobs takes
    // minutes per pack (see large-commit); with it off git sends them compressed, undeltified.
    // It must be in the repositories' config: `git -c` does not reach the upload-pack of a
    // file:// clone, so the bare copy is a local clone (pack files copied) of a repacked git dir.
    const err =
      (await b.gitInitRepo(gitDir)) ??
      (await b.exec([
        b.gitCmd(['config', 'pack.window', '0'], dir, o),
        b.gitCmd(['add', '.'], dir, o),
        b.gitCmd(['commit', '-q', '-m', 'large files'], dir, o),
        b.gitCmd(['repack', '-a', '-d', '-q'], dir, { gitDir, label: 'git repack -a -d' }),
        b.gitCmd(['clone', '-q', '--bare', '--no-hardlinks', gitDir, bare], b.session, { label: 'git clone --bare (server copy)' }),
      ])) ??
      (await gitServeReady(b, bare, [['pack.window', '0']]));
    if (err) rep.errors.push(`git setup: ${err}`);
    else out.gitBare = bare;
    b.removeNow(gitDir);
  }
  largeCache.set(b, out);
  return out;
}

/** A clone of the large dataset: same file names and sizes, and the same bytes at a few places of each file. */
export function verifyLargeCopy(data: LargeSync, copy: string): string | null {
  const got = countFiles(copy, ['.git', '.cairn']);
  if (got.files !== data.files.length || got.bytes !== data.bytes) {
    return `expected ${data.files.length} files / ${data.bytes} bytes in ${copy}, found ${got.files} files / ${got.bytes} bytes`;
  }
  const buf = (file: string, pos: number): Buffer => {
    const fd = fs.openSync(file, 'r');
    try {
      const out = Buffer.alloc(65536);
      const n = fs.readSync(fd, out, 0, out.length, pos);
      return out.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  };
  for (const name of data.files) {
    const a = path.join(data.dir, name);
    const c = path.join(copy, name);
    if (!fs.existsSync(c)) return `${name} missing from ${copy}`;
    const size = fs.statSync(a).size;
    for (const pos of [0, Math.floor(size / 2), Math.max(0, size - 65536)]) {
      if (!buf(a, pos).equals(buf(c, pos))) return `${name} differs at ${pos} in ${copy}`;
    }
  }
  return null;
}

export const pct = (part: number, whole: number): number => (whole > 0 ? (100 * part) / whole : 0);

/** The 100k-file commit, served by both: cairn from the small tree's own repository, git from a packed bare copy. */
export interface SmallSync {
  repo: SmallRepo;
  /** Served cairn repository name, or null. */
  cairnRepo: string | null;
  /** Bare git repository under the session (served as its basename), or null. */
  gitBare: string | null;
}

const smallCache = new WeakMap<Bench, SmallSync>();

export async function smallSync(b: Bench, rep: ScenarioReport): Promise<SmallSync> {
  const cached = smallCache.get(b);
  if (cached) return cached;
  const repo = await ensureSmallCommits(b, rep);
  const out: SmallSync = { repo, cairnRepo: repo.cairnCommitted ? path.basename(repo.worktree) : null, gitBare: null };
  if (repo.gitDir) {
    b.log('  packing a bare git server copy of the small tree (untimed) ...');
    const bare = `${b.freshPath('sync-small')}.git`;
    const err =
      (await b.exec([
        b.gitCmd(['clone', '-q', '--bare', `file://${repo.gitDir}`, bare], b.session, { label: 'git clone --bare (server copy)' }),
      ])) ?? (await gitServeReady(b, bare));
    if (err) rep.errors.push(`git setup: ${err}`);
    else out.gitBare = bare;
  }
  smallCache.set(b, out);
  return out;
}
