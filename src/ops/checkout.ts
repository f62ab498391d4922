// `checkout REV`: a branch name switches to that branch; anything else (id, tag, HEAD~2, a
// remote-tracking ref) detaches HEAD at that commit, as in git.
import { UsageError } from '../errors.js';
import type { Repository } from '../store/repository.js';
import type { ProgressFn } from './progress.js';
import { switchBranch, type SwitchResult } from './switch.js';

export interface CheckoutOptions {
  rev: string;
  force?: boolean;
  who?: string;
  onProgress?: ProgressFn;
}

export type CheckoutResult = SwitchResult;

export function checkout(repo: Repository, opts: CheckoutOptions): CheckoutResult {
  if (opts.rev === '') throw new UsageError('checkout: name a branch or revision');
  const common = { force: opts.force, who: opts.who, action: 'checkout', onProgress: opts.onProgress };
  if (repo.refs.read(`refs/heads/${opts.rev}`) !== undefined) return switchBranch(repo, { ...common, branch: opts.rev });
  return switchBranch(repo, { ...common, detach: opts.rev });
}
