// JSON Patch: the structural diff applies cleanly to the old version and gives the new one, patches
// follow RFC 6902, and applying one leaves its input untouched and the file's formatting kept.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CairnError } from '../../../src/errors.js';
import { applyJsonPatch, jsonDiff, patchJson, type JsonPatchOp } from '../../../src/core/merge/json-patch.js';
import { parseJson } from '../../../src/core/merge/json-parse.js';
import { formatPointer, getAtPointer, parsePointer } from '../../../src/core/merge/json-pointer.js';
import { canonicalJson, JsonNumber } from '../../../src/core/merge/json-value.js';
import { docArb, scenarioArb, write } from './json-helpers.js';

const roundTrip = (a: Buffer, b: Buffer): JsonPatchOp[] => {
  const ops = jsonDiff(a, b);
  const before = parseJson(a);
  const snapshot = canonicalJson(before);
  const applied = applyJsonPatch(before, ops);
  expect(canonicalJson(applied)).toBe(canonicalJson(parseJson(b)));
  expect(canonicalJson(before)).toBe(snapshot);
  // The ops survive a trip through JSON text, as `cairn diff --format json-patch` prints them.
  expect(canonicalJson(applyJsonPatch(parseJson(a), JSON.parse(JSON.stringify(ops)) as JsonPatchOp[]))).toBe(canonicalJson(parseJson(b)));
  return ops;
};

describe('jsonDiff', () => {
  it('gives operations that turn the old version into the new one (random documents)', () => {
    fc.assert(
      fc.property(docArb, docArb, (a, b) => void roundTrip(write(a), write(b))),
      { numRuns: 500 },
    );
  });

  it('gives operations that turn the old version into the new one (random edits)', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => void roundTrip(write(s.base), write(s.ours))),
      { numRuns: 500 },
    );
  });

  it('is empty for equal data, whatever the formatting', () => {
    expect(jsonDiff(Buffer.from('{"a": [1, {"b": 2}]}'), Buffer.from('{\n  "a": [\n    1,\n    {"b":2}\n  ]\n}\n'))).toEqual([]);
  });

  it('says what changed by pointer, records by id, array indices as earlier operations left them', () => {
    const a = {
      items: [
        { id: 1, q: 1 },
        { id: 2, q: 2 },
        { id: 3, q: 3 },
      ],
      tags: ['a', 'b', 'c'],
      'x/y': 1,
    };
    const b = {
      items: [
        { id: 2, q: 20 },
        { id: 3, q: 3 },
        { id: 4, q: 4 },
      ],
      tags: ['a', 'c', 'd'],
      'x/y': 1,
      n: null,
    };
    expect(roundTrip(write(a), write(b))).toEqual([
      { op: 'remove', path: '/items/0' },
      { op: 'replace', path: '/items/0/q', value: 20 },
      { op: 'add', path: '/items/2', value: { id: 4, q: 4 } },
      { op: 'remove', path: '/tags/1' },
      { op: 'add', path: '/tags/2', value: 'd' },
      { op: 'add', path: '/n', value: null },
    ]);
    expect(jsonDiff(Buffer.from('{"n": 1.0}'), Buffer.from('{"n": 1e400}'))).toEqual([
      { op: 'replace', path: '/n', value: new JsonNumber('1e400') },
    ]);
    expect(jsonDiff(Buffer.from('[1]'), Buffer.from('{"__proto__": 1}'))).toEqual([
      { op: 'replace', path: '', value: Object.assign(Object.create(null) as object, { ['__proto__']: 1 }) },
    ]);
  });
});

describe('applyJsonPatch', () => {
  const apply = (doc: string, ops: JsonPatchOp[]) => canonicalJson(applyJsonPatch(parseJson(doc), ops));

  it('follows RFC 6902 for add, remove and replace', () => {
    expect(apply('{"foo": ["bar", "baz"]}', [{ op: 'add', path: '/foo/1', value: 'qux' }])).toBe('{"foo":["bar","qux","baz"]}');
    expect(apply('{"foo": [1]}', [{ op: 'add', path: '/foo/-', value: 2 }])).toBe('{"foo":[1,2]}');
    expect(apply('{"a": 1}', [{ op: 'add', path: '/a', value: 2 }])).toBe('{"a":2}');
    expect(
      apply('{"a": {"b~c": 1, "d/e": 2}}', [
        { op: 'remove', path: '/a/b~0c' },
        { op: 'replace', path: '/a/d~1e', value: [3] },
      ]),
    ).toBe('{"a":{"d/e":[3]}}');
    expect(apply('[1]', [{ op: 'replace', path: '', value: { x: 1 } }])).toBe('{"x":1}');
  });

  it('refuses operations that do not apply, saying which', () => {
    const bad: JsonPatchOp[][] = [
      [{ op: 'remove', path: '/nope' }],
      [{ op: 'replace', path: '/a/0', value: 1 }],
      [{ op: 'add', path: '/a/5', value: 1 }],
      [{ op: 'add', path: '/a/01', value: 1 }],
      [{ op: 'remove', path: '/a/-' }],
      [{ op: 'add', path: 'a', value: 1 }],
      [{ op: 'add', path: '/x' }],
      [{ op: 'move', path: '/x' } as unknown as JsonPatchOp],
      [{ op: 'remove', path: '' }],
    ];
    for (const ops of bad) {
      let err: unknown;
      try {
        applyJsonPatch(parseJson('{"a": []}'), ops);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(ops)).toBeInstanceOf(CairnError);
      expect((err as CairnError).code).toBe('BAD_FORMAT');
    }
  });

  it('patches a file keeping its formatting', () => {
    const doc = Buffer.from('{\n    "list": [1, 2],\n    "keep": {"x":   1},\n    "n": 1\n}\n');
    const out = patchJson(doc, [
      { op: 'add', path: '/list/1', value: 9 },
      { op: 'replace', path: '/n', value: 2 },
    ]);
    expect(out.toString()).toBe('{\n    "list": [1, 9, 2],\n    "keep": {"x":   1},\n    "n": 2\n}\n');
  });
});

describe('JSON Pointer', () => {
  it('round-trips every token', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (tokens) => {
        expect(parsePointer(formatPointer(tokens))).toEqual(tokens);
      }),
    );
    expect(formatPointer(['a/b', 'm~n', ''])).toBe('/a~1b/m~0n/');
  });

  it('finds values, RFC 6901 examples included', () => {
    const doc = parseJson(
      '{"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\\\j": 5, "k\\"l": 6, " ": 7, "m~n": 8}',
    );
    const at = (p: string) => {
      const v = getAtPointer(doc, p);
      return v === undefined ? undefined : canonicalJson(v);
    };
    expect([
      at('/foo'),
      at('/foo/0'),
      at('/'),
      at('/a~1b'),
      at('/c%d'),
      at('/e^f'),
      at('/g|h'),
      at('/i\\j'),
      at('/k"l'),
      at('/ '),
      at('/m~0n'),
    ]).toEqual(['["bar","baz"]', '"bar"', '0', '1', '2', '3', '4', '5', '6', '7', '8']);
    expect([at('/foo/2'), at('/foo/01'), at('/nope/x')]).toEqual([undefined, undefined, undefined]);
  });
});
