// The PostgreSQL + S3 quarantine writer (docs/FORMAT.md §12, §17.1, §18): one push-objects
// request's verified records, buffered in memory as TWO §12 packs — commits, trees and file objects
// in a `meta` pack, chunks in a `data` pack, so that a walk over history reads small metadata packs
// and never skips through megabytes of chunks — and written out when receive calls flush():
//
//   1. each non-empty pack is uploaded under a fresh name with a create-only PUT (pack-bucket.ts);
//   2. then ONE transaction registers the packs and inserts a `staged` row per record
//      (multi-row INSERT from unnest, ON CONFLICT DO NOTHING: a copy staged first wins).
//
// Bytes are durable in S3 before any row names them: a server killed between 1 and 2 leaves a pack
// no row names, garbage for gc (next issue), never a row naming missing bytes. putEncoded only
// buffers (it is synchronous); receive decides when to flush, by the backend's flushPolicy (8 MiB,
// 20k objects or 2 s): S3 charges per request, so a PUT should carry thousands of small objects.
import type pg from 'pg';
import type { ObjectId, ObjectType } from '../../../core/hash.js';
import { UsageError } from '../../../errors.js';
import { PACK_MAGIC, RECORD_HEADER, typeCodeOf } from '../../../store/object-store.js';
import type { StagingWriter } from './backend.js';
import { newPackName, type PackBucket } from './pack-bucket.js';
import { runTransaction, type TransactionOptions } from './pg-refs.js';

/** Times one engine operation for the metrics (pg-backend.ts); the identity when not measured. */
export type Timer = <T>(op: string, fn: () => Promise<T>) => Promise<T>;

export interface StagerContext {
  pool: pg.Pool;
  url: string;
  /** The quoted schema name. */
  s: string;
  repoId: string;
  bucket: PackBucket;
  timer: Timer;
  tx?: TransactionOptions;
  /** For tests of the crash window: runs after the uploads and before the rows are inserted. */
  afterUpload?: (packs: readonly string[]) => Promise<void>;
  now?: () => number;
}

interface Row {
  id: ObjectId;
  type: number;
  size: number;
  offset: number;
  storedLen: number;
  comp: number;
  fileSize: number | null;
}

/** One pack being assembled in memory: the magic, then records back to back (§12). */
class PackBuilder {
  readonly parts: Buffer[] = [PACK_MAGIC];
  readonly rows: Row[] = [];
  bytes = PACK_MAGIC.length;

  add(id: ObjectId, type: number, stored: Uint8Array, comp: number, size: number, fileSize: number | null): void {
    const header = Buffer.allocUnsafe(RECORD_HEADER);
    header.write(id, 0, 32, 'hex');
    header[32] = type;
    header[33] = comp;
    header.writeUInt32BE(stored.length, 34);
    // A copy: the caller's buffer is the network parser's, reused after this returns.
    this.parts.push(header, Buffer.from(stored));
    this.rows.push({ id, type, size, offset: this.bytes + RECORD_HEADER, storedLen: stored.length, comp, fileSize });
    this.bytes += RECORD_HEADER + stored.length;
  }
}

export class PgStager implements StagingWriter {
  readonly staging = true;
  /** Every id put into this writer (flushed or not): duplicates within one writer are skipped. */
  private readonly seen = new Set<ObjectId>();
  private meta = new PackBuilder();
  private data = new PackBuilder();
  /** Flushes run one after another, in call order. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /**
   * The first flush failure. Sticky: the writer is broken from then on, and every later put, flush
   * and close throws it, so a caller that did not await one flush still learns of it (at close).
   */
  private failure: unknown = undefined;

  constructor(
    private readonly ctx: StagerContext,
    private readonly client: string,
  ) {}

  /** Objects and stored bytes buffered and not yet flushed. */
  get buffered(): { objects: number; bytes: number } {
    return {
      objects: this.meta.rows.length + this.data.rows.length,
      bytes: this.meta.bytes + this.data.bytes - 2 * PACK_MAGIC.length,
    };
  }

  putEncoded(
    id: ObjectId,
    type: ObjectType,
    stored: Uint8Array,
    comp: number,
    rawLen: number,
    _knownAbsent?: boolean,
    fileSize?: number,
  ): void {
    if (this.closed) throw new UsageError('internal: putEncoded on a closed staging writer', {});
    if (this.failure !== undefined) throw this.failure;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    (type === 'chunk' ? this.data : this.meta).add(id, typeCodeOf(type), stored, comp, rawLen, type === 'file' ? (fileSize ?? null) : null);
  }

  flush(): Promise<void> {
    const packs = [
      { kind: 'meta' as const, b: this.meta },
      { kind: 'data' as const, b: this.data },
    ].filter((p) => p.b.rows.length > 0);
    this.meta = new PackBuilder();
    this.data = new PackBuilder();
    const run =
      packs.length === 0
        ? this.chain.then(() => this.rethrow())
        : this.chain.then(async () => {
            this.rethrow();
            try {
              await this.write(packs);
            } catch (err) {
              this.failure ??= err;
              throw err;
            }
          });
    this.chain = run.catch(() => undefined);
    // Handled here as well: receive may call flush() without awaiting it; the failure then
    // surfaces at the next put, flush or close (it is sticky), not as an unhandled rejection.
    run.catch(() => undefined);
    return run;
  }

  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.closed) return this.chain.then(() => this.rethrow());
    try {
      await this.flush();
    } finally {
      this.closed = true;
    }
  }

  private async write(packs: { kind: 'meta' | 'data'; b: PackBuilder }[]): Promise<void> {
    const { s, repoId, bucket, timer } = this.ctx;
    const built = packs.map((p) => {
      const bytes = Buffer.concat(p.b.parts, p.b.bytes);
      return { kind: p.kind, rows: p.b.rows, bytes, name: newPackName(bytes) };
    });
    // 1. Bytes first: durable in S3 before any row can name them.
    await Promise.all(built.map((p) => bucket.putPack(p.name, p.bytes)));
    await Promise.all(built.map((p) => bucket.remember(p.name, p.bytes)));
    await this.ctx.afterUpload?.(built.map((p) => p.name));
    const now = (this.ctx.now ?? Date.now)();
    // 2. Then the rows, all of this flush in one transaction.
    await timer('stage', () =>
      runTransaction(
        this.ctx.pool,
        this.ctx.url,
        'staging received objects',
        async (tx) => {
          const packs = await tx.query<{ id: string; name: string }>(
            `INSERT INTO ${s}.packs (repo, name, kind, bytes, objects, created)
             SELECT $1, v.n, v.k, v.b, v.c, $6 FROM unnest($2::text[], $3::text[], $4::bigint[], $5::int[]) AS v(n, k, b, c)
             RETURNING id, name`,
            [
              repoId,
              built.map((p) => p.name),
              built.map((p) => p.kind),
              built.map((p) => p.bytes.length),
              built.map((p) => p.rows.length),
              now,
            ],
          );
          const packId = new Map(packs.rows.map((r) => [r.name, r.id]));
          const rows = built.flatMap((p) => p.rows.map((r) => ({ ...r, pack: packId.get(p.name)! })));
          // Sorted by id: two writers staging overlapping objects take the index entries in the
          // same order, so they queue rather than deadlock.
          rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          await tx.query(
            `INSERT INTO ${s}.staged (repo, id, type, size, pack, "offset", stored_len, comp, file_size, client, created)
             SELECT $1, decode(v.h, 'hex'), v.t, v.z, v.p, v.o, v.l, v.c, v.f, $10, $11
             FROM unnest($2::text[], $3::smallint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::smallint[], $9::bigint[])
               WITH ORDINALITY AS v(h, t, z, p, o, l, c, f, i)
             ORDER BY v.i
             ON CONFLICT (repo, id) DO NOTHING`,
            [
              repoId,
              rows.map((r) => r.id),
              rows.map((r) => r.type),
              rows.map((r) => r.size),
              rows.map((r) => r.pack),
              rows.map((r) => r.offset),
              rows.map((r) => r.storedLen),
              rows.map((r) => r.comp),
              rows.map((r) => r.fileSize),
              this.client,
              now,
            ],
          );
        },
        this.ctx.tx,
      ),
    );
  }
}
