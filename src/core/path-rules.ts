// The rules files built on glob-match.ts: a gitignore/gitattributes line's pattern (anchoring,
// folders only), .cairnignore's rules (negation, last match wins, ignored folders), and the limits
// that bound what one file can cost (docs/FORMAT.md §14.2).
import { BadFormatError } from '../errors.js';
import { Glob } from './glob-match.js';

/** More rules than this in one file are refused (docs/FORMAT.md §14.2). */
export const MAX_RULES = 10_000;
/**
 * At most this many automaton states over all of a file's wildcard patterns (docs/FORMAT.md §14.2):
 * matching one path costs at most (states × path length) steps, so this bounds the cost of a path
 * (~17M steps for a 255-character name) whatever the file holds. Literal patterns, `*.ext` and
 * folder names take the fast paths and cost nothing here.
 */
export const MAX_AUTOMATON_STATES = 65_536;

/**
 * A gitignore/gitattributes line's pattern: with a '/' other than a trailing one it is matched
 * against the whole path from the root (a leading '/' only anchors); without, against the base
 * name at any depth. `dirOnly`: the pattern ended in '/', so it names folders only.
 */
export class PathPattern {
  private constructor(
    private readonly glob: Glob,
    private readonly anchored: boolean,
    readonly dirOnly: boolean,
  ) {}

  get cost(): number {
    return this.glob.cost;
  }

  static compile(pattern: string): PathPattern {
    let p = pattern;
    // As git: one trailing '/' is taken off (escaped or not) and makes the pattern folders-only.
    const dirOnly = p.endsWith('/');
    if (dirOnly) p = p.slice(0, -1);
    const anchored = p.includes('/');
    if (p.startsWith('/')) p = p.slice(1);
    return new PathPattern(Glob.compile(p), anchored, dirOnly);
  }

  /**
   * `path` is repository-relative, without a trailing '/'; `isDir` says whether it names a folder;
   * `base`, its last component, may be passed by a caller matching many patterns against one path.
   */
  matches(path: string, isDir: boolean, base?: string): boolean {
    if (this.dirOnly && !isDir) return false;
    if (this.anchored) return this.glob.matches(path);
    return this.glob.matches(base ?? baseName(path));
  }
}

function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

interface IgnoreRule {
  pattern: PathPattern;
  negated: boolean;
  /** The line as written, negation included: equal keys are equal rules. */
  key: string;
}

/**
 * The rules of one .cairnignore, with gitignore semantics: the last matching line wins, '!'
 * re-includes, and nothing inside an ignored folder can be re-included (docs/FORMAT.md §14.2).
 */
export class IgnoreRules {
  private readonly dirCache = new Map<string, boolean>();

  private constructor(private readonly rules: readonly IgnoreRule[]) {}

  get size(): number {
    return this.rules.length;
  }

  /** Parses the file's text; more than MAX_RULES rules or an overlong pattern is BAD_FORMAT naming the line. */
  static parse(text: string, source = '.cairnignore'): IgnoreRules {
    const rules: IgnoreRule[] = [];
    const budget = new AutomatonBudget(source);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '' || line.startsWith('#')) continue;
      line = trimTrailingSpaces(line);
      let negated = false;
      if (line.startsWith('!')) {
        negated = true;
        line = line.slice(1);
      }
      if (line === '' || line === '/') continue;
      if (rules.length >= MAX_RULES) throw rulesFileError(source, i + 1, `more than ${MAX_RULES} rules`);
      const pattern = compileLine(line, source, i + 1);
      budget.spend(pattern, i + 1);
      rules.push({ pattern, negated, key: `${negated ? '!' : ''}${line}` });
    }
    return new IgnoreRules(dedupe(rules));
  }

  /** Whether `path` is ignored; a trailing '/' says it is a folder (the `ignore` package's convention). */
  ignores(path: string): boolean {
    const isDir = path.endsWith('/');
    const p = isDir ? path.slice(0, -1) : path;
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) if (this.dirIgnored(p.slice(0, i))) return true;
    return isDir ? this.dirIgnored(p) : this.own(p, false);
  }

  private dirIgnored(dir: string): boolean {
    let hit = this.dirCache.get(dir);
    if (hit === undefined) {
      hit = this.own(dir, true);
      this.dirCache.set(dir, hit);
    }
    return hit;
  }

  /** The last matching rule's verdict for the path itself, parents aside. */
  private own(path: string, isDir: boolean): boolean {
    const base = baseName(path);
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i]!;
      if (r.pattern.matches(path, isDir, base)) return !r.negated;
    }
    return false;
  }
}

/** Counts a rules file's automaton states against MAX_AUTOMATON_STATES; BAD_FORMAT past it. */
export class AutomatonBudget {
  private used = 0;

  constructor(private readonly source: string) {}

  spend(pattern: PathPattern, line: number): void {
    this.used += pattern.cost;
    if (this.used > MAX_AUTOMATON_STATES)
      throw rulesFileError(this.source, line, `wildcard patterns too complex (over ${MAX_AUTOMATON_STATES} automaton states in all)`);
  }
}

/** A pattern from line `line` of `source`, its limit breaches reported as BAD_FORMAT naming the line. */
export function compileLine(pattern: string, source: string, line: number): PathPattern {
  try {
    return PathPattern.compile(pattern);
  } catch (err) {
    if (err instanceof BadFormatError) throw rulesFileError(source, line, `pattern ${(err.data['reason'] as string) ?? err.message}`);
    throw err;
  }
}

/** A rules file (.cairnignore, .cairnattributes) past the limits of docs/FORMAT.md §14.2, at `line`. */
export function rulesFileError(source: string, line: number, reason: string): BadFormatError {
  return new BadFormatError(`${source} line ${line}: ${reason}; shorten the file (docs/FORMAT.md §14.2), then run the command again`, {
    what: source,
    reason,
    line,
  });
}

/** git drops unescaped trailing spaces ("a\ " keeps its space). */
function trimTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line[end - 1] === ' ') {
    let backslashes = 0;
    for (let k = end - 2; k >= 0 && line[k] === '\\'; k--) backslashes++;
    if (backslashes % 2 === 1) break;
    end--;
  }
  return line.slice(0, end);
}

/**
 * The same line repeated changes nothing but the cost of matching: only the last copy of each is
 * kept (the last match wins, so an earlier identical rule can never decide), which takes away
 * the cheapest way to make a rules file slow.
 */
function dedupe(rules: IgnoreRule[]): IgnoreRule[] {
  const last = new Map<string, number>();
  rules.forEach((r, i) => last.set(r.key, i));
  return last.size === rules.length ? rules : rules.filter((r, i) => last.get(r.key) === i);
}
