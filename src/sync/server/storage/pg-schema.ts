// The PostgreSQL schema of the server backend (docs/FORMAT.md §17): versioned by one
// `meta.schema_version` row, migrated forward one step per transaction under an advisory lock (so
// several servers starting at once migrate it once), and refused when newer than this cairn knows.
// Version 2 adds the object index, the quarantine and the pack list (§17.1); later steps are
// appended to MIGRATIONS.
import type pg from 'pg';
import { BadFormatError } from '../../../errors.js';

/** The schema version this cairn implements: the number of MIGRATIONS. */
export const PG_SCHEMA_VERSION = 2;

/** An index row's columns, the same in the store (`objects`) and the quarantine (`staged`): promotion copies rows as they are. */
const INDEX_ROW_COLUMNS = `     repo bigint NOT NULL,
     id bytea NOT NULL,
     type smallint NOT NULL,
     size bigint NOT NULL,
     pack bigint NOT NULL REFERENCES {S}.packs (id),
     "offset" bigint NOT NULL,
     stored_len bigint NOT NULL,
     comp smallint NOT NULL,
     file_size bigint,
`;

/** Step i (0-based) takes the schema from version i to i + 1. `{S}` stands for the quoted schema name. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE {S}.repositories (
     id bigserial PRIMARY KEY,
     name text COLLATE "C" NOT NULL UNIQUE,
     created bigint NOT NULL
   );
   CREATE TABLE {S}.refs (
     repo bigint NOT NULL REFERENCES {S}.repositories (id),
     name text COLLATE "C" NOT NULL,
     target text COLLATE "C" NOT NULL,
     symbolic boolean NOT NULL DEFAULT false,
     PRIMARY KEY (repo, name)
   );
   CREATE TABLE {S}.reflog (
     seq bigserial PRIMARY KEY,
     repo bigint NOT NULL REFERENCES {S}.repositories (id),
     ref text COLLATE "C" NOT NULL,
     old text,
     new text,
     who text NOT NULL,
     time bigint NOT NULL,
     message text NOT NULL
   );
   CREATE INDEX reflog_ref ON {S}.reflog (repo, ref, seq);`,
  // Ids are bytea (32 bytes), not hex text: measured on 1M rows, the (repo, id) index is 85 MB
  // against 131 MB and the table 73 MB against 104 MB, with the absent-ids query as fast or faster
  // (docs/FORMAT.md §17.1). A smaller index stays in memory longer as a repository grows.
  // `objects` has no foreign key to `repositories`: `pack` already names it through `packs`, and a
  // second check per inserted row would only slow the promote of a 100k-object push.
  `CREATE TABLE {S}.packs (
     id bigserial PRIMARY KEY,
     repo bigint NOT NULL REFERENCES {S}.repositories (id),
     name text COLLATE "C" NOT NULL UNIQUE,
     kind text NOT NULL CHECK (kind IN ('meta', 'data')),
     bytes bigint NOT NULL,
     objects integer NOT NULL,
     created bigint NOT NULL
   );
   CREATE INDEX packs_repo ON {S}.packs (repo, created);
   CREATE TABLE {S}.objects (
${INDEX_ROW_COLUMNS}     PRIMARY KEY (repo, id)
   );
   CREATE TABLE {S}.staged (
${INDEX_ROW_COLUMNS}     client text NOT NULL,
     created bigint NOT NULL,
     PRIMARY KEY (repo, id)
   );
   CREATE INDEX staged_created ON {S}.staged (repo, created);
   CREATE INDEX staged_client ON {S}.staged (client);`,
];

/** A schema name this module will interpolate into SQL: lower-case letters, digits, underscores. */
export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new BadFormatError(`invalid PostgreSQL schema name '${schema}': use lower-case letters, digits and '_'`, { what: 'schema' });
  }
  return `"${schema}"`;
}

async function versionOf(client: pg.PoolClient, schema: string): Promise<number> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${quoteSchema(schema)}.meta`]);
  if (exists.rows[0]?.t == null) return 0;
  const row = await client.query<{ value: string }>(`SELECT value FROM ${quoteSchema(schema)}.meta WHERE key = 'schema_version'`);
  const v = row.rows[0]?.value;
  // No row: a meta table created by a migration that has not run its first step yet.
  if (v === undefined) return 0;
  if (!/^[0-9]+$/.test(v)) {
    throw new BadFormatError(`the PostgreSQL schema '${schema}' has no valid schema_version; it was not made by cairn`, {
      what: 'postgres schema',
    });
  }
  return Number(v);
}

function tooNew(schema: string, found: number): BadFormatError {
  return new BadFormatError(
    `the PostgreSQL schema '${schema}' is version ${found}, newer than this cairn understands (${PG_SCHEMA_VERSION}); upgrade cairn`,
    { what: 'postgres schema', reason: 'newer', found, supported: PG_SCHEMA_VERSION },
  );
}

/**
 * Creates the schema or migrates it forward to PG_SCHEMA_VERSION; refuses a newer one (BAD_FORMAT,
 * nothing changed). Each step is one transaction holding an advisory lock keyed by the schema name,
 * so concurrent callers serialize and every step runs once. Returns the version found before.
 */
export async function migrate(client: pg.PoolClient, schema: string): Promise<number> {
  const s = quoteSchema(schema);
  const lockKey = `cairn-schema:${schema}`;
  // Cheap check without a lock first: a current schema is the common case.
  const before = await versionOf(client, schema);
  if (before > PG_SCHEMA_VERSION) throw tooNew(schema, before);
  if (before === PG_SCHEMA_VERSION) return before;
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL)`);
      const v = await versionOf(client, schema);
      if (v > PG_SCHEMA_VERSION) throw tooNew(schema, v);
      if (v === PG_SCHEMA_VERSION) {
        await client.query('COMMIT');
        return before;
      }
      await client.query(MIGRATIONS[v]!.replaceAll('{S}', s));
      await client.query(
        `INSERT INTO ${s}.meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [String(v + 1)],
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
