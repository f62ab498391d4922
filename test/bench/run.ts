// cairn benchmark suite: `npm run bench` (= tsx test/bench/run.ts [scenario...] [--runs N] [--quick]).
// Compares the built cairn CLI with git (and sha256sum) on the same generated data,
// prints a table with ratios against the targets, writes <out>/<scenario>.json and
// prints a markdown snippet for docs/BENCHMARKS.md. See test/bench/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { ENGINE_SCENARIOS, FULL_SCALE, QUICK_SCALE, REPO_ROOT, USAGE, UsageError, parseArgs, type Options } from './config.js';
import { Bench } from './context.js';
import { gnuTime, killRunning, resetGnuTime, runCommand } from './measure.js';
import { EnginesDown, requireEngines } from './scale-net.js';
import { ScenarioReport, formatScenario, machineLine, markdown, writeScenarioJson, type RunInfo } from './report.js';
import { scenarios } from './scenarios/index.js';
import { aptInstall, ensureCommand, machineInfo } from './tools.js';

const log = (m: string): void => {
  process.stdout.write(m + '\n');
};

async function probeCairn(opts: Options): Promise<string | null> {
  if (!fs.existsSync(opts.cairnBin)) {
    log(`warning: ${opts.cairnBin} does not exist; every cairn command will fail (build it with npm run build)`);
    return null;
  }
  const r = await runCommand({
    label: 'cairn --version',
    cmd: process.execPath,
    args: [opts.cairnBin, '--version'],
    cwd: REPO_ROOT,
    timeoutMs: 60_000,
  });
  if (!r.ok) {
    const why = (r.stderrTail.trim() || r.error || `exit ${r.code}`).split('\n').slice(-2).join(' | ');
    log(`warning: \`cairn --version\` failed (${why}); the cairn runs will probably fail and be reported`);
    return null;
  }
  return r.stdoutTail.trim().split('\n')[0] ?? null;
}

function warnStaleSessions(dir: string, own: string): void {
  const stale = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('session-') && path.join(dir, n) !== own) : [];
  if (stale.length)
    log(
      `note: ${stale.length} older session folder(s) in ${dir} (from --keep or an interrupted run); remove them when nothing runs: ${stale.join(', ')}`,
    );
}

async function main(): Promise<number> {
  let parsed: Options | 'help';
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = parsed;
  const scale = opts.quick ? QUICK_SCALE : FULL_SCALE;

  // The scale-* scenarios need the engines: refuse before anything runs rather than skip them.
  const engineRuns = opts.scenarios.filter((s) => ENGINE_SCENARIOS.includes(s));
  if (engineRuns.length && opts.withCairn) {
    try {
      await requireEngines();
    } catch (e) {
      if (!(e instanceof EnginesDown)) throw e;
      process.stderr.write(`bench: refusing to run ${engineRuns.join(', ')}: ${e.message}\n`);
      return 2;
    }
  }

  log('cairn bench: checking tools ...');
  let git: string | null = null;
  if (opts.withPeers) {
    git = ensureCommand('git', 'git', opts.install, log);
    if (!git) log('warning: git is not available: the git peer is skipped (install the Debian package "git")');
  }
  let sha256sum: string | null = null;
  if (opts.withPeers && opts.scenarios.includes('large-commit')) {
    sha256sum = ensureCommand('sha256sum', 'coreutils', opts.install, log);
    if (!sha256sum) log('warning: sha256sum is not available: the large-commit reference is skipped');
  }
  if (!gnuTime() && opts.install) {
    aptInstall('time', log);
    resetGnuTime();
  }
  if (!gnuTime()) log('note: GNU time (/usr/bin/time) not found: peak RSS is measured by polling /proc/<pid>/status');
  const cairnVersion = opts.withCairn ? await probeCairn(opts) : null;

  const b = new Bench(opts, scale, git, sha256sum, log);
  warnStaleSessions(opts.dir, b.session);
  const info: RunInfo = {
    machine: machineInfo(b.session, git, cairnVersion, REPO_ROOT),
    quick: opts.quick,
    runs: opts.runs,
    seed: opts.seed,
  };
  log(`machine: ${machineLine(info.machine)}`);
  if (info.machine.loadAvg1 > info.machine.cores / 2) {
    log(`warning: the machine is busy (load ${info.machine.loadAvg1} on ${info.machine.cores} cores): timings will be noisy`);
  }
  log(`session: ${b.session}${opts.quick ? ' (quick mode)' : ''}; runs: ${opts.runs}; scenarios: ${opts.scenarios.join(', ')}`);
  if (!opts.withCairn) log('peers only: cairn is not run (--peers-only)');

  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${sig}: stopping the running command and cleaning up ...`);
    killRunning();
    try {
      b.cleanup();
    } finally {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const reports: ScenarioReport[] = [];
  try {
    for (const name of opts.scenarios) {
      const scenario = scenarios[name];
      const rep = new ScenarioReport(name, scenario.title);
      log(`\n>> ${name}: ${scenario.title}`);
      const t0 = process.hrtime.bigint();
      try {
        await scenario.run(b, rep);
      } catch (e) {
        const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
        rep.errors.push(`harness error: ${msg}`);
      }
      rep.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      reports.push(rep);
      log(formatScenario(rep));
      log(`   -> ${writeScenarioJson(opts.outDir, rep, info)}`);
    }
  } finally {
    b.cleanup();
  }

  const md = markdown(reports, info);
  fs.mkdirSync(opts.outDir, { recursive: true });
  const mdFile = path.join(opts.outDir, `summary${opts.quick ? '.quick' : ''}.md`);
  fs.writeFileSync(mdFile, md);
  log(`\n---- markdown for docs/BENCHMARKS.md (also in ${mdFile}) ----\n`);
  log(md);
  const failures = reports.reduce((n, r) => n + r.errors.length, 0);
  if (failures) log(`${failures} failure(s) reported above (exit status 1).`);
  return failures ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
