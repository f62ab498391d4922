// `fetch`: bring a remote's branches and tags into this replica. Three requests whatever the
// history length: the ref list; the list of objects the remote's new tips reach minus what this
// replica's tips already reach (computed by the server); and the objects this replica lacks from
// that list, streamed. Received objects wait in the quarantine until closure is verified; then
// they are promoted and the remote-tracking refs move, in one transaction.
import { BadFormatError, MissingObjectError, RemoteError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import { refNameProblem } from '../../core/names.js';
import { PackStore } from '../../store/object-store.js';
import type { Repository } from '../../store/repository.js';
import type { ProgressFn } from '../../ops/progress.js';
import { repairClosure, stagedClosure } from '../protocol/closure.js';
import { RemoteClient, type RemoteOptions } from './http-client.js';
import { receiveStream } from '../protocol/receive.js';
import { packStoreSource } from '../protocol/object-source.js';
import type { RefsResponse } from '../protocol/schemas.js';

/** What a client accepts from a server in one fetch (hostile servers cannot exhaust it). */
const CLIENT_LIMITS = { maxObjectBytes: 256 << 20, maxObjects: 50_000_000, maxTotalBytes: 2 ** 50 };

export interface FetchOptions extends RemoteOptions {
  url: string;
  /** Remote whose tracking refs (refs/remotes/NAME/*) move; undefined for a bare URL. */
  remoteName?: string;
  who: string;
  progress?: ProgressFn;
  /** Also create tags the remote has and this replica lacks (default true). */
  tags?: boolean;
  /** Delete remote-tracking refs whose branch the remote no longer has. */
  prune?: boolean;
  /**
   * The local store is damaged (fsck found objects missing): also bring back every object the
   * remote's refs reach that this replica lacks, even below commits it already has.
   */
  repair?: boolean;
}

export interface RefChange {
  ref: string;
  old: ObjectId | null;
  new: ObjectId;
}

export interface TransferStats {
  /** Objects the sender listed, objects this side lacked and asked for, objects received. */
  listed: number;
  requested: number;
  received: number;
  /** A repairing fetch: objects missing from the local store that came back (promoted). */
  repaired?: number;
  /** Body bytes on the wire, both ways, and HTTP requests made. */
  bytesSent: number;
  bytesReceived: number;
  requests: number;
}

export interface FetchResult extends TransferStats {
  url: string;
  remote: string | null;
  /** The branch the remote's HEAD names, if any. */
  head: string | null;
  updated: RefChange[];
  /** Tags this replica already has at another commit: left alone. */
  tagConflicts: { ref: string; local: ObjectId; remote: ObjectId }[];
  /** Remote-tracking refs deleted by `prune` (their branch is gone from the remote). */
  pruned: { ref: string; old: ObjectId }[];
  remoteRefs: RefsResponse['refs'];
}

export async function fetchRemote(repo: Repository, opts: FetchOptions): Promise<FetchResult> {
  const client = new RemoteClient(opts.url, opts);
  try {
    const advert = await client.refs();
    const stats = await transfer(repo, client, advert, opts.progress, { repair: opts.repair === true });
    return {
      ...stats,
      ...moveTrackingRefs(repo, advert, opts),
      url: opts.url,
      remote: opts.remoteName ?? null,
      head: advert.head,
      remoteRefs: advert.refs,
    };
  } finally {
    await client.close();
  }
}

/**
 * Receives whatever the advertised refs reach that this replica lacks and promotes it; after this,
 * every advertised id is a whole closure in the store. Resumable: objects kept in the quarantine
 * by an interrupted run count as present and are not asked for again.
 */
export async function transfer(
  repo: Repository,
  client: RemoteClient,
  advert: RefsResponse,
  progress?: ProgressFn,
  opts: { repair?: boolean } = {},
): Promise<TransferStats> {
  const advertised = [...new Set(advert.refs.map((r) => r.id))];
  // An ordinary fetch trusts the store: a commit in it is a whole closure, so neither it nor
  // anything below it is asked for. A repair (docs/PROTOCOL.md §6.4) cannot trust that, so it asks
  // for everything the remote's refs reach and lets the lack answer keep only what is absent.
  // A ref names a commit (PROTOCOL §6.3): an advertised id this replica stores as anything else is
  // refused here, since nothing below would look at it again before a tracking ref named it.
  // (Quarantined ones are left to the closure check, which reads them as the commits they must be.)
  const stored = new Set<ObjectId>();
  for (const [id, { where, type }] of repo.objects.whereMany(advertised)) {
    if (where !== 'store') continue;
    if (type !== 'commit')
      throw new BadFormatError(`the remote advertises ${id} as a ref, but it is a ${type}: a ref names a commit`, { id });
    stored.add(id);
  }
  const wants = opts.repair === true ? advertised : advertised.filter((id) => !stored.has(id));
  const stats: TransferStats = { listed: 0, requested: 0, received: 0, bytesSent: 0, bytesReceived: 0, requests: 0 };
  if (opts.repair === true) stats.repaired = 0;
  if (wants.length > 0) {
    const staging = new PackStore(repo.db, repo.cairnDir, { staging: true });
    try {
      const haves = opts.repair === true ? [] : localTips(repo);
      progress?.({ phase: 'negotiating', done: 0, total: wants.length, unit: 'objects' });
      const list = await client.fetchList(wants, haves);
      stats.listed = list.ids.length;
      const lack = staging.lacking(list.ids);
      const ask = list.ids.filter((_, i) => lack[i]);
      stats.requested = ask.length;
      let inlineFiles: Set<ObjectId> | undefined;
      if (ask.length > 0) {
        const body = await client.fetchObjects(ask);
        const r = await receiveStream(body, staging, { limits: CLIENT_LIMITS, expected: new Set(ask), progress, total: ask.length });
        stats.received = r.objects;
        if (!r.complete)
          throw new RemoteError(
            client.url,
            `the object stream was cut off after ${r.objects} of ${ask.length} objects; run the command again to resume`,
            { received: r.objects },
          );
        inlineFiles = r.inlineFiles;
      }
      if (opts.repair === true) {
        const local = [...new Set(repo.refs.list('').map((r) => r.id))];
        stats.repaired = promoteRepair(repo, staging, local, wants);
      } else {
        let closure: ObjectId[];
        try {
          closure = await stagedClosure(packStoreSource(staging), wants, { inlineFiles });
        } catch (err) {
          // An object the remote did not list, because this replica's refs said it was here: the
          // local store has lost it. Asking again would get the same list; a repair asks for all.
          // (Not a tip, nor anything listed: those the remote owed, and re-running resumes them.)
          const id = err instanceof MissingObjectError ? (err.data['id'] as ObjectId) : undefined;
          if (id === undefined || haves.length === 0 || wants.includes(id) || list.ids.includes(id)) throw err;
          staging.close();
          const again = await transfer(repo, client, advert, progress, { repair: true });
          return { ...again, received: again.received + stats.received };
        }
        repo.refs.transaction(() => staging.promote(closure));
      }
    } finally {
      staging.close();
    }
  }
  stats.bytesSent = client.traffic.sent;
  stats.bytesReceived = client.traffic.received;
  stats.requests = client.traffic.requests;
  return stats;
}

/**
 * Promotes what a repairing fetch received and returns how many objects the local store gained.
 * Objects that reach one still missing stay in the quarantine (the store gains only whole
 * closures); the missing ones are then named (exit 7): no remote here has them.
 */
function promoteRepair(repo: Repository, staging: PackStore, local: readonly ObjectId[], remote: readonly ObjectId[]): number {
  const { whole, missing, repaired } = repairClosure(staging, local, remote);
  repo.refs.transaction(() => staging.promote(whole));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ');
    throw new MissingObjectError(
      `${missing.length} object(s) are still missing after the repair (${shown}${missing.length > 5 ? ', …' : ''}): the remote does not have them either (${repaired} other lost object(s) came back); run 'cairn fsck' to see what they belong to, and fetch them from another replica or restore them from a backup`,
      { id: missing[0]!, missing: missing.slice(0, 100), repaired },
    );
  }
  return repaired;
}

/** The server takes at most this many haves; branches and remote-tracking refs come first. */
const MAX_HAVES = 50_000;

/**
 * Commits this replica's refs name: what the sender may assume we hold, closures included. The
 * list only has to help, not be whole: leaving haves out makes the object list longer, never wrong.
 */
function localTips(repo: Repository): ObjectId[] {
  const ids = new Set<ObjectId>();
  for (const prefix of ['refs/heads/', 'refs/remotes/', 'refs/tags/']) {
    for (const r of repo.refs.list(prefix)) {
      if (ids.size >= MAX_HAVES) return [...ids];
      ids.add(r.id);
    }
  }
  return [...ids];
}

export function moveTrackingRefs(
  repo: Repository,
  advert: RefsResponse,
  opts: Pick<FetchOptions, 'remoteName' | 'who' | 'tags' | 'url' | 'prune'>,
): Pick<FetchResult, 'updated' | 'tagConflicts' | 'pruned'> {
  const updated: RefChange[] = [];
  const tagConflicts: FetchResult['tagConflicts'] = [];
  const pruned: FetchResult['pruned'] = [];
  const moves: { name: string; expected: ObjectId | null; next: ObjectId | null }[] = [];
  for (const r of advert.refs) {
    // A hostile server may advertise anything: only well-formed branch and tag names are taken.
    if (refNameProblem(r.name) !== null) continue;
    if (r.name.startsWith('refs/heads/')) {
      if (opts.remoteName === undefined) continue;
      const name = `refs/remotes/${opts.remoteName}/${r.name.slice('refs/heads/'.length)}`;
      const cur = repo.refs.resolve(name);
      if (cur !== r.id) moves.push({ name, expected: cur, next: r.id });
    } else if (r.name.startsWith('refs/tags/') && opts.tags !== false) {
      const cur = repo.refs.resolve(r.name);
      if (cur === null) moves.push({ name: r.name, expected: null, next: r.id });
      else if (cur !== r.id) tagConflicts.push({ ref: r.name, local: cur, remote: r.id });
    }
  }
  if (opts.prune === true && opts.remoteName !== undefined) {
    const prefix = `refs/remotes/${opts.remoteName}/`;
    const advertised = new Set(
      advert.refs.filter((r) => r.name.startsWith('refs/heads/')).map((r) => prefix + r.name.slice('refs/heads/'.length)),
    );
    for (const r of repo.refs.list(prefix)) {
      if (advertised.has(r.name)) continue;
      moves.push({ name: r.name, expected: r.id, next: null });
      pruned.push({ ref: r.name, old: r.id });
    }
  }
  if (moves.length > 0) repo.refs.update(moves, opts.who, `fetch ${opts.remoteName ?? opts.url}`);
  for (const m of moves) if (m.next !== null) updated.push({ ref: m.name, old: m.expected, new: m.next });
  return { updated, tagConflicts, pruned };
}
