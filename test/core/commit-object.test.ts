// The `commit` object: round trips, the exact text and id of a fixed commit, and refusal of every
// non-canonical or malformed text (two byte strings must never name one commit).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { hashObject } from '../../src/core/hash.js';
import { decodeCommit, encodeCommit, type Commit } from '../../src/core/commit-object.js';
import { codeOf } from '../helpers/errors.js';

const T = 'e'.repeat(64);
const P1 = 'f'.repeat(64);
const P2 = '0'.repeat(64);

const FIXED: Commit = {
  tree: T,
  parents: [P1, P2],
  author: { name: 'Ada Lovelace', email: 'ada@example.org' },
  time: 1700000000000,
  tzOffset: 60,
  message: 'Import survey data\n\nFrom the 2023 run.\n',
  meta: { source: 'survey', 'ci-job': '42' },
};
const FIXED_TEXT =
  `tree ${T}\nparent ${P1}\nparent ${P2}\nauthor Ada Lovelace <ada@example.org> 1700000000000 +0100\n` +
  'meta ci-job "42"\nmeta source "survey"\n\nImport survey data\n\nFrom the 2023 run.\n';

/** A valid header around the given author line, for hand-made variants. */
function text(author = 'author a <b> 5 +0000', extra = '', message = 'm'): Buffer {
  return Buffer.from(`tree ${T}\n${author}\n${extra}\n${message}`, 'utf8');
}

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
// Author fields: any well-formed Unicode without < > newline NUL, and already trimmed (encode trims).
const personField = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[<>\n\0]/.test(s) && s === s.trim());
const commit: fc.Arbitrary<Commit> = fc.record({
  tree: hexId,
  parents: fc.array(hexId, { maxLength: 4 }),
  author: fc.record({ name: personField, email: personField }),
  time: fc.oneof(fc.maxSafeInteger(), fc.integer({ min: 0, max: 4_102_444_800_000 })),
  tzOffset: fc.integer({ min: -24 * 60, max: 24 * 60 }),
  message: fc.string({ unit: 'grapheme', maxLength: 200 }).filter((s) => !s.includes('\0')),
  meta: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,63}$/), fc.string({ unit: 'binary', maxLength: 30 }), { maxKeys: 5 }),
});

describe('commit object', () => {
  it('round-trips any valid commit', () => {
    fc.assert(
      fc.property(commit, (c) => {
        const body = encodeCommit(c);
        const back = decodeCommit(body);
        expect({ ...back, meta: { ...back.meta } }).toEqual(c);
        expect(encodeCommit(back).equals(body)).toBe(true);
      }),
    );
  });

  it('encodes this exact text and id', () => {
    const body = encodeCommit(FIXED);
    expect(body.toString('utf8')).toBe(FIXED_TEXT);
    expect(hashObject('commit', body)).toBe('4f6de2724b3bfa43c6aaf9012050eb45049b3286243dc1901f2945f8385d89db');
  });

  it('trims the author name and email (the canonical form has no surrounding spaces)', () => {
    const back = decodeCommit(encodeCommit({ ...FIXED, author: { name: '  Ada \t', email: ' ada@example.org ' } }));
    expect(back.author).toEqual({ name: 'Ada', email: 'ada@example.org' });
  });

  it('keeps metadata out of reach of prototype pollution', () => {
    const back = decodeCommit(text('author a <b> 5 +0000', 'meta constructor "x"\n'));
    expect(Object.getPrototypeOf(back.meta)).toBe(null);
    expect(back.meta['constructor']).toBe('x');
  });

  it('refuses non-canonical text', () => {
    const variants: [string, Buffer][] = [
      ['leading zero in time', text('author a <b> 05 +0000')],
      ['negative zero time', text('author a <b> -0 +0000')],
      ['negative zero zone', text('author a <b> 5 -0000')],
      ['zone minutes past 59', text('author a <b> 5 +0075')],
      ['zone beyond a day', text('author a <b> 5 +2401')],
      ['unsafe time', text('author a <b> 9007199254740993 +0000')],
      ['space before name', text('author  a <b> 5 +0000')],
      ['space after name', text('author a  <b> 5 +0000')],
      ['space inside email brackets', text('author a < b> 5 +0000')],
      ['metadata unsorted', text(undefined, 'meta b "1"\nmeta a "2"\n')],
      ['metadata repeated', text(undefined, 'meta a "1"\nmeta a "2"\n')],
      ['metadata escaped needlessly', text(undefined, 'meta a "\\u0061"\n')],
      ['metadata with a solidus escape', text(undefined, 'meta a "\\/"\n')],
      ['byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text()])],
      ['CRLF line ends', Buffer.from(text().toString().replace(/\n/g, '\r\n'))],
      ['upper-case tree id', Buffer.from(text().toString().replace(T, T.toUpperCase()))],
      ['trailing space on a header line', Buffer.from(text().toString().replace('+0000\n', '+0000 \n'))],
    ];
    for (const [label, body] of variants)
      expect(
        codeOf(() => decodeCommit(body)),
        label,
      ).toBe('BAD_FORMAT');
    // The canonical neighbour decodes.
    expect(decodeCommit(text()).time).toBe(5);
  });

  it('refuses malformed text', () => {
    const variants: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['no message separator', Buffer.from(`tree ${T}\nauthor a <b> 5 +0000\n`)],
      ['no tree line', Buffer.from('author a <b> 5 +0000\n\nm')],
      ['short tree id', Buffer.from(`tree ${T.slice(1)}\nauthor a <b> 5 +0000\n\nm`)],
      ['no author line', Buffer.from(`tree ${T}\n\nm`)],
      ['parent after author', text('author a <b> 5 +0000', `parent ${P1}\n`)],
      ['author twice', text('author a <b> 5 +0000', 'author a <b> 5 +0000\n')],
      ['unknown header', text(undefined, 'committer a <b> 5 +0000\n')],
      ['metadata not JSON', text(undefined, 'meta a "\\x"\n')],
      ['metadata two strings', text(undefined, 'meta a "1" "2"\n')],
      ['metadata unterminated', text(undefined, 'meta a "1\n')],
      ['metadata key upper-case', text(undefined, 'meta A "1"\n')],
      ['metadata value a number', text(undefined, 'meta a 1\n')],
      ['invalid UTF-8', Buffer.concat([text(), Buffer.from([0xff])])],
    ];
    for (const [label, body] of variants)
      expect(
        codeOf(() => decodeCommit(body)),
        label,
      ).toBe('BAD_FORMAT');
  });

  it('refuses every truncation inside the header', () => {
    const body = encodeCommit(FIXED);
    const headerEnd = body.indexOf('\n\n') + 2;
    for (let n = 0; n < headerEnd; n++)
      expect(
        codeOf(() => decodeCommit(body.subarray(0, n))),
        `prefix ${n}`,
      ).toBe('BAD_FORMAT');
    // Cutting the message is a different, valid commit: the id changes, so nothing is lost silently.
    expect(decodeCommit(body.subarray(0, headerEnd)).message).toBe('');
  });

  it('refuses to encode what it could not decode back', () => {
    const bad: [string, Commit][] = [
      ['tree id', { ...FIXED, tree: 'x' }],
      ['parent id', { ...FIXED, parents: [T.toUpperCase()] }],
      ['< in name', { ...FIXED, author: { name: 'a<b', email: 'e' } }],
      ['newline in email', { ...FIXED, author: { name: 'a', email: 'e\n' } }],
      ['NUL in message', { ...FIXED, message: 'a\0b' }],
      ['lone surrogate in message', { ...FIXED, message: 'a\ud800b' }],
      ['lone surrogate in name', { ...FIXED, author: { name: '\udc00', email: 'e' } }],
      ['fractional time', { ...FIXED, time: 1.5 }],
      ['unsafe time', { ...FIXED, time: 2 ** 53 }],
      ['zone beyond a day', { ...FIXED, tzOffset: 24 * 60 + 1 }],
      ['fractional zone', { ...FIXED, tzOffset: 0.5 }],
      ['metadata key', { ...FIXED, meta: { Bad: 'x' } }],
      ['metadata key __proto__', { ...FIXED, meta: JSON.parse('{"__proto__": "x"}') as Record<string, string> }],
    ];
    for (const [label, c] of bad)
      expect(
        codeOf(() => encodeCommit(c)),
        label,
      ).toBe('BAD_FORMAT');
    // A well-paired surrogate (an emoji) is fine.
    expect(decodeCommit(encodeCommit({ ...FIXED, message: '\u{1f600}' })).message).toBe('\u{1f600}');
  });
});
