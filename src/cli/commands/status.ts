// `cairn status`: staged, unstaged and untracked changes, and the current branch against its upstream.
import type { Command } from 'commander';
import { status, type Change, type StatusResult, type UpstreamStatus } from '../../ops/status/status.js';
import { printJson, type CommandContext } from '../context.js';
import { UNMERGED_LABEL, UNMERGED_SHORT } from '../merge-output.js';
import { repoAction } from '../repo-action.js';
import { humanText, quotePath } from '../format.js';

const LABEL: Record<Change['change'], string> = {
  added: 'new file:',
  modified: 'modified:',
  deleted: 'deleted:',
  typechange: 'typechange:',
};
const SHORT: Record<Change['change'], string> = { added: 'A', modified: 'M', deleted: 'D', typechange: 'T' };

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .description('show staged, unstaged and untracked changes')
    .option('-s, --short', 'one line per path: XY PATH (X = staged, Y = worktree, ?? = untracked)')
    .option('-b, --branch', 'with --short: first a "## BRANCH...UPSTREAM [ahead N, behind M]" line')
    .option('-u, --untracked-files <mode>', 'untracked files: normal (folders collapsed), all, no', 'normal')
    .option('--json', 'print the full result as JSON')
    .addHelpText(
      'after',
      `
When the current branch has an upstream (branch.<name>.remote and branch.<name>.merge, set by clone
and push), status says how many commits each side has that the other lacks, as of the last fetch.

Examples:
  $ cairn status --short
  $ cairn status -sb          # ## main...origin/main [ahead 2]`,
    )
    .action(
      repoAction(ctx, ({ repo }, opts: { short?: boolean; branch?: boolean; json?: boolean; untrackedFiles: string }) => {
        const res = status(repo, { untracked: opts.untrackedFiles !== 'no', upstream: true });
        // Folders holding tracked files are needed only to collapse untracked ones: a clean tree
        // never decodes the index here.
        const tracked = new Set<string>();
        if (res.untracked.length > 0 && opts.untrackedFiles !== 'all') {
          for (const e of repo.index.all())
            for (let i = e.path.indexOf('/'); i >= 0; i = e.path.indexOf('/', i + 1)) tracked.add(e.path.slice(0, i));
        }
        const untracked = opts.untrackedFiles === 'all' ? res.untracked : collapse(res.untracked, tracked);
        if (!opts.json) for (const w of res.warnings ?? []) ctx.err.write(`${ctx.color.yellow('warning:')} ${humanText(w)}\n`);
        if (opts.json) printJson(ctx, jsonForm(res, untracked));
        else if (opts.short) ctx.out.write((opts.branch ? branchHeader(ctx, res) : '') + shortFormat(res, untracked));
        else ctx.out.write(longFormat(ctx, res, untracked));
      }),
    );
}

/** Untracked folders holding no tracked file are shown once, as "dir/", like git. */
function collapse(paths: string[], trackedDirs: Set<string>): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    let shown = p;
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!trackedDirs.has(dir)) {
        shown = `${dir}/`;
        break;
      }
    }
    out.add(shown);
  }
  return [...out];
}

/** `upstream` as its short name, with `ahead`/`behind` beside it (null when there is nothing to count). */
function jsonForm(res: StatusResult, untracked: string[]): Record<string, unknown> {
  const { upstream, ...rest } = res;
  const counted = upstream !== undefined && !upstream.gone;
  return {
    ...rest,
    untracked,
    upstream: upstream?.name ?? null,
    upstreamGone: upstream?.gone ?? false,
    ahead: counted ? upstream.ahead : null,
    behind: counted ? upstream.behind : null,
  };
}

/** git's `status -sb` first line: `## main...origin/main [ahead 1, behind 2]`. */
function branchHeader(ctx: CommandContext, res: StatusResult): string {
  const c = ctx.color;
  if (res.branch === null) return `## ${c.red('HEAD (no branch)')}\n`;
  if (res.head === null) return `## No commits yet on ${c.green(res.branch)}\n`;
  const up = res.upstream;
  if (up === undefined) return `## ${c.green(res.branch)}\n`;
  const counts = up.gone
    ? ['gone']
    : [...(up.ahead > 0 ? [`ahead ${c.green(String(up.ahead))}`] : []), ...(up.behind > 0 ? [`behind ${c.red(String(up.behind))}`] : [])];
  return `## ${c.green(res.branch)}...${c.red(up.name)}${counts.length > 0 ? ` [${counts.join(', ')}]` : ''}\n`;
}

/** git's tracking paragraph under "On branch X". */
function trackingText(up: UpstreamStatus, branch: string): string {
  const commits = (n: number) => `${n} commit${n === 1 ? '' : 's'}`;
  if (up.gone)
    return `Your branch is based on '${up.name}', but the upstream is gone.\n  (use "cairn fetch ${up.remote}" to refresh it, or "cairn push ${up.remote} ${branch}" to publish your branch again)\n`;
  if (up.ahead === 0 && up.behind === 0) return `Your branch is up to date with '${up.name}'.\n`;
  if (up.behind === 0)
    return `Your branch is ahead of '${up.name}' by ${commits(up.ahead)}.\n  (use "cairn push" to publish your local commits)\n`;
  if (up.ahead === 0)
    return `Your branch is behind '${up.name}' by ${commits(up.behind)}, and can be fast-forwarded.\n  (use "cairn pull" to update your local branch)\n`;
  return `Your branch and '${up.name}' have diverged,\nand have ${up.ahead} and ${up.behind} different commits each, respectively.\n  (use "cairn pull" to merge the remote branch into yours)\n`;
}

function shortFormat(res: StatusResult, untracked: string[]): string {
  const rows = new Map<string, [string, string]>();
  for (const c of res.staged) rows.set(c.path, [SHORT[c.change], ' ']);
  for (const c of res.unstaged) rows.set(c.path, [rows.get(c.path)?.[0] ?? ' ', SHORT[c.change]]);
  for (const u of res.merge?.unmerged ?? []) rows.set(u.path, [UNMERGED_SHORT[u.kind][0]!, UNMERGED_SHORT[u.kind][1]!]);
  let s = '';
  for (const [path, [x, y]] of [...rows].sort((a, b) => (a[0] < b[0] ? -1 : 1))) s += `${x}${y} ${quotePath(path)}\n`;
  for (const p of untracked) s += `?? ${quotePath(p)}\n`;
  return s;
}

function longFormat(ctx: CommandContext, res: StatusResult, untracked: string[]): string {
  const c = ctx.color;
  let s = res.branch !== null ? `On branch ${res.branch}\n` : `HEAD detached at ${res.head?.slice(0, 12) ?? '(none)'}\n`;
  if (res.upstream !== undefined) s += trackingText(res.upstream, res.branch!);
  if (res.head === null) s += '\nNo commits yet\n';
  const merge = res.merge;
  const unmerged = new Set(merge?.unmerged.map((u) => u.path));
  if (merge !== undefined) {
    if (merge.phase === 'writing')
      s += `A merge of '${merge.theirsLabel}' was interrupted.\n  (run "cairn merge ${merge.theirsLabel}" to finish it, or "cairn merge --abort")\n`;
    else if (unmerged.size > 0)
      s += `You have unmerged paths (merging '${merge.theirsLabel}').\n  (fix conflicts and run "cairn merge --continue")\n  (use "cairn merge --abort" to abort the merge)\n`;
    else s += `All conflicts fixed but you are still merging '${merge.theirsLabel}'.\n  (use "cairn merge --continue" to conclude merge)\n`;
  }
  const section = (title: string, hint: string, rows: Change[], color: (x: string) => string) => {
    if (rows.length === 0) return;
    s += `\n${title}:\n  (${hint})\n`;
    for (const r of rows) s += color(`\t${LABEL[r.change].padEnd(12)}${quotePath(r.path)}`) + '\n';
  };
  section(
    'Changes to be committed',
    'use "cairn restore --staged <file>..." to unstage',
    res.staged.filter((r) => !unmerged.has(r.path)),
    c.green,
  );
  if (unmerged.size > 0) {
    s += '\nUnmerged paths:\n  (use "cairn conflicts" to see them, "cairn resolve <path>..." to mark resolution)\n';
    for (const u of merge!.unmerged) s += c.red(`\t${UNMERGED_LABEL[u.kind].padEnd(17)}${quotePath(u.path)}`) + '\n';
  }
  section('Changes not staged for commit', 'use "cairn add <file>..." to stage, "cairn restore <file>..." to discard', res.unstaged, c.red);
  if (untracked.length > 0) {
    s += '\nUntracked files:\n  (use "cairn add <file>..." to include in what will be committed)\n';
    for (const p of untracked) s += c.red(`\t${quotePath(p)}`) + '\n';
  }
  for (const u of res.unstorable) s += `${c.yellow('warning:')} cannot track '${humanText(u.path)}': ${humanText(u.reason)}\n`;
  if (res.staged.length + res.unstaged.length + untracked.length + unmerged.size === 0) s += '\nnothing to commit, working tree clean\n';
  else if (res.staged.length === 0 && merge === undefined) s += '\nno changes added to commit (use "cairn add" or "cairn commit -a")\n';
  return s;
}
