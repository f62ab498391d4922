import { describe, it, expect, afterEach } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cairnOk, runCairn, tempDir } from '../helpers/cli.js';

let cleanup: () => void = () => undefined;
afterEach(() => cleanup());

/** main and other both change /a of x.json: merging other into main stops on a conflict. */
function conflicted(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  const cwd = t.dir;
  cairnOk(['init'], { cwd });
  writeFileSync(join(cwd, 'x.json'), '{"a":1}\n');
  cairnOk(['commit', '-a', '-m', 'base'], { cwd });
  cairnOk(['switch', '-c', 'other'], { cwd });
  writeFileSync(join(cwd, 'x.json'), '{"a":2}\n');
  cairnOk(['commit', '-a', '-m', 'theirs'], { cwd });
  cairnOk(['switch', 'main'], { cwd });
  writeFileSync(join(cwd, 'x.json'), '{"a":3}\n');
  cairnOk(['commit', '-a', '-m', 'ours'], { cwd });
  expect(runCairn(['merge', 'other'], { cwd }).code).toBe(5);
  return cwd;
}

describe('a merge in progress', () => {
  it('makes switch and checkout refuse with the conflicts exit code', () => {
    const cwd = conflicted();
    expect(runCairn(['switch', 'other'], { cwd }).code).toBe(5);
    expect(runCairn(['checkout', 'other'], { cwd }).code).toBe(5);
    expect(cairnOk(['branch', '--show-current'], { cwd })).toBe('main\n');
  });

  it('is abandoned by reset --hard, after which switching works', () => {
    const cwd = conflicted();
    cairnOk(['reset', '--hard'], { cwd });
    expect(cairnOk(['status', '--short'], { cwd })).toBe('');
    expect(runCairn(['merge', '--continue'], { cwd }).code).not.toBe(0);
    cairnOk(['switch', 'other'], { cwd });
    expect(cairnOk(['branch', '--show-current'], { cwd })).toBe('other\n');
  });
});
