// 5. checkout-fresh: write the 100k-file commit into an empty folder;
// target cairn (`cairn export HEAD DIR`) <= 0.5 × git checkout (after an untimed `git clone --no-checkout`).
import type { Bench } from '../context.js';
import type { ScenarioReport } from '../report.js';
import { ensureSmallCommits, repeat, smallParams, verifySmallCopy, type TimedPeer } from './common.js';

export const title = 'fresh checkout of the small-files commit into an empty folder';

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const repo = await ensureSmallCommits(b, rep);
  smallParams(b, rep, repo);
  const peers: TimedPeer[] = [];
  if (b.cairnEnabled && repo.cairnCommitted) {
    let dir = '';
    peers.push({
      peer: 'cairn',
      metric: 'export',
      setup: async () => {
        dir = b.freshDir('export-cairn'); // every run writes into a new, empty folder
        return null;
      },
      timed: () => [b.cairn(['export', 'HEAD', dir], repo.worktree)],
      verify: () => verifySmallCopy(repo, dir),
    });
  }
  const gitDir = repo.gitDir;
  if (b.gitEnabled && gitDir) {
    let dir = '';
    peers.push({
      peer: 'git',
      metric: 'checkout',
      setup: async () => {
        dir = b.freshPath('export-git');
        // Untimed: a real (packed) clone without checkout, as a user would have it.
        return b.exec([
          b.gitCmd(['clone', '-q', '--no-checkout', `file://${gitDir}`, dir], b.session, { label: 'git clone --no-checkout' }),
        ]);
      },
      timed: () => [b.gitCmd(['checkout', '-q', '-f', 'HEAD'], dir)],
      verify: () => verifySmallCopy(repo, dir),
    });
  }
  await repeat(b, rep, peers);
  rep.ratioCheck('fresh checkout time', ['cairn', 'export'], ['git', 'checkout'], 0.5);
  rep.notes.push(
    'git: `git clone -q --no-checkout file://…` (untimed), then timed `git checkout -q -f HEAD`; every run writes into a new folder; results are verified (file count, bytes, sample content).',
  );
}
