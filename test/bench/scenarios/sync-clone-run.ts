// The timed part of the two clone scenarios: `cairn clone` from `cairn serve` against `git clone`
// from `git daemon`, both over loopback through a counting proxy, each run into a new folder,
// interleaved, verified, with the bytes that crossed the wire.
import type { Bench } from '../context.js';
import { fmtBytes, type ScenarioReport } from '../report.js';
import { repeat, type TimedPeer } from './common.js';
import { cairnJson, type Servers } from './sync-common.js';

export interface CloneTargets {
  /** Served repository names (folder names under the session), or null when that tool's setup failed. */
  cairnRepo: string | null;
  gitRepo: string | null;
  verify: (copy: string) => string | null;
  /** Dispose of a verified clone (trash for many small files, delete for a few big ones). */
  dispose: (copy: string) => void;
}

export async function timeClones(b: Bench, rep: ScenarioReport, srv: Servers, t: CloneTargets): Promise<void> {
  const peers: TimedPeer[] = [];
  const { cairnProxy, gitProxy } = srv;
  if (t.cairnRepo !== null && cairnProxy) {
    const url = srv.cairnUrl(t.cairnRepo);
    let dir = '';
    peers.push({
      peer: 'cairn',
      metric: 'clone',
      setup: async () => {
        dir = b.freshPath('clone-cairn');
        cairnProxy.reset();
        return null;
      },
      timed: () => [b.cairn(['clone', '--json', url, dir], b.session, `cairn clone ${url}`)],
      verify: (_run, r) => {
        const wire = cairnProxy.up() + cairnProxy.down();
        const bad = t.verify(dir);
        if (bad) return bad;
        rep.add('cairn', 'bytes on the wire', 'bytes', wire);
        const j = r.steps[0] ? cairnJson(r.steps[0]) : null;
        if (j) {
          rep.add('cairn', 'payload bytes (--json: received + sent)', 'bytes', j.bytesReceived + j.bytesSent);
          rep.add('cairn', 'requests', 'count', j.requests);
        }
        b.log(`    cairn: ${fmtBytes(wire)} on the wire`);
        t.dispose(dir);
        return null;
      },
    });
  }
  if (t.gitRepo !== null && gitProxy) {
    const url = srv.gitUrl(t.gitRepo);
    let dir = '';
    peers.push({
      peer: 'git',
      metric: 'clone',
      setup: async () => {
        dir = b.freshPath('clone-git');
        gitProxy.reset();
        return null;
      },
      timed: () => [b.gitCmd(['clone', '-q', url, dir], b.session, { label: `git clone ${url}` })],
      verify: () => {
        const wire = gitProxy.up() + gitProxy.down();
        const bad = t.verify(dir);
        if (bad) return bad;
        rep.add('git', 'bytes on the wire', 'bytes', wire);
        b.log(`    git: ${fmtBytes(wire)} on the wire`);
        t.dispose(dir);
        return null;
      },
    });
  }
  await repeat(b, rep, peers);
  rep.ratioCheck('clone time', ['cairn', 'clone'], ['git', 'clone'], 1.0);
  rep.ratioCheck('clone bytes on the wire', ['cairn', 'bytes on the wire'], ['git', 'bytes on the wire'], 1.0);
  rep.notes.push(
    'the issue sets no limit for clone: the 1.0× shown is "no slower / no bigger than git". Each run clones into a new folder (worktree checked out, verified: file count, bytes, sampled contents).',
  );
  rep.notes.push(
    'bytes on the wire: TCP payload both ways through a counting proxy on 127.0.0.1 in front of each server (HTTP headers and git pkt-line framing included); cairn serve logs each request to a file, git daemon runs without --verbose.',
  );
}
