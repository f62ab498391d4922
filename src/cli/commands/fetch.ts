// `cairn fetch [REMOTE]`: bring a remote's branches (as REMOTE/BRANCH) and new tags into this replica.
import type { Command } from 'commander';
import { currentBranch } from '../../ops/history/rev-parse.js';
import { fetchRemote, type FetchResult } from '../../sync/client/fetch.js';
import { printJson, type CommandContext } from '../context.js';
import { formatSize, shortId } from '../format.js';
import { repoAction } from '../repo-action.js';
import { remoteOptions, remoteTarget, who } from '../sync-common.js';
import type { Repository } from '../../store/repository.js';

interface FetchFlags {
  json?: boolean;
  prune?: boolean;
  repair?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('fetch')
    .description("download a remote's new commits; its branches become REMOTE/BRANCH (your branches are not touched)")
    .argument('[remote]', "remote name or URL (default: the current branch's upstream remote, else origin)")
    .option('-p, --prune', 'delete remote-tracking refs (REMOTE/BRANCH) whose branch the remote no longer has')
    .option('--repair', 'also bring back objects missing from the local store (after cairn fsck found some), whatever the refs say')
    .option('--json', 'print the result as JSON (progress as JSON lines on stderr)')
    .addHelpText(
      'after',
      `
After a fetch, compare with 'cairn log main..origin/main' or 'cairn status', and merge with
'cairn merge origin/main' (or use 'cairn pull'). A fetch that finds nothing new costs one request.
A fetch that meets an object lost from the local store repairs it from the remote by itself;
--repair checks the whole local store first (as costly as 'cairn fsck') and repairs what it can.

Examples:
  $ cairn fetch
  $ cairn fetch backup
  $ cairn fetch --prune
  $ cairn fetch --repair`,
    )
    .action(
      repoAction(ctx, async ({ repo, transferProgress: progress }, remote: string | undefined, opts: FetchFlags) => {
        const res = await fetchInto(ctx, repo, remote ?? defaultRemote(repo), progress.report, {
          prune: opts.prune === true,
          repair: opts.repair === true,
        });
        progress.stop();
        if (opts.json) printJson(ctx, res);
        else ctx.out.write(describeFetch(res));
      }),
    );
}

export function defaultRemote(repo: Repository): string {
  const branch = currentBranch(repo);
  return (branch !== null ? repo.config.get(`branch.${branch}.remote`) : undefined) ?? 'origin';
}

export async function fetchInto(
  ctx: CommandContext,
  repo: Repository,
  remote: string,
  report: FetchOptionsProgress,
  extra: { prune?: boolean; repair?: boolean } = {},
): Promise<FetchResult> {
  const target = remoteTarget(repo, remote);
  return fetchRemote(repo, {
    url: target.url,
    remoteName: target.remoteName,
    who: who(ctx, repo),
    progress: report,
    prune: extra.prune,
    repair: extra.repair,
    ...remoteOptions(ctx, target.url),
  });
}

type FetchOptionsProgress = Parameters<typeof fetchRemote>[1]['progress'];

export function describeFetch(res: FetchResult): string {
  let s = '';
  if (res.received > 0 || res.listed > 0)
    s += `Received ${res.received} object(s), ${formatSize(res.bytesReceived)}${res.listed > res.requested ? ` (${res.listed - res.requested} already here)` : ''}\n`;
  if (res.repaired !== undefined && res.repaired > 0) s += `Repaired ${res.repaired} object(s) missing from the local store\n`;
  for (const u of res.updated) {
    const short = u.ref.replace(/^refs\/(remotes|tags)\//, '');
    s += u.old === null ? ` * [new] ${short} -> ${shortId(u.new)}\n` : `   ${shortId(u.old)}..${shortId(u.new)}  ${short}\n`;
  }
  for (const p of res.pruned) s += ` - [deleted] ${p.ref.slice('refs/remotes/'.length)} (was ${shortId(p.old)}; gone from the remote)\n`;
  for (const t of res.tagConflicts)
    s += ` ! [kept] ${t.ref.slice('refs/tags/'.length)}: yours is ${shortId(t.local)}, the remote's is ${shortId(t.remote)}\n`;
  if (s === '') s = `Already up to date with ${res.remote ?? res.url}.\n`;
  return s;
}
