// The refs half of the server-storage seam (issue 10): the RefStore contract of
// src/store/ref-store-contract.ts with promises, scoped to ONE repository, and the folder backend's
// implementation of it (today's SQLite RefStore, wrapped, not rewritten). The PostgreSQL one is
// pg-refs.ts. The shared conformance suite (test/conformance/ref-store.suite.ts) runs against all
// three: SQLite directly, FolderRefStore and PgRefStore.
//
// How it will grow (next sessions), so the shapes here need not change:
//
// - The push transaction. A push must promote its staged objects, move its refs by compare-and-swap
//   and write the reflog as ONE transaction (docs/PROTOCOL.md §6, docs/FORMAT.md §17). PgRefStore's
//   update already runs in one PostgreSQL transaction: it takes the row locks of the refs in name
//   order, calls the injected `missingObjects(ids, tx)` with that transaction's connection, compares,
//   writes the refs and appends the reflog. The object index (later) will add a sibling method,
//   `push(updates, promote, …)`, that runs in the same transaction: check the staged closure with one
//   query, `INSERT INTO objects SELECT … FROM staged WHERE push = $1` and `DELETE FROM staged`, then
//   the same lock/compare/write/log steps as update() (they are one function, `applyUpdates`, that
//   takes the transaction's client). A retry whose first attempt committed but whose answer was lost
//   sees every ref already at its `next`; the push layer answers "up to date" for such a ref instead
//   of REF_MOVED (the data of REF_MOVED carries `found`, so it can tell).
// - gc's fence. gc (next issue) must not delete an object a concurrent push is about to make
//   reachable. Each update/push transaction first takes `SELECT … FROM repositories WHERE id = $1
//   FOR SHARE` (pushes do not block each other); gc takes the same row FOR UPDATE in the
//   transaction that decides what is unreachable, so it waits for in-flight pushes and they wait
//   for it. The lock is on the repository row, which every transaction of this store already names.
// - No lock spans requests: every method is one transaction (or one query) on a pooled connection.
import type { ObjectId } from '../../../core/hash.js';
import type { RefStore, RefUpdate, RefValue, ReflogEntry, ReflogExpiry } from '../../../store/ref-store-contract.js';

export type { RefUpdate, RefValue, ReflogEntry, ReflogExpiry } from '../../../store/ref-store-contract.js';

/**
 * The RefStore contract (src/store/ref-store-contract.ts) with promises, for one repository.
 * Every promise, rule and error code there holds here; in addition:
 *
 * - A backend that cannot reach its engine rejects with StorageUnavailableError (IO, data
 *   `retryable: true`; the server answers 503): nothing was changed, or — when the connection broke
 *   while COMMIT was in flight — the change may have been applied in full (never in part); a retried
 *   update then finds the refs at their new values.
 * - There is no `transaction(fn)`: a request's atomic change is one `update` batch (and, later, one
 *   push transaction, see above). A lock never outlives a call.
 * - `update` refuses a `next` naming an object the repository does not store (MISSING_OBJECT). Which
 *   objects are stored is the object index's business: PgRefStore takes it as an injected, batched
 *   `missingObjects` check (one call per update, with all the `next` ids).
 */
export interface ServerRefStore {
  read(name: string): Promise<RefValue | undefined>;
  /** Follows symbolic refs (at most 5 levels) to the ref that holds an id. */
  resolveName(name: string): Promise<{ name: string; id: ObjectId | null }>;
  resolve(name: string): Promise<ObjectId | null>;
  list(prefix: string): Promise<{ name: string; id: ObjectId }[]>;
  /** All or none, each `expected` compared under lock; a mismatch is REF_MOVED {ref, expected, found}. */
  update(updates: readonly RefUpdate[], who: string, message: string, extra?: Record<string, unknown>): Promise<void>;
  /** Points a symbolic ref (HEAD) at another ref, or detaches it at an id, logging the move. */
  setSymbolic(name: string, value: RefValue, who: string, message: string): Promise<void>;
  /** The newest entries first. */
  reflog(ref: string, limit?: number): Promise<ReflogEntry[]>;
  /** Drops entries older than `cutoff`, keeping each existing ref's newest, in one transaction. */
  expireReflog(which: readonly string[] | 'all', cutoff: number, opts?: { dryRun?: boolean }): Promise<ReflogExpiry[]>;
  /** Every id a reflog entry names, old or new, once each. */
  reflogIds(): Promise<ObjectId[]>;
  /** Every id a direct ref names: the roots fsck (and later gc) start from. */
  allRoots(): Promise<ObjectId[]>;
}

/**
 * The folder backend's refs: the repository's SQLite RefStore behind the async seam. Each call runs
 * the synchronous store at once; an error it throws becomes the promise's rejection, unchanged.
 */
export class FolderRefStore implements ServerRefStore {
  constructor(private readonly refs: RefStore) {}

  async read(name: string): Promise<RefValue | undefined> {
    return this.refs.read(name);
  }

  async resolveName(name: string): Promise<{ name: string; id: ObjectId | null }> {
    return this.refs.resolveName(name);
  }

  async resolve(name: string): Promise<ObjectId | null> {
    return this.refs.resolve(name);
  }

  async list(prefix: string): Promise<{ name: string; id: ObjectId }[]> {
    return this.refs.list(prefix);
  }

  async update(updates: readonly RefUpdate[], who: string, message: string, extra?: Record<string, unknown>): Promise<void> {
    this.refs.update(updates, who, message, extra);
  }

  async setSymbolic(name: string, value: RefValue, who: string, message: string): Promise<void> {
    this.refs.setSymbolic(name, value, who, message);
  }

  async reflog(ref: string, limit?: number): Promise<ReflogEntry[]> {
    return this.refs.reflog(ref, limit);
  }

  async expireReflog(which: readonly string[] | 'all', cutoff: number, opts?: { dryRun?: boolean }): Promise<ReflogExpiry[]> {
    return this.refs.expireReflog(which, cutoff, opts);
  }

  async reflogIds(): Promise<ObjectId[]> {
    return this.refs.reflogIds();
  }

  async allRoots(): Promise<ObjectId[]> {
    return this.refs.allRoots();
  }
}
