// Entry names, repository paths and ref names: what is accepted, what is refused, and why.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  checkEntryName,
  checkRefName,
  compareNames,
  entryNameProblem,
  foldName,
  joinRepoPath,
  MAX_REF_NAME,
  refNameProblem,
  splitRepoPath,
} from '../../src/core/names.js';
import { codeOf } from '../helpers/errors.js';

const HOSTILE_NAMES = [
  '',
  '.',
  '..',
  'a/b',
  '/',
  'a\\b',
  '\\',
  'x\0y',
  '.cairn',
  '.CAIRN',
  '.Cairn',
  '.cairn.',
  '.cairn ',
  '.cairn. .',
  '.c\u200cairn',
  '\u200f.cairn',
  '.cairn\ufeff',
  'cairn~1',
  'CAIRN~1',
  '.cairn::$INDEX_ALLOCATION',
  '.cairn:stream',
  'a\ud800', // lone surrogate: not representable in UTF-8
  '\udc00b',
  'x'.repeat(256),
  '\u00e9'.repeat(128), // 256 bytes in UTF-8
];

describe('entry names', () => {
  it('refuses names that could escape the worktree or reach the repository folder', () => {
    for (const name of HOSTILE_NAMES) {
      expect(entryNameProblem(name), JSON.stringify(name)).not.toBeNull();
      expect(
        codeOf(() => checkEntryName(name)),
        JSON.stringify(name),
      ).toBe('UNSAFE_PATH');
    }
  });

  it('accepts ordinary names, including ones that merely resemble reserved ones', () => {
    const ok = [
      'a',
      'data.csv',
      '...',
      '.cairnignore',
      'cairn',
      '.cairn2',
      '_cairn',
      'cairn~2',
      '.gitignore',
      '\u00e9t\u00e9',
      '\u{1f600}',
      'x'.repeat(255),
      '\u00e9'.repeat(127) + 'x',
    ];
    for (const name of ok) expect(entryNameProblem(name), name).toBeNull();
  });

  it('accepts every name without separators, NUL or lone surrogates that is not reserved', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (name) => {
        const plain =
          !/[/\\\0]/.test(name) && name !== '.' && name !== '..' && !['.cairn', 'cairn~1'].includes(foldName(name.split(':')[0]!));
        const fits = Buffer.byteLength(name) <= 255;
        expect(entryNameProblem(name) === null).toBe(plain && fits);
      }),
    );
  });

  it('folds names that one file system would store as one file', () => {
    const twins: [string, string][] = [
      ['A.csv', 'a.csv'],
      ['\u00c5', 'a\u030a'], // NFC and NFD Å
      ['\u212b', '\u00e5'], // Angstrom sign and å
      ['a.csv', 'a.csv.'],
      ['a', 'a  '],
      ['ab', 'a\u200cb'],
      ['ab', '\ufeffab'],
    ];
    for (const [a, b] of twins) expect(foldName(a), `${a} ~ ${b}`).toBe(foldName(b));
    for (const [a, b] of [
      ['a', 'b'],
      ['a.csv', 'a.csvx'],
      ['.a', 'a'],
    ] as const)
      expect(foldName(a)).not.toBe(foldName(b));
  });
});

describe('repository paths', () => {
  it('splits and joins', () => {
    expect(splitRepoPath('')).toEqual([]);
    expect(splitRepoPath('a')).toEqual(['a']);
    expect(splitRepoPath('a/b c/d.csv')).toEqual(['a', 'b c', 'd.csv']);
    expect(joinRepoPath('', 'a')).toBe('a');
    expect(joinRepoPath('a/b', 'c')).toBe('a/b/c');
  });

  it('refuses paths with empty, dot or reserved components', () => {
    for (const path of [
      '/a',
      'a/',
      'a//b',
      '.',
      './a',
      'a/./b',
      '../a',
      'a/../b',
      'a/..',
      '.cairn/objects',
      'a/.CAIRN/b',
      'a\\b',
      'a/x\0y',
    ]) {
      expect(
        codeOf(() => splitRepoPath(path)),
        path,
      ).toBe('UNSAFE_PATH');
    }
  });

  it('round-trips join and split for safe components', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._ -]{0,10}$/).filter((p) => entryNameProblem(p) === null);
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        expect(splitRepoPath(parts.reduce(joinRepoPath, ''))).toEqual(parts);
      }),
    );
  });
});

describe('compareNames', () => {
  it('orders by UTF-8 bytes, not by UTF-16 code units', () => {
    expect(compareNames('\uffff', '\u{10000}')).toBeLessThan(0);
    expect('\uffff' < '\u{10000}').toBe(false); // what a plain string comparison would say
    expect(compareNames('B', 'a')).toBeLessThan(0);
    expect(compareNames('a', 'a')).toBe(0);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareNames(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
        expect(Math.sign(compareNames(a, b)) + Math.sign(compareNames(b, a))).toBe(0); // antisymmetric
      }),
    );
  });
});

describe('ref names', () => {
  it('accepts ordinary branch and tag names', () => {
    for (const name of ['main', 'feature/new-schema', 'v1.0', 'release/2024-01', 'a.b/c_d', 'user@host']) {
      expect(refNameProblem(name), name).toBeNull();
      expect(() => checkRefName(name)).not.toThrow();
    }
  });

  it('refuses what git refuses, and more', () => {
    const bad = [
      '',
      'HEAD',
      '/main',
      'main/',
      'a//b',
      'a..b',
      'a@{1}',
      'a b',
      'a\tb',
      'a\nb',
      'a\u007f',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[0]',
      'a\\b',
      'main.',
      '.hidden',
      'a/.b',
      'main.lock',
      'a/b.lock/c',
      '-main',
      'x'.repeat(201),
    ];
    for (const name of bad) {
      expect(refNameProblem(name), JSON.stringify(name)).not.toBeNull();
      expect(
        codeOf(() => checkRefName(name)),
        JSON.stringify(name),
      ).toBe('INVALID_NAME');
    }
  });
});

describe('ref names against git check-ref-format --branch', () => {
  /** Real git's verdict on a branch name (run outside any repository, so '@{-1}' cannot expand). */
  const gitAccepts = (name: string): boolean =>
    spawnSync('git', ['check-ref-format', '--branch', name], { cwd: tmpdir(), stdio: 'ignore' }).status === 0;
  /** Where cairn is stricter than git on purpose (docs/FORMAT.md §13): refused by cairn, accepted by git. */
  const narrowed = (name: string) => name.length > MAX_REF_NAME || name === '@' || /[\u0080-\u009f]/.test(name);

  it('agrees with git on generated names (property), refusing more only where it says so', () => {
    const unit = fc.constantFrom(
      'a',
      'b',
      '.',
      '/',
      '-',
      '@',
      '{',
      '}',
      '~',
      '^',
      ':',
      '?',
      '*',
      '[',
      '\\',
      ' ',
      '\t',
      '\u0001',
      '\u007f',
      '\u009b',
      'é',
      '.lock',
      'HEAD',
      '@{',
      'x',
    );
    fc.assert(
      fc.property(fc.string({ unit, minLength: 0, maxLength: 6 }), (name) => {
        const ours = refNameProblem(name) === null;
        if (narrowed(name)) expect(ours, JSON.stringify(name)).toBe(false);
        else expect(ours, JSON.stringify(name)).toBe(gitAccepts(name));
      }),
      { numRuns: 250 },
    );
  });

  it('agrees with git on the names a hostile remote sends', () => {
    const names = [
      '-delete-me',
      '--force',
      'a..b',
      'a@{0}',
      'x.lock',
      'a/b.lock',
      'HEAD',
      '.hidden',
      'a/',
      'a\u001b[2Jb',
      'a\rb',
      'ok/-fine',
      'v1.0',
      'é/ü',
    ];
    for (const name of names) expect(refNameProblem(name) === null, JSON.stringify(name)).toBe(gitAccepts(name));
    // The same rules hold for the short part of a full name, so no such name becomes a local branch.
    for (const name of ['refs/heads/-x', 'refs/heads/HEAD', 'refs/tags/-t', 'refs/heads/@', 'refs/heads/a..b'])
      expect(refNameProblem(name), name).not.toBeNull();
    expect(refNameProblem('refs/heads/ok/-fine')).toBeNull();
  });
});
