// kill -9 at varied instants of `cairn merge` (docs/FORMAT.md §15.2): the repository stays whole, the
// branch is either where it was or at the merge commit (never elsewhere), and both recoveries work —
// rerunning the merge finishes it exactly, `merge --abort` gives back the pre-merge files.
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

const KILLS = 24;
const FILES = 240;
const tmp = tempDir('cairn-kill-merge-');
afterAll(() => tmp.cleanup());

function rows(dir: string, edit: (i: number) => Record<string, unknown>): void {
  for (let d = 0; d < 4; d++) mkdirSync(join(dir, 'rows', `p${d}`), { recursive: true });
  for (let i = 0; i < FILES; i++)
    writeFileSync(join(dir, 'rows', `p${i % 4}`, `r${i}.json`), `${JSON.stringify({ id: i, a: 0, b: 0, ...edit(i) }, null, 2)}\n`);
}

function blob(dir: string, seed: number): void {
  const rand = seededRandom(seed);
  const buf = Buffer.allocUnsafe(3 << 20);
  for (let j = 0; j < buf.length; j += 4) buf.writeUInt32LE(Math.floor(rand() * 2 ** 32), j);
  writeFileSync(join(dir, 'model.bin'), buf);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('kill -9 during merge', () => {
  it.skipIf(!existsSync(SWITCH_CLI))(
    `leaves refs valid; a rerun or --abort recovers exactly (${KILLS} kills)`,
    async () => {
      const dir = tmp.dir;
      const ok = (args: string[]) => cairnOk(args, { cwd: dir });
      ok(['init']);
      rows(dir, () => ({}));
      blob(dir, 1);
      writeFileSync(join(dir, 'conflict.json'), '{"x": 0}\n');
      ok(['commit', '-a', '-m', 'base']);
      // topic-clean: every row's `b`, new files, a new blob; topic-conflict adds a clash on conflict.json.
      ok(['switch', '-c', 'topic-clean']);
      rows(dir, (i) => ({ b: i }));
      for (let i = 0; i < 60; i++) writeFileSync(join(dir, 'rows', `new${i}.csv`), `k,v\n${i},t\n`);
      blob(dir, 2);
      ok(['add', '.']);
      ok(['commit', '-m', 'topic edits b']);
      ok(['switch', '-c', 'topic-conflict']);
      writeFileSync(join(dir, 'conflict.json'), '{"x": 2}\n');
      ok(['commit', '-a', '-m', 'topic sets x']);
      ok(['switch', 'main']);
      rows(dir, (i) => ({ a: i }));
      writeFileSync(join(dir, 'conflict.json'), '{"x": 1}\n');
      ok(['commit', '-a', '-m', 'main edits a']);
      const orig = refState(dir).head!;
      const before = snapshotWorktree(dir);
      const topics = { clean: refState(dir).refs['refs/heads/topic-clean']!, conflict: refState(dir).refs['refs/heads/topic-conflict']! };

      // The expected outcomes, and the kill window, from complete runs.
      const durations: number[] = [];
      let t = runCairnTimed(['merge', 'topic-clean'], dir);
      expect(t.code, t.stderr).toBe(0);
      durations.push(t.ms);
      const merged = refState(dir).head!;
      const mergedSnap = snapshotWorktree(dir);
      expect(diffSnapshots(before, mergedSnap).length).toBeGreaterThan(FILES);
      ok(['reset', '--hard', orig]);
      t = runCairnTimed(['merge', 'topic-conflict'], dir);
      expect(t.code, t.stderr).toBe(5);
      durations.push(t.ms);
      const conflictSnap = snapshotWorktree(dir);
      const conflictStatus = ok(['status', '--short']);
      expect(conflictStatus).toContain('UU conflict.json\n');
      ok(['merge', '--abort']);
      expect(diffSnapshots(before, snapshotWorktree(dir))).toEqual([]);

      const rand = seededRandom(0x3e76e);
      const verified = new Set<string>();
      let killed = 0;
      let stateLeft = 0;
      let branchMovedThenKilled = 0;
      for (let round = 0; killed < KILLS; round++) {
        expect(round, 'too many runs finished before their kill').toBeLessThan(KILLS * 3);
        const mode = round % 2 === 0 ? 'clean' : 'conflict';
        const recovery = (round >> 1) % 2 === 0 ? 'rerun' : 'abort';
        const delay = Math.round(rand() * median(durations) * 1.1);
        const where = `round ${round}, merge topic-${mode} killed at ${delay} ms, then ${recovery}`;
        const outcome = await runAndKill(['merge', `topic-${mode}`], dir, delay);
        if (!outcome.finished) killed++;

        const whole = checkWhole(dir, { verified });
        const refs = refState(dir);
        expect(refs.refs['refs/heads/topic-clean'], where).toBe(topics.clean);
        expect(refs.refs['refs/heads/topic-conflict'], where).toBe(topics.conflict);
        expect(refs.headTarget, where).toBe('refs/heads/main');
        expect(mode === 'clean' ? [orig, merged] : [orig], where).toContain(refs.head);
        if (refs.head === merged && !outcome.finished) branchMovedThenKilled++;
        if (existsSync(join(dir, '.cairn', 'merge-state.json'))) stateLeft++;
        expect(await whole, where).toEqual([]);

        if (recovery === 'rerun') {
          const r = await runCairnAsync(['merge', `topic-${mode}`], dir);
          expect(r.code, `${where}: ${r.stderr}`).toBe(mode === 'clean' ? 0 : 5);
          expect(refState(dir).head, where).toBe(mode === 'clean' ? merged : orig);
          expect(diffSnapshots(mode === 'clean' ? mergedSnap : conflictSnap, snapshotWorktree(dir)), where).toEqual([]);
          if (mode === 'clean') expect(ok(['status', '--short']), where).toBe('');
          else expect(ok(['status', '--short']), where).toBe(conflictStatus);
        } else {
          const r = await runCairnAsync(['merge', '--abort'], dir);
          // No state: the kill came before it was written (nothing changed) or after a clean merge ended.
          expect([0, 2], `${where}: ${r.stderr}`).toContain(r.code);
          const head = refState(dir).head;
          expect(diffSnapshots(head === merged ? mergedSnap : before, snapshotWorktree(dir)), where).toEqual([]);
          expect(ok(['status', '--short']), where).toBe('');
        }
        // Back to the start for the next round.
        if (existsSync(join(dir, '.cairn', 'merge-state.json'))) ok(['merge', '--abort']);
        if (refState(dir).head !== orig) ok(['reset', '--hard', orig]);
        expect(diffSnapshots(before, snapshotWorktree(dir)), where).toEqual([]);
        if (round % 6 === 5) {
          const m = runCairnTimed(['merge', 'topic-clean'], dir);
          durations.push(m.ms);
          ok(['reset', '--hard', orig]);
        }
      }
      expect(await checkWhole(dir)).toEqual([]);
      console.log(
        `kill-merge: ${killed} kills (typical merge ${Math.round(median(durations))} ms); ${stateLeft} left a merge state; ${branchMovedThenKilled} killed after the branch moved`,
      );
    },
    600_000,
  );
});
