// The `tree` object: one directory, entries sorted by UTF-8 name bytes. Decoding validates every
// name (no '/', '\', NUL, '.', '..', '.cairn', no case/normalisation twins): a hostile tree is
// refused here, before any path is built from it. Format: docs/FORMAT.md §7.
import { BadFormatError, UnsafePathError, quoteForMessage } from '../errors.js';
import { isObjectId, type ObjectId } from './hash.js';
import { compareNames, entryNameProblem, foldName } from './names.js';
import { readVarint, varintLength, writeVarint } from './varint.js';

export const TREE_FORMAT_VERSION = 1;

export type EntryKind = 'file' | 'exec' | 'symlink' | 'tree';
const KIND_CODES: Record<EntryKind, number> = { file: 0, exec: 1, symlink: 2, tree: 3 };
const KINDS: EntryKind[] = ['file', 'exec', 'symlink', 'tree'];

export interface TreeEntry {
  name: string;
  kind: EntryKind;
  /** A `file` object for file/exec/symlink (a symlink's content is its target), a `tree` otherwise. */
  id: ObjectId;
  /** Bytes of content: the file's size, or for a tree the sum of the sizes of all files below it. */
  size: number;
}

export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => compareNames(a.name, b.name));
  checkEntries(sorted, 'tree');
  for (const e of sorted) if (!isObjectId(e.id)) throw new BadFormatError('tree', `bad id ${e.id} for entry '${quoteForMessage(e.name)}'`);
  const names = sorted.map((e) => Buffer.from(e.name, 'utf8'));
  let len = 1 + varintLength(sorted.length);
  sorted.forEach((e, i) => {
    len += 1 + varintLength(names[i]!.length) + names[i]!.length + 32 + varintLength(e.size);
  });
  const out = Buffer.allocUnsafe(len);
  out[0] = TREE_FORMAT_VERSION;
  let pos = writeVarint(out, 1, sorted.length);
  sorted.forEach((e, i) => {
    out[pos++] = KIND_CODES[e.kind];
    pos = writeVarint(out, pos, names[i]!.length);
    pos += names[i]!.copy(out, pos);
    pos += out.write(e.id, pos, 32, 'hex');
    pos = writeVarint(out, pos, e.size);
  });
  return out;
}

// ignoreBOM: keep a leading U+FEFF in a name. By default TextDecoder drops it, so the name
// "\ufeffa" would decode as "a": a round trip that changes the name, two byte strings for one tree.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeTree(body: Buffer, what = 'tree object'): TreeEntry[] {
  if (body.length < 2) throw new BadFormatError(what, 'truncated');
  if (body[0] !== TREE_FORMAT_VERSION) throw new BadFormatError(what, `unknown version ${body[0]}`);
  const [count, afterCount] = readVarint(body, 1, what);
  let pos = afterCount;
  if (count > (body.length - pos) / 35) throw new BadFormatError(what, 'entry count exceeds body');
  const entries: TreeEntry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const kind = KINDS[body[pos++]!];
    if (kind === undefined) throw new BadFormatError(what, `unknown entry kind ${body[pos - 1]}`);
    let nameLen: number;
    [nameLen, pos] = readVarint(body, pos, what);
    if (pos + nameLen + 32 > body.length) throw new BadFormatError(what, 'truncated entry');
    let name: string;
    try {
      name = utf8.decode(body.subarray(pos, pos + nameLen));
    } catch {
      throw new UnsafePathError(body.toString('latin1', pos, pos + nameLen), 'entry name is not valid UTF-8');
    }
    pos += nameLen;
    const id = body.toString('hex', pos, pos + 32);
    let size: number;
    [size, pos] = readVarint(body, pos + 32, what);
    entries[i] = { name, kind, id, size };
  }
  if (pos !== body.length) throw new BadFormatError(what, 'trailing bytes');
  checkEntries(entries, what);
  return entries;
}

/** Entries must be valid names, strictly sorted, and distinct even after case folding. */
function checkEntries(entries: readonly TreeEntry[], what: string): void {
  const folded = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const problem = entryNameProblem(e.name);
    if (problem !== null) throw new UnsafePathError(e.name, `tree entry ${problem}`);
    if (i > 0 && compareNames(entries[i - 1]!.name, e.name) >= 0) {
      throw new BadFormatError(what, `entries not sorted or duplicated at '${quoteForMessage(e.name)}'`);
    }
    const f = foldName(e.name);
    if (folded.has(f)) throw new UnsafePathError(e.name, 'collides with another entry on a case-insensitive file system');
    folded.add(f);
  }
}
