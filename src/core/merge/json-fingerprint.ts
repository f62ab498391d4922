// Content identity for array elements: keys that identify JSON values (canonical text when small, a
// SHA-256 of the parts when large, each large value hashed once), and record ids interned as symbols.
import { createHash } from 'node:crypto';
import {
  JsonNumber,
  JsonObject,
  JsonString,
  canonicalJson,
  isContainer,
  scalarKey,
  type JsonScalar,
  type JsonValue,
} from './json-value.js';

// Past this many values a key is a hash: canonical text of nested arrays would otherwise repeat every
// level's contents in every enclosing level's key (quadratic in depth).
const SMALL = 256;
const hashes = new WeakMap<object, string>();

function isSmall(v: JsonValue): boolean {
  const stack = [v];
  let budget = SMALL;
  while (stack.length > 0) {
    const x = stack.pop()!;
    const kids = Array.isArray(x) ? x : x instanceof JsonObject ? x.values : null;
    if (kids === null) continue;
    if ((budget -= kids.length) < 0) return false;
    for (const k of kids) if (isContainer(k)) stack.push(k);
  }
  return true;
}

/** Equal keys <=> equal values (jsonEqual), up to SHA-256 collisions. Canonical text never starts with '#'. */
export function elementKey(v: JsonValue): string {
  if (!isContainer(v)) return scalarKey(v as JsonScalar);
  return hashes.get(v) ?? (isSmall(v) ? canonicalJson(v) : hashLarge(v));
}

/** Hashes a large value bottom-up without recursion; each large container is hashed once and remembered. */
function hashLarge(root: JsonValue[] | JsonObject): string {
  const stack: [JsonValue[] | JsonObject, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [node, childrenDone] = stack.pop()!;
    if (hashes.has(node)) continue;
    const kids = Array.isArray(node) ? node : node.values;
    if (!childrenDone) {
      stack.push([node, true]);
      for (const k of kids) if (isContainer(k) && !hashes.has(k) && !isSmall(k)) stack.push([k, false]);
      continue;
    }
    const h = createHash('sha256').update(Array.isArray(node) ? '[' : '{');
    if (Array.isArray(node)) for (const k of node) h.update(elementKey(k)).update('\u0000');
    else {
      const order = node.keys.map((_, i) => i).sort((i, j) => (node.keys[i]! < node.keys[j]! ? -1 : node.keys[i]! > node.keys[j]! ? 1 : 0));
      for (const i of order) h.update(JSON.stringify(node.keys[i])).update(elementKey(node.values[i]!)).update('\u0000');
    }
    hashes.set(node, '#' + h.digest('base64'));
  }
  return hashes.get(root)!;
}

/** Record ids of several arrays as symbols: equal ids, equal symbols. */
export interface RecordIds {
  syms: Int32Array[];
  /** Canonical text of the id of arrays[n][i], made on demand: only ordering decisions need it. */
  text: (n: number, i: number) => string;
}

/** Ids when every element of every array is a record with a string or number id, unique in its array; else null. */
export function recordIds(arrays: readonly JsonValue[][], key: string): RecordIds | null {
  // Separate tables keep 1, "1" and 1.0 apart without building a string per id.
  const ints = new Map<number, number>(),
    strings = new Map<string, number>(),
    texts = new Map<string, number>();
  const mark: number[] = [];
  let next = 0;
  const intern = <K>(table: Map<K, number>, k: K): number => {
    let sym = table.get(k);
    if (sym === undefined) table.set(k, (sym = next++));
    return sym;
  };
  const syms: Int32Array[] = [];
  for (const [n, arr] of arrays.entries()) {
    const out = new Int32Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const el = arr[i]!;
      const id = el instanceof JsonObject ? el.get(key) : undefined;
      let sym: number;
      if (typeof id === 'number') sym = intern(ints, id);
      else if (typeof id === 'string') sym = intern(strings, id);
      else if (id instanceof JsonString) sym = intern(strings, id.value);
      else if (id instanceof JsonNumber) sym = intern(texts, id.text);
      else return null;
      if (mark[sym] === n) return null; // the same id twice: not an identity
      mark[sym] = n;
      out[i] = sym;
    }
    syms.push(out);
  }
  return { syms, text: (n, i) => scalarKey((arrays[n]![i] as JsonObject).get(key) as JsonScalar) };
}
