// The import rules of .dependency-cruiser.cjs must fire, not just pass: a copy of src/ gets one
// planted violation per rule — nested sub-folders and type-only imports, the ways a rule written
// on import strings would miss — and the real checker must name each one. The real tree is
// checked clean by `npm run structure`, which `npm test` runs first.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(dir: string): Violation[] {
  const bin = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const res = spawnSync(process.execPath, [bin, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  expect(res.stdout, res.stderr).not.toBe('');
  return (JSON.parse(res.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const plants: Record<string, string> = {
  // an upward import two folders deep, type-only
  'src/ops/merge/zz-up.ts': "import type { CommandContext } from '../../cli/context.js';\nexport type Up = CommandContext;\n",
  // an upward import from a nested core folder, and an impure built-in
  'src/core/merge/zz-impure.ts':
    "import { readFileSync } from 'node:fs';\nimport type { Repository } from '../../store/repository.js';\nexport const impure = (r: Repository): Buffer => readFileSync(String(r));\n",
  // core reaching a package
  'src/core/zz-package.ts': "import Database from 'better-sqlite3';\nexport const db = (): unknown => new Database(':memory:');\n",
  // a cycle made only of type imports
  'src/store/zz-a.ts': "import type { B } from './zz-b.js';\nexport interface A { b?: B }\n",
  'src/store/zz-b.ts': "import type { A } from './zz-a.js';\nexport interface B { a?: A }\n",
  // errors.ts importing the project
  'src/errors.ts': "import type { ObjectId } from './core/hash.js';\nexport type Id = ObjectId;\n",
  // sync (nested) importing cli
  'src/sync/server/zz-up.ts': "export { EXIT } from '../../cli/exit.js';\n",
};

describe('import rules', () => {
  let dir: string;
  let found: Violation[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-structure-'));
    cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
    cpSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    for (const [path, text] of Object.entries(plants)) writeFileSync(join(dir, path), text, { flag: path === 'src/errors.ts' ? 'a' : 'w' });
    found = cruise(dir);
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const has = (rule: string, from: string, to: RegExp) => found.some((v) => v.rule.name === rule && v.from === from && to.test(v.to));

  it('catches upward imports from nested folders, type-only ones included', () => {
    expect(has('layer-ops', 'src/ops/merge/zz-up.ts', /^src\/cli\/context\.ts$/)).toBe(true);
    expect(has('layer-core', 'src/core/merge/zz-impure.ts', /^src\/store\/repository\.ts$/)).toBe(true);
    expect(has('layer-sync', 'src/sync/server/zz-up.ts', /^src\/cli\/exit\.ts$/)).toBe(true);
    expect(has('errors-imports-nothing', 'src/errors.ts', /^src\/core\/hash\.ts$/)).toBe(true);
  });

  it('keeps src/core pure: no fs, no packages', () => {
    expect(has('core-is-pure', 'src/core/merge/zz-impure.ts', /^(node:)?fs$/)).toBe(true);
    expect(has('core-is-pure', 'src/core/zz-package.ts', /better-sqlite3/)).toBe(true);
  });

  it('finds a cycle made of type-only imports', () => {
    expect(has('no-cycle', 'src/store/zz-a.ts', /^src\/store\/zz-b\.ts$/)).toBe(true);
  });

  it('names nothing but the plants', () => {
    const planted = new Set(Object.keys(plants));
    expect(found.filter((v) => !planted.has(v.from))).toEqual([]);
  });
});
