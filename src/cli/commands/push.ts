// `cairn push [REMOTE] [BRANCH[:REMOTE_BRANCH]...] [--all] [--tags] [--force] [-u]`.
import type { Command } from 'commander';
import { NotFoundError, UsageError } from '../../errors.js';
import type { Repository } from '../../store/repository.js';
import { currentBranch } from '../../ops/history/rev-parse.js';
import { pushRefs, type PushResult, type Refspec } from '../../sync/client/push.js';
import { printJson, type CommandContext } from '../context.js';
import { formatSize, shortId } from '../format.js';
import { repoAction } from '../repo-action.js';
import { remoteOptions, remoteTarget, setUpstreams, who } from '../sync-common.js';
import { defaultRemote } from './fetch.js';

interface PushFlags {
  delete?: boolean;
  all?: boolean;
  tags?: boolean;
  force?: boolean;
  setUpstream?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('push')
    .description('send branches and tags to a remote (only the objects it lacks)')
    .argument('[remote]', "remote name or URL (default: the current branch's upstream remote, else origin)")
    .argument('[branches...]', 'branches to push, each BRANCH or LOCAL:REMOTE (default: the current branch to its upstream)')
    .option('--all', 'push every local branch')
    .option('--tags', 'push every tag')
    .option('-f, --force', 'allow updates that are not fast-forwards (overwrites commits on the remote)')
    .option('-u, --set-upstream', 'make the remote branch the upstream of the local one (done anyway on a first push)')
    .option('-d, --delete', "delete the named branches or tags on the remote (and this replica's remote-tracking refs of them)")
    .option('--json', 'print the result as JSON (progress as JSON lines on stderr)')
    .addHelpText(
      'after',
      `
A push that is not a fast-forward is rejected (exit 6): fetch and merge first ('cairn pull'), then
push again. If someone else pushes to the same branch at the same moment, one push wins and the
other is rejected the same way. An interrupted push, run again, does not resend what arrived.
With --delete, each name is a branch (else a tag) on the remote; the deletion is refused (exit 6)
if the ref changes on the remote while the push runs, or if the server forbids forced updates.

Examples:
  $ cairn push
  $ cairn push origin main
  $ cairn push origin main:release --tags
  $ cairn push origin --delete old-experiment`,
    )
    .action(
      repoAction(ctx, async ({ repo, transferProgress: progress }, remote: string | undefined, branches: string[], opts: PushFlags) => {
        const remoteArg = remote ?? defaultRemote(repo);
        const target = remoteTarget(repo, remoteArg);
        const specs = refspecs(repo, target.remoteName, branches, opts);
        const res = await pushRefs(repo, {
          url: target.url,
          remoteName: target.remoteName,
          refspecs: specs,
          force: opts.force,
          who: who(ctx, repo),
          progress: progress.report,
          ...remoteOptions(ctx, target.url),
        });
        progress.stop();
        const upstreams = target.remoteName === undefined ? [] : setUpstreams(repo, target.remoteName, specs, opts.setUpstream === true);
        if (opts.json) printJson(ctx, { ...res, upstreams });
        else ctx.out.write(describePush(res, upstreams));
      }),
    );
}

function refspecs(repo: Repository, remoteName: string | undefined, args: readonly string[], opts: PushFlags): Refspec[] {
  if (opts.delete) {
    if (opts.all || opts.tags) throw new UsageError('--delete cannot be combined with --all or --tags');
    if (args.length === 0) throw new UsageError('name the remote branches or tags to delete: cairn push REMOTE --delete NAME...');
    return unique(args.map((a) => ({ src: null, dst: a })));
  }
  const specs: Refspec[] = [];
  if (opts.all) for (const b of repo.refs.list('refs/heads/')) specs.push({ src: b.name, dst: b.name });
  if (opts.tags) for (const t of repo.refs.list('refs/tags/')) specs.push({ src: t.name, dst: t.name });
  for (const a of args) {
    const [l, r] = a.includes(':') ? (a.split(':', 2) as [string, string]) : [a, a];
    if (l === '' || r === '')
      throw new UsageError(
        `bad branch spec '${a}': use BRANCH or LOCAL:REMOTE (to delete a remote branch: cairn push REMOTE --delete BRANCH)`,
      );
    specs.push({ src: qualify(repo, l), dst: qualify(repo, r, l) });
  }
  if (specs.length === 0) {
    const branch = currentBranch(repo);
    if (branch === null) throw new UsageError('HEAD is detached: name the branch to push (cairn push REMOTE BRANCH)');
    const merge =
      remoteName !== undefined && repo.config.get(`branch.${branch}.remote`) === remoteName
        ? repo.config.get(`branch.${branch}.merge`)
        : undefined;
    specs.push({ src: `refs/heads/${branch}`, dst: merge ?? `refs/heads/${branch}` });
  }
  return unique(specs);
}

/** `--all main` or `--tags v1` name a ref twice: once is enough; two sources for one ref is an error. */
function unique(specs: readonly Refspec[]): Refspec[] {
  const byDst = new Map<string, Refspec>();
  for (const s of specs) {
    const seen = byDst.get(s.dst);
    if (seen === undefined) byDst.set(s.dst, s);
    else if (seen.src !== s.src) throw new UsageError(`both ${seen.src} and ${s.src} would be pushed to ${s.dst}: name one`);
  }
  return [...byDst.values()];
}

/** BRANCH or TAG (local side decides which when the name exists), or a full refs/... name. */
function qualify(repo: Repository, name: string, localName = name): string {
  if (name.startsWith('refs/')) return name;
  if (repo.refs.resolve(`refs/heads/${localName}`) !== null) return `refs/heads/${name}`;
  if (repo.refs.resolve(`refs/tags/${localName}`) !== null) return `refs/tags/${name}`;
  throw new NotFoundError(`no local branch or tag '${localName}' to push`, { name: localName });
}

function describePush(res: PushResult, upstreams: readonly string[]): string {
  let s = '';
  if (res.requested > 0)
    s += `Sent ${res.received} object(s), ${formatSize(res.bytesSent)}${res.alreadyThere > 0 ? ` (${res.alreadyThere} already on the remote)` : ''}\n`;
  s += `To ${res.url}\n`;
  for (const r of res.refs) {
    const name = r.dst.replace(/^refs\/(heads|tags)\//, '');
    if (r.status === 'up-to-date') s += `   = ${name} (up to date)\n`;
    else if (r.new === null) s += ` - [deleted] ${name} (was ${shortId(r.old!)})\n`;
    else if (r.old === null) s += ` * [new] ${name} -> ${shortId(r.new)}\n`;
    else s += `   ${shortId(r.old)}${r.forced ? '...' : '..'}${shortId(r.new)}  ${name}${r.forced ? ' (forced)' : ''}\n`;
  }
  for (const u of upstreams) s += `Branch ${u} set as upstream.\n`;
  return s;
}
