// The hostile-client cases (sync-hostile-client.suite.ts) against `cairn serve --db --objects`: the
// PostgreSQL + S3 backend on the engines of scripts/services.sh (issue 10: "bad input stays refused
// as today"), one server of a cluster of its own (schema and key prefix), the honest repository
// 'good' pushed to it by the CLI. Its store is no folder to fsck: whole means a fresh clone, every
// object verified as it arrives, is fsck-clean (the suite checks the refs); what is stored is
// counted in the cluster's `objects` and `staged` tables.
import { join } from 'node:path';
import { expect } from 'vitest';
import { fsck } from '../../src/ops/fsck.js';
import { Repository } from '../../src/store/repository.js';
import { tempDir } from '../helpers/cli.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { describeHostileClient, honestRepo, run, type HostileBackend } from './sync-hostile-client.suite.js';

function pgBackend(): HostileBackend {
  const sandbox = tempDir('cairn-hostile-pg-');
  let cluster: Cluster | undefined;
  const s = () => `"${cluster!.schema}"`;
  return {
    name: 'PostgreSQL + S3',
    start: async (args, token) => {
      cluster = await startCluster({ servers: 1, args: [...args] });
      const src = join(sandbox.dir, 'src');
      await honestRepo(src);
      const url = cluster.servers[0]!.url;
      const r = await run(['push', `${url}/good`, 'main'], src, { CAIRN_TOKEN: token });
      if (r.code !== 0) throw new Error(`pushing the honest repository failed: ${r.stderr}`);
      return cluster.servers[0]!;
    },
    another: (args) => cluster!.startServer(args),
    assertWhole: async (clone) => {
      const repo = Repository.open(clone);
      try {
        expect(fsck(repo).problems).toEqual([]);
      } finally {
        repo.close();
      }
    },
    stored: async (name) => {
      const rows = await cluster!.query<{ objects: string; staged: string }>(
        `SELECT (SELECT count(*) FROM ${s()}.objects o WHERE o.repo = r.id) AS objects,
                (SELECT count(*) FROM ${s()}.staged t WHERE t.repo = r.id) AS staged
           FROM ${s()}.repositories r WHERE r.name = $1`,
        [name],
      );
      const row = rows[0];
      return row === undefined ? undefined : { objects: Number(row.objects), staged: Number(row.staged) };
    },
    // One entry per repository row: the only place a name from a request can end up.
    footprint: async () =>
      (await cluster!.query<{ name: string }>(`SELECT name FROM ${s()}.repositories ORDER BY name`)).map((r) => r.name),
    stop: async () => {
      await cluster?.stop();
      sandbox.cleanup();
    },
  };
}

describeHostileClient(pgBackend());
