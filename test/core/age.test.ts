// Ages for `reflog expire --expire` and `gc.reflogExpire` (and gc's --prune later): every spelling
// of every unit parses to the same milliseconds, nothing else parses, and a refusal is USAGE.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { AGE_UNITS, MAX_AGE_MS, cutoffFor, parseAge } from '../../src/core/age.js';
import { codeOf } from '../helpers/errors.js';

const UNIT_MS: Record<string, number> = {
  second: 1000,
  sec: 1000,
  minute: 60_000,
  min: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
};

describe('parseAge', () => {
  it('reads the documented examples', () => {
    expect(parseAge('90.days')).toBe(90 * 86_400_000);
    expect(parseAge('2.weeks')).toBe(14 * 86_400_000);
    expect(parseAge('3600')).toBe(3_600_000);
    expect(parseAge('now')).toBe(0);
    expect(parseAge('never')).toBe(Infinity);
    expect(parseAge('2.weeks.ago')).toBe(14 * 86_400_000);
    expect(parseAge(' 1 Hour ')).toBe(3_600_000);
  });

  it('knows exactly the units it lists', () => {
    expect([...AGE_UNITS].sort()).toEqual(Object.keys(UNIT_MS).sort());
  });

  it('n.unit, n.units, "n unit", any case, with or without .ago: all n × the unit', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.constantFrom(...Object.keys(UNIT_MS)),
        fc.boolean(),
        fc.constantFrom('.', ' ', '  '),
        fc.constantFrom('', '.ago', ' ago'),
        fc.boolean(),
        (n, unit, plural, sep, ago, upper) => {
          let text = `${n}${sep}${unit}${plural ? 's' : ''}${ago}`;
          if (upper) text = text.toUpperCase();
          expect(parseAge(text)).toBe(n * UNIT_MS[unit]!);
        },
      ),
    );
  });

  it('a bare whole number is seconds, and ages grow with the number', () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e9), (a, b) => {
        expect(parseAge(String(a))).toBe(a * 1000);
        a %= 1e6;
        b %= 1e6;
        if (a < b) expect(parseAge(`${a}.days`)).toBeLessThan(parseAge(`${b}.days`));
      }),
    );
  });

  it('refuses everything else with USAGE, never NaN or a negative age', () => {
    const bad = [
      '',
      ' ',
      'yesterday',
      '-1',
      '-1.day',
      '1.5.days',
      '1e3',
      '0x10',
      '2.fortnights',
      'days',
      '.days',
      '1..days',
      '1.day.later',
      'now.ago',
      'inf',
    ];
    for (const text of bad)
      expect(
        codeOf(() => parseAge(text)),
        text,
      ).toBe('USAGE');
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        let ms: number | undefined;
        const code = codeOf(() => {
          ms = parseAge(text);
        });
        if (code === undefined) {
          expect(ms === Infinity || (Number.isSafeInteger(ms) && ms! >= 0)).toBe(true);
          expect(text.trim()).toMatch(/^(now|never|\d+([. ]+[a-z]+)*)$/i);
        } else expect(code).toBe('USAGE');
      }),
    );
  });

  it('refuses an age past the largest safe number of ms instead of rounding it', () => {
    expect(codeOf(() => parseAge('999999999999999999.years'))).toBe('USAGE');
    expect(codeOf(() => parseAge('9'.repeat(400)))).toBe('USAGE');
    expect(parseAge(String(Math.floor(MAX_AGE_MS / 1000)))).toBeLessThanOrEqual(MAX_AGE_MS);
  });

  it('the error names where the age came from', () => {
    expect(() => parseAge('soon', 'gc.reflogExpire')).toThrow(/gc\.reflogExpire 'soon'/);
  });
});

describe('cutoffFor', () => {
  it('is now minus the age; never means no cutoff at all', () => {
    fc.assert(
      fc.property(fc.nat(1e12), fc.nat(1e12), (age, now) => {
        expect(cutoffFor(age, now)).toBe(now - age);
      }),
    );
    expect(cutoffFor(Infinity, 1)).toBe(-Infinity);
    expect(cutoffFor(0, 5)).toBe(5);
  });
});
