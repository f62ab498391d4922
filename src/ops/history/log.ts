// Walking the commit DAG for `log`: newest first by commit time (ties by id), each commit once even
// through merges; optionally in topological order (no parent before all of its children) for the
// graph. Also ref decorations and the ancestry test used by `branch -d`.
import { NotFoundError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import type { Commit } from '../../core/commit-object.js';
import type { Repository } from '../../store/repository.js';
import { readCommit } from '../../store/typed-objects.js';
import { currentBranch, headCommit, resolveRevision } from './rev-parse.js';

export interface LogEntry {
  id: ObjectId;
  commit: Commit;
}

export interface LogOptions {
  /** Revisions to start from; default HEAD. */
  revs?: string[];
  /** Stop after this many commits. */
  limit?: number;
  /**
   * 'date': commit time order (git's default). 'topo': still newest first, but never a parent before
   * all of its children — what a graph needs when clocks were skewed. 'topo' reads the whole history.
   */
  order?: 'date' | 'topo';
}

/** Resolves the start points; an unborn HEAD is NOT_FOUND with the branch named. */
export function logStarts(repo: Repository, revs: readonly string[] | undefined): ObjectId[] {
  if (revs === undefined || revs.length === 0) {
    const head = headCommit(repo);
    if (head === null) {
      const branch = currentBranch(repo);
      throw new NotFoundError(`your current branch '${branch ?? 'HEAD'}' does not have any commits yet; make one with 'cairn add' and 'cairn commit'`, { what: 'revision', name: 'HEAD', branch });
    }
    return [head];
  }
  return revs.map((r) => resolveRevision(repo, r));
}

/** The commits reachable from the start points, newest first. Lazy in 'date' order. */
export function* walkLog(repo: Repository, opts: LogOptions = {}): Generator<LogEntry> {
  const starts = logStarts(repo, opts.revs);
  const limit = opts.limit ?? Infinity;
  if (limit <= 0) return;
  const walk = opts.order === 'topo' ? topoWalk(repo, starts) : dateWalk(repo, starts);
  let n = 0;
  for (const e of walk) {
    yield e;
    if (++n >= limit) return;
  }
}

function* dateWalk(repo: Repository, starts: readonly ObjectId[]): Generator<LogEntry> {
  const seen = new Set<ObjectId>();
  const queue = new CommitQueue();
  for (const id of starts) {
    if (!seen.has(id)) {
      seen.add(id);
      queue.push({ id, commit: readCommit(repo.objects, id) });
    }
  }
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) {
    yield e;
    for (const p of e.commit.parents) {
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push({ id: p, commit: readCommit(repo.objects, p) });
    }
  }
}

function* topoWalk(repo: Repository, starts: readonly ObjectId[]): Generator<LogEntry> {
  // Count, for every reachable commit, how many reachable children it has; a commit is ready once
  // all of them were emitted (Kahn's algorithm, with the date queue choosing among ready ones).
  const commits = new Map<ObjectId, Commit>();
  const children = new Map<ObjectId, number>();
  const stack = [...starts];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (commits.has(id)) continue;
    const c = readCommit(repo.objects, id);
    commits.set(id, c);
    for (const p of new Set(c.parents)) {
      children.set(p, (children.get(p) ?? 0) + 1);
      if (!commits.has(p)) stack.push(p);
    }
  }
  const queue = new CommitQueue();
  for (const id of new Set(starts)) if (!children.has(id)) queue.push({ id, commit: commits.get(id)! });
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) {
    yield e;
    for (const p of new Set(e.commit.parents)) {
      const left = children.get(p)! - 1;
      children.set(p, left);
      if (left === 0) queue.push({ id: p, commit: commits.get(p)! });
    }
  }
}

/** Max-heap on (time, id): newest first, equal times broken by id so the order is deterministic. */
class CommitQueue {
  private readonly heap: LogEntry[] = [];

  push(e: LogEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): LogEntry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && before(h[l]!, h[best]!)) best = l;
        if (r < h.length && before(h[r]!, h[best]!)) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best]!, h[i]!];
        i = best;
      }
    }
    return top;
  }
}

function before(a: LogEntry, b: LogEntry): boolean {
  if (a.commit.time !== b.commit.time) return a.commit.time > b.commit.time;
  return a.id > b.id;
}

/**
 * Ref names to show beside each commit, git style: "HEAD -> main" for the current branch (or
 * "HEAD" when detached), then other branches, "tag: v1", and remote-tracking refs.
 */
export function decorations(repo: Repository): Map<ObjectId, string[]> {
  const out = new Map<ObjectId, string[]>();
  const add = (id: ObjectId, name: string) => {
    const list = out.get(id);
    if (list === undefined) out.set(id, [name]);
    else list.push(name);
  };
  const current = currentBranch(repo);
  const head = headCommit(repo);
  if (head !== null && current === null) add(head, 'HEAD');
  const branches = repo.refs.list('refs/heads/');
  const mine = branches.find((b) => b.name === `refs/heads/${current}`);
  if (mine !== undefined) add(mine.id, `HEAD -> ${current}`);
  for (const b of branches) if (b !== mine) add(b.id, b.name.slice('refs/heads/'.length));
  for (const t of repo.refs.list('refs/tags/')) add(t.id, `tag: ${t.name.slice('refs/tags/'.length)}`);
  for (const r of repo.refs.list('refs/remotes/')) add(r.id, r.name.slice('refs/remotes/'.length));
  return out;
}

/** Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor). */
export function isAncestor(repo: Repository, ancestor: ObjectId, descendant: ObjectId): boolean {
  const seen = new Set<ObjectId>([descendant]);
  const stack = [descendant];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === ancestor) return true;
    for (const p of readCommit(repo.objects, id).parents) {
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return false;
}
