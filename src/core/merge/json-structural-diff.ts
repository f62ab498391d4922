// The structural diff of two JSON documents for people: added, removed and changed values by JSON
// Pointer, records in arrays matched by their id. Unlike a JSON Patch, every pointer names a place in a
// real version: removed and changed ones in the old, added ones in the new.
import { createHash } from 'node:crypto';
import { JsonObject, isContainer, kindOf, runTask, scalarKey, type JsonScalar, type JsonValue } from './json-value.js';
import { toPlain } from './json-plain.js';
import { appendPointer } from './json-pointer.js';
import { matchSymbols, symbolize } from './sequence-diff3.js';

export interface StructuralChange {
  change: 'added' | 'removed' | 'changed';
  /** JSON Pointer (json), or 'key=<value>', 'key=<value>/<field>', 'column=<name>', 'line=<n>' (jsonl, csv). */
  location: string;
  /** Plain data (see toPlain: exact numbers, null-prototype objects); absent for 'added'. */
  old?: unknown;
  /** Absent for 'removed'. */
  new?: unknown;
}

type Task = Generator<Task, void, void>;

export function diffJsonValues(a: JsonValue, b: JsonValue, idKey = 'id'): StructuralChange[] {
  const out: StructuralChange[] = [];
  runTask(walk(a, b, '', '', { out, idKey, digests: new Digests() }));
  return out;
}

interface Walk {
  out: StructuralChange[];
  idKey: string;
  digests: Digests;
}

/**
 * Equality by digest of the data, each container hashed once: comparing subtrees at every level with
 * jsonEqual (or canonical text) costs size x depth, minutes on a hostile 10,000-deep document.
 */
class Digests {
  private readonly memo = new WeakMap<object, string>();

  of(root: JsonValue): string {
    if (!isContainer(root)) return scalarKey(root as JsonScalar);
    const stack: (JsonValue[] | JsonObject)[] = [root];
    while (stack.length > 0) {
      const node = stack[stack.length - 1]!;
      if (this.memo.has(node)) {
        stack.pop();
        continue;
      }
      const values = Array.isArray(node) ? node : node.values;
      const pending = values.filter((v) => isContainer(v) && !this.memo.has(v)) as (JsonValue[] | JsonObject)[];
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      const h = createHash('sha256');
      if (Array.isArray(node)) {
        h.update('[');
        for (const v of node) h.update(`${this.leaf(v)},`);
      } else {
        // Key order is not data.
        h.update('{');
        for (const i of node.keys.map((_, i) => i).sort((x, y) => (node.keys[x]! < node.keys[y]! ? -1 : 1)))
          h.update(`${JSON.stringify(node.keys[i])}:${this.leaf(node.values[i]!)},`);
      }
      this.memo.set(node, h.digest('base64'));
    }
    return this.memo.get(root)!;
  }

  equal(a: JsonValue, b: JsonValue): boolean {
    return a === b || (isContainer(a) === isContainer(b) && this.of(a) === this.of(b));
  }

  private leaf(v: JsonValue): string {
    return isContainer(v) ? `#${this.memo.get(v)!}` : JSON.stringify(scalarKey(v as JsonScalar));
  }
}

function* walk(a: JsonValue, b: JsonValue, oldPtr: string, newPtr: string, w: Walk): Task {
  const { out } = w;
  if (w.digests.equal(a, b)) return;
  if (a instanceof JsonObject && b instanceof JsonObject) {
    for (let i = 0; i < a.size; i++) {
      const k = a.keys[i]!,
        bv = b.get(k);
      if (bv === undefined) out.push({ change: 'removed', location: appendPointer(oldPtr, k), old: toPlain(a.values[i]!) });
      else yield walk(a.values[i]!, bv, appendPointer(oldPtr, k), appendPointer(newPtr, k), w);
    }
    for (let i = 0; i < b.size; i++) {
      if (!a.has(b.keys[i]!)) out.push({ change: 'added', location: appendPointer(newPtr, b.keys[i]!), new: toPlain(b.values[i]!) });
    }
  } else if (Array.isArray(a) && Array.isArray(b)) {
    yield* walkArray(a, b, oldPtr, newPtr, w);
  } else {
    out.push({ change: 'changed', location: oldPtr, old: toPlain(a), new: toPlain(b) });
  }
}

function* walkArray(a: JsonValue[], b: JsonValue[], oldPtr: string, newPtr: string, w: Walk): Task {
  const { out } = w;
  const idsA = recordIds(a, w.idKey),
    idsB = recordIds(b, w.idKey);
  if (idsA !== null && idsB !== null) {
    // Records: the same id is the same record wherever it moved; a move alone is not reported.
    const newAt = new Map(idsB.map((id, j) => [id, j]));
    const oldIds = new Set(idsA);
    for (let i = 0; i < a.length; i++) {
      const j = newAt.get(idsA[i]!);
      if (j === undefined) out.push({ change: 'removed', location: appendPointer(oldPtr, i), old: toPlain(a[i]!) });
      else yield walk(a[i]!, b[j]!, appendPointer(oldPtr, i), appendPointer(newPtr, j), w);
    }
    for (let j = 0; j < b.length; j++)
      if (!oldIds.has(idsB[j]!)) out.push({ change: 'added', location: appendPointer(newPtr, j), new: toPlain(b[j]!) });
    return;
  }
  const key = (v: JsonValue): string => (isContainer(v) ? `#${w.digests.of(v)}` : JSON.stringify(scalarKey(v as JsonScalar)));
  const [sa, sb] = symbolize([a.map(key), b.map(key)]) as [Int32Array, Int32Array];
  const m = matchSymbols(sa, sb);
  let ai = 0,
    bj = 0;
  for (let i = 0; i <= a.length; i++) {
    if (i < a.length && m[i]! < 0) continue;
    const bEnd = i < a.length ? m[i]! : b.length;
    // Between two matches, elements that pair up changed in place; the rest were removed or added.
    const paired = Math.min(i - ai, bEnd - bj);
    for (let p = 0; p < paired; p++) yield walk(a[ai + p]!, b[bj + p]!, appendPointer(oldPtr, ai + p), appendPointer(newPtr, bj + p), w);
    for (let p = ai + paired; p < i; p++) out.push({ change: 'removed', location: appendPointer(oldPtr, p), old: toPlain(a[p]!) });
    for (let p = bj + paired; p < bEnd; p++) out.push({ change: 'added', location: appendPointer(newPtr, p), new: toPlain(b[p]!) });
    ai = i + 1;
    bj = bEnd + 1;
  }
}

/** The id of every element, when all are objects with a unique string or number id; else null. */
function recordIds(arr: JsonValue[], idKey: string): string[] | null {
  if (arr.length === 0) return null;
  const seen = new Set<string>();
  for (const el of arr) {
    const id = el instanceof JsonObject ? el.get(idKey) : undefined;
    if (id === undefined || isContainer(id) || (kindOf(id) !== 'string' && kindOf(id) !== 'number')) return null;
    const k = scalarKey(id as JsonScalar);
    if (seen.has(k)) return null;
    seen.add(k);
  }
  return [...seen];
}
