// `cairn merge-file BASE OURS THEIRS`: three-way merge of three files with cairn's drivers, no repository
// needed; exit 0 clean, 1 conflicts, >= 2 errors, so git can run it as a merge driver (docs/MERGE.md).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { stringifyPlain } from '../../core/merge/json-print.js';
import type { MergeConflict } from '../../core/merge/types.js';
import { mergeFile, type MergeFileResult } from '../../ops/merge-file.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { action } from '../run-action.js';
import { jsonSafe } from '../format.js';

interface MergeFileFlags {
  stdout?: boolean;
  driver?: string;
  key?: string;
  delimiter?: string;
  path?: string;
  label: string[];
  favor?: string;
  ours?: boolean;
  theirs?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('merge-file')
    .description('merge the changes from BASE to THEIRS into OURS with the json, jsonl, csv or text driver (no repository needed)')
    .argument('<base>', 'the common ancestor (an empty file: none, the file was added on both sides)')
    .argument('<ours>', 'our version; replaced by the result unless -p')
    .argument('<theirs>', 'their version')
    .option('-p, --stdout', 'print the result instead of writing it into OURS')
    .option('--driver <name>', 'json, jsonl (ndjson), csv (tsv), text or binary; default: by extension, then by content')
    .option('--key <field>', 'identity field of records (json arrays of objects, jsonl, csv); default: id, or detected')
    .option('--delimiter <char>', "csv field separator (one character, or 'tab'); default: tab for .tsv, else ','")
    .option('--path <path>', "the file's real name (git's %P): picks the driver by extension and names it in messages")
    .option(
      '-L, --label <label>',
      'up to three times: names of BASE, OURS and THEIRS (in that order) in conflict markers and reports',
      collect,
      [],
    )
    .option('--favor <side>', "settle every conflict with this side's value: ours or theirs")
    .option('--ours', 'same as --favor ours')
    .option('--theirs', 'same as --favor theirs')
    .option('-q, --quiet', 'do not list conflicts on stderr')
    .option('--json', 'print {driver, clean, conflicts, settled, written} as JSON (not with -p)')
    .addHelpText(
      'after',
      `
Exit status: 0 merged cleanly, 1 conflicts (json, jsonl and csv results keep ours' value at each
conflict and stay valid; text gets conflict markers), 2 usage, 4 a file is missing, 7 a file is not
valid for its driver (invalid JSON, UTF-8, CSV), 10 I/O error. Note the order: BASE first, unlike
\`git merge-file OURS BASE THEIRS\`.

Examples:
  $ cairn merge-file base.json ours.json theirs.json
  $ cairn merge-file -p --driver jsonl --key sku base.jsonl ours.jsonl theirs.jsonl > merged.jsonl
  $ git config merge.cairn.driver "cairn merge-file --path %P %O %A %B"   # see docs/MERGE.md`,
    )
    // Not repoAction: merge-file needs no repository (git runs it as a merge driver anywhere).
    .action(
      action(ctx, (base: string, ours: string, theirs: string, opts: MergeFileFlags) => {
        if (opts.stdout && opts.json)
          throw new UsageError('merge-file: --json reports on stdout, so it cannot be combined with -p/--stdout');
        if (opts.label.length > 3)
          throw new UsageError(`merge-file: -L is given at most three times (BASE, OURS, THEIRS), got ${opts.label.length}`);
        const res = mergeFile({
          base,
          ours,
          theirs,
          cwd: ctx.cwd,
          ...(opts.driver !== undefined ? { driver: opts.driver } : {}),
          ...(opts.path !== undefined ? { path: opts.path } : {}),
          options: driverOptions(opts),
          labels: { base: opts.label[0] ?? base, ours: opts.label[1] ?? ours, theirs: opts.label[2] ?? theirs },
          ...favorOf(opts),
          write: opts.stdout !== true,
        });
        if (opts.stdout) ctx.out.write(res.content);
        if (opts.json) ctx.out.write(`${jsonSafe(stringifyPlain(report(res)))}\n`);
        else if (!opts.quiet && res.conflicts.length > 0) ctx.err.write(describeConflicts(res, opts.path ?? ours));
        return res.conflicts.length > 0 ? EXIT.FALSE : EXIT.OK;
      }),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function driverOptions(opts: MergeFileFlags): Record<string, string> {
  const o: Record<string, string> = {};
  if (opts.key !== undefined) o['key'] = opts.key;
  if (opts.delimiter !== undefined) o['delimiter'] = opts.delimiter;
  // A tsv file reaches a git driver under a temporary name without its extension.
  else if (opts.driver?.toLowerCase() === 'tsv') o['delimiter'] = 'tab';
  return o;
}

function favorOf(opts: MergeFileFlags): { favor?: 'ours' | 'theirs' } {
  const picked = [opts.favor, opts.ours ? 'ours' : undefined, opts.theirs ? 'theirs' : undefined].filter((x) => x !== undefined);
  if (picked.length > 1) throw new UsageError('merge-file: give one of --favor, --ours, --theirs');
  const side = picked[0];
  if (side === undefined) return {};
  if (side !== 'ours' && side !== 'theirs')
    throw new UsageError(`merge-file: --favor takes ours or theirs, not '${side}'`, { favor: side });
  return { favor: side };
}

/** The --json document; plain data printed with stringifyPlain, so deep values and exact numbers survive. */
function report(res: MergeFileResult): Record<string, unknown> {
  return {
    driver: res.driver,
    clean: res.conflicts.length === 0,
    conflicts: res.conflicts.map(plainConflict),
    settled: res.settled,
    written: res.written,
  };
}

function plainConflict(c: MergeConflict): Record<string, unknown> {
  const o: Record<string, unknown> = { location: c.location, kind: c.kind };
  for (const side of ['base', 'ours', 'theirs'] as const) if (c[side] !== undefined) o[side] = c[side];
  return o;
}

const SHOWN_VALUE = 60;

/** "2 conflicts in prices.json (json driver) ..." and one line per conflict with the three values. */
export function describeConflicts(res: MergeFileResult, name: string): string {
  const n = res.conflicts.length;
  const kept = res.driver === 'text' ? 'marked in the result' : res.driver === 'binary' ? "ours' bytes kept" : "ours' value kept at each";
  let s = `merge-file: ${n} conflict${n === 1 ? '' : 's'} in ${name} (${res.driver} driver; ${kept})\n`;
  for (const c of res.conflicts) {
    const where = c.location === '' ? (res.driver === 'json' ? '(whole document)' : '(whole file)') : c.location;
    s += `  ${c.kind} ${where}`;
    if (res.driver !== 'text') s += `: base ${shown(c.base)}, ours ${shown(c.ours)}, theirs ${shown(c.theirs)}`;
    s += '\n';
  }
  return s;
}

function shown(v: unknown): string {
  if (v === undefined) return '(absent)';
  const text = stringifyPlain(v);
  return text.length > SHOWN_VALUE ? `${text.slice(0, SHOWN_VALUE - 1)}…` : text;
}
