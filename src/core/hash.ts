// Object ids (docs/FORMAT.md §2): SHA-256 over "<type> <length>\0<body>", lower-case hex. node:crypto, not a JS hash:
// it is about ten times faster here (ECOSYSTEM.md).
import { createHash, type Hash } from 'node:crypto';

export type ObjectType = 'chunk' | 'file' | 'tree' | 'commit';
export const OBJECT_TYPES: readonly ObjectType[] = ['chunk', 'file', 'tree', 'commit'];

/** A 64-character lower-case hex SHA-256. */
export type ObjectId = string;

const ID_RE = /^[0-9a-f]{64}$/;
export function isObjectId(s: string): boolean {
  return ID_RE.test(s);
}

export function objectHeader(type: ObjectType, length: number): Buffer {
  return Buffer.from(`${type} ${length}\0`, 'latin1');
}

export function hashObject(type: ObjectType, body: Uint8Array): ObjectId {
  return createHash('sha256').update(objectHeader(type, body.length)).update(body).digest('hex');
}

/** Incremental hashing for bodies that arrive in pieces (the length must be known up front). */
export function objectHasher(type: ObjectType, length: number): Hash {
  return createHash('sha256').update(objectHeader(type, length));
}
