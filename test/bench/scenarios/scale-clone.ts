// scale-clone: the 100k-file repository (small-files' generator) and the 1 GiB one (large-commit's)
// pushed to, then cloned by 1, 4 and 16 concurrent `cairn clone` processes from, three `cairn serve`
// on PostgreSQL + S3 behind nginx and one `cairn serve --root` (the folder backend): MB/s and
// objects/s, time against the folder's, and S3 PUTs and GETs per push and per clone (/metrics).
import path from 'node:path';
import type { Bench } from '../context.js';
import { runCommand, type CmdResult } from '../measure.js';
import { fmtBytes, fmtSeconds, type ScenarioReport } from '../report.js';
import { metricsDelta, requireEngines, startFolderBackend, startPgBackend, type Backend } from '../scale-net.js';
import { cairnSmallCommit, smallData, smallParams, verifySmallCopy } from './common.js';
import { cairnJson, largeSync, verifyLargeCopy } from './sync-common.js';

export const title = 'clone of the 100k-file and the 1 GiB repositories through 3 servers on PostgreSQL + S3, 1/4/16 at once';

const PG_SERVERS = 3;

interface Dataset {
  name: string;
  /** The committed cairn repository to push from. */
  dir: string;
  verify: (copy: string) => string | null;
  dispose: (copy: string) => void;
}

const PUTS = 'cairn_s3_requests_total{put}';
const GETS = 'cairn_s3_requests_total{get}';

async function push(b: Bench, rep: ScenarioReport, be: Backend, ds: Dataset, peer: string): Promise<boolean> {
  const m0 = await be.metrics();
  const r = await runCommand(b.cairn(['push', '--json', `${be.url}/${ds.name}`, 'main'], ds.dir, `cairn push ${ds.name} -> ${be.label}`));
  if (!r.ok) {
    rep.fail(peer, `${ds.name}: push`, 's', (r.stderrTail.trim() || r.error || `exit ${r.code}`).split('\n').slice(-2).join(' | '));
    return false;
  }
  const d = metricsDelta(await be.metrics(), m0);
  const j = cairnJson(r);
  rep.add(peer, `${ds.name}: push`, 's', r.seconds);
  let extra = '';
  if (j) {
    rep.add(peer, `${ds.name}: push objects sent`, 'count', j.requested);
    rep.add(peer, `${ds.name}: push MB/s`, 'MB/s', j.bytesSent / r.seconds / 1e6);
  }
  if (be.kind === 'pg') {
    const puts = d[PUTS] ?? 0;
    rep.add(peer, `${ds.name}: push S3 PUTs`, 'count', puts);
    rep.add(peer, `${ds.name}: push S3 GETs`, 'count', d[GETS] ?? 0);
    if (j && puts > 0) rep.add(peer, `${ds.name}: push objects per S3 PUT`, 'count', Math.round(j.requested / puts));
    extra = `, ${puts} S3 PUTs, ${d[GETS] ?? 0} GETs`;
  }
  b.log(
    `    ${be.label}: push ${ds.name} in ${fmtSeconds(r.seconds)}${j ? ` (${j.requested} objects, ${fmtBytes(j.bytesSent)})` : ''}${extra}`,
  );
  return true;
}

async function clones(b: Bench, rep: ScenarioReport, be: Backend, ds: Dataset, peer: string, n: number): Promise<void> {
  const dirs = Array.from({ length: n }, () => b.freshPath(`clone-${ds.name}`));
  const m0 = await be.metrics();
  const t0 = process.hrtime.bigint();
  const results: CmdResult[] = await Promise.all(
    dirs.map((dir) => runCommand(b.cairn(['clone', '--json', `${be.url}/${ds.name}`, dir], b.session, `cairn clone ${ds.name}`))),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const d = metricsDelta(await be.metrics(), m0);
  const metric = (what: string): string => `${ds.name}: ${n} clone${n > 1 ? 's' : ''} at once, ${what}`;
  const failed = results.find((r) => !r.ok);
  if (failed) {
    rep.fail(
      peer,
      metric('wall'),
      's',
      (failed.stderrTail.trim() || failed.error || `exit ${failed.code}`).split('\n').slice(-2).join(' | '),
    );
  } else {
    const bad = dirs.map((dir) => ds.verify(dir)).find((x) => x !== null);
    if (bad) rep.fail(peer, metric('wall'), 's', `wrong clone: ${bad}`);
    else {
      let bytes = 0;
      let objects = 0;
      for (const r of results) {
        const j = cairnJson(r);
        bytes += j?.bytesReceived ?? 0;
        objects += j?.received ?? 0;
      }
      const each = results.map((r) => r.seconds).sort((a, b2) => a - b2);
      rep.add(peer, metric('wall'), 's', wall);
      rep.add(peer, metric('median clone time'), 's', each[Math.floor(each.length / 2)] ?? wall);
      rep.add(peer, metric('MB/s (all clones)'), 'MB/s', bytes / wall / 1e6);
      rep.add(peer, metric('objects/s (all clones)'), '/s', objects / wall);
      let extra = '';
      if (be.kind === 'pg') {
        rep.add(peer, metric('S3 GETs per clone'), 'count', (d[GETS] ?? 0) / n);
        rep.add(peer, metric('S3 PUTs per clone'), 'count', (d[PUTS] ?? 0) / n);
        const hits = d['cairn_pack_cache_hits_total'] ?? 0;
        const misses = d['cairn_pack_cache_misses_total'] ?? 0;
        rep.add(peer, metric('pack cache hits'), 'count', hits);
        rep.add(peer, metric('pack cache misses'), 'count', misses);
        extra = `; ${((d[GETS] ?? 0) / n).toFixed(1)} S3 GETs per clone, cache ${hits} hits / ${misses} misses`;
      }
      b.log(
        `    ${be.label}: ${n} clone(s) of ${ds.name} in ${fmtSeconds(wall)}: ${(bytes / wall / 1e6).toFixed(1)} MB/s, ${(objects / wall).toFixed(0)} objects/s${extra}`,
      );
    }
  }
  for (const dir of dirs) ds.dispose(dir);
}

async function dataset(b: Bench, rep: ScenarioReport, ds: Dataset, levels: number[]): Promise<void> {
  const backends: Backend[] = [];
  try {
    backends.push(await startFolderBackend(b, `scale-clone-${ds.name}`));
    backends.push(await startPgBackend(b, PG_SERVERS));
    const ok = new Set<Backend>();
    for (const be of backends) if (await push(b, rep, be, ds, be.label)) ok.add(be);
    for (const n of levels)
      for (const be of backends) {
        if (ok.has(be)) await clones(b, rep, be, ds, be.label, n);
      }
  } finally {
    await Promise.all(backends.map((be) => be.stop()));
  }
  const pg = `pg+s3 ×${PG_SERVERS}`;
  for (const n of levels) {
    const m = `${ds.name}: ${n} clone${n > 1 ? 's' : ''} at once, wall`;
    rep.ratioCheck(`${ds.name} clone time, ${n} at once`, [pg, m], ['folder', m], 1.5);
  }
  if (ds.name === 'small') rep.minCheck('objects per S3 PUT on the 100k-file push', [pg, 'small: push objects per S3 PUT'], 1000, 'count');
}

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  await requireEngines();
  const levels = b.opts.quick ? [1, 2, 4] : [1, 4, 16];
  rep.params['concurrent clones'] = levels.join(', ');
  rep.params['pg servers'] = PG_SERVERS;
  // The 100k-file commit (cairn only: there is no git peer here).
  const small = smallData(b);
  smallParams(b, rep, small);
  if (!small.cairnCommitted) {
    b.log('  committing the small tree with cairn (untimed) ...');
    b.trash(path.join(small.worktree, '.cairn'));
    const err = await b.exec([b.cairn(['init'], small.worktree), ...cairnSmallCommit(b, small)]);
    if (err) rep.errors.push(`cairn setup (small): ${err}`);
    else small.cairnCommitted = true;
  }
  if (small.cairnCommitted)
    await dataset(
      b,
      rep,
      { name: 'small', dir: small.worktree, verify: (c) => verifySmallCopy(small, c), dispose: (c) => b.trash(c) },
      levels,
    );
  const large = await largeSync(b, rep, false);
  rep.params['large'] = `${large.files.length} files, ${fmtBytes(large.bytes)}`;
  if (large.cairnOk)
    await dataset(
      b,
      rep,
      { name: 'large', dir: large.dir, verify: (c) => verifyLargeCopy(large, c), dispose: (c) => b.removeNow(c) },
      levels,
    );
  rep.notes.push(
    `PostgreSQL + S3: ${PG_SERVERS} servers behind nginx (round robin), each with its own pack cache (--cache-dir, 1 GiB); the folder backend: one \`cairn serve --root\`. One push each, then 1/${levels.slice(1).join('/')} concurrent \`cairn clone --json\` processes (each into a new folder, all verified); MB/s and objects/s are the clones' received bytes and objects over the batch's wall time. S3 figures are deltas of the servers' /metrics (cairn_s3_requests_total) around each step, summed over the servers.`,
  );
  rep.notes.push(
    'One run of each (the issue asks for one); clones run after the push, so later batches may be served from the pack caches the earlier ones filled (the GETs per clone show it). The engines are shared with other sessions on this machine.',
  );
}
