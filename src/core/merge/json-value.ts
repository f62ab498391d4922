// The in-memory JSON model shared by the json parser, merge, diff and printer: exact number text,
// ordered keys that are never prototype keys, and iterative walks (no recursion on document depth).
import { BadFormatError } from '../../errors.js';

/** A number kept as its exact text because a JS number would print differently (0.1000, 1e400, 1E5, big integers). */
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
  constructor(
    readonly value: string,
    readonly raw: string,
  ) {}
}

// Objects share their key arrays by shape (records in one document usually have the same keys), so a
// document of a million records holds one key list, not a million: memory stays close to the input size.
const indexes = new WeakMap<readonly string[], Map<string, number>>();
const INDEX_FROM = 9;

export class JsonObject {
  private constructor(
    private keyList: readonly string[],
    private valueList: JsonValue[],
  ) {}

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

/**
 * A trie of key sequences, one per parse: objects with the same keys in the same order end at the same
 * node and share its key list, and the parser guesses each key from the previous object of that shape
 * (a cheap text comparison instead of a new string per key, as V8's own JSON parser does).
 */
export class KeyShape {
  private children: Map<string, KeyShape> | null = null;
  private list: string[] | null = null;
  /** The child taken most recently: the guess for the next object's next key. */
  last: KeyShape | null = null;
  /** The key's source spelling when it needs no escapes ('"name"'), else null (never guessed). */
  readonly quoted: string | null;

  constructor(
    readonly key: string,
    readonly parent: KeyShape | null,
    readonly depth: number,
  ) {
    const q = JSON.stringify(key);
    this.quoted = parent !== null && q.length === key.length + 2 ? q : null;
  }

  static root(): KeyShape {
    return new KeyShape('', null, 0);
  }

  child(key: string): KeyShape {
    let c = this.last !== null && this.last.key === key ? this.last : this.children?.get(key);
    if (c === undefined) {
      c = new KeyShape(key, this, this.depth + 1);
      (this.children ??= new Map()).set(key, c);
    }
    this.last = c;
    return c;
  }

  /** Whether `key` is on the path to this node (the keys an object of this shape already has). */
  has(key: string): boolean {
    if (this.parent === null) return false;
    return this.key === key || this.parent.has(key);
  }

  keys(): string[] {
    if (this.list === null) {
      this.list = this.parent === null ? [] : [...this.parent.keys(), this.key];
    }
    return this.list;
  }
}

export type JsonScalar = null | boolean | number | string | JsonNumber | JsonString;
export type JsonValue = JsonScalar | JsonValue[] | JsonObject;
export type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

// Numbers have one representation each, so that equal text <=> equal representation: a JS number
// exactly when its text is what String(n) prints, a JsonNumber (the text) for everything else. Deciding
// that by calling String(n) costs a microsecond a number, so it is decided from the text: integers below
// 1e15 written plainly, and decimals with at most 15 significant digits (a 15-digit decimal survives the
// trip through a double, so no shorter text prints the same double), no trailing zero, and not so small
// that String(n) switches to exponent form (below 1e-6).
const PLAIN_INTEGER = /^-?(0|[1-9][0-9]{0,14})$/;
const PLAIN_DECIMAL = /^-?(0\.0{0,5}[1-9]([0-9]*[1-9])?|[1-9][0-9]*\.[0-9]*[1-9])$/;

/** The one way to make a number from JSON text. */
export function makeNumber(text: string): number | JsonNumber {
  if (PLAIN_INTEGER.test(text)) return text === '-0' ? new JsonNumber(text) : Number(text);
  if (PLAIN_DECIMAL.test(text) && significantDigits(text) <= 15) return Number(text);
  return new JsonNumber(text);
}

function significantDigits(text: string): number {
  let n = 0,
    started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 49 && c <= 57) started = true;
    if (started && c >= 48 && c <= 57) n++;
  }
  return n;
}

/** The one way to make a number from a JS number (its shortest text). */
export function numberFromJs(n: number): number | JsonNumber {
  if (!Number.isFinite(n)) throw new BadFormatError('JSON value', `${n} is not a JSON number`);
  return makeNumber(String(n));
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
  return jsonEqualWithin(a, b, Infinity)!;
}

/**
 * jsonEqual that gives up (undefined) rather than look at more than `limit` values: callers that can
 * find out another way (by merging inside) stay linear on deep documents, where asking at every level
 * would be quadratic.
 */
export function jsonEqualWithin(a: JsonValue, b: JsonValue, limit: number): boolean | undefined {
  const stack: JsonValue[] = [a, b];
  let budget = limit;
  while (stack.length > 0) {
    const y = stack.pop()!;
    const x = stack.pop()!;
    if (x === y) continue;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      if ((budget -= x.length) < 0) return undefined;
      for (let i = 0; i < x.length; i++) stack.push(x[i]!, y[i]!);
    } else if (x instanceof JsonObject) {
      if (!(y instanceof JsonObject) || x.size !== y.size) return false;
      if ((budget -= x.size) < 0) return undefined;
      const xk = x.keys,
        yk = y.keys;
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
