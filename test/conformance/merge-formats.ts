// Per-format inputs for the merge-law suite: for each format, a generator of a base and two edited sides
// (written in varying styles: indentation, quoting, line endings, final newline, key order) and the
// form in which clean results of swapped sides must agree. Any implementation of a format reuses these.
import fc from 'fast-check';
import { canonicalJson } from '../../src/core/merge/json-value.js';
import { parseJson } from '../../src/core/merge/json-parse.js';
import { needsQuotes, parseCsv, quote } from '../../src/core/merge/csv-parse.js';
import type { DriverName } from '../../src/core/merge/driver-choice.js';
import { scenarioArb, write } from '../core/merge/json-helpers.js';
import { FIELDS, applyEdits, edits, table, type Row } from '../core/merge/records-gen.js';
import type { MergeLawFormat, Versions } from './merge-laws.suite.js';

/** Keys sorted at every level: equal data, however ordered, gives equal text. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Records keyed by `id`, as data: sorted by key, fields by name. Order of records and fields is ours' and not compared. */
function keyedRecords(records: Record<string, unknown>[]): string {
  return records
    .map(sortedJson)
    .map((text, i) => ({ text, id: String(records[i]!['id']) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => r.text)
    .join('\n');
}

// ---- json: generic documents and dataset-shaped ones (json-helpers.ts), each version in its own format.

const json: MergeLawFormat = {
  path: 'doc.json',
  versions: scenarioArb.map((s) => ({ base: write(s.base, s.f0), ours: write(s.ours, s.f1), theirs: write(s.theirs, s.f2) })),
  // Output keeps ours' formatting and key order; concurrent array inserts are ordered independently of the sides.
  sameClean: { form: 'the same JSON data', of: (b) => canonicalJson(parseJson(b)) },
};

// ---- jsonl: keyed records (records-gen.ts) written one per line, in varying spacing, key order and endings.

const lineStyle = fc.record({ spaced: fc.boolean(), idLast: fc.boolean(), eol: fc.constantFrom('\n', '\r\n'), finalEol: fc.boolean() });
type LineStyle = { spaced: boolean; idLast: boolean; eol: string; finalEol: boolean };

function jsonlText(rows: Row[], s: LineStyle): Buffer {
  const lines = rows.map((r) => {
    const entries = [...r].map(([k, v]): [string, string | number] => [k, k === 'id' ? Number(v) : v]);
    if (s.idLast) entries.push(...entries.splice(0, 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${s.spaced ? ' ' : ''}${JSON.stringify(v)}`).join(s.spaced ? ', ' : ',')}}`;
  });
  return Buffer.from(lines.join(s.eol) + (lines.length > 0 && s.finalEol ? s.eol : ''));
}

const jsonl: MergeLawFormat = {
  path: 'data.jsonl',
  versions: fc.tuple(table, edits(true), edits(true), lineStyle, lineStyle, lineStyle).map(([b, eo, et, s0, s1, s2]) => ({
    base: jsonlText(b, s0),
    ours: jsonlText(applyEdits(b, eo, 100), s1),
    theirs: jsonlText(applyEdits(b, et, 200), s2),
  })),
  // Records keep ours' order (theirs' new ones after their predecessor), so the order is not part of the promise.
  sameClean: {
    form: 'the same records by key',
    of: (b) =>
      keyedRecords(
        b
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      ),
  },
};

// ---- csv: keyed tables with a header, in varying quoting and endings; a side may append a column.

const csvStyle = fc.record({ quoteAll: fc.boolean(), eol: fc.constantFrom('\n', '\r\n'), finalEol: fc.boolean() });
type CsvStyle = { quoteAll: boolean; eol: string; finalEol: boolean };
const extraColumn = fc.option(fc.record({ name: fc.constantFrom('extra', 'more'), fill: fc.constantFrom('', 'z', 'a,b') }), { freq: 3 });

function csvText(rows: Row[], s: CsvStyle, extra: { name: string; fill: string } | null = null): Buffer {
  const cols = ['id', ...FIELDS, ...(extra ? [extra.name] : [])];
  const cell = (v: string): string => (s.quoteAll || needsQuotes(v, ',') ? quote(v) : v);
  const lines = [
    cols.map(cell).join(','),
    ...rows.map((r) => cols.map((c) => cell(r.get(c) ?? (c === extra?.name ? extra.fill : ''))).join(',')),
  ];
  return Buffer.from(lines.join(s.eol) + (s.finalEol ? s.eol : ''));
}

const csv: MergeLawFormat = {
  path: 'data.csv',
  versions: fc
    .tuple(table, edits(false), edits(false), csvStyle, csvStyle, csvStyle, extraColumn, extraColumn)
    .map(([b, eo, et, s0, s1, s2, xo, xt]) => ({
      base: csvText(b, s0),
      ours: csvText(applyEdits(b, eo, 100), s1, xo),
      theirs: csvText(applyEdits(b, et, 200), s2, xt),
    })),
  // Rows keep ours' order and columns ours' order (theirs' appended ones after), so neither order is promised.
  sameClean: {
    form: 'the same rows by key',
    of: (b) => {
      const [header, ...rows] = parseCsv(b.toString('utf8'), ',').filter((r) => !r.blank);
      const cols = header?.fields.map((f) => f.value) ?? [];
      return `${[...cols].sort().join(',')}\n${keyedRecords(rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r.fields[i]?.value ?? '']))))}`;
    },
  },
};

// ---- text: short lines from a small alphabet (LF and CRLF, UTF-8 and a lone latin1 byte), a final line
// with or without its newline, and edit scripts as in text.test.ts.

const textLine = fc.constantFrom('a\n', 'b\n', 'c\n', '}\n', '\n', 'x y\n', 'a\r\n', 'b\r\n', '\xc3\xa9\n', '\xe9\n');
const lineEdits = fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 3 }), ins: fc.array(textLine, { maxLength: 3 }) }), {
  maxLength: 4,
});
const spliced = <T>(base: T[], ops: { at: number; del: number; ins: T[] }[]): T[] => {
  const out = base.slice();
  for (const { at, del, ins } of ops) out.splice(at % (out.length + 1), del, ...ins);
  return out;
};
const textOf = (lines: string[], finalEol: boolean): Buffer => {
  const s = lines.join('');
  return Buffer.from(finalEol ? s : s.replace(/\r?\n$/, ''), 'latin1');
};

const text: MergeLawFormat = {
  path: 'notes.txt',
  versions: fc
    .tuple(fc.array(textLine, { maxLength: 12 }), lineEdits, lineEdits, fc.boolean(), fc.boolean(), fc.boolean())
    .map(([b, eo, et, f0, f1, f2]) => ({ base: textOf(b, f0), ours: textOf(spliced(b, eo), f1), theirs: textOf(spliced(b, et), f2) })),
  sameClean: { form: 'the same bytes', of: (b) => b.toString('latin1') },
};

// ---- binary: bytes holding a NUL, from a small alphabet so that both sides sometimes make the same change.

const byte = fc.constantFrom(0, 1, 2, 0x0a, 0xff);
const byteEdits = fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 2 }), ins: fc.array(byte, { maxLength: 3 }) }), { maxLength: 2 });
const bytesOf = (xs: number[]): Buffer => Buffer.from([0, ...xs]);

const binary: MergeLawFormat = {
  path: 'image.bin',
  versions: fc
    .tuple(fc.array(byte, { maxLength: 16 }), byteEdits, byteEdits)
    .map(([b, eo, et]): Versions => ({ base: bytesOf(b), ours: bytesOf(spliced(b, eo)), theirs: bytesOf(spliced(b, et)) })),
  sameClean: { form: 'the same bytes', of: (b) => b.toString('latin1') },
};

/** One entry per driver: the compiler fails here when a driver is added without law inputs. */
export const MERGE_LAW_FORMATS: Record<DriverName, MergeLawFormat> = { json, jsonl, csv, text, binary };
