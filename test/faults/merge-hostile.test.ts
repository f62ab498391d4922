// Hostile input through `cairn merge-file` (the built CLI): extreme nesting, 50 MB documents, prototype
// keys, duplicate keys, invalid UTF-8, numbers no double can hold. Each gets a correct merge or a clear
// error (exit >= 2 with a code), never a crash (exit 70), a hang, a stack overflow or prototype pollution.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAIRN_BIN, TEST_ENV, runCairn, type RunResult } from '../helpers/cli.js';
import { mergeFile } from '../../src/ops/merge-file.js';
import { tripleFactory } from '../helpers/merge-triples.js';

const { triple, names } = tripleFactory('cairn-merge-hostile-');

/** Runs merge-file and checks that whatever happened, it was not a crash. */
function merge(
  ext: string,
  base: string | Buffer,
  ours: string | Buffer,
  theirs: string | Buffer,
  flags: string[] = [],
): RunResult & { dir: string } {
  const dir = triple(ext, base, ours, theirs);
  const r = runCairn(['merge-file', ...flags, ...names(ext)], { cwd: dir });
  notACrash(r);
  return { ...r, dir };
}

function notACrash(r: RunResult): void {
  expect(r.code, r.stderr).not.toBe(70);
  expect(r.code).toBeGreaterThanOrEqual(0);
  expect(r.stderr).not.toMatch(/internal error|RangeError|Maximum call stack|heap out of memory/);
}

/** The error code a failed run reports with --json. */
function errorCode(r: RunResult): string {
  return (JSON.parse(r.stdout) as { error: { code: string } }).error.code;
}

const deepArray = (depth: number, leaf: string) => '['.repeat(depth) + leaf + ']'.repeat(depth);
const deepObject = (depth: number, leaf: string) => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

describe('nesting 100,000 deep', () => {
  it('json: refused with BAD_FORMAT (exit 7) when both sides changed, no stack overflow', () => {
    for (const deep of [deepArray, deepObject]) {
      const r = merge('.json', deep(100_000, '1'), deep(100_000, '2'), deep(100_000, '3'), ['--json']);
      expect(r.code).toBe(7);
      expect(errorCode(r)).toBe('BAD_FORMAT');
      expect(r.stderr).toContain('nesting deeper than 10000 levels');
      expect(readFileSync(join(r.dir, 'ours.json'), 'utf8')).toBe(deep(100_000, '2'));
    }
  });

  it('json: merged when one side did not change (its bytes are taken as they are)', () => {
    const r = merge('.json', deepArray(100_000, '1'), deepArray(100_000, '1'), deepArray(100_000, '3'), ['-p']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(deepArray(100_000, '3'));
  });

  it('json: just under the limit (9,990 levels), both sides merge', () => {
    const doc = (leaf: string, y: number) => `{"x":${deepObject(9_990, leaf)},"y":${y}}`;
    const r = merge('.json', doc('1', 1), doc('2', 1), doc('1', 2), ['-p']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(doc('2', 2));
    // And a conflict down there is reported with its 9,991-token pointer, in human and --json form.
    const c = merge('.json', doc('1', 1), doc('2', 1), doc('3', 1), ['--json']);
    expect(c.code).toBe(1);
    const report = JSON.parse(c.stdout) as { conflicts: { location: string; base: unknown }[] };
    expect(report.conflicts[0]!.location).toBe('/x' + '/a'.repeat(9_990));
    expect(report.conflicts[0]!.base).toBe(1);
  });

  it('jsonl: a deep value in a record merges field by field; its conflict report prints', () => {
    const line = (v: string, w: number) => `{"id":1,"v":${deepArray(100_000, v)},"w":${w}}\n`;
    const clean = merge('.jsonl', line('1', 1), line('2', 1), line('1', 2), ['-p']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe(line('2', 2));
    const r = merge('.jsonl', line('1', 1), line('2', 1), line('3', 1), ['--json']);
    expect(r.code).toBe(1);
    expect(
      r.stdout.startsWith('{"driver":"jsonl","clean":false,"conflicts":[{"location":"key=1/v","kind":"both-modified","base":[[[['),
    ).toBe(true);
  });

  it('text: one 200,000-character line conflicts like any line', () => {
    const r = merge('.txt', deepArray(100_000, '1') + '\n', deepArray(100_000, '2') + '\n', deepArray(100_000, '3') + '\n', ['-q']);
    expect(r.code).toBe(1);
  });
});

describe('50 MB documents', () => {
  // ~140 bytes a record (~125 in JSON Lines): 370,000 and 410,000 records make ~50 MB.
  const record = (i: number, note: string) =>
    `{"id": ${i}, "name": "user${i}", "email": "user${i}@example.com", "score": ${(i * 7919) % 1000}.${i % 1000}, "active": ${i % 2 === 0}, "tags": ["a${i % 13}", "b${i % 7}"], "note": "${note}"}`;
  const versions = (records: number, wrap: (recs: string[]) => string) => {
    const build = (edit: (i: number) => string) => wrap(Array.from({ length: records }, (_, i) => record(i, edit(i))));
    // Each side edits a different 1% of the records.
    return [
      build(() => 'v0'),
      build((i) => (i % 100 === 1 ? 'ours' : 'v0')),
      build((i) => (i % 100 === 51 ? 'theirs' : 'v0')),
      build((i) => (i % 100 === 1 ? 'ours' : i % 100 === 51 ? 'theirs' : 'v0')),
    ] as const;
  };

  /** merge-file under GNU time when present: exit code, seconds, peak RSS (KiB, or null). */
  function measured(dir: string, ext: string): { code: number; seconds: number; peakKiB: number | null; stderr: string } {
    const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
    const rssFile = join(dir, 'rss');
    const cmd = [process.execPath, CAIRN_BIN, 'merge-file', ...names(ext)];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(time ?? cmd[0]!, time ? ['-f', '%M', '-o', rssFile, ...cmd] : cmd.slice(1), {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', ...TEST_ENV },
      encoding: 'utf8',
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const peakKiB = time ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : null;
    return { code: r.status ?? -1, seconds, peakKiB, stderr: r.stderr };
  }

  for (const [ext, records, wrap] of [
    ['.json', 370_000, (recs: string[]) => `[\n  ${recs.join(',\n  ')}\n]\n`],
    ['.jsonl', 410_000, (recs: string[]) => recs.map((r) => r.replace(/": /g, '":').replace(/, "/g, ',"') + '\n').join('')],
  ] as const) {
    it(`${ext}: both sides' 1% edits merged, in bounded time and memory`, () => {
      const [base, ours, theirs, expected] = versions(records, wrap);
      const dir = triple(ext, base, ours, theirs);
      const m = measured(dir, ext);
      notACrash({ code: m.code, stdout: '', stderr: m.stderr });
      expect(m.code, m.stderr).toBe(0);
      expect(readFileSync(join(dir, `ours${ext}`), 'utf8') === expected).toBe(true);
      const mib = (base.length / 2 ** 20).toFixed(1);
      // Figures for the report (docs/MERGE.md); the bounds are generous for a loaded two-core machine.
      console.log(
        `merge-file ${ext} ${mib} MiB: ${m.seconds.toFixed(1)} s, peak RSS ${m.peakKiB === null ? 'n/a' : `${(m.peakKiB / 1024).toFixed(0)} MiB`}`,
      );
      expect(m.seconds).toBeLessThan(240);
      if (m.peakKiB !== null) expect(m.peakKiB).toBeLessThan(3 * 1024 * 1024);
    }, 300_000);
  }

  it('a single 50 MB string value is carried over untouched', () => {
    const big = 'x'.repeat(50 << 20);
    const r = merge('.json', `{"s":"${big}","n":1,"m":1}`, `{"s":"${big}","n":2,"m":1}`, `{"s":"${big}","n":1,"m":2}`, ['-q']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(r.dir, 'ours.json'), 'utf8')).toBe(`{"s":"${big}","n":2,"m":2}`);
  }, 120_000);
});

describe('prototype keys', () => {
  const base = '{"__proto__": {"x": 1}, "constructor": {"prototype": 1}, "n": 1}';
  const ours = '{"__proto__": {"x": 2}, "constructor": {"prototype": 1}, "n": 1}';
  const theirs = '{"__proto__": {"x": 1}, "constructor": {"prototype": {"polluted": true}}, "n": 1, "prototype": {"polluted": true}}';

  it('json: __proto__, constructor and prototype merge as ordinary keys', () => {
    const r = merge('.json', base, ours, theirs, ['-p']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '{"__proto__": {"x": 2}, "constructor": {"prototype": {"polluted": true}}, "n": 1, "prototype": {"polluted": true}}',
    );
    const c = merge('.json', base, ours, base.replace('"x": 1', '"x": 3'), ['--json']);
    expect(c.code).toBe(1);
    expect(c.stdout).toBe(
      '{"driver":"json","clean":false,"conflicts":[{"location":"/__proto__/x","kind":"both-modified","base":1,"ours":2,"theirs":3}],"settled":0,"written":null}\n',
    );
  });

  it('jsonl and csv: fields and columns named __proto__ and constructor', () => {
    const l = merge(
      '.jsonl',
      '{"id":1,"__proto__":1}\n',
      '{"id":1,"__proto__":2}\n',
      '{"id":1,"__proto__":1,"constructor":{"polluted":1}}\n',
      ['-p'],
    );
    expect(l).toMatchObject({ code: 0, stdout: '{"id":1,"__proto__":2,"constructor":{"polluted":1}}\n' });
    const c = merge('.csv', '__proto__,constructor\n1,a\n', '__proto__,constructor\n1,b\n', '__proto__,constructor\n1,c\n', ['--json']);
    expect(c.code).toBe(1);
    expect(JSON.parse(c.stdout).conflicts).toEqual([
      { location: 'key=1/constructor', kind: 'both-modified', base: 'a', ours: 'b', theirs: 'c' },
    ]);
  });

  it('pollutes nothing in the merging process itself', () => {
    const cases: [string, string, string, string][] = [
      ['.json', base, ours, theirs],
      ['.json', base, ours, base.replace('"x": 1', '"x": 3')],
      [
        '.jsonl',
        '{"id":"__proto__","__proto__":{"polluted":1}}\n',
        '{"id":"__proto__","__proto__":{"polluted":2}}\n',
        '{"id":"__proto__","__proto__":{"polluted":3}}\n',
      ],
      ['.csv', '__proto__,polluted\n__proto__,1\n', '__proto__,polluted\n__proto__,2\n', '__proto__,polluted\n__proto__,3\n'],
    ];
    for (const [ext, b, o, t] of cases) {
      const dir = triple(ext, b, o, t);
      const res = mergeFile({ base: `base${ext}`, ours: `ours${ext}`, theirs: `theirs${ext}`, cwd: dir, write: false });
      expect(res.driver).toBe(ext.slice(1));
      expect(JSON.stringify(res.conflicts)).not.toContain('undefined');
    }
    const probe = {} as Record<string, unknown>;
    expect(probe['polluted']).toBeUndefined();
    expect(probe['x']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  });
});

describe('malformed input', () => {
  it('duplicate keys: json and jsonl refuse with BAD_FORMAT; csv with repeated columns merges as text', () => {
    const ok = '{"a": 1}';
    expect(errorCode(merge('.json', ok, ok.replace('1', '2'), '{"a": 1, "a": 3}', ['--json']))).toBe('BAD_FORMAT');
    expect(errorCode(merge('.jsonl', '{"id":1}\n', '{"id":1,"a":1}\n', '{"id":1,"a":1,"a":2}\n', ['--json']))).toBe('BAD_FORMAT');
    const c = merge('.csv', 'a,a\n1,2\nx,x\n3,4\n', 'a,a\n1,5\nx,x\n3,4\n', 'a,a\n1,2\nx,x\n3,6\n', ['-p']);
    expect(c).toMatchObject({ code: 0, stdout: 'a,a\n1,5\nx,x\n3,6\n' });
  });

  it('invalid UTF-8: refused with BAD_FORMAT by json, jsonl and csv; text merges bytes as git does', () => {
    const bad = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
    expect(errorCode(merge('.json', '{"a":"1"}', '{"a":"2"}', bad, ['--json']))).toBe('BAD_FORMAT');
    expect(
      errorCode(
        merge(
          '.jsonl',
          '{"id":1}\n',
          '{"id":1,"b":1}\n',
          Buffer.concat([bad.subarray(0, 1), Buffer.from('"id":1,'), bad.subarray(1), Buffer.from('\n')]),
          ['--json'],
        ),
      ),
    ).toBe('BAD_FORMAT');
    expect(errorCode(merge('.csv', 'id,v\n1,a\n', 'id,v\n1,b\n', Buffer.from('id,v\n1,\xff\n', 'latin1'), ['--json']))).toBe('BAD_FORMAT');
    const t = merge(
      '.txt',
      Buffer.from('a\n\xff\nc\n', 'latin1'),
      Buffer.from('A\n\xff\nc\n', 'latin1'),
      Buffer.from('a\n\xff\nC\xfe\n', 'latin1'),
      ['-p'],
    );
    expect(t.code).toBe(0);
    const git = spawnSync('git', ['merge-file', '-p', 'ours.txt', 'base.txt', 'theirs.txt'], { cwd: t.dir });
    expect(readFileSync(join(t.dir, 'ours.txt'))).toEqual(Buffer.from('A\n\xff\nc\n', 'latin1'));
    expect(git.stdout).toEqual(Buffer.from('A\n\xff\nC\xfe\n', 'latin1'));
  });

  it('not JSON at all (NaN, comments, trailing commas, empty OURS): BAD_FORMAT, OURS untouched', () => {
    for (const theirs of ['{"a": NaN}', '{"a": 1, // c\n}', '{"a": 1,}', '{"a": Infinity}', '']) {
      const r = merge('.json', '{"a": 1}', '{"a": 2}', theirs, ['--json']);
      expect(r.code, theirs).toBe(7);
      expect(readFileSync(join(r.dir, 'ours.json'), 'utf8')).toBe('{"a": 2}');
    }
  });
});

describe('numbers and strings no JS value holds', () => {
  it('keeps 1e400, 30-digit integers, trailing zeros and -0 exactly, merged or in conflict reports', () => {
    const base = '{"huge": 1e400, "big": 123456789012345678901234567890, "dec": 0.10, "neg": -0, "n": 1}';
    const ours = base.replace('"n": 1', '"n": 2');
    const theirs = base.replace('123456789012345678901234567890', '123456789012345678901234567891').replace('0.10', '0.100');
    const r = merge('.json', base, ours, theirs, ['-p']);
    expect(r).toMatchObject({ code: 0, stdout: '{"huge": 1e400, "big": 123456789012345678901234567891, "dec": 0.100, "neg": -0, "n": 2}' });
    const c = merge('.json', base, base.replace('1e400', '1e401'), base.replace('1e400', '1E400'), ['--json']);
    expect(c.code).toBe(1);
    expect(c.stdout).toContain('"base":1e400,"ours":1e401,"theirs":1E400');
    const l = merge(
      '.jsonl',
      '{"id":12345678901234567890,"v":1}\n',
      '{"id":12345678901234567890,"v":1e400}\n',
      '{"id":12345678901234567890,"v":1,"w":0.10}\n',
      ['-p'],
    );
    expect(l).toMatchObject({ code: 0, stdout: '{"id":12345678901234567890,"v":1e400,"w":0.10}\n' });
  });

  it('keeps lone surrogate escapes', () => {
    const r = merge('.json', '{"a":"\\ud800","b":1}', '{"a":"\\ud800","b":2}', '{"a":"\\udc00x","b":1}', ['-p']);
    expect(r).toMatchObject({ code: 0, stdout: '{"a":"\\udc00x","b":2}' });
  });
});
