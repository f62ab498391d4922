// Throughput of the content-defined chunker (not a test): MB/s on 256 MiB of random bytes and of
// JSON-lines text, whole-buffer and streamed in 1 MiB pushes, median of 3 runs.
// Run: npx tsx test/bench/chunker-speed.ts
import { randomFillSync } from 'node:crypto';
import { Chunker, chunkBoundaries } from '../../src/core/chunker.js';

const SIZE = 256 * 1024 * 1024;
const RUNS = 3;

function randomData(): Buffer {
  const buf = Buffer.allocUnsafe(SIZE);
  for (let off = 0; off < SIZE; off += 65536) randomFillSync(buf, off, Math.min(65536, SIZE - off));
  return buf;
}

/** Deterministic JSON lines, like a dataset export: ids, names, numbers, timestamps. */
function jsonLinesData(): Buffer {
  const buf = Buffer.allocUnsafe(SIZE);
  let pos = 0;
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  for (let id = 0; pos < SIZE; id++) {
    const line =
      JSON.stringify({
        id,
        name: `${words[next() % 10]} ${words[next() % 10]}`,
        score: (next() % 100000) / 100,
        tags: [words[next() % 10], words[next() % 10]],
        at: new Date(1_700_000_000_000 + (next() % 1_000_000_000)).toISOString(),
        ok: next() % 2 === 0,
      }) + '\n';
    pos += buf.write(line, pos, 'utf8');
  }
  return buf;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

function measure(label: string, data: Buffer): void {
  const mb = data.length / 1e6;
  const whole: number[] = [];
  const streamed: number[] = [];
  let chunks = 0;
  for (let r = 0; r < RUNS; r++) {
    let t = process.hrtime.bigint();
    chunks = chunkBoundaries(data).length;
    whole.push(mb / (Number(process.hrtime.bigint() - t) / 1e9));

    t = process.hrtime.bigint();
    const c = new Chunker();
    let n = 0;
    for (let off = 0; off < data.length; off += 1 << 20) n += c.push(data.subarray(off, off + (1 << 20))).length;
    n += c.finish().length;
    streamed.push(mb / (Number(process.hrtime.bigint() - t) / 1e9));
    if (n !== chunks) throw new Error(`streamed ${n} chunks, whole-buffer ${chunks}`);
  }
  const avg = Math.round(data.length / chunks);
  console.log(
    `${label.padEnd(12)} chunkBoundaries ${median(whole).toFixed(0).padStart(5)} MB/s   Chunker (1 MiB pushes) ` +
      `${median(streamed).toFixed(0).padStart(5)} MB/s   ${chunks} chunks, mean ${avg} bytes`,
  );
}

measure('random', randomData());
measure('json-lines', jsonLinesData());
