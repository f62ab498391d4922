// Typed reads and writes on top of the raw object store: decode with validation, so a caller never
// sees an undecodable or hostile commit, tree or file object.
import { CairnError, CorruptObjectError } from '../errors.js';
import type { ObjectId } from '../core/hash.js';
import { decodeCommit, encodeCommit, type Commit } from '../core/commit-object.js';
import { decodeTree, encodeTree, type TreeEntry } from '../core/tree-object.js';
import { decodeFile, type FileObject } from '../core/file-object.js';
import type { ObjectReader, ObjectWriter } from './object-store.js';
import { INLINE_MAX } from './file-limits.js';

export function readCommit(store: ObjectReader, id: ObjectId): Commit {
  const { data } = store.get(id, 'commit');
  return withId(id, () => decodeCommit(data, `commit ${id}`));
}

export function readTree(store: ObjectReader, id: ObjectId): TreeEntry[] {
  const { data } = store.get(id, 'tree');
  return withId(id, () => decodeTree(data, `tree ${id}`));
}

export function readFileObject(store: ObjectReader, id: ObjectId): FileObject {
  const { data } = store.get(id, 'file');
  return withId(id, () => decodeFile(data, `file ${id}`));
}

/**
 * Why a decoded file object breaks the layout rule (FORMAT §5), or null: content of at most
 * INLINE_MAX bytes is inline, larger content chunked. The v1 decoder accepts either layout; a
 * receiver refuses the other one (a second id for the same content, and a sender deciding by a tree
 * entry's size whether to list chunks would never list this file's: every clone would then fail).
 */
export function fileLayoutProblem(f: FileObject): string | null {
  if (f.kind === 'chunked' && f.size <= INLINE_MAX)
    return `chunked, but its ${f.size} bytes are at most ${INLINE_MAX}: a file that small is stored inline`;
  if (f.kind === 'inline' && f.size > INLINE_MAX)
    return `inline, but its ${f.size} bytes are more than ${INLINE_MAX}: a file that large is chunked`;
  return null;
}

export function writeCommit(store: ObjectWriter, commit: Commit): ObjectId {
  return store.put('commit', encodeCommit(commit));
}

export function writeTree(store: ObjectWriter, entries: readonly TreeEntry[]): ObjectId {
  return store.put('tree', encodeTree(entries));
}

/** The empty tree's id is fixed by the format; storing it makes it readable like any other. */
export function emptyTree(store: ObjectWriter): ObjectId {
  return writeTree(store, []);
}

/** Yields a file's bytes piece by piece (each chunk verified on read); memory is one chunk. */
export function* fileContent(store: ObjectReader, id: ObjectId, decoded?: FileObject): Generator<Buffer> {
  // Callers that already read the file object (to tell inline from chunked) pass it: no second read.
  const f = decoded ?? readFileObject(store, id);
  if (f.kind === 'inline') {
    if (f.data.length > 0) yield f.data;
    return;
  }
  for (const c of f.chunks) {
    const { data } = store.get(c.id, 'chunk');
    if (data.length !== c.size)
      throw new CorruptObjectError(`chunk ${c.id} of file ${id} has ${data.length} bytes, the file object says ${c.size}`, {
        id: c.id,
        file: id,
      });
    yield data;
  }
}

/** Whole content in memory: only for small files (symlink targets, merge inputs). */
export function readWholeFile(store: ObjectReader, id: ObjectId): Buffer {
  return Buffer.concat([...fileContent(store, id)]);
}

function withId<T>(id: ObjectId, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CairnError && err.data['object'] === undefined) {
      (err.data as Record<string, unknown>)['object'] = id;
    }
    throw err;
  }
}
