// Hostile input to the json driver: nesting far past the limit, documents at the limit, a 50 MB
// document, prototype keys, duplicate keys, invalid UTF-8, numbers JS cannot hold, huge objects and
// arrays shuffled to defeat the diff. A clear error or a correct merge, never a crash or a hang.
import { describe, it, expect } from 'vitest';
import { mergeJson } from '../../../src/core/merge/json-merge.js';
import { MAX_JSON_DEPTH, parseJson } from '../../../src/core/merge/json-parse.js';
import { stringifyPlain } from '../../../src/core/merge/json-print.js';
import { applyJsonPatch, jsonDiff } from '../../../src/core/merge/json-patch.js';
import { canonicalJson } from '../../../src/core/merge/json-value.js';
import { errorOf } from '../../helpers/errors.js';

const merge = (base: string | Buffer | null, ours: string | Buffer, theirs: string | Buffer, favor?: 'ours' | 'theirs') =>
  mergeJson({
    base: base === null ? null : Buffer.from(base),
    ours: Buffer.from(ours),
    theirs: Buffer.from(theirs),
    path: 'h.json',
    favor,
  });

/** {"a":{"a":...{"v":v,"w":w}...}} nested `depth` objects deep. */
const nested = (depth: number, v: number, w: number) => '{"a":'.repeat(depth - 1) + `{"v":${v},"w":${w}}` + '}'.repeat(depth - 1);

describe('json merge under hostile input', () => {
  it('refuses 100,000 levels of nesting on any side with BAD_FORMAT, not a stack overflow', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const deepObj = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    for (const [b, o, t] of [
      ['[]', deep, '[1]'],
      ['[]', '[1]', deep],
      [deep, '[1]', '[2]'],
      ['{}', deepObj, '{"b":1}'],
    ]) {
      const e = errorOf(() => merge(b!, o!, t!));
      expect(e.code).toBe('BAD_FORMAT');
      expect(e.message).toContain(`nesting deeper than ${MAX_JSON_DEPTH}`);
    }
  });

  it(`merges, reports, prints and diffs documents ${MAX_JSON_DEPTH} levels deep`, () => {
    const base = nested(MAX_JSON_DEPTH, 1, 1);
    const clean = merge(base, nested(MAX_JSON_DEPTH, 2, 1), nested(MAX_JSON_DEPTH, 1, 3));
    expect(clean.conflicts).toEqual([]);
    expect(clean.content.toString()).toBe(nested(MAX_JSON_DEPTH, 2, 3));

    const clash = merge(base, nested(MAX_JSON_DEPTH, 2, 1), nested(MAX_JSON_DEPTH, 3, 1));
    expect(clash.conflicts).toHaveLength(1);
    expect(clash.conflicts[0]!.location).toBe('/a'.repeat(MAX_JSON_DEPTH - 1) + '/v');
    expect(clash.content.toString()).toBe(nested(MAX_JSON_DEPTH, 2, 1));

    // A conflict holding a whole deep subtree can still be written out (JSON.stringify cannot).
    const whole = merge('{"x": 1}', `{"x": ${nested(MAX_JSON_DEPTH - 1, 1, 1)}}`, '{"x": 2}');
    expect(stringifyPlain(whole.conflicts[0]!.ours)).toBe(nested(MAX_JSON_DEPTH - 1, 1, 1));

    const ops = jsonDiff(Buffer.from(base), Buffer.from(nested(MAX_JSON_DEPTH, 5, 6)));
    expect(ops).toHaveLength(2);
    expect(canonicalJson(applyJsonPatch(parseJson(base), ops))).toBe(canonicalJson(parseJson(nested(MAX_JSON_DEPTH, 5, 6))));
  });

  it('treats __proto__, constructor and prototype as ordinary keys and never pollutes Object.prototype', () => {
    const base = '{"__proto__": {"x": 1}, "constructor": {"prototype": {"y": 1}}, "list": [{"id": "__proto__", "v": 1}]}';
    const ours =
      '{"__proto__": {"x": 2}, "constructor": {"prototype": {"y": 1}}, "list": [{"id": "__proto__", "v": 1}], "prototype": {"polluted": true}}';
    const theirs =
      '{"__proto__": {"x": 1, "polluted": true}, "constructor": {"prototype": {"y": 2}}, "list": [{"id": "__proto__", "v": 2}, {"id": "constructor"}]}';
    const r = merge(base, ours, theirs);
    expect(r.conflicts).toEqual([]);
    expect(canonicalJson(parseJson(r.content))).toBe(
      canonicalJson(
        parseJson(
          '{"__proto__": {"x": 2, "polluted": true}, "constructor": {"prototype": {"y": 2}}, "list": [{"id": "__proto__", "v": 2}, {"id": "constructor"}], "prototype": {"polluted": true}}',
        ),
      ),
    );
    const clash = merge('{"__proto__": {"polluted": 0}}', '{"__proto__": {"polluted": 1}}', '{"__proto__": {"polluted": 2}}');
    expect(clash.conflicts[0]!.location).toBe('/__proto__/polluted');
    const whole = merge('{"k": 0}', '{"k": {"__proto__": {"polluted": 1}}}', '{"k": 1}');
    const ours1 = whole.conflicts[0]!.ours as Record<string, unknown>;
    expect(Object.keys(ours1)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('x');
  });

  it('refuses duplicate keys and invalid UTF-8 on any side, naming the side', () => {
    const sides = ['base', 'ours', 'theirs'] as const;
    for (const [i, side] of sides.entries()) {
      const docs = ['{"a": 0}', '{"a": 1}', '{"a": 2}'];
      docs[i] = '{"a": 1, "b": {"c": 1, "c": 2}}';
      const e = errorOf(() => merge(docs[0]!, docs[1]!, docs[2]!));
      expect([e.code, e.data['pointer']]).toEqual(['BAD_FORMAT', '/b/c']);
      expect(e.message).toContain(`(${side})`);
      const bufs = docs.map((d) => Buffer.from(d)) as Buffer[];
      bufs[i] = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]); // {"a":"\xc3("}
      const u = errorOf(() => merge(bufs[0]!, bufs[1]!, bufs[2]!));
      expect(u.code).toBe('BAD_FORMAT');
      expect(u.message).toContain(`(${side})`);
    }
  });

  it('keeps numbers JS cannot hold byte for byte through a merge', () => {
    const base = '{"huge": 1e400, "big": 123456789012345678901234567890, "neg": -1e-400, "dec": 0.1000, "n": 1}';
    const r = merge(base, base.replace('"n": 1', '"n": 2'), base.replace('0.1000', '0.10000'));
    expect(r.content.toString()).toBe('{"huge": 1e400, "big": 123456789012345678901234567890, "neg": -1e-400, "dec": 0.10000, "n": 2}');
  });

  it('merges an object of 200,000 keys and an array shuffled against its base in reasonable time', () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `"k${i}": ${i}`);
    const big = `{${keys.join(', ')}}`;
    const t0 = performance.now();
    const r = merge(big, big.replace('"k5": 5', '"k5": -5'), big.replace('"k199999": 199999', '"k199999": 0'));
    expect(r.conflicts).toEqual([]);
    expect(r.content.toString()).toContain('"k5": -5');
    expect(r.content.toString()).toContain('"k199999": 0}');
    expect(errorOf(() => merge(big, `{${keys.join(', ')}, "k3": 1}`, '{}')).data['pointer']).toBe('/k3');

    const n = 100_000;
    const list = Array.from({ length: n }, (_, i) => i);
    const shuffled = list.map((_, i) => (i * 7919) % n);
    // Ours rewrote the stretch theirs appended to, so this may well be a conflict: it must just finish.
    const s = merge(JSON.stringify(list), JSON.stringify(shuffled), JSON.stringify([...list, -1]));
    expect(JSON.parse(s.content.toString()).length).toBeGreaterThanOrEqual(n);
    expect(performance.now() - t0).toBeLessThan(60_000);
  });

  it("merges a 50 MB document in bounded time and memory, with both sides' changes", () => {
    const n = 320_000;
    const doc = (change: (i: number) => string | null, extra = '') => {
      const parts: string[] = [];
      for (let i = 0; i < n; i++)
        parts.push(
          `  {"id": ${i}, "name": "item number ${i}", "price": ${(i * 0.37).toFixed(2)}, "tags": ["a", "b"], "note": ${change(i) ?? '"unchanged text here"'}, "big": 123456789012345678901234567890}`,
        );
      return Buffer.from('[\n' + parts.join(',\n') + extra + '\n]\n');
    };
    const base = doc(() => null);
    const ours = doc((i) => (i % 100 === 1 ? '"ours"' : null));
    const theirs = doc((i) => (i % 100 === 50 ? '"theirs"' : null), ',\n  {"id": -1, "name": "new"}');
    expect(base.length).toBeGreaterThan(50e6);
    const rssBefore = process.resourceUsage().maxRSS * 1024;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const r = mergeJson({ base, ours, theirs, path: 'big.json' });
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - rssBefore;
    expect(r.conflicts).toEqual([]);
    const text = r.content.toString();
    expect(text.split('"ours"').length - 1).toBe(n / 100);
    expect(text.split('"theirs"').length - 1).toBe(n / 100);
    // Ours' lines are kept: one line per record, the new record in the same style.
    expect(text.split('\n').length).toBe(base.toString().split('\n').length + 1);
    expect(text.endsWith('  {"id": -1, "name": "new"}\n]\n')).toBe(true);
    console.info(
      `50 MB merge: ${(base.length / 1e6).toFixed(1)} MB x3, ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU, peak RSS growth ${(peakGrowth / 1e6).toFixed(0)} MB`,
    );
    expect(seconds).toBeLessThan(120);
    // Proportional to the input: the three documents held as values, with room for the merged one.
    expect(peakGrowth).toBeLessThan(25 * base.length);
  }, 300_000);
});
