// sync-clone-large: clone over loopback of a 1 GiB repository (large-commit's data: five random
// files, five JSON Lines files): `cairn clone` from `cairn serve` vs `git clone` from `git daemon`.
import path from 'node:path';
import type { Bench } from '../context.js';
import type { ScenarioReport } from '../report.js';
import { timeClones } from './sync-clone-run.js';
import { largeSync, startServers, verifyLargeCopy } from './sync-common.js';

export const title = 'clone over loopback of a 1 GiB repository';

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const data = await largeSync(b, rep);
  rep.params['files'] = data.files.length;
  rep.params['bytes'] = data.bytes;
  rep.params['content'] = `${Math.ceil(data.files.length / 2)} random, ${Math.floor(data.files.length / 2)} JSON Lines`;
  const srv = await startServers(b, rep);
  try {
    await timeClones(b, rep, srv, {
      cairnRepo: data.cairnOk ? path.basename(data.dir) : null,
      gitRepo: data.gitBare ? path.basename(data.gitBare) : null,
      verify: (copy) => verifyLargeCopy(data, copy),
      dispose: (copy) => b.removeNow(copy), // ten big files: safe to delete right away
    });
  } finally {
    await srv.stop();
  }
  rep.notes.push(
    "git serves a bare copy packed with pack.window=0 (also set in its config, so upload-pack does not search deltas among ten unrelated 100 MiB blobs on every clone; with git's default it takes minutes).",
  );
}
