// The text driver: line-based diff3 with git-style conflict markers, deciding exactly as `git merge-file` does
// (its default "zealous alnum" level), so users see the same merges from cairn as from git.
import { diffLines, type LineHunk } from './line-diff.js';
import { looksBinary, mergeBinary } from './binary-merge.js';
import type { MergeConflict, MergeDriver, MergeInput, MergeOutput } from './types.js';

const MARKER_SIZE = 7;

/** A region of the merge: `mode` 0 = conflict, 1 = take ours, 2 = take theirs, 4 = both sides made the same change. */
interface Region {
  mode: 0 | 1 | 2 | 4;
  /** Base range [i0, i0 + chg0) — for a refined conflict, the base range of the conflict it was cut from. */
  i0: number;
  chg0: number;
  /** Ours range. */
  i1: number;
  chg1: number;
  /** Theirs range. */
  i2: number;
  chg2: number;
}

export const mergeText: MergeDriver = (input: MergeInput): MergeOutput => {
  const { base, ours, theirs } = input;
  if (looksBinary(ours) || looksBinary(theirs) || (base !== null && looksBinary(base))) return mergeBinary(input);
  // Lines are compared and copied as bytes: latin1 maps each byte to one code unit and back, losslessly.
  const b = splitLines(base === null ? '' : base.toString('latin1'));
  const o = splitLines(ours.toString('latin1'));
  const t = splitLines(theirs.toString('latin1'));
  const d1 = diffLines(b, o);
  const d2 = diffLines(b, t);
  if (d1.length === 0) return { content: Buffer.from(theirs), conflicts: [], settled: 0 };
  if (d2.length === 0) return { content: Buffer.from(ours), conflicts: [], settled: 0 };
  const regions = simplify(refine(combine(d1, d2, b.length, o, t), o, t), o);

  const conflicts: MergeConflict[] = [];
  let settled = 0;
  for (const r of regions) {
    if (r.mode !== 0) continue;
    if (input.favor) {
      r.mode = input.favor === 'ours' ? 1 : 2;
      settled++;
    } else {
      conflicts.push(describe(r, base === null ? null : b, o, t));
    }
  }
  const labels = { ours: label(input.labels?.ours, 'ours'), theirs: label(input.labels?.theirs, 'theirs') };
  return { content: Buffer.from(render(regions, b, o, t, labels), 'latin1'), conflicts, settled };
};

export function splitLines(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = s.indexOf('\n', start);
    if (nl < 0) break;
    out.push(s.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

/** Walk both change lists in base order: separate changes pass through, touching or overlapping ones conflict unless
 * they are the very same change. Adjacent regions fuse (a fused region that mixes sides is a conflict). */
function combine(d1: LineHunk[], d2: LineHunk[], nb: number, o: string[], t: string[]): Region[] {
  const no = o.length;
  const nt = t.length;
  const out: Region[] = [];
  const append = (mode: 0 | 1 | 2, i0: number, chg0: number, i1: number, chg1: number, i2: number, chg2: number): void => {
    const m = out[out.length - 1];
    if (m && (i1 <= m.i1 + m.chg1 || i2 <= m.i2 + m.chg2)) {
      if (mode !== m.mode) m.mode = 0;
      m.chg0 = i0 + chg0 - m.i0;
      m.chg1 = i1 + chg1 - m.i1;
      m.chg2 = i2 + chg2 - m.i2;
    } else {
      out.push({ mode, i0, chg0, i1, chg1, i2, chg2 });
    }
  };
  let x = 0;
  let y = 0;
  while (x < d1.length && y < d2.length) {
    const h1 = d1[x] as LineHunk;
    const h2 = d2[y] as LineHunk;
    if (h1.a + h1.aLen < h2.a) {
      append(1, h1.a, h1.aLen, h1.b, h1.bLen, h2.b - h2.a + h1.a, h1.aLen);
      x++;
      continue;
    }
    if (h2.a + h2.aLen < h1.a) {
      append(2, h2.a, h2.aLen, h1.b - h1.a + h2.a, h2.aLen, h2.b, h2.bLen);
      y++;
      continue;
    }
    if (h1.a !== h2.a || h1.aLen !== h2.aLen || h1.bLen !== h2.bLen || !sameLines(h1, h2)) {
      const off = h1.a - h2.a;
      const ffo = off + h1.aLen - h2.aLen;
      let i0 = h1.a;
      let i1 = h1.b;
      let i2 = h2.b;
      if (off > 0) {
        i0 -= off;
        i1 -= off;
      } else {
        i2 += off;
      }
      let chg0 = h1.a + h1.aLen - i0;
      let chg1 = h1.b + h1.bLen - i1;
      let chg2 = h2.b + h2.bLen - i2;
      if (ffo < 0) {
        chg0 -= ffo;
        chg1 -= ffo;
      } else {
        chg2 += ffo;
      }
      append(0, i0, chg0, i1, chg1, i2, chg2);
    }
    const end1 = h1.a + h1.aLen;
    const end2 = h2.a + h2.aLen;
    if (end1 >= end2) y++;
    if (end2 >= end1) x++;
  }
  for (; x < d1.length; x++) {
    const h = d1[x] as LineHunk;
    append(1, h.a, h.aLen, h.b, h.bLen, h.a + nt - nb, h.aLen);
  }
  for (; y < d2.length; y++) {
    const h = d2[y] as LineHunk;
    append(2, h.a, h.aLen, h.a + no - nb, h.aLen, h.b, h.bLen);
  }
  return out;

  function sameLines(h1: LineHunk, h2: LineHunk): boolean {
    for (let k = 0; k < h1.bLen; k++) if (o[h1.b + k] !== t[h2.b + k]) return false;
    return true;
  }
}

/** Cut each conflict down to the lines where ours and theirs really differ (a diff of ours' side against theirs'). */
function refine(regions: Region[], o: string[], t: string[]): Region[] {
  const out: Region[] = [];
  for (const m of regions) {
    if (m.mode !== 0 || m.chg1 === 0 || m.chg2 === 0) {
      out.push(m);
      continue;
    }
    const hunks = diffLines(o.slice(m.i1, m.i1 + m.chg1), t.slice(m.i2, m.i2 + m.chg2));
    if (hunks.length === 0) {
      out.push({ ...m, mode: 4 });
      continue;
    }
    for (const h of hunks) out.push({ mode: 0, i0: m.i0, chg0: m.chg0, i1: m.i1 + h.a, chg1: h.aLen, i2: m.i2 + h.b, chg2: h.bLen });
  }
  return out;
}

/** Fuse conflicts separated by at most three lines, or by lines without a letter or digit: one bigger conflict reads
 * more easily than several tiny ones around a brace. */
function simplify(regions: Region[], o: string[]): Region[] {
  const out: Region[] = [];
  for (const next of regions) {
    const m = out[out.length - 1];
    if (m && m.mode === 0 && next.mode === 0) {
      const begin = m.i1 + m.chg1;
      const end = next.i1;
      if (end - begin <= 3 || !linesContainAlnum(o, begin, end)) {
        m.chg1 = next.i1 + next.chg1 - m.i1;
        m.chg2 = next.i2 + next.chg2 - m.i2;
        m.chg0 = Math.max(m.i0 + m.chg0, next.i0 + next.chg0) - m.i0;
        continue;
      }
    }
    out.push(next);
  }
  return out;
}

function linesContainAlnum(lines: string[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (/[0-9A-Za-z]/.test(lines[i] as string)) return true;
  return false;
}

function render(regions: Region[], b: string[], o: string[], t: string[], labels: { ours: string; theirs: string }): string {
  const out: string[] = [];
  const copy = (lines: string[], from: number, count: number, addNl: boolean, cr: boolean): void => {
    if (count < 1) return;
    for (let k = from; k < from + count; k++) out.push(lines[k] as string);
    if (addNl && !(lines[from + count - 1] as string).endsWith('\n')) out.push(cr ? '\r\n' : '\n');
  };
  let i = 0;
  for (const m of regions) {
    if (m.mode === 4) continue;
    copy(o, i, m.i1 - i, false, false);
    if (m.mode === 0) {
      const eol = crNeeded(m, b, o, t) ? '\r\n' : '\n';
      out.push(`${'<'.repeat(MARKER_SIZE)} ${labels.ours}${eol}`);
      copy(o, m.i1, m.chg1, true, eol === '\r\n');
      out.push(`${'='.repeat(MARKER_SIZE)}${eol}`);
      copy(t, m.i2, m.chg2, true, eol === '\r\n');
      out.push(`${'>'.repeat(MARKER_SIZE)} ${labels.theirs}${eol}`);
    } else if (m.mode === 1) {
      copy(o, m.i1, m.chg1, false, false);
    } else {
      copy(t, m.i2, m.chg2, false, false);
    }
    i = m.i1 + m.chg1;
  }
  copy(o, i, o.length - i, false, false);
  return out.join('');
}

/** 1 when line i ends in CRLF (for an unterminated last line: the line before it), 0 for LF, -1 when unknown. */
function eolIsCrlf(lines: string[], i: number): -1 | 0 | 1 {
  const crlf = (s: string | undefined): 0 | 1 => (s !== undefined && s.endsWith('\r\n') ? 1 : 0);
  if (i < lines.length - 1) return crlf(lines[i]);
  if (lines.length === 0) return -1;
  if ((lines[i] as string).endsWith('\n')) return crlf(lines[i]);
  if (i === 0) return -1;
  return crlf(lines[i - 1]);
}

/** Markers follow the line endings around the conflict, as git does, so a CRLF file stays CRLF. */
function crNeeded(m: Region, b: string[], o: string[], t: string[]): boolean {
  let needs = eolIsCrlf(o, m.i1 ? m.i1 - 1 : 0);
  if (needs !== 0) needs = eolIsCrlf(t, m.i2 ? m.i2 - 1 : 0);
  if (needs !== 0) needs = eolIsCrlf(b, 0);
  return needs === 1;
}

/** Location names ours' lines, 1-based and inclusive; an empty ours side is 'lines N-N' with N the line it follows. */
function describe(m: Region, b: string[] | null, o: string[], t: string[]): MergeConflict {
  const join = (lines: string[], from: number, count: number): string =>
    Buffer.from(lines.slice(from, from + count).join(''), 'latin1').toString('utf8');
  const location = m.chg1 > 0 ? `lines ${m.i1 + 1}-${m.i1 + m.chg1}` : `lines ${m.i1}-${m.i1}`;
  return {
    location,
    kind: b === null ? 'add-add' : 'both-modified',
    ...(b === null ? {} : { base: join(b, m.i0, m.chg0) }),
    ours: join(o, m.i1, m.chg1),
    theirs: join(t, m.i2, m.chg2),
  };
}

/** A label goes into a marker line: it must not break the line, and it is written as UTF-8. */
function label(s: string | undefined, fallback: string): string {
  const text = (s ?? fallback).replace(/[\r\n]+/g, ' ');
  return Buffer.from(text, 'utf8').toString('latin1');
}
