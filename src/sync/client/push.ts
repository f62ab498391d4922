// `push`: send local branches and tags to a remote. Four requests whatever the history length: the
// remote's refs; which of the objects the new tips reach (minus what the remote's tips already
// reach) the remote lacks, answered as one bit per id, so objects it kept from an interrupted push
// are not sent again; the lacking objects, streamed straight from the packs; and the ref update,
// which the server applies atomically by compare-and-swap after checking closure.
import {
  CairnError,
  CorruptObjectError,
  MissingObjectError,
  NotFoundError,
  RefMovedError,
  RejectedError,
  UsageError,
} from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import type { Repository } from '../../store/repository.js';
import { isAncestor } from '../../ops/history/commit-graph.js';
import type { ProgressFn } from '../../ops/progress.js';
import { RemoteClient, type RemoteOptions } from './http-client.js';
import type { RefUpdate } from '../protocol/schemas.js';
import { listObjects } from '../protocol/object-list.js';
import { packStoreSource } from '../protocol/object-source.js';
import type { TransferStats } from './fetch.js';
import { CAP_BATCH, encodeObjectStream } from '../protocol/wire.js';

export interface Refspec {
  /** Local ref name (refs/heads/x, refs/tags/y); null deletes `dst` on the remote. */
  src: string | null;
  /** Ref name on the remote; for a deletion a short name may be given (a branch, else a tag, of the remote). */
  dst: string;
}

export interface PushOptions extends RemoteOptions {
  url: string;
  /** Remote name for remote-tracking refs; undefined when pushing to a bare URL. */
  remoteName?: string;
  refspecs: readonly Refspec[];
  force?: boolean;
  who: string;
  progress?: ProgressFn;
}

export interface PushedRef {
  dst: string;
  old: ObjectId | null;
  /** null: deleted. */
  new: ObjectId | null;
  status: 'ok' | 'up-to-date';
  forced: boolean;
}

export interface PushResult extends TransferStats {
  url: string;
  refs: PushedRef[];
  /** Objects the remote kept from an earlier, interrupted attempt (listed, lacking no more). */
  alreadyThere: number;
}

export async function pushRefs(repo: Repository, opts: PushOptions): Promise<PushResult> {
  if (opts.refspecs.length === 0) throw new UsageError('nothing to push');
  const client = new RemoteClient(opts.url, opts);
  try {
    const advert = await client.refs().catch((err: unknown) => {
      // No repository there yet: the first push creates it (when the token may write there).
      if (err instanceof CairnError && err.data['reason'] === 'no-repo') return { version: 1 as const, head: null, refs: [] };
      throw err;
    });
    const remote = new Map(advert.refs.map((r) => [r.name, r.id]));
    const specs = opts.refspecs.map((s) => (s.src === null ? { src: null, dst: remoteRefToDelete(remote, s.dst) } : s));
    // The server refuses a ref named twice, but only after the objects were sent: refuse it here.
    const dsts = new Set<string>();
    for (const s of specs) {
      if (dsts.has(s.dst)) throw new UsageError(`${s.dst} is named twice in one push`, { ref: s.dst });
      dsts.add(s.dst);
    }
    const updates: RefUpdate[] = [];
    for (const spec of specs) {
      if (spec.src === null) {
        // Deleting is never a fast-forward: the protocol asks for force, which --delete means.
        updates.push({ name: spec.dst, old: remote.get(spec.dst)!, new: null, force: true });
        continue;
      }
      const id = repo.refs.resolve(spec.src);
      if (id === null) throw new NotFoundError(`nothing to push: ${spec.src} does not exist`, { ref: spec.src });
      const old = remote.get(spec.dst) ?? null;
      updates.push({ name: spec.dst, old, new: id, force: opts.force === true });
      if (old === null || old === id || opts.force) continue;
      // Checked here first so a doomed push sends no objects; the server checks again.
      const tag = spec.dst.startsWith('refs/tags/');
      if (tag || !repo.objects.has(old) || !isAncestor(repo, old, id)) {
        const why = tag
          ? 'the tag already exists on the remote at another commit'
          : repo.objects.has(old)
            ? 'the remote branch has commits your branch does not'
            : 'the remote branch has commits you have not fetched';
        throw new RejectedError(
          `rejected ${spec.dst} (non-fast-forward): ${why}; fetch and merge first ('cairn pull'), then push again, or use --force`,
          { ref: spec.dst, reason: 'non-fast-forward', remote: old, local: id },
        );
      }
    }
    const stats: TransferStats = { listed: 0, requested: 0, received: 0, bytesSent: 0, bytesReceived: 0, requests: 0 };
    let alreadyThere = 0;
    const changing = updates.filter((u) => u.old !== u.new);
    const wants = changing.flatMap((u) => (u.new === null ? [] : [u.new]));
    if (wants.length > 0) {
      const haves = advert.refs.map((r) => r.id).filter((id) => repo.objects.has(id));
      opts.progress?.({ phase: 'negotiating', done: 0, unit: 'objects' });
      const list = (await localOnly(() => listObjects(packStoreSource(repo.objects), wants, haves))).ids;
      stats.listed = list.length;
      const lack = list.length === 0 ? [] : await client.pushLacks(list);
      const send = list.filter((_, i) => lack[i]);
      // Checked before the stream starts: an object lost from the local store found while
      // streaming would end the request midway and read as a network failure (exit 8).
      const gone = repo.objects.lacking(send);
      const lost = send.find((_, i) => gone[i]);
      if (lost !== undefined) throw lostLocally(lost);
      stats.requested = send.length;
      alreadyThere = list.length - send.length;
      if (send.length > 0) {
        const batch = client.capabilities.has(CAP_BATCH);
        const sent = await client.pushObjects(objectStream(repo, send, batch, opts.progress)).catch((err: unknown) => {
          throw corruptHere(repo, err) ?? err;
        });
        stats.received = sent.objects;
      }
    }
    let results: PushedRef[] = updates.map((u) => ({ dst: u.name, old: u.old, new: u.new, status: 'up-to-date' as const, forced: false }));
    if (changing.length > 0) {
      try {
        const answer = await client.pushRefs(changing);
        const byName = new Map(answer.results.map((r) => [r.name, r]));
        results = updates.map((u) => {
          const r = byName.get(u.name);
          // A deletion is forced by definition; it is reported as a deletion, not as forced.
          return { dst: u.name, old: u.old, new: u.new, status: r?.status ?? 'up-to-date', forced: u.new !== null && (r?.forced ?? false) };
        });
      } catch (err) {
        if (err instanceof RefMovedError) {
          const ref = typeof err.data['ref'] === 'string' ? err.data['ref'] : changing[0]!.name;
          throw new RefMovedError(
            `rejected ${ref}: someone else pushed to it while you were pushing; fetch and merge first ('cairn pull'), then push again`,
            { ...err.data, reason: 'ref-moved' },
            err,
          );
        }
        throw err;
      }
    }
    if (opts.remoteName !== undefined) {
      const moves = results
        .filter((r) => r.dst.startsWith('refs/heads/'))
        .map((r) => ({ name: `refs/remotes/${opts.remoteName}/${r.dst.slice('refs/heads/'.length)}`, expected: undefined, next: r.new }))
        .filter((m) => repo.refs.resolve(m.name) !== m.next);
      if (moves.length > 0) repo.refs.update(moves, opts.who, `push ${opts.remoteName}`);
    }
    stats.bytesSent = client.traffic.sent;
    stats.bytesReceived = client.traffic.received;
    stats.requests = client.traffic.requests;
    return { ...stats, url: opts.url, refs: results, alreadyThere };
  } finally {
    await client.close();
  }
}

/** What a push says when this replica lacks an object its own refs reach (FORMAT §15.1 broken here). */
function lostLocally(id: ObjectId, cause?: unknown): MissingObjectError {
  return new MissingObjectError(
    `cannot push: object ${id}, which the pushed commits reach, is missing from this repository (its store is damaged); run 'cairn fsck' to see what is lost, and 'cairn fetch --repair' to bring back what a remote still has`,
    { id, reason: 'local' },
    cause,
  );
}

/**
 * The sender streams its records as they lie in its packs; the receiver verifies them. When the
 * receiver refuses one as corrupt and the local copy does not verify either, the damage is here:
 * say so (exit 7), not as a remote failure (exit 8). A copy that verifies here was damaged on
 * the way or by the server: its answer stands.
 */
function corruptHere(repo: Repository, err: unknown): CorruptObjectError | undefined {
  if (!(err instanceof CairnError) || err.data['remoteCode'] !== 'CORRUPT_OBJECT' || typeof err.data['id'] !== 'string') return undefined;
  const id = err.data['id'];
  try {
    repo.objects.get(id);
    return undefined;
  } catch (local) {
    if (!(local instanceof CorruptObjectError)) return undefined;
    return new CorruptObjectError(
      `cannot push: object ${id} is corrupt in this repository (${String(local.data['reason'] ?? local.message)}), and the remote refused it; run 'cairn fsck' to see what is damaged, and restore it from a backup (a fetch does not replace a stored object)`,
      { id, reason: 'local' },
      err,
    );
  }
}

/** Runs the sender's walk over the local store, naming a lost object as lostLocally does. */
async function localOnly<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MissingObjectError && typeof err.data['id'] === 'string') throw lostLocally(err.data['id'], err);
    throw err;
  }
}

/** The full name of the remote ref a deletion names: as given, else the remote's branch, else its tag. */
function remoteRefToDelete(remote: ReadonlyMap<string, ObjectId>, name: string): string {
  const candidates = name.startsWith('refs/') ? [name] : [`refs/heads/${name}`, `refs/tags/${name}`];
  const found = candidates.find((c) => remote.has(c));
  if (found === undefined) throw new NotFoundError(`cannot delete '${name}': the remote has no such branch or tag`, { ref: name });
  return found;
}

/** The object stream: records as they lie in the packs (no re-encoding), small ones batched when the server accepts it. */
async function* objectStream(repo: Repository, ids: readonly ObjectId[], batch: boolean, progress?: ProgressFn): AsyncGenerator<Buffer> {
  let count = 0;
  let bytes = 0;
  const onRecord = (len: number) => {
    count++;
    bytes += len;
    if (progress !== undefined && (count % 256 === 0 || count === ids.length))
      progress({ phase: 'sending', done: count, total: ids.length, unit: 'objects', bytes });
  };
  yield* encodeObjectStream(repo.objects.rawRecords(ids), { batch, onRecord });
}
