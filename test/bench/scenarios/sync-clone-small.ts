// sync-clone-small: clone over loopback of the 100k-file commit (the small-files tree):
// `cairn clone` from `cairn serve` vs `git clone` from `git daemon`; time and bytes on the wire.
import path from 'node:path';
import type { Bench } from '../context.js';
import type { ScenarioReport } from '../report.js';
import { smallParams, verifySmallCopy } from './common.js';
import { timeClones } from './sync-clone-run.js';
import { smallSync, startServers } from './sync-common.js';

export const title = 'clone over loopback of the many-small-files repository';

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const data = await smallSync(b, rep);
  smallParams(b, rep, data.repo);
  const srv = await startServers(b, rep);
  try {
    await timeClones(b, rep, srv, {
      cairnRepo: data.cairnRepo,
      gitRepo: data.gitBare ? path.basename(data.gitBare) : null,
      verify: (copy) => verifySmallCopy(data.repo, copy),
      dispose: (copy) => b.trash(copy), // 100k files: never deleted mid-session
    });
  } finally {
    await srv.stop();
  }
  rep.notes.push(
    'git serves a bare copy packed by `git clone --bare` + `git gc` (deltas and bitmaps, as a maintained server has); cairn serves the repository the tree was committed in.',
  );
}
