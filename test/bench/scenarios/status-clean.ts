// 2. status-clean: `status` on the committed 100k-file tree, nothing changed; target cairn <= 2 × git.
import type { Bench } from '../context.js';
import type { ScenarioReport } from '../report.js';
import { ensureSmallCommits, repeat, smallParams, type TimedPeer } from './common.js';

export const title = 'status of the unchanged small-files tree';

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const repo = await ensureSmallCommits(b, rep);
  smallParams(b, rep, repo);
  const peers: TimedPeer[] = [];
  if (b.cairnEnabled && repo.cairnCommitted) {
    const status = b.cairn(['status'], repo.worktree);
    // One untimed warm-up run each: the first status after a commit may refresh its index.
    const warm = await b.exec([status]);
    if (warm) rep.fail('cairn', 'status', 's', `warm-up: ${warm}`);
    else peers.push({ peer: 'cairn', metric: 'status', timed: () => [status] });
  }
  if (b.gitEnabled && repo.gitDir) {
    const status = b.gitCmd(['status'], repo.worktree, { gitDir: repo.gitDir, workTree: repo.worktree });
    const warm = await b.exec([status]);
    if (warm) rep.fail('git', 'status', 's', `warm-up: ${warm}`);
    else {
      peers.push({
        peer: 'git',
        metric: 'status',
        timed: () => [status],
        verify: (_run, r) =>
          r.steps[0]?.stdoutTail.includes('nothing to commit, working tree clean')
            ? null
            : `git status is not clean: ${r.steps[0]?.stdoutTail.slice(0, 300)}`,
      });
    }
  }
  await repeat(b, rep, peers);
  rep.ratioCheck('status time', ['cairn', 'status'], ['git', 'status'], 2);
  rep.notes.push('one untimed warm-up status per tool before the timed runs.');
}
