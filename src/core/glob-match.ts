// One glob pattern of .cairnignore and .cairnattributes (git's wildmatch rules), matched in linear
// time: a pattern is compiled to a small NFA that is run over the path once, its live states kept
// as a bit set, so no input can make matching backtrack (docs/FORMAT.md §14.2). These files arrive
// with every pull: they are remote input. The files' line rules are in path-rules.ts.
import { BadFormatError } from '../errors.js';

/** A longer pattern is refused (docs/FORMAT.md §14.2); git's own limit is PATH_MAX-like. */
export const MAX_PATTERN_LENGTH = 1024;

const SLASH = 0x2f;
const LIT = 0;
const ONE = 1;
const CLASS = 2;
const STAR = 3; // any run of characters except '/'
const ANYSTAR = 4; // any run of characters, '/' included
const OPT = 5; // epsilon to the next state and past the next two ("**/": zero or more folders)

type ClassTest = (c: number) => boolean;

/**
 * One compiled wildmatch pattern (git's WM_PATHNAME mode): `*` and `?` and `[...]` never match '/',
 * `**` between slashes (or at either end) crosses folders, any other `**` is `*`, `\x` is `x`.
 * Matching walks the text once with the set of live NFA states as a bit set: O(pattern length ×
 * text length / 32) at worst, whatever the pattern.
 */
export class Glob {
  private constructor(
    private readonly kinds: Uint8Array,
    private readonly codes: Int32Array,
    private readonly classes: readonly ClassTest[],
    /** Patterns git can never match (an unclosed '[', a lone trailing '\'). */
    private readonly never: boolean,
    /** Fast paths: the whole pattern is a literal, or '*' followed by a literal without '/'. */
    private readonly literal: string | undefined,
    private readonly starSuffix: string | undefined,
    /** Literal text every match starts and ends with (a cheap rejection before the automaton runs). */
    private readonly head: string,
    private readonly tail: string,
    /** The longest literal run every match contains somewhere ("cache/" in "**\/cache/**"). */
    private readonly needle: string,
  ) {}

  /** Automaton states a match may step through per character: 0 on the literal fast paths. */
  get cost(): number {
    return this.never || this.literal !== undefined || this.starSuffix !== undefined ? 0 : this.kinds.length;
  }

  /** The automaton's two state sets, reused by every call (matching is synchronous). */
  private cur: Uint32Array = new Uint32Array(0);
  private next: Uint32Array = new Uint32Array(0);

  static compile(pattern: string): Glob {
    if (pattern.length > MAX_PATTERN_LENGTH) throw new BadFormatError('pattern', `longer than ${MAX_PATTERN_LENGTH} characters`);
    const kinds: number[] = [];
    const codes: number[] = [];
    const classes: ClassTest[] = [];
    let never = false;
    const p = pattern;
    for (let i = 0; i < p.length && !never; i++) {
      const ch = p.charCodeAt(i);
      if (ch === 0x2a /* * */) {
        let j = i;
        while (p.charCodeAt(j + 1) === 0x2a) j++;
        const run = j - i + 1;
        const atStart = i === 0 || p.charCodeAt(i - 1) === SLASH;
        const next = j + 1;
        const escapedSlash = p.charCodeAt(next) === 0x5c && p.charCodeAt(next + 1) === SLASH;
        if (run >= 2 && atStart && p.charCodeAt(next) === SLASH) {
          // "**/" is zero or more whole folders: (any characters, then '/') or nothing. Twice in a
          // row means the same ("**/**/"), so a run is one group: epsilon chains stay short.
          const n = kinds.length;
          if (!(n >= 3 && kinds[n - 3] === OPT && kinds[n - 2] === ANYSTAR && kinds[n - 1] === LIT && codes[n - 1] === SLASH)) {
            push(OPT);
            push(ANYSTAR);
            push(LIT, SLASH);
          }
          j = next;
        } else if (run >= 2 && atStart && (next === p.length || escapedSlash)) push(ANYSTAR);
        else push(STAR);
        i = j;
      } else if (ch === 0x3f /* ? */) push(ONE);
      else if (ch === 0x5b /* [ */) {
        const parsed = parseClass(p, i);
        if (parsed === null) never = true;
        else {
          push(CLASS, classes.length);
          classes.push(parsed.test);
          i = parsed.end;
        }
      } else if (ch === 0x5c /* \ */) {
        if (i + 1 >= p.length) never = true;
        else push(LIT, p.charCodeAt(++i));
      } else push(LIT, ch);
    }
    let literal: string | undefined;
    let starSuffix: string | undefined;
    if (!never && kinds.every((k) => k === LIT)) literal = String.fromCharCode(...codes);
    else if (!never && kinds[0] === STAR && kinds.slice(1).every((k) => k === LIT) && !codes.slice(1).includes(SLASH))
      starSuffix = String.fromCharCode(...codes.slice(1));
    let h = 0;
    while (h < kinds.length && kinds[h] === LIT) h++;
    let t = kinds.length;
    // The '/' closing a "**/" group is optional (the group may match nothing): not part of the tail.
    while (t > h && kinds[t - 1] === LIT && !(t - 3 >= 0 && kinds[t - 3] === OPT)) t--;
    const head = String.fromCharCode(...codes.slice(0, h));
    const tail = String.fromCharCode(...codes.slice(t));
    let needle = '';
    for (let i = h; i < t; i++) {
      let j = i;
      while (j < t && kinds[j] === LIT && !(j >= 2 && kinds[j - 2] === OPT)) j++;
      if (j - i > needle.length) needle = String.fromCharCode(...codes.slice(i, j));
      i = j;
    }
    return new Glob(Uint8Array.from(kinds), Int32Array.from(codes), classes, never, literal, starSuffix, head, tail, needle);

    function push(kind: number, code = 0): void {
      kinds.push(kind);
      codes.push(code);
    }
  }

  matches(text: string): boolean {
    if (this.never) return false;
    if (this.literal !== undefined) return text === this.literal;
    if (this.starSuffix !== undefined) {
      return text.endsWith(this.starSuffix) && text.lastIndexOf('/', text.length - this.starSuffix.length - 1) < 0;
    }
    const kinds = this.kinds;
    if (!text.startsWith(this.head) || !text.endsWith(this.tail) || text.length < this.head.length + this.tail.length) return false;
    if (this.needle !== '' && !text.includes(this.needle, this.head.length)) return false;
    // Bit-parallel simulation (Shift-And with self-loops): state j is bit j; one character costs
    // a few word operations per 32 states, whatever the pattern.
    const words = (kinds.length >>> 5) + 1;
    if (this.cur.length !== words) {
      this.cur = new Uint32Array(words);
      this.next = new Uint32Array(words);
      const { eps, opt } = this.epsilonMasks(words);
      this.eps = eps;
      this.opt = opt;
    }
    let cur = this.cur;
    let next = this.next;
    cur.fill(0);
    cur[0] = 1;
    this.close(cur);
    for (let t = 0; t < text.length; t++) {
      const masks = this.masksFor(text.charCodeAt(t), words);
      const adv = masks.adv;
      const loop = masks.loop;
      let carry = 0;
      let any = 0;
      for (let w = 0; w < words; w++) {
        const a = cur[w]! & adv[w]!;
        const v = (a << 1) | carry | (cur[w]! & loop[w]!);
        carry = a >>> 31;
        next[w] = v;
        any |= v;
      }
      if (any === 0) return false;
      this.close(next);
      [cur, next] = [next, cur];
    }
    const m = kinds.length;
    return ((cur[m >>> 5]! >>> (m & 31)) & 1) === 1;
  }

  private eps: Uint32Array = new Uint32Array(0);
  private opt: Uint32Array = new Uint32Array(0);
  private readonly asciiMasks: ({ adv: Uint32Array; loop: Uint32Array } | undefined)[] = [];
  private readonly otherMasks = new Map<number, { adv: Uint32Array; loop: Uint32Array }>();

  /** Bits of the states with an epsilon move to the next state (stars, "**\/"), and of "**\/" (to 3 on). */
  private epsilonMasks(words: number): { eps: Uint32Array; opt: Uint32Array } {
    const eps = new Uint32Array(words);
    const opt = new Uint32Array(words);
    this.kinds.forEach((k, j) => {
      if (k === STAR || k === ANYSTAR || k === OPT) eps[j >>> 5]! |= 1 << (j & 31);
      if (k === OPT) opt[j >>> 5]! |= 1 << (j & 31);
    });
    return { eps, opt };
  }

  /** Adds the epsilon moves to `set` until nothing changes (chains are short: "**\/" runs are merged). */
  private close(set: Uint32Array): void {
    const { eps, opt } = this;
    for (let changed = 1; changed !== 0;) {
      changed = 0;
      let c1 = 0;
      let c3 = 0;
      for (let w = 0; w < set.length; w++) {
        const e = set[w]! & eps[w]!;
        const o = set[w]! & opt[w]!;
        const v = set[w]! | (e << 1) | c1 | (o << 3) | c3;
        c1 = e >>> 31;
        c3 = o >>> 29;
        changed |= v ^ set[w]!;
        set[w] = v;
      }
    }
  }

  /** For character `c`: the states it advances (`adv`) and the stars it keeps (`loop`), cached. */
  private masksFor(c: number, words: number): { adv: Uint32Array; loop: Uint32Array } {
    const cached = c < 128 ? this.asciiMasks[c] : this.otherMasks.get(c);
    if (cached !== undefined) return cached;
    const adv = new Uint32Array(words);
    const loop = new Uint32Array(words);
    const { kinds, codes, classes } = this;
    for (let j = 0; j < kinds.length; j++) {
      const bit = 1 << (j & 31);
      const k = kinds[j];
      if ((k === LIT && c === codes[j]) || (k === ONE && c !== SLASH) || (k === CLASS && c !== SLASH && classes[codes[j]!]!(c)))
        adv[j >>> 5]! |= bit;
      else if ((k === STAR && c !== SLASH) || k === ANYSTAR) loop[j >>> 5]! |= bit;
    }
    const masks = { adv, loop };
    if (c < 128) this.asciiMasks[c] = masks;
    else if (this.otherMasks.size < 256) this.otherMasks.set(c, masks);
    return masks;
  }
}

const POSIX: Record<string, ClassTest> = {
  alnum: (c) => isDigit(c) || isAlpha(c),
  alpha: (c) => isAlpha(c),
  blank: (c) => c === 0x20 || c === 0x09,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  digit: (c) => isDigit(c),
  graph: (c) => c > 0x20 && c < 0x7f,
  lower: (c) => c >= 0x61 && c <= 0x7a,
  print: (c) => c >= 0x20 && c < 0x7f,
  punct: (c) => c > 0x20 && c < 0x7f && !isDigit(c) && !isAlpha(c),
  space: (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d),
  upper: (c) => c >= 0x41 && c <= 0x5a,
  xdigit: (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
};

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * A bracket expression starting at p[start] === '[', as git's wildmatch reads it: '!' or '^'
 * negates, a leading ']' is a member, 'a-z' is a range, '\x' is x, '[:alpha:]' a POSIX class.
 * Null when git would abort the match (no closing ']', an unknown POSIX class).
 */
function parseClass(p: string, start: number): { test: ClassTest; end: number } | null {
  let i = start + 1;
  let negated = false;
  if (p[i] === '!' || p[i] === '^') {
    negated = true;
    i++;
  }
  const ranges: number[] = [];
  const named: ClassTest[] = [];
  let prev = -1;
  let first = true;
  for (; i < p.length; i++, first = false) {
    let ch = p.charCodeAt(i);
    if (ch === 0x5d /* ] */ && !first) {
      const test: ClassTest = (c) => {
        let hit = false;
        for (let r = 0; r < ranges.length && !hit; r += 2) hit = c >= ranges[r]! && c <= ranges[r + 1]!;
        for (let n = 0; n < named.length && !hit; n++) hit = named[n]!(c);
        return hit !== negated;
      };
      return { test, end: i };
    }
    if (ch === 0x5c) {
      if (++i >= p.length) return null;
      ch = p.charCodeAt(i);
      ranges.push(ch, ch);
      prev = ch;
    } else if (ch === 0x2d /* - */ && prev >= 0 && i + 1 < p.length && p[i + 1] !== ']') {
      let hiCh = p.charCodeAt(++i);
      if (hiCh === 0x5c) {
        if (++i >= p.length) return null;
        hiCh = p.charCodeAt(i);
      }
      // git keeps the range's low end as a member even when the range is empty (z-a).
      ranges.push(prev, hiCh);
      prev = -1;
    } else if (ch === 0x5b && p[i + 1] === ':') {
      const close = p.indexOf(']', i + 2);
      if (close < 0) return null;
      if (p[close - 1] !== ':' || close - 1 < i + 2) {
        // No ":]": the '[' is an ordinary member, as in git.
        ranges.push(ch, ch);
        prev = ch;
        continue;
      }
      const fn = POSIX[p.slice(i + 2, close - 1)];
      if (fn === undefined) return null;
      named.push(fn);
      i = close;
      prev = -1;
    } else {
      ranges.push(ch, ch);
      prev = ch;
    }
  }
  return null;
}
