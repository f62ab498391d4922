// `cairn snapshot [PATH...] -m MSG [--tag NAME] [--push REMOTE]`: the CI one-liner — stage all,
// commit if anything changed, tag, push. Exit 0 when a commit was made, 1 when nothing changed.
import type { Command } from 'commander';
import { CairnError, UsageError, withContext } from '../../errors.js';
import { resolveAuthor } from '../../ops/identity.js';
import { currentBranch } from '../../ops/history/rev-parse.js';
import { snapshot, type SnapshotResult } from '../../ops/snapshot.js';
import { toRepoPath } from '../../ops/worktree/scan.js';
import type { Repository } from '../../store/repository.js';
import { pushRefs, type PushedRef, type Refspec } from '../../sync/client/push.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { formatSize, humanText, shortId } from '../format.js';
import { commitTime } from '../merge-output.js';
import { repoAction } from '../repo-action.js';
import { remoteOptions, remoteTarget, transferProgress, who, type RemoteTarget, setUpstreams } from '../sync-common.js';

interface SnapshotFlags {
  message: string;
  tag?: string;
  forceTag?: boolean;
  push?: string;
  exitZero?: boolean;
  json?: boolean;
}

/** What --push did: the remote as named, its URL, and each ref sent (or found up to date). */
interface SnapshotPush {
  remote: string;
  url: string;
  refs: PushedRef[];
  /** Objects sent, and bytes on the wire (requests and answers). */
  objects: number;
  bytesSent: number;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('snapshot')
    .description('stage every change (new, modified, deleted files), commit if anything changed, and optionally tag')
    .argument('[paths...]', 'files or folders to stage (default: the whole worktree)')
    .requiredOption('-m, --message <msg>', 'commit message')
    .option('--tag <name>', 'tag the resulting HEAD (no-op when the tag already names it)')
    .option('--force-tag', 'move the tag when it names another commit (default: refuse, exit 6)')
    .option('--push <remote>', 'then push the current branch (and the tag) to the same names on REMOTE (a remote name or URL)')
    .option('--exit-zero', 'exit 0 also when nothing changed (for `set -e` scripts)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Safe to re-run: with nothing new, no commit is made and a tag already on HEAD is left alone.
Files matched by .cairnignore are skipped unless already tracked. Changes staged earlier with
'cairn add' are committed too. Refuses to run while a merge is in progress (exit 5).

Exit status: 0 when a commit was made, 1 when nothing changed (use --exit-zero, '|| true', or the
JSON field "committed"), 6 when the tag names another commit (use --force-tag to move it) or the
push is not a fast-forward, 8 when the remote fails. A failed push keeps the commit: run again.

Author and clock as for 'cairn commit' (CAIRN_AUTHOR_NAME, CAIRN_AUTHOR_EMAIL, CAIRN_COMMIT_TIME).

Examples:
  $ cairn snapshot -m "nightly export"
  $ cairn snapshot data/ -m "build $BUILD_ID" --tag "build-$BUILD_ID" --push origin --exit-zero --json`,
    )
    .action(
      repoAction(ctx, async ({ repo, progress }, paths: string[], opts: SnapshotFlags) => {
        // Checked before anything is staged or committed, so a typo costs nothing.
        const target = opts.push === undefined ? undefined : pushTarget(repo, opts.push);
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
        for (const w of res.warnings ?? []) ctx.err.write(`${ctx.color.yellow('warning:')} ${humanText(w)}\n`);
        for (const u of res.unstorable)
          ctx.err.write(`${ctx.color.yellow('warning:')} skipped '${humanText(u.path)}': ${humanText(u.reason)}\n`);
        if (!opts.json) printHuman(ctx, res, opts.message);
        const pushed = target === undefined ? null : await pushSnapshot(ctx, repo, target, res, opts);
        if (opts.json) printJson(ctx, toJson(res, pushed));
        else if (pushed !== null) printPush(ctx, pushed);
        return res.committed || opts.exitZero ? EXIT.OK : EXIT.FALSE;
      }),
    );
}

function pushTarget(repo: Repository, remote: string): RemoteTarget & { name: string } {
  if (currentBranch(repo) === null) throw new UsageError('HEAD is detached: --push sends the current branch; switch to a branch first');
  return { ...remoteTarget(repo, remote), name: remote };
}

/**
 * Pushes the branch (and the tag) to the same names. A tag moved by --force-tag is pushed forced
 * on its own, so the branch itself is never forced. A failure keeps the commit; rerunning resumes.
 */
async function pushSnapshot(
  ctx: CommandContext,
  repo: Repository,
  target: RemoteTarget & { name: string },
  res: SnapshotResult,
  opts: SnapshotFlags,
): Promise<SnapshotPush> {
  const branch = `refs/heads/${res.branch!}`;
  const tag: Refspec[] = res.tag === null ? [] : [{ src: `refs/tags/${res.tag.name}`, dst: `refs/tags/${res.tag.name}` }];
  const batches: { refspecs: Refspec[]; force: boolean }[] =
    opts.forceTag && tag.length > 0
      ? [
          { refspecs: [{ src: branch, dst: branch }], force: false },
          { refspecs: tag, force: true },
        ]
      : [{ refspecs: [{ src: branch, dst: branch }, ...tag], force: false }];
  const progress = transferProgress(ctx, opts.json === true);
  const out: SnapshotPush = { remote: target.name, url: target.url, refs: [], objects: 0, bytesSent: 0 };
  try {
    for (const b of batches) {
      const r = await pushRefs(repo, {
        url: target.url,
        remoteName: target.remoteName,
        refspecs: b.refspecs,
        force: b.force,
        who: who(ctx, repo),
        progress: progress.report,
        ...remoteOptions(ctx, target.url),
      });
      out.refs.push(...r.refs);
      out.objects += r.received;
      out.bytesSent += r.bytesSent;
    }
    // As a first `cairn push` does: the branch now tracks what it was pushed to.
    if (target.remoteName !== undefined) setUpstreams(repo, target.remoteName, [{ src: branch, dst: branch }], false);
  } catch (err) {
    if (err instanceof CairnError) {
      const kept = res.commit === null ? '' : `the snapshot is committed (${shortId(res.commit)}) but the `;
      throw withContext(err, `${kept}push to '${target.name}' failed: `, { commit: res.commit, head: res.head });
    }
    throw err;
  } finally {
    progress.stop();
  }
  return out;
}

/** The documented JSON record (docs/CLI.md); `pushed` is null unless --push ran. */
function toJson(res: SnapshotResult, pushed: SnapshotPush | null): Record<string, unknown> {
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
    pushed,
  };
}

function printPush(ctx: CommandContext, p: SnapshotPush): void {
  for (const r of p.refs) {
    const name = r.dst.replace(/^refs\/(heads|tags)\//, '');
    if (r.status === 'up-to-date') ctx.out.write(`${p.remote}: ${name} up to date\n`);
    else if (r.new === null) ctx.out.write(`${p.remote}: ${name} deleted\n`);
    else if (r.old === null) ctx.out.write(`${p.remote}: ${name} created at ${shortId(r.new)}\n`);
    else ctx.out.write(`${p.remote}: ${name} ${shortId(r.old)}${r.forced ? '...' : '..'}${shortId(r.new)}${r.forced ? ' (forced)' : ''}\n`);
  }
  if (p.objects > 0) ctx.out.write(`${p.remote}: sent ${p.objects} object(s), ${formatSize(p.bytesSent)}\n`);
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
