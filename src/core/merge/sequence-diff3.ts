// Sequence diff and diff3 over any elements (JSON array elements, text lines): which elements two
// sequences share, and how three versions split into stable and changed regions. No I/O.

/** A half-open range [start, end) of indices into one sequence. */
export interface Range {
  start: number;
  end: number;
}

/**
 * stable: all three equal. ours / theirs: only that side changed the base here. same: both changed it
 * identically. conflict: both changed it differently (the caller decides what that means).
 */
export type Diff3Kind = 'stable' | 'ours' | 'theirs' | 'same' | 'conflict';

export interface Diff3Region {
  kind: Diff3Kind;
  base: Range;
  ours: Range;
  theirs: Range;
}

/** Maps elements to small integers (equal keys, equal symbols) so the diff compares numbers. */
export function symbolize<T>(seqs: readonly (readonly T[])[], keyOf: (x: T) => unknown = (x) => x): Int32Array[] {
  const table = new Map<unknown, number>();
  return seqs.map((seq) => {
    const out = new Int32Array(seq.length);
    for (let i = 0; i < seq.length; i++) {
      const key = keyOf(seq[i]!);
      let sym = table.get(key);
      if (sym === undefined) table.set(key, (sym = table.size));
      out[i] = sym;
    }
    return out;
  });
}

/** For each element of `a`, the index of the element of `b` it is matched with, or -1 (a common subsequence, usually the longest). */
export function diffMatches<T>(a: readonly T[], b: readonly T[], keyOf?: (x: T) => unknown): Int32Array {
  const [sa, sb] = symbolize([a, b], keyOf);
  return matchSymbols(sa!, sb!);
}

export function diff3<T>(base: readonly T[], ours: readonly T[], theirs: readonly T[], keyOf?: (x: T) => unknown): Diff3Region[] {
  const [b, o, t] = symbolize([base, ours, theirs], keyOf);
  return diff3Symbols(b!, o!, t!);
}

// Myers' trace costs O(D^2) memory, so past this many edits a range is split on unique elements
// instead (patience anchors), and past the work budget a range is left unmatched (still correct, just
// a coarser diff). Both bounds keep hostile inputs from taking quadratic time.
const MAX_MYERS_EDITS = 2000;
const WORK_BUDGET = 50_000_000;

export function matchSymbols(a: Int32Array, b: Int32Array): Int32Array {
  const match = new Int32Array(a.length).fill(-1);
  const budget = { left: WORK_BUDGET };
  const ranges: number[] = [0, a.length, 0, b.length];
  while (ranges.length > 0) {
    let bHi = ranges.pop()!,
      bLo = ranges.pop()!,
      aHi = ranges.pop()!,
      aLo = ranges.pop()!;
    while (aLo < aHi && bLo < bHi && a[aLo] === b[bLo]) match[aLo++] = bLo++;
    while (aLo < aHi && bLo < bHi && a[aHi - 1] === b[bHi - 1]) match[--aHi] = --bHi;
    if (aLo === aHi || bLo === bHi) continue;
    if (budget.left > 0 && myers(a, aLo, aHi, b, bLo, bHi, match, budget)) continue;
    const anchors = uniqueAnchors(a, aLo, aHi, b, bLo, bHi);
    let pa = aLo,
      pb = bLo;
    for (let n = 0; n < anchors.length; n += 2) {
      const i = anchors[n]!,
        j = anchors[n + 1]!;
      match[i] = j;
      if (i > pa && j > pb) ranges.push(pa, i, pb, j);
      pa = i + 1;
      pb = j + 1;
    }
    if (anchors.length > 0 && aHi > pa && bHi > pb) ranges.push(pa, aHi, pb, bHi);
  }
  return match;
}

function myers(
  a: Int32Array,
  aLo: number,
  aHi: number,
  b: Int32Array,
  bLo: number,
  bHi: number,
  match: Int32Array,
  budget: { left: number },
): boolean {
  const n = aHi - aLo,
    m = bHi - bLo;
  const maxD = Math.min(n + m, MAX_MYERS_EDITS);
  const off = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= maxD; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      const x0 = x;
      while (x < n && y < m && a[aLo + x] === b[bLo + y]) {
        x++;
        y++;
      }
      budget.left -= x - x0 + 1;
      v[off + k] = x;
      if (x >= n && y >= m) {
        backtrack(trace, n, m, aLo, bLo, match);
        return true;
      }
    }
    if (budget.left <= 0) return false;
  }
  return false;
}

function backtrack(trace: Int32Array[], n: number, m: number, aLo: number, bLo: number, match: Int32Array): void {
  let x = n,
    y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const at = (k: number): number => v[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      match[aLo + x] = bLo + y;
    }
    x = prevX;
    y = prevY;
  }
}

/** Elements occurring once in each range, as (i, j) pairs forming the longest increasing run of j. */
function uniqueAnchors(a: Int32Array, aLo: number, aHi: number, b: Int32Array, bLo: number, bHi: number): number[] {
  const seen = new Map<number, number>(); // symbol -> index in a, or -2 when repeated
  for (let i = aLo; i < aHi; i++) seen.set(a[i]!, seen.has(a[i]!) ? -2 : i);
  const inB = new Map<number, number>();
  for (let j = bLo; j < bHi; j++) {
    const s = b[j]!;
    if ((seen.get(s) ?? -2) >= 0) inB.set(s, inB.has(s) ? -2 : j);
  }
  const pairs: [number, number][] = [];
  for (const [s, j] of inB) if (j >= 0) pairs.push([seen.get(s)!, j]);
  pairs.sort((p, q) => p[0] - q[0]);
  // Longest increasing subsequence of j (patience sorting), O(k log k).
  const tails: number[] = [],
    prev = new Int32Array(pairs.length);
  for (let p = 0; p < pairs.length; p++) {
    const j = pairs[p]![1];
    let lo = 0,
      hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]!]![1] < j) lo = mid + 1;
      else hi = mid;
    }
    prev[p] = lo > 0 ? tails[lo - 1]! : -1;
    tails[lo] = p;
  }
  const out: number[] = [];
  for (let p = tails.length > 0 ? tails[tails.length - 1]! : -1; p >= 0; p = prev[p]!) out.push(pairs[p]![1], pairs[p]![0]);
  return out.reverse();
}

function sameRange(x: Int32Array, xr: Range, y: Int32Array, yr: Range): boolean {
  if (xr.end - xr.start !== yr.end - yr.start) return false;
  for (let i = 0; i < xr.end - xr.start; i++) if (x[xr.start + i] !== y[yr.start + i]) return false;
  return true;
}

/**
 * The classic diff3 walk (Khanna, Kunal and Pierce): a region is stable where the base element is
 * matched in both sides at the expected places; between stable runs lie the changed regions. Swapping
 * ours and theirs swaps the region kinds and nothing else.
 */
export function diff3Symbols(base: Int32Array, ours: Int32Array, theirs: Int32Array): Diff3Region[] {
  const mo = matchSymbols(base, ours),
    mt = matchSymbols(base, theirs);
  const regions: Diff3Region[] = [];
  const changed = (bEnd: number, oEnd: number, tEnd: number): void => {
    const r = { base: { start: ob, end: bEnd }, ours: { start: oo, end: oEnd }, theirs: { start: ot, end: tEnd } };
    const oursSame = sameRange(ours, r.ours, base, r.base),
      theirsSame = sameRange(theirs, r.theirs, base, r.base);
    const kind: Diff3Kind =
      oursSame && theirsSame
        ? 'stable'
        : oursSame
          ? 'theirs'
          : theirsSame
            ? 'ours'
            : sameRange(ours, r.ours, theirs, r.theirs)
              ? 'same'
              : 'conflict';
    regions.push({ kind, ...r });
  };
  let ob = 0,
    oo = 0,
    ot = 0;
  for (;;) {
    let i = 0;
    while (ob + i < base.length && mo[ob + i] === oo + i && mt[ob + i] === ot + i) i++;
    if (i > 0) {
      regions.push({
        kind: 'stable',
        base: { start: ob, end: ob + i },
        ours: { start: oo, end: oo + i },
        theirs: { start: ot, end: ot + i },
      });
      ob += i;
      oo += i;
      ot += i;
    }
    if (ob === base.length && oo === ours.length && ot === theirs.length) return regions;
    let j = ob;
    while (j < base.length && (mo[j] === -1 || mt[j] === -1)) j++;
    if (j === base.length) {
      changed(base.length, ours.length, theirs.length);
      return regions;
    }
    changed(j, mo[j]!, mt[j]!);
    ob = j;
    oo = mo[j]!;
    ot = mt[j]!;
  }
}
