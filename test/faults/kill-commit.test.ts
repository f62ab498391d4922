// kill -9 at varied instants of `cairn commit -a` (docs/FORMAT.md §15.2): afterwards the repository is
// whole, every ref names a complete commit, no worktree byte changed, and re-running finishes the job.
import { mkdirSync, openSync, closeSync, writeSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnOk, tempDir } from '../helpers/cli.js';
import {
  checkWhole,
  commitIds,
  diffSnapshots,
  refState,
  runAndKill,
  runCairnAsync,
  runCairnTimed,
  seededRandom,
  snapshotWorktree,
  worktreeIds,
} from './helpers.js';
import { Repository } from '../../src/store/repository.js';
import { readCommit } from '../../src/store/typed-objects.js';

const KILLS = 50;
const SMALL_FILES = 300;
const BIG_FILES = 3;
const BIG_SIZE = 3 << 20;

const tmp = tempDir('cairn-kill-commit-');
afterAll(() => tmp.cleanup());

function makeDataset(dir: string, rand: () => number): void {
  for (let d = 0; d < 6; d++) mkdirSync(join(dir, 'rows', `part${d}`), { recursive: true });
  for (let i = 0; i < SMALL_FILES; i++) writeFileSync(smallPath(dir, i), `{"id":${i},"value":${rand()}}\n`.repeat(1 + (i % 40)));
  for (let i = 0; i < BIG_FILES; i++) {
    const buf = Buffer.allocUnsafe(BIG_SIZE);
    for (let j = 0; j < buf.length; j += 4) buf.writeUInt32LE(Math.floor(rand() * 2 ** 32), j);
    writeFileSync(join(dir, `blob${i}.bin`), buf);
  }
}

function smallPath(dir: string, i: number): string {
  return join(dir, 'rows', `part${i % 6}`, `r${i}.json`);
}

/** One round of edits: a few small files rewritten, one created, one deleted, 64 KiB of two big files overwritten. */
function editDataset(dir: string, round: number, rand: () => number): void {
  for (let k = 0; k < 5; k++)
    writeFileSync(smallPath(dir, Math.floor(rand() * SMALL_FILES)), `{"round":${round},"k":${k},"v":${rand()}}\n`);
  writeFileSync(join(dir, 'rows', `new-${round}.json`), `{"round":${round}}\n`);
  if (round > 0) rmSync(join(dir, 'rows', `new-${round - 1}.json`), { force: true });
  const patch = Buffer.alloc(64 << 10, round & 0xff);
  for (const b of [round % BIG_FILES, (round + 1) % BIG_FILES]) {
    const fd = openSync(join(dir, `blob${b}.bin`), 'r+');
    writeSync(fd, patch, 0, patch.length, Math.floor(rand() * (BIG_SIZE - patch.length)));
    closeSync(fd);
  }
}

describe('kill -9 during commit', () => {
  it(`leaves a whole repository and an intact worktree, and a re-run finishes (${KILLS} kills)`, async () => {
    const dir = tmp.dir;
    const rand = seededRandom(0xc0ffee);
    cairnOk(['init'], { cwd: dir });
    makeDataset(dir, rand);
    expect(runCairnTimed(['commit', '-a', '-m', 'base'], dir).code).toBe(0);
    // The kill window is measured first: complete commits of one round's edits, nothing else running.
    const durations: number[] = [];
    for (let r = 0; r < 3; r++) {
      editDataset(dir, 1000 + r, rand);
      const t = runCairnTimed(['commit', '-a', '-m', `warm ${r}`], dir);
      expect(t.code).toBe(0);
      durations.push(t.ms);
    }
    // Every eighth round runs to completion to re-measure, so the window follows load changes during
    // the test. (Runs that happen to finish before their kill would bias it: they are the short ones.)
    const typical = () => median(durations.slice(-5));

    const verified = new Set<string>();
    const delays: number[] = [];
    let killed = 0;
    let finishedFirst = 0;
    let movedThenKilled = 0;
    const started = performance.now();
    for (let round = 0; killed < KILLS; round++) {
      expect(round, `too many runs finished before their kill (durations ${durations.map(Math.round).join(' ')} ms)`).toBeLessThan(
        KILLS * 2,
      );
      editDataset(dir, round, rand);
      const before = snapshotWorktree(dir);
      const headBefore = refState(dir).head!;
      const measuring = round % 8 === 7;
      const delay = measuring ? 60_000 : Math.round(rand() * typical() * 1.1);
      if (!measuring) delays.push(delay);
      const where = `round ${round}, kill due at ${delay} ms`;

      const outcome = await runAndKill(['commit', '-a', '-m', `round ${round}`], dir, delay);
      if (outcome.finished) {
        expect(outcome.code, `${where}: ${outcome.stderr}`).toBe(0);
        if (measuring) durations.push(outcome.ms);
        else finishedFirst++;
      } else killed++;

      // `cairn fsck` runs in a child while the same process checks closure, refs and worktree.
      const whole = checkWhole(dir, { verified });
      // The branch either stayed or moved to a complete commit made on top of the old head.
      const headAfter = refState(dir).head!;
      if (headAfter !== headBefore) {
        if (!outcome.finished) movedThenKilled++;
        const repo = Repository.open(dir);
        try {
          expect(readCommit(repo.objects, headAfter).parents, where).toEqual([headBefore]);
        } finally {
          repo.close();
        }
      }
      expect(diffSnapshots(before, snapshotWorktree(dir)), where).toEqual([]);
      expect(await whole, where).toEqual([]);

      if (!outcome.finished) {
        const rerun = runCairnAsync(['commit', '-a', '-m', `round ${round} again`], dir);
        const wanted = worktreeIds(dir);
        const r = await rerun;
        // 0: committed; 1: the killed run had already moved the branch, nothing was left to commit.
        expect([0, 1], `${where}: ${r.stderr}`).toContain(r.code);
        if (r.code === 1) expect(headAfter, where).not.toBe(headBefore);
        expect(commitIds(dir), where).toEqual(wanted);
      } else expect(commitIds(dir), where).toEqual(worktreeIds(dir));
      expect(diffSnapshots(before, snapshotWorktree(dir)), where).toEqual([]);
    }
    expect(await checkWhole(dir)).toEqual([]);
    console.log(
      `kill-commit: ${killed} kills at 0..${Math.max(...delays)} ms (typical commit ${Math.round(typical())} ms); ` +
        `${finishedFirst} runs finished before their kill; ${movedThenKilled} killed after moving the branch; ` +
        `${Math.round((performance.now() - started) / 1000)} s`,
    );
  }, 900_000);
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
