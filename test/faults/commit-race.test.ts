// Two commits racing on one branch (DESIGN: "a lost race is detected, never a lost update"): one
// moves the branch, the other fails with REF_MOVED (exit 6) naming its commit, which stays stored.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cairnOk, tempDir } from '../helpers/cli.js';
import { checkWhole, refState, runCairnAsync, seededRandom } from './helpers.js';
import { CairnError } from '../../src/errors.js';
import { Repository } from '../../src/store/repository.js';
import { readCommit } from '../../src/store/typed-objects.js';
import { commit, type CommitResult } from '../../src/ops/commit.js';
import { flattenToMap } from '../../src/ops/tree/tree-walk.js';
import { fsck } from '../../src/ops/fsck.js';

const AUTHOR = { name: 'Test', email: 'test@example.com' };
const tmp = tempDir('cairn-commit-race-');
afterAll(() => tmp.cleanup());

interface Side {
  label: string;
  code: number;
  /** The commit this process made: its result id, or the id named by its REF_MOVED error. */
  id: string | undefined;
  errorCode: string | undefined;
}

function parseSide(label: string, r: { code: number; stdout: string; stderr: string }): Side {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const json = line === '' ? {} : (JSON.parse(line) as { id?: string; error?: { code: string; data: { newId?: string } } });
  return { label, code: r.code, id: json.id ?? json.error?.data.newId, errorCode: json.error?.code };
}

function readParents(dir: string, id: string): string[] {
  const repo = Repository.open(dir);
  try {
    expect(repo.objects.get(id, 'commit').type).toBe('commit');
    return readCommit(repo.objects, id).parents;
  } finally {
    repo.close();
  }
}

/**
 * Starts `cairn commit` twice at once and checks the outcome, whichever order the processes ran in.
 * Returns true when the two really raced (one lost with REF_MOVED).
 */
async function raceOnce(dir: string, argsA: string[], argsB: string[], where: string): Promise<boolean> {
  const head = refState(dir).head;
  const [ra, rb] = await Promise.all([runCairnAsync(argsA, dir), runCairnAsync(argsB, dir)]);
  const a = parseSide('A', ra);
  const b = parseSide('B', rb);
  const detail = `${where}\nA: ${ra.code} ${ra.stdout}${ra.stderr}\nB: ${rb.code} ${rb.stdout}${rb.stderr}`;
  const tip = refState(dir).head!;
  expect(await checkWhole(dir), detail).toEqual([]);
  const lost = [a, b].filter((s) => s.errorCode !== undefined);
  if (lost.length > 0) {
    // A real race: exactly one loser, exit 6 with REF_MOVED; both commits stored, both on the old head.
    expect(lost, detail).toHaveLength(1);
    const loser = lost[0]!;
    const winner = loser === a ? b : a;
    expect(loser.errorCode, detail).toBe('REF_MOVED');
    expect(loser.code, detail).toBe(6);
    expect(winner.code, detail).toBe(0);
    expect(tip, detail).toBe(winner.id);
    expect(loser.id, detail).toMatch(/^[0-9a-f]{64}$/);
    expect(loser.id, detail).not.toBe(winner.id);
    expect(readParents(dir, loser.id!), detail).toEqual(head === null ? [] : [head]);
    expect(readParents(dir, winner.id!), detail).toEqual(head === null ? [] : [head]);
    return true;
  }
  // They ran one after the other: the second built on the first, or (A without --allow-empty)
  // found nothing left to commit because B already committed the staged files.
  expect(b.code, detail).toBe(0);
  if (a.code === 1) {
    expect(tip, detail).toBe(b.id);
    expect(readParents(dir, b.id!), detail).toEqual(head === null ? [] : [head]);
  } else {
    expect(a.code, detail).toBe(0);
    const [first, second] = tip === a.id ? [b, a] : [a, b];
    expect(tip, detail).toBe(second.id);
    expect(readParents(dir, second.id!), detail).toEqual([first.id]);
    expect(readParents(dir, first.id!), detail).toEqual(head === null ? [] : [head]);
  }
  return false;
}

describe('racing commits', () => {
  it('two `cairn commit` processes on one branch: one wins, the loser fails cleanly and its commit stays stored', async () => {
    const dir = join(tmp.dir, 'cli');
    cairnOk(['init', 'cli'], { cwd: tmp.dir });
    writeFileSync(join(dir, 'base.txt'), 'base\n');
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: dir });
    const rand = seededRandom(7);
    let races = 0;
    // As asked of scripts: stage first, then commit from two processes at once.
    for (let round = 0; round < 10; round++) {
      writeFileSync(join(dir, `staged-${round}.txt`), `round ${round}\n`);
      cairnOk(['add', '.'], { cwd: dir });
      if (
        await raceOnce(
          dir,
          ['commit', '--json', '-m', `A ${round}`],
          ['commit', '--json', '-m', `B ${round}`, '--allow-empty'],
          `staged round ${round}`,
        )
      )
        races++;
    }
    // `commit -a` hashes a changed 3 MiB file after reading HEAD, which widens the window to a real race.
    const big = Buffer.allocUnsafe(3 << 20);
    let wide = 0;
    let round = 0;
    // At least three rounds, and more (up to twelve) until one really raced through the CLI.
    for (; round < 3 || (races + wide === 0 && round < 12); round++) {
      for (let j = 0; j < big.length; j += 4) big.writeUInt32LE(Math.floor(rand() * 2 ** 32), j);
      writeFileSync(join(dir, 'big.bin'), big);
      if (
        await raceOnce(
          dir,
          ['commit', '-a', '--json', '-m', `A wide ${round}`],
          ['commit', '-a', '--json', '-m', `B wide ${round}`, '--allow-empty'],
          `-a round ${round}`,
        )
      )
        wide++;
    }
    console.log(`commit-race: ${races}/10 staged rounds and ${wide}/${round} '-a' rounds really raced (REF_MOVED)`);
    expect(races + wide).toBeGreaterThan(0);
    expect(await checkWhole(dir)).toEqual([]);
  }, 120_000);

  it('a commit whose branch moved after it read HEAD fails with REF_MOVED and keeps its commit (deterministic)', async () => {
    const dir = join(tmp.dir, 'lib');
    cairnOk(['init', 'lib'], { cwd: tmp.dir });
    writeFileSync(join(dir, 'base.txt'), 'base\n');
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: dir });
    const head = refState(dir).head!;
    // A file past 1 MiB makes `add` report progress, i.e. call back between reading HEAD and
    // moving the branch: that is where the other writer strikes.
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(3 << 20, 7));
    const mine = Repository.open(dir);
    const other = Repository.open(dir);
    let theirs: CommitResult | undefined;
    let error: unknown;
    try {
      commit(mine, {
        message: 'mine',
        author: AUTHOR,
        time: 1700000000000,
        all: true,
        onProgress: () => {
          theirs ??= commit(other, { message: 'theirs', author: AUTHOR, time: 1700000001000, allowEmpty: true });
        },
      });
    } catch (err) {
      error = err;
    } finally {
      other.close();
      mine.close();
    }
    expect(theirs?.committed, 'the other writer ran in the window').toBe(true);
    expect(error).toBeInstanceOf(CairnError);
    const e = error as CairnError;
    expect(e.code).toBe('REF_MOVED');
    expect(e.data).toMatchObject({ ref: 'refs/heads/main', expected: head, found: theirs!.committed ? theirs!.id : '' });
    const loserId = e.data['newId'] as string;

    // The branch holds the winner; the loser's commit is stored, complete and readable by its id.
    expect(refState(dir).head).toBe(theirs!.committed ? theirs!.id : '');
    expect(await checkWhole(dir)).toEqual([]);
    const repo = Repository.open(dir);
    try {
      expect(repo.objects.get(loserId).type).toBe('commit');
      const c = readCommit(repo.objects, loserId);
      expect(c.parents).toEqual([head]);
      expect(c.message).toBe('mine\n');
      expect([...flattenToMap(repo.objects, c.tree).keys()]).toEqual(['base.txt', 'big.bin']);
    } finally {
      repo.close();
    }
    // The CLI can name it too, and merging or branching from it is possible.
    cairnOk(['branch', 'rescued', loserId], { cwd: dir });
    expect(refState(dir).refs['refs/heads/rescued']).toBe(loserId);
    expect(await checkWhole(dir)).toEqual([]);
  });
});

describe('fsck beside a writer', () => {
  it('never reports damage while another process keeps storing objects in new packs', async () => {
    const dir = join(tmp.dir, 'busy');
    cairnOk(['init', 'busy'], { cwd: tmp.dir });
    writeFileSync(join(dir, 'base.txt'), 'base\n');
    cairnOk(['commit', '-a', '-m', 'base'], { cwd: dir });
    // The writer opens the repository again and again: every flush registers a new pack and its
    // objects in one transaction, as each `cairn commit` process does, only thousands of times faster.
    const script = `
      import { Repository } from ${JSON.stringify(join(REPO_ROOT, 'dist', 'store', 'repository.js'))};
      import { randomBytes } from 'node:crypto';
      const until = Date.now() + 4000;
      let n = 0;
      while (Date.now() < until) {
        const repo = Repository.open(process.cwd());
        repo.objects.put('chunk', randomBytes(200));
        repo.objects.flush();
        repo.close();
        n++;
      }
      console.log(n);`;
    const writer = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    let written = '';
    writer.stdout.on('data', (d: Buffer) => (written += d.toString()));
    const done = new Promise<number | null>((resolve) => writer.on('close', resolve));
    let finished = false;
    void done.then(() => (finished = true));
    let runs = 0;
    const problems: string[] = [];
    await new Promise((r) => setTimeout(r, 300));
    while (!finished) {
      const repo = Repository.open(dir);
      try {
        const res = fsck(repo);
        problems.push(...res.problems.map((p) => `${p.kind} ${p.type} ${p.id}: ${p.message}`));
      } finally {
        repo.close();
      }
      runs++;
      await new Promise((r) => setImmediate(r));
    }
    expect(await done).toBe(0);
    expect(Number(written)).toBeGreaterThan(100);
    expect(runs).toBeGreaterThan(5);
    expect(problems.slice(0, 5)).toEqual([]);
  });
});
