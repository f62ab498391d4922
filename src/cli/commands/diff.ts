// `cairn diff [--cached] [REV [REV]] [-- PATH...]`: which files differ, with sizes, git's choice of sides;
// with --structural the keys and records that changed in data files, with --format json-patch RFC 6902.
import type { Command } from 'commander';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError, NotFoundError, UsageError } from '../../errors.js';
import { diff, type DiffResult } from '../../ops/diff/diff.js';
import type { DiffChange, FileStructure, StructuralChange } from '../../ops/diff/diff-types.js';
import { jsonPatchOf } from '../../ops/diff/structural-diff.js';
import { stringifyPlain } from '../../core/merge/json-print.js';
import { resolveRevision } from '../../ops/history/rev-parse.js';
import { toRepoPath, underPath } from '../../ops/worktree/scan.js';
import type { Repository } from '../../store/repository.js';
import { printJson, type CommandContext } from '../context.js';
import { EXIT } from '../exit.js';
import { formatSize, quotePath, jsonSafe, humanText } from '../format.js';
import { repoAction } from '../repo-action.js';

interface DiffFlags {
  cached?: boolean;
  staged?: boolean;
  stat?: boolean;
  json?: boolean;
  nameOnly?: boolean;
  nameStatus?: boolean;
  exitCode?: boolean;
  structural?: boolean;
  key?: string;
  format?: string;
}

const LETTER: Record<DiffChange['change'], string> = { added: 'A', modified: 'M', deleted: 'D', typechange: 'T' };

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('diff')
    .description('show which files differ: worktree vs index (default), REV vs index (--cached), REV vs worktree, or two commits')
    .argument('[rev-or-path...]', 'up to two revisions, then paths; put paths after -- when a name could be either')
    .option('--cached', 'compare REV (default HEAD) with the index: what the next commit would record')
    .option('--staged', 'same as --cached')
    .option('--stat', 'a table of changed files with sizes, then totals')
    .option('--name-only', 'print only the changed paths')
    .option('--name-status', 'print a status letter (A, M, D, T) and the path')
    .option('--exit-code', 'exit with status 1 when there are differences, 0 when there are none')
    .option('--structural', 'under each changed .json/.jsonl/.csv file, its added (+), removed (-) and changed (~) keys and records')
    .option('--key <field>', 'with --structural or json-patch: the identity field of records (default: id, or detected)')
    .option('--format <format>', 'json-patch: print the RFC 6902 patch from the old to the new version of one .json file')
    .option('--json', 'print {from, to, changes, summary} as JSON (each change with its "structural" part under --structural)')
    .addHelpText(
      'after',
      `
Lines read "M path (old size -> new size)"; A = added, D = deleted, T = type changed (file <-> symlink).
An executable-bit change shows as "M path (file -> exec)".

Examples:
  $ cairn diff                       # what you changed but have not staged
  $ cairn diff --cached              # what the next commit will record
  $ cairn diff main~1 main -- data/  # between two commits, below data/
  $ cairn diff --structural HEAD~1   # keys and records changed in data files since HEAD~1
  $ cairn diff --format json-patch HEAD~1 HEAD -- config.json`,
    )
    .action(
      repoAction(ctx, ({ repo }, args: string[], opts: DiffFlags, cmd: Command) => {
        const { revs, paths } = splitArgs(repo, ctx, args, pathsAfterDashDash(cmd, args.length));
        if (revs.length > 2) throw new UsageError(`diff takes at most two revisions, got ${revs.length}: ${revs.join(' ')}`);
        if (opts.format !== undefined && opts.format !== 'json-patch')
          throw new UsageError(`diff --format takes json-patch, not '${opts.format}'`, { format: opts.format });
        const structural =
          opts.structural === true && opts.format === undefined ? (opts.key !== undefined ? { key: opts.key } : true) : false;
        const res = diff(repo, { from: revs[0], to: revs[1], cached: opts.cached === true || opts.staged === true, paths, structural });
        if (opts.format === 'json-patch') {
          const [only, ...more] = res.changes;
          if (more.length > 0)
            throw new UsageError(`diff --format json-patch describes one file, but ${res.changes.length} changed: name one with -- PATH`, {
              paths: res.changes.map((c) => c.path),
            });
          const patch =
            only === undefined ? [] : jsonPatchOf(repo, res.from, res.to, only, opts.key !== undefined ? { key: opts.key } : {});
          ctx.out.write(`${jsonSafe(stringifyPlain(patch))}\n`);
        } else if (opts.json && structural) ctx.out.write(`${jsonSafe(stringifyPlain(withoutUndefined(res)))}\n`);
        else if (opts.json) printJson(ctx, res);
        else if (opts.nameOnly) ctx.out.write(res.changes.map((c) => `${quotePath(c.path)}\n`).join(''));
        else if (opts.nameStatus) ctx.out.write(res.changes.map((c) => `${LETTER[c.change]}\t${quotePath(c.path)}\n`).join(''));
        else if (opts.stat) ctx.out.write(statTable(res));
        else
          ctx.out.write(
            res.changes
              .map(
                (c) => `${colorLetter(ctx, c)} ${quotePath(c.path)}${detail(c)}\n${c.structural ? structureLines(ctx, c.structural) : ''}`,
              )
              .join(''),
          );
        return opts.exitCode && res.changes.length > 0 ? EXIT.FALSE : EXIT.OK;
      }),
    );
}

/**
 * How many operands came after `--`. commander drops the `--` itself, so it is found in the raw
 * argv: everything after it is a path, even a name that is also a branch.
 */
function pathsAfterDashDash(cmd: Command, operands: number): number | undefined {
  const raw = (cmd.parent as (Command & { rawArgs?: string[] }) | null)?.rawArgs ?? [];
  const at = raw.indexOf('--', 2);
  if (at < 0) return undefined;
  return Math.min(operands, raw.length - at - 1);
}

/** Without `--`, git's rule: leading names that resolve as revisions are revisions, the rest paths. */
function splitArgs(
  repo: Repository,
  ctx: CommandContext,
  args: string[],
  afterDash: number | undefined,
): { revs: string[]; paths: string[] | undefined } {
  let revs: string[];
  let rawPaths: string[];
  if (afterDash !== undefined) {
    revs = args.slice(0, args.length - afterDash);
    rawPaths = args.slice(args.length - afterDash);
  } else {
    revs = [];
    let i = 0;
    for (; i < args.length; i++) {
      const arg = args[i]!;
      const isRev = resolves(repo, arg);
      const isPath = existsAsPath(repo, ctx, arg);
      if (isRev && isPath) throw new UsageError(`'${arg}' is both a revision and a path; use 'cairn diff REV -- PATH' to say which`);
      if (isRev) revs.push(arg);
      else if (isPath) break;
      else throw new NotFoundError('revision or path', arg, "use '--' before paths that do not exist any more");
    }
    rawPaths = args.slice(i);
    for (const p of rawPaths)
      if (!existsAsPath(repo, ctx, p))
        throw new UsageError(`'${p}' follows a path, so it must be a path too, but it does not exist; use 'cairn diff REV... -- PATH...'`);
  }
  const paths = rawPaths.length === 0 ? undefined : rawPaths.map((p) => toRepoPath(repo, ctx.cwd, p));
  return { revs, paths };
}

function resolves(repo: Repository, arg: string): boolean {
  try {
    resolveRevision(repo, arg);
    return true;
  } catch (err) {
    if (err instanceof CairnError && (err.code === 'NOT_FOUND' || err.code === 'BAD_FORMAT' || err.code === 'USAGE')) return false;
    throw err;
  }
}

function existsAsPath(repo: Repository, ctx: CommandContext, arg: string): boolean {
  let path: string;
  try {
    path = toRepoPath(repo, ctx.cwd, arg);
  } catch {
    return false;
  }
  try {
    lstatSync(join(repo.root, path));
    return true;
  } catch {
    return repo.index.all().some((e) => underPath(e.path, path));
  }
}

function colorLetter(ctx: CommandContext, c: DiffChange): string {
  const paint = { added: ctx.color.green, deleted: ctx.color.red, modified: ctx.color.yellow, typechange: ctx.color.cyan }[c.change];
  return paint(LETTER[c.change]);
}

/** " (1.2 KiB -> 1.5 KiB)", " (300 B)", " (file -> exec)", " (symlink -> file, 10 B -> 12 B)". */
export function detail(c: DiffChange): string {
  if (c.old === null) return ` (${formatSize(c.new!.size)})`;
  if (c.new === null) return ` (${formatSize(c.old.size)})`;
  const parts: string[] = [];
  if (c.old.kind !== c.new.kind) parts.push(`${c.old.kind} -> ${c.new.kind}`);
  if (c.old.id !== c.new.id) parts.push(`${formatSize(c.old.size)} -> ${formatSize(c.new.size)}`);
  return ` (${parts.join(', ')})`;
}

const MARK = { added: '+', removed: '-', changed: '~' } as const;
const SHOWN_VALUE = 60;

/** "    ~ /price: 10 -> 12", "    + key=7: {...}", indented under the file's line. */
export function structureLines(ctx: CommandContext, s: FileStructure): string {
  if ('skipped' in s) return `    (no structural diff: ${humanText(s.skipped.message)})\n`;
  let out = s.key === null ? `    (no unique key: lines compared)\n` : '';
  for (const c of s.changes) {
    const paint = { added: ctx.color.green, removed: ctx.color.red, changed: ctx.color.yellow }[c.change];
    out += `    ${paint(MARK[c.change])} ${c.location === '' ? '(whole document)' : humanText(c.location)}${valuesOf(c)}\n`;
  }
  return out;
}

function valuesOf(c: StructuralChange): string {
  if (c.change === 'changed') return `: ${shown(c.old)} -> ${shown(c.new)}`;
  const v = c.change === 'added' ? c.new : c.old;
  return v === undefined ? '' : `: ${shown(v)}`;
}

function shown(v: unknown): string {
  const text = jsonSafe(stringifyPlain(v));
  return text.length > SHOWN_VALUE ? `${text.slice(0, SHOWN_VALUE - 1)}…` : text;
}

/** stringifyPlain refuses undefined (it is not JSON): absent optional fields are left out, as JSON.stringify does. */
function withoutUndefined(res: DiffResult): unknown {
  return { ...res, changes: res.changes.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined))) };
}

function statTable(res: DiffResult): string {
  if (res.changes.length === 0) return '';
  const width = Math.min(60, Math.max(...res.changes.map((c) => quotePath(c.path).length)));
  let s = '';
  for (const c of res.changes) {
    let what: string;
    if (c.old === null) what = `new, ${formatSize(c.new!.size)}`;
    else if (c.new === null) what = `deleted, ${formatSize(c.old.size)}`;
    else {
      const delta = c.new.size - c.old.size;
      const parts: string[] = [];
      if (c.old.kind !== c.new.kind) parts.push(`${c.old.kind} -> ${c.new.kind}`);
      if (c.old.id !== c.new.id)
        parts.push(
          `${formatSize(c.old.size)} -> ${formatSize(c.new.size)}${delta > 0 ? ` (+${formatSize(delta)})` : delta < 0 ? ` (-${formatSize(-delta)})` : ''}`,
        );
      what = parts.join(', ');
    }
    s += ` ${LETTER[c.change]} ${quotePath(c.path).padEnd(width)} | ${what}\n`;
  }
  return s + ` ${summaryLine(res)}\n`;
}

/** "3 files changed (1 added, 1 modified, 1 deleted), 1.2 MiB added, 12 B removed". */
export function summaryLine(res: DiffResult): string {
  const s = res.summary;
  const kinds = (['added', 'modified', 'deleted', 'typechange'] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `${s[k]} ${k === 'typechange' ? 'type changed' : k}`);
  return `${s.files} file${s.files === 1 ? '' : 's'} changed (${kinds.join(', ')}), ${formatSize(s.bytesAdded)} added, ${formatSize(s.bytesRemoved)} removed`;
}
