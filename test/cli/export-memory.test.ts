// A checkout streams file content chunk by chunk: exporting a file several times larger than the
// memory limit keeps the process's peak RSS far below the file's size.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAIRN_BIN, TEST_ENV, cairnOk, tempDir } from '../helpers/cli.js';

const tmp = tempDir('cairn-export-rss-');
afterAll(() => tmp.cleanup());

const MiB = 1 << 20;
const SIZE = 320 * MiB;

function sha256File(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 * MiB);
  for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n));
  closeSync(fd);
  return h.digest('hex');
}

describe('export of a large file', () => {
  it(`streams a ${SIZE / MiB} MiB file with peak RSS under 224 MiB`, () => {
    const wt = join(tmp.dir, 'wt');
    cairnOk(['init', wt], { cwd: tmp.dir });
    const fd = openSync(join(wt, 'big.bin'), 'w');
    for (let i = 0; i < SIZE / MiB; i++) writeSync(fd, i % 2 ? randomBytes(MiB) : Buffer.alloc(MiB, `{"row":${i}}\n`));
    closeSync(fd);
    cairnOk(['commit', '-a', '-m', 'big'], { cwd: wt });
    const out = join(tmp.dir, 'out');
    // Runs the CLI in-process and reports its own peak RSS when it exits.
    const script = `process.on('exit', () => process.stderr.write('MAXRSS=' + process.resourceUsage().maxRSS + '\\n'));
      process.argv = [process.execPath, 'cairn', 'export', 'HEAD', ${JSON.stringify(out)}];
      await import(${JSON.stringify(join(CAIRN_BIN, '..', '..', 'dist', 'cli', 'main.js'))});`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: wt,
      env: { ...process.env, ...TEST_ENV },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const rssKiB = Number(/MAXRSS=(\d+)/.exec(r.stderr)?.[1]);
    expect(rssKiB).toBeGreaterThan(0);
    expect(rssKiB).toBeLessThan(224 * 1024);
    expect(sha256File(join(out, 'big.bin'))).toBe(sha256File(join(wt, 'big.bin')));
  }, 300_000);
});
