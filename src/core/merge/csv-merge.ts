// The csv/tsv driver: rows merged as keyed records, cell by cell. Ours' header, quoting, line endings and final
// newline survive: unchanged rows and cells are copied as written, and only changed cells are formatted anew.
import { BadFormatError, UsageError } from '../../errors.js';
import { CsvSyntaxError, needsQuotes, parseCsv, quote, type CsvRow } from './csv-parse.js';
import { chooseKey, decodeUtf8, mergeRecords, type Merged, type Rec, type Side } from './records-merge.js';
import { mergeText } from './text-merge.js';
import type { MergeDriver, MergeInput, MergeOutput } from './types.js';

interface CsvRec extends Rec {
  row: CsvRow;
}

interface Table {
  rows: CsvRow[];
  /** Index of the header row in `rows`, or -1 for an empty file. */
  header: number;
  columns: string[];
  records: CsvRec[];
  /** Record index of each row (-1 for the header and blank rows). */
  recordOf: number[];
  bom: boolean;
}

export const mergeCsv: MergeDriver = (input: MergeInput): MergeOutput => {
  const { base, ours, theirs } = input;
  if (ours.equals(theirs) || (base !== null && base.equals(theirs))) return { content: Buffer.from(ours), conflicts: [], settled: 0 };
  if (base !== null && base.equals(ours)) return { content: Buffer.from(theirs), conflicts: [], settled: 0 };
  const delimiter = delimiterFor(input);
  const shared = new Map<string, Map<string, Map<string, string>>>();
  const b = base === null ? null : readTable(base, delimiter, 'base', input.path, shared);
  const o = readTable(ours, delimiter, 'ours', input.path, shared);
  const t = readTable(theirs, delimiter, 'theirs', input.path, shared);
  shared.clear();
  // Not a table this driver can merge faithfully (no header, unnamed or repeated columns): merge it as text.
  if (!o || !t || (base !== null && !b) || o.header < 0 || t.header < 0) return mergeText(input);
  const columns = mergeColumns(b?.columns ?? [], o.columns, t.columns);
  // Both sides reshaped the header beyond appending columns: a text merge shows that conflict as it is.
  if (columns === null) return mergeText(input);
  const v = { base: b?.records ?? [], ours: o.records, theirs: t.records };
  const tables = { base: b, ours: o, theirs: t };
  const where = (side: Side | 'base', i: number): string => `line ${tables[side]?.records[i]?.row.line} of ${side}`;
  const candidates = [o, t, b].flatMap((x) => x?.columns ?? []).filter((c) => [o, t, b].every((x) => !x || x.columns.includes(c)));
  const key = chooseKey(candidates, v, (value) => value !== '', where, input.options?.key);
  if (key === null) return mergeText(input);
  const plan = mergeRecords(v, {
    key,
    ...(input.favor ? { favor: input.favor } : {}),
    display: (value) => value,
    report: (r, field) => (field === undefined ? Object.fromEntries(r.fields) : r.fields.get(field)),
  });

  // A column one side removed comes back when a conflict kept ours' value in it.
  const merged = [...plan.kept, ...[...plan.inserted.values()].flat()];
  for (const m of merged) for (const f of m?.fields ?? []) if (!columns.includes(f.name)) columns.push(f.name);
  const sameLayout = columns.length === o.columns.length && columns.every((c, i) => c === o.columns[i]);

  const eol = [...o.rows, ...t.rows].find((r) => r.eol !== '')?.eol ?? '\n';
  const headerRow = o.rows[o.header] as CsvRow;
  const quotedColumn = new Set(
    o.columns.filter((_, i) => o.records.length > 0 && o.records.every((r) => r.row.fields[i]?.raw.startsWith('"') ?? true)),
  );
  const format = (value: string, quoted: boolean): string => (quoted || needsQuotes(value, delimiter) ? quote(value) : value);
  const header = sameLayout
    ? headerRow.raw
    : columns
        .map(
          (c) =>
            headerRow.fields[o.columns.indexOf(c)]?.raw ??
            format(
              c,
              headerRow.fields.every((f) => f.raw.startsWith('"')),
            ),
        )
        .join(delimiter);
  const render = (m: Merged<CsvRec>): string => {
    if (m.same === 'ours' && sameLayout) return (m.ours as CsvRec).row.raw;
    const values = new Map(m.fields.map((f) => [f.name, (m[f.from] as CsvRec).fields.get(f.name) as string]));
    return columns
      .map((c) => {
        const value = values.get(c) ?? '';
        const mine = m.ours?.row.fields[o.columns.indexOf(c)];
        return mine && mine.value === value ? mine.raw : format(value, quotedColumn.has(c) || (value === '' && columns.length === 1));
      })
      .join(delimiter);
  };

  const out: { text: string; eol: string }[] = [];
  const emitInserted = (after: number): void => {
    for (const m of plan.inserted.get(after) ?? []) out.push({ text: render(m), eol: '' });
  };
  for (const [i, row] of o.rows.entries()) {
    const r = o.recordOf[i] as number;
    if (i === o.header) {
      out.push({ text: header, eol: row.eol });
      emitInserted(-1);
    } else if (r < 0) {
      out.push({ text: row.raw, eol: row.eol });
    } else {
      const m = plan.kept[r];
      if (m) out.push({ text: render(m), eol: m.same === 'ours' ? row.eol : '' });
      emitInserted(r);
    }
  }
  const finalEol = (o.rows[o.rows.length - 1] as CsvRow).eol !== '';
  const text = out.map((l, i) => l.text + (i < out.length - 1 || finalEol ? l.eol || eol : '')).join('');
  return { content: Buffer.from((o.bom ? '\uFEFF' : '') + text, 'utf8'), conflicts: plan.conflicts, settled: plan.settled };
};

/** The header as columns: the side that changed it wins; when both did, only appended columns merge (ours' first). */
function mergeColumns(base: string[], ours: string[], theirs: string[]): string[] | null {
  const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((c, i) => c === b[i]);
  const extends_ = (a: string[]): boolean => base.every((c, i) => c === a[i]);
  if (same(theirs, base)) return [...ours];
  if (same(ours, base)) return [...theirs];
  if (!extends_(ours) || !extends_(theirs)) return null;
  return [...ours, ...theirs.filter((c) => !ours.includes(c))];
}

/** `options.delimiter` (one character, or 'tab'), else a tab for .tsv/.tab paths, else a comma. */
export function delimiterFor(input: Pick<MergeInput, 'path' | 'options'>): string {
  const configured = input.options?.delimiter;
  if (configured !== undefined) {
    const d = configured === 'tab' || configured === '\\t' ? '\t' : configured;
    if ([...d].length !== 1 || d === '"' || d === '\r' || d === '\n')
      throw new UsageError(`delimiter '${configured}' for ${input.path} must be a single character other than a quote or line break`, {
        path: input.path,
        delimiter: configured,
      });
    return d;
  }
  return /\.(tsv|tab)$/i.test(input.path) ? '\t' : ',';
}

/** Null when the file is a valid CSV this driver cannot treat as named columns. `shared` gives rows written the
 * same under the same header one fields map across versions: less memory, and the merge sees them equal at once. */
function readTable(
  buf: Buffer,
  delimiter: string,
  side: Side | 'base',
  path: string,
  shared: Map<string, Map<string, Map<string, string>>>,
): Table | null {
  const text = decodeUtf8(buf, side, path);
  const bom = text.startsWith('\uFEFF');
  let rows: CsvRow[];
  try {
    rows = parseCsv(bom ? text.slice(1) : text, delimiter);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    throw new BadFormatError(`${path} (${side}): ${e.message}`, { path, side, line: e.line });
  }
  const header = rows.findIndex((r) => !r.blank);
  const columns = header < 0 ? [] : (rows[header] as CsvRow).fields.map((f) => f.value);
  if (new Set(columns).size !== columns.length) return null;
  const records: CsvRec[] = [];
  const layout = JSON.stringify(columns);
  const known = shared.get(layout) ?? new Map<string, Map<string, string>>();
  shared.set(layout, known);
  const recordOf = rows.map((row, i) => {
    if (i <= header || row.blank) return -1;
    let fields = known.get(row.raw);
    if (!fields) known.set(row.raw, (fields = new Map(columns.map((c, k) => [c, row.fields[k]?.value ?? '']))));
    records.push({ row, fields });
    return row.fields.length > columns.length ? -2 : records.length - 1;
  });
  if (recordOf.includes(-2)) return null;
  return { rows, header, columns, records, recordOf, bom };
}
