// The json merge driver: three-way merge of JSON values (objects key by key, arrays in
// json-merge-array.ts), conflicts as values at JSON Pointers, output in ours' formatting.
import type { MergeConflict, MergeDriver, MergeInput, MergeOutput } from './types.js';
import { JsonObject, jsonEqual, jsonEqualWithin, kindOf, runTask, type JsonValue } from './json-value.js';
import { parseJson, parseJsonWithLayout } from './json-parse.js';
import { Descend, conflict, type MergeContext, type MergeTask, type Merged } from './json-merge-context.js';
import { printJson } from './json-print.js';
import { appendPointer } from './json-pointer.js';
import { mergeArray } from './json-merge-array.js';

const EQUAL_LOOKAHEAD = 256;

/**
 * Merges one value present on both sides (base may be absent: added on both). Settles what it can at
 * once; returns a Descend when both sides changed the insides of the same container.
 */
export function decide(b: Merged, o: JsonValue, t: JsonValue, ptr: string, ctx: MergeContext): Merged | Descend {
  // Equality is asked with a bound: an undecided answer only arises between containers of one kind,
  // and those are merged inside, which finds the same answer without re-reading deep documents at
  // every level. Theirs-unchanged first: ours' own node lets the printer copy it verbatim.
  if (b !== undefined && jsonEqualWithin(b, t, EQUAL_LOOKAHEAD) === true) return o;
  if (jsonEqualWithin(o, t, EQUAL_LOOKAHEAD) === true) return o;
  const ko = kindOf(o),
    kt = kindOf(t),
    kb = b === undefined ? undefined : kindOf(b);
  // Only theirs changed: take theirs' value, but inside a container go on merging, so that what theirs
  // left alone stays ours' own nodes (ours' formatting, copied verbatim) and not theirs' copies.
  if (b !== undefined && (ko !== kt || (ko !== 'object' && ko !== 'array')) && jsonEqual(b, o)) return t;
  if (ko === kt && (ko === 'object' || ko === 'array')) {
    // Containers of one kind merge inside; against an empty one when the base is absent (added on both
    // sides) or of another kind (both replaced it).
    if (ko === 'object')
      return new Descend(mergeObject(kb === 'object' ? (b as JsonObject) : JsonObject.empty(), o as JsonObject, t as JsonObject, ptr, ctx));
    return new Descend(mergeArray(kb === 'array' ? (b as JsonValue[]) : [], o as JsonValue[], t as JsonValue[], ptr, ctx));
  }
  if (kb === undefined) return conflict(ctx, ptr, 'add-add', b, o, t);
  return conflict(ctx, ptr, kb === ko && ko === kt ? 'both-modified' : 'type-change', b, o, t);
}

function* mergeObject(b: JsonObject, o: JsonObject, t: JsonObject, ptr: string, ctx: MergeContext): MergeTask {
  const keys: string[] = [];
  const values: JsonValue[] = [];
  let unchanged = true;
  for (let i = 0; i < o.size; i++) {
    const k = o.keys[i]!,
      ov = o.values[i]!,
      bv = b.get(k),
      tv = t.get(k);
    let r: Merged | Descend;
    if (tv !== undefined) r = decide(bv, ov, tv, appendPointer(ptr, k), ctx);
    else if (bv === undefined) r = ov;
    else if (jsonEqual(bv, ov)) r = undefined;
    else r = conflict(ctx, appendPointer(ptr, k), 'modify-delete', bv, ov, undefined);
    if (r instanceof Descend) r = yield r.task;
    if (r !== ov) unchanged = false;
    if (r !== undefined) {
      keys.push(k);
      values.push(r);
    }
  }
  // Keys only theirs has are appended, in theirs' order.
  for (let i = 0; i < t.size; i++) {
    const k = t.keys[i]!;
    if (o.has(k)) continue;
    const tv = t.values[i]!,
      bv = b.get(k);
    let r: Merged;
    if (bv === undefined) r = tv;
    else if (jsonEqual(bv, tv)) r = undefined;
    else r = conflict(ctx, appendPointer(ptr, k), 'delete-modify', bv, undefined, tv);
    if (r !== undefined) {
      keys.push(k);
      values.push(r);
      unchanged = false;
    }
  }
  if (unchanged) return o;
  const merged = JsonObject.of(keys, values);
  ctx.origin.set(merged, o);
  return merged;
}

function* mergeRoot(b: Merged, o: JsonValue, t: JsonValue, ctx: MergeContext): MergeTask {
  const r = decide(b, o, t, '', ctx);
  return r instanceof Descend ? yield r.task : r;
}

/** Merges three parsed values; `base` undefined when the file was added on both sides. */
export function mergeJsonValues(
  base: JsonValue | undefined,
  ours: JsonValue,
  theirs: JsonValue,
  options: { idKey?: string; favor?: 'ours' | 'theirs' } = {},
): { value: JsonValue; conflicts: MergeConflict[]; settled: number; origin: Map<object, object> } {
  const ctx: MergeContext = { idKey: options.idKey ?? 'id', favor: options.favor, conflicts: [], settled: 0, origin: new Map(), decide };
  const value = runTask(mergeRoot(base, ours, theirs, ctx));
  // Only a favored side's deletion can be absent, and the root is never deleted: keep ours then.
  return { value: value === undefined ? ours : value, conflicts: ctx.conflicts, settled: ctx.settled, origin: ctx.origin };
}

export const mergeJson: MergeDriver = (input: MergeInput): MergeOutput => {
  const { base, ours, theirs } = input;
  // Byte-level shortcuts: an untouched side takes the other side's file exactly as it is.
  if (ours.equals(theirs) || (base !== null && base.equals(theirs))) return { content: ours, conflicts: [], settled: 0 };
  if (base !== null && base.equals(ours)) return { content: theirs, conflicts: [], settled: 0 };

  const label = (side: 'base' | 'ours' | 'theirs'): string => `JSON file '${input.path}' (${input.labels?.[side] ?? side})`;
  const o = parseJsonWithLayout(ours, label('ours'));
  const t = parseJson(theirs, label('theirs'));
  const b = base === null ? undefined : parseJson(base, label('base'));
  const result = mergeJsonValues(b, o.value, t, { idKey: input.options?.['key'], favor: input.favor });
  const content =
    result.value === o.value
      ? ours
      : Buffer.from(printJson(result.value, o.layout, { text: o.layout.text, spans: o.layout.spans, origin: result.origin }), 'utf8');
  return { content, conflicts: result.conflicts, settled: result.settled };
};
