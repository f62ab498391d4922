// sync-edit-wire: edit-jsonl's edit (100 records changed at random positions of a 1 GiB JSON Lines
// file, 1% records appended, committed), then push it to a server and fetch it into another clone.
// Target: bytes on the wire for the push and for the fetch <= 2% of the file; git's beside it.
import fs from 'node:fs';
import path from 'node:path';
import type { Bench } from '../context.js';
import { deriveEditedJsonl, genJsonlFile } from '../gen.js';
import { describeFailure, runCommand, runSteps, type CmdSpec } from '../measure.js';
import { fmtBytes, fmtSeconds, type ScenarioReport } from '../report.js';
import type { Proxy } from '../sync-net.js';
import { timedGen } from './common.js';
import { cairnJson, pct, startServers } from './sync-common.js';

export const title = 'bytes on the wire to push and fetch an edit of a large JSON Lines file';

const GIT_BIG_FILE_THRESHOLD = 512 << 20;

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const dir = b.freshDir('wire');
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

  const srv = await startServers(b, rep);
  const broken = new Set<string>();
  /** Run commands through a proxy; record time, bytes on the wire and % of the file. False on failure. */
  const step = async (peer: string, metric: string, proxy: Proxy, specs: CmdSpec[]): Promise<boolean> => {
    if (broken.has(peer)) return false;
    proxy.reset();
    const r = await runSteps(specs);
    if (r.failed) {
      const msg = describeFailure(r.failed);
      rep.fail(peer, metric, 's', msg);
      b.log(`  ${peer} ${metric}: FAILED: ${msg}`);
      broken.add(peer);
      return false;
    }
    const wire = proxy.up() + proxy.down();
    rep.add(peer, metric, 's', r.seconds, r.peakRssKiB);
    rep.add(peer, `${metric}: bytes on the wire`, 'bytes', wire);
    rep.add(peer, `${metric}: % of file`, '%', pct(wire, v1.bytes));
    const last = r.steps[r.steps.length - 1];
    const j = peer === 'cairn' && last ? cairnJson(last) : null;
    if (j) rep.add(peer, `${metric}: payload (--json)`, 'bytes', j.bytesSent + j.bytesReceived);
    b.log(`  ${peer} ${metric}: ${fmtSeconds(r.seconds)}, ${fmtBytes(wire)} on the wire (${pct(wire, v1.bytes).toFixed(2)} % of the file)`);
    return true;
  };
  const untimed = async (peer: string, specs: CmdSpec[]): Promise<void> => {
    if (broken.has(peer)) return;
    const err = await b.exec(specs);
    if (err) {
      rep.errors.push(`${peer} setup: ${err}`);
      broken.add(peer);
    }
  };
  const output = async (spec: CmdSpec): Promise<string> => {
    const r = await runCommand(spec);
    return r.ok ? r.stdoutTail.trim() : `(failed: ${describeFailure(r)})`;
  };

  const cairnUrl = srv.cairnUrl(path.basename(b.freshPath('wire-cairn'))); // created by the first push
  const cairnClone = b.freshPath('wire-clone-cairn');
  const gitBare = `${b.freshPath('wire-git')}.git`;
  const gitUrl = srv.gitUrl(path.basename(gitBare));
  const gitDir = b.freshPath('git-wire');
  const gitClone = b.freshPath('wire-clone-git');
  const g = { gitDir, workTree: wt };
  const cairnOn = b.cairnEnabled && srv.cairnProxy !== null;
  const gitOn = b.gitEnabled && srv.gitProxy !== null;
  if (!cairnOn) broken.add('cairn');
  if (!gitOn) broken.add('git');
  try {
    // Version 1: committed, pushed to an empty server repository, cloned elsewhere (times and bytes recorded).
    if (cairnOn) {
      const px = srv.cairnProxy as Proxy;
      await untimed('cairn', [b.cairn(['init'], wt), b.cairn(['add', '.'], wt), b.cairn(['commit', '-m', 'v1'], wt)]);
      await step('cairn', 'push v1 (whole file)', px, [b.cairn(['push', '--json', cairnUrl, 'main'], wt)]);
      await step('cairn', 'clone v1', px, [b.cairn(['clone', '--json', cairnUrl, cairnClone], b.session)]);
    }
    if (gitOn) {
      const px = srv.gitProxy as Proxy;
      const initErr =
        (await b.gitInitRepo(gitDir)) ??
        (await b.exec([
          b.gitCmd(['init', '-q', '--bare', gitBare], b.session),
          b.gitCmd(['config', 'receive.autogc', 'false'], b.session, { gitDir: gitBare }),
        ]));
      if (initErr) {
        rep.errors.push(`git setup: ${initErr}`);
        broken.add('git');
      }
      await untimed('git', [b.gitCmd(['add', '.'], wt, g), b.gitCmd(['commit', '-q', '-m', 'v1'], wt, g)]);
      await step('git', 'push v1 (whole file)', px, [b.gitCmd(['push', '-q', gitUrl, 'main'], wt, g)]);
      await step('git', 'clone v1', px, [b.gitCmd(['clone', '-q', gitUrl, gitClone], b.session)]);
    }

    // The edit, committed by both (a new inode and size: both tools see the change).
    fs.renameSync(v2, file);
    await untimed('cairn', [b.cairn(['commit', '-a', '-m', 'v2'], wt)]);
    await untimed('git', [b.gitCmd(['commit', '-q', '-a', '-m', 'v2'], wt, g)]);

    // Interleaved: push of each, then fetch of each.
    if (!broken.has('cairn'))
      await step('cairn', 'push edit', srv.cairnProxy as Proxy, [b.cairn(['push', '--json', cairnUrl, 'main'], wt)]);
    if (!broken.has('git')) await step('git', 'push edit', srv.gitProxy as Proxy, [b.gitCmd(['push', '-q', gitUrl, 'main'], wt, g)]);
    if (!broken.has('cairn')) await step('cairn', 'fetch edit', srv.cairnProxy as Proxy, [b.cairn(['fetch', '--json'], cairnClone)]);
    if (!broken.has('git')) await step('git', 'fetch edit', srv.gitProxy as Proxy, [b.gitCmd(['fetch', '-q', 'origin'], gitClone)]);

    // The fetched tip must be the pushed commit.
    if (!broken.has('cairn')) {
      const want = await output(b.cairn(['rev-parse', 'HEAD'], wt));
      const got = await output(b.cairn(['rev-parse', 'origin/main'], cairnClone));
      if (want !== got)
        rep.fail('cairn', 'fetch edit', 's', `wrong result: origin/main is ${got} in the clone, the pushed commit is ${want}`);
    }
    if (!broken.has('git')) {
      const want = await output(b.gitCmd(['rev-parse', 'HEAD'], wt, g));
      const got = await output(b.gitCmd(['rev-parse', 'origin/main'], gitClone));
      if (want !== got)
        rep.fail('git', 'fetch edit', 's', `wrong result: origin/main is ${got} in the clone, the pushed commit is ${want}`);
    }
  } finally {
    await srv.stop();
  }

  rep.maxCheck('push: bytes on the wire', ['cairn', 'push edit: % of file'], 2, '%');
  rep.maxCheck('fetch: bytes on the wire', ['cairn', 'fetch edit: % of file'], 2, '%');
  const c = (m: string): number | null => rep.get('cairn', m)?.median ?? null;
  const gm = (m: string): number | null => rep.get('git', m)?.median ?? null;
  for (const what of ['push edit', 'fetch edit']) {
    const cp = c(`${what}: % of file`);
    const gp = gm(`${what}: % of file`);
    if (cp !== null || gp !== null)
      rep.notes.push(
        `${what}: cairn ${cp === null ? 'n/a' : cp.toFixed(2)} % of the file on the wire, git ${gp === null ? 'n/a' : gp.toFixed(2)} %.`,
      );
  }
  rep.notes.push(
    'bytes on the wire: TCP payload both ways through a counting proxy on 127.0.0.1 (HTTP headers / pkt-line framing included), as % of the original file.',
  );
  rep.notes.push(
    v1.bytes > GIT_BIG_FILE_THRESHOLD
      ? 'git sends files above core.bigFileThreshold (512 MiB) whole (compressed, no delta), so its push and fetch carry about a compressed copy of the file.'
      : "this file is below git's core.bigFileThreshold (512 MiB), so git sends the new version as a delta against the old one (at full size it would not).",
  );
  rep.notes.push(
    'single run (bytes are deterministic; the times are one sample). cairn pushes to a repository its first push created; git to a bare repository (git daemon --enable=receive-pack).',
  );
  b.removeNow(dir);
  for (const d of [cairnClone, path.join(b.session, path.basename(new URL(cairnUrl).pathname)), gitBare, gitDir, gitClone]) b.removeNow(d);
}
