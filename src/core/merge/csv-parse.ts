// A small RFC 4180 reader that remembers the source text of every field and row, so a merge can write unchanged
// parts back byte for byte (quoting, line endings) and format only what it changed.

export interface CsvField {
  value: string;
  /** The field exactly as written, quotes included. */
  raw: string;
}

export interface CsvRow {
  fields: CsvField[];
  /** The row exactly as written, without its line ending. */
  raw: string;
  /** '\r\n', '\n', or '' for a last row with no line ending. */
  eol: string;
  /** 1-based line where the row starts. */
  line: number;
  /** An empty line: kept in place, not a record. */
  blank: boolean;
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Rows end at LF or CRLF outside quotes; a lone CR is data. Quoted fields may hold delimiters, quotes (doubled)
 * and line breaks; a quote inside an unquoted field is taken as data, as most writers and readers do. */
export function parseCsv(text: string, delimiter: string): CsvRow[] {
  const rows: CsvRow[] = [];
  const n = text.length;
  const delim = delimiter.charCodeAt(0);
  let i = 0;
  let line = 1;
  while (i < n) {
    const rowStart = i;
    const rowLine = line;
    const fields: CsvField[] = [];
    if (!atEol(text, i)) {
      for (;;) {
        const fieldStart = i;
        let value: string;
        if (text[i] === '"') {
          value = '';
          i++;
          for (;;) {
            const q = text.indexOf('"', i);
            if (q < 0) throw new CsvSyntaxError(line, `line ${line}: a quoted field opened here is never closed`);
            value += text.slice(i, q);
            line += countNewlines(text, i, q);
            i = q + 1;
            if (text[i] !== '"') break;
            value += '"';
            i++;
          }
          if (i < n && text[i] !== delimiter && !atEol(text, i)) {
            throw new CsvSyntaxError(
              line,
              `line ${line}: unexpected ${JSON.stringify(text[i])} after a closing quote (quote the whole field and double inner quotes)`,
            );
          }
        } else {
          // A CR not followed by LF does not end the row.
          for (
            let c = text.charCodeAt(i);
            i < n && c !== delim && c !== 0x0a && !(c === 0x0d && text.charCodeAt(i + 1) === 0x0a);
            c = text.charCodeAt(++i)
          );
          value = text.slice(fieldStart, i);
        }
        fields.push({ value, raw: text.slice(fieldStart, i) });
        if (text[i] !== delimiter) break;
        i++;
      }
    }
    const raw = text.slice(rowStart, i);
    const eol = text[i] === '\r' ? '\r\n' : text[i] === '\n' ? '\n' : '';
    i += eol.length;
    if (eol) line++;
    rows.push({ fields, raw, eol, line: rowLine, blank: fields.length === 0 });
  }
  return rows;
}

function atEol(text: string, i: number): boolean {
  return text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n');
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let k = text.indexOf('\n', from); k >= 0 && k < to; k = text.indexOf('\n', k + 1)) count++;
  return count;
}

/** Whether a value must be quoted to read back as itself. */
export function needsQuotes(value: string, delimiter: string): boolean {
  return value.includes(delimiter) || /["\r\n]/.test(value);
}

export function quote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}
