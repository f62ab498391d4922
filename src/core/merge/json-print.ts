// Prints the json model back to text in a given document's style: its indentation, spacing, line
// endings and final newline; containers it already had are copied verbatim from its source. Iterative.
import type { JsonLayout } from './json-parse.js';
import { JsonNumber, JsonObject, JsonString, fromPlain, type JsonValue } from './json-value.js';

export type JsonFormat = Pick<JsonLayout, 'indent' | 'eol' | 'finalNewline' | 'bom' | 'colonSpace' | 'commaSpace'>;

/** JSON.stringify(value, null, 2) with a final newline: the style for documents that have none yet. */
export const DEFAULT_JSON_FORMAT: JsonFormat = { indent: '  ', eol: '\n', finalNewline: true, bom: false, colonSpace: true, commaSpace: true };

/** Where printed containers may come from: spans into the source text, and for new containers the source container they were made from. */
export interface PrintSource {
  text: string;
  spans: WeakMap<object, readonly [number, number]>;
  origin?: WeakMap<object, object>;
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
  const oneLine = (node: object): boolean => {
    if (source === undefined) return false;
    const from = source.spans.get(node) ?? (source.origin?.get(node) && source.spans.get(source.origin.get(node)!));
    if (from === undefined) return false;
    const lf = source.text.indexOf('\n', from[0]);
    return lf < 0 || lf >= from[1];
  };

  const stack: Frame[] = [];
  const emit = (v: JsonValue, depth: number): void => {
    if (!Array.isArray(v) && !(v instanceof JsonObject)) return write(printScalar(v));
    const span = source?.spans.get(v);
    if (span !== undefined) return write(source!.text.slice(span[0], span[1]));
    const isArray = Array.isArray(v);
    if ((isArray ? v.length : v.size) === 0) return write(isArray ? '[]' : '{}');
    write(isArray ? '[' : '{');
    stack.push({ node: v, next: 0, depth, inline: indent === null || oneLine(v) });
  };

  emit(root, 0);
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
    if (isArray) emit((f.node as JsonValue[])[i]!, f.depth + 1);
    else {
      const obj = f.node as JsonObject;
      write(JSON.stringify(obj.keys[i]) + colon);
      emit(obj.values[i]!, f.depth + 1);
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
