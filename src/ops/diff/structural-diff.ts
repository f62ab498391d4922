// Structural diff of JSON, JSON Lines and CSV files: what `cairn diff --structural` lists under a changed
// file (keys and records added, removed, changed) and the JSON Patch of `cairn diff --format json-patch`.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { BadFormatError, CairnError, UsageError } from '../../errors.js';
import { splitRepoPath } from '../../core/names.js';
import { jsonDiff, type JsonPatchOp } from '../../core/merge/json-patch.js';
import type { Repository } from '../../store/repository.js';
import { readWholeFile } from '../../store/typed-objects.js';
import type {
  DiffChange,
  DiffEndpoint,
  FileState,
  FileStructure,
  StructuralDiff,
  StructuralFormat,
  StructuralOptions,
} from './diff-types.js';
import { parseJson } from '../../core/merge/json-parse.js';
import { toPlain } from '../../core/merge/json-plain.js';
import { parseJsonl } from '../../core/merge/jsonl-merge.js';
import { chooseKey, decodeUtf8, type Rec } from '../../core/merge/records-merge.js';
import { CsvSyntaxError, parseCsv } from '../../core/merge/csv-parse.js';
import { delimiterFor } from '../../core/merge/csv-merge.js';
import { matchSymbols, symbolize } from '../../core/merge/sequence-diff3.js';
import { diffJsonValues, type StructuralChange } from '../../core/merge/json-structural-diff.js';
import { driverForExtension } from '../../core/merge/driver-choice.js';
import type { Attributes } from '../merge/attributes.js';

// Both versions are held in memory (and parsed); past this a file is listed without its structure.
export const STRUCTURAL_MAX_BYTES = 128 << 20;

/**
 * The structure of a modified JSON/JSONL/CSV file between two diff endpoints; null for other files,
 * added or deleted ones, and symlinks. A version that does not parse is reported as skipped, not thrown.
 * `attrs` (.cairnattributes) may name the format (`merge=json`) and the key, as for merges.
 */
export function fileStructure(
  repo: Repository,
  from: DiffEndpoint,
  to: DiffEndpoint,
  c: DiffChange,
  opts: StructuralOptions = {},
  attrs?: Attributes,
): FileStructure | null {
  const a = attrs?.lookup(c.path);
  const named = a?.driver;
  const format = named === undefined ? structuralFormat(c.path) : named === 'json' || named === 'jsonl' || named === 'csv' ? named : null;
  const key = opts.key ?? a?.options['key'];
  const delimiter = opts.delimiter ?? a?.options['delimiter'];
  opts = { ...(key !== undefined ? { key } : {}), ...(delimiter !== undefined ? { delimiter } : {}) };
  if (format === null || c.old === null || c.new === null || c.old.kind === 'symlink' || c.new.kind === 'symlink') return null;
  const size = Math.max(c.old.size, c.new.size);
  if (size > STRUCTURAL_MAX_BYTES)
    return {
      format,
      skipped: {
        code: 'TOO_LARGE',
        message: `a version is ${size} bytes, over the ${STRUCTURAL_MAX_BYTES}-byte limit of structural diffs`,
      },
    };
  try {
    return structuralDiff(format, c.path, readVersion(repo, from, c.path, c.old), readVersion(repo, to, c.path, c.new), opts);
  } catch (err) {
    if (err instanceof CairnError && err.code === 'BAD_FORMAT') return { format, skipped: { code: err.code, message: err.message } };
    throw err;
  }
}

/** RFC 6902 operations turning the old version of a modified JSON file into the new one; BAD_FORMAT when one is not JSON. */
export function jsonPatchOf(
  repo: Repository,
  from: DiffEndpoint,
  to: DiffEndpoint,
  c: DiffChange,
  opts: { key?: string } = {},
): JsonPatchOp[] {
  if (c.old === null || c.new === null)
    throw new UsageError(
      `diff --format json-patch: '${c.path}' was ${c.old === null ? 'added' : 'deleted'}; a patch needs an old and a new version`,
      { path: c.path },
    );
  return jsonDiff(
    readVersion(repo, from, c.path, c.old),
    readVersion(repo, to, c.path, c.new),
    opts.key === undefined ? {} : { idKey: opts.key },
  );
}

/** One version's bytes: from the store, or for the worktree from disk (never through a symlink). */
export function readVersion(repo: Repository, at: DiffEndpoint, path: string, state: FileState): Buffer {
  if (at.type !== 'worktree') return readWholeFile(repo.objects, state.id);
  const fd = openSync(join(repo.root, ...splitRepoPath(path)), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** The structured format a path's extension implies, or null for other files. */
export function structuralFormat(path: string): StructuralFormat | null {
  const d = driverForExtension(path);
  return d === 'json' || d === 'jsonl' || d === 'csv' ? d : null;
}

/** Compares two versions of a file; BAD_FORMAT when a version is not valid for the format. */
export function structuralDiff(
  format: StructuralFormat,
  path: string,
  old: Buffer,
  cur: Buffer,
  opts: StructuralOptions = {},
): StructuralDiff {
  if (format === 'json') {
    const changes = diffJsonValues(
      parseJson(old, `JSON file '${path}' (old version)`),
      parseJson(cur, `JSON file '${path}' (new version)`),
      opts.key ?? 'id',
    );
    return { format, changes };
  }
  const a = format === 'jsonl' ? jsonlTable(old, 'old', path) : csvTable(old, 'old', path, opts);
  const b = format === 'jsonl' ? jsonlTable(cur, 'new', path) : csvTable(cur, 'new', path, opts);
  if (a === null || b === null) return { format, key: null, changes: diffLines(old, cur, path) };
  const changes: StructuralChange[] = [];
  for (const c of a.columns ?? [])
    if (b.columns !== null && !b.columns.includes(c)) changes.push({ change: 'removed', location: `column=${token(c)}` });
  for (const c of b.columns ?? [])
    if (a.columns !== null && !a.columns.includes(c)) changes.push({ change: 'added', location: `column=${token(c)}` });
  const v = { base: a.records, ours: b.records, theirs: b.records };
  const where = (side: 'base' | 'ours' | 'theirs', i: number): string =>
    `record ${i + 1} of the ${side === 'base' ? 'old' : 'new'} version`;
  const candidates = [...b.records, ...a.records].flatMap((r) => [...r.fields.keys()]);
  const key = chooseKey(candidates, v, format === 'jsonl' ? (c) => c.startsWith('"') || /^-?\d/.test(c) : (c) => c !== '', where, opts.key);
  if (key === null) return { format, key: null, changes: [...changes, ...diffLines(old, cur, path)] };
  const shared = (f: string): boolean => a.columns === null || b.columns === null || (a.columns.includes(f) && b.columns.includes(f));
  const newAt = new Map(b.records.map((r, i) => [r.fields.get(key)!, i]));
  const oldKeys = new Set(a.records.map((r) => r.fields.get(key)!));
  const loc = (k: string, field?: string): string => `key=${token(a.display(k))}${field === undefined ? '' : `/${token(field)}`}`;
  for (const r of a.records) {
    const k = r.fields.get(key)!;
    const j = newAt.get(k);
    if (j === undefined) {
      changes.push({ change: 'removed', location: loc(k), old: a.whole(r) });
      continue;
    }
    const n = b.records[j]!;
    for (const [f, value] of r.fields) {
      const nv = n.fields.get(f);
      if (nv === undefined) {
        if (shared(f)) changes.push({ change: 'removed', location: loc(k, f), old: a.value(value) });
      } else if (nv !== value) changes.push({ change: 'changed', location: loc(k, f), old: a.value(value), new: b.value(nv) });
    }
    for (const [f, nv] of n.fields)
      if (!r.fields.has(f) && shared(f)) changes.push({ change: 'added', location: loc(k, f), new: b.value(nv) });
  }
  for (const r of b.records)
    if (!oldKeys.has(r.fields.get(key)!)) changes.push({ change: 'added', location: loc(r.fields.get(key)!), new: b.whole(r) });
  return { format, key, changes };
}

interface Table {
  records: Rec[];
  /** CSV: the header's columns; jsonl: null (every record has its own fields). */
  columns: string[] | null;
  /** A key value as written in a location. */
  display: (canon: string) => string;
  /** A field's value and a whole record as plain data. */
  value: (canon: string) => unknown;
  whole: (r: Rec) => unknown;
}

type JsonlRecord = ReturnType<typeof parseJsonl>['records'][number];

function jsonlTable(buf: Buffer, side: string, path: string): Table | null {
  const file = parseJsonl(buf, side, path);
  if (file.notRecords) return null;
  // Field values are canonical JSON text; parsing it with the exact parser keeps every digit.
  const value = (canon: string): unknown => toPlain(parseJson(canon, `a field of ${path}`));
  return {
    records: file.records,
    columns: null,
    display: (c) => (c.startsWith('"') ? (JSON.parse(c) as string) : c),
    value,
    whole: (r) => toPlain(parseJson((r as JsonlRecord).text, `a record of ${path}`)),
  };
}

function csvTable(buf: Buffer, side: string, path: string, opts: StructuralOptions): Table | null {
  let text = decodeUtf8(buf, side, path);
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const delimiter = delimiterFor({ path, ...(opts.delimiter !== undefined ? { options: { delimiter: opts.delimiter } } : {}) });
  let rows;
  try {
    rows = parseCsv(text, delimiter);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    throw new BadFormatError(`${path} (${side} version): ${e.message}`, { path, side, line: e.line });
  }
  const header = rows.findIndex((r) => !r.blank);
  if (header < 0) return { records: [], columns: [], display: (c) => c, value: (c) => c, whole: () => ({}) };
  const columns = rows[header]!.fields.map((f) => f.value);
  if (new Set(columns).size !== columns.length) return null;
  const records: Rec[] = [];
  for (const row of rows.slice(header + 1)) {
    if (row.blank) continue;
    if (row.fields.length > columns.length) return null;
    records.push({ fields: new Map(columns.map((c, k) => [c, row.fields[k]?.value ?? ''])) });
  }
  return {
    records,
    columns,
    display: (c) => c,
    value: (c) => c,
    whole: (r) => Object.assign(Object.create(null) as object, Object.fromEntries(r.fields)),
  };
}

/** Without records to match, lines: removed ones by their old line number, added ones by their new. */
function diffLines(old: Buffer, cur: Buffer, path: string): StructuralChange[] {
  const split = (buf: Buffer, side: string): string[] => {
    const lines = decodeUtf8(buf, side, path).split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  };
  const a = split(old, 'old'),
    b = split(cur, 'new');
  const [sa, sb] = symbolize([a, b]) as [Int32Array, Int32Array];
  const m = matchSymbols(sa, sb);
  const out: StructuralChange[] = [];
  const removed: number[] = [];
  const matchedNew = new Uint8Array(b.length);
  for (let i = 0; i < a.length; i++) {
    if (m[i]! < 0) removed.push(i);
    else matchedNew[m[i]!] = 1;
  }
  for (const i of removed) out.push({ change: 'removed', location: `line=${i + 1}`, old: a[i] });
  for (let j = 0; j < b.length; j++) if (!matchedNew[j]) out.push({ change: 'added', location: `line=${j + 1}`, new: b[j] });
  return out;
}

/** Escaped like a JSON Pointer token, as the record merge writes its conflict locations. */
function token(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
