// `clone`: a new full replica of a remote repository, with the remote's default branch checked
// out and tracking it. An interrupted clone leaves a repository marked `clone.pending`; running the
// same clone again resumes it (objects already received are not asked for again).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AlreadyExistsError, NotFoundError, quoteForMessage, RemoteError } from '../../errors.js';
import { checkRefName, refNameProblem } from '../../core/names.js';
import { CAIRN_DIR, DB_FILE, DEFAULT_BRANCH, Repository } from '../../store/repository.js';
import { readCommit } from '../../store/typed-objects.js';
import { materialize } from '../../ops/worktree/materialize.js';
import { checkRemoteName } from '../../ops/remote/remote.js';
import type { ProgressFn } from '../../ops/progress.js';
import { RemoteClient, type RemoteOptions } from './http-client.js';
import { moveTrackingRefs, transfer, type TransferStats } from './fetch.js';

export interface CloneOptions extends RemoteOptions {
  url: string;
  dir: string;
  remoteName?: string;
  /** Branch to check out; default the remote's HEAD branch. */
  branch?: string;
  who: string;
  progress?: ProgressFn;
}

export interface CloneResult extends TransferStats {
  root: string;
  branch: string;
  head: string | null;
  files: number;
  bytes: number;
  resumed: boolean;
  /**
   * DIR was already a finished clone of this URL, left as it was: the run that made it was killed
   * between its last write and its exit, and a script re-ran it. Nothing was transferred.
   */
  alreadyCloned: boolean;
}

export const PENDING_KEY = 'clone.pending';

export async function cloneRepo(opts: CloneOptions): Promise<CloneResult> {
  const remoteName = opts.remoteName ?? 'origin';
  // Checked before anything is created: the name becomes config keys and refs/remotes/NAME/*.
  checkRemoteName(remoteName);
  if (opts.branch !== undefined) checkRefName(opts.branch); // it becomes HEAD and a local branch
  const root = resolve(opts.dir);
  const client = new RemoteClient(opts.url, opts);
  let repo: Repository | undefined;
  try {
    const advert = await client.refs();
    // Branch names come from the server: a malformed one is never made a local branch.
    const heads = advert.refs.filter((r) => r.name.startsWith('refs/heads/') && refNameProblem(r.name) === null);
    const bad =
      advert.refs.find((r) => refNameProblem(r.name) !== null) ??
      (advert.head !== null && refNameProblem(advert.head) !== null ? { name: advert.head } : undefined);
    if (bad !== undefined && heads.length === 0) {
      throw new RemoteError(
        opts.url,
        `the remote advertises an invalid ref name '${quoteForMessage(bad.name, 100)}' and no valid branch; nothing was cloned`,
        { url: opts.url },
      );
    }
    // A repository created by pushing some other branch has a HEAD naming a branch that does not
    // exist: check out a branch it has rather than nothing.
    const head = heads.some((r) => r.name === advert.head) ? advert.head : null;
    const wanted =
      opts.branch !== undefined ? `refs/heads/${opts.branch}` : (head ?? heads[0]?.name ?? advert.head ?? `refs/heads/${DEFAULT_BRANCH}`);
    const tip = advert.refs.find((r) => r.name === wanted)?.id ?? null;
    if (opts.branch !== undefined && tip === null)
      throw new NotFoundError(`the remote has no branch '${opts.branch}'`, { branch: opts.branch });
    const branch = wanted.slice('refs/heads/'.length);

    let resumed = false;
    // A clone killed while creating its repository leaves DIR holding only an unfinished .cairn:
    // nothing in it is worth keeping, so it is made again.
    if (existsSync(root) && readdirSync(root).join('/') === CAIRN_DIR && !Repository.isFinished(root)) {
      rmSync(join(root, CAIRN_DIR), { recursive: true, force: true });
    }
    if (existsSync(join(root, CAIRN_DIR, DB_FILE))) {
      repo = Repository.open(root);
      const pending = repo.config.get(PENDING_KEY);
      if (repo.root === root && pending === undefined && repo.config.get(`remote.${remoteName}.url`) === opts.url) {
        const head = repo.refs.read('HEAD');
        const current = head?.symbolic ? head.target.replace(/^refs\/heads\//, '') : branch;
        const none = { listed: 0, requested: 0, received: 0, bytesSent: 0, bytesReceived: 0, requests: client.traffic.requests };
        return { ...none, root, branch: current, head: repo.refs.resolve('HEAD'), files: 0, bytes: 0, resumed: false, alreadyCloned: true };
      }
      if (repo.root !== root || pending !== opts.url) {
        throw new AlreadyExistsError(`${root} is already a cairn repository; clone into a new folder`, { dir: root });
      }
      resumed = true;
    } else {
      if (existsSync(root) && readdirSync(root).length > 0)
        throw new AlreadyExistsError(`destination ${root} exists and is not empty`, { dir: root });
      // The pending mark is written with HEAD, in one transaction: any finished repository a
      // killed clone leaves is recognisably resumable.
      repo = Repository.init(root, {
        initialBranch: branch,
        config: { [PENDING_KEY]: opts.url, [`remote.${remoteName}.url`]: opts.url },
      }).repo;
    }
    const stats = await transfer(repo, client, advert, opts.progress);
    moveTrackingRefs(repo, advert, { remoteName, who: opts.who, url: opts.url });
    let files = 0;
    let bytes = 0;
    if (tip !== null) {
      repo.config.set(`branch.${branch}.remote`, remoteName);
      repo.config.set(`branch.${branch}.merge`, wanted);
      const local = repo.refs.resolve(wanted);
      const r = repo;
      const res = materialize(repo, {
        from: null,
        to: readCommit(repo.objects, tip).tree,
        force: true,
        action: 'clone',
        onProgress: opts.progress,
        moveHead: () => {
          if (local !== tip) r.refs.update([{ name: wanted, expected: local, next: tip }], opts.who, `clone: from ${opts.url}`);
        },
      });
      files = res.updated;
      bytes = res.bytes;
    }
    repo.config.unset(PENDING_KEY);
    return { ...stats, root, branch, head: tip, files, bytes, resumed, alreadyCloned: false };
  } finally {
    repo?.close();
    await client.close();
  }
}
