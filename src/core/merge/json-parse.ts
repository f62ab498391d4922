// The JSON parser of the json merge driver: iterative (an explicit stack, so hostile nesting is an
// error, not a stack overflow), exact number text, duplicate keys refused, and the layout of the source
// recorded so the printer can keep it. JSON.parse can do none of these.
import { BadFormatError, CairnError } from '../../errors.js';
import { JsonObject, JsonString, makeNumber, type JsonValue } from './json-value.js';
import { formatPointer } from './json-pointer.js';

/** Deepest nesting accepted (Go's encoding/json uses the same figure); deeper documents are refused with BAD_FORMAT. */
export const MAX_JSON_DEPTH = 10_000;

/** How a document was written, so a merged document can be written the same way. */
export interface JsonLayout {
  /** The decoded source text; unchanged containers are printed as their slice of it. */
  text: string;
  /** Source span [start, end) of every container. */
  spans: WeakMap<object, readonly [number, number]>;
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
    throw new CairnError('BAD_FORMAT', `cannot decode ${what}: the file is not valid UTF-8 text`, { what, reason: 'invalid UTF-8' }, e);
  }
}

export function parseJson(input: Uint8Array | string, what = 'JSON document'): JsonValue {
  return parse(typeof input === 'string' ? input : decodeUtf8(input, what), what, false).value;
}

export function parseJsonWithLayout(input: Uint8Array | string, what = 'JSON document'): ParsedJson {
  return parse(typeof input === 'string' ? input : decodeUtf8(input, what), what, true);
}

interface Frame {
  isArray: boolean;
  items: JsonValue[];
  keys: string[];
  keySet: Set<string> | null;
  start: number;
}

const WS_SPACE = 32, WS_TAB = 9, WS_LF = 10, WS_CR = 13;

function parse(text: string, what: string, withLayout: boolean): ParsedJson {
  const bom = text.charCodeAt(0) === 0xfeff;
  let pos = bom ? 1 : 0;
  let indentWs: string | null = null;
  let colonSpace: boolean | null = null;
  let commaSpace: boolean | null = null;
  const spans = new WeakMap<object, readonly [number, number]>();
  const shapes = new Map<string, string[]>();
  const stack: Frame[] = [];

  const fail = (reason: string, at = pos): never => {
    let line = 1, col = 1;
    for (let i = 0; i < at && i < text.length; i++) {
      if (text.charCodeAt(i) === WS_LF) {
        line++;
        col = 1;
      } else col++;
    }
    throw new BadFormatError(what, `${reason} at line ${line} column ${col}`, { offset: at, line, column: col });
  };
  const unexpected = (): never =>
    pos >= text.length ? fail('unexpected end of input') : fail(`unexpected character ${JSON.stringify(text[pos])}`);
  const pointerHere = (extra: string): string =>
    formatPointer([...stack.map((f) => (f.isArray ? String(f.items.length) : f.keys[f.keys.length - 1]!)).slice(0, -1), extra]);

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
    if (lineStart >= 0 && indentWs === null && stack.length > 0 && next !== 93 && next !== 125 && next !== 44 && next !== 58 && pos < text.length) {
      const ws = text.slice(lineStart, pos);
      const depth = stack.length;
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
    if (text.charCodeAt(pos) === 45) pos++;
    const digits = (): number => {
      const from = pos;
      while (pos < text.length && text.charCodeAt(pos) >= 48 && text.charCodeAt(pos) <= 57) pos++;
      return pos - from;
    };
    if (text.charCodeAt(pos) === 48) pos++;
    else if (digits() === 0) unexpected();
    if (text.charCodeAt(pos) === 46) {
      pos++;
      if (digits() === 0) unexpected();
    }
    const e = text.charCodeAt(pos);
    if (e === 101 || e === 69) {
      pos++;
      const s = text.charCodeAt(pos);
      if (s === 43 || s === 45) pos++;
      if (digits() === 0) unexpected();
    }
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
    if (text.charCodeAt(pos) !== 34) unexpected();
    const keyStart = pos;
    const k = parseString();
    const key = typeof k === 'string' ? k : k.value;
    let dup: boolean;
    if (frame.keySet !== null) dup = frame.keySet.has(key);
    else dup = frame.keys.includes(key);
    if (dup) {
      const pointer = pointerHere(key);
      throw new BadFormatError(what, `duplicate key ${JSON.stringify(key)} at ${pointer || '/'} (line ${text.slice(0, keyStart).split('\n').length}); a key may appear once per object`, { pointer, key });
    }
    frame.keys.push(key);
    if (frame.keySet !== null) frame.keySet.add(key);
    else if (frame.keys.length > 16) frame.keySet = new Set(frame.keys);
    skipWs();
    if (text.charCodeAt(pos) !== 58) unexpected();
    pos++;
    if (colonSpace === null) colonSpace = text.charCodeAt(pos) === WS_SPACE;
  };

  const close = (frame: Frame): JsonValue => {
    let made: JsonValue;
    if (frame.isArray) made = frame.items;
    else {
      let sig = '';
      for (const k of frame.keys) sig += `${k.length}:${k}`;
      let keys = shapes.get(sig);
      if (keys === undefined) shapes.set(sig, (keys = frame.keys));
      made = JsonObject.of(keys, frame.items);
    }
    if (withLayout) spans.set(made, [frame.start, pos]);
    return made;
  };

  let value: JsonValue | undefined;
  for (;;) {
    skipWs();
    const c = text.charCodeAt(pos);
    if (c === 123 || c === 91) {
      if (stack.length >= MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels (the limit for JSON documents)`);
      const frame: Frame = { isArray: c === 91, items: [], keys: [], keySet: null, start: pos };
      stack.push(frame);
      pos++;
      skipWs();
      if (text.charCodeAt(pos) === (c === 91 ? 93 : 125)) {
        pos++;
        stack.pop();
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
    while (stack.length > 0 && !more) {
      const frame = stack[stack.length - 1]!;
      frame.items.push(value);
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
        stack.pop();
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
