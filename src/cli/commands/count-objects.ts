// `cairn count-objects [-v] [--json]` (alias `stats`): objects and bytes by type, packs, reachable vs
// unreachable and the quarantine — what `gc` could reclaim. Exit 7 when a reachable object is damaged.
import type { Command } from 'commander';
import { countObjects, type CountObjectsResult, type ObjectTally } from '../../ops/count-objects.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { formatSize } from '../format.js';
import { repoAction } from '../repo-action.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('count-objects')
    .alias('stats')
    .description(
      'count the stored objects and bytes by type, the packs, what is reachable and what is not, and the quarantine: what gc could reclaim',
    )
    .option('-v, --verbose', 'also by object type, the pack space no object uses, and the roots counted')
    .option('--json', 'print every count as one JSON object (sizes in bytes)')
    .addHelpText(
      'after',
      `
Reachable means reachable from a ref, any reflog entry (old or new value), a detached HEAD, the
worktree index (and the directory trees it caches) or a merge in progress, by the walk fsck uses.
What is not, the quarantine of abandoned transfers and pack space no object uses is what 'cairn gc'
would gain ("gc could reclaim"), at most: gc keeps anything younger than its grace period.
To let a deleted branch's objects go, expire its reflog first ('cairn reflog expire').
Exit status 0, or 7 when a reachable object is missing or damaged (then run 'cairn fsck').

Examples:
  $ cairn count-objects -v
  $ cairn stats --json`,
    )
    .action(
      repoAction(ctx, ({ repo, progress }, opts: { verbose?: boolean; json?: boolean }) => {
        const res = countObjects(repo, { onProgress: progress.report });
        progress.stop();
        if (opts.json) printJson(ctx, { ...res, reclaimable: reclaimable(res) });
        else ctx.out.write(humanReport(res, opts.verbose === true));
        if (res.problems.length === 0) return EXIT.OK;
        const n = res.problems.length;
        ctx.err.write(`error: ${n} reachable object${n === 1 ? ' is' : 's are'} missing or damaged: run 'cairn fsck' to see which\n`);
        return EXIT.CORRUPT;
      }),
    );
}

/** Bytes gc could free at most: unreachable objects, the quarantine, unused and orphaned pack space. */
function reclaimable(r: CountObjectsResult): number {
  return r.unreachable.stored + r.quarantine.stored + r.packs.unindexed + r.packs.orphanBytes;
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const objects = (n: number) => count(n, 'object');
const stored = (t: ObjectTally) => `${objects(t.count)}, ${formatSize(t.stored)}`;

function humanReport(r: CountObjectsResult, verbose: boolean): string {
  const lines = [`objects:     ${stored(r.total)} stored (${formatSize(r.total.size)} uncompressed)`];
  if (verbose)
    for (const t of ['commit', 'tree', 'file', 'chunk'] as const)
      lines.push(`  ${`${t}s:`.padEnd(10)} ${stored(r.types[t])} (${formatSize(r.types[t].size)} uncompressed)`);
  lines.push(
    `reachable:   ${stored(r.reachable)}`,
    `unreachable: ${stored(r.unreachable)}`,
    `quarantine:  ${stored(r.quarantine)}`,
    `packs:       ${r.packs.count}, ${formatSize(r.packs.bytes)} on disk`,
  );
  if (verbose) {
    lines.push(
      `  unused:    ${formatSize(r.packs.unindexed)} (interrupted or in-flight writes)`,
      `  orphaned:  ${r.packs.orphans}, ${formatSize(r.packs.orphanBytes)} (pack files never registered)`,
      `roots:       ${count(r.roots.refs, 'ref')}, ${count(r.roots.reflog, 'reflog id')}, ${count(r.roots.index, 'index entry', 'index entries')}, ${count(r.roots.merge, 'merge id')}`,
    );
  }
  lines.push(`gc could reclaim: up to ${formatSize(reclaimable(r))}`);
  return lines.map((l) => `${l}\n`).join('');
}
