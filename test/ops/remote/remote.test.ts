// Remotes and upstreams: names and URLs validated, config keys as the sync code reads them, and
// removal taking the remote-tracking refs and the upstream settings that used it.
import { afterEach, describe, expect, it } from 'vitest';
import { addRemote, getRemoteUrl, listRemotes, remoteNameProblem, removeRemote, setRemoteUrl } from '../../../src/ops/remote/remote.js';
import { getUpstream, setUpstream, unsetUpstream } from '../../../src/ops/remote/upstream.js';
import { codeOf, errorOf } from '../../helpers/errors.js';
import { makeCommit, tempRepo, type TempRepo } from '../../helpers/history-repo.js';

let t: TempRepo;
afterEach(() => t?.cleanup());

describe('remote names', () => {
  it('accepts letters, digits, dot, underscore and dash', () => {
    for (const ok of ['origin', 'up-stream', 'backup_2', 'a.b', 'X', 'a'.repeat(64)]) expect(remoteNameProblem(ok)).toBeNull();
  });

  it("refuses leading '.' or '-', '..', '/', spaces, '.lock' and names over 64 characters", () => {
    for (const bad of ['', '.origin', '-o', 'a..b', 'a/b', 'a b', 'orígin', 'x.lock', 'x.', 'a'.repeat(65), 'a:b']) {
      expect(remoteNameProblem(bad), bad).not.toBeNull();
    }
  });
});

describe('addRemote / listRemotes / getRemoteUrl', () => {
  it('stores remote.<name>.url and lists remotes sorted by name', () => {
    t = tempRepo();
    addRemote(t.repo, 'origin', 'http://127.0.0.1:8080/data');
    addRemote(t.repo, 'backup', 'https://example.com/repos/data');
    addRemote(t.repo, 'a.b', 'http://h/x');
    expect(t.repo.config.get('remote.origin.url')).toBe('http://127.0.0.1:8080/data');
    expect(listRemotes(t.repo)).toEqual([
      { name: 'a.b', url: 'http://h/x' },
      { name: 'backup', url: 'https://example.com/repos/data' },
      { name: 'origin', url: 'http://127.0.0.1:8080/data' },
    ]);
    expect(getRemoteUrl(t.repo, 'backup')).toBe('https://example.com/repos/data');
  });

  it('refuses a taken name (ALREADY_EXISTS) and leaves the URL alone', () => {
    t = tempRepo();
    addRemote(t.repo, 'origin', 'http://a/x');
    expect(codeOf(() => addRemote(t.repo, 'origin', 'http://b/x'))).toBe('ALREADY_EXISTS');
    expect(getRemoteUrl(t.repo, 'origin')).toBe('http://a/x');
  });

  it('refuses bad names (INVALID_NAME) and URLs that are not http(s) (USAGE)', () => {
    t = tempRepo();
    expect(codeOf(() => addRemote(t.repo, '-x', 'http://a/x'))).toBe('INVALID_NAME');
    for (const url of ['ftp://a/x', 'file:///tmp/x', 'git@github.com:a/b', '/tmp/repo', 'not a url', 'http://a/ x', 'http://a/x\n']) {
      expect(
        codeOf(() => addRemote(t.repo, 'o', url)),
        url,
      ).toBe('USAGE');
    }
    expect(listRemotes(t.repo)).toEqual([]);
  });

  it('refuses a URL carrying a user name or password, without echoing the secret', () => {
    t = tempRepo();
    for (const url of ['https://alice:s3cr3t@example.com/r', 'https://tok3n@example.com/r']) {
      const err = errorOf(() => addRemote(t.repo, 'o', url));
      expect(err.code).toBe('USAGE');
      expect(err.message).not.toContain('s3cr3t');
      expect(err.message).not.toContain('tok3n');
      expect(err.message).toContain('CAIRN_TOKEN');
    }
  });

  it('getRemoteUrl of an unknown remote is NOT_FOUND', () => {
    t = tempRepo();
    const err = errorOf(() => getRemoteUrl(t.repo, 'nope'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('cairn remote add NAME URL');
  });

  it('setRemoteUrl changes an existing remote only', () => {
    t = tempRepo();
    addRemote(t.repo, 'origin', 'http://a/x');
    expect(setRemoteUrl(t.repo, 'origin', 'https://b/y')).toEqual({ name: 'origin', url: 'https://b/y', oldUrl: 'http://a/x' });
    expect(getRemoteUrl(t.repo, 'origin')).toBe('https://b/y');
    expect(codeOf(() => setRemoteUrl(t.repo, 'other', 'http://a/x'))).toBe('NOT_FOUND');
    expect(codeOf(() => setRemoteUrl(t.repo, 'origin', 'ssh://a/x'))).toBe('USAGE');
  });
});

describe('removeRemote', () => {
  it('deletes its config, its remote-tracking refs and the upstreams that used it, nothing else', () => {
    t = tempRepo();
    const c = makeCommit(t.repo, { files: { f: '1' }, message: 'one' });
    addRemote(t.repo, 'origin', 'http://a/x');
    addRemote(t.repo, 'origin.b', 'http://a/y');
    addRemote(t.repo, 'other', 'http://b/x');
    t.repo.config.set('remote.origin.note', 'kept until removal');
    t.repo.refs.update(
      [
        { name: 'refs/remotes/origin/main', expected: null, next: c },
        { name: 'refs/remotes/origin/feature/x', expected: null, next: c },
        { name: 'refs/remotes/origin.b/main', expected: null, next: c },
        { name: 'refs/remotes/other/main', expected: null, next: c },
      ],
      'test',
      'fetch',
    );
    setUpstream(t.repo, 'main', 'origin', 'main');
    setUpstream(t.repo, 'feature/x', 'origin', 'feature/x');
    setUpstream(t.repo, 'dev', 'other', 'dev');

    const res = removeRemote(t.repo, 'origin');
    expect(res).toEqual({
      name: 'origin',
      url: 'http://a/x',
      deletedRefs: ['refs/remotes/origin/feature/x', 'refs/remotes/origin/main'],
      untracked: ['feature/x', 'main'],
    });
    expect(listRemotes(t.repo).map((r) => r.name)).toEqual(['origin.b', 'other']);
    expect(t.repo.config.get('remote.origin.note')).toBeUndefined();
    expect(t.repo.refs.list('refs/remotes/').map((r) => r.name)).toEqual(['refs/remotes/origin.b/main', 'refs/remotes/other/main']);
    expect(getUpstream(t.repo, 'main')).toBeUndefined();
    expect(t.repo.config.get('branch.main.merge')).toBeUndefined();
    expect(getUpstream(t.repo, 'dev')?.remote).toBe('other');
    // The deletions are logged like every ref change.
    expect(t.repo.refs.reflog('refs/remotes/origin/main')[0]).toMatchObject({ old: c, new: null });
  });

  it('of an unknown remote is NOT_FOUND', () => {
    t = tempRepo();
    expect(codeOf(() => removeRemote(t.repo, 'origin'))).toBe('NOT_FOUND');
  });
});

describe('upstreams', () => {
  it('setUpstream writes branch.<B>.remote and branch.<B>.merge; getUpstream reads them back', () => {
    t = tempRepo();
    addRemote(t.repo, 'origin', 'http://a/x');
    const up = setUpstream(t.repo, 'dev', 'origin', 'trunk');
    expect(up).toEqual({
      remote: 'origin',
      mergeRef: 'refs/heads/trunk',
      trackingRef: 'refs/remotes/origin/trunk',
      shortName: 'origin/trunk',
    });
    expect(t.repo.config.get('branch.dev.remote')).toBe('origin');
    expect(t.repo.config.get('branch.dev.merge')).toBe('refs/heads/trunk');
    expect(getUpstream(t.repo, 'dev')).toEqual(up);
    expect(setUpstream(t.repo, 'dev', 'origin', 'refs/heads/other').mergeRef).toBe('refs/heads/other');
  });

  it('is undefined when unset, half set, or hand-edited into something unusable', () => {
    t = tempRepo();
    expect(getUpstream(t.repo, 'main')).toBeUndefined();
    t.repo.config.set('branch.main.remote', 'origin');
    expect(getUpstream(t.repo, 'main')).toBeUndefined();
    t.repo.config.set('branch.main.merge', 'refs/tags/v1');
    expect(getUpstream(t.repo, 'main')).toBeUndefined();
    t.repo.config.set('branch.main.merge', 'refs/heads/a..b');
    expect(getUpstream(t.repo, 'main')).toBeUndefined();
    t.repo.config.set('branch.main.merge', 'refs/heads/main');
    t.repo.config.set('branch.main.remote', '../x');
    expect(getUpstream(t.repo, 'main')).toBeUndefined();
  });

  it('refuses an unknown remote (NOT_FOUND) and bad branch names (INVALID_NAME)', () => {
    t = tempRepo();
    expect(codeOf(() => setUpstream(t.repo, 'main', 'origin', 'main'))).toBe('NOT_FOUND');
    addRemote(t.repo, 'origin', 'http://a/x');
    expect(codeOf(() => setUpstream(t.repo, 'main', 'origin', 'a..b'))).toBe('INVALID_NAME');
    expect(codeOf(() => setUpstream(t.repo, 'bad name', 'origin', 'main'))).toBe('INVALID_NAME');
    expect(t.repo.config.get('branch.main.remote')).toBeUndefined();
  });

  it('unsetUpstream forgets both keys', () => {
    t = tempRepo();
    addRemote(t.repo, 'origin', 'http://a/x');
    setUpstream(t.repo, 'main', 'origin', 'main');
    expect(unsetUpstream(t.repo, 'main')).toBe(true);
    expect(unsetUpstream(t.repo, 'main')).toBe(false);
    expect(getUpstream(t.repo, 'main')).toBeUndefined();
  });
});
