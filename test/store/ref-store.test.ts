// The SQLite RefStore: the shared conformance suite against a repository folder, then what only
// this store does (a new repository's HEAD, the database's own transaction spanning other tables).
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { Repository } from '../../src/store/repository.js';
import { tempDir } from '../helpers/cli.js';
import { refStoreConformance } from '../conformance/ref-store.suite.js';
import { openFolderRefs } from '../conformance/folder-refs.js';

refStoreConformance('SQLite (repository folder)', () => openFolderRefs());

describe('SQLite RefStore', () => {
  let dir: string;
  let cleanup: () => void;
  let repo: Repository;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    repo = Repository.init(dir).repo;
  });
  afterEach(() => {
    repo.close();
    cleanup();
  });

  it('starts a new repository with HEAD pointing at an unborn main', () => {
    expect(repo.refs.read('HEAD')).toEqual({ symbolic: true, target: 'refs/heads/main' });
    expect(repo.refs.resolve('HEAD')).toBeNull();
    expect(repo.refs.reflog('HEAD')).toEqual([expect.objectContaining({ old: null, new: null, who: 'cairn', message: 'init' })]);
  });

  it('a transaction spans the other tables of the database: a failure undoes config writes too', () => {
    expect(() =>
      repo.refs.transaction(() => {
        repo.config.set('remote.origin.url', 'http://example.invalid/r');
        throw new Error('interrupted');
      }),
    ).toThrow('interrupted');
    expect(repo.config.get('remote.origin.url')).toBeUndefined();
  });
});
