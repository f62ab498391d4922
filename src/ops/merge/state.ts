// The state of a merge in progress, in .cairn/merge-state.json (written atomically): what is being
// merged into what (MERGE_HEAD, ORIG_HEAD), the tree the merge wrote, and every conflict with its
// three values. `status`, `commit`, `conflicts`, `resolve` and `merge --continue/--abort` read it.
// Values are stored with the json model's printer so numbers keep their exact text.
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BadFormatError, RejectedError, UnresolvedConflictsError } from '../../errors.js';
import { isObjectId, type ObjectId } from '../../core/hash.js';
import { parseJson } from '../../core/merge/json-parse.js';
import { stringifyPlain } from '../../core/merge/json-print.js';
import { toPlain } from '../../core/merge/json-plain.js';
import { fsyncDir, writeFileAtomic } from '../../store/atomic-file.js';
import type { Repository } from '../../store/repository.js';
import { readCommit } from '../../store/typed-objects.js';
import type { ConflictEntry, ConflictedPath } from './types.js';

export const MERGE_STATE_FILE = 'merge-state.json';
const VERSION = 1;

export interface MergeState {
  version: 1;
  /**
   * 'writing': the worktree is being updated (a kill here is recovered by rerunning the merge or
   * by --abort); 'conflicts': stopped, waiting for resolutions.
   */
  phase: 'writing' | 'conflicts';
  /** ORIG_HEAD: the commit HEAD held when the merge started. */
  origHead: ObjectId;
  /** The ref that moves when the merge is committed ('refs/heads/main', or 'HEAD' when detached). */
  headRef: string;
  /** MERGE_HEAD: the commit being merged in. */
  theirs: ObjectId;
  /** How the user named it ('feature', or a short id). */
  theirsLabel: string;
  bases: ObjectId[];
  /** The merged tree written to the index and worktree. */
  tree: ObjectId;
  /** A clean merge's commit, stored before the worktree is touched: the branch moves to it last. */
  commit?: ObjectId;
  message: string;
  settled: number;
  favor?: 'ours' | 'theirs';
  paths: ConflictedPath[];
}

export function readMergeState(repo: Repository): MergeState | null {
  let buf: Buffer;
  try {
    buf = readFileSync(join(repo.cairnDir, MERGE_STATE_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const bad = (reason: string) =>
    new BadFormatError(`the merge state (.cairn/${MERGE_STATE_FILE}) is damaged: ${reason}; run 'cairn merge --abort' or delete the file`, {
      reason,
    });
  let state: MergeState;
  try {
    state = toPlain(parseJson(buf, 'merge state')) as MergeState;
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (state === null || typeof state !== 'object' || state.version !== VERSION) throw bad('unknown version');
  for (const id of [state.origHead, state.theirs, state.tree])
    if (typeof id !== 'string' || !isObjectId(id)) throw bad('bad commit or tree id');
  if (!Array.isArray(state.paths)) throw bad('no conflict list');
  return state;
}

export function writeMergeState(repo: Repository, state: MergeState): void {
  writeFileAtomic(join(repo.cairnDir, MERGE_STATE_FILE), `${stringifyPlain(clean(state), ' ')}\n`);
}

export function clearMergeState(repo: Repository): void {
  try {
    unlinkSync(join(repo.cairnDir, MERGE_STATE_FILE));
    fsyncDir(repo.cairnDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** What `status` shows of a merge in progress. */
export interface MergeInProgress {
  theirs: ObjectId;
  theirsLabel: string;
  /** 'writing': interrupted while updating the worktree (rerun the merge, or abort). */
  phase: MergeState['phase'];
  unmerged: { path: string; kind: ConflictedPath['kind'] }[];
  resolved: number;
}

export function mergeInProgress(repo: Repository): MergeInProgress | undefined {
  const s = readMergeState(repo);
  if (s === null) return undefined;
  const open = unresolvedPaths(s);
  return {
    theirs: s.theirs,
    theirsLabel: s.theirsLabel,
    phase: s.phase,
    unmerged: open.map((p) => ({ path: p.path, kind: p.kind })),
    resolved: s.paths.length - open.length,
  };
}

/** Conflicted paths not yet marked resolved. */
export function unresolvedPaths(state: MergeState): ConflictedPath[] {
  return state.paths.filter((p) => !p.resolved);
}

/** commit's guard: refuses while conflicts are unresolved; returns the extra parent of a merge commit. */
export function mergeParentFor(repo: Repository, head: ObjectId | null): ObjectId | undefined {
  const state = readMergeState(repo);
  if (state === null) return undefined;
  if (state.phase === 'writing') {
    throw new UnresolvedConflictsError(
      `a merge of '${state.theirsLabel}' was interrupted; run 'cairn merge ${state.theirsLabel}' again to finish it, or 'cairn merge --abort'`,
      { theirs: state.theirs },
    );
  }
  if (head !== state.origHead) {
    // Left behind by a kill after the merge commit landed: the merge is concluded.
    const parents = head === null ? [] : readCommit(repo.objects, head).parents;
    if (parents[0] === state.origHead && parents[1] === state.theirs) {
      clearMergeState(repo);
      return undefined;
    }
    throw new RejectedError(
      `HEAD moved since the merge of '${state.theirsLabel}' started (it was ${state.origHead.slice(0, 12)}); run 'cairn merge --abort' to drop the merge (files are left as they are)`,
      { expected: state.origHead, found: head },
    );
  }
  const open = unresolvedPaths(state);
  if (open.length > 0) {
    const shown =
      open
        .slice(0, 10)
        .map((p) => p.path)
        .join(', ') + (open.length > 10 ? ` and ${open.length - 10} more` : '');
    throw new UnresolvedConflictsError(
      `cannot commit: unresolved merge conflicts in ${shown}; fix them and run 'cairn resolve PATH' (see 'cairn conflicts'), or 'cairn merge --abort'`,
      { paths: open.map((p) => p.path) },
    );
  }
  return state.theirs;
}

/** Drops undefined fields the printer cannot encode (conflict values that are absent on a side). */
function clean(state: MergeState): unknown {
  const entry = (e: ConflictEntry) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined));
  const path = (p: ConflictedPath) => ({
    ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)),
    conflicts: p.conflicts.map(entry),
  });
  return { ...Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)), paths: state.paths.map(path) };
}
