// The second half of the xdiff-compatible line diff: sliding ambiguous groups of changed lines to where git puts
// them, and reading the hunks off the changed-line marks.

/** One change: `aLen` lines of `a` starting at `a` replaced by `bLen` lines of `b` starting at `b` (0-based). */
export interface LineHunk {
  a: number;
  aLen: number;
  b: number;
  bLen: number;
}

export interface DiffFile {
  /** Class id of each line: equal ids mean equal lines. */
  rec: Int32Array;
  n: number;
  /** changed[i + 1] for line i; slots 0 and n + 1 stay 0 as sentinels. */
  changed: Uint8Array;
  /** Lines left for the Myers search after discarding hopeless ones, as indexes into `rec`. */
  rindex: Int32Array;
  nreff: number;
}

/** A run of changed lines [start, end) — possibly empty, sitting just above line `start`. */
interface Group {
  start: number;
  end: number;
}

const isChanged = (f: DiffFile, i: number): boolean => f.changed[i + 1] === 1;
const setChanged = (f: DiffFile, i: number, v: 0 | 1): void => void (f.changed[i + 1] = v);

function groupNext(f: DiffFile, g: Group): boolean {
  if (g.end === f.n) return false;
  g.start = g.end + 1;
  for (g.end = g.start; isChanged(f, g.end); g.end++);
  return true;
}

function groupPrevious(f: DiffFile, g: Group): boolean {
  if (g.start === 0) return false;
  g.end = g.start - 1;
  for (g.start = g.end; isChanged(f, g.start - 1); g.start--);
  return true;
}

function slideDown(f: DiffFile, g: Group): boolean {
  if (g.end >= f.n || f.rec[g.start] !== f.rec[g.end]) return false;
  setChanged(f, g.start++, 0);
  setChanged(f, g.end++, 1);
  while (isChanged(f, g.end)) g.end++;
  return true;
}

function slideUp(f: DiffFile, g: Group): boolean {
  if (g.start <= 0 || f.rec[g.start - 1] !== f.rec[g.end - 1]) return false;
  setChanged(f, --g.start, 1);
  setChanged(f, --g.end, 0);
  while (isChanged(f, g.start - 1)) g.start--;
  return true;
}

function syncBroken(): never {
  throw new Error('line diff: change groups out of step (internal error)');
}

/** Slide each ambiguous group of changes as far down as it goes, then back up to line up with a change on the other
 * side if it can: git does this (without its indent heuristic in merge-file), and merges depend on where hunks sit. */
export function compact(f: DiffFile, fo: DiffFile): void {
  const g: Group = { start: 0, end: 0 };
  const go: Group = { start: 0, end: 0 };
  while (isChanged(f, g.end)) g.end++;
  while (isChanged(fo, go.end)) go.end++;
  for (;;) {
    if (g.end !== g.start) {
      let groupSize: number;
      let earliestEnd: number;
      let endMatchingOther: number;
      do {
        groupSize = g.end - g.start;
        endMatchingOther = -1;
        while (slideUp(f, g)) if (!groupPrevious(fo, go)) syncBroken();
        earliestEnd = g.end;
        if (go.end > go.start) endMatchingOther = g.end;
        while (slideDown(f, g)) {
          if (!groupNext(fo, go)) syncBroken();
          if (go.end > go.start) endMatchingOther = g.end;
        }
      } while (groupSize !== g.end - g.start);
      if (g.end !== earliestEnd && endMatchingOther !== -1) {
        while (go.end === go.start) {
          if (!slideUp(f, g)) syncBroken();
          if (!groupPrevious(fo, go)) syncBroken();
        }
      }
    }
    if (!groupNext(f, g)) break;
    if (!groupNext(fo, go)) syncBroken();
  }
}

export function buildScript(f1: DiffFile, f2: DiffFile): LineHunk[] {
  const out: LineHunk[] = [];
  for (let i1 = f1.n, i2 = f2.n; i1 >= 0 || i2 >= 0; i1--, i2--) {
    if (isChanged(f1, i1 - 1) || isChanged(f2, i2 - 1)) {
      const l1 = i1;
      const l2 = i2;
      while (isChanged(f1, i1 - 1)) i1--;
      while (isChanged(f2, i2 - 1)) i2--;
      out.push({ a: i1, aLen: l1 - i1, b: i2, bLen: l2 - i2 });
    }
  }
  return out.reverse();
}
