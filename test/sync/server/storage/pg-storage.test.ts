// The server-storage conformance suite (test/conformance/server-storage.suite.ts) against the
// PostgreSQL + S3 backend on the real engines (PostgreSQL 15, Ceph radosgw), in a schema and a
// bucket of this file's own.
import { describeServerStorage } from '../../../conformance/server-storage.suite.js';
import { pgS3Fixture } from './pg-s3-fixture.js';

describeServerStorage('PostgreSQL + S3', async () => {
  const f = pgS3Fixture('pgstorage');
  const storage = await f.open();
  return { storage, cleanup: () => f.cleanup() };
});
