// Revision syntax as git users expect it: full and abbreviated ids (at least 4 hex digits, unique),
// branches, tags, HEAD, and the suffixes ~N and ^N through merges.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveRevision, splitRevPath } from '../../../src/ops/history/rev-parse.js';
import { CairnError } from '../../../src/errors.js';
import { hashObject } from '../../../src/core/hash.js';
import { encodeCommit, type Commit } from '../../../src/core/commit-object.js';
import { writeCommit } from '../../../src/store/typed-objects.js';
import { AUTHOR, T0, makeCommit, tempRepo, type TempRepo } from '../../helpers/history-repo.js';

let t: TempRepo;
beforeEach(() => {
  t = tempRepo();
});
afterEach(() => t.cleanup());

function codeOf(rev: string): string | undefined {
  try {
    resolveRevision(t.repo, rev);
  } catch (err) {
    if (err instanceof CairnError) return err.code;
    throw err;
  }
  return undefined;
}

/** c1 <- c2 (main) ; c1 <- s (side) ; m = [c2, s] on main ; tag v1 at c2. */
function history() {
  const c1 = makeCommit(t.repo, { files: { f: '1' }, message: 'one', at: 0 });
  const c2 = makeCommit(t.repo, { files: { f: '2' }, message: 'two', at: 10 });
  const s = makeCommit(t.repo, { files: { g: 's' }, message: 'side', at: 20, parents: [c1], branch: 'side' });
  const m = makeCommit(t.repo, { files: { f: '2', g: 's' }, message: 'merge', at: 30, parents: [c2, s] });
  t.repo.refs.update([{ name: 'refs/tags/v1', expected: null, next: c2 }], 'test', 'tag');
  return { c1, c2, s, m };
}

describe('resolveRevision', () => {
  it('resolves HEAD, @, branches, tags and full refs', () => {
    const { c2, s, m } = history();
    expect(resolveRevision(t.repo, 'HEAD')).toBe(m);
    expect(resolveRevision(t.repo, '@')).toBe(m);
    expect(resolveRevision(t.repo, 'main')).toBe(m);
    expect(resolveRevision(t.repo, 'side')).toBe(s);
    expect(resolveRevision(t.repo, 'v1')).toBe(c2);
    expect(resolveRevision(t.repo, 'refs/tags/v1')).toBe(c2);
  });

  it('resolves full ids and unique abbreviations of at least 4 hex digits, in any case', () => {
    const { c1 } = history();
    expect(resolveRevision(t.repo, c1)).toBe(c1);
    expect(resolveRevision(t.repo, c1.slice(0, 12).toUpperCase())).toBe(c1);
    expect(codeOf(c1.slice(0, 3))).toBe('NOT_FOUND');
    expect(codeOf('0'.repeat(64))).toBe('NOT_FOUND');
  });

  it('follows ~N along first parents and ^N to the Nth parent of a merge', () => {
    const { c1, c2, s, m } = history();
    expect(resolveRevision(t.repo, 'HEAD~')).toBe(c2);
    expect(resolveRevision(t.repo, 'HEAD~1')).toBe(c2);
    expect(resolveRevision(t.repo, 'HEAD~2')).toBe(c1);
    expect(resolveRevision(t.repo, 'HEAD^')).toBe(c2);
    expect(resolveRevision(t.repo, 'HEAD^1')).toBe(c2);
    expect(resolveRevision(t.repo, 'HEAD^2')).toBe(s);
    expect(resolveRevision(t.repo, 'HEAD^2~1')).toBe(c1);
    expect(resolveRevision(t.repo, 'HEAD^^')).toBe(c1);
    expect(resolveRevision(t.repo, 'main^0')).toBe(m);
    expect(resolveRevision(t.repo, `${m.slice(0, 8)}^2`)).toBe(s);
  });

  it('reports history that is too short, and a missing parent number, as NOT_FOUND', () => {
    history();
    expect(codeOf('HEAD~3')).toBe('NOT_FOUND');
    expect(codeOf('HEAD^3')).toBe('NOT_FOUND');
    expect(codeOf('side^2')).toBe('NOT_FOUND');
  });

  it('reports unknown names as NOT_FOUND and an unborn HEAD as NOT_FOUND', () => {
    expect(codeOf('HEAD')).toBe('NOT_FOUND');
    history();
    expect(codeOf('nope')).toBe('NOT_FOUND');
    expect(codeOf('')).toBe('USAGE');
  });

  it('refuses an abbreviation shared by two commits with AMBIGUOUS', () => {
    // Find two commit bodies whose ids share 4 hex digits (birthday bound: a few hundred tries).
    const tree = hashObject('tree', Buffer.from([1, 0]));
    const seen = new Map<string, Commit>();
    let pair: [Commit, Commit] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const c: Commit = { tree, parents: [], author: AUTHOR, time: T0, tzOffset: 0, message: `try ${i}`, meta: {} };
      const prefix = hashObject('commit', encodeCommit(c)).slice(0, 4);
      const other = seen.get(prefix);
      if (other !== undefined) pair = [other, c];
      else seen.set(prefix, c);
    }
    t.repo.objects.put('tree', Buffer.from([1, 0]));
    const a = writeCommit(t.repo.objects, pair[0]);
    const b = writeCommit(t.repo.objects, pair[1]);
    t.repo.objects.flush();
    let err: CairnError | undefined;
    try {
      resolveRevision(t.repo, a.slice(0, 4));
    } catch (e) {
      err = e as CairnError;
    }
    expect(err?.code).toBe('AMBIGUOUS');
    expect([...(err?.data['candidates'] as string[])].sort()).toEqual([a, b].sort());
    // One more digit that differs settles it.
    let n = 5;
    while (a.slice(0, n) === b.slice(0, n)) n++;
    expect(resolveRevision(t.repo, a.slice(0, n))).toBe(a);
  });

  it('prefers a branch over an id prefix with the same spelling', () => {
    const { c1, m } = history();
    const name = m.slice(0, 6);
    t.repo.refs.update([{ name: `refs/heads/${name}`, expected: null, next: c1 }], 'test', 'branch');
    expect(resolveRevision(t.repo, name)).toBe(c1);
  });

  it('refuses a prefix that names a tree, not a commit', () => {
    const { m } = history();
    const tree = (t.repo.objects
      .get(m, 'commit')
      .data.toString('utf8')
      .match(/^tree ([0-9a-f]{64})/) ?? [])[1]!;
    expect(codeOf(tree.slice(0, 10))).toBe('USAGE');
  });
});

describe('splitRevPath', () => {
  it('splits REV:PATH, defaults an empty REV to HEAD, and leaves a bare REV without a path', () => {
    expect(splitRevPath('main:data/a.csv')).toEqual({ rev: 'main', path: 'data/a.csv' });
    expect(splitRevPath(':a.csv')).toEqual({ rev: 'HEAD', path: 'a.csv' });
    expect(splitRevPath('HEAD~1:')).toEqual({ rev: 'HEAD~1', path: '' });
    expect(splitRevPath('v1')).toEqual({ rev: 'v1', path: undefined });
  });
});
