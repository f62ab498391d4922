// The json driver's parser and printer: agreement with JSON.parse, exact numbers, refusals with clear
// errors, layout detection, and printing that reproduces JSON.stringify's styles byte for byte.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, parseJson, parseJsonWithLayout } from '../../../src/core/merge/json-parse.js';
import { DEFAULT_JSON_FORMAT, printJson, stringifyPlain } from '../../../src/core/merge/json-print.js';
import { fromPlain, toPlain } from '../../../src/core/merge/json-plain.js';
import {
  JsonNumber,
  JsonString,
  canonicalJson,
  jsonEqual,
  makeNumber,
  numberFromJs,
  type JsonObject,
} from '../../../src/core/merge/json-value.js';
import { errorOf } from '../../helpers/errors.js';

describe('parseJson', () => {
  it('reads what JSON.parse reads, as the same data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, '\t'), (v, indent) => {
        const text = JSON.stringify(v, null, indent);
        expect(toPlain(parseJson(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('prints back JSON.stringify output byte for byte in each of its styles', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, 4, '\t'), fc.boolean(), (v, indent, newline) => {
        const text = JSON.stringify(v, null, indent) + (newline ? '\n' : '');
        const { value, layout } = parseJsonWithLayout(text);
        // Without the source spans, so the printer itself must produce the same bytes.
        expect(printJson(value, layout)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the exact text of every number', () => {
    for (const text of [
      '1e400',
      '-1e400',
      '123456789012345678901234567890',
      '0.1000',
      '1.0',
      '-0',
      '1E5',
      '2e-7',
      '0.30000000000000004',
      '9007199254740993',
    ]) {
      const v = parseJson(`[${text}]`) as JsonNumber[];
      expect(v[0]).toBeInstanceOf(JsonNumber);
      expect(printJson(parseJson(`{"n": ${text}}`), { ...DEFAULT_JSON_FORMAT, indent: null, colonSpace: true, finalNewline: false })).toBe(
        `{"n": ${text}}`,
      );
    }
    expect(parseJson('[0, -5, 42, 0.5, 12.25]')).toEqual([0, -5, 42, 0.5, 12.25]);
  });

  it('uses a JS number only where String(n) gives back the text', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^-?(0|[1-9][0-9]{0,19})(\.[0-9]{1,19})?([eE][+-]?[0-9]{1,3})?$/), (text) => {
        const v = makeNumber(text);
        if (typeof v === 'number') expect(String(v)).toBe(text);
        else expect(v.text).toBe(text);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const v = numberFromJs(n);
        expect(typeof v === 'number' ? String(v) : v.text).toBe(String(n));
      }),
    );
  });

  it('keeps keys __proto__, constructor and prototype as ordinary keys, and never touches Object.prototype', () => {
    const v = parseJson('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, "prototype": 3}') as JsonObject;
    expect(v.keys).toEqual(['__proto__', 'constructor', 'prototype']);
    const plain = toPlain(v) as Record<string, unknown>;
    expect(Object.keys(plain)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(Object.getPrototypeOf(plain)).toBeNull();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(canonicalJson(fromPlain(plain))).toBe(canonicalJson(v));
  });

  it('keeps key order as written, integer-like keys included', () => {
    expect((parseJson('{"b": 1, "2": 2, "a": 3, "1": 4}') as JsonObject).keys).toEqual(['b', '2', 'a', '1']);
  });

  it('refuses a duplicate key, naming its pointer', () => {
    const e = errorOf(() => parseJson('{"a": [{"x": 1}, {"b~/": 1, "y": 2, "b~/": 3}]}', "JSON file 'd.json' (theirs)"));
    expect(e.code).toBe('BAD_FORMAT');
    expect(e.data['pointer']).toBe('/a/1/b~0~1');
    expect(e.message).toContain("JSON file 'd.json' (theirs)");
    expect(e.message).toContain('duplicate key');
    // Also past the point where keys are tracked in a set, and where shapes stop.
    const many = Array.from({ length: 100 }, (_, i) => `"k${i}": ${i}`).join(', ');
    expect(errorOf(() => parseJson(`{${many}, "k7": 0}`)).data['pointer']).toBe('/k7');
    expect(errorOf(() => parseJson(`{${many}, "k99": 0}`)).data['pointer']).toBe('/k99');
    // A shape learned from an earlier object must not hide a duplicate in a later one.
    expect(errorOf(() => parseJson('[{"a": 1, "b": 2}, {"a": 1, "a": 2}]')).data['pointer']).toBe('/1/a');
  });

  it('refuses invalid UTF-8 with a clear error', () => {
    for (const bytes of [
      [0x22, 0xff, 0x22],
      [0x22, 0xc0, 0xaf, 0x22],
      [0x22, 0xed, 0xa0, 0x80, 0x22],
      [0x5b, 0xe2, 0x82],
    ]) {
      const e = errorOf(() => parseJson(Buffer.from(bytes), "JSON file 'x.json' (ours)"));
      expect(e.code).toBe('BAD_FORMAT');
      expect(e.message).toMatch(/not valid UTF-8/);
    }
  });

  it('refuses what JSON does not allow, saying where', () => {
    const bad = [
      '',
      ' ',
      '[1,]',
      '{"a":1,}',
      "{'a':1}",
      '[01]',
      '[NaN]',
      '[1.]',
      '[.5]',
      '[1e]',
      '[-]',
      '"a\nb"',
      '"\\x"',
      '"\\u12"',
      '[1] x',
      '{"a" 1}',
      '[1 2]',
      '// c\n1',
      'tru',
      '{"a":1',
      '"abc',
    ];
    for (const text of bad) {
      const e = errorOf(() => parseJson(text));
      expect(e.code, text).toBe('BAD_FORMAT');
    }
    const e = errorOf(() => parseJson('{\n  "a": 1,\n  "b": tru\n}'));
    expect([e.data['line'], e.data['column']]).toEqual([3, 8]);
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more, without recursion`, () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    let v = parseJson(deep(MAX_JSON_DEPTH));
    let depth = 0;
    while (Array.isArray(v) && v.length > 0) {
      v = v[0]!;
      depth++;
    }
    expect(depth).toBe(MAX_JSON_DEPTH - 1);
    const e = errorOf(() => parseJson(deep(MAX_JSON_DEPTH + 1)));
    expect(e.code).toBe('BAD_FORMAT');
    expect(e.message).toContain(`nesting deeper than ${MAX_JSON_DEPTH}`);
    expect(errorOf(() => parseJson('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000))).code).toBe('BAD_FORMAT');
  });

  it("keeps a string's own spelling when it is not the minimal escape", () => {
    const v = parseJson('["caf\\u00e9", "a\\/b", "plain", "tab\\t"]') as unknown[];
    expect(v[0]).toEqual(new JsonString('café', '"caf\\u00e9"'));
    expect(v[1]).toEqual(new JsonString('a/b', '"a\\/b"'));
    expect(v.slice(2)).toEqual(['plain', 'tab\t']);
    expect(jsonEqual(v[0] as JsonString, 'café')).toBe(true);
    expect(printJson(v as never, { ...DEFAULT_JSON_FORMAT, indent: null, commaSpace: true, finalNewline: false })).toBe(
      '["caf\\u00e9", "a\\/b", "plain", "tab\\t"]',
    );
  });
});

describe('layout detection', () => {
  const layout = (text: string) => {
    const { indent, eol, finalNewline, bom, colonSpace, commaSpace } = parseJsonWithLayout(text).layout;
    return { indent, eol, finalNewline, bom, colonSpace, commaSpace };
  };

  it('finds indentation, spacing, line endings, final newline and BOM', () => {
    expect(layout('{\n    "a": [1, 2]\n}\n')).toEqual({
      indent: '    ',
      eol: '\n',
      finalNewline: true,
      bom: false,
      colonSpace: true,
      commaSpace: true,
    });
    expect(layout('{\r\n\t"a": {\r\n\t\t"b": 1\r\n\t}\r\n}')).toMatchObject({ indent: '\t', eol: '\r\n', finalNewline: false });
    expect(layout('{"a":1,"b":2}')).toMatchObject({ indent: null, colonSpace: false, commaSpace: false });
    expect(layout('{"a": 1, "b": 2}\n')).toMatchObject({ indent: null, colonSpace: true, commaSpace: true, finalNewline: true });
    expect(layout('\ufeff[1]')).toMatchObject({ bom: true });
    expect(layout('[\n]')).toMatchObject({ indent: '  ' });
  });

  it('prints plain data exactly, at any depth', () => {
    expect(stringifyPlain({ a: [1, new JsonNumber('1e400')], b: 'x' })).toBe('{"a":[1,1e400],"b":"x"}');
    expect(stringifyPlain([1, { a: null }], '  ')).toBe('[\n  1,\n  {\n    "a": null\n  }\n]');
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
    expect(stringifyPlain(deep)).toBe('['.repeat(MAX_JSON_DEPTH) + '1' + ']'.repeat(MAX_JSON_DEPTH));
  });
});
