// `show`: one commit and the paths it changed against its first parent (the root commit against an
// empty tree). Subtrees with equal ids are skipped unread: equal ids mean equal content.
import type { ObjectId } from '../core/hash.js';
import type { Commit } from '../core/commit-object.js';
import type { EntryKind, TreeEntry } from '../core/tree-object.js';
import { compareNames, joinRepoPath } from '../core/names.js';
import type { Repository } from '../store/repository.js';
import { readCommit, readTree } from '../store/typed-objects.js';
import { resolveRevision } from './rev-parse.js';

export type PathStatus = 'added' | 'modified' | 'deleted' | 'typechange';

export interface PathChange {
  path: string;
  status: PathStatus;
  oldKind?: Exclude<EntryKind, 'tree'>;
  newKind?: Exclude<EntryKind, 'tree'>;
  oldId?: ObjectId;
  newId?: ObjectId;
  oldSize?: number;
  newSize?: number;
}

export interface ShowResult {
  id: ObjectId;
  commit: Commit;
  /** Against the first parent; for a merge, what the merge brought into the first parent's line. */
  changes: PathChange[];
}

export function showCommit(repo: Repository, rev: string): ShowResult {
  const id = resolveRevision(repo, rev);
  const commit = readCommit(repo.objects, id);
  const parent = commit.parents[0];
  const base = parent === undefined ? null : readCommit(repo.objects, parent).tree;
  return { id, commit, changes: diffTrees(repo, base, commit.tree) };
}

/** Leaf-level changes between two trees (null: the empty tree), sorted by path. */
export function diffTrees(repo: Repository, oldTree: ObjectId | null, newTree: ObjectId | null): PathChange[] {
  const out: PathChange[] = [];
  const entries = (id: ObjectId | null): TreeEntry[] => (id === null ? [] : readTree(repo.objects, id));
  const leaves = (id: ObjectId, dir: string, side: 'old' | 'new'): void => {
    for (const e of entries(id)) {
      const path = joinRepoPath(dir, e.name);
      if (e.kind === 'tree') leaves(e.id, path, side);
      else if (side === 'old') out.push({ path, status: 'deleted', oldKind: e.kind, oldId: e.id, oldSize: e.size });
      else out.push({ path, status: 'added', newKind: e.kind, newId: e.id, newSize: e.size });
    }
  };
  const walk = (a: ObjectId | null, b: ObjectId | null, dir: string): void => {
    if (a === b) return;
    const olds = new Map(entries(a).map((e) => [e.name, e]));
    const news = new Map(entries(b).map((e) => [e.name, e]));
    const names = [...new Set([...olds.keys(), ...news.keys()])].sort(compareNames);
    for (const name of names) {
      const o = olds.get(name);
      const n = news.get(name);
      const path = joinRepoPath(dir, name);
      if (o !== undefined && n !== undefined && o.id === n.id && o.kind === n.kind) continue;
      const oTree = o?.kind === 'tree';
      const nTree = n?.kind === 'tree';
      if (oTree && nTree) walk(o.id, n.id, path);
      else if (o !== undefined && n !== undefined && !oTree && !nTree) {
        const status: PathStatus = o.kind === n.kind || (o.kind !== 'symlink' && n.kind !== 'symlink') ? 'modified' : 'typechange';
        out.push({ path, status, oldKind: o.kind as PathChange['oldKind'], newKind: n.kind as PathChange['newKind'], oldId: o.id, newId: n.id, oldSize: o.size, newSize: n.size });
      } else {
        // A file replaced by a folder (or the reverse) is a deletion plus additions.
        if (o !== undefined) {
          if (oTree) leaves(o.id, path, 'old');
          else out.push({ path, status: 'deleted', oldKind: o.kind as PathChange['oldKind'], oldId: o.id, oldSize: o.size });
        }
        if (n !== undefined) {
          if (nTree) leaves(n.id, path, 'new');
          else out.push({ path, status: 'added', newKind: n.kind as PathChange['newKind'], newId: n.id, newSize: n.size });
        }
      }
    }
  };
  walk(oldTree, newTree, '');
  return out.sort((x, y) => compareNames(x.path, y.path));
}
