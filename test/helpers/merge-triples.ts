// Folders holding base/ours/theirs files, for merge-file tests: one temp root per test file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './cli.js';

export function tripleFactory(prefix: string): {
  triple: (ext: string, base: string | Buffer, ours: string | Buffer, theirs: string | Buffer) => string;
  names: (ext: string) => string[];
} {
  let tmp: { dir: string; cleanup: () => void };
  let n = 0;
  beforeAll(() => {
    tmp = tempDir(prefix);
  });
  afterAll(() => tmp.cleanup());
  return {
    /** A fresh folder holding base/ours/theirs files with the given extension. */
    triple: (ext, base, ours, theirs) => {
      const dir = join(tmp.dir, `case-${++n}`);
      mkdirSync(dir);
      writeFileSync(join(dir, `base${ext}`), base);
      writeFileSync(join(dir, `ours${ext}`), ours);
      writeFileSync(join(dir, `theirs${ext}`), theirs);
      return dir;
    },
    names: (ext) => [`base${ext}`, `ours${ext}`, `theirs${ext}`],
  };
}
