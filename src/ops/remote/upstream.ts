// Upstreams: which remote branch a local branch tracks, as git keeps it: `branch.<B>.remote` names
// the remote, `branch.<B>.merge` the branch's full ref name on that remote (`refs/heads/<X>`); the
// local copy of that branch is the remote-tracking ref `refs/remotes/<remote>/<X>`.
import { checkRefName } from '../../core/names.js';
import type { Repository } from '../../store/repository.js';
import { checkRemoteName, getRemoteUrl, REMOTES_PREFIX } from './remote.js';

const HEADS = 'refs/heads/';

export interface Upstream {
  remote: string;
  /** The branch's ref name on the remote: refs/heads/X. */
  mergeRef: string;
  /** Its remote-tracking ref here: refs/remotes/<remote>/X. */
  trackingRef: string;
  /** How git and cairn show it: '<remote>/X' (rev-parse resolves it). */
  shortName: string;
}

/**
 * The upstream of local branch `branch`, or undefined when none is configured (or the settings are
 * unusable: a hand-edited value that is not a valid remote name or `refs/heads/…` ref).
 */
export function getUpstream(repo: Repository, branch: string): Upstream | undefined {
  const remote = repo.config.get(`branch.${branch}.remote`);
  const mergeRef = repo.config.get(`branch.${branch}.merge`);
  if (remote === undefined || mergeRef === undefined || !mergeRef.startsWith(HEADS)) return undefined;
  const x = mergeRef.slice(HEADS.length);
  try {
    checkRemoteName(remote);
    checkRefName(x);
  } catch {
    return undefined;
  }
  return { remote, mergeRef, trackingRef: `${REMOTES_PREFIX}${remote}/${x}`, shortName: `${remote}/${x}` };
}

/**
 * Makes local `branch` track `remoteBranch` (a branch name, without refs/heads/) on `remote`, which
 * must be configured. The local branch need not exist yet (clone sets it up before checkout).
 */
export function setUpstream(repo: Repository, branch: string, remote: string, remoteBranch: string): Upstream {
  checkRefName(branch);
  checkRemoteName(remote);
  const x = remoteBranch.startsWith(HEADS) ? remoteBranch.slice(HEADS.length) : remoteBranch;
  checkRefName(x, 'remote branch name');
  getRemoteUrl(repo, remote);
  repo.refs.transaction(() => {
    repo.config.set(`branch.${branch}.remote`, remote);
    repo.config.set(`branch.${branch}.merge`, HEADS + x);
  });
  return getUpstream(repo, branch)!;
}

/** Forgets the upstream of `branch`; whether one was set. */
export function unsetUpstream(repo: Repository, branch: string): boolean {
  return repo.refs.transaction(() => {
    const a = repo.config.unset(`branch.${branch}.remote`);
    const b = repo.config.unset(`branch.${branch}.merge`);
    return a || b;
  });
}
