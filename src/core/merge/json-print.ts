// Prints the json model back to text in a given document's style: its indentation, spacing, line
// endings and final newline; containers it already had are copied verbatim from its source. Iterative.
import type { JsonLayout, SpanTable } from './json-parse.js';
import { JsonNumber, JsonObject, JsonString, type JsonValue } from './json-value.js';
import { fromPlain } from './json-plain.js';

export type JsonFormat = Pick<JsonLayout, 'indent' | 'eol' | 'finalNewline' | 'bom' | 'colonSpace' | 'commaSpace'>;

/** JSON.stringify(value, null, 2) with a final newline: the style for documents that have none yet. */
export const DEFAULT_JSON_FORMAT: JsonFormat = {
  indent: '  ',
  eol: '\n',
  finalNewline: true,
  bom: false,
  colonSpace: true,
  commaSpace: true,
};

/** Where printed containers may come from: spans into the source text, and for new containers the source container they were made from. */
export interface PrintSource {
  text: string;
  spans: SpanTable;
  origin?: ReadonlyMap<object, object>;
}

export function printScalar(v: JsonValue): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof JsonNumber) return v.text;
  if (v instanceof JsonString) return v.raw;
  return v === null ? 'null' : v ? 'true' : 'false';
}

const SPACING_LOOKAHEAD = 256;

interface Frame {
  node: JsonValue[] | JsonObject;
  next: number;
  depth: number;
  inline: boolean;
  comma: string;
  colon: string;
  /** How the previous element container was written: the style for a new element with no source. */
  lastInline: boolean | null;
}

/** The document text, BOM and final newline included. */
export function printJson(root: JsonValue, format: JsonFormat = DEFAULT_JSON_FORMAT, source?: PrintSource): string {
  const indent = format.indent;
  const colon = format.colonSpace ? ': ' : ':';
  const comma = format.commaSpace ? ', ' : ',';
  const chunks: string[] = [];
  let out = '';
  const write = (s: string): void => {
    out += s;
    if (out.length > 1 << 16) {
      chunks.push(out);
      out = '';
    }
  };
  const pads: string[] = [''];
  const pad = (depth: number): string => {
    while (pads.length <= depth) pads.push(pads[pads.length - 1]! + (indent ?? ''));
    return pads[depth]!;
  };
  const spanOf = (node: object): readonly [number, number] | undefined => {
    const origin = source?.origin?.get(node);
    return source?.spans.get(node) ?? (origin === undefined ? undefined : source?.spans.get(origin));
  };
  // Line breaks of the source, found once: asking each container with indexOf would rescan the rest
  // of a one-line document at every level of nesting.
  let breaks: number[] | null = null;
  // Whether the source wrote this container (or the one it was merged from) on one line; null: unknown.
  const oneLine = (node: object): boolean | null => {
    const from = spanOf(node);
    if (from === undefined) return null;
    if (breaks === null) {
      breaks = [];
      for (let i = source!.text.indexOf('\n'); i >= 0; i = source!.text.indexOf('\n', i + 1)) breaks.push(i);
    }
    let lo = 0,
      hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (breaks[mid]! < from[0]) lo = mid + 1;
      else hi = mid;
    }
    return lo === breaks.length || breaks[lo]! >= from[1];
  };
  // The spacing after ',' and ':' in the source of this container, where it shows.
  const spacing = (node: object, inline: boolean): { comma?: string; colon?: string } => {
    const found: { comma?: string; colon?: string } = {};
    // A multi-line array's own spacing is never used; scanning it could mean scanning the whole file.
    const from = Array.isArray(node) && !inline ? undefined : spanOf(node);
    if (from === undefined) return found;
    const text = source!.text;
    // The first few hundred characters show the style; reading further could cost the whole file per level.
    for (let i = from[0], end = Math.min(from[1], from[0] + SPACING_LOOKAHEAD), inString = false; i < end; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === 92) i++;
        else if (c === 34) inString = false;
      } else if (c === 34) inString = true;
      else if (c === 44 && inline && found.comma === undefined) found.comma = text.charCodeAt(i + 1) === 32 ? ', ' : ',';
      else if (c === 58 && found.colon === undefined) found.colon = text.charCodeAt(i + 1) === 32 ? ': ' : ':';
      if (found.colon !== undefined && (found.comma !== undefined || !inline)) break;
    }
    return found;
  };

  const stack: Frame[] = [];
  const emit = (v: JsonValue, depth: number, parent: Frame | undefined): void => {
    if (!Array.isArray(v) && !(v instanceof JsonObject)) return write(printScalar(v));
    const span = source?.spans.get(v);
    if (span !== undefined) {
      if (parent !== undefined) parent.lastInline = oneLine(v);
      return write(source!.text.slice(span[0], span[1]));
    }
    const isArray = Array.isArray(v);
    if ((isArray ? v.length : v.size) === 0) return write(isArray ? '[]' : '{}');
    write(isArray ? '[' : '{');
    // Elements of one array are alike: a new one without a source is written like the one before it.
    const sibling = parent !== undefined && Array.isArray(parent.node) ? parent.lastInline : null;
    const inline = indent === null || parent?.inline === true || (oneLine(v) ?? sibling ?? false);
    if (parent !== undefined) parent.lastInline = inline;
    const own = spacing(v, inline);
    stack.push({
      node: v,
      next: 0,
      depth,
      inline,
      comma: own.comma ?? parent?.comma ?? comma,
      colon: own.colon ?? parent?.colon ?? colon,
      lastInline: null,
    });
  };

  emit(root, 0, undefined);
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const isArray = Array.isArray(f.node);
    const size = isArray ? (f.node as JsonValue[]).length : (f.node as JsonObject).size;
    if (f.next === size) {
      stack.pop();
      write((f.inline ? '' : format.eol + pad(f.depth)) + (isArray ? ']' : '}'));
      continue;
    }
    const i = f.next++;
    if (f.inline) write(i > 0 ? f.comma : '');
    else write((i > 0 ? ',' : '') + format.eol + pad(f.depth + 1));
    if (isArray) emit((f.node as JsonValue[])[i]!, f.depth + 1, f);
    else {
      const obj = f.node as JsonObject;
      write(JSON.stringify(obj.keys[i]) + f.colon);
      emit(obj.values[i]!, f.depth + 1, f);
    }
  }
  chunks.push(out);
  return (format.bom ? '\ufeff' : '') + chunks.join('') + (format.finalNewline ? format.eol : '');
}

/**
 * JSON text for plain data from reports (conflict values, patch values) keeping JsonNumber text exact,
 * and safe at any depth (JSON.stringify overflows the stack near 5,000 levels). One line unless `indent`.
 */
export function stringifyPlain(value: unknown, indent?: string): string {
  const format: JsonFormat =
    indent === undefined
      ? { ...DEFAULT_JSON_FORMAT, indent: null, finalNewline: false, colonSpace: false, commaSpace: false }
      : { ...DEFAULT_JSON_FORMAT, indent, finalNewline: false };
  return printJson(fromPlain(value), format);
}
