// Lightweight tags: refs/tags/NAME naming a commit. Created by compare-and-swap, so an existing tag
// is never silently moved; -f replaces it explicitly.
import { AlreadyExistsError, NotFoundError, RefMovedError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import { checkRefName } from '../core/names.js';
import type { Repository } from '../store/repository.js';
import { refuseExisting, type RefChangeOptions } from './branch.js';
import { resolveRevision } from './history/rev-parse.js';

const TAGS = 'refs/tags/';

export interface TagInfo {
  name: string;
  id: ObjectId;
}

export function listTags(repo: Repository): TagInfo[] {
  return repo.refs.list(TAGS).map((r) => ({ name: r.name.slice(TAGS.length), id: r.id }));
}

export interface CreateTagOptions extends RefChangeOptions {
  /** Revision to tag; default HEAD. */
  rev?: string;
  /** Move the tag if it exists. */
  force?: boolean;
}

export interface CreateTagResult extends TagInfo {
  /** The commit the tag named before -f moved it, or null. */
  previous: ObjectId | null;
}

export function createTag(repo: Repository, name: string, opts: CreateTagOptions): CreateTagResult {
  checkRefName(name, 'tag name');
  const id = resolveRevision(repo, opts.rev ?? 'HEAD');
  const ref = TAGS + name;
  const previous = repo.refs.resolve(ref);
  if (!opts.force) refuseExisting(repo, ref, name, 'tag');
  try {
    repo.refs.update(
      [{ name: ref, expected: previous, next: id }],
      opts.who,
      `tag: ${previous === null ? 'created' : 'moved'} at ${opts.rev ?? 'HEAD'}`,
    );
  } catch (err) {
    if (err instanceof RefMovedError)
      throw new AlreadyExistsError(`tag '${name}' was created by someone else meanwhile; look at it with 'cairn show ${name}'`, {
        what: 'tag',
        name,
      });
    throw err;
  }
  return { name, id, previous };
}

export function deleteTag(repo: Repository, name: string, opts: RefChangeOptions): TagInfo {
  const ref = TAGS + name;
  const id = repo.refs.resolve(ref);
  if (id === null) throw new NotFoundError(`tag '${name}' not found; see 'cairn tag'`, { what: 'tag', name });
  repo.refs.update([{ name: ref, expected: id, next: null }], opts.who, 'tag: deleted');
  return { name, id };
}
