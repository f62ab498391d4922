// The server-storage conformance suite (test/conformance/server-storage.suite.ts) against the folder
// backend: today's SQLite + packs under a root folder, wrapped (src/sync/server/storage/folder-backend.ts).
import { describeServerStorage } from '../../../conformance/server-storage.suite.js';
import { FolderStorage } from '../../../../src/sync/server/storage/folder-backend.js';
import { tempDir } from '../../../helpers/cli.js';

describeServerStorage('folder', async () => {
  const t = tempDir('cairn-folder-storage-');
  const storage = new FolderStorage(t.dir);
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      t.cleanup();
    },
  };
});
