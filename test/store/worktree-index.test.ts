import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeIndex, encodeIndex, type IndexEntry } from '../../src/store/worktree-index.js';

const entry = fc.record({
  path: fc.string({ minLength: 1, maxLength: 40 }),
  kind: fc.constantFrom('file' as const, 'exec' as const, 'symlink' as const),
  id: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
  size: fc.nat(),
  mtimeNs: fc.double({ noNaN: true, min: 0, max: 2e18 }),
  ctimeNs: fc.double({ noNaN: true, min: 0, max: 2e18 }),
  ino: fc.nat(),
});

describe('worktree index encoding', () => {
  it('round-trips every entry exactly', () => {
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.path, maxLength: 50 }), (entries: IndexEntry[]) => {
        const decoded = decodeIndex(encodeIndex(entries));
        expect([...decoded.values()]).toEqual(entries.map((e) => ({ ...e, path: Buffer.from(e.path, 'utf8').toString('utf8') })));
      }),
    );
  });

  it('refuses an unknown version', () => {
    const buf = encodeIndex([]);
    buf[0] = 9;
    expect(() => decodeIndex(buf)).toThrowError(expect.objectContaining({ code: 'BAD_FORMAT' }));
  });
});
