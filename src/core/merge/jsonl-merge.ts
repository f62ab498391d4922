// The jsonl/ndjson driver: one JSON object per line, merged as keyed records; unchanged lines are copied byte for
// byte, merged ones written compactly. Values are compared and written from their source text, never through
// JSON.parse, so big integers and decimals keep every digit and `__proto__` is just a field name.
import { BadFormatError } from '../../errors.js';
import { chooseKey, decodeUtf8, mergeRecords, type Merged, type Rec, type Side } from './records-merge.js';
import { mergeText } from './text-merge.js';
import type { MergeDriver, MergeInput, MergeOutput } from './types.js';

interface JsonlRec extends Rec {
  /** The line's text without its line ending. */
  text: string;
  lineNo: number;
}

interface JsonlLine {
  text: string;
  eol: string;
  /** Index into the records, or -1 for a blank line. */
  rec: number;
}

interface JsonlFile {
  lines: JsonlLine[];
  records: JsonlRec[];
  /** Some line holds JSON that is not an object: not a table of records. */
  notRecords: boolean;
  bom: boolean;
}

export const mergeJsonl: MergeDriver = (input: MergeInput): MergeOutput => {
  const { base, ours, theirs } = input;
  if (ours.equals(theirs) || (base !== null && base.equals(theirs))) return { content: Buffer.from(ours), conflicts: [], settled: 0 };
  if (base !== null && base.equals(ours)) return { content: Buffer.from(theirs), conflicts: [], settled: 0 };
  const cache: ScanCache = { lines: new Map(), names: new Map() };
  const b = parseJsonl(base ?? Buffer.alloc(0), 'base', input.path, cache);
  const o = parseJsonl(ours, 'ours', input.path, cache);
  const t = parseJsonl(theirs, 'theirs', input.path, cache);
  cache.lines.clear();
  if (b.notRecords || o.notRecords || t.notRecords) return mergeText(input);
  const v = { base: b.records, ours: o.records, theirs: t.records };
  const candidates = new Set<string>();
  for (const f of [o, t, b]) for (const r of f.records) for (const name of r.fields.keys()) candidates.add(name);
  const where = (side: Side | 'base', i: number): string => `line ${v[side][i]?.lineNo} of ${side}`;
  const key = chooseKey([...candidates], v, (c) => c.startsWith('"') || /^-?\d/.test(c), where, input.options?.key);
  if (key === null) return mergeText(input);
  const plan = mergeRecords(v, {
    key,
    ...(input.favor ? { favor: input.favor } : {}),
    display: (c) => (c.startsWith('"') ? (JSON.parse(c) as string) : c),
    report: (r, field) => JSON.parse(field === undefined ? r.text : (r.fields.get(field) as string)),
  });

  const eol = [o, t].flatMap((f) => f.lines).find((l) => l.eol !== '')?.eol ?? '\n';
  const render = (m: Merged<JsonlRec>): string => {
    if (m.same) return (m[m.same] as JsonlRec).text;
    const parts = m.fields.map(({ name, from }) => `${JSON.stringify(name)}:${(m[from] as JsonlRec).fields.get(name) as string}`);
    return `{${parts.join(',')}}`;
  };
  const out: { text: string; eol: string }[] = [];
  const emitInserted = (after: number): void => {
    for (const m of plan.inserted.get(after) ?? []) out.push({ text: render(m), eol: '' });
  };
  emitInserted(-1);
  for (const line of o.lines) {
    if (line.rec < 0) {
      out.push(line);
      continue;
    }
    const m = plan.kept[line.rec];
    if (m) out.push({ text: render(m), eol: m.same === 'ours' ? line.eol : '' });
    emitInserted(line.rec);
  }
  const source = o.lines.length > 0 ? o : t;
  const finalEol = source.lines.length === 0 || (source.lines[source.lines.length - 1] as JsonlLine).eol !== '';
  const text = out.map((l, i) => l.text + (i < out.length - 1 || finalEol ? l.eol || eol : '')).join('');
  return { content: Buffer.from((o.bom ? '\uFEFF' : '') + text, 'utf8'), conflicts: plan.conflicts, settled: plan.settled };
};

/** Shared by the versions of one merge. `lines` maps a line's text to its fields: a line repeated in another
 * version (most of them) is scanned once, and equal lines share one fields map, which the record merge recognises
 * without comparing. `names` holds each field name once instead of once per record. */
export interface ScanCache {
  lines: Map<string, Map<string, string> | null>;
  names: Map<string, string>;
}

export function parseJsonl(buf: Buffer, side: string, path: string, cache: ScanCache = { lines: new Map(), names: new Map() }): JsonlFile {
  let text = decodeUtf8(buf, side, path);
  const bom = text.startsWith('\uFEFF');
  if (bom) text = text.slice(1);
  const file: JsonlFile = { lines: [], records: [], notRecords: false, bom };
  let start = 0;
  for (let lineNo = 1; start < text.length; lineNo++) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const cr = end > start && text[end - 1] === '\r';
    const line = text.slice(start, cr ? end - 1 : end);
    const eol = nl < 0 ? '' : cr ? '\r\n' : '\n';
    start = nl < 0 ? text.length : nl + 1;
    if (/^[ \t]*$/.test(line)) {
      file.lines.push({ text: line, eol, rec: -1 });
      continue;
    }
    let fields = cache.lines.get(line);
    try {
      if (fields === undefined) cache.lines.set(line, (fields = scanObjectLine(line, cache.names)));
    } catch (e) {
      const why = e instanceof SyntaxError ? e.message : String(e);
      throw new BadFormatError(`${path} (${side}): line ${lineNo} is not valid JSON: ${why}`, { path, side, line: lineNo });
    }
    if (fields === null) file.notRecords = true;
    file.lines.push({ text: line, eol, rec: file.records.length });
    file.records.push({ fields: fields ?? new Map(), text: line, lineNo });
  }
  return file;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const ESCAPE_OR_CONTROL = /[\\\u0000-\u001f]/;

function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else return i;
  }
}

/** A string token at i and its canonical text: the source itself when it has no escapes (the common case, and
 * the cheap one), else what JSON.stringify gives for the value JSON.parse validated and decoded. */
function scanString(s: string, i: number): { end: number; canon: string } {
  let j = i + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q < 0) throw new SyntaxError(`unterminated string at column ${i + 1}`);
    let backslashes = 0;
    for (let k = q - 1; s[k] === '\\'; k--) backslashes++;
    j = q + 1;
    if (backslashes % 2 === 0) break;
  }
  const raw = s.slice(i, j);
  return { end: j, canon: ESCAPE_OR_CONTROL.test(raw) ? JSON.stringify(JSON.parse(raw) as string) : raw };
}

const decode = (canon: string): string => (canon.includes('\\') ? (JSON.parse(canon) as string) : canon.slice(1, -1));

function scanScalar(s: string, i: number): { end: number; canon: string } {
  const c = s[i];
  if (c === '"') return scanString(s, i);
  const re = c === '-' || (c !== undefined && c >= '0' && c <= '9') ? NUMBER : LITERAL;
  re.lastIndex = i;
  const m = re.exec(s);
  if (!m) throw new SyntaxError(c === undefined ? 'unexpected end of line' : `unexpected ${JSON.stringify(c)} at column ${i + 1}`);
  return { end: re.lastIndex, canon: m[0] };
}

/** The top-level members of an object line as field -> canonical value text; null when the line is other JSON. */
export function scanObjectLine(s: string, names = new Map<string, string>()): Map<string, string> | null {
  let i = skipWs(s, 0);
  if (s[i] !== '{') {
    const { end } = scanValue(s, i);
    if (skipWs(s, end) !== s.length) throw new SyntaxError(`unexpected text at column ${skipWs(s, end) + 1}`);
    return null;
  }
  const fields = new Map<string, string>();
  i = skipWs(s, i + 1);
  if (s[i] === '}') i++;
  else {
    for (;;) {
      if (s[i] !== '"') throw new SyntaxError(`expected a field name at column ${i + 1}`);
      const token = scanString(s, i);
      let decoded = names.get(token.canon);
      if (decoded === undefined) names.set(token.canon, (decoded = decode(token.canon)));
      const name = { end: token.end, value: decoded };
      if (fields.has(name.value)) throw new SyntaxError(`duplicate field ${JSON.stringify(name.value)}`);
      i = skipWs(s, name.end);
      if (s[i] !== ':') throw new SyntaxError(`expected ':' at column ${i + 1}`);
      const value = scanValue(s, skipWs(s, i + 1));
      fields.set(name.value, value.canon);
      i = skipWs(s, value.end);
      if (s[i] === ',') i = skipWs(s, i + 1);
      else if (s[i] === '}') {
        i++;
        break;
      } else throw new SyntaxError(`expected ',' or '}' at column ${i + 1}`);
    }
  }
  if (skipWs(s, i) !== s.length) throw new SyntaxError(`unexpected text at column ${skipWs(s, i) + 1}`);
  return fields;
}

/** One JSON value at i, validated without recursion (nesting depth costs heap, not stack); its canonical text is the
 * source minified, with strings re-encoded and numbers kept digit for digit. */
function scanValue(s: string, i: number): { end: number; canon: string } {
  if (s[i] !== '{' && s[i] !== '[') return scanScalar(s, i);
  const out: string[] = [];
  const stack: string[] = [];
  let want: 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'after' = 'value';
  for (;;) {
    i = skipWs(s, i);
    const c = s[i];
    if (want === 'after') {
      const top = stack[stack.length - 1];
      if (top === undefined) return { end: i, canon: out.join('') };
      if (c === ',') want = top === '{' ? 'key' : 'value';
      else if (c !== (top === '{' ? '}' : ']')) throw new SyntaxError(`expected ',' or '${top === '{' ? '}' : ']'}' at column ${i + 1}`);
      else stack.pop();
      out.push(c);
      i++;
    } else if (want === 'key' || want === 'key-or-close') {
      if (want === 'key-or-close' && c === '}') {
        stack.pop();
        out.push('}');
        i++;
        want = 'after';
        continue;
      }
      if (c !== '"') throw new SyntaxError(`expected a field name at column ${i + 1}`);
      const key = scanString(s, i);
      i = skipWs(s, key.end);
      if (s[i] !== ':') throw new SyntaxError(`expected ':' at column ${i + 1}`);
      out.push(key.canon, ':');
      i++;
      want = 'value';
    } else if (want === 'value-or-close' && c === ']') {
      stack.pop();
      out.push(']');
      i++;
      want = 'after';
    } else if (c === '{' || c === '[') {
      stack.push(c);
      out.push(c);
      i++;
      want = c === '{' ? 'key-or-close' : 'value-or-close';
    } else {
      const scalar = scanScalar(s, i);
      out.push(scalar.canon);
      i = scalar.end;
      want = 'after';
    }
  }
}
