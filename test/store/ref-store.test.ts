// The SQLite RefStore: the shared conformance suite against a repository folder, then what only
// this store does (a new repository's HEAD, the database's own transaction spanning other tables).
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { Repository } from '../../src/store/repository.js';
import { tempDir } from '../helpers/cli.js';
import { refStoreConformance, type RefStoreFixture } from '../conformance/ref-store.suite.js';

async function openSqliteRefs(): Promise<RefStoreFixture> {
  const { dir, cleanup } = tempDir('cairn-refs-');
  const repo = Repository.init(dir).repo;
  const others: Repository[] = [];
  return {
    refs: repo.refs,
    storeObject: async (seed) => {
      const id = repo.objects.put('chunk', Buffer.from(seed));
      repo.objects.flush();
      return id;
    },
    // Another connection to the same database, as another cairn process or server would open it.
    openAnother: async () => {
      const other = Repository.open(dir);
      others.push(other);
      return { refs: other.refs, close: async () => other.close() };
    },
    close: async () => {
      for (const o of others) if (o.db.open) o.close();
      repo.close();
      cleanup();
    },
  };
}

refStoreConformance('SQLite (repository folder)', openSqliteRefs);

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
