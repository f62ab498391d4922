// .cairnattributes: which merge driver, with which options, a path gets. gitattributes-like lines
// `PATTERN merge=json|jsonl|csv|text|binary key=FIELD [NAME=VALUE...]`; for each attribute the
// last matching line wins, as in git. Only the file at the worktree root is read (no per-folder files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import type { Repository } from '../../store/repository.js';
import { readWholeFile } from '../../store/typed-objects.js';
import { driverNamed, type DriverName } from '../../core/merge/driver-choice.js';
import { lookupPath } from '../tree/tree-walk.js';

export const ATTRIBUTES_FILE = '.cairnattributes';

export interface PathAttributes {
  /** The driver named by `merge=` (or `binary` / `-merge`), when a line says so. */
  driver?: DriverName;
  /** Every other NAME=VALUE, e.g. { key: 'sku' } or { delimiter: ';' }. */
  options: Record<string, string>;
}

interface Rule {
  match: RegExp;
  driver?: DriverName;
  options: [string, string][];
}

export class Attributes {
  private constructor(private readonly rules: readonly Rule[]) {}

  static readonly none = new Attributes([]);

  /** Parses the file's text; an unknown driver or a malformed line is a UsageError naming the line. */
  static parse(text: string, source = ATTRIBUTES_FILE): Attributes {
    const rules: Rule[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const [pattern, ...attrs] = line.split(/\s+/);
      const where = `${source} line ${i + 1}`;
      let match: RegExp | null;
      try {
        match = globRegExp(pattern!);
      } catch {
        throw new UsageError(`${where}: bad pattern '${pattern}'`, { line: i + 1 });
      }
      if (match === null) return; // folder-only patterns never name a file, as in git
      const rule: Rule = { match, options: [] };
      for (const a of attrs) {
        if (a === 'binary' || a === '-merge') rule.driver = 'binary';
        else if (a.startsWith('merge=')) {
          try {
            rule.driver = driverNamed(a.slice('merge='.length));
          } catch (err) {
            throw new UsageError(`${where}: ${(err as Error).message}`, { line: i + 1 });
          }
        } else {
          const eq = a.indexOf('=');
          if (eq <= 0) continue; // set/unset attributes for other tools (diff, text...) are not ours
          rule.options.push([a.slice(0, eq), a.slice(eq + 1)]);
        }
      }
      rules.push(rule);
    });
    return new Attributes(rules);
  }

  lookup(path: string): PathAttributes {
    const out: PathAttributes = { options: Object.create(null) as Record<string, string> };
    for (const r of this.rules) {
      if (!r.match.test(path)) continue;
      if (r.driver !== undefined) out.driver = r.driver;
      for (const [k, v] of r.options) out.options[k] = v;
    }
    return out;
  }
}

/**
 * The rules for a merge: the worktree's .cairnattributes when there is one (so an edited, not yet
 * committed file applies, as in git), else the one in `tree` (ours), else none.
 */
export function loadAttributes(repo: Repository, tree: ObjectId | null): Attributes {
  try {
    return Attributes.parse(readFileSync(join(repo.root, ATTRIBUTES_FILE), 'utf8'));
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  if (tree === null) return Attributes.none;
  const entry = lookupPath(repo.objects, tree, ATTRIBUTES_FILE);
  if (entry === undefined || entry.kind === 'tree' || entry.kind === 'symlink') return Attributes.none;
  return Attributes.parse(readWholeFile(repo.objects, entry.id).toString('utf8'));
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/**
 * gitattributes pattern -> RegExp on a repository path. No '/' (but a trailing one): matches the
 * base name at any depth; otherwise anchored at the root. `*` and `?` stay within a component,
 * `**` crosses them, `[...]` is a class. A trailing '/' names folders only: null.
 */
export function globRegExp(pattern: string): RegExp | null {
  if (pattern.endsWith('/')) return null;
  let p = pattern;
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        const atStart = i === 0 || p[i - 1] === '/';
        const slashAfter = p[i + 2] === '/';
        if (atStart && slashAfter) {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = p.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = p.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < p.length) re += escape(p[++i]!);
    else re += escape(c);
  }
  return new RegExp(anchored ? `^${re}$` : `(?:^|/)${re}$`);
}

function escape(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}
