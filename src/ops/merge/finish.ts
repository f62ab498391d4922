// Ending a stopped merge: `--continue` commits the resolved index as a two-parent commit (commit.ts
// adds MERGE_HEAD as the second parent and refuses while conflicts remain); `--abort` puts every
// file the merge or the resolutions touched back to ORIG_HEAD's bytes and the index to ORIG_HEAD.
// Those files were clean before the merge (merge.ts refuses otherwise), so that is exactly the
// pre-merge state; files the merge never touched, with their uncommitted edits, are left alone.
import { unlinkSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import type { Person } from '../../core/commit-object.js';
import type { ObjectId } from '../../core/hash.js';
import type { Repository } from '../../store/repository.js';
import { readCommit } from '../../store/typed-objects.js';
import type { IndexEntry } from '../../store/worktree-index.js';
import { commit, type CommitResult } from '../commit.js';
import { treeChanges } from '../tree/tree-changes.js';
import { clearMergeState, readMergeState } from './state.js';
import { headCommit } from '../history/rev-parse.js';
import { stagedChanges } from '../status/status.js';
import { lookupPath, type Leaf } from '../tree/tree-walk.js';
import { matchWorktree } from '../worktree/overwrite-check.js';
import { tempName, WorktreeWriter } from '../worktree/writer.js';
import { updateWorktree } from '../worktree/worktree-update.js';

export interface ContinueOptions {
  author: Person;
  time?: number;
  tzOffset?: number;
  /** Default: the message the merge prepared ("Merge branch 'X'"). */
  message?: string;
}

export type ContinueResult = CommitResult & { message: string };

export function mergeContinue(repo: Repository, opts: ContinueOptions): ContinueResult {
  const state = readMergeState(repo);
  if (state === null) throw new UsageError("there is no merge to continue; start one with 'cairn merge BRANCH'");
  const message = opts.message ?? state.message;
  return { ...commit(repo, { message, author: opts.author, time: opts.time, tzOffset: opts.tzOffset }), message };
}

export interface AbortResult {
  /** The commit HEAD is at: ORIG_HEAD, unless HEAD had moved (see alreadyCommitted, dropped). */
  head: ObjectId | null;
  /** Worktree files rewritten or removed to get back to the pre-merge state. */
  restored: string[];
  removed: string[];
  /** The merge had already been committed: only the leftover state was dropped. */
  alreadyCommitted: boolean;
  /** HEAD had been moved elsewhere since the merge began: the state was dropped, no file touched. */
  dropped?: boolean;
}

export function mergeAbort(repo: Repository): AbortResult {
  const state = readMergeState(repo);
  if (state === null) throw new UsageError('there is no merge to abort');
  const head = headCommit(repo);
  if (head !== state.origHead) {
    const c = head === null ? undefined : readCommit(repo.objects, head);
    if (head !== null && (head === state.commit || (c!.parents[0] === state.origHead && c!.parents[1] === state.theirs))) {
      clearMergeState(repo);
      return { head, restored: [], removed: [], alreadyCommitted: true };
    }
    // HEAD was moved by hand (reset, switch): the files are no longer the merge's to restore. Only
    // the state goes, so commit and merge work again.
    clearMergeState(repo);
    return { head, restored: [], removed: [], alreadyCommitted: false, dropped: true };
  }
  const store = repo.objects;
  const origTree = readCommit(store, state.origHead).tree;
  // Paths the merge wrote (merged tree vs ORIG_HEAD), plus every path of a conflict: resolutions
  // may have rewritten or deleted those even where the merge kept ours' version.
  const orig = new Map<string, Leaf | undefined>();
  for (const c of treeChanges(store, origTree, state.tree)) orig.set(c.path, c.old);
  for (const p of state.paths) {
    for (const path of [p.path, p.movedTo, p.ours?.path, p.theirs?.path]) {
      if (path === undefined || orig.has(path)) continue;
      const e = lookupPath(store, origTree, path);
      orig.set(path, e === undefined || e.kind === 'tree' ? undefined : { path, kind: e.kind, id: e.id, size: e.size });
    }
  }
  const index = new Map(repo.index.all().map((e) => [e.path, e]));
  const writer = new WorktreeWriter(repo.root, store, { force: true, stats: true });
  const writes = [...orig.values()].filter((l): l is Leaf => l !== undefined).sort((a, b) => (a.path < b.path ? -1 : 1));
  const result: AbortResult = { head, restored: [], removed: [], alreadyCommitted: false };
  const removals: string[] = [];
  const gone: string[] = [];
  for (const [path, leaf] of orig) {
    if (leaf !== undefined) continue;
    gone.push(path);
    if (index.has(path)) removals.push(path);
  }
  // A merge killed while replacing a file leaves its temp file beside it; the rerun would reuse it,
  // but after an abort nothing will: remove them.
  for (const path of orig.keys()) {
    if (!writer.parentsReal(path)) continue;
    const slash = path.lastIndexOf('/');
    removeQuietly(`${writer.abs(slash < 0 ? '' : path.slice(0, slash))}/${tempName(path.slice(slash + 1))}`);
  }
  const found = matchWorktree({ abs: (p) => writer.abs(p), index: (p) => index.get(p), racyNs: repo.index.writtenAt() * 1e6 }, writes);
  const upserts: IndexEntry[] = [];
  const todo: Leaf[] = [];
  for (const l of writes) {
    const same = found.same.get(l.path);
    if (same !== undefined) upserts.push({ ...same, kind: l.kind, id: l.id });
    else todo.push(l);
  }
  // One all-or-nothing update (worktree-update.ts): an unreadable object changes no file.
  const done = updateWorktree(
    writer,
    todo.map((l) => ({ leaf: l, present: found.occupied.has(l.path) })),
    gone,
  );
  result.removed.push(...done.removed);
  todo.forEach((l, i) => {
    upserts.push(done.entries[i] ?? { path: l.path, kind: l.kind, id: l.id, size: l.size, mtimeNs: 0, ctimeNs: 0, ino: 0 });
    result.restored.push(l.path);
  });
  // Anything else staged since the merge began goes back to ORIG_HEAD in the index only: the
  // worktree file is the user's, as after `reset --mixed`.
  for (const c of stagedChanges(repo, state.origHead, repo.index.all())) {
    if (orig.has(c.path)) continue;
    if (c.oldId === undefined) removals.push(c.path);
    else upserts.push({ path: c.path, kind: c.oldKind!, id: c.oldId, size: c.oldSize ?? 0, mtimeNs: 0, ctimeNs: 0, ino: 0 });
  }
  repo.index.apply(upserts, removals);
  clearMergeState(repo);
  result.removed.sort();
  return result;
}

function removeQuietly(abs: string): void {
  try {
    unlinkSync(abs);
  } catch {
    /* none there (the usual case), or not a file: nothing of ours */
  }
}
