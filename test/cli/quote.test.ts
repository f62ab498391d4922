// Untrusted text on its way to a terminal: quoteForMessage and escapeControls (src/errors.ts) and
// the printers' quotePath / jsonSafe (src/cli/format.ts). Property tests: nothing a terminal acts
// on survives, a quoted path decodes back to the name, and jsonSafe never changes the JSON value.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeControls, InvalidNameError, MESSAGE_QUOTE_MAX, NotFoundError, quoteForMessage, UnsafePathError } from '../../src/errors.js';
import { jsonSafe, quotePath } from '../../src/cli/format.js';

/** What a terminal may act on: C0 controls, DEL, C1 controls, line separators, bidi overrides. */
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Decodes the C-style escapes quotePath writes (the inverse, for the property). */
function unquote(q: string): string {
  if (!q.startsWith('"')) return q;
  const body = q.slice(1, -1);
  const simple: Record<string, string> = { a: '\u0007', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', '"': '"', '\\': '\\' };
  return body.replace(/\\(u[0-9a-f]{4}|[0-7]{3}|.)/g, (_, e: string) => {
    if (e.startsWith('u') && e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return simple[e] ?? e;
  });
}

const hostileText = fc.string({
  unit: fc.constantFrom(
    'a',
    'é',
    '"',
    '\\',
    ' ',
    '\u001b',
    '[',
    '2',
    'J',
    '\r',
    '\n',
    '\t',
    '\u0007',
    '\u007f',
    '\u009b',
    '\u202e',
    '\u2028',
    '\u{1f600}',
  ),
  maxLength: 30,
});

describe('quotePath', () => {
  it('leaves plain names alone, and quotes the rest as git does', () => {
    expect(quotePath('data/users.csv')).toBe('data/users.csv');
    expect(quotePath('été/ü.json')).toBe('été/ü.json');
    expect(quotePath('a\nb')).toBe('"a\\nb"');
    expect(quotePath('x\u001b[2J')).toBe('"x\\033[2J"');
    expect(quotePath('say "hi"')).toBe('"say \\"hi\\""');
    expect(quotePath('csi\u009b')).toBe('"csi\\u009b"');
  });

  it('never lets a control character through and always decodes back to the name (property)', () => {
    fc.assert(
      fc.property(hostileText, (name) => {
        const q = quotePath(name);
        expect(ACTIVE.test(q)).toBe(false);
        expect(q.includes('\n')).toBe(false);
        expect(unquote(q)).toBe(name);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('quoteForMessage', () => {
  it('escapes controls and cuts long input with an ellipsis and the full length', () => {
    expect(quoteForMessage('a\u001b[2Jb')).toBe('a\\033[2Jb');
    const long = 'x'.repeat(1 << 20);
    const q = quoteForMessage(long);
    expect(q).toBe(`${'x'.repeat(MESSAGE_QUOTE_MAX)}\u2026 (${1 << 20} characters)`);
    // A cut never splits a surrogate pair.
    expect(quoteForMessage('a' + '\u{1f600}'.repeat(150), 2)).toBe('a\u2026 (301 characters)');
  });

  it('is bounded and inert whatever the input (property)', () => {
    fc.assert(
      fc.property(hostileText, fc.integer({ min: 1, max: 40 }), (s, max) => {
        const q = quoteForMessage(s, max);
        expect(ACTIVE.test(q)).toBe(false);
        expect(q.length).toBeLessThanOrEqual(max * 6 + 40);
        if (s.length <= max) expect(q).toBe(escapeControls(s));
      }),
      { numRuns: 1000 },
    );
  });

  it('is what the error classes quote names and paths with', () => {
    const huge = `\u001b]0;x\u0007${'n'.repeat(100_000)}`;
    for (const err of [new InvalidNameError(huge, 'bad'), new NotFoundError('branch', huge), new UnsafePathError(huge, 'bad')]) {
      expect(err.message.length).toBeLessThan(400);
      expect(ACTIVE.test(err.message)).toBe(false);
      expect(Object.values(err.data)).toContain(huge); // the data keeps the exact value
    }
  });
});

describe('jsonSafe', () => {
  it('escapes what JSON.stringify leaves raw and never changes the value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostileText, (v, s) => {
        const value = { v, s };
        const text = jsonSafe(JSON.stringify(value));
        expect(ACTIVE.test(text)).toBe(false);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });
});
