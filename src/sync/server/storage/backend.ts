// The server-storage seam (issue 10): everything `cairn serve` keeps, behind one asynchronous,
// batched interface with two implementations — the folder backend (folder-backend.ts: today's
// SQLite + local packs, wrapped) and the PostgreSQL + S3 backend (pg-backend.ts). The server, the
// closure check, object listing and receive talk only to this interface. One conformance suite
// (test/conformance/server-storage.suite.ts) runs unchanged against both.
import type { Registry } from 'prom-client';
import type { ObjectId } from '../../../core/hash.js';
import type { FlushPolicy, ObjectSource, QuarantineWriter, RawRecord } from '../../protocol/object-source.js';
import type { RefUpdate, ServerRefStore } from './refs.js';

/** A quarantine writer for one push-objects request. `close` flushes what is left and frees it. */
export interface StagingWriter extends QuarantineWriter {
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface PublishRequest {
  /** Quarantined ids whose closure was checked: they move into the store. */
  promote: readonly ObjectId[];
  /** Ref moves, each a compare-and-swap against `expected`. */
  moves: readonly RefUpdate[];
  who: string;
  message: string;
  extra?: Record<string, unknown>;
}

/** One hosted repository. Obtained from ServerStorage.open and given back with release. */
export interface RepositoryStorage {
  readonly name: string;
  readonly refs: ServerRefStore;
  /** The store only: what fetch lists and sends, and what a ref may name. */
  readonly objects: ObjectSource;
  /** The store and the quarantine: what a push's closure check reads. */
  readonly staged: ObjectSource;
  /** For each id, whether it is in neither the store nor the quarantine (push-lacks). */
  lacking(ids: readonly ObjectId[]): Promise<boolean[]>;
  /**
   * The stored records of `ids` for a fetch-objects answer. The promise settles once every id is
   * located (MISSING_OBJECT before any byte is sent); the records come in whatever order reads
   * cheapest. A backend whose bytes travel over a network verifies each record before yielding it.
   */
  records(ids: readonly ObjectId[]): Promise<AsyncIterable<RawRecord> | Iterable<RawRecord>>;
  /** A writer into the quarantine; `client` names who staged (quarantine accounts). */
  stager(client: string): StagingWriter;
  /** When receive should flush into this backend's quarantine. */
  readonly flushPolicy: FlushPolicy;
  /** Stored bytes waiting in the quarantine. */
  stagedBytes(): Promise<number>;
  /** The branch a non-bare repository has checked out (pushes to it are refused), else null. */
  checkedOut(): Promise<string | null>;
  /**
   * In ONE transaction: promote `promote` out of the quarantine, move every ref by compare-and-swap
   * (REF_MOVED with `found`, nothing applied, on a mismatch) and write the reflog. A promoted id no
   * longer staged (expired meanwhile) fails it with MISSING_OBJECT. Returns how many objects moved.
   */
  publish(req: PublishRequest): Promise<number>;
  /** Drops quarantine older than `maxAgeMs` that no push in progress can still use. */
  expireStaging(maxAgeMs: number, now?: number): Promise<{ objects: number; packs: number }>;
}

export interface ReadyState {
  ready: boolean;
  /** What cannot be reached, worded for an operator (never with credentials). */
  problems: string[];
}

export interface ServerStorage {
  /** 'folder' or 'postgres+s3': for logs and metrics. */
  readonly kind: string;
  /** Where the state lives, worded for logs (no credentials). */
  readonly describe: string;
  /** The repository named `name`, created when absent and `create` is set; undefined when absent. */
  open(name: string, create: boolean): Promise<RepositoryStorage | undefined>;
  release(repo: RepositoryStorage): void;
  /** The hosted repositories' names, at most `limit`. */
  list(limit?: number): Promise<string[]>;
  /**
   * What `client` has staged and not yet published, in every repository (PROTOCOL §8's per-client
   * quarantine bound). A backend whose quarantine several servers share answers from its rows
   * (each names its client), so the bound holds however a load balancer spreads the requests;
   * without it the server keeps the account in its own memory (one process, one folder).
   */
  clientStagedBytes?(client: string): Promise<number>;
  /** Whether every engine answers now (a short round trip to each). */
  ready(): Promise<ReadyState>;
  /** Adds this backend's own figures (engine latency, errors, requests, cache) to the server's registry. */
  registerMetrics(registry: Registry): void;
  close(): Promise<void>;
}
