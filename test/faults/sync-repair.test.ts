// A store that lost objects (issue 9, Integrity): `push` names the lost object (exit 7, not "cannot
// reach URL", exit 8) before sending anything, and a corrupt one the remote refuses as damage
// here (exit 7), and `fetch` / `pull` bring lost objects back from a
// remote that has them — by themselves when a fetch meets one, and for the whole store with
// --repair — so fsck's advice ('cairn fetch --repair') is true. Objects are lost the way fsck's
// tests lose them: their index row deleted (test/helpers/fsck-damage.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Repository } from '../../src/store/repository.js';
import { fsck } from '../../src/ops/fsck.js';
import { readFileObject } from '../../src/store/typed-objects.js';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';
import { startServer, repoUrl, type TestServer } from '../helpers/server.js';
import { deleteIndexRow, flipByte, noise } from '../helpers/fsck-damage.js';

let sandbox: { dir: string; cleanup: () => void };
let srv: TestServer;
let n = 0;

beforeAll(async () => {
  sandbox = tempDir('cairn-sync-repair-');
  srv = await startServer(join(sandbox.dir, 'srv'));
}, 30_000);

afterAll(async () => {
  await srv?.stop();
  sandbox?.cleanup();
});

/** A fresh remote repository with one commit (a.txt, d/b.txt, d/big.bin), and a clone of it. */
function setup(withClone = true): { origin: string; clone: string; name: string } {
  const name = `r${n++}`;
  const origin = join(sandbox.dir, `${name}-origin`);
  mkdirSync(join(origin, 'd'), { recursive: true });
  cairnOk(['init'], { cwd: origin });
  writeFileSync(join(origin, 'a.txt'), 'a\n');
  writeFileSync(join(origin, 'd', 'b.txt'), 'b\n');
  writeFileSync(join(origin, 'd', 'big.bin'), noise(100_000, 3));
  cairnOk(['add', '.'], { cwd: origin });
  cairnOk(['commit', '-m', 'one'], { cwd: origin });
  const url = repoUrl(srv, name);
  cairnOk(['remote', 'add', 'origin', url], { cwd: origin });
  cairnOk(['push', '-u', 'origin', 'main'], { cwd: origin });
  const clone = join(sandbox.dir, `${name}-clone`);
  if (withClone) cairnOk(['clone', url, clone], { cwd: sandbox.dir });
  return { origin, clone, name };
}

function idOf(dir: string, rev: string): string {
  return cairnOk(['rev-parse', rev], { cwd: dir }).trim();
}

function problems(dir: string): { id: string; kind: string }[] {
  const repo = Repository.open(dir);
  try {
    return fsck(repo).problems.map((p) => ({ id: p.id, kind: p.kind }));
  } finally {
    repo.close();
  }
}

function serverMain(name: string): string | null {
  const repo = Repository.open(join(srv.root, name));
  try {
    return repo.refs.resolve('refs/heads/main');
  } finally {
    repo.close();
  }
}

describe('push with an object lost from the local store', () => {
  test.each([
    ['a new file', 'd/new.txt'],
    ['a new folder', 'e'],
    ['a chunk of a new large file', 'e/huge.bin'],
  ])('names the lost object (%s): exit 7 MISSING_OBJECT, nothing sent, the remote unchanged', (_what, lose) => {
    const { origin, name } = setup(false);
    const before = serverMain(name);
    mkdirSync(join(origin, 'e'));
    writeFileSync(join(origin, 'd', 'new.txt'), 'new\n');
    writeFileSync(join(origin, 'e', 'huge.bin'), noise(80_000, 9));
    cairnOk(['add', '.'], { cwd: origin });
    cairnOk(['commit', '-m', 'two'], { cwd: origin });
    let lost = idOf(origin, `HEAD:${lose}`);
    if (lose.endsWith('huge.bin')) {
      // The file object lists its chunks: lose the second one.
      const repo = Repository.open(origin);
      try {
        const f = readFileObject(repo.objects, lost);
        if (f.kind !== 'chunked' || f.chunks.length < 2) throw new Error('huge.bin should be chunked');
        lost = f.chunks[1]!.id;
      } finally {
        repo.close();
      }
    }
    deleteIndexRow(origin, lost);
    const r = runCairn(['push', '--json'], { cwd: origin });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain(`cannot push: object ${lost}`);
    expect(r.stderr).toMatch(/cairn fsck/);
    expect(r.stderr).not.toMatch(/cannot reach|\n\s+at /);
    expect(serverMain(name)).toBe(before);
    expect(problems(origin)).toContainEqual({ id: lost, kind: 'missing' });
  });
});

describe('push with an object corrupt in the local store', () => {
  test('the remote refuses it, and push says the damage is here: exit 7 CORRUPT_OBJECT, not a remote failure (exit 8)', () => {
    const { origin, name } = setup(false);
    const before = serverMain(name);
    writeFileSync(join(origin, 'c.txt'), 'will rot\n');
    cairnOk(['add', '.'], { cwd: origin });
    cairnOk(['commit', '-m', 'two'], { cwd: origin });
    const bad = idOf(origin, 'HEAD:c.txt');
    flipByte(origin, bad);
    const r = runCairn(['push'], { cwd: origin });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain(`cannot push: object ${bad} is corrupt in this repository`);
    expect(r.stderr).toMatch(/cairn fsck/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(serverMain(name)).toBe(before);
  });
});

describe('fetch and pull repair lost objects from a remote that has them', () => {
  test('fetch --repair brings back a lost file, a lost folder with its files, and a lost chunk; fsck is clean after', () => {
    const { clone } = setup();
    const lost = [idOf(clone, 'HEAD:a.txt'), idOf(clone, 'HEAD:d'), idOf(clone, 'HEAD:d/b.txt'), idOf(clone, 'HEAD:d/big.bin')];
    for (const id of lost) deleteIndexRow(clone, id);
    expect(problems(clone).map((p) => p.kind)).toContain('missing');
    const f = runCairn(['fsck'], { cwd: clone });
    expect(f.code).toBe(7);
    expect(f.stdout).toContain("'cairn fetch --repair REMOTE'");
    // A plain fetch finds nothing new: it trusts the store, and has nothing to walk.
    expect(runCairn(['fetch'], { cwd: clone }).stdout).toMatch(/Already up to date/);
    const r = runCairn(['fetch', '--repair', '--json'], { cwd: clone });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { repaired: number }).repaired).toBe(lost.length);
    expect(problems(clone)).toEqual([]);
    // And again: nothing left to repair.
    expect((JSON.parse(cairnOk(['fetch', '--repair', '--json'], { cwd: clone })) as { repaired: number }).repaired).toBe(0);
  });

  test('a plain fetch whose new tree names a lost object repairs it by itself', () => {
    const { origin, clone } = setup();
    const lost = idOf(clone, 'HEAD:a.txt');
    deleteIndexRow(clone, lost);
    // The remote moves on with a.txt unchanged: its new root tree names the lost object, and the
    // server does not send it, because the clone's refs say it has it. (A lost object below an
    // unchanged folder is not met: a plain fetch does not walk what it already stores.)
    writeFileSync(join(origin, 'd', 'b.txt'), 'b2\n');
    cairnOk(['add', '.'], { cwd: origin });
    cairnOk(['commit', '-m', 'two'], { cwd: origin });
    cairnOk(['push'], { cwd: origin });
    const r = runCairn(['fetch'], { cwd: clone });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Repaired 1 object\(s\) missing from the local store/);
    expect(problems(clone)).toEqual([]);
    expect(idOf(clone, 'origin/main')).toBe(idOf(origin, 'HEAD'));
  });

  test('pull --repair repairs, then merges', () => {
    const { origin, clone } = setup();
    deleteIndexRow(clone, idOf(clone, 'HEAD:a.txt'));
    writeFileSync(join(origin, 'c.txt'), 'c\n');
    cairnOk(['add', '.'], { cwd: origin });
    cairnOk(['commit', '-m', 'two'], { cwd: origin });
    cairnOk(['push'], { cwd: origin });
    const r = runCairn(['pull', '--repair'], { cwd: clone });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Repaired 1 object/);
    expect(problems(clone)).toEqual([]);
    expect(idOf(clone, 'HEAD')).toBe(idOf(origin, 'HEAD'));
  });

  test('what the remote lacks too is named (exit 7); what it has is repaired and kept', () => {
    const { clone, name } = setup();
    // A local commit the remote never saw, whose new file is then lost: no remote can bring it back.
    writeFileSync(join(clone, 'local.txt'), 'only here\n');
    cairnOk(['add', '.'], { cwd: clone });
    cairnOk(['commit', '-m', 'local'], { cwd: clone });
    const onlyHere = idOf(clone, 'HEAD:local.txt');
    const shared = idOf(clone, 'HEAD:d/b.txt');
    deleteIndexRow(clone, onlyHere);
    deleteIndexRow(clone, shared);
    const before = serverMain(name);
    const r = runCairn(['fetch', '--repair'], { cwd: clone });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain(onlyHere);
    expect(r.stderr).toMatch(/still missing after the repair/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(problems(clone)).toEqual([{ id: onlyHere, kind: 'missing' }]);
    expect(serverMain(name)).toBe(before);
  });
});
