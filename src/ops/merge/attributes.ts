// .cairnattributes: which merge driver, with which options, a path gets. gitattributes-like lines
// `PATTERN merge=json|jsonl|csv|text|binary key=FIELD [NAME=VALUE...]`; for each attribute the
// last matching line wins, as in git. Only the file at the worktree root is read (no per-folder files).
// Patterns are matched in linear time (core/glob-match.ts) and the file is read within the limits
// of docs/FORMAT.md §14.2: it arrives with every pull.
import { UsageError } from '../../errors.js';
import { AutomatonBudget, compileLine, MAX_RULES, rulesFileError, type PathPattern } from '../../core/path-rules.js';
import type { ObjectId } from '../../core/hash.js';
import type { Repository } from '../../store/repository.js';
import { fileContent } from '../../store/typed-objects.js';
import { driverNamed, type DriverName } from '../../core/merge/driver-choice.js';
import { lookupPath } from '../tree/tree-walk.js';
import { checkRulesFileSize, readRulesFile } from '../worktree/rules-file.js';

export const ATTRIBUTES_FILE = '.cairnattributes';

export interface PathAttributes {
  /** The driver named by `merge=` (or `binary` / `-merge`), when a line says so. */
  driver?: DriverName;
  /** Every other NAME=VALUE, e.g. { key: 'sku' } or { delimiter: ';' }. */
  options: Record<string, string>;
}

interface Rule {
  match: PathPattern;
  driver?: DriverName;
  options: [string, string][];
}

export class Attributes {
  private constructor(
    private readonly rules: readonly Rule[],
    /** Why a .cairnattributes that is there was not applied (a symlink, a FIFO). */
    readonly warnings: readonly string[] = [],
  ) {}

  static readonly none = new Attributes([]);

  /** Parses the file's text; an unknown driver or a malformed line is a UsageError naming the line. */
  static parse(text: string, source = ATTRIBUTES_FILE, warnings: readonly string[] = []): Attributes {
    const rules: Rule[] = [];
    const budget = new AutomatonBudget(source);
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const [pattern, ...attrs] = line.split(/\s+/);
      const where = `${source} line ${i + 1}`;
      // Folder-only patterns never name a file, as in git.
      if (pattern!.endsWith('/')) return;
      if (rules.length >= MAX_RULES) throw rulesFileError(source, i + 1, `more than ${MAX_RULES} rules`);
      const match = compileLine(pattern!, source, i + 1);
      budget.spend(match, i + 1);
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
    return new Attributes(rules, warnings);
  }

  lookup(path: string): PathAttributes {
    const out: PathAttributes = { options: Object.create(null) as Record<string, string> };
    for (const r of this.rules) {
      if (!r.match.matches(path, false)) continue;
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
  const file = readRulesFile(repo.root, ATTRIBUTES_FILE);
  if (file.text !== null) return Attributes.parse(file.text);
  const warnings = file.warning === undefined ? [] : [file.warning];
  const none = warnings.length === 0 ? Attributes.none : Attributes.parse('', ATTRIBUTES_FILE, warnings);
  if (tree === null) return none;
  const entry = lookupPath(repo.objects, tree, ATTRIBUTES_FILE);
  if (entry === undefined || entry.kind === 'tree' || entry.kind === 'symlink') return none;
  checkRulesFileSize(ATTRIBUTES_FILE, entry.size);
  // The declared size may lie (a remote wrote the tree): the bytes are counted as they are read.
  const parts: Buffer[] = [];
  let total = 0;
  for (const part of fileContent(repo.objects, entry.id)) {
    checkRulesFileSize(ATTRIBUTES_FILE, (total += part.length));
    parts.push(part);
  }
  return Attributes.parse(Buffer.concat(parts).toString('utf8'), ATTRIBUTES_FILE, warnings);
}
