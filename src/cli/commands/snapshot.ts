// `cairn snapshot [PATH...] -m MSG [--tag NAME] [--push REMOTE]`: the CI one-liner — stage all,
// commit if anything changed, tag, push. Exit 0 when a commit was made, 1 when nothing changed.
import type { Command } from 'commander';
import { resolveAuthor } from '../../ops/identity.js';
import { snapshot, type SnapshotResult } from '../../ops/snapshot.js';
import { toRepoPath } from '../../ops/worktree-scan.js';
import { openRepo, printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { formatSize, shortId } from '../format.js';
import { commitTime } from '../merge-output.js';
import { progressRenderer } from '../progress.js';
import { action } from '../run-action.js';

interface SnapshotFlags {
  message: string;
  tag?: string;
  forceTag?: boolean;
  exitZero?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('snapshot')
    .description('stage every change (new, modified, deleted files), commit if anything changed, and optionally tag')
    .argument('[paths...]', 'files or folders to stage (default: the whole worktree)')
    .requiredOption('-m, --message <msg>', 'commit message')
    .option('--tag <name>', 'tag the resulting HEAD (no-op when the tag already names it)')
    .option('--force-tag', 'move the tag when it names another commit (default: refuse, exit 6)')
    .option('--exit-zero', 'exit 0 also when nothing changed (for `set -e` scripts)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Safe to re-run: with nothing new, no commit is made and a tag already on HEAD is left alone.
Files matched by .cairnignore are skipped unless already tracked. Changes staged earlier with
'cairn add' are committed too. Refuses to run while a merge is in progress (exit 5).

Exit status: 0 when a commit was made, 1 when nothing changed (use --exit-zero, '|| true', or the
JSON field "committed"), 6 when the tag names another commit (use --force-tag to move it).

Author and clock as for 'cairn commit' (CAIRN_AUTHOR_NAME, CAIRN_AUTHOR_EMAIL, CAIRN_COMMIT_TIME).

Examples:
  $ cairn snapshot -m "nightly export"
  $ cairn snapshot data/ -m "build $BUILD_ID" --tag "build-$BUILD_ID" --exit-zero --json`,
    )
    .action(
      action(ctx, (paths: string[], opts: SnapshotFlags) => {
        const repo = openRepo(ctx);
        const progress = progressRenderer(ctx.isTTY);
        try {
          const res = snapshot(repo, {
            paths: paths.length === 0 ? [''] : paths.map((p) => toRepoPath(repo, ctx.cwd, p)),
            message: opts.message,
            author: resolveAuthor(repo, ctx.env),
            ...commitTime(ctx),
            tag: opts.tag,
            forceTag: opts.forceTag === true,
            onProgress: progress.report,
          });
          progress.stop();
          for (const u of res.unstorable) ctx.err.write(`${ctx.color.yellow('warning:')} skipped '${u.path}': ${u.reason}\n`);
          if (opts.json) printJson(ctx, toJson(res));
          else printHuman(ctx, res, opts.message);
          return res.committed || opts.exitZero ? EXIT.OK : EXIT.FALSE;
        } finally {
          progress.stop();
          repo.close();
        }
      }),
    );
}

/** The documented JSON record (docs/CLI.md); `pushed` is null unless --push ran. */
function toJson(res: SnapshotResult): Record<string, unknown> {
  return {
    committed: res.committed,
    commit: res.commit,
    parent: res.parent,
    head: res.head,
    branch: res.branch,
    added: res.added,
    modified: res.modified,
    deleted: res.deleted,
    bytes: res.bytes,
    tag: res.tag,
    pushed: null,
  };
}

function printHuman(ctx: CommandContext, res: SnapshotResult, message: string): void {
  const where = res.branch ?? 'detached HEAD';
  if (res.committed) {
    const root = res.parent === null ? ' (root-commit)' : '';
    ctx.out.write(`[${where}${root} ${shortId(res.commit!)}] ${message.split('\n')[0]}\n`);
    ctx.out.write(` ${res.added} added, ${res.modified} modified, ${res.deleted} deleted (${formatSize(res.bytes)})\n`);
  } else if (res.head === null) ctx.out.write('nothing to snapshot: no files and no commits yet\n');
  else ctx.out.write(`nothing changed since ${shortId(res.head)} on ${where}; no commit made\n`);
  const t = res.tag;
  if (t === null) return;
  if (!t.changed) ctx.out.write(`tag '${t.name}' already at ${shortId(t.id)}\n`);
  else if (t.previous === null) ctx.out.write(`tagged '${t.name}' at ${shortId(t.id)}\n`);
  else ctx.out.write(`moved tag '${t.name}' to ${shortId(t.id)} (was ${shortId(t.previous)})\n`);
}
