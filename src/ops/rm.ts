// `rm`: stop tracking paths and (unless --cached) delete them from the worktree. Refuses to delete
// a file whose content is not committed, unless forced, so no work is lost by accident.
import { rmSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DirtyWorktreeError, NotFoundError, UsageError } from '../errors.js';
import type { Repository } from '../store/repository.js';
import { readCommit } from '../store/typed-objects.js';
import { headCommit } from './history/rev-parse.js';
import { hashWorktreeFile, statMatches } from './worktree/file-state.js';
import { flattenToMap } from './tree/tree-walk.js';
import { scanWorktree, underPath } from './worktree/scan.js';

export interface RmOptions {
  paths: readonly string[];
  cached?: boolean;
  force?: boolean;
  recursive?: boolean;
}

export interface RmResult {
  removed: string[];
}

export function rm(repo: Repository, opts: RmOptions): RmResult {
  const entries = repo.index.all();
  const targets = entries.filter((e) => opts.paths.some((p) => underPath(e.path, p)));
  for (const p of opts.paths) {
    const hits = targets.filter((e) => underPath(e.path, p));
    if (hits.length === 0) throw new NotFoundError(`pathspec '${p}' did not match any tracked file`, { path: p });
    if (!opts.recursive && !hits.some((e) => e.path === p)) throw new UsageError(`not removing '${p}' recursively without -r`, { path: p });
  }
  if (!opts.force) {
    const head = headCommit(repo);
    const committed = head === null ? new Map() : flattenToMap(repo.objects, readCommit(repo.objects, head).tree);
    const files = new Map(
      scanWorktree(repo, { paths: targets.map((t) => t.path), tracked: new Set(targets.map((t) => t.path)) }).files.map((f) => [f.path, f]),
    );
    const dirty: string[] = [];
    for (const e of targets) {
      const staged = committed.get(e.path)?.id !== e.id;
      const f = files.get(e.path);
      const modified = f !== undefined && !statMatches(e, f) && hashWorktreeFile(repo, f) !== e.id;
      // --cached keeps the file, so only a staged-but-uncommitted version would be lost.
      if (opts.cached ? staged && modified : staged || modified) dirty.push(e.path);
    }
    if (dirty.length > 0) throw new DirtyWorktreeError(dirty, 'rm');
  }
  if (!opts.cached) {
    for (const e of targets) {
      const abs = join(repo.root, e.path);
      rmSync(abs, { force: true });
      removeEmptyParents(repo.root, dirname(abs));
    }
  }
  repo.index.apply(
    [],
    targets.map((t) => t.path),
  );
  return { removed: targets.map((t) => t.path) };
}

function removeEmptyParents(root: string, dir: string): void {
  while (dir.length > root.length) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
    dir = dirname(dir);
  }
}
