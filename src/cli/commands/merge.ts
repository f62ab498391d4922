// `cairn merge [--no-ff|--ff-only] [--favor RULE] REV`, `cairn merge --continue`, `cairn merge --abort`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { resolveAuthor } from '../../ops/identity.js';
import { merge, type MergeResult } from '../../ops/merge.js';
import { mergeAbort, mergeContinue } from '../../ops/merge/finish.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { commitTime, conflictLine, parseFavor, printExactJson } from '../merge-output.js';
import { repoAction } from '../repo-action.js';
import { humanText, quotePath } from '../format.js';

interface MergeFlags {
  ff: boolean;
  ffOnly?: boolean;
  favor?: string;
  message?: string;
  continue?: boolean;
  abort?: boolean;
  allowUnrelatedHistories?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('merge')
    .description('merge another branch or commit into the current branch (JSON, JSON Lines and CSV are merged as data)')
    .argument('[rev]', 'branch, tag or commit to merge')
    .option('--no-ff', 'always create a merge commit, even when a fast-forward is possible')
    .option('--ff-only', 'refuse unless the merge is a fast-forward')
    .option('--favor <rule>', 'settle every conflict: ours, theirs, or newer (the side whose commit is more recent)')
    .option('-m, --message <msg>', "message of the merge commit (default: Merge branch 'REV')")
    .option('--continue', 'commit the merge once every conflict is resolved')
    .option('--abort', 'give up the merge: files and index back to exactly how they were before it')
    .option('--allow-unrelated-histories', 'merge a history that shares no commit with HEAD (against an empty base)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Exit status 5 when the merge stops on conflicts: the merged files are in the worktree (JSON, JSON Lines
and CSV stay valid, holding ours' value at each conflict; text files get conflict markers). See them
with 'cairn conflicts', settle them with 'cairn resolve PATH [--ours|--theirs|--pointer P --value JSON]',
then 'cairn merge --continue' — or 'cairn merge --abort'. Files the merge would touch must have no
uncommitted changes (exit 6). Driver per path: .cairnattributes lines such as 'data/*.json merge=json key=sku'.
--favor settles content, modify/delete, add/add, type and rename conflicts; a directory/file collision
stays a conflict (settling it would drop a whole folder or file). Criss-cross histories are merged
against a virtual base built from all their best common ancestors (see 'cairn merge-base --all').

Example:
  $ cairn merge feature
  $ cairn merge --favor newer nightly-import`,
    )
    .action(
      repoAction(ctx, ({ repo, progress }, rev: string | undefined, opts: MergeFlags) => {
        const author = resolveAuthor(repo, ctx.env);
        if (opts.continue || opts.abort) {
          if (opts.continue && opts.abort) throw new UsageError('choose one of --continue and --abort');
          if (rev !== undefined) throw new UsageError(`--${opts.continue ? 'continue' : 'abort'} takes no revision`);
          if (opts.abort) {
            const res = mergeAbort(repo);
            if (opts.json) printJson(ctx, res);
            else if (res.alreadyCommitted)
              ctx.out.write(`The merge was already committed (HEAD is ${res.head!.slice(0, 12)}); cleared the leftover merge state.\n`);
            else if (res.dropped)
              ctx.out.write('HEAD moved since the merge began: dropped the merge state; files and index left as they are.\n');
            else
              ctx.out.write(
                `Merge aborted: HEAD, index and files are back at ${res.head!.slice(0, 12)} (${res.restored.length} file(s) restored, ${res.removed.length} removed).\n`,
              );
            return EXIT.OK;
          }
          const res = mergeContinue(repo, { author, message: opts.message, ...commitTime(ctx) });
          if (opts.json) printJson(ctx, res);
          else if (res.committed)
            ctx.out.write(`[${res.branch ?? 'detached HEAD'} ${res.id.slice(0, 12)}] ${res.message.split('\n')[0]}\n`);
          return EXIT.OK;
        }
        if (rev === undefined) throw new UsageError('merge: name the branch or commit to merge (or use --continue / --abort)');
        if (!opts.ff && opts.ffOnly) throw new UsageError('--no-ff and --ff-only cannot be combined');
        const res = merge(repo, {
          rev,
          author,
          ...commitTime(ctx),
          message: opts.message,
          ff: opts.ffOnly ? 'only' : opts.ff ? 'auto' : 'never',
          favor: parseFavor(opts.favor),
          allowUnrelated: opts.allowUnrelatedHistories,
          onProgress: progress.report,
        });
        progress.stop();
        if (!opts.json) for (const w of res.warnings ?? []) ctx.err.write(`${ctx.color.yellow('warning:')} ${humanText(w)}\n`);
        if (opts.json) printExactJson(ctx, res);
        else ctx.out.write(describeMerge(res, opts.favor));
        return res.status === 'conflicts' ? EXIT.CONFLICTS : EXIT.OK;
      }),
    );
}

export function describeMerge(res: MergeResult, favorRule?: string): string {
  const counts = `(${res.updated} file(s) updated, ${res.removed} removed)`;
  if (res.status === 'up-to-date') return 'Already up to date.\n';
  if (res.status === 'fast-forward')
    return `Updating ${res.previous?.slice(0, 12) ?? '(unborn)'}..${res.theirs.slice(0, 12)}\nFast-forward ${counts}\n`;
  const ours = res.branch ?? 'HEAD';
  let s = res.resumed ? 'Finishing the interrupted merge.\n' : '';
  if (res.bases.length > 1) s += `Merge base: virtual, merged from ${res.bases.length} common ancestors (criss-cross history)\n`;
  for (const r of res.renames)
    s += `Renamed ${quotePath(r.from)} -> ${quotePath(r.to)} (in ${r.side === 'ours' ? ours : res.theirsLabel}); merged the other side's changes into it\n`;
  for (const m of res.merged)
    s += `Auto-merging ${quotePath(m.path)} (${m.driver})${m.fallback !== undefined ? ` [fallback: ${humanText(m.fallback)}]` : ''}\n`;
  if (res.settled > 0)
    s += `Settled ${res.settled} conflict(s) in favor of ${res.favored === 'ours' ? ours : res.theirsLabel} (--favor ${favorRule ?? res.favored}).\n`;
  if (res.status === 'merged') return `${s}Merge made: [${ours} ${res.commit!.slice(0, 12)}] ${counts}\n`;
  for (const c of res.conflicts) s += `${conflictLine(c, ours, res.theirsLabel)}\n`;
  return `${s}Automatic merge failed: ${res.conflicts.length} conflicted path(s). Fix them and mark them with 'cairn resolve PATH' (see 'cairn conflicts'), then run 'cairn merge --continue' (or 'cairn merge --abort').\n`;
}
