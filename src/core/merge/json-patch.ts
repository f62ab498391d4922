// JSON Patch (RFC 6902) for the json model: the structural diff behind `cairn diff --format
// json-patch`, and applying a patch (add/remove/replace) with copy-on-write so the source is untouched.
import { BadFormatError } from '../../errors.js';
import { appendPointer, arrayIndex, parsePointer } from './json-pointer.js';
import { parseJson, parseJsonWithLayout } from './json-parse.js';
import { printJson } from './json-print.js';
import { matchSymbols, symbolize } from './sequence-diff3.js';
import { elementKey, recordIds } from './json-fingerprint.js';
import { JsonObject, isContainer, jsonEqualWithin, runTask, type JsonValue } from './json-value.js';
import { fromPlain, toPlain } from './json-plain.js';

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace';
  /** JSON Pointer; array indices refer to the array as earlier operations left it. */
  path: string;
  /** Plain data (see toPlain); absent for 'remove'. */
  value?: unknown;
}

type DiffTask = Generator<DiffTask, void, void>;

const EQUAL_LOOKAHEAD = 256;

/** The operations that turn `base` into `next`, applied in order. Records in arrays are matched by `idKey` ('id') when every element has a unique one. */
export function jsonDiff(base: Uint8Array, next: Uint8Array, options: { idKey?: string } = {}): JsonPatchOp[] {
  return jsonDiffValues(parseJson(base, 'old JSON version'), parseJson(next, 'new JSON version'), options);
}

export function jsonDiffValues(a: JsonValue, b: JsonValue, options: { idKey?: string } = {}): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  runTask(diffValue(a, b, '', ops, options.idKey ?? 'id'));
  return ops;
}

function* diffValue(a: JsonValue, b: JsonValue, ptr: string, ops: JsonPatchOp[], idKey: string): DiffTask {
  // Undecided within the bound, two containers of a kind are simply compared inside (linear on deep documents).
  if (jsonEqualWithin(a, b, EQUAL_LOOKAHEAD) === true) return;
  if (a instanceof JsonObject && b instanceof JsonObject) {
    for (const k of a.keys) if (!b.has(k)) ops.push({ op: 'remove', path: appendPointer(ptr, k) });
    for (let i = 0; i < a.size; i++) {
      const k = a.keys[i]!,
        bv = b.get(k);
      if (bv !== undefined && !settledEqual(a.values[i]!, bv)) yield diffValue(a.values[i]!, bv, appendPointer(ptr, k), ops, idKey);
    }
    for (let i = 0; i < b.size; i++)
      if (!a.has(b.keys[i]!)) ops.push({ op: 'add', path: appendPointer(ptr, b.keys[i]!), value: toPlain(b.values[i]!) });
  } else if (Array.isArray(a) && Array.isArray(b)) {
    yield* diffArray(a, b, ptr, ops, idKey);
  } else {
    ops.push({ op: 'replace', path: ptr, value: toPlain(b) });
  }
}

function* diffArray(a: JsonValue[], b: JsonValue[], ptr: string, ops: JsonPatchOp[], idKey: string): DiffTask {
  const ids = a.length > 0 && b.length > 0 ? recordIds([a, b], idKey) : null;
  const byId = ids !== null;
  const [sa, sb] = (ids?.syms ?? symbolize([a.map(elementKey), b.map(elementKey)])) as [Int32Array, Int32Array];
  const m = matchSymbols(sa, sb);
  let j = 0,
    ai = 0,
    bj = 0; // j: index in the array as the ops so far have left it
  for (let i = 0; i <= a.length; i++) {
    if (i < a.length && m[i]! < 0) continue;
    const bEnd = i < a.length ? m[i]! : b.length;
    // Between matches: edit in place what pairs up, then remove or add the rest.
    const paired = Math.min(i - ai, bEnd - bj);
    for (let p = 0; p < paired; p++, j++) {
      if (byId) ops.push({ op: 'replace', path: appendPointer(ptr, j), value: toPlain(b[bj + p]!) });
      else yield diffValue(a[ai + p]!, b[bj + p]!, appendPointer(ptr, j), ops, idKey);
    }
    for (let p = paired; p < i - ai; p++) ops.push({ op: 'remove', path: appendPointer(ptr, j) });
    for (let p = paired; p < bEnd - bj; p++, j++) ops.push({ op: 'add', path: appendPointer(ptr, j), value: toPlain(b[bj + p]!) });
    if (i < a.length) {
      if (byId && !settledEqual(a[i]!, b[bEnd]!)) yield diffValue(a[i]!, b[bEnd]!, appendPointer(ptr, j), ops, idKey);
      j++;
    }
    ai = i + 1;
    bj = bEnd + 1;
  }
}

/** Equal as far as a bounded look shows: most children of a large document are, and need no task of their own. */
function settledEqual(a: JsonValue, b: JsonValue): boolean {
  return a === b || jsonEqualWithin(a, b, EQUAL_LOOKAHEAD) === true;
}

/**
 * Applies add/remove/replace operations. Containers on changed paths are copied (each once), so `doc`
 * and anything sharing its nodes are left as they were. `origin` learns copy -> original, for printing.
 */
export function applyJsonPatch(doc: JsonValue, ops: readonly JsonPatchOp[], origin?: Map<object, object>): JsonValue {
  let root = doc;
  const copies = new WeakSet<object>();
  const own = <C extends JsonValue[] | JsonObject>(c: C): C => {
    if (copies.has(c)) return c;
    const copy = (Array.isArray(c) ? c.slice() : JsonObject.of(c.keys, c.values.slice())) as C;
    copies.add(copy);
    origin?.set(copy, origin.get(c) ?? c);
    return copy;
  };
  ops.forEach((op, n) => {
    const bad = (reason: string): never => {
      throw new BadFormatError('JSON Patch', `operation ${n} (${op.op} ${op.path || "''"}): ${reason}`, { index: n, path: op.path });
    };
    if (op.op !== 'add' && op.op !== 'remove' && op.op !== 'replace') bad(`unsupported op ${JSON.stringify(op.op)}`);
    if (op.op !== 'remove' && op.value === undefined) bad('a value is required');
    const value = op.op === 'remove' ? undefined : fromPlain(op.value);
    const tokens = parsePointer(op.path);
    if (tokens.length === 0) {
      if (value === undefined) bad('cannot remove the whole document');
      root = value!;
      return;
    }
    if (!isContainer(root)) bad('the document is not an object or array');
    let parent = (root = own(root as JsonValue[] | JsonObject));
    for (const token of tokens.slice(0, -1)) {
      const child = Array.isArray(parent) ? parent[arrayIndex(token, parent.length, op.path, false)] : parent.get(token);
      if (child === undefined || !isContainer(child)) return bad(`nothing to descend into at '${token}'`);
      const mine = own(child);
      if (Array.isArray(parent)) parent[Number(token)] = mine;
      else parent.set(token, mine);
      parent = mine;
    }
    const last = tokens[tokens.length - 1]!;
    if (Array.isArray(parent)) {
      const i = arrayIndex(last, parent.length, op.path, op.op === 'add');
      if (op.op === 'add') parent.splice(i, 0, value!);
      else if (op.op === 'remove') parent.splice(i, 1);
      else parent[i] = value!;
    } else if (op.op === 'add') parent.set(last, value!);
    else if (!parent.has(last)) bad(`no key ${JSON.stringify(last)} to ${op.op}`);
    else if (op.op === 'remove') parent.delete(last);
    else parent.set(last, value!);
  });
  return root;
}

/** Applies a patch to a JSON file, keeping its formatting (unchanged parts byte for byte). */
export function patchJson(doc: Uint8Array, ops: readonly JsonPatchOp[], what = 'JSON document'): Buffer {
  const { value, layout } = parseJsonWithLayout(doc, what);
  const origin = new Map<object, object>();
  const patched = applyJsonPatch(value, ops, origin);
  return Buffer.from(printJson(patched, layout, { text: layout.text, spans: layout.spans, origin }), 'utf8');
}
