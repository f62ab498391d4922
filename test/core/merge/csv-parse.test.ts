// The CSV reader: RFC 4180 quoting, line endings, and the source text it remembers for byte-exact rewriting.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CsvSyntaxError, needsQuotes, parseCsv, quote } from '../../../src/core/merge/csv-parse.js';

const values = (text: string, d = ','): string[][] => parseCsv(text, d).map((r) => r.fields.map((f) => f.value));

describe('csv reader', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks', () => {
    expect(values('a,"b,c","say ""hi""","two\r\nlines"\n')).toEqual([['a', 'b,c', 'say "hi"', 'two\r\nlines']]);
  });

  it('remembers each field and row as written, with its line ending and starting line', () => {
    const rows = parseCsv('id,"name"\r\n1,"x\ny"\r\n2,z', ',');
    expect(rows.map((r) => [r.raw, r.eol, r.line])).toEqual([
      ['id,"name"', '\r\n', 1],
      ['1,"x\ny"', '\r\n', 2],
      ['2,z', '', 4],
    ]);
    expect(rows[1]?.fields.map((f) => f.raw)).toEqual(['1', '"x\ny"']);
  });

  it('keeps empty fields, trailing delimiters and blank lines apart', () => {
    const rows = parseCsv('a,,\n\n,b\n', ',');
    expect(rows.map((r) => [r.blank, r.fields.map((f) => f.value)])).toEqual([
      [false, ['a', '', '']],
      [true, []],
      [false, ['', 'b']],
    ]);
  });

  it('a lone CR is data, and a quote inside an unquoted field is data', () => {
    expect(values('a\rb,c"d\n')).toEqual([['a\rb', 'c"d']]);
  });

  it('reads tab-separated values', () => {
    expect(values('a\tb,c\t"d\te"\n', '\t')).toEqual([['a', 'b,c', 'd\te']]);
  });

  it('names the line where a never-closed quote opens, or where text follows a closing quote', () => {
    const lineOf = (text: string): number => {
      try {
        parseCsv(text, ',');
      } catch (e) {
        if (e instanceof CsvSyntaxError) return e.line;
        throw e;
      }
      return 0;
    };
    expect(lineOf('a,b\n1,"open\n2,3\n')).toBe(2);
    expect(lineOf('a,b\n"x\ny",2\n"z')).toBe(4);
    expect(lineOf('a,b\n"x"y,2\n')).toBe(2);
  });

  it('reads back what a plain writer wrote, for any values', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '\t'), maxLength: 6 });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { maxLength: 6 }),
        fc.constantFrom('\n', '\r\n'),
        (rows, eol) => {
          const text = rows.map((r) => r.map((v) => (needsQuotes(v, ',') ? quote(v) : v)).join(',') + eol).join('');
          expect(values(text)).toEqual(rows);
          expect(
            parseCsv(text, ',')
              .map((r) => r.raw + r.eol)
              .join(''),
          ).toBe(text);
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });
});
