// The in-memory JSON model shared by the json parser, merge, diff and printer: exact number text,
// ordered keys that are never prototype keys, and iterative walks (no recursion on document depth).
import { BadFormatError } from '../../errors.js';

/** A number whose source text is not what `String(Number(text))` gives back (1.0, 1e400, big integers). */
export class JsonNumber {
  constructor(readonly text: string) {}
  /** Lossy on purpose for JSON.stringify users; print with `stringifyPlain` to keep the exact text. */
  toJSON(): number | string {
    const n = Number(this.text);
    return Number.isFinite(n) ? n : this.text;
  }
}

/** A string whose source spelling is not the minimal escape of its value ("\u00e9", "\/"): kept so an unchanged string prints as it was written. */
export class JsonString {
  constructor(readonly value: string, readonly raw: string) {}
}

// Objects share their key arrays by shape (records in one document usually have the same keys), so a
// document of a million records holds one key list, not a million: memory stays close to the input size.
const indexes = new WeakMap<readonly string[], Map<string, number>>();
const INDEX_FROM = 9;

export class JsonObject {
  private constructor(private keyList: readonly string[], private valueList: JsonValue[]) {}

  /** `keys` must be free of duplicates; it may be shared with other objects and is never mutated. */
  static of(keys: readonly string[], values: JsonValue[]): JsonObject {
    return new JsonObject(keys, values);
  }

  static empty(): JsonObject {
    return new JsonObject([], []);
  }

  get keys(): readonly string[] {
    return this.keyList;
  }
  get values(): readonly JsonValue[] {
    return this.valueList;
  }
  get size(): number {
    return this.keyList.length;
  }

  indexOf(key: string): number {
    const keys = this.keyList;
    if (keys.length < INDEX_FROM) return keys.indexOf(key);
    let index = indexes.get(keys);
    if (index === undefined) {
      index = new Map();
      for (let i = 0; i < keys.length; i++) index.set(keys[i]!, i);
      indexes.set(keys, index);
    }
    return index.get(key) ?? -1;
  }

  get(key: string): JsonValue | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : this.valueList[i];
  }

  has(key: string): boolean {
    return this.indexOf(key) >= 0;
  }

  setAt(i: number, value: JsonValue): void {
    this.valueList[i] = value;
  }

  /** Replaces a key's value in place, or appends the key (copying the shared key list). */
  set(key: string, value: JsonValue): void {
    const i = this.indexOf(key);
    if (i >= 0) this.valueList[i] = value;
    else {
      this.keyList = [...this.keyList, key];
      this.valueList.push(value);
    }
  }

  delete(key: string): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    this.keyList = this.keyList.filter((_, j) => j !== i);
    this.valueList.splice(i, 1);
    return true;
  }
}

export type JsonScalar = null | boolean | number | string | JsonNumber | JsonString;
export type JsonValue = JsonScalar | JsonValue[] | JsonObject;
export type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

/** The one way to make a number: a JS number exactly when its text is the canonical one, so equal text <=> equal value. */
export function makeNumber(text: string): number | JsonNumber {
  const n = Number(text);
  return String(n) === text ? n : new JsonNumber(text);
}

export function kindOf(v: JsonValue): JsonKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof JsonObject) return 'object';
  if (v instanceof JsonNumber) return 'number';
  if (v instanceof JsonString) return 'string';
  return typeof v as 'boolean' | 'number' | 'string';
}

export function isContainer(v: JsonValue): v is JsonValue[] | JsonObject {
  return Array.isArray(v) || v instanceof JsonObject;
}

/** The scalar's identity: equal keys <=> equal scalars (numbers by exact text, strings by value). */
export function scalarKey(v: JsonScalar): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  if (v instanceof JsonNumber) return v.text;
  return JSON.stringify(typeof v === 'string' ? v : v.value);
}

export function stringValue(v: JsonValue): string | undefined {
  if (typeof v === 'string') return v;
  return v instanceof JsonString ? v.value : undefined;
}

/** Data equality: object key order is not data; numbers compare by exact text. Iterative. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  const stack: JsonValue[] = [a, b];
  while (stack.length > 0) {
    const y = stack.pop()!;
    const x = stack.pop()!;
    if (x === y) continue;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push(x[i]!, y[i]!);
    } else if (x instanceof JsonObject) {
      if (!(y instanceof JsonObject) || x.size !== y.size) return false;
      const xk = x.keys, yk = y.keys;
      let same = xk === yk;
      if (!same) {
        same = true;
        for (let i = 0; i < xk.length && same; i++) same = xk[i] === yk[i];
      }
      for (let i = 0; i < xk.length; i++) {
        const yv = same ? y.values[i] : y.get(xk[i]!);
        if (yv === undefined) return false;
        stack.push(x.values[i]!, yv);
      }
    } else {
      if (isContainer(y) || scalarKey(x) !== scalarKey(y)) return false;
    }
  }
  return true;
}

const sortedOrders = new WeakMap<readonly string[], number[]>();

function sortedOrder(keys: readonly string[]): number[] {
  let order = sortedOrders.get(keys);
  if (order === undefined) {
    order = keys.map((_, i) => i).sort((i, j) => (keys[i]! < keys[j]! ? -1 : keys[i]! > keys[j]! ? 1 : 0));
    sortedOrders.set(keys, order);
  }
  return order;
}

/** Canonical text (sorted keys, exact numbers, minimal escapes): equal text <=> jsonEqual. Iterative. */
export function canonicalJson(root: JsonValue): string {
  let out = '';
  // Each entry is either a value to emit or a literal string of punctuation.
  const stack: (JsonValue | { lit: string })[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v !== null && typeof v === 'object' && 'lit' in v) {
      out += v.lit;
    } else if (Array.isArray(v)) {
      out += '[';
      stack.push({ lit: ']' });
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push(v[i]!);
        if (i > 0) stack.push({ lit: ',' });
      }
    } else if (v instanceof JsonObject) {
      out += '{';
      stack.push({ lit: '}' });
      const order = sortedOrder(v.keys);
      for (let n = order.length - 1; n >= 0; n--) {
        const i = order[n]!;
        stack.push(v.values[i]!);
        stack.push({ lit: (n > 0 ? ',' : '') + JSON.stringify(v.keys[i]) + ':' });
      }
    } else {
      out += scalarKey(v as JsonScalar);
    }
  }
  return out;
}

/**
 * Plain JS data for reports (conflicts, patches): null-prototype objects (so `__proto__` is an ordinary
 * key), arrays, and JsonNumber where a JS number would lose the text. Iterative.
 */
export function toPlain(root: JsonValue): unknown {
  const convert = (v: JsonValue): unknown => {
    if (Array.isArray(v)) return new Array<unknown>(v.length);
    if (v instanceof JsonObject) return Object.create(null) as Record<string, unknown>;
    if (v instanceof JsonString) return v.value;
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
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new BadFormatError('JSON value', `${v} is not a JSON number`);
      return v;
    }
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

/**
 * Runs a recursive algorithm written as generators without using the native stack: a task yields the
 * sub-task whose result it needs and receives that result, so depth costs heap, never a stack overflow.
 */
export function runTask<R>(root: Generator<unknown, R, R>): R {
  const stack: Generator<unknown, R, R>[] = [root];
  let input = undefined as R;
  for (;;) {
    const step = stack[stack.length - 1]!.next(input);
    if (step.done) {
      stack.pop();
      if (stack.length === 0) return step.value;
      input = step.value;
    } else {
      stack.push(step.value as Generator<unknown, R, R>);
      input = undefined as R;
    }
  }
}
