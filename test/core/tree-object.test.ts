// The `tree` object: round trips, exact bytes and id, and refusal of hostile or malformed trees.
// Hostile trees are built byte by byte here, since encodeTree refuses to write them.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { hashObject } from '../../src/core/hash.js';
import { compareNames, entryNameProblem, foldName } from '../../src/core/names.js';
import { decodeTree, encodeTree, type EntryKind, type TreeEntry } from '../../src/core/tree-object.js';
import { writeVarint } from '../../src/core/varint.js';
import { codeOf } from '../helpers/errors.js';

function varint(n: number): Buffer {
  const b = Buffer.alloc(10);
  return b.subarray(0, writeVarint(b, 0, n));
}

interface RawEntry {
  kind?: number;
  name: string | Buffer;
  id?: string;
  size?: number;
}

/** Tree bytes exactly as given: no sorting, no name checks. */
function rawTree(entries: RawEntry[], version = 1): Buffer {
  const parts: Buffer[] = [Buffer.from([version]), varint(entries.length)];
  for (const e of entries) {
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
    parts.push(Buffer.from([e.kind ?? 0]), varint(name.length), name, Buffer.from(e.id ?? ID, 'hex'), varint(e.size ?? 1));
  }
  return Buffer.concat(parts);
}

const ID = 'a'.repeat(64);
const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const kind = fc.constantFrom<EntryKind>('file', 'exec', 'symlink', 'tree');
// Names from every corner of Unicode, plus a few that stress the folding and BOM handling.
const name = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
    fc.constantFrom('\ufeffa', 'e\u0301', 'Data.CSV', '...', ' x', '\u{1f600}', '\uffff', '\u{10000}'),
  )
  .filter((n) => entryNameProblem(n) === null);
const entries = fc.uniqueArray(fc.record({ name, kind, id: hexId, size: fc.maxSafeNat() }), {
  selector: (e) => foldName(e.name),
  maxLength: 12,
});

const byName = (a: TreeEntry, b: TreeEntry) => compareNames(a.name, b.name);

describe('tree object', () => {
  it('round-trips any valid entries, sorted by UTF-8 bytes', () => {
    fc.assert(
      fc.property(entries, (es) => {
        const body = encodeTree(es);
        expect(decodeTree(body)).toEqual([...es].sort(byName));
      }),
    );
  });

  it('encodes the same bytes whatever the input order', () => {
    fc.assert(
      fc.property(entries, fc.nat(), (es, k) => {
        const r = es.length === 0 ? 0 : k % es.length;
        const rotated = [...es.slice(r), ...es.slice(0, r)].reverse();
        expect(encodeTree(rotated).equals(encodeTree(es))).toBe(true);
      }),
    );
  });

  it('sorts by UTF-8 bytes, not UTF-16 code units', () => {
    const body = encodeTree([
      { name: '\u{10000}', kind: 'file', id: ID, size: 1 },
      { name: '\uffff', kind: 'file', id: ID, size: 1 },
    ]);
    expect(decodeTree(body).map((e) => e.name)).toEqual(['\uffff', '\u{10000}']);
  });

  it('encodes these exact bytes and id', () => {
    const body = encodeTree([
      { name: 'data.csv', kind: 'file', id: 'a'.repeat(64), size: 14 },
      { name: 'run.sh', kind: 'exec', id: 'b'.repeat(64), size: 20 },
      { name: 'latest', kind: 'symlink', id: 'c'.repeat(64), size: 8 },
      { name: 'sub', kind: 'tree', id: 'd'.repeat(64), size: 52345 },
    ]);
    expect(body.toString('hex')).toBe(
      '0104' +
        `0008${Buffer.from('data.csv').toString('hex')}${'a'.repeat(64)}0e` +
        `0206${Buffer.from('latest').toString('hex')}${'c'.repeat(64)}08` +
        `0106${Buffer.from('run.sh').toString('hex')}${'b'.repeat(64)}14` +
        `0303${Buffer.from('sub').toString('hex')}${'d'.repeat(64)}f99803`,
    );
    expect(hashObject('tree', body)).toBe('aee20e75173c1812a18ea7e69bbbd1c58807c9af45485e8d140c756b3817ae91');
    expect(hashObject('tree', encodeTree([]))).toBe('0746d9054e62dd6ba99232c1ca26bbdbf76dc24288b2e29238e0ed1c076d0009');
  });

  it('keeps a leading U+FEFF in a name (TextDecoder would drop it by default)', () => {
    const body = encodeTree([{ name: '\ufeffa', kind: 'file', id: ID, size: 1 }]);
    expect(body.subarray(4, 8).toString('hex')).toBe('efbbbf61');
    expect(decodeTree(body)[0]!.name).toBe('\ufeffa');
    // Two trees with different bytes never decode to the same entries.
    expect(decodeTree(rawTree([{ name: 'a' }]))[0]!.name).toBe('a');
  });

  it('refuses hostile entry names', () => {
    const hostile: (string | Buffer)[] = [
      '',
      '.',
      '..',
      'a/b',
      '/',
      'a\\b',
      'x\0y',
      '.cairn',
      '.CAIRN',
      '.Cairn',
      '.cairn.', // Windows drops trailing dots and spaces
      '.cairn ',
      '.c\u200cairn', // HFS+ ignores U+200C
      '\ufeff.cairn', // ... and U+FEFF
      'CAIRN~1', // NTFS short name of .cairn
      '.cairn::$INDEX_ALLOCATION', // NTFS stream naming the folder itself
      'x'.repeat(256),
      Buffer.from([0xff]), // not UTF-8
      Buffer.from([0x61, 0x80]), // stray continuation byte
      Buffer.from([0xc0, 0xaf]), // overlong '/'
      Buffer.from([0xed, 0xa0, 0x80]), // UTF-8 encoded surrogate
      Buffer.from([0xe2, 0x82]), // truncated sequence
    ];
    for (const n of hostile) {
      const label = typeof n === 'string' ? JSON.stringify(n) : n.toString('hex');
      expect(
        codeOf(() => decodeTree(rawTree([{ name: n }]))),
        label,
      ).toBe('UNSAFE_PATH');
      if (typeof n === 'string') {
        expect(
          codeOf(() => encodeTree([{ name: n, kind: 'file', id: ID, size: 1 }])),
          label,
        ).toBe('UNSAFE_PATH');
      }
    }
  });

  it('refuses names that collide on case-insensitive or normalising file systems', () => {
    const twins: [string, string][] = [
      ['A.csv', 'a.csv'],
      ['README', 'readme'],
      ['e\u0301', '\u00e9'], // NFD and NFC é
      ['a.csv', 'a.csv.'], // Windows
      ['a', 'a\u200d'], // HFS+
    ];
    for (const pair of twins) {
      const sorted = [...pair].sort(compareNames);
      expect(codeOf(() => decodeTree(rawTree(sorted.map((n) => ({ name: n })))))).toBe('UNSAFE_PATH');
      expect(codeOf(() => encodeTree(pair.map((n) => ({ name: n, kind: 'file', id: ID, size: 1 }))))).toBe('UNSAFE_PATH');
    }
  });

  it('refuses unsorted and duplicate entries', () => {
    expect(codeOf(() => decodeTree(rawTree([{ name: 'b' }, { name: 'a' }])))).toBe('BAD_FORMAT');
    expect(codeOf(() => decodeTree(rawTree([{ name: 'a' }, { name: 'a' }])))).toBe('BAD_FORMAT');
    expect(
      codeOf(() =>
        decodeTree(
          rawTree([
            { name: 'a', kind: 0 },
            { name: 'a', kind: 3 },
          ]),
        ),
      ),
    ).toBe('BAD_FORMAT');
    // UTF-16 order puts U+10000 first; UTF-8 byte order (the format's) puts U+FFFF first.
    expect(codeOf(() => decodeTree(rawTree([{ name: '\u{10000}' }, { name: '\uffff' }])))).toBe('BAD_FORMAT');
    expect(
      codeOf(() =>
        encodeTree([
          { name: 'a', kind: 'file', id: ID, size: 1 },
          { name: 'a', kind: 'tree', id: ID, size: 1 },
        ]),
      ),
    ).toBe('BAD_FORMAT');
    expect(decodeTree(rawTree([{ name: 'a' }, { name: 'b' }])).map((e) => e.name)).toEqual(['a', 'b']);
  });

  it('refuses every truncation and any trailing bytes', () => {
    fc.assert(
      fc.property(entries, fc.uint8Array({ minLength: 1, maxLength: 40 }), (es, extra) => {
        const body = encodeTree(es);
        for (let n = 0; n < body.length; n++) {
          expect(codeOf(() => decodeTree(body.subarray(0, n)))).toBe('BAD_FORMAT');
        }
        expect(codeOf(() => decodeTree(Buffer.concat([body, extra])))).toBe('BAD_FORMAT');
      }),
      { numRuns: 50 },
    );
  });

  it('refuses overlong varints, unknown kinds and versions', () => {
    const one = rawTree([{ name: 'a', size: 5 }]);
    expect(decodeTree(one)).toEqual([{ name: 'a', kind: 'file', id: ID, size: 5 }]);
    const overlongCount = Buffer.concat([Buffer.from([1, 0x81, 0x00]), one.subarray(2)]);
    const overlongNameLen = Buffer.concat([one.subarray(0, 3), Buffer.from([0x81, 0x00]), one.subarray(4)]);
    const overlongSize = Buffer.concat([one.subarray(0, one.length - 1), Buffer.from([0x85, 0x00])]);
    for (const body of [overlongCount, overlongNameLen, overlongSize]) expect(codeOf(() => decodeTree(body))).toBe('BAD_FORMAT');
    expect(codeOf(() => decodeTree(rawTree([{ name: 'a', kind: 4 }])))).toBe('BAD_FORMAT');
    expect(codeOf(() => decodeTree(rawTree([{ name: 'a' }], 2)))).toBe('BAD_FORMAT');
    expect(codeOf(() => decodeTree(rawTree([], 0)))).toBe('BAD_FORMAT');
  });

  it('refuses to encode a malformed id', () => {
    for (const id of ['', 'zz', 'A'.repeat(64), 'a'.repeat(63)]) {
      expect(codeOf(() => encodeTree([{ name: 'x', kind: 'file', id, size: 1 }]))).toBe('BAD_FORMAT');
    }
  });
});
