// 3. large-commit: add + commit of 1 GiB in ten 100 MiB files (5 random, 5 JSON Lines);
// target cairn <= 1.0 × `sha256sum` of the same files. Also git (reference) and stored sizes.
import path from 'node:path';
import type { Bench } from '../context.js';
import { genJsonlFile, genRandomFile } from '../gen.js';
import { describeFailure, diskUsage, runCommand } from '../measure.js';
import { fmtBytes, type ScenarioReport } from '../report.js';
import { repeat, timedGen, type TimedPeer } from './common.js';

export const title = 'add + commit of ten large files vs sha256sum';

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const { largeFiles, largeFileBytes } = b.scale;
  const data = b.freshDir('large');
  const files: string[] = [];
  let total = 0;
  timedGen(b, `${largeFiles} files of ${fmtBytes(largeFileBytes)}`, () => {
    for (let i = 0; i < largeFiles; i++) {
      const random = i < largeFiles / 2;
      const name = `f${String(i).padStart(2, '0')}.${random ? 'bin' : 'jsonl'}`;
      const seed = `${b.opts.seed}/large/${i}`;
      total += random
        ? genRandomFile(path.join(data, name), largeFileBytes, seed)
        : genJsonlFile(path.join(data, name), largeFileBytes, seed).bytes;
      files.push(name);
    }
  });
  rep.params['files'] = files.length;
  rep.params['bytes'] = total;
  rep.params['content'] = `${Math.ceil(largeFiles / 2)} random, ${Math.floor(largeFiles / 2)} JSON Lines`;
  rep.add('data', 'size', 'bytes', total);

  const peers: TimedPeer[] = [];
  if (b.opts.withPeers) {
    if (b.sha256sum) {
      const sha = b.sha256sum;
      peers.push({
        peer: 'sha256sum',
        metric: 'hash all files',
        timed: () => [{ label: 'sha256sum', cmd: sha, args: files, cwd: data }],
      });
    } else rep.notes.push('sha256sum not found: no reference for the target.');
  }
  const cairnDir = path.join(data, '.cairn');
  const last: { cairnOk: boolean; gitDir: string | null } = { cairnOk: false, gitDir: null };
  if (b.cairnEnabled) {
    peers.push({
      peer: 'cairn',
      metric: 'add+commit',
      stepMetrics: ['add .', 'commit'],
      setup: async () => {
        last.cairnOk = false;
        b.removeNow(cairnDir); // a few big files: safe to delete right away
        return b.exec([b.cairn(['init'], data)]);
      },
      timed: () => [b.cairn(['add', '.'], data), b.cairn(['commit', '-m', 'large files'], data)],
      verify: () => {
        last.cairnOk = true;
        return null;
      },
    });
  }
  const gitDirs: string[] = [];
  if (b.gitEnabled) {
    let dir = '';
    peers.push({
      peer: 'git',
      metric: 'add+commit',
      stepMetrics: ['add .', 'commit'],
      setup: async () => {
        dir = b.freshPath('git-large');
        gitDirs.push(dir);
        return b.gitInitRepo(dir);
      },
      timed: () => {
        const o = { gitDir: dir, workTree: data };
        return [b.gitCmd(['add', '.'], data, o), b.gitCmd(['commit', '-q', '-m', 'large files'], data, o)];
      },
      verify: () => {
        last.gitDir = dir;
        return null;
      },
    });
  }
  await repeat(b, rep, peers);
  rep.ratioCheck('add+commit time', ['cairn', 'add+commit'], ['sha256sum', 'hash all files'], 1.0);

  // Stored sizes, from the last successful run of each tool.
  if (last.cairnOk) {
    const du = diskUsage(cairnDir);
    rep.add('cairn', 'stored (du)', 'bytes', du.allocated);
    rep.add('cairn', 'stored (apparent)', 'bytes', du.apparent);
  }
  const gitDir = last.gitDir;
  if (gitDir) {
    const before = diskUsage(gitDir);
    rep.add('git', 'stored before gc (du)', 'bytes', before.allocated);
    // The ten files are unrelated, so a delta search finds nothing, yet over 100 MiB blobs it
    // takes more than 10 minutes: it is off unless --git-full-gc.
    const gcArgs = b.opts.gitFullGc ? ['gc', '-q'] : ['-c', 'pack.window=0', 'gc', '-q'];
    const gc = await runCommand(b.gitCmd(gcArgs, data, { gitDir, label: `git ${gcArgs.join(' ')}` }));
    if (gc.ok) {
      rep.add('git', 'gc', 's', gc.seconds, gc.peakRssKiB);
      const after = diskUsage(gitDir);
      rep.add('git', 'stored after gc (du)', 'bytes', after.allocated);
      rep.add('git', 'stored after gc (apparent)', 'bytes', after.apparent);
    } else rep.fail('git', 'gc', 's', describeFailure(gc));
  }
  rep.notes.push(
    `stored sizes: du of .cairn vs du of the git dir (before and after \`git ${b.opts.gitFullGc ? '' : '-c pack.window=0 '}gc\`); git timed as a reference only.`,
  );
  b.removeNow(data);
  for (const d of gitDirs) b.removeNow(d);
}
