// Schema migration: a repository written by the previous format (schema 1, no quarantine table) is
// upgraded in place on open, keeps its refs and objects, and gains the `staged` table.
import { afterAll, expect, test } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Repository } from '../../src/store/repository.js';
import { SCHEMA_VERSION } from '../../src/store/database.js';
import { cairnOk, tempDir } from '../helpers/cli.js';
import { writeFileSync } from 'node:fs';

const tmp = tempDir('cairn-migrate-');
afterAll(() => tmp.cleanup());

test('a schema 1 repository opens as schema 2 with its data intact', () => {
  const dir = tmp.dir;
  cairnOk(['init'], { cwd: dir });
  writeFileSync(join(dir, 'a.txt'), 'hello\n');
  cairnOk(['add', '.'], { cwd: dir });
  cairnOk(['commit', '-m', 'one'], { cwd: dir });
  const head = cairnOk(['rev-parse', 'HEAD'], { cwd: dir }).trim();

  // Turn it back into what the previous cairn wrote.
  const raw = new Database(join(dir, '.cairn', 'cairn.db'));
  raw.exec('DROP TABLE staged');
  raw.prepare("UPDATE meta SET value = '1' WHERE key = 'schema'").run();
  raw.close();

  const repo = Repository.open(dir);
  try {
    expect(repo.refs.resolve('HEAD')).toBe(head);
    expect(repo.objects.stagedStats()).toEqual({ count: 0, bytes: 0 });
    const schema = repo.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string };
    expect(Number(schema.value)).toBe(SCHEMA_VERSION);
  } finally {
    repo.close();
  }
  expect(cairnOk(['fsck'], { cwd: dir })).toContain('no problems found');
});

test('a repository from a newer cairn is refused, not touched', () => {
  const dir = join(tmp.dir, 'newer');
  cairnOk(['init', dir], { cwd: tmp.dir });
  const raw = new Database(join(dir, '.cairn', 'cairn.db'));
  raw.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION + 1));
  raw.close();
  expect(() => Repository.open(dir)).toThrow(/newer than this cairn understands/);
});
