// Keys that identify JSON values by content, for diffing arrays element by element: the canonical text
// of a small value, a SHA-256 of its parts for a large one, each large value hashed once.
import { createHash } from 'node:crypto';
import { JsonObject, canonicalJson, isContainer, scalarKey, type JsonScalar, type JsonValue } from './json-value.js';

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
