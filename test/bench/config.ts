// Command-line options and the data sizes of each scenario (full and --quick).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TreeShape } from './gen.js';

/** Scenarios in the order they run (later ones reuse the 100k-file commit of earlier ones). */
export const SCENARIOS = [
  'small-files',
  'status-clean',
  'checkout-fresh',
  'large-commit',
  'edit-jsonl',
  'peak-rss',
  'merge-large',
  'merge-corpus',
  'sync-clone-small',
  'sync-clone-large',
  'sync-edit-wire',
  'sync-noop-fetch',
  'sync-resume',
  'scale-push',
  'scale-clone',
  'scale-absent',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * Scenarios that need the engines of scripts/services.sh (PostgreSQL, radosgw) and nginx: run only
 * when named, and refused up front (not skipped) when the engines do not answer.
 */
export const ENGINE_SCENARIOS: readonly ScenarioName[] = ['scale-push', 'scale-clone', 'scale-absent'];

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Scale {
  small: TreeShape;
  largeFiles: number;
  largeFileBytes: number;
  jsonlBytes: number;
  edits: number;
  appendFraction: number;
  rssFileBytes: number;
  rssSegmentBytes: number;
  /** merge-large: size of the JSON Lines file and of the JSON array, and the share of records each side edits. */
  mergeBytes: number;
  mergeEditFraction: number;
  /** merge-corpus: generated cases per (edit kind, format). */
  mergeCorpusCases: number;
}

const MiB = 1 << 20;
const GiB = 1 << 30;

export const FULL_SCALE: Scale = {
  small: { dirs: 100, subdirs: 10, files: 100 },
  largeFiles: 10,
  largeFileBytes: 100 * MiB,
  jsonlBytes: GiB,
  edits: 100,
  appendFraction: 0.01,
  rssFileBytes: 4 * GiB,
  rssSegmentBytes: 64 * MiB,
  mergeBytes: 100 * MiB,
  mergeEditFraction: 0.01,
  mergeCorpusCases: 25,
};

/** About 20× smaller: the whole suite in a couple of minutes, for smoke tests. */
export const QUICK_SCALE: Scale = {
  small: { dirs: 20, subdirs: 5, files: 50 },
  largeFiles: 10,
  largeFileBytes: 5 * MiB,
  jsonlBytes: 50 * MiB,
  edits: 5,
  appendFraction: 0.01,
  rssFileBytes: 200 * MiB,
  rssSegmentBytes: 16 * MiB,
  mergeBytes: 5 * MiB,
  mergeEditFraction: 0.01,
  mergeCorpusCases: 5,
};

export interface Options {
  scenarios: ScenarioName[];
  runs: number;
  quick: boolean;
  /** Work dir holding generated data and repositories (one fresh session folder per invocation). */
  dir: string;
  /** Where results/<scenario>.json and the markdown summary go. */
  outDir: string;
  keep: boolean;
  withCairn: boolean;
  withPeers: boolean;
  cairnBin: string;
  install: boolean;
  timeoutSec: number;
  seed: string;
  /** large-commit: let `git gc` search for deltas (git's default; >10 min over ten 100 MiB blobs). */
  gitFullGc: boolean;
}

export const USAGE = `usage: tsx test/bench/run.ts [scenario...] [options]

scenarios (default: all but the scale-* ones, always run in this order):
  ${SCENARIOS.join(', ')}
  scale-push, scale-clone and scale-absent need PostgreSQL + radosgw + nginx
  (bash scripts/services.sh start) and run only when named

options:
  --runs N        timed repetitions per measurement (default 3); medians are reported
  --quick         scale every dataset down ~20x (smoke test, a couple of minutes)
  --dir DIR       bench work dir (default $TMPDIR/cairn-bench); each run uses a fresh
                  session folder inside it and removes it at the end
  --out DIR       results dir (default <repo>/.bench/results)
  --keep          keep the session folder (data, repositories) at the end
  --peers-only    run only the peers (git, sha256sum), not cairn (alias: --only-peer)
  --cairn-only    run only cairn, not the peers (no ratios then)
  --cairn PATH    cairn launcher to run with node (default <repo>/bin/cairn)
  --no-install    do not apt-get install missing peers (git, time); skip them instead
  --timeout SEC   per-command time limit (default 3600)
  --seed S        data generator seed (default "cairn-bench-1")
  --git-full-gc   large-commit: run \`git gc\` with its delta search (default: pack.window=0,
                  since delta search over ten unrelated 100 MiB blobs takes >10 min)
  -h, --help      this text
`;

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): Options | 'help' {
  const opts: Options = {
    scenarios: [],
    runs: 3,
    quick: false,
    dir: path.join(process.env['TMPDIR'] || os.tmpdir(), 'cairn-bench'),
    outDir: path.join(REPO_ROOT, '.bench', 'results'),
    keep: false,
    withCairn: true,
    withPeers: true,
    cairnBin: path.join(REPO_ROOT, 'bin', 'cairn'),
    install: true,
    timeoutSec: 3600,
    seed: 'cairn-bench-1',
    gitFullGc: false,
  };
  const requested = new Set<ScenarioName>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '--runs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new UsageError('--runs must be a positive integer');
        opts.runs = n;
        break;
      }
      case '--quick':
        opts.quick = true;
        break;
      case '--dir':
        opts.dir = path.resolve(value());
        break;
      case '--out':
        opts.outDir = path.resolve(value());
        break;
      case '--keep':
        opts.keep = true;
        break;
      case '--peers-only':
      case '--only-peer':
      case '--only-peers':
        opts.withCairn = false;
        break;
      case '--cairn-only':
        opts.withPeers = false;
        break;
      case '--cairn':
        opts.cairnBin = path.resolve(value());
        break;
      case '--no-install':
        opts.install = false;
        break;
      case '--timeout': {
        const n = Number(value());
        if (!(n > 0)) throw new UsageError('--timeout must be a positive number of seconds');
        opts.timeoutSec = n;
        break;
      }
      case '--seed':
        opts.seed = value();
        break;
      case '--git-full-gc':
        opts.gitFullGc = true;
        break;
      default:
        if ((SCENARIOS as readonly string[]).includes(a)) requested.add(a as ScenarioName);
        else throw new UsageError(`unknown scenario or option: ${a}`);
    }
  }
  if (!opts.withCairn && !opts.withPeers) throw new UsageError('--peers-only and --cairn-only exclude each other');
  opts.scenarios = SCENARIOS.filter((s) => (requested.size === 0 ? !ENGINE_SCENARIOS.includes(s) : requested.has(s)));
  return opts;
}
