// The ref-store suite's fixture for a repository folder: its SQLite refs as they are, or wrapped
// (the server seam's FolderRefStore). One fixture, so both runs test the same folder setup.
import type { RefStore } from '../../src/store/ref-store-contract.js';
import { Repository } from '../../src/store/repository.js';
import type { ServerRefStore } from '../../src/sync/server/storage/refs.js';
import { tempDir } from '../helpers/cli.js';
import type { RefStoreFixture } from './ref-store.suite.js';

export async function openFolderRefs(wrap: (refs: RefStore) => RefStore | ServerRefStore = (r) => r): Promise<RefStoreFixture> {
  const { dir, cleanup } = tempDir('cairn-refs-');
  const repo = Repository.init(dir).repo;
  const others: Repository[] = [];
  return {
    refs: wrap(repo.refs),
    storeObject: async (seed) => {
      const id = repo.objects.put('chunk', Buffer.from(seed));
      repo.objects.flush();
      return id;
    },
    // Another connection to the same database, as another cairn process or server would open it.
    openAnother: async () => {
      const other = Repository.open(dir);
      others.push(other);
      return { refs: wrap(other.refs), close: async () => other.close() };
    },
    close: async () => {
      for (const o of others) if (o.db.open) o.close();
      repo.close();
      cleanup();
    },
  };
}
