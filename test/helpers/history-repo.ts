// Builds repositories and commits straight through the store APIs, with a fixed author and clock,
// for the history and ref tests (log, show, ls, branch, tag, rev-parse).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectId } from '../../src/core/hash.js';
import { Repository } from '../../src/store/repository.js';
import { storeBuffer } from '../../src/store/file-writer.js';
import { emptyTree, writeCommit } from '../../src/store/typed-objects.js';
import { buildTree, type Leaf } from '../../src/ops/tree/tree-walk.js';

export const AUTHOR = { name: 'Test', email: 'test@example.com' };
export const T0 = 1_700_000_000_000;

export interface TempRepo {
  repo: Repository;
  dir: string;
  cleanup(): void;
}

export function tempRepo(): TempRepo {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-history-'));
  const { repo } = Repository.init(dir);
  return {
    repo,
    dir,
    cleanup: () => {
      repo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Commits with the empty tree for graph tests: `at` in seconds after T0, unique by a serial in the
 * message (`prefix` + n). Not flushed: the caller flushes when the batch is complete.
 */
export function emptyTreeCommits(repo: Repository, prefix: string): (parents: ObjectId[], at: number) => ObjectId {
  const tree = emptyTree(repo.objects);
  let serial = 0;
  return (parents, at) =>
    writeCommit(repo.objects, {
      tree,
      parents,
      author: AUTHOR,
      time: T0 + at * 1000,
      tzOffset: 0,
      message: `${prefix}${serial++}`,
      meta: {},
    });
}

export type FileSpec = string | Buffer | { symlink: string } | { exec: string };

export interface CommitSpec {
  files: Record<string, FileSpec>;
  message: string;
  parents?: ObjectId[];
  /** Seconds after T0. */
  at?: number;
  /** Branch to move (CAS from its current value); default the branch HEAD points at. null: none. */
  branch?: string | null;
}

/** Stores the files, a tree and a commit; moves the branch. Returns the commit id. */
export function makeCommit(repo: Repository, spec: CommitSpec): ObjectId {
  const leaves: Leaf[] = Object.entries(spec.files).map(([path, f]) => {
    if (typeof f === 'string' || Buffer.isBuffer(f)) {
      const s = storeBuffer(repo.objects, Buffer.isBuffer(f) ? f : Buffer.from(f));
      return { path, kind: 'file', id: s.id, size: s.size };
    }
    if ('symlink' in f) {
      const s = storeBuffer(repo.objects, Buffer.from(f.symlink));
      return { path, kind: 'symlink', id: s.id, size: s.size };
    }
    const s = storeBuffer(repo.objects, Buffer.from(f.exec));
    return { path, kind: 'exec', id: s.id, size: s.size };
  });
  const tree = buildTree(repo.objects, leaves);
  const head = repo.refs.read('HEAD');
  const branchRef =
    spec.branch === null ? null : spec.branch !== undefined ? `refs/heads/${spec.branch}` : head?.symbolic ? head.target : null;
  const old = branchRef === null ? null : repo.refs.resolve(branchRef);
  const parents = spec.parents ?? (old === null ? [] : [old]);
  const id = writeCommit(repo.objects, {
    tree: tree.id,
    parents,
    author: AUTHOR,
    time: T0 + (spec.at ?? 0) * 1000,
    tzOffset: 0,
    message: spec.message,
    meta: {},
  });
  repo.objects.flush();
  if (branchRef !== null) repo.refs.update([{ name: branchRef, expected: old, next: id }], 'test', 'commit');
  return id;
}
