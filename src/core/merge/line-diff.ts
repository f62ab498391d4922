// Line diff that makes the same choices as git's xdiff (Myers with its cost heuristics, then hunk sliding), so the
// text merge built on it agrees with `git merge-file` hunk for hunk, not just "some minimal diff".
import { buildScript, compact, type DiffFile, type LineHunk } from './line-diff-slide.js';

export type { LineHunk };

// xdiff's tuning constants: beyond these the search trades minimality for time, and git's output reflects that.
const MAX_COST_MIN = 256;
const HEUR_MIN_COST = 256;
const SNAKE_CNT = 20;
const K_HEUR = 4;
const MAX_EQLIMIT = 1024;
const SIMSCAN_WINDOW = 100;
const KPDIS_RUN = 4;
const LINE_MAX = 0x7fffffff;

/** Lines compare byte for byte (a line keeps its terminator), exactly as git compares records. */
export function diffLines(a: readonly string[], b: readonly string[]): LineHunk[] {
  const classes = new Map<string, number>();
  const f1 = newFile(classify(a, classes));
  const f2 = newFile(classify(b, classes));
  prepare(f1, f2, classes.size);
  compareRecords(f1, f2);
  compact(f1, f2);
  compact(f2, f1);
  return buildScript(f1, f2);
}

function classify(lines: readonly string[], classes: Map<string, number>): Int32Array {
  const out = new Int32Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    let id = classes.get(line);
    if (id === undefined) {
      id = classes.size;
      classes.set(line, id);
    }
    out[i] = id;
  }
  return out;
}

function newFile(rec: Int32Array): DiffFile {
  return { rec, n: rec.length, changed: new Uint8Array(rec.length + 2), rindex: new Int32Array(rec.length), nreff: 0 };
}

function bogosqrt(n: number): number {
  let i = 1;
  for (; n > 0; n = Math.floor(n / 4)) i *= 2;
  return i;
}

/** Trim the common ends, then discard lines with no match on the other side (they are certainly changed) and
 * frequent lines sitting among discarded ones: this shapes which of several minimal diffs Myers finds. */
function prepare(f1: DiffFile, f2: DiffFile, nclasses: number): void {
  const lim = Math.min(f1.n, f2.n);
  let start = 0;
  while (start < lim && f1.rec[start] === f2.rec[start]) start++;
  let tail = 0;
  while (tail < lim - start && f1.rec[f1.n - 1 - tail] === f2.rec[f2.n - 1 - tail]) tail++;
  const count1 = new Int32Array(nclasses);
  const count2 = new Int32Array(nclasses);
  for (const c of f1.rec) count1[c]!++;
  for (const c of f2.rec) count2[c]!++;
  reduce(f1, count2, start, f1.n - tail - 1);
  reduce(f2, count1, start, f2.n - tail - 1);
}

function reduce(f: DiffFile, otherCount: Int32Array, dstart: number, dend: number): void {
  const mlim = Math.min(bogosqrt(f.n), MAX_EQLIMIT);
  const dis = new Uint8Array(f.n + 1);
  for (let i = dstart; i <= dend; i++) {
    const nm = otherCount[f.rec[i]!]!;
    dis[i] = nm === 0 ? 0 : nm >= mlim ? 2 : 1;
  }
  let nreff = 0;
  for (let i = dstart; i <= dend; i++) {
    if (dis[i] === 1 || (dis[i] === 2 && !cleanMultiMatch(dis, i, dstart, dend))) f.rindex[nreff++] = i;
    else f.changed[i + 1] = 1;
  }
  f.nreff = nreff;
}

/** Whether a line matching many lines on the other side sits in a run dominated by unmatched lines. */
function cleanMultiMatch(dis: Uint8Array, i: number, s: number, e: number): boolean {
  if (i - s > SIMSCAN_WINDOW) s = i - SIMSCAN_WINDOW;
  if (e - i > SIMSCAN_WINDOW) e = i + SIMSCAN_WINDOW;
  let rdis0 = 0;
  let rpdis0 = 1;
  for (let r = 1; i - r >= s; r++) {
    if (dis[i - r] === 0) rdis0++;
    else if (dis[i - r] === 2) rpdis0++;
    else break;
  }
  if (rdis0 === 0) return false;
  let rdis1 = 0;
  let rpdis1 = 1;
  for (let r = 1; i + r <= e; r++) {
    if (dis[i + r] === 0) rdis1++;
    else if (dis[i + r] === 2) rpdis1++;
    else break;
  }
  if (rdis1 === 0) return false;
  rdis1 += rdis0;
  rpdis1 += rpdis0;
  return rpdis1 * KPDIS_RUN < rpdis1 + rdis1;
}

interface Split {
  i1: number;
  i2: number;
  minLo: boolean;
  minHi: boolean;
}

/** Divide and conquer over boxes of the reduced sequences; an explicit stack keeps deep recursions off the JS stack. */
function compareRecords(f1: DiffFile, f2: DiffFile): void {
  const h1 = f1.rindex.subarray(0, f1.nreff).map((i) => f1.rec[i]!);
  const h2 = f2.rindex.subarray(0, f2.nreff).map((i) => f2.rec[i]!);
  const ndiags = f1.nreff + f2.nreff + 3;
  const kv: Kv = { f: new Int32Array(ndiags + 1), b: new Int32Array(ndiags + 1), off: f2.nreff + 1 };
  const mxcost = Math.max(bogosqrt(ndiags), MAX_COST_MIN);
  const stack: [number, number, number, number, boolean][] = [[0, f1.nreff, 0, f2.nreff, false]];
  for (let box = stack.pop(); box; box = stack.pop()) {
    let [off1, lim1, off2, lim2] = box;
    for (; off1 < lim1 && off2 < lim2 && h1[off1] === h2[off2]; off1++) off2++;
    for (; off1 < lim1 && off2 < lim2 && h1[lim1 - 1] === h2[lim2 - 1]; lim1--) lim2--;
    if (off1 === lim1) {
      for (; off2 < lim2; off2++) f2.changed[f2.rindex[off2]! + 1] = 1;
    } else if (off2 === lim2) {
      for (; off1 < lim1; off1++) f1.changed[f1.rindex[off1]! + 1] = 1;
    } else {
      const spl = split(h1, off1, lim1, h2, off2, lim2, kv, box[4], mxcost);
      stack.push([spl.i1, lim1, spl.i2, lim2, spl.minHi], [off1, spl.i1, off2, spl.i2, spl.minLo]);
    }
  }
}

interface Kv {
  f: Int32Array;
  b: Int32Array;
  off: number;
}

/** Myers' middle snake, with xdiff's bail-outs for expensive boxes (a good-enough snake, or the furthest reach). */
function split(
  h1: Int32Array,
  off1: number,
  lim1: number,
  h2: Int32Array,
  off2: number,
  lim2: number,
  kv: Kv,
  needMin: boolean,
  mxcost: number,
): Split {
  const { f: F, b: B, off: o } = kv;
  const dmin = off1 - lim2;
  const dmax = lim1 - off2;
  const fmid = off1 - off2;
  const bmid = lim1 - lim2;
  const odd = ((fmid - bmid) & 1) !== 0;
  let fmin = fmid,
    fmax = fmid,
    bmin = bmid,
    bmax = bmid;
  F[fmid + o] = off1;
  B[bmid + o] = lim1;
  for (let ec = 1; ; ec++) {
    let gotSnake = false;
    if (fmin > dmin) F[--fmin - 1 + o] = -1;
    else ++fmin;
    if (fmax < dmax) F[++fmax + 1 + o] = -1;
    else --fmax;
    for (let d = fmax; d >= fmin; d -= 2) {
      let i1 = F[d - 1 + o]! >= F[d + 1 + o]! ? F[d - 1 + o]! + 1 : F[d + 1 + o]!;
      const prev1 = i1;
      let i2 = i1 - d;
      for (; i1 < lim1 && i2 < lim2 && h1[i1] === h2[i2]; i1++) i2++;
      if (i1 - prev1 > SNAKE_CNT) gotSnake = true;
      F[d + o] = i1;
      if (odd && bmin <= d && d <= bmax && B[d + o]! <= i1) return { i1, i2, minLo: true, minHi: true };
    }
    if (bmin > dmin) B[--bmin - 1 + o] = LINE_MAX;
    else ++bmin;
    if (bmax < dmax) B[++bmax + 1 + o] = LINE_MAX;
    else --bmax;
    for (let d = bmax; d >= bmin; d -= 2) {
      let i1 = B[d - 1 + o]! < B[d + 1 + o]! ? B[d - 1 + o]! : B[d + 1 + o]! - 1;
      const prev1 = i1;
      let i2 = i1 - d;
      for (; i1 > off1 && i2 > off2 && h1[i1 - 1] === h2[i2 - 1]; i1--) i2--;
      if (prev1 - i1 > SNAKE_CNT) gotSnake = true;
      B[d + o] = i1;
      if (!odd && fmin <= d && d <= fmax && i1 <= F[d + o]!) return { i1, i2, minLo: true, minHi: true };
    }
    if (needMin) continue;
    if (gotSnake && ec > HEUR_MIN_COST) {
      let best = 0;
      const spl: Split = { i1: 0, i2: 0, minLo: true, minHi: false };
      for (let d = fmax; d >= fmin; d -= 2) {
        const dd = d > fmid ? d - fmid : fmid - d;
        const i1 = F[d + o]!;
        const i2 = i1 - d;
        const v = i1 - off1 + (i2 - off2) - dd;
        if (v > K_HEUR * ec && v > best && off1 + SNAKE_CNT <= i1 && i1 < lim1 && off2 + SNAKE_CNT <= i2 && i2 < lim2) {
          for (let k = 1; h1[i1 - k] === h2[i2 - k]; k++) {
            if (k === SNAKE_CNT) {
              best = v;
              spl.i1 = i1;
              spl.i2 = i2;
              break;
            }
          }
        }
      }
      if (best > 0) return spl;
      best = 0;
      spl.minLo = false;
      spl.minHi = true;
      for (let d = bmax; d >= bmin; d -= 2) {
        const dd = d > bmid ? d - bmid : bmid - d;
        const i1 = B[d + o]!;
        const i2 = i1 - d;
        const v = lim1 - i1 + (lim2 - i2) - dd;
        if (v > K_HEUR * ec && v > best && off1 < i1 && i1 <= lim1 - SNAKE_CNT && off2 < i2 && i2 <= lim2 - SNAKE_CNT) {
          for (let k = 0; h1[i1 + k] === h2[i2 + k]; k++) {
            if (k === SNAKE_CNT - 1) {
              best = v;
              spl.i1 = i1;
              spl.i2 = i2;
              break;
            }
          }
        }
      }
      if (best > 0) return spl;
    }
    if (ec >= mxcost) return furthestReach(F, B, o, off1, lim1, off2, lim2, fmin, fmax, bmin, bmax);
  }
}

function furthestReach(
  F: Int32Array,
  B: Int32Array,
  o: number,
  off1: number,
  lim1: number,
  off2: number,
  lim2: number,
  fmin: number,
  fmax: number,
  bmin: number,
  bmax: number,
): Split {
  let fbest = -1,
    fbest1 = -1;
  for (let d = fmax; d >= fmin; d -= 2) {
    let i1 = Math.min(F[d + o]!, lim1);
    let i2 = i1 - d;
    if (lim2 < i2) {
      i1 = lim2 + d;
      i2 = lim2;
    }
    if (fbest < i1 + i2) {
      fbest = i1 + i2;
      fbest1 = i1;
    }
  }
  let bbest = LINE_MAX,
    bbest1 = LINE_MAX;
  for (let d = bmax; d >= bmin; d -= 2) {
    let i1 = Math.max(off1, B[d + o]!);
    let i2 = i1 - d;
    if (i2 < off2) {
      i1 = off2 + d;
      i2 = off2;
    }
    if (i1 + i2 < bbest) {
      bbest = i1 + i2;
      bbest1 = i1;
    }
  }
  if (lim1 + lim2 - bbest < fbest - (off1 + off2)) return { i1: fbest1, i2: fbest - fbest1, minLo: true, minHi: false };
  return { i1: bbest1, i2: bbest - bbest1, minLo: false, minHi: true };
}
