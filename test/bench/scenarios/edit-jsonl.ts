// 4. edit-jsonl: commit a 1 GiB JSON Lines file, edit 100 records at random positions and
// append 1% new records, commit again. Target: cairn stores <= 2% of the file size anew.
// git's growth (after `git gc`) is shown beside it.
import fs from 'node:fs';
import path from 'node:path';
import type { Bench } from '../context.js';
import { deriveEditedJsonl, genJsonlFile } from '../gen.js';
import { diskUsage, runCommand, runSteps, describeFailure, type CmdSpec } from '../measure.js';
import { fmtBytes, type ScenarioReport } from '../report.js';
import { timedGen } from './common.js';

export const title = 'storage growth after editing a large JSON Lines file';

const GIT_BIG_FILE_THRESHOLD = 512 << 20;

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const dir = b.freshDir('edit');
  const wt = path.join(dir, 'wt');
  const file = path.join(wt, 'data.jsonl');
  const v2 = path.join(dir, 'v2.jsonl');
  const v1 = timedGen(b, `a ${fmtBytes(b.scale.jsonlBytes)} JSON Lines file`, () =>
    genJsonlFile(file, b.scale.jsonlBytes, `${b.opts.seed}/edit`),
  );
  const append = Math.round(v1.records * b.scale.appendFraction);
  const edit = timedGen(b, `its edited version (${b.scale.edits} edits, ${append} appended records)`, () =>
    deriveEditedJsonl(file, v2, v1.records, b.scale.edits, append, `${b.opts.seed}/edit/v2`),
  );
  Object.assign(rep.params, {
    bytes: v1.bytes,
    records: v1.records,
    edited: edit.edited,
    appended: edit.appended,
    'bytes after edit': edit.bytes,
  });
  const pct = (n: number): number => (100 * n) / v1.bytes;

  /** Run timed steps, record their time; false (and a reported failure) if one failed. */
  const timed = async (peer: string, metric: string, specs: CmdSpec[]): Promise<boolean> => {
    const r = await runSteps(specs);
    if (r.failed) {
      rep.fail(peer, metric, 's', describeFailure(r.failed));
      b.log(`  ${peer} ${metric}: FAILED: ${describeFailure(r.failed)}`);
      return false;
    }
    rep.add(peer, metric, 's', r.seconds, r.peakRssKiB);
    b.log(`  ${peer} ${metric}: ${r.seconds.toFixed(2)} s`);
    return true;
  };
  const gc = async (gitDir: string): Promise<boolean> => {
    const r = await runCommand(b.gitCmd(['gc', '-q'], wt, { gitDir }));
    if (!r.ok) rep.fail('git', 'gc', 's', describeFailure(r));
    return r.ok;
  };

  // Version 1, committed by each tool.
  const cairnDir = path.join(wt, '.cairn');
  let cairnBefore: number | null = null;
  if (b.cairnEnabled) {
    const initErr = await b.exec([b.cairn(['init'], wt)]);
    if (initErr) rep.fail('cairn', 'commit v1 (add+commit)', 's', initErr);
    else if (await timed('cairn', 'commit v1 (add+commit)', [b.cairn(['add', '.'], wt), b.cairn(['commit', '-m', 'v1'], wt)])) {
      cairnBefore = diskUsage(cairnDir).allocated;
    }
  }
  const gitDir = b.freshPath('git-edit');
  const git = { gitDir, workTree: wt };
  let gitBefore: number | null = null;
  if (b.gitEnabled) {
    const initErr = await b.gitInitRepo(gitDir);
    if (initErr) rep.fail('git', 'commit v1 (add+commit)', 's', initErr);
    else if (
      (await timed('git', 'commit v1 (add+commit)', [b.gitCmd(['add', '.'], wt, git), b.gitCmd(['commit', '-q', '-m', 'v1'], wt, git)])) &&
      (await gc(gitDir))
    ) {
      gitBefore = diskUsage(gitDir).allocated;
    }
  }

  // The edited version replaces the file (a new inode and size: both tools see the change).
  fs.renameSync(v2, file);

  if (cairnBefore !== null) {
    if (await timed('cairn', 'commit v2 (commit -a)', [b.cairn(['commit', '-a', '-m', 'v2'], wt)])) {
      const grown = diskUsage(cairnDir).allocated - cairnBefore;
      rep.add('cairn', 'new bytes stored', 'bytes', grown);
      rep.add('cairn', 'new bytes stored, % of file', '%', pct(grown));
    }
  }
  if (gitBefore !== null) {
    if (await timed('git', 'commit v2 (commit -a)', [b.gitCmd(['commit', '-q', '-a', '-m', 'v2'], wt, git)])) {
      const loose = diskUsage(gitDir).allocated - gitBefore;
      rep.add('git', 'new bytes before gc (loose)', 'bytes', loose);
      if (await gc(gitDir)) {
        const grown = diskUsage(gitDir).allocated - gitBefore;
        rep.add('git', 'new bytes stored after gc', 'bytes', grown);
        rep.add('git', 'new bytes stored after gc, % of file', '%', pct(grown));
      }
    }
  }
  rep.maxCheck('new bytes stored', ['cairn', 'new bytes stored, % of file'], 2, '%');
  rep.notes.push(
    `growth = du of .cairn / the git dir after the second commit minus after the first (git: both after \`git gc\`), as % of the ${fmtBytes(v1.bytes)} file.`,
  );
  rep.notes.push(
    v1.bytes > GIT_BIG_FILE_THRESHOLD
      ? 'git stores files above core.bigFileThreshold (512 MiB) whole (compressed, no delta), so its growth is about a full compressed copy.'
      : "this file is below git's core.bigFileThreshold (512 MiB), so `git gc` stores the new version as a delta.",
  );
  rep.notes.push('single run (sizes are deterministic; the times are one sample).');
  b.removeNow(dir);
  b.removeNow(gitDir);
}
