// Prints the json model back to text in a given document's style: its indentation, spacing, line
// endings and final newline; containers it already had are copied verbatim from its source. Iterative.
import type { JsonLayout, SpanTable } from './json-parse.js';
import { JsonNumber, JsonObject, JsonString, fromPlain, type JsonValue } from './json-value.js';

export type JsonFormat = Pick<JsonLayout, 'indent' | 'eol' | 'finalNewline' | 'bom' | 'colonSpace' | 'commaSpace'>;

/** JSON.stringify(value, null, 2) with a final newline: the style for documents that have none yet. */
export const DEFAULT_JSON_FORMAT: JsonFormat = { indent: '  ', eol: '\n', finalNewline: true, bom: false, colonSpace: true, commaSpace: true };

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

interface Frame {
  node: JsonValue[] | JsonObject;
  next: number;
  depth: number;
  inline: boolean;
  /** How the previous container in this one was written: the style for a new one with no source. */
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
  // Whether the source wrote this container (or the one it was merged from) on one line; null: unknown.
  const oneLine = (node: object): boolean | null => {
    if (source === undefined) return null;
    const origin = source.origin?.get(node);
    const from = source.spans.get(node) ?? (origin === undefined ? undefined : source.spans.get(origin));
    if (from === undefined) return null;
    const lf = source.text.indexOf('\n', from[0]);
    return lf < 0 || lf >= from[1];
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
    const inline = indent === null || parent?.inline === true || (oneLine(v) ?? parent?.lastInline ?? false);
    if (parent !== undefined) parent.lastInline = inline;
    stack.push({ node: v, next: 0, depth, inline, lastInline: null });
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
    if (f.inline) write(i > 0 ? comma : '');
    else write((i > 0 ? ',' : '') + format.eol + pad(f.depth + 1));
    if (isArray) emit((f.node as JsonValue[])[i]!, f.depth + 1, f);
    else {
      const obj = f.node as JsonObject;
      write(JSON.stringify(obj.keys[i]) + colon);
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
  const format: JsonFormat = indent === undefined ? { ...DEFAULT_JSON_FORMAT, indent: null, finalNewline: false, colonSpace: false, commaSpace: false } : { ...DEFAULT_JSON_FORMAT, indent, finalNewline: false };
  return printJson(fromPlain(value), format);
}
