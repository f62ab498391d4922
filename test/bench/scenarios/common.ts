// Helpers shared by the scenarios: interleaved timed repetitions, the shared
// 100k-file dataset and its commits, and export verification.
import fs from 'node:fs';
import path from 'node:path';
import type { Bench, SmallRepo } from '../context.js';
import { genSmallTree } from '../gen.js';
import { countFiles, describeFailure, runSteps, type CmdSpec, type StepsResult } from '../measure.js';
import { fmtBytes, fmtSeconds, type ScenarioReport } from '../report.js';

export interface TimedPeer {
  peer: string;
  metric: string;
  /** Untimed preparation before each run; returns an error message or null. */
  setup?: (run: number) => Promise<string | null>;
  /** The timed commands of one run (their wall times are summed). */
  timed: (run: number) => CmdSpec[];
  /** Also record each timed step as its own measurement, named by these labels. */
  stepMetrics?: string[];
  /** Untimed check after a successful run; returns an error message or null. */
  verify?: (run: number, r: StepsResult) => Promise<string | null> | string | null;
}

/**
 * Run every peer `runs` times, interleaved (run 1 of each peer, then run 2, ...),
 * so both see the same machine state. A peer that fails is reported and not run again.
 */
export async function repeat(b: Bench, rep: ScenarioReport, peers: TimedPeer[], runs = b.opts.runs): Promise<void> {
  const broken = new Set<string>();
  for (let run = 1; run <= runs; run++) {
    for (const p of peers) {
      if (broken.has(p.peer)) continue;
      const fail = (msg: string): void => {
        rep.fail(p.peer, p.metric, 's', msg);
        b.log(`  [run ${run}/${runs}] ${p.peer} ${p.metric}: FAILED: ${msg}`);
        broken.add(p.peer);
      };
      const setupErr = p.setup ? await p.setup(run) : null;
      if (setupErr) {
        fail(`setup: ${setupErr}`);
        continue;
      }
      const r = await runSteps(p.timed(run));
      if (r.failed) {
        fail(describeFailure(r.failed));
        continue;
      }
      const verifyErr = p.verify ? await p.verify(run, r) : null;
      if (verifyErr) {
        fail(`wrong result: ${verifyErr}`);
        continue;
      }
      rep.add(p.peer, p.metric, 's', r.seconds, r.peakRssKiB);
      p.stepMetrics?.forEach((name, i) => {
        const step = r.steps[i];
        if (step) rep.add(p.peer, name, 's', step.seconds, step.peakRssKiB);
      });
      const rss = r.peakRssKiB !== null ? `, peak RSS ${fmtBytes(r.peakRssKiB * 1024)}` : '';
      b.log(`  [run ${run}/${runs}] ${p.peer} ${p.metric}: ${fmtSeconds(r.seconds)}${rss}`);
    }
  }
}

export function timedGen<T>(b: Bench, what: string, fn: () => T): T {
  const t0 = process.hrtime.bigint();
  b.log(`  generating ${what} ...`);
  const out = fn();
  b.log(`  generated ${what} in ${fmtSeconds(Number(process.hrtime.bigint() - t0) / 1e9)}`);
  return out;
}

/** The 100k-file tree (generated once per invocation, shared by three scenarios). */
export function smallData(b: Bench): SmallRepo {
  if (!b.small.repo) {
    const worktree = b.freshDir('small');
    const shape = b.scale.small;
    const n = shape.dirs * shape.subdirs * shape.files;
    const info = timedGen(b, `${n.toLocaleString('en-US')} small files`, () => genSmallTree(worktree, shape, `${b.opts.seed}/small`));
    b.small.repo = { worktree, files: info.files, bytes: info.bytes, cairnCommitted: false, gitDir: null };
  }
  return b.small.repo;
}

export function smallParams(b: Bench, rep: ScenarioReport, repo: SmallRepo): void {
  const s = b.scale.small;
  rep.params['files'] = repo.files;
  rep.params['bytes'] = repo.bytes;
  rep.params['layout'] = `${s.dirs} dirs × ${s.subdirs} subdirs × ${s.files} files`;
}

export function cairnSmallCommit(b: Bench, repo: SmallRepo): CmdSpec[] {
  return [b.cairn(['add', '.'], repo.worktree), b.cairn(['commit', '-m', 'small files'], repo.worktree)];
}

export function gitSmallCommit(b: Bench, repo: SmallRepo, gitDir: string): CmdSpec[] {
  const o = { gitDir, workTree: repo.worktree };
  return [b.gitCmd(['add', '.'], repo.worktree, o), b.gitCmd(['commit', '-q', '-m', 'small files'], repo.worktree, o)];
}

/** Make sure the small tree is committed by each enabled peer (untimed, when small-files did not run). */
export async function ensureSmallCommits(b: Bench, rep: ScenarioReport): Promise<SmallRepo> {
  const repo = smallData(b);
  if (b.cairnEnabled && !repo.cairnCommitted) {
    b.log('  committing the small tree with cairn (untimed) ...');
    b.trash(path.join(repo.worktree, '.cairn'));
    const err = await b.exec([b.cairn(['init'], repo.worktree), ...cairnSmallCommit(b, repo)]);
    if (err) rep.errors.push(`cairn setup: ${err}`);
    else repo.cairnCommitted = true;
  }
  if (b.gitEnabled && !repo.gitDir) {
    b.log('  committing the small tree with git (untimed) ...');
    const gitDir = b.freshPath('git-small');
    const err = (await b.gitInitRepo(gitDir)) ?? (await b.exec(gitSmallCommit(b, repo, gitDir)));
    if (err) rep.errors.push(`git setup: ${err}`);
    else repo.gitDir = gitDir;
  }
  return repo;
}

/** The files of the first and last leaf folders of a tree, as relative paths. */
function samplePaths(root: string): string[] {
  const dirs = fs
    .readdirSync(root)
    .filter((d) => /^d\d+$/.test(d))
    .sort();
  const out: string[] = [];
  for (const d of [dirs[0], dirs[dirs.length - 1]]) {
    if (!d) continue;
    const subs = fs.readdirSync(path.join(root, d)).sort();
    const s = subs[subs.length - 1];
    if (!s) continue;
    for (const f of fs
      .readdirSync(path.join(root, d, s))
      .sort()
      .slice(0, 10))
      out.push(path.join(d, s, f));
  }
  return out;
}

/** Check that `copy` holds the same files as the small tree (count, bytes, and a sample's content). */
export function verifySmallCopy(repo: SmallRepo, copy: string): string | null {
  const got = countFiles(copy, ['.git', '.cairn']);
  if (got.files !== repo.files || got.bytes !== repo.bytes) {
    return `expected ${repo.files} files / ${repo.bytes} bytes in ${copy}, found ${got.files} files / ${got.bytes} bytes`;
  }
  for (const rel of samplePaths(repo.worktree)) {
    const a = fs.readFileSync(path.join(repo.worktree, rel));
    let c: Buffer;
    try {
      c = fs.readFileSync(path.join(copy, rel));
    } catch {
      return `${rel} missing from ${copy}`;
    }
    if (!a.equals(c)) return `${rel} differs in ${copy}`;
  }
  return null;
}
