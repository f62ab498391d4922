// merge-large: two branches each edited 1% of the records of a 100 MB JSON Lines file and of a 100 MB
// JSON array of records; time and peak RSS of `cairn merge-file` vs `git merge-file` on the same files.
// cairn must merge cleanly with every edit in place; git's conflicts (edits on neighbouring lines) are counted.
import fs from 'node:fs';
import path from 'node:path';
import type { Bench } from '../context.js';
import { describeFailure, runCommand, type CmdResult, type CmdSpec } from '../measure.js';
import { fmtBytes, fmtSeconds, type ScenarioReport } from '../report.js';
import { timedGen } from './common.js';
import { OURS_MARK, THEIRS_MARK, countMarks, genMergeTriple, type LargeFormat, type MergeTriple } from './merge-gen.js';

export const title = 'merge-file of two 1% edits of a large JSON Lines file and JSON array';

/** A merge tool's run: conflicts is its count (git: the exit status), null when it failed. */
interface MergeRun {
  r: CmdResult;
  conflicts: number | null;
}

// git merge-file exits with the number of conflicts (at most 127); cairn with 1 for "some".
async function runMerge(spec: CmdSpec): Promise<MergeRun> {
  const r = await runCommand(spec);
  const completed = !r.error && r.signal === null && r.code !== null && r.code >= 0 && r.code < 128;
  return { r, conflicts: completed ? (r.code as number) : null };
}

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  for (const format of ['jsonl', 'json'] as const) await runFormat(b, rep, format);
  rep.notes.push(
    `each side edits ${(b.scale.mergeEditFraction * 100).toFixed(0)}% of the records (disjoint records at random positions, so some are neighbours); ` +
      'time and peak RSS of one merge-file run writing into a fresh copy of ours (copy untimed). git merge-file is a line merge: ' +
      '"conflicts" is its exit status (conflicting hunks, at most 127); it reports a conflict wherever two edited records are adjacent lines.',
  );
}

async function runFormat(b: Bench, rep: ScenarioReport, format: LargeFormat): Promise<void> {
  const dir = b.freshDir(`merge-${format}`);
  const label = format === 'json' ? 'JSON array' : 'JSON Lines';
  const t: MergeTriple = timedGen(b, `a ${fmtBytes(b.scale.mergeBytes)} ${label} file and its two edited versions`, () =>
    genMergeTriple(dir, format, b.scale.mergeBytes, b.scale.mergeEditFraction, `${b.opts.seed}/merge-${format}`),
  );
  Object.assign(rep.params, {
    [`${format} bytes`]: t.bytes,
    [`${format} records`]: t.records,
    [`${format} edits ours/theirs`]: `${t.oursEdits}/${t.theirsEdits}`,
  });
  const ext = path.extname(t.base);
  const metric = `merge ${format}`;
  for (let run = 1; run <= b.opts.runs; run++) {
    if (b.cairnEnabled) {
      const target = path.join(dir, `cairn-${run}${ext}`);
      fs.copyFileSync(t.ours, target);
      const m = await runMerge(b.cairn(['merge-file', '-q', t.base, target, t.theirs], dir, `cairn merge-file (${format})`));
      if (m.conflicts === null) rep.fail('cairn', metric, 's', describeFailure(m.r));
      else {
        const [ours, theirs] = countMarks(target, [OURS_MARK, THEIRS_MARK]);
        const wrong = ours !== t.oursEdits || theirs !== t.theirsEdits;
        if (m.conflicts !== 0 || wrong)
          rep.fail(
            'cairn',
            metric,
            's',
            `expected a clean merge with ${t.oursEdits}/${t.theirsEdits} edits, got exit ${m.conflicts} with ${ours}/${theirs}`,
          );
        else rep.add('cairn', metric, 's', m.r.seconds, m.r.peakRssKiB);
      }
      b.log(`  [run ${run}] cairn ${metric}: ${fmtSeconds(m.r.seconds)}, exit ${m.r.code}${rss(m.r)}`);
      fs.rmSync(target, { force: true });
    }
    if (b.gitEnabled) {
      const target = path.join(dir, `git-${run}${ext}`);
      fs.copyFileSync(t.ours, target);
      const m = await runMerge(b.gitCmd(['merge-file', '-q', target, t.base, t.theirs], dir, { label: `git merge-file (${format})` }));
      if (m.conflicts === null) rep.fail('git', metric, 's', describeFailure(m.r));
      else {
        rep.add('git', metric, 's', m.r.seconds, m.r.peakRssKiB);
        if (run === 1) rep.add('git', `${metric}: conflicts`, 'count', m.conflicts);
      }
      b.log(`  [run ${run}] git ${metric}: ${fmtSeconds(m.r.seconds)}, exit ${m.r.code}${rss(m.r)}`);
      fs.rmSync(target, { force: true });
    }
  }
  // The issue sets no target here, only the comparison: the ratio is reported, not checked.
  const c = rep.get('cairn', metric),
    g = rep.get('git', metric);
  if (c?.median && g?.median) {
    const mem =
      c.peakRssKiB?.length && g.peakRssKiB?.length
        ? `, peak RSS ${fmtBytes(Math.max(...c.peakRssKiB) * 1024)} vs ${fmtBytes(Math.max(...g.peakRssKiB) * 1024)}`
        : '';
    rep.notes.push(
      `${label}: cairn merge-file takes ${(c.median / g.median).toFixed(1)}× git merge-file's time${mem}; cairn merged every edit cleanly, git reported ${rep.get('git', `${metric}: conflicts`)?.median ?? '?'} conflicts.`,
    );
  }
  b.removeNow(dir);
}

function rss(r: CmdResult): string {
  return r.peakRssKiB !== null ? `, peak RSS ${fmtBytes(r.peakRssKiB * 1024)}` : '';
}
