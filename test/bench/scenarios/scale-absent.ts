// scale-absent: the absent-ids query of push-lacks (RepositoryStorage.lacking, pg-objects.ts) for
// 100k ids, half of them present, against an object index of ≥ 2M rows. The rows are generated in
// bulk SQL (INSERT … SELECT from generate_series, md5-derived 32-byte ids) into a scratch schema,
// not pushed: the query reads only the index, never the packs.
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import type { ObjectId } from '../../../src/core/hash.js';
import { openPgS3Storage } from '../../../src/sync/server/storage/pg-backend.js';
import { TEST_BUCKET } from '../../helpers/cluster.js';
import type { Bench } from '../context.js';
import { fmtBytes, fmtSeconds, type ScenarioReport } from '../report.js';
import { percentile, requireEngines } from '../scale-net.js';

export const title = 'absent-ids query (push-lacks) for 100k ids against an index of ≥ 2M objects';

/** The id of generated row i: the same bytes as the SQL expression in fill(). */
function idOf(i: number): ObjectId {
  const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
  return md5(`a${i}`) + md5(`b${i}`);
}

export async function run(b: Bench, rep: ScenarioReport): Promise<void> {
  const e = await requireEngines();
  const rows = b.opts.quick ? 200_000 : 2_000_000;
  const asked = 100_000; // the query under test is the same in --quick: only the index is smaller
  const runs = 20;
  rep.params['index rows'] = rows;
  rep.params['ids asked'] = asked;
  rep.params['present'] = asked / 2;
  rep.params['runs'] = runs;
  const tag = `bench${process.pid}_${randomBytes(3).toString('hex')}`;
  const schema = `cairn_${tag}`;
  const pool = new pg.Pool({ connectionString: e.pgUrl, max: 2 });
  const storage = await openPgS3Storage({
    databaseUrl: e.pgUrl,
    schema,
    objects: `s3://${TEST_BUCKET}/${tag}/`,
    endpoint: e.s3Endpoint,
    credentials: { accessKeyId: e.s3AccessKey, secretAccessKey: e.s3SecretKey },
    cacheDir: b.freshDir('absent-cache'),
  });
  try {
    const repo = await storage.open('absent', true);
    if (!repo) throw new Error('could not create the scratch repository');
    const s = `"${schema}"`;
    const repoId = Number((await pool.query<{ id: string }>(`SELECT id FROM ${s}.repositories WHERE name = 'absent'`)).rows[0]?.id);
    const pack = await pool.query<{ id: string }>(
      `INSERT INTO ${s}.packs (repo, name, kind, bytes, objects, created) VALUES ($1, $2, 'data', 0, $3, 0) RETURNING id`,
      [repoId, `${tag}-generated`, rows],
    );
    const packId = pack.rows[0]?.id;
    b.log(`  filling ${schema}.objects with ${rows.toLocaleString('en-US')} generated rows (bulk SQL) ...`);
    const t0 = process.hrtime.bigint();
    // In slices, so one statement does not hold a huge transaction on a shared server.
    const slice = 500_000;
    for (let from = 0; from < rows; from += slice) {
      await pool.query(
        `INSERT INTO ${s}.objects (repo, id, type, size, pack, "offset", stored_len, comp, file_size)
         SELECT $1, decode(md5('a' || i) || md5('b' || i), 'hex'), 1, 1024, $2, i::bigint * 1024, 1024, 0, NULL
         FROM generate_series($3::int, $4::int) AS i`,
        [repoId, packId, from, Math.min(rows, from + slice) - 1],
      );
    }
    await pool.query(`ANALYZE ${s}.objects`);
    const fillSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const size = await pool.query<{ t: string; i: string }>(
      `SELECT pg_relation_size('${s}.objects') AS t, pg_indexes_size('${s}.objects') AS i`,
    );
    rep.add('pg', 'fill (INSERT … SELECT generate_series + ANALYZE)', 's', fillSeconds);
    rep.add('pg', 'objects table size', 'bytes', Number(size.rows[0]?.t));
    rep.add('pg', 'objects index size', 'bytes', Number(size.rows[0]?.i));
    b.log(`  filled in ${fmtSeconds(fillSeconds)}: table ${fmtBytes(Number(size.rows[0]?.t))}, index ${fmtBytes(Number(size.rows[0]?.i))}`);
    // Half present (spread over the whole index), half absent (beyond the generated range), shuffled.
    const step = Math.floor(rows / (asked / 2));
    const cases: { id: ObjectId; absent: boolean }[] = [];
    for (let k = 0; k < asked / 2; k++) cases.push({ id: idOf(k * step), absent: false }, { id: idOf(rows + k), absent: true });
    let seed = 12345;
    for (let i = cases.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = seed % (i + 1);
      [cases[i], cases[j]] = [cases[j]!, cases[i]!];
    }
    const ids = cases.map((c) => c.id);
    const samples: number[] = [];
    for (let r = 1; r <= runs; r++) {
      const t = process.hrtime.bigint();
      const got = await repo.lacking(ids);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const wrong = got.findIndex((v, i) => v !== cases[i]?.absent);
      if (wrong >= 0) {
        rep.fail('pg', 'lacking(ids)', 'ms', `wrong answer for id #${wrong} (${ids[wrong]}): ${got[wrong]}`);
        return;
      }
      samples.push(ms);
      rep.add('pg', 'lacking(ids)', 'ms', ms);
      if (r === 1 || r === runs) b.log(`  [run ${r}/${runs}] lacking(${asked.toLocaleString('en-US')} ids): ${ms.toFixed(0)} ms`);
    }
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    if (p50 !== null) rep.add('pg', 'lacking p50', 'ms', p50);
    if (p99 !== null) rep.add('pg', 'lacking p99', 'ms', p99);
    b.log(`  p50 ${p50?.toFixed(0)} ms, p99 ${p99?.toFixed(0)} ms over ${runs} runs`);
    rep.notes.push(
      `lacking() of ${asked.toLocaleString('en-US')} ids (half present, spread over the index; half absent; shuffled) against ${rows.toLocaleString('en-US')} index rows of one repository, ${runs} runs in a row from this process (batches of 10,000 ids per query, as push-lacks sends them); p99 of ${runs} runs is their maximum. Rows are generated with md5-derived 32-byte ids by INSERT … SELECT generate_series, not pushed. PostgreSQL runs with fsync=off (scripts/services.sh) and is shared with other sessions. Machine: ${os.cpus().length} cores.`,
    );
    storage.release(repo);
  } finally {
    await storage.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
