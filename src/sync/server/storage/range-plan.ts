// Coalescing of byte ranges in one immutable pack into few GETs, and splitting the answers back.
// Pure computation: the S3 side (pack-bucket.ts) runs the plan; property tests check the split.

/** A byte range of a pack: `length` bytes from `offset` (both non-negative integers). */
export interface ByteRange {
  offset: number;
  length: number;
}

/** One GET of the plan: the bytes [offset, offset + length) and the asked ranges it covers. */
export interface Span extends ByteRange {
  /** Indexes into the asked ranges, each wholly inside this span. */
  members: number[];
}

export interface PlanOptions {
  /** Ranges whose gap is at most this many bytes share one GET (the gap's bytes are read and dropped). */
  gap: number;
  /** Merging across a gap never grows a span past this many bytes (overlapping ranges always merge). */
  maxSpan: number;
}

/**
 * The GETs that read `ranges`: sorted by offset, overlapping or nearby ranges merged while the span
 * stays within `maxSpan`. Every range is a member of exactly one span; zero-length ranges need no
 * bytes and belong to no span (their answer is an empty buffer).
 */
export function planRanges(ranges: readonly ByteRange[], opts: PlanOptions): Span[] {
  const order = ranges
    .map((r, i) => {
      if (!Number.isSafeInteger(r.offset) || !Number.isSafeInteger(r.length) || r.offset < 0 || r.length < 0)
        throw new RangeError(`range ${i} is not a non-negative integer offset and length`);
      return i;
    })
    .filter((i) => ranges[i]!.length > 0)
    .sort((a, b) => ranges[a]!.offset - ranges[b]!.offset || a - b);
  const spans: Span[] = [];
  let cur: Span | undefined;
  for (const i of order) {
    const r = ranges[i]!;
    const end = r.offset + r.length;
    if (cur !== undefined) {
      const curEnd = cur.offset + cur.length;
      const newEnd = Math.max(curEnd, end);
      // An overlapping range always joins (else two GETs would read the same bytes); a nearby one
      // joins while the span stays within maxSpan. Object records in a pack never overlap, so in
      // practice only the gap rule and the bound decide.
      if (r.offset < curEnd || (r.offset <= curEnd + opts.gap && newEnd - cur.offset <= opts.maxSpan)) {
        cur.length = newEnd - cur.offset;
        cur.members.push(i);
        continue;
      }
    }
    cur = { offset: r.offset, length: r.length, members: [i] };
    spans.push(cur);
  }
  return spans;
}

/** The asked ranges' bytes cut out of one span's body (which must be exactly the span's length). */
export function splitSpan(span: Span, body: Uint8Array, ranges: readonly ByteRange[]): Map<number, Uint8Array> {
  if (body.length !== span.length) throw new RangeError(`span body is ${body.length} bytes, not ${span.length}`);
  const out = new Map<number, Uint8Array>();
  for (const i of span.members) {
    const r = ranges[i]!;
    const start = r.offset - span.offset;
    out.set(i, body.subarray(start, start + r.length));
  }
  return out;
}
