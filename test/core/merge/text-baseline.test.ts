// The text driver against the real `git merge-file -p` (default conflict style): handcrafted and seeded random
// triples must produce the same bytes and the same conflict count; the deliberate divergences are asserted apart.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mergeText } from '../../../src/core/merge/text-merge.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-merge-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasGit = spawnSync('git', ['--version']).status === 0;

interface GitResult {
  out: Buffer;
  /** git merge-file's exit status: the number of conflicts (capped at 127), or 255 on error. */
  status: number;
}

/** Outside any repository and without user or system config, so merge.conflictStyle cannot leak in. */
function gitMergeFile(base: Buffer, ours: Buffer, theirs: Buffer, extra: string[] = []): GitResult {
  writeFileSync(join(dir, 'ours'), ours);
  writeFileSync(join(dir, 'base'), base);
  writeFileSync(join(dir, 'theirs'), theirs);
  const r = spawnSync('git', ['merge-file', '-p', ...extra, '-L', 'ours', '-L', 'base', '-L', 'theirs', 'ours', 'base', 'theirs'], {
    cwd: dir,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_DIR: join(dir, 'no-repo') },
  });
  return { out: r.stdout, status: r.status ?? -1 };
}

function expectSameAsGit(base: string, ours: string, theirs: string): void {
  const [b, o, t] = [base, ours, theirs].map((s) => Buffer.from(s, 'latin1')) as [Buffer, Buffer, Buffer];
  const git = gitMergeFile(b, o, t);
  const mine = mergeText({ base: b, ours: o, theirs: t, path: 'f.txt' });
  expect(mine.conflicts.length > 0, 'clean vs conflict').toBe(git.status > 0);
  expect(mine.conflicts.length).toBe(git.status);
  expect(mine.content.toString('latin1')).toBe(git.out.toString('latin1'));
  if (git.status === 0) return;
  for (const favor of ['ours', 'theirs'] as const) {
    const settledByGit = gitMergeFile(b, o, t, [`--${favor}`]);
    const settled = mergeText({ base: b, ours: o, theirs: t, path: 'f.txt', favor });
    expect(settled.content.toString('latin1')).toBe(settledByGit.out.toString('latin1'));
    expect(settled.settled).toBe(git.status);
    expect(settled.conflicts).toEqual([]);
  }
}

const L = (...lines: string[]): string => lines.map((l) => `${l}\n`).join('');

// [name, base, ours, theirs]
const CASES: [string, string, string, string][] = [
  ['only ours changed', L('a', 'b', 'c'), L('a', 'B', 'c'), L('a', 'b', 'c')],
  ['only theirs changed', L('a', 'b', 'c'), L('a', 'b', 'c'), L('a', 'b', 'C')],
  ['distant edits on both sides', L('1', '2', '3', '4', '5', '6'), L('one', '2', '3', '4', '5', '6'), L('1', '2', '3', '4', '5', 'six')],
  ['edits one unchanged line apart', L('1', '2', '3'), L('one', '2', '3'), L('1', '2', 'three')],
  ['adjacent edits conflict', L('1', '2', '3'), L('one', '2', '3'), L('1', 'two', '3')],
  ['same change on both sides', L('a', 'b', 'c'), L('a', 'X', 'c'), L('a', 'X', 'c')],
  ['different changes to one line', L('a', 'b', 'c'), L('a', 'ours', 'c'), L('a', 'theirs', 'c')],
  ['inserts at the same place', L('a', 'b'), L('a', 'o1', 'o2', 'b'), L('a', 't1', 'b')],
  ['identical inserts at the same place', L('a', 'b'), L('a', 'n', 'b'), L('a', 'n', 'b')],
  ['delete against modify', L('a', 'b', 'c'), L('a', 'c'), L('a', 'B', 'c')],
  ['both delete the same line', L('a', 'b', 'c'), L('a', 'c'), L('a', 'c')],
  ['insert touching a modified line', L('a', 'b', 'c'), L('a', 'new', 'b', 'c'), L('a', 'B', 'c')],
  ['CRLF conflict markers', 'a\r\nb\r\nc\r\n', 'a\r\nours\r\nc\r\n', 'a\r\ntheirs\r\nc\r\n'],
  ['CRLF clean merge', 'a\r\nb\r\nc\r\nd\r\n', 'A\r\nb\r\nc\r\nd\r\n', 'a\r\nb\r\nc\r\nD\r\n'],
  ['mixed endings', 'a\r\nb\nc\r\n', 'a\r\nx\nc\r\n', 'a\r\ny\r\nc\r\n'],
  ['ours lacks the final newline, clean', L('a', 'b', 'c'), 'a\nb\nc', L('A', 'b', 'c')],
  ['both change an unterminated last line', 'a\nb', 'a\nours', 'a\ntheirs'],
  ['CRLF file, unterminated conflicting last line', 'a\r\nb', 'a\r\nours', 'a\r\ntheirs'],
  ['add/add with different content', '', L('ours', 'same'), L('theirs', 'same')],
  ['add/add with equal content', '', L('x', 'y'), L('x', 'y')],
  ['ours emptied the file, theirs edited it', L('a', 'b'), '', L('a', 'B')],
  [
    'conflict refined around common lines',
    L('a', 'b', 'c', 'd', 'e', 'f', 'g'),
    L('a', 'B1', 'c', 'd', 'e', 'F1', 'g'),
    L('a', 'B2', 'c', 'd', 'e', 'F2', 'g'),
  ],
  [
    'refined conflicts merged across three lines',
    L('0', '1', '2', '3', '4', '5', '6'),
    L('0', 'x', '2', '3', '4', 'y', '6'),
    L('0', 'X', '2', '3', '4', 'Y', '6'),
  ],
  [
    'refined conflicts kept apart by four lines',
    L('0', '1', '2', '3', '4', '5', '6', '7'),
    L('0', 'x', '2', '3', '4', '5', 'y', '7'),
    L('0', 'X', '2', '3', '4', '5', 'Y', '7'),
  ],
  [
    'refined conflicts fused across non-alphanumeric lines',
    L('f {', 'a', '}', '}', '', '}', '{', 'b', '}'),
    L('f {', 'A1', '}', '}', '', '}', '{', 'B1', '}'),
    L('f {', 'A2', '}', '}', '', '}', '{', 'B2', '}'),
  ],
  ['same lines changed, different alignment', L('a', 'b', 'c', 'd'), L('a', 'x', 'y', 'd'), L('a', 'x', 'y', 'd', 'e')],
  ['ambiguous slide of an inserted line', L('a', 'a', 'a', 'b'), L('a', 'a', 'a', 'a', 'b'), L('a', 'a', 'a', 'b', 'c')],
  ['both append different endings', L('a', 'b'), L('a', 'b', 'ours'), L('a', 'b', 'theirs')],
  ['bytes that are not UTF-8', L('a', 'b\xff', 'c'), L('a', 'b\xff\xfe', 'c'), L('A', 'b\xff', 'c')],
  ['whitespace-only differences are differences', L('a', 'b', 'c'), L('a', 'b ', 'c'), L('a', 'b\t', 'c')],
  ['a long line', L('x'.repeat(100_000), 'b'), L('x'.repeat(100_000) + 'y', 'b'), L('x'.repeat(100_000), 'B')],
  ['lone CR is not a line break', 'a\rb\rc', 'a\rB\rc', 'a\rb\rC'],
  ['theirs deletes everything, ours unchanged', L('a', 'b'), L('a', 'b'), ''],
];

describe.skipIf(!hasGit)('text merge matches git merge-file', () => {
  for (const [name, base, ours, theirs] of CASES) {
    it(name, () => expectSameAsGit(base, ours, theirs));
  }

  it('labels reach the markers as git writes them', () => {
    const r = mergeText({
      base: Buffer.from('a\n'),
      ours: Buffer.from('b\n'),
      theirs: Buffer.from('c\n'),
      path: 'f',
      labels: { ours: 'HEAD', theirs: 'feature/x' },
    });
    expect(r.content.toString()).toBe('<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> feature/x\n');
  });

  // Lines from a small alphabet (so diffs are ambiguous and git's tie-breaking matters), a few CRLF and
  // unterminated endings, and random edit scripts for each side.
  const line = fc.constantFrom('a', 'b', 'c', '{', '}', '', 'x y', 'fn()', '  a', 'a\r');
  const lines = fc.array(line, { maxLength: 14 });
  const op = fc.record({ at: fc.nat(), del: fc.nat({ max: 3 }), ins: fc.array(line, { maxLength: 3 }) });
  const edit = (base: string[], ops: { at: number; del: number; ins: string[] }[]): string[] => {
    const out = base.slice();
    for (const { at, del, ins } of ops) out.splice(at % (out.length + 1), del, ...ins);
    return out;
  };
  const text = (ls: string[], terminated: boolean): string =>
    ls.map((l, i) => (i === ls.length - 1 && !terminated ? l : `${l}\n`)).join('');

  it('agrees with git on 200 seeded random triples', () => {
    fc.assert(
      fc.property(
        lines,
        fc.array(op, { maxLength: 4 }),
        fc.array(op, { maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (b, o, t, oEnd, tEnd) => {
          expectSameAsGit(text(b, true), text(edit(b, o), oEnd), text(edit(b, t), tEnd));
        },
      ),
      { seed: 20240611, numRuns: 200 },
    );
  });
});

describe.skipIf(!hasGit)('deliberate divergences from git merge-file', () => {
  it('binary input: git refuses, cairn hands it to the binary driver and reports one conflict', () => {
    const [b, o, t] = ['a\0', 'b\0', 'c\0'].map((s) => Buffer.from(s)) as [Buffer, Buffer, Buffer];
    expect(gitMergeFile(b, o, t).status).toBeGreaterThan(127);
    const r = mergeText({ base: b, ours: o, theirs: t, path: 'f.bin' });
    expect(r.conflicts.map((c) => c.kind)).toEqual(['binary']);
    expect(r.content.equals(o)).toBe(true);
  });

  it('more than 127 conflicts: git caps its exit status at 127, cairn reports every one', () => {
    const n = 150;
    const mk = (tag: string): string =>
      Array.from({ length: n }, (_, i) => L(`${tag}${i}`, `keep${i}a`, `keep${i}b`, `keep${i}c`, `keep${i}d`)).join('');
    const base = mk('base');
    const git = gitMergeFile(Buffer.from(base), Buffer.from(mk('ours')), Buffer.from(mk('theirs')));
    const r = mergeText({ base: Buffer.from(base), ours: Buffer.from(mk('ours')), theirs: Buffer.from(mk('theirs')), path: 'f' });
    expect(git.status).toBe(127);
    expect(r.conflicts).toHaveLength(n);
    expect(r.content.equals(git.out)).toBe(true);
  });

  it('a label holding a line break is flattened so the marker stays one line', () => {
    const r = mergeText({
      base: Buffer.from('a\n'),
      ours: Buffer.from('b\n'),
      theirs: Buffer.from('c\n'),
      path: 'f',
      labels: { ours: 'x\ny' },
    });
    expect(r.content.toString().split('\n')[0]).toBe('<<<<<<< x y');
  });
});
