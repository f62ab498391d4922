// Small objects travel deflated in batch records (docs/PROTOCOL.md 4.4): a push and a clone of
// 1,500 small text files put well under the files' size on the wire and arrive intact (fsck clean,
// same bytes), while small random files, which deflate cannot shrink, cost no more than raw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cairnOk, tempDir } from '../helpers/cli.js';
import { repoUrl, startServer, type TestServer } from '../helpers/server.js';

const tmp = tempDir('cairn-sync-batch-');
let server: TestServer;

afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

beforeAll(async () => {
  server = await startServer(join(tmp.dir, 'served'));
});

/** `n` files of 0.5–1.5 KiB under `dir`, by `body(i)`; returns their total size. */
function writeFiles(dir: string, n: number, body: (i: number) => Buffer): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sub = join(dir, `d${i % 30}`);
    mkdirSync(sub, { recursive: true });
    const b = body(i);
    writeFileSync(join(sub, `f${i}.csv`), b);
    total += b.length;
  }
  return total;
}

function csv(i: number): Buffer {
  let s = 'id,station,reading,status\n';
  for (let r = 0; s.length < 500 + ((i * 37) % 1000); r++)
    s += `${i * 1000 + r},st-${(i + r) % 97},${((i * r) % 1013) / 10},${r % 3 === 0 ? 'ok' : 'late'}\n`;
  return Buffer.from(s);
}

interface PushJson {
  bytesSent: number;
  requested: number;
}
interface CloneJson {
  bytesReceived: number;
  received: number;
}

async function roundTrip(
  name: string,
  body: (i: number) => Buffer,
): Promise<{ size: number; push: PushJson; clone: CloneJson; dir: string; src: string }> {
  const src = join(tmp.dir, `${name}-src`);
  cairnOk(['init', src], { cwd: tmp.dir });
  const size = writeFiles(src, 1500, body);
  cairnOk(['commit', '-a', '-m', 'files'], { cwd: src });
  const push = JSON.parse(cairnOk(['push', repoUrl(server, name), 'main', '--json'], { cwd: src })) as PushJson;
  const dir = join(tmp.dir, `${name}-clone`);
  const clone = JSON.parse(cairnOk(['clone', repoUrl(server, name), dir, '--json'], { cwd: tmp.dir })) as CloneJson;
  return { size, push, clone, dir, src };
}

describe('batch records on the wire', () => {
  it('a push and a clone of small text files move well under their size, and arrive intact', async () => {
    const { size, push, clone, dir, src } = await roundTrip('text', csv);
    // 1,500 file objects, 31 trees, one commit; raw, each record alone would cost > size.
    expect(push.requested).toBe(1532);
    expect(clone.received).toBe(1532);
    expect(push.bytesSent).toBeLessThan(size * 0.6);
    expect(clone.bytesReceived).toBeLessThan(size * 0.6);
    for (const i of [0, 777, 1499]) expect(readFileSync(join(dir, `d${i % 30}`, `f${i}.csv`))).toEqual(csv(i));
    expect(cairnOk(['rev-parse', 'main'], { cwd: dir })).toBe(cairnOk(['rev-parse', 'main'], { cwd: src }));
    cairnOk(['fsck'], { cwd: dir });
    cairnOk(['-C', join(server.root, 'text'), 'fsck'], { cwd: tmp.dir });
  });

  it('small random files, which do not deflate, are sent as they are', async () => {
    const noise = Array.from({ length: 1500 }, (_, i) => randomBytes(500 + ((i * 37) % 1000)));
    const { size, push, clone, dir } = await roundTrip('noise', (i) => noise[i]!);
    // On top of the bytes: record headers (38 bytes each, ~4%), the trees (~45 bytes an entry,
    // ~4.5%) and HTTP, nothing more.
    expect(push.bytesSent).toBeGreaterThan(size);
    expect(push.bytesSent).toBeLessThan(size * 1.15);
    expect(clone.bytesReceived).toBeLessThan(size * 1.15);
    expect(readFileSync(join(dir, 'd7', 'f7.csv'))).toEqual(noise[7]);
    cairnOk(['fsck'], { cwd: dir });
  });
});
