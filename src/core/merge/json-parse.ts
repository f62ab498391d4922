// The JSON parser of the json merge driver: iterative (an explicit stack, so hostile nesting is an
// error, not a stack overflow), exact number text, duplicate keys refused, and the layout of the source
// recorded so the printer can keep it. JSON.parse can do none of these.
import { BadFormatError } from '../../errors.js';
import { JsonObject, JsonString, KeyShape, makeNumber, type JsonValue } from './json-value.js';
import { formatPointer } from './json-pointer.js';

/** Deepest nesting accepted (Go's encoding/json uses the same figure); deeper documents are refused with BAD_FORMAT. */
export const MAX_JSON_DEPTH = 10_000;

/** How a document was written, so a merged document can be written the same way. */
export interface JsonLayout {
  /** The decoded source text; unchanged containers are printed as their slice of it. */
  text: string;
  /** Source span of every container. */
  spans: SpanTable;
  /** One level of indentation ('  ', '\t', ...); null when the document is on one line. */
  indent: string | null;
  eol: '\n' | '\r\n';
  finalNewline: boolean;
  bom: boolean;
  /** Whether ':' is followed by a space (checked on the first one). */
  colonSpace: boolean;
  /** Whether ',' inside a one-line container is followed by a space. */
  commaSpace: boolean;
}

/** Where each container of a document was in its source: [start, end) offsets. */
export class SpanTable {
  private readonly index = new Map<object, number>();
  private readonly bounds: number[] = [];

  add(node: object, start: number, end: number): void {
    this.index.set(node, this.bounds.length);
    this.bounds.push(start, end);
  }

  get(node: object): readonly [number, number] | undefined {
    const i = this.index.get(node);
    return i === undefined ? undefined : [this.bounds[i]!, this.bounds[i + 1]!];
  }
}

export interface ParsedJson {
  value: JsonValue;
  layout: JsonLayout;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly: invalid bytes are an error naming the document, never U+FFFD in merged data. */
export function decodeUtf8(input: Uint8Array, what: string): string {
  try {
    return decoder.decode(input);
  } catch (e) {
    throw new BadFormatError(`cannot decode ${what}: the file is not valid UTF-8 text`, { what, reason: 'invalid UTF-8' }, e);
  }
}

export function parseJson(input: Uint8Array | string, what = 'JSON document'): JsonValue {
  return parse(typeof input === 'string' ? input : decodeUtf8(input, what), what, false).value;
}

export function parseJsonWithLayout(input: Uint8Array | string, what = 'JSON document'): ParsedJson {
  return parse(typeof input === 'string' ? input : decodeUtf8(input, what), what, true);
}

// Frames are reused by depth and values wait on one shared stack until their container closes, so
// a container costs one exact-size array and no garbage: allocation, not parsing, is the cost of a parser
// that builds 50 MB documents.
interface Frame {
  isArray: boolean;
  /** Where this container's values start on the value stack. */
  base: number;
  /** Objects: the keys so far as a path in the shape trie, plus any past MAX_SHAPE_DEPTH. */
  shape: KeyShape;
  extraKeys: string[] | null;
  keySet: Set<string> | null;
  start: number;
}

// Objects with more keys than this keep them in a plain list (a trie of huge objects would cost memory for nothing).
const MAX_SHAPE_DEPTH = 64;
// Duplicate checks walk the key path up to this many keys, then use a Set.
const SET_FROM = 16;

const WS_SPACE = 32,
  WS_TAB = 9,
  WS_LF = 10,
  WS_CR = 13;

function parse(text: string, what: string, withLayout: boolean): ParsedJson {
  const bom = text.charCodeAt(0) === 0xfeff;
  let pos = bom ? 1 : 0;
  let indentWs: string | null = null;
  let colonSpace: boolean | null = null;
  let commaSpace: boolean | null = null;
  const spans = new SpanTable();
  const shapes = KeyShape.root();
  const frames: Frame[] = [];
  let depth = 0;
  const values: JsonValue[] = [];

  const lineOf = (at: number): number => {
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
    return line;
  };
  const fail = (reason: string, at = pos): never => {
    const line = lineOf(at);
    const col = at - (text.lastIndexOf('\n', at - 1) + 1) + 1;
    throw new BadFormatError(what, `${reason} at line ${line} column ${col}`, { offset: at, line, column: col });
  };
  const unexpected = (): never =>
    pos >= text.length ? fail('unexpected end of input') : fail(`unexpected character ${JSON.stringify(text[pos])}`);
  const pointerHere = (extra: string): string =>
    formatPointer([
      ...frames
        .slice(0, depth - 1)
        .map((f, i) => (f.isArray ? String(frames[i + 1]!.base - f.base) : (f.extraKeys?.[f.extraKeys.length - 1] ?? f.shape.key))),
      extra,
    ]);

  // Skips whitespace; remembers the first indentation seen after a line break inside a container.
  const skipWs = (): void => {
    let lineStart = -1;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === WS_LF) lineStart = pos + 1;
      else if (c !== WS_SPACE && c !== WS_TAB && c !== WS_CR) break;
      pos++;
    }
    // Only before a key or value: the whitespace before a closing bracket is one level shallower.
    const next = text.charCodeAt(pos);
    if (
      lineStart >= 0 &&
      indentWs === null &&
      depth > 0 &&
      next !== 93 &&
      next !== 125 &&
      next !== 44 &&
      next !== 58 &&
      pos < text.length
    ) {
      const ws = text.slice(lineStart, pos);
      const unit = ws.slice(0, ws.length / depth);
      indentWs = ws.length % depth === 0 && unit.repeat(depth) === ws ? unit : ws;
    }
  };

  const parseString = (): string | JsonString => {
    const start = pos++;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 34) return text.slice(start + 1, pos++);
      if (c === 92) break;
      if (c < 32 || pos >= text.length) return pos >= text.length ? unexpected() : fail('raw control character in a string');
      pos++;
    }
    let value = text.slice(start + 1, pos);
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 34) break;
      if (pos >= text.length) unexpected();
      if (c < 32) fail('raw control character in a string');
      if (c !== 92) {
        const from = pos;
        while (pos < text.length && text.charCodeAt(pos) !== 34 && text.charCodeAt(pos) !== 92 && text.charCodeAt(pos) >= 32) pos++;
        value += text.slice(from, pos);
        continue;
      }
      const e = text[pos + 1];
      const simple = e === undefined ? undefined : ESCAPES[e];
      if (simple !== undefined) {
        value += simple;
        pos += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) {
        value += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
        pos += 6;
      } else {
        fail('invalid escape in a string');
      }
    }
    const raw = text.slice(start, ++pos);
    return JSON.stringify(value) === raw ? value : new JsonString(value, raw);
  };

  const parseNumber = (): JsonValue => {
    const start = pos;
    const negative = text.charCodeAt(pos) === 45;
    if (negative) pos++;
    // Integers of up to 15 digits are exact doubles whose canonical text is their source text: no slice needed.
    let n = 0;
    const intStart = pos;
    if (text.charCodeAt(pos) === 48) pos++;
    else for (let c = text.charCodeAt(pos); c >= 48 && c <= 57; c = text.charCodeAt(++pos)) n = n * 10 + (c - 48);
    if (pos === intStart) unexpected();
    let exact = pos - intStart <= 15 && !(negative && n === 0);
    if (text.charCodeAt(pos) === 46) {
      exact = false;
      const from = ++pos;
      while (text.charCodeAt(pos) >= 48 && text.charCodeAt(pos) <= 57) pos++;
      if (pos === from) unexpected();
    }
    const e = text.charCodeAt(pos);
    if (e === 101 || e === 69) {
      exact = false;
      const s = text.charCodeAt(++pos);
      if (s === 43 || s === 45) pos++;
      const from = pos;
      while (text.charCodeAt(pos) >= 48 && text.charCodeAt(pos) <= 57) pos++;
      if (pos === from) unexpected();
    }
    if (exact) return negative ? -n : n;
    return makeNumber(text.slice(start, pos));
  };

  const literal = (): JsonValue | undefined => {
    for (const [word, v] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return v;
      }
    }
    return undefined;
  };

  const parseKey = (frame: Frame): void => {
    skipWs();
    const guess = frame.extraKeys === null ? frame.shape.last : null;
    if (guess !== null && guess.quoted !== null && text.startsWith(guess.quoted, pos)) {
      // The same key as the previous object of this shape had next: on a trie path, so never a duplicate.
      pos += guess.quoted.length;
      frame.shape = guess;
      frame.keySet?.add(guess.key);
    } else {
      if (text.charCodeAt(pos) !== 34) unexpected();
      const keyStart = pos;
      const k = parseString();
      const key = typeof k === 'string' ? k : k.value;
      if (frame.keySet !== null ? frame.keySet.has(key) : frame.shape.has(key)) {
        const pointer = pointerHere(key);
        throw new BadFormatError(
          what,
          `duplicate key ${JSON.stringify(key)} at ${pointer} (line ${lineOf(keyStart)}); a key may appear once per object`,
          { pointer, key },
        );
      }
      if (frame.extraKeys === null && frame.shape.depth < MAX_SHAPE_DEPTH) frame.shape = frame.shape.child(key);
      else (frame.extraKeys ??= []).push(key);
      if (frame.keySet !== null) frame.keySet.add(key);
      else if (frame.shape.depth > SET_FROM) frame.keySet = new Set(frame.shape.keys());
    }
    skipWs();
    if (text.charCodeAt(pos) !== 58) unexpected();
    pos++;
    if (colonSpace === null) colonSpace = text.charCodeAt(pos) === WS_SPACE;
  };

  const close = (frame: Frame): JsonValue => {
    const items = values.slice(frame.base);
    values.length = frame.base;
    depth--;
    const made = frame.isArray
      ? items
      : JsonObject.of(frame.extraKeys === null ? frame.shape.keys() : [...frame.shape.keys(), ...frame.extraKeys], items);
    if (withLayout) spans.add(made, frame.start, pos);
    return made;
  };

  let value: JsonValue | undefined;
  for (;;) {
    skipWs();
    const c = text.charCodeAt(pos);
    if (c === 123 || c === 91) {
      if (depth >= MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels (the limit for JSON documents)`);
      let frame = frames[depth];
      if (frame === undefined) frames.push((frame = { isArray: false, base: 0, shape: shapes, extraKeys: null, keySet: null, start: 0 }));
      frame.isArray = c === 91;
      frame.base = values.length;
      frame.shape = shapes;
      frame.extraKeys = null;
      frame.keySet = null;
      frame.start = pos;
      depth++;
      pos++;
      skipWs();
      if (text.charCodeAt(pos) === (c === 91 ? 93 : 125)) {
        pos++;
        value = close(frame);
      } else {
        if (!frame.isArray) parseKey(frame);
        continue;
      }
    } else if (c === 34) value = parseString();
    else if (c === 45 || (c >= 48 && c <= 57)) value = parseNumber();
    else if ((value = literal()) === undefined) value = unexpected();

    // A value is complete: attach it, then close every container that ends here.
    let more = false;
    while (depth > 0 && !more) {
      const frame = frames[depth - 1]!;
      values.push(value);
      skipWs();
      const d = text.charCodeAt(pos);
      if (d === 44) {
        pos++;
        if (commaSpace === null) {
          const n = text.charCodeAt(pos);
          if (n !== WS_LF && n !== WS_CR) commaSpace = n === WS_SPACE;
        }
        if (!frame.isArray) parseKey(frame);
        more = true;
      } else if (d === (frame.isArray ? 93 : 125)) {
        pos++;
        value = close(frame);
      } else {
        unexpected();
      }
    }
    if (!more) break;
  }
  skipWs();
  if (pos < text.length) fail('unexpected text after the JSON value');

  const span = value !== null && typeof value === 'object' ? spans.get(value) : undefined;
  const oneLine = span === undefined || !text.slice(span[0], span[1]).includes('\n');
  const firstLf = text.indexOf('\n');
  const layout: JsonLayout = {
    text,
    spans,
    indent: oneLine ? null : (indentWs ?? '  '),
    eol: firstLf > 0 && text.charCodeAt(firstLf - 1) === WS_CR ? '\r\n' : '\n',
    finalNewline: text.endsWith('\n'),
    bom,
    colonSpace: colonSpace ?? !oneLine,
    commaSpace: commaSpace ?? !oneLine,
  };
  return { value, layout };
}

const LITERALS: [string, JsonValue][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

const ESCAPES: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
});
