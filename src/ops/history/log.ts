// Walking the commit DAG for `log`: newest first by commit time (ties by id), each commit once even
// through merges; optionally in topological order (no parent before all of its children) for the
// graph. Also ref decorations.
import { NotFoundError } from '../../errors.js';
import type { ObjectId } from '../../core/hash.js';
import type { Commit } from '../../core/commit-object.js';
import type { Repository } from '../../store/repository.js';
import { readCommit } from '../../store/typed-objects.js';
import { PriorityQueue } from './priority-queue.js';
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
      throw new NotFoundError(
        `your current branch '${branch ?? 'HEAD'}' does not have any commits yet; make one with 'cairn add' and 'cairn commit'`,
        { what: 'revision', name: 'HEAD', branch },
      );
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
  const queue = new PriorityQueue<LogEntry>(newestFirst);
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
  const queue = new PriorityQueue<LogEntry>(newestFirst);
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

/** Newest first; equal times broken by the larger id, so the order is deterministic. */
function newestFirst(a: LogEntry, b: LogEntry): boolean {
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
