// The hostile-client cases (sync-hostile-client.suite.ts) against `cairn serve --root`: the folder
// backend, its repository 'good' made in place under the root. Whole means fsck-clean as served
// (the folder itself, read with the library); what is stored is read from its SQLite file.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { fsck } from '../../src/ops/fsck.js';
import { CAIRN_DIR, DB_FILE, Repository } from '../../src/store/repository.js';
import { tempDir } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { describeHostileClient, honestRepo, listing, type HostileBackend } from './sync-hostile-client.suite.js';

function folderBackend(): HostileBackend {
  const sandbox = tempDir('cairn-hostile-folder-');
  const root = join(sandbox.dir, 'root');
  const servers: TestServer[] = [];
  const serve = async (args: readonly string[]) => {
    const s = await startServer(root, [...args]);
    servers.push(s);
    return s;
  };
  return {
    name: 'folder',
    start: async (args) => {
      await honestRepo(join(root, 'good'));
      return serve(args);
    },
    another: serve,
    assertWhole: async () => {
      const repo = Repository.open(join(root, 'good'));
      try {
        expect(fsck(repo).problems).toEqual([]);
      } finally {
        repo.close();
      }
    },
    stored: async (name) => {
      const file = join(root, ...name.split('/'), CAIRN_DIR, DB_FILE);
      if (!existsSync(file)) return undefined;
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT (SELECT count(*) FROM objects) AS objects, (SELECT count(*) FROM staged) AS staged').get() as {
          objects: number;
          staged: number;
        };
      } finally {
        db.close();
      }
    },
    // Everything in the sandbox, relative to the root: a path that escaped it reads '../...'.
    footprint: async () => listing(sandbox.dir).map((p) => relative(root, join(sandbox.dir, p))),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      sandbox.cleanup();
    },
  };
}

describeHostileClient(folderBackend());
