// `cairn reflog [REF] [-n N] [--json]`: a ref's history of values, newest first; and
// `cairn reflog expire [--expire=<age>] [--all | REF...] [--dry-run] [--json]`: drop old entries.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { DEFAULT_REFLOG_EXPIRE, REFLOG_EXPIRE_KEY, expireReflogs, readReflog, type ReflogExpireResult } from '../../ops/reflog.js';
import { printJson, type CommandContext } from '../context.js';
import { humanText, jsonSafe, shortId } from '../format.js';
import { checkedRepoAction } from '../repo-action.js';
import { StreamOut } from '../stream-out.js';

interface ShowFlags {
  maxCount?: string;
  json?: boolean;
}

interface ExpireFlags {
  expire?: string;
  all?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** A deleted ref's last entry has no new value: shown as git shows the null id, shortened. */
const NO_ID = '0'.repeat(12);

export function register(program: Command, ctx: CommandContext): void {
  const reflog = program
    .command('reflog')
    .description("show a ref's history of values (default HEAD), newest first; 'reflog expire' drops old entries")
    .argument('[ref]', 'HEAD, a branch (main), a tag, a remote-tracking ref, or a full name (refs/heads/main)')
    .option('-n, --max-count <n>', 'show at most N entries')
    .option('--json', 'one JSON object per line per entry: ref, index, old, new, who, time, message')
    .addHelpText(
      'after',
      `
Each line is '<short id> REF@{n}: <message>', REF@{0} the newest. A commit on a branch is logged
under the branch, not under HEAD (HEAD's reflog holds switches and detached moves): 'cairn reflog
main' lists a branch's commits, resets and merges. A deleted branch keeps its reflog until it
expires, which is how its last commit is found again.

Examples:
  $ cairn reflog main
  $ cairn reflog -n 5 --json feature
  $ cairn reflog expire --expire=30.days --all`,
    )
    .action(
      checkedRepoAction(ctx, (ref: string | undefined, opts: ShowFlags) => {
        const limit = opts.maxCount === undefined ? undefined : Number(opts.maxCount);
        if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0))
          throw new UsageError(`-n needs a count, got '${opts.maxCount}'`);
        return async ({ repo }) => {
          const name = ref ?? 'HEAD';
          const { ref: full, entries } = readReflog(repo, name, limit === undefined ? {} : { limit });
          const out = new StreamOut(ctx.out);
          for (const e of entries) {
            const line = opts.json
              ? jsonSafe(
                  JSON.stringify({ ref: full, index: e.index, old: e.old, new: e.new, who: e.who, time: e.time, message: e.message }),
                )
              : `${ctx.color.yellow(e.new === null ? NO_ID : shortId(e.new))} ${humanText(name)}@{${e.index}}: ${humanText(e.message)}`;
            if (!(await out.write(`${line}\n`))) break;
          }
        };
      }),
    );

  reflog
    .command('expire')
    .description('drop reflog entries older than an age, keeping the newest entry of every ref that exists')
    .argument('[ref...]', 'the refs whose reflogs to expire (or --all)')
    .option(
      '--expire <age>',
      `how old an entry must be to go: 90.days, 2.weeks, 3600 (seconds), now, never (default: config ${REFLOG_EXPIRE_KEY}, else ${DEFAULT_REFLOG_EXPIRE})`,
    )
    .option('--all', 'every reflog, deleted refs included')
    .option('--dry-run', 'count what would be dropped, change nothing')
    .option('--json', 'print {expire, from, cutoff, dryRun, refs: [{ref, dropped, kept}], dropped} as JSON')
    .addHelpText(
      'after',
      `
The newest entry of a ref that still exists is kept whatever its age, so every existing ref keeps
REF@{0} and the record of how it got its value; a deleted ref's entries all go once old enough.
Commits that only expired entries reached become unreachable: 'cairn count-objects' shows them, and
gc will reclaim them.

Examples:
  $ cairn reflog expire --all --dry-run
  $ cairn reflog expire --expire=now feature
  $ cairn config ${REFLOG_EXPIRE_KEY} 30.days`,
    )
    .action(
      checkedRepoAction(ctx, (refs: string[], opts: ExpireFlags) => {
        if (opts.all && refs.length > 0) throw new UsageError('reflog expire takes either --all or refs, not both');
        if (!opts.all && refs.length === 0) throw new UsageError('reflog expire needs the refs to expire, or --all');
        return ({ repo }) => {
          const res = expireReflogs(repo, {
            refs: opts.all ? 'all' : refs,
            ...(opts.expire === undefined ? {} : { expire: opts.expire }),
            dryRun: opts.dryRun === true,
          });
          if (opts.json) printJson(ctx, res);
          else ctx.out.write(humanReport(res));
        };
      }),
    );
}

function humanReport(res: ReflogExpireResult): string {
  const verb = res.dryRun ? 'would drop' : 'dropped';
  const entries = (n: number) => `${n} entr${n === 1 ? 'y' : 'ies'}`;
  let s = '';
  for (const r of res.refs) if (r.dropped > 0) s += `${humanText(r.ref)}: ${verb} ${entries(r.dropped)}, ${r.kept} left\n`;
  const touched = res.refs.filter((r) => r.dropped > 0).length;
  s += `${verb} ${entries(res.dropped)} from ${touched} reflog${touched === 1 ? '' : 's'} (older than ${humanText(res.expire)})\n`;
  return s;
}
