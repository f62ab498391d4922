// 1. small-files: `add .` + `commit` of 100,000 ~1 KiB files; target cairn <= 0.5 × git.
import path from 'node:path';
import type { Bench } from '../context.js';
import type { ScenarioReport } from '../report.js';
import { cairnSmallCommit, gitSmallCommit, repeat, smallData, smallParams, type TimedPeer } from './common.js';

export const title = 'add + commit of many small files';

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const repo = smallData(b);
  smallParams(b, rep, repo);
  const peers: TimedPeer[] = [];
  if (b.cairnEnabled) {
    peers.push({
      peer: 'cairn',
      metric: 'add+commit',
      stepMetrics: ['add .', 'commit'],
      setup: async () => {
        // A fresh repository each run: move the last run's .cairn aside (deleted at the end).
        repo.cairnCommitted = false;
        b.trash(path.join(repo.worktree, '.cairn'));
        return b.exec([b.cairn(['init'], repo.worktree)]);
      },
      timed: () => cairnSmallCommit(b, repo),
      verify: () => {
        repo.cairnCommitted = true;
        return null;
      },
    });
  }
  if (b.gitEnabled) {
    let gitDir = '';
    peers.push({
      peer: 'git',
      metric: 'add+commit',
      stepMetrics: ['add .', 'commit'],
      setup: async () => {
        // A fresh git dir each run, under a new name (its 100k loose objects are deleted at the end).
        gitDir = b.freshPath('git-small');
        return b.gitInitRepo(gitDir);
      },
      timed: () => gitSmallCommit(b, repo, gitDir),
      verify: () => {
        repo.gitDir = gitDir;
        return null;
      },
    });
  }
  await repeat(b, rep, peers);
  rep.ratioCheck('add+commit time', ['cairn', 'add+commit'], ['git', 'add+commit'], 0.5);
  rep.notes.push('git runs `add .` then `commit -q`, with its git dir outside the work tree (same files for both tools).');
}
