// Revision syntax: full or abbreviated ids (unique prefix, at least 4 hex digits), branch, tag,
// remote-tracking ref, HEAD, and the suffixes REV~N and REV^N, as git users expect.
import { AmbiguousError, MissingObjectError, NotFoundError, UsageError, quoteForMessage } from '../../errors.js';
import { isObjectId, type ObjectId } from '../../core/hash.js';
import type { Repository } from '../../store/repository.js';
import { readCommit } from '../../store/typed-objects.js';

export const MIN_ABBREV = 4;

/** Candidate full ref names for a short name, in git's order of precedence. */
export function refCandidates(name: string): string[] {
  if (name === 'HEAD') return ['HEAD'];
  if (name.startsWith('refs/')) return [name];
  return [`refs/heads/${name}`, `refs/tags/${name}`, `refs/remotes/${name}`, `refs/remotes/${name}/HEAD`];
}

/** Resolves REV to a commit id; throws NOT_FOUND / AMBIGUOUS / USAGE with a hint. */
export function resolveRevision(repo: Repository, rev: string): ObjectId {
  const m = /^(.*?)((?:[~^]\d*)*)$/.exec(rev);
  const base = m?.[1] ?? rev;
  const suffix = m?.[2] ?? '';
  if (base === '') throw new UsageError(`empty revision in '${quoteForMessage(rev)}'`);
  let id = resolveBase(repo, base);
  const steps = suffix.match(/[~^]\d*/g) ?? [];
  for (const step of steps) {
    const n = step.length > 1 ? Number(step.slice(1)) : 1;
    if (step[0] === '~') {
      for (let i = 0; i < n; i++) {
        const parent = readCommit(repo.objects, id).parents[0];
        if (parent === undefined) throw new NotFoundError('revision', rev, `history is shorter than ${step}`);
        id = parent;
      }
    } else if (n > 0) {
      const parent = readCommit(repo.objects, id).parents[n - 1];
      if (parent === undefined) throw new NotFoundError('revision', rev, `the commit has no parent number ${n}`);
      id = parent;
    }
  }
  return id;
}

function resolveBase(repo: Repository, name: string): ObjectId {
  if (name === '@') name = 'HEAD';
  for (const ref of refCandidates(name)) {
    const id = repo.refs.resolve(ref);
    if (id !== null) return ensureCommit(repo, id, name);
    if (ref === 'HEAD') throw new NotFoundError('revision', 'HEAD', 'the current branch has no commits yet');
  }
  if (/^[0-9a-f]+$/i.test(name) && name.length >= MIN_ABBREV) {
    const prefix = name.toLowerCase();
    if (isObjectId(prefix)) {
      if (!repo.objects.has(prefix)) throw new NotFoundError('commit', name, 'no object with that id is stored');
      return ensureCommit(repo, prefix, name);
    }
    // Commits first: in a data repository thousands of chunks may share a short prefix.
    const commits = repo.objects.idsWithPrefix(prefix, 20, 'commit');
    if (commits.length === 1) return commits[0]!;
    if (commits.length > 1) throw new AmbiguousError(name, commits);
    const matches = repo.objects.idsWithPrefix(prefix, 1);
    if (matches.length > 0)
      throw new UsageError(`'${name}' names a ${repo.objects.info(matches[0]!)?.type ?? 'non-commit'} object, not a commit`, { name });
  }
  throw new NotFoundError('revision', name, "not a branch, tag or commit id; see 'cairn branch', 'cairn tag' and 'cairn log'");
}

function ensureCommit(repo: Repository, id: ObjectId, name: string): ObjectId {
  const info = repo.objects.info(id);
  if (info === undefined) throw new MissingObjectError(`'${name}' points to ${id}, which is not stored; run 'cairn fsck'`, { name, id });
  if (info.type !== 'commit') throw new UsageError(`'${name}' points to a ${info.type}, not a commit`, { name, id });
  return id;
}

/** Splits "REV:PATH" (PATH may be empty: the root). A bare REV gives path undefined. */
export function splitRevPath(spec: string): { rev: string; path: string | undefined } {
  const colon = spec.indexOf(':');
  if (colon < 0) return { rev: spec, path: undefined };
  const rev = spec.slice(0, colon) || 'HEAD';
  return { rev, path: spec.slice(colon + 1).replace(/^\/+|\/+$/g, '') };
}

/** The branch HEAD points at (e.g. 'main'), or null when detached. */
export function currentBranch(repo: Repository): string | null {
  const head = repo.refs.read('HEAD');
  if (head?.symbolic && head.target.startsWith('refs/heads/')) return head.target.slice('refs/heads/'.length);
  return null;
}

/** HEAD's commit, or null on an unborn branch. */
export function headCommit(repo: Repository): ObjectId | null {
  return repo.refs.resolve('HEAD');
}
