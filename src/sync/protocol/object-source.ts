// The read side of an object store as the protocol's walks see it (closure check, object listing,
// ancestry): asynchronous and batched, so one interface serves the folder's PackStore (answered at
// once, from SQLite and local packs) and the PostgreSQL + S3 server backend (one query and a few
// coalesced range reads per call). Every method takes many ids: a walk asks level by level, never
// one round trip per object (issue 10, docs/PROTOCOL.md §5, §6.3).
import type { ObjectId, ObjectType } from '../../core/hash.js';
import type { Located, PackStore, RawRecord, StoredObject } from '../../store/object-store.js';

export type { Located, RawRecord, StoredObject } from '../../store/object-store.js';

export interface ObjectSource {
  /**
   * Where each present id is: in the store, or (for a view that includes it) in the quarantine,
   * with its type and body length. Absent ids are not in the map.
   */
  whereMany(ids: readonly ObjectId[]): Promise<Map<ObjectId, Located>>;
  /**
   * Every id's object, verified against its id (CORRUPT_OBJECT otherwise). A missing id throws
   * MISSING_OBJECT; with `expected`, an object of another type throws BAD_FORMAT.
   */
  getMany(ids: readonly ObjectId[], expected?: ObjectType): Promise<Map<ObjectId, StoredObject>>;
  /** The content size (FORMAT §5) of each `file` object located by `whereMany`. */
  fileSizes(located: Iterable<[ObjectId, Located]>): Promise<Map<ObjectId, number>>;
}

/**
 * A PackStore as an ObjectSource. A staging store's view includes its quarantine; an ordinary
 * store's does not (PackStore.whereMany reports both, for the closure check).
 */
export function packStoreSource(store: PackStore): ObjectSource {
  return {
    whereMany: async (ids) => {
      const found = store.whereMany(ids);
      if (!store.staging) for (const [id, l] of found) if (l.where === 'staged') found.delete(id);
      return found;
    },
    getMany: async (ids, expected) => new Map(store.getMany(ids, expected)),
    fileSizes: async (located) => store.fileSizes(located),
  };
}

/**
 * Where verified objects received from a peer are written: the quarantine (PROTOCOL §6.2). `flush`
 * makes everything put so far durable and visible to the quarantine's readers.
 */
export interface QuarantineWriter {
  readonly staging: boolean;
  /**
   * Stages one verified record. `knownAbsent`: the caller just learnt the id is lacking. `fileSize`:
   * for a file object, its content size, already decoded by the caller (a backend may index it).
   */
  putEncoded(
    id: ObjectId,
    type: ObjectType,
    stored: Uint8Array,
    comp: number,
    rawLen: number,
    knownAbsent?: boolean,
    fileSize?: number,
  ): void;
  flush(): void | Promise<void>;
}

/** When a receiver flushes (receive.ts has defaults for the folder; a backend may ask for others). */
export interface FlushPolicy {
  flushBytes?: number;
  flushObjects?: number;
  flushMs?: number;
}

/** Record sources for a sender: the first promise locates every id (MISSING_OBJECT before any byte). */
export type RecordSource = (ids: readonly ObjectId[]) => Promise<AsyncIterable<RawRecord> | Iterable<RawRecord>>;
