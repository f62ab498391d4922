// Between the json model and plain JS data (what conflicts and patches carry): null-prototype objects,
// arrays, and JsonNumber only where a JS number would change the text. Iterative both ways.
import { BadFormatError } from '../../errors.js';
import { JsonNumber, JsonObject, JsonString, isContainer, numberFromJs, type JsonValue } from './json-value.js';

/**
 * Plain JS data for reports (conflicts, patches): null-prototype objects (so `__proto__` is an ordinary
 * key), arrays, and JsonNumber where a JS number would lose the text. Iterative.
 */
export function toPlain(root: JsonValue): unknown {
  const convert = (v: JsonValue): unknown => {
    if (Array.isArray(v)) return new Array<unknown>(v.length);
    if (v instanceof JsonObject) return Object.create(null) as Record<string, unknown>;
    if (v instanceof JsonString) return v.value;
    // A JS number where it is exact, so reports read naturally.
    if (v instanceof JsonNumber && String(Number(v.text)) === v.text) return Number(v.text);
    return v;
  };
  const top = convert(root);
  const stack: [JsonValue, unknown][] = [[root, top]];
  while (stack.length > 0) {
    const [src, dst] = stack.pop()!;
    if (Array.isArray(src)) {
      const arr = dst as unknown[];
      src.forEach((child, i) => {
        arr[i] = convert(child);
        if (isContainer(child)) stack.push([child, arr[i]]);
      });
    } else if (src instanceof JsonObject) {
      const obj = dst as Record<string, unknown>;
      src.keys.forEach((k, i) => {
        const child = src.values[i]!;
        obj[k] = convert(child);
        if (isContainer(child)) stack.push([child, obj[k]]);
      });
    }
  }
  return top;
}

/** The inverse of toPlain, validating: accepts plain objects of any prototype (own enumerable keys only). Iterative. */
export function fromPlain(root: unknown): JsonValue {
  const pending: [unknown, JsonValue][] = [];
  const convert = (v: unknown): JsonValue => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return numberFromJs(v);
    if (v instanceof JsonNumber || v instanceof JsonString || v instanceof JsonObject) return v;
    let made: JsonValue;
    if (Array.isArray(v)) made = new Array<JsonValue>(v.length);
    else if (typeof v === 'object') {
      const keys = Object.keys(v);
      made = JsonObject.of(keys, new Array<JsonValue>(keys.length));
    } else throw new BadFormatError('JSON value', `a ${typeof v} is not JSON data`);
    pending.push([v, made]);
    return made;
  };
  const top = convert(root);
  while (pending.length > 0) {
    const [src, dst] = pending.pop()!;
    if (Array.isArray(src)) {
      const arr = dst as JsonValue[];
      for (let i = 0; i < src.length; i++) arr[i] = convert(src[i]);
    } else {
      const obj = dst as JsonObject;
      obj.keys.forEach((k, i) => obj.setAt(i, convert((src as Record<string, unknown>)[k])));
    }
  }
  return top;
}
