// Fixtures for the checkout tests: hand-encoded (hostile) trees that the normal encoder refuses,
// commits pointing at them, and worktree snapshots to compare against.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectId } from '../../src/core/hash.js';
import type { EntryKind } from '../../src/core/tree-object.js';
import { writeVarint } from '../../src/core/varint.js';
import { storeBuffer } from '../../src/store/file-writer.js';
import type { Repository } from '../../src/store/repository.js';
import { readCommit, writeCommit } from '../../src/store/typed-objects.js';
import { AUTHOR, T0 } from './history-repo.js';

export interface RawEntry {
  name: string;
  kind: EntryKind;
  id: ObjectId;
  size: number;
}

const KIND: Record<EntryKind, number> = { file: 0, exec: 1, symlink: 2, tree: 3 };

/** Encodes a tree byte for byte as docs/FORMAT.md says, without validating names or order. */
export function rawTreeBytes(entries: readonly RawEntry[]): Buffer {
  const buf = Buffer.alloc(16 + entries.reduce((n, e) => n + 48 + Buffer.byteLength(e.name), 0));
  buf[0] = 1;
  let pos = writeVarint(buf, 1, entries.length);
  for (const e of entries) {
    buf[pos++] = KIND[e.kind];
    const name = Buffer.from(e.name, 'utf8');
    pos = writeVarint(buf, pos, name.length);
    pos += name.copy(buf, pos);
    pos += buf.write(e.id, pos, 32, 'hex');
    pos = writeVarint(buf, pos, e.size);
  }
  return buf.subarray(0, pos);
}

/** Stores a raw tree (hostile or not) and returns its id (visible after flush). */
export function putRawTree(repo: Repository, entries: readonly RawEntry[]): ObjectId {
  const id = repo.objects.put('tree', rawTreeBytes(entries));
  repo.objects.flush();
  return id;
}

export function fileEntry(repo: Repository, name: string, content: string, kind: 'file' | 'exec' | 'symlink' = 'file'): RawEntry {
  const s = storeBuffer(repo.objects, Buffer.from(content));
  return { name, kind, id: s.id, size: s.size };
}

/** A commit over `tree` (no ref moved). */
export function commitTree(repo: Repository, tree: ObjectId, parents: ObjectId[] = [], message = 'raw'): ObjectId {
  const id = writeCommit(repo.objects, { tree, parents, author: AUTHOR, time: T0, tzOffset: 0, message: `${message}\n`, meta: {} });
  repo.objects.flush();
  return id;
}

export function treeOf(repo: Repository, commit: ObjectId): ObjectId {
  return readCommit(repo.objects, commit).tree;
}

/**
 * Every file, symlink and folder under `dir` (skipping .cairn): path -> content, 'link:TARGET',
 * 'dir' (or 'exec:' prefix for executables).
 */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      if (rel === '' && name === '.cairn') continue;
      const p = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, p));
      if (st.isSymbolicLink()) out[p] = `link:${readlinkSync(join(dir, p))}`;
      else if (st.isDirectory()) {
        out[p] = 'dir';
        walk(p);
      } else out[p] = `${st.mode & 0o100 ? 'exec:' : ''}${readFileSync(join(dir, p), 'utf8')}`;
    }
  };
  walk('');
  return out;
}
