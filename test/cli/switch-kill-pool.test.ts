// kill -9 while worker threads write thousands of new files (the parallel checkout path): HEAD stays
// on one of the two branches, the repository stays whole, and rerunning the switch finishes it
// exactly, partial files included, with a clean status.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnOk, tempDir } from '../helpers/cli.js';
import {
  checkWhole,
  diffSnapshots,
  refState,
  runAndKill,
  runCairnAsync,
  runCairnTimed,
  seededRandom,
  snapshotWorktree,
  SWITCH_CLI,
} from '../faults/helpers.js';

const KILLS = 12;
// Three times the pool's threshold (POOL_MIN_FILES = 512), so every switch takes the worker path.
const FILES = 1536;
const tmp = tempDir('cairn-kill-pool-');
afterAll(() => tmp.cleanup());

describe('kill -9 during a parallel checkout', () => {
  it.skipIf(!existsSync(SWITCH_CLI))(
    `a rerun finishes the switch exactly (${KILLS} kills)`,
    async () => {
      const dir = tmp.dir;
      const rand = seededRandom(0x90017);
      cairnOk(['init', '--initial-branch', 'few'], { cwd: dir });
      writeFileSync(join(dir, 'readme.txt'), 'few\n');
      cairnOk(['commit', '-a', '-m', 'few'], { cwd: dir });
      const want = { few: snapshotWorktree(dir), many: new Map<string, string>() };
      cairnOk(['switch', '-c', 'many'], { cwd: dir });
      for (let i = 0; i < FILES; i++) {
        const d = join(dir, 'rows', `p${i % 30}`);
        if (i < 30) mkdirSync(d, { recursive: true });
        writeFileSync(join(d, `r${i}.json`), `{"id":${i},"pad":"${'x'.repeat(i % 200)}"}\n`);
      }
      writeFileSync(join(dir, 'readme.txt'), 'many\n');
      cairnOk(['commit', '-a', '-m', 'many'], { cwd: dir });
      want.many = snapshotWorktree(dir);
      const branches = refState(dir).refs;

      const durations: number[] = [];
      for (const side of ['few', 'many', 'few', 'many'] as const) {
        const t = runCairnTimed(['switch', side], dir);
        expect(t.code, t.stderr).toBe(0);
        durations.push(t.ms);
      }
      // The median, not the maximum: one slow warm-up under load would push most kills past the end of
      // the switch, and rounds that finish first do not count as kills.
      const typical = [...durations].sort((a, b) => a - b)[durations.length >> 1]!;
      let on: 'few' | 'many' = 'many';
      let killed = 0;
      // Objects never change once stored (docs/FORMAT.md §15.3): each round verifies only what is new.
      const verified = new Set<string>();
      for (let round = 0; killed < KILLS; round++) {
        expect(round, `too many switches finished before their kill (typical ${Math.round(typical)} ms)`).toBeLessThan(KILLS * 3);
        const to: 'few' | 'many' = on === 'few' ? 'many' : 'few';
        const delay = Math.round(rand() * typical);
        const where = `round ${round}, ${on} -> ${to}, kill at ${delay} ms`;
        const outcome = await runAndKill(['switch', to], dir, delay);
        if (!outcome.finished) killed++;
        else expect(outcome.code, `${where}: ${outcome.stderr}`).toBe(0);
        const refs = refState(dir);
        expect(refs.refs, where).toEqual(branches);
        expect(['refs/heads/few', 'refs/heads/many'], where).toContain(refs.headTarget);
        expect(await checkWhole(dir, { verified }), where).toEqual([]);
        const rerun = await runCairnAsync(['switch', to], dir);
        expect(rerun.code, `${where}: rerun: ${rerun.stderr}`).toBe(0);
        expect(diffSnapshots(want[to], snapshotWorktree(dir)), where).toEqual([]);
        expect(cairnOk(['status', '--short'], { cwd: dir }), where).toBe('');
        on = to;
      }
    },
    600_000,
  );
});
