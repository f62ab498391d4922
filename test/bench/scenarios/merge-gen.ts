// Data for the merge scenarios: three versions (base, ours, theirs) of a large JSON Lines file or JSON
// array of records, each side editing its own share of the records, written in one streaming pass.
import fs from 'node:fs';
import { Prng, jsonlRecord } from '../gen.js';

export type LargeFormat = 'jsonl' | 'json';

export interface MergeTriple {
  base: string;
  ours: string;
  theirs: string;
  bytes: number;
  records: number;
  oursEdits: number;
  theirsEdits: number;
}

/** What an edit writes, so a merged file can be checked by counting them. */
export const OURS_MARK = 'OURS-EDIT';
export const THEIRS_MARK = 'THEIRS-EDIT';

/** Buffered writer (~1 MiB blocks) of ASCII text to a new file. */
class Out {
  private parts: string[] = [];
  private pending = 0;
  bytes = 0;
  private readonly fd: number;
  constructor(file: string) {
    this.fd = fs.openSync(file, 'wx');
  }
  write(s: string): void {
    this.parts.push(s);
    this.pending += s.length;
    this.bytes += s.length;
    if (this.pending >= 1 << 20) this.flush();
  }
  flush(): void {
    const b = Buffer.from(this.parts.join(''), 'latin1');
    for (let off = 0; off < b.length;) off += fs.writeSync(this.fd, b, off, b.length - off);
    this.parts = [];
    this.pending = 0;
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/**
 * Writes base/ours/theirs in `dir`: records from gen.ts until the base reaches `bytes`; ours sets the
 * "city" of a random `fraction` of them, theirs the "note" of another `fraction` (disjoint records,
 * sometimes neighbours, as real concurrent edits are). JSON arrays hold one record per line.
 */
export function genMergeTriple(dir: string, format: LargeFormat, bytes: number, fraction: number, seed: string): MergeTriple {
  const ext = format === 'json' ? 'json' : 'jsonl';
  const paths = { base: `${dir}/base.${ext}`, ours: `${dir}/ours.${ext}`, theirs: `${dir}/theirs.${ext}` };
  const outs = [new Out(paths.base), new Out(paths.ours), new Out(paths.theirs)] as const;
  const rng = new Prng(seed);
  const edits = new Prng(`${seed}/edits`);
  const write = (i: 0 | 1 | 2, s: string): void => outs[i].write(s);
  if (format === 'json') for (const i of [0, 1, 2] as const) write(i, '[\n');
  let records = 0,
    oursEdits = 0,
    theirsEdits = 0;
  while (outs[0].bytes < bytes) {
    let rec = jsonlRecord(rng, records).slice(0, -1);
    if (format === 'json') rec = `${records > 0 ? ',\n' : ''}  ${rec}`;
    const end = format === 'json' ? '' : '\n';
    const roll = edits.float();
    write(0, rec + end);
    if (roll < fraction) {
      write(1, rec.replace(/"city":"[^"]*"/, `"city":"${OURS_MARK}"`) + end);
      oursEdits++;
    } else write(1, rec + end);
    if (roll >= fraction && roll < 2 * fraction) {
      write(2, rec.replace(/"note":"[^"]*"/, `"note":"${THEIRS_MARK}"`) + end);
      theirsEdits++;
    } else write(2, rec + end);
    records++;
  }
  if (format === 'json') for (const i of [0, 1, 2] as const) write(i, '\n]\n');
  const total = outs[0].bytes;
  for (const o of outs) o.close();
  return { ...paths, bytes: total, records, oursEdits, theirsEdits };
}

/** Occurrences of each mark in a file, read in blocks (a mark may straddle two). */
export function countMarks(file: string, marks: readonly string[]): number[] {
  const counts = marks.map(() => 0);
  const keep = Math.max(...marks.map((m) => m.length)) - 1;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let carry = '';
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = carry + buf.toString('latin1', 0, n);
      marks.forEach((m, k) => {
        // Count matches that end in the new part only, so none is counted twice.
        for (let at = text.indexOf(m); at >= 0; at = text.indexOf(m, at + 1)) if (at + m.length > carry.length) counts[k]!++;
      });
      carry = text.slice(Math.max(0, text.length - keep));
    }
  } finally {
    fs.closeSync(fd);
  }
  return counts;
}
