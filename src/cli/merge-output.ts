// Shared output of merge, conflicts and resolve: conflict lines for humans, and JSON that keeps
// conflict values exact (numbers keep their text: printed by the json model, not JSON.stringify).
import { UsageError } from '../errors.js';
import { JsonNumber, JsonString } from '../core/merge/json-value.js';
import { stringifyPlain } from '../core/merge/json-print.js';
import type { ConflictedPath } from '../ops/merge/merge-tree.js';
import type { CommandContext } from './context.js';
import { quotePath, jsonSafe, humanText } from './format.js';

/** One JSON document on a line, exact: undefined fields dropped (iteratively: values may be deep). */
export function printExactJson(ctx: CommandContext, value: unknown): void {
  ctx.out.write(`${jsonSafe(stringifyPlain(dropUndefined(value)))}\n`);
}

/** A conflict value on one line: compact exact JSON, or '(absent)'. */
export function showValue(v: unknown): string {
  return v === undefined ? '(absent)' : jsonSafe(stringifyPlain(dropUndefined(v)));
}

export function parseFavor(v: string | undefined): 'ours' | 'theirs' | 'newer' | undefined {
  if (v === undefined) return undefined;
  if (v === 'ours' || v === 'theirs' || v === 'newer') return v;
  throw new UsageError(`--favor takes ours, theirs or newer (got '${v}')`);
}

/** CAIRN_COMMIT_TIME (ms since the epoch) fixes the clock of commits, for reproducible ids. */
export function commitTime(ctx: CommandContext): { time?: number; tzOffset?: number } {
  const env = ctx.env['CAIRN_COMMIT_TIME'];
  if (env === undefined || env === '') return {};
  const time = Number(env);
  if (!Number.isSafeInteger(time)) throw new UsageError('CAIRN_COMMIT_TIME must be milliseconds since the epoch');
  return { time, tzOffset: 0 };
}

const SHOWN_LOCATIONS = 5;

/** git-like "CONFLICT (kind): ..." line for a conflicted path. */
export function conflictLine(c: ConflictedPath, ours: string, theirs: string): string {
  const where = (n: number) => {
    const locs = c.conflicts.filter((e) => e.kind !== 'directory-file').map((e) => humanText(e.location) || '(whole file)');
    const shown = locs.slice(0, SHOWN_LOCATIONS).join(', ') + (locs.length > SHOWN_LOCATIONS ? ', ...' : '');
    return `${n} conflict(s) at ${shown}`;
  };
  const moved = c.movedTo !== undefined ? `; the file stands at ${quotePath(c.movedTo)}` : '';
  switch (c.kind) {
    case 'content':
    case 'add-add':
      return `CONFLICT (${c.kind === 'content' ? 'content' : 'add/add'}): ${quotePath(c.path)}: ${where(c.conflicts.length)}${c.driver !== null ? ` (${c.driver})` : ''}${moved}`;
    case 'modify-delete':
      return `CONFLICT (modify/delete): ${quotePath(c.path)} deleted in ${theirs} and modified in ${ours}; ${ours}'s version left in the worktree${moved}`;
    case 'delete-modify':
      return `CONFLICT (modify/delete): ${quotePath(c.path)} deleted in ${ours} and modified in ${theirs}; ${theirs}'s version left in the worktree${moved}`;
    case 'type-change':
      return `CONFLICT (type change): ${quotePath(c.path)} is a symlink on one side and a file on the other; ${c.ours !== null ? ours : theirs}'s version left in the worktree${moved}`;
    case 'directory-file':
      return `CONFLICT (directory/file): ${quotePath(c.path)} is a folder on one side and a file on the other${moved}`;
    case 'rename-rename':
      return `CONFLICT (rename/rename): ${quotePath(c.path)} renamed to ${quotePath(c.ours?.path ?? '')} in ${ours} and to ${quotePath(c.theirs?.path ?? '')} in ${theirs}; both kept`;
  }
}

/** Status labels, as git words them. */
export const UNMERGED_LABEL: Record<ConflictedPath['kind'], string> = {
  content: 'both modified:',
  'add-add': 'both added:',
  'modify-delete': 'deleted by them:',
  'delete-modify': 'deleted by us:',
  'type-change': 'type changed:',
  'directory-file': 'dir/file:',
  'rename-rename': 'both renamed:',
};

export const UNMERGED_SHORT: Record<ConflictedPath['kind'], string> = {
  content: 'UU',
  'add-add': 'AA',
  'modify-delete': 'UD',
  'delete-modify': 'DU',
  'type-change': 'UT',
  'directory-file': 'UF',
  'rename-rename': 'RR',
};

function dropUndefined(root: unknown): unknown {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return new Array<unknown>(v.length);
    if (v !== null && typeof v === 'object' && !(v instanceof JsonNumber) && !(v instanceof JsonString))
      return Object.create(null) as object;
    return v;
  };
  const top = copy(root);
  const stack: [unknown, unknown][] = [[root, top]];
  while (stack.length > 0) {
    const [src, dst] = stack.pop()!;
    if (src === dst) continue;
    if (Array.isArray(src)) {
      src.forEach((child, i) => {
        const c = copy(child === undefined ? null : child);
        (dst as unknown[])[i] = c;
        if (c !== child) stack.push([child, c]);
      });
    } else {
      for (const [k, child] of Object.entries(src as object)) {
        if (child === undefined) continue;
        const c = copy(child);
        (dst as Record<string, unknown>)[k] = c;
        if (c !== child) stack.push([child, c]);
      }
    }
  }
  return top;
}
