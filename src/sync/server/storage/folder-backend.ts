// The folder backend of the server-storage seam (backend.ts): every repository under one root
// folder, each today's SQLite database and local packs (src/store), wrapped, not rewritten. Its
// answers are synchronous underneath; the promises settle at once.
import { accessSync, constants } from 'node:fs';
import type { Registry } from 'prom-client';
import { MissingObjectError } from '../../../errors.js';
import type { ObjectId } from '../../../core/hash.js';
import { PackStore, type RawRecord } from '../../../store/object-store.js';
import type { Repository } from '../../../store/repository.js';
import { packStoreSource, type ObjectSource } from '../../protocol/object-source.js';
import { expireStaging, listRepositories, stagedBytes } from '../quarantine.js';
import { RepoHost } from '../repos.js';
import type { PublishRequest, ReadyState, RepositoryStorage, ServerStorage, StagingWriter } from './backend.js';
import { FolderRefStore } from './refs.js';

class FolderRepository implements RepositoryStorage {
  readonly refs: FolderRefStore;
  readonly objects: ObjectSource;
  readonly staged: ObjectSource;
  /** Defaults of receive.ts: a local fsync and transaction are cheap. */
  readonly flushPolicy = {};
  /** Reads the store and the quarantine; never written through. */
  private readonly reader: PackStore;

  constructor(
    readonly name: string,
    readonly repo: Repository,
  ) {
    this.refs = new FolderRefStore(repo.refs);
    this.objects = packStoreSource(repo.objects);
    this.reader = new PackStore(repo.db, repo.cairnDir, { staging: true });
    this.staged = packStoreSource(this.reader);
  }

  async lacking(ids: readonly ObjectId[]): Promise<boolean[]> {
    return this.reader.lacking(ids);
  }

  async records(ids: readonly ObjectId[]): Promise<Iterable<RawRecord>> {
    // The generator's first step locates every id: run it now, so a missing one rejects here.
    const it = this.repo.objects.rawRecords(ids);
    const first = it.next();
    return {
      *[Symbol.iterator]() {
        if (first.done === true) return;
        yield first.value;
        yield* it;
      },
    };
  }

  stager(): StagingWriter {
    const store = new PackStore(this.repo.db, this.repo.cairnDir, { staging: true });
    return {
      staging: true,
      putEncoded: (id, type, stored, comp, rawLen, knownAbsent) => store.putEncoded(id, type, stored, comp, rawLen, knownAbsent),
      flush: async () => store.flush(),
      close: async () => store.close(),
    };
  }

  async stagedBytes(): Promise<number> {
    return stagedBytes(this.repo);
  }

  async checkedOut(): Promise<string | null> {
    if (this.repo.config.get('core.bare') === 'true') return null;
    const head = this.repo.refs.read('HEAD');
    return head?.symbolic === true ? head.target : null;
  }

  async publish(req: PublishRequest): Promise<number> {
    const staging = new PackStore(this.repo.db, this.repo.cairnDir, { staging: true });
    try {
      let promoted = 0;
      this.repo.refs.transaction(() => {
        promoted = staging.promote(req.promote);
        // Every promoted id must now be stored: one that left the quarantine meanwhile (expired) would
        // leave a hole below the refs about to name it.
        const gone = this.repo.objects.lacking(req.promote);
        const lost = req.promote.find((_, i) => gone[i]);
        if (lost !== undefined)
          throw new MissingObjectError(`object ${lost} left the quarantine before the push finished; run the push again`, { id: lost });
        if (req.moves.length > 0) this.repo.refs.update(req.moves, req.who, req.message, req.extra);
      });
      return promoted;
    } finally {
      staging.close();
    }
  }

  async expireStaging(maxAgeMs: number, now?: number): Promise<{ objects: number; packs: number }> {
    return expireStaging(this.repo, maxAgeMs, now);
  }

  close(): void {
    this.reader.close();
  }
}

export class FolderStorage implements ServerStorage {
  readonly kind = 'folder';
  private readonly host: RepoHost;
  private readonly wrapped = new WeakMap<Repository, FolderRepository>();

  constructor(readonly root: string) {
    this.host = new RepoHost(root, (repo) => this.wrapped.get(repo)?.close());
  }

  get describe(): string {
    return `folder ${this.root}`;
  }

  async open(name: string, create: boolean): Promise<RepositoryStorage | undefined> {
    const repo = this.host.get(name, create);
    if (repo === undefined) return undefined;
    let w = this.wrapped.get(repo);
    if (w === undefined) this.wrapped.set(repo, (w = new FolderRepository(name, repo)));
    return w;
  }

  release(repo: RepositoryStorage): void {
    this.host.release((repo as FolderRepository).repo);
  }

  async list(limit?: number): Promise<string[]> {
    return listRepositories(this.root, 8, limit);
  }

  async ready(): Promise<ReadyState> {
    try {
      accessSync(this.root, constants.R_OK | constants.W_OK);
      return { ready: true, problems: [] };
    } catch (err) {
      return { ready: false, problems: [`cannot read and write ${this.root}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`] };
    }
  }

  registerMetrics(_registry: Registry): void {
    // Nothing beyond the process's own figures: the folder is local disk.
  }

  async close(): Promise<void> {
    this.host.close();
  }
}
