// The linear-time glob matcher behind .cairnignore and .cairnattributes: agrees with a plain
// (backtracking) regular-expression translation on small inputs, with real `git check-ignore` on
// gitignore rules, and finishes at once on the patterns that made regex matching hang.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Glob, MAX_PATTERN_LENGTH } from '../../src/core/glob-match.js';
import { IgnoreRules, MAX_AUTOMATON_STATES, MAX_RULES, PathPattern } from '../../src/core/path-rules.js';
import { Attributes } from '../../src/ops/merge/attributes.js';
import { codeOf } from '../helpers/errors.js';

/** The reference: the same wildmatch rules as a JS regular expression (fine for tiny inputs). */
function referenceRegExp(pattern: string): RegExp | null {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      let j = i;
      while (pattern[j + 1] === '*') j++;
      const atStart = i === 0 || pattern[i - 1] === '/';
      if (j > i && atStart && pattern[j + 1] === '/') {
        re += '(?:.*/)?';
        j++;
      } else if (j > i && atStart && (j + 1 === pattern.length || pattern.slice(j + 1, j + 3) === '\\/')) re += '.*';
      else re += '[^/]*';
      i = j;
    } else if (c === '?') re += '[^/]';
    else if (c === '[')
      return null; // classes are checked against git below
    else if (c === '\\') {
      if (i + 1 >= pattern.length) return /(?!)/;
      re += escapeRe(pattern[++i]!);
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

const patternArb = fc.string({ unit: fc.constantFrom('a', 'b', '/', '*', '?', '\\', '.'), maxLength: 9 });
const textArb = fc.string({ unit: fc.constantFrom('a', 'b', '/', '.', '*'), maxLength: 10 });

describe('Glob', () => {
  it('agrees with the regular-expression reference on small random patterns and texts', () => {
    fc.assert(
      fc.property(patternArb, textArb, (pattern, text) => {
        const ref = referenceRegExp(pattern)!;
        expect(Glob.compile(pattern).matches(text), `${JSON.stringify(pattern)} ~ ${JSON.stringify(text)}`).toBe(ref.test(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the reference on long patterns spanning several 32-state words (property)', () => {
    // Texts are made from the pattern (each wildcard filled in), then possibly mutated: most match.
    const piece = fc.oneof(
      fc.constantFrom('a', 'b', '/', 'ab', 'ba/', '.c').map((l) => ({ p: l, t: fc.constant(l) })),
      fc.constant({ p: '*', t: fc.constantFrom('', 'a', 'ab', 'bba') }),
      fc.constant({ p: '?', t: fc.constantFrom('a', 'b') }),
      fc.constant({ p: '/**/', t: fc.constantFrom('/', '/x/', '/x/y/') }),
    );
    const arb = fc
      .array(piece, { minLength: 10, maxLength: 40 })
      .filter((ps) => ps.filter((x) => x.p === '*').length <= 6)
      .chain((ps) =>
        fc.tuple(
          fc.constant(ps.map((x) => x.p).join('')),
          fc.tuple(...ps.map((x) => x.t)).map((ts) => ts.join('')),
          fc.option(fc.tuple(fc.nat(), fc.constantFrom('a', 'b', '/', 'z')), { nil: undefined }),
        ),
      );
    fc.assert(
      fc.property(arb, ([pattern, made, mutation]) => {
        let text = made;
        if (mutation !== undefined && text.length > 0) {
          const at = mutation[0] % text.length;
          text = text.slice(0, at) + mutation[1] + text.slice(at + 1);
        }
        expect(Glob.compile(pattern).matches(text), `${pattern} ~ ${text}`).toBe(referenceRegExp(pattern)!.test(text));
      }),
      { numRuns: 1500 },
    );
  });

  it('matches classes as git does: ranges, negation, a leading ], escapes and POSIX names', () => {
    const cases: [string, string, boolean][] = [
      ['f[0-9].txt', 'f7.txt', true],
      ['f[0-9].txt', 'fa.txt', false],
      ['f[!0-9]', 'fa', true],
      ['f[^0-9]', 'f1', false],
      ['[]a]', ']', true],
      ['[]a]', 'a', true],
      ['[\\]]', ']', true],
      ['[[:digit:]]x', '5x', true],
      ['[[:alpha:]]', '5', false],
      ['[[:nope:]]', 'a', false],
      ['a[/]b', 'a/b', false],
      ['a[b', 'a[b', false], // an unclosed '[' makes git abort the match
      ['[a-]', '-', true],
    ];
    for (const [p, t, want] of cases) expect(Glob.compile(p).matches(t), `${p} ~ ${t}`).toBe(want);
  });

  it('keeps the literal fast paths (head, tail, inner literal) out of the way of an optional "**/"', () => {
    const cases: [string, string, boolean][] = [
      ['**/y', 'y', true],
      ['**/y', 'a/b/y', true],
      ['**/y', 'ay', false],
      ['a/**/b', 'a/b', true],
      ['a/**/b', 'a/x/y/b', true],
      ['a/**/b', 'ab', false],
      ['**/cache/**', 'cache/x', true],
      ['**/cache/**', 'x/cache/y/z', true],
      ['**/cache/**', 'x/nocache/y', false],
      ['x*y*x', 'xyx', true],
      ['x*y*x', 'xx', false],
      ['*.tmp', 'a.tmp', true],
      ['*.tmp', 'd/a.tmp', false],
    ];
    for (const [p, t, want] of cases) expect(Glob.compile(p).matches(t), `${p} ~ ${t}`).toBe(want);
  });

  it('finishes at once on patterns that make a backtracking regex run for minutes', () => {
    const hostile = ['**/*a*a*a*a*a*a*a*a*a*b', '*a*a*a*a*a*a*a*a*a*a*a*a*b', '**/**/**/**/**/**/**/**/**/**/x', `${'*a'.repeat(500)}b`];
    const texts = [`x/${'a'.repeat(4000)}`, `${'a/'.repeat(2000)}c`, 'a'.repeat(10_000)];
    const started = performance.now();
    for (const p of hostile) for (const t of texts) expect(Glob.compile(p).matches(t)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it(`refuses a pattern longer than ${MAX_PATTERN_LENGTH} characters`, () => {
    expect(codeOf(() => Glob.compile('a'.repeat(MAX_PATTERN_LENGTH + 1)))).toBe('BAD_FORMAT');
    expect(Glob.compile('a'.repeat(MAX_PATTERN_LENGTH)).matches('a'.repeat(MAX_PATTERN_LENGTH))).toBe(true);
  });
});

describe('PathPattern', () => {
  it('matches as in gitattributes: base name without a slash, anchored with one', () => {
    const m = (p: string, path: string) => PathPattern.compile(p).matches(path, false);
    expect(m('*.json', 'a/b/c.json')).toBe(true);
    expect(m('data/*.json', 'data/x.json')).toBe(true);
    expect(m('data/*.json', 'data/sub/x.json')).toBe(false);
    expect(m('data/*.json', 'other/data/x.json')).toBe(false);
    expect(m('/top.csv', 'top.csv')).toBe(true);
    expect(m('/top.csv', 'x/top.csv')).toBe(false);
    expect(m('data/**/*.jsonl', 'data/a/b/c.jsonl')).toBe(true);
    expect(m('data/**/*.jsonl', 'data/c.jsonl')).toBe(true);
    expect(m('f[0-9].txt', 'f7.txt')).toBe(true);
    expect(m('folder/', 'folder')).toBe(false);
    expect(PathPattern.compile('folder/').matches('folder', true)).toBe(true);
  });
});

// ---- git check-ignore as the baseline for whole rule files ----

const scratch = mkdtempSync(join(tmpdir(), 'cairn-glob-'));
// No user or system configuration: a global core.excludesFile would add rules of its own.
const GIT_ENV = { PATH: process.env['PATH'] ?? '', HOME: scratch, XDG_CONFIG_HOME: scratch, GIT_CONFIG_NOSYSTEM: '1' };
spawnSync('git', ['init', '-q', scratch], { env: GIT_ENV });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let runs = 0;

/**
 * The paths (a trailing '/' marks a folder) that real git ignores under these rules. Folders are
 * made for real and asked about without the '/' (check-ignore matches "a/" text against "a/**",
 * which git's own walk never does), files in a second run where no folder exists.
 */
function gitIgnored(rules: string, paths: readonly string[]): Set<string> {
  const dirs = paths.filter((p) => p.endsWith('/'));
  const files = paths.filter((p) => !p.endsWith('/'));
  const out = new Set<string>();
  for (const [asked, makeDirs] of [
    [dirs, true],
    [files, false],
  ] as const) {
    if (asked.length === 0) continue;
    const dir = join(scratch, String(runs++));
    mkdirSync(dir);
    writeFileSync(join(dir, '.gitignore'), rules);
    if (makeDirs) for (const d of asked) mkdirSync(join(dir, d), { recursive: true });
    const input = asked.map((p) => p.replace(/\/$/, '')).join('\n') + '\n';
    const r = spawnSync('git', ['-C', dir, 'check-ignore', '--no-index', '--stdin'], { input, encoding: 'utf8', env: GIT_ENV });
    if (r.status !== 0 && r.status !== 1) throw new Error(`git check-ignore failed: ${r.stderr}`);
    rmSync(dir, { recursive: true, force: true });
    for (const l of r.stdout.split('\n')) if (l !== '') out.add(makeDirs ? `${l}/` : l);
  }
  return out;
}

const PATHS = [
  'a',
  'b',
  'a.tmp',
  'x.tmp',
  'a/b',
  'a/b/',
  'a/',
  'b/',
  'a/b/c',
  'a/b/c.tmp',
  'b/a',
  'b/a/c',
  'c/a/b',
  'keep.tmp',
  'logs/',
  'logs/keep',
  'logs/x.log',
  'x/logs/',
  'x/logs/y',
  'deep/er/est/a',
  'deep/er/',
  'ab',
  'ba',
  'a b',
  '#x',
  '!x',
];

describe('IgnoreRules against git check-ignore', () => {
  it('agrees on a table of everyday and awkward rule files', () => {
    const files = [
      '*.tmp\n!keep.tmp\n',
      'logs/\n!logs/keep\n',
      '/a\n',
      'a/\n',
      'a/**\n',
      '**/a\n',
      '**/a/b\n',
      'a/**/c\n',
      'deep/**/a\n',
      '*\n!*/\n!a\n',
      'logs\n',
      '/logs/\n',
      '\\#x\n\\!x\n',
      '# comment\n\n  \na \n',
      'a\\ b\n',
      '[ab]\n',
      '?\n',
      'a/*\n!a/b\n',
      'b/**/\n',
      'x/**/y\n',
      '**\n!a\n',
      'a\r\nb\r\n',
      '*.tmp\n*.tmp\n!x.tmp\n*.tmp\n',
    ];
    for (const rules of files) {
      const ours = IgnoreRules.parse(rules);
      const git = gitIgnored(rules, PATHS);
      const mine = new Set(PATHS.filter((p) => ours.ignores(p)));
      expect([...mine].sort(), JSON.stringify(rules)).toEqual([...git].sort());
    }
  });

  it('agrees on random rule files (property, one git run per case)', () => {
    const seg = fc.constantFrom('a', 'b', '*', '**', '?', 'a*', '*b', '[ab]');
    const rule = fc
      .tuple(fc.boolean(), fc.boolean(), fc.array(seg, { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([neg, lead, segs, dir]) => `${neg ? '!' : ''}${lead ? '/' : ''}${segs.join('/')}${dir ? '/' : ''}`);
    const pathArb = fc
      .tuple(fc.array(fc.constantFrom('a', 'b', 'ab', 'ba', 'c'), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([parts, dir]) => `${parts.join('/')}${dir ? '/' : ''}`);
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(pathArb, { minLength: 1, maxLength: 12 }),
        (rules, paths) => {
          const text = rules.join('\n') + '\n';
          const ours = IgnoreRules.parse(text);
          const mine = paths.filter((p) => ours.ignores(p)).sort();
          expect(mine, text).toEqual([...gitIgnored(text, paths)].sort());
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('IgnoreRules limits', () => {
  it(`refuses more than ${MAX_RULES} rules and an overlong pattern, naming the line (BAD_FORMAT)`, () => {
    const many = Array.from({ length: MAX_RULES + 1 }, (_, i) => `f${i}`).join('\n');
    expect(codeOf(() => IgnoreRules.parse(many))).toBe('BAD_FORMAT');
    expect(() => IgnoreRules.parse(`ok\n${'x'.repeat(MAX_PATTERN_LENGTH + 1)}\n`)).toThrow(/line 2/);
  });

  it(`refuses wildcard patterns past ${MAX_AUTOMATON_STATES} automaton states in all, and bounds a hostile file's cost per path`, () => {
    const hostile = (n: number) => Array.from({ length: n }, (_, i) => `${'*a'.repeat(40)}[a${i}]`).join('\n');
    expect(codeOf(() => IgnoreRules.parse(hostile(1000)))).toBe('BAD_FORMAT');
    expect(codeOf(() => Attributes.parse(hostile(1000).replace(/\n/g, ' merge=text\n')))).toBe('BAD_FORMAT');
    // Literal names and '*.ext' cost nothing: a long list of them is fine.
    expect(IgnoreRules.parse(Array.from({ length: MAX_RULES }, (_, i) => (i % 2 ? `/data/f${i}.csv` : `*.x${i}`)).join('\n')).size).toBe(
      MAX_RULES,
    );
    const worst = IgnoreRules.parse(hostile(790));
    const started = performance.now();
    for (let i = 0; i < 5; i++) expect(worst.ignores(`${'a'.repeat(249)}b`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('keeps one copy of a repeated rule, so repetition cannot multiply the cost', () => {
    const rules = IgnoreRules.parse(`${'*.tmp\n'.repeat(5000)}!keep.tmp\n`);
    expect(rules.size).toBe(2);
    expect(rules.ignores('a.tmp')).toBe(true);
    expect(rules.ignores('keep.tmp')).toBe(false);
  });
});
