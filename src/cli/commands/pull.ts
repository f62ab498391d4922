// `cairn pull [REMOTE] [BRANCH]`: fetch, then merge the upstream into the current branch.
import type { Command } from 'commander';
import { NotFoundError, UsageError } from '../../errors.js';
import { resolveAuthor } from '../../ops/identity.js';
import { merge } from '../../ops/merge.js';
import { currentBranch } from '../../ops/history/rev-parse.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { commitTime, parseFavor } from '../merge-output.js';
import { repoAction } from '../repo-action.js';
import { transferProgress } from '../sync-common.js';
import { defaultRemote, describeFetch, fetchInto } from './fetch.js';
import { describeMerge } from './merge.js';

interface PullFlags {
  ffOnly?: boolean;
  favor?: string;
  json?: boolean;
  repair?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('pull')
    .description('fetch from a remote and merge its branch into the current branch (fast-forward when possible)')
    .argument('[remote]', "remote name (default: the current branch's upstream remote, else origin)")
    .argument('[branch]', "remote branch to merge (default: the upstream's branch, else the current branch's name)")
    .option('--ff-only', 'refuse unless the merge is a fast-forward')
    .option('--favor <rule>', 'settle conflicts: ours, theirs or newer (see cairn merge --help)')
    .option('--repair', "also bring back objects missing from the local store (see 'cairn fetch --repair')")
    .option('--json', 'print the result as JSON: {fetch, merge}')
    .addHelpText(
      'after',
      `
The merge is cairn's data-aware merge (JSON, JSON Lines, CSV); on conflicts it stops with exit 5,
as 'cairn merge' does: see 'cairn conflicts', then 'cairn merge --continue'.

Examples:
  $ cairn pull
  $ cairn pull origin main`,
    )
    .action(
      repoAction(ctx, async ({ repo }, remote: string | undefined, branch: string | undefined, opts: PullFlags) => {
        const progress = transferProgress(ctx, opts.json === true);
        try {
          const local = currentBranch(repo);
          if (local === null) throw new UsageError('HEAD is detached: switch to a branch before pulling');
          const remoteName = remote ?? defaultRemote(repo);
          if (/^https?:\/\//i.test(remoteName)) throw new UsageError('pull needs a remote name (cairn remote add NAME URL), not a URL');
          const upstreamMerge =
            repo.config.get(`branch.${local}.remote`) === remoteName ? repo.config.get(`branch.${local}.merge`) : undefined;
          const remoteBranch = branch ?? upstreamMerge?.replace(/^refs\/heads\//, '') ?? local;
          const fetched = await fetchInto(ctx, repo, remoteName, progress.report, { repair: opts.repair === true });
          progress.stop();
          const tracking = `refs/remotes/${remoteName}/${remoteBranch}`;
          if (repo.refs.resolve(tracking) === null)
            throw new NotFoundError(`the remote '${remoteName}' has no branch '${remoteBranch}'`, {
              remote: remoteName,
              branch: remoteBranch,
            });
          const res = merge(repo, {
            rev: tracking,
            author: resolveAuthor(repo, ctx.env),
            ...commitTime(ctx),
            message: `Merge branch '${remoteBranch}' of ${fetched.url}`,
            ff: opts.ffOnly ? 'only' : 'auto',
            favor: parseFavor(opts.favor),
            onProgress: progress.report,
          });
          progress.stop();
          if (opts.json) printJson(ctx, { fetch: fetched, merge: res });
          else ctx.out.write(describeFetch(fetched) + describeMerge(res, opts.favor));
          return res.status === 'conflicts' ? EXIT.CONFLICTS : EXIT.OK;
        } finally {
          progress.stop();
        }
      }),
    );
}
