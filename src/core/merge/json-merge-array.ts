// Array merging for the json driver: arrays of records by identity key, other arrays as sequences
// (diff3 on elements). Concurrent inserts are kept in an order that does not depend on which side is
// ours, so swapping the sides of a clean merge gives the same data.
import { appendPointer } from './json-pointer.js';
import { diff3Symbols, matchSymbols, symbolize, type Range } from './sequence-diff3.js';
import { elementKey, recordIds, type RecordIds } from './json-fingerprint.js';
import { JsonNumber, type JsonObject, canonicalJson, kindOf, jsonEqual, stringValue, type JsonValue } from './json-value.js';
import { Descend, conflict, type MergeContext, type MergeTask, type Merged } from './json-merge-context.js';

type Step = Generator<MergeTask, JsonValue[], Merged>;

export function* mergeArray(b: JsonValue[], o: JsonValue[], t: JsonValue[], ptr: string, ctx: MergeContext): MergeTask {
  const found = recordIds([b, o, t], ctx.idKey);
  const ids = found === null || b.length + o.length + t.length === 0 ? null : (found as Identities);
  let merged: JsonValue[];
  if (ids !== null) {
    const idOf = (x: JsonValue) => (x as JsonObject).get(ctx.idKey)!;
    merged = yield* mergeById(b, o, t, ids, ptr, ctx, sortedComparator([b, o, t], idOf));
  } else {
    const cmp = sortedComparator([b, o, t], (x) => x);
    merged = cmp !== null ? mergeSortedBag(b, o, t, cmp) : yield* mergeSequence(b, o, t, ptr, ctx);
  }
  if (merged === o || (merged.length === o.length && merged.every((x, i) => x === o[i]))) return o;
  ctx.origin.set(merged, o);
  return merged;
}

/**
 * An array of numbers or strings sorted in all three versions is a sorted bag: each value's count
 * follows the side that changed it (both added: the larger count, so a value both sides added is there
 * once; both removed: the smaller), and the result is sorted. Never a conflict.
 */
function mergeSortedBag(b: JsonValue[], o: JsonValue[], t: JsonValue[], cmp: Comparator): JsonValue[] {
  const count = (arr: JsonValue[]) => {
    const m = new Map<string, [JsonValue, number]>();
    for (const v of arr) {
      const k = canonicalJson(v);
      const e = m.get(k);
      if (e === undefined) m.set(k, [v, 1]);
      else e[1]++;
    }
    return m;
  };
  const cb = count(b),
    co = count(o),
    ct = count(t);
  const keys = new Set([...co.keys(), ...ct.keys()]);
  const out: [string, JsonValue][] = [];
  for (const k of keys) {
    const nb = cb.get(k)?.[1] ?? 0,
      no = co.get(k)?.[1] ?? 0,
      nt = ct.get(k)?.[1] ?? 0;
    const n =
      no === nb
        ? nt
        : nt === nb
          ? no
          : no > nb && nt > nb
            ? Math.max(no, nt)
            : no < nb && nt < nb
              ? Math.min(no, nt)
              : Math.max(0, no + nt - nb);
    const v = (co.get(k) ?? ct.get(k))![0];
    for (let i = 0; i < n; i++) out.push([k, v]);
  }
  // Ties (1 and 1.0) fall back to the canonical text, so the order never depends on the side.
  out.sort((x, y) => cmp(x[1], y[1]) || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return out.map((e) => e[1]);
}

function* mergeSequence(b: JsonValue[], o: JsonValue[], t: JsonValue[], ptr: string, ctx: MergeContext): Step {
  const kb = b.map(elementKey),
    ko = o.map(elementKey),
    kt = t.map(elementKey);
  const [sb, so, st] = symbolize([kb, ko, kt]) as [Int32Array, Int32Array, Int32Array];
  const out: JsonValue[] = [];
  const theirsRuns: [at: number, oursLength: number, items: Range][] = [];
  let keptO: Int32Array | null, keptT: Int32Array | null;
  for (const r of diff3Symbols(sb, so, st)) {
    if (r.kind === 'theirs') pushRange(out, t, r.theirs);
    else if (r.kind !== 'conflict') pushRange(out, o, r.ours);
    else if (r.base.start === r.base.end) {
      // Both inserted here: keep both runs, shared elements once.
      const u = unionRuns((side, i) => (side === 1 ? ko : kt)[i]!, so, r.ours, st, r.theirs);
      for (const [fromOurs, i] of u) out.push(fromOurs ? o[i]! : t[i]!);
    } else if ((keptO = deletedOnly(sb, r.base, so, r.ours)) && (keptT = deletedOnly(sb, r.base, st, r.theirs))) {
      // Both only deleted here: keep what neither deleted.
      for (let i = 0; i < keptO.length; i++) if (keptO[i]! >= 0 && keptT[i]! >= 0) out.push(o[keptO[i]!]!);
    } else if (r.ours.end - r.ours.start === r.base.end - r.base.start && r.theirs.end - r.theirs.start === r.base.end - r.base.start) {
      // Same length on all sides: the elements were edited in place, so merge them pairwise.
      for (let i = 0; i < r.base.end - r.base.start; i++) {
        let v = ctx.decide(b[r.base.start + i], o[r.ours.start + i]!, t[r.theirs.start + i]!, appendPointer(ptr, out.length), ctx);
        if (v instanceof Descend) v = yield v.task;
        if (v !== undefined) out.push(v);
      }
    } else {
      theirsRuns.push([out.length, r.ours.end - r.ours.start, r.theirs]);
      pushRange(out, o, r.ours);
    }
  }
  if (theirsRuns.length === 0) return out;
  // One conflict for the array: its two values are the merged array with each clashing run taken
  // from that side, so either resolution keeps every clean edit.
  const theirsVariant: JsonValue[] = [];
  let from = 0;
  for (const [at, len, items] of theirsRuns) {
    pushRange(theirsVariant, out, { start: from, end: at });
    pushRange(theirsVariant, t, items);
    from = at + len;
  }
  pushRange(theirsVariant, out, { start: from, end: out.length });
  return conflict(ctx, ptr, 'both-modified', b, out, theirsVariant) as JsonValue[];
}

/** Record ids of base, ours and theirs (text side 1 = ours, 2 = theirs). */
type Identities = RecordIds & { syms: [Int32Array, Int32Array, Int32Array] };

function* mergeById(
  b: JsonValue[],
  o: JsonValue[],
  t: JsonValue[],
  ids: Identities,
  ptr: string,
  ctx: MergeContext,
  sorted: Comparator | null,
): Step {
  const [sb, so, st] = ids.syms;
  // Where each id sits on each side is a typed-array lookup.
  const symbols = Math.max(-1, ...ids.syms.map((syms) => syms.reduce((m, x) => (x > m ? x : m), -1))) + 1;
  const where = (syms: Int32Array) => {
    const at = new Int32Array(symbols).fill(-1);
    for (let i = 0; i < syms.length; i++) at[syms[i]!] = i;
    return at;
  };
  const pb = where(sb),
    po = where(so),
    pt = where(st);
  // A record one side deleted stays (as a conflict) only if the other side changed it.
  const wanted = (s: number): boolean => {
    if (po[s]! >= 0 && pt[s]! >= 0) return true;
    if (po[s]! < 0 && pt[s]! < 0) return false;
    return pb[s]! < 0 || !jsonEqual(b[pb[s]!]!, po[s]! >= 0 ? o[po[s]!]! : t[pt[s]!]!);
  };

  // Order: a diff3 of the id sequences, so moves and inserts on either side are kept.
  const order: number[] = [];
  const placed = new Uint8Array(symbols);
  const place = (s: number): void => {
    if (placed[s] === 0 && wanted(s)) {
      placed[s] = 1;
      order.push(s);
    }
  };
  for (const r of diff3Symbols(sb, so, st)) {
    if (r.kind === 'theirs') for (let i = r.theirs.start; i < r.theirs.end; i++) place(st[i]!);
    else if (r.kind !== 'conflict') for (let i = r.ours.start; i < r.ours.end; i++) place(so[i]!);
    else for (const [fromOurs, i] of unionRuns(ids.text, so, r.ours, st, r.theirs)) place(fromOurs ? so[i]! : st[i]!);
  }
  // Records kept only as conflicts may have been dropped by the order merge: put each back after its
  // nearest predecessor on its own side.
  const inOrder = placed.slice();
  const after = new Map<number, number[]>(); // anchor symbol (-1: the start) -> records to put after it
  for (const syms of [so, st]) {
    let anchor = -1;
    for (const s of syms) {
      if (inOrder[s] === 1) anchor = s;
      else if (placed[s] === 0 && wanted(s)) {
        placed[s] = 1;
        const list = after.get(anchor);
        if (list === undefined) after.set(anchor, [s]);
        else list.push(s);
      }
    }
  }
  const final = after.size === 0 ? order : [...(after.get(-1) ?? []), ...order.flatMap((s) => [s, ...(after.get(s) ?? [])])];
  // Records sorted by id in all three versions stay sorted (decided before any pointer is handed out).
  if (sorted !== null) {
    const idOf = (s: number) => ((po[s]! >= 0 ? o[po[s]!] : t[pt[s]!]) as JsonObject).get(ctx.idKey)!;
    const keyOf = (s: number) => (po[s]! >= 0 ? ids.text(1, po[s]!) : ids.text(2, pt[s]!));
    final.sort((x, y) => sorted(idOf(x), idOf(y)) || (keyOf(x) < keyOf(y) ? -1 : keyOf(x) > keyOf(y) ? 1 : 0));
  }

  const out: JsonValue[] = [];
  for (const s of final) {
    const bv = pb[s]! >= 0 ? b[pb[s]!] : undefined,
      ov = po[s]! >= 0 ? o[po[s]!] : undefined,
      tv = pt[s]! >= 0 ? t[pt[s]!] : undefined;
    let v: Merged | Descend;
    if (ov !== undefined && tv !== undefined) v = ov === tv ? ov : ctx.decide(bv, ov, tv, appendPointer(ptr, out.length), ctx);
    else if (ov !== undefined)
      v = bv === undefined ? ov : conflict(ctx, appendPointer(ptr, out.length), 'modify-delete', bv, ov, undefined);
    else v = bv === undefined ? tv : conflict(ctx, appendPointer(ptr, out.length), 'delete-modify', bv, undefined, tv);
    if (v instanceof Descend) v = yield v.task;
    if (v !== undefined) out.push(v);
  }
  return out;
}

function pushRange(out: JsonValue[], from: JsonValue[], r: Range): void {
  for (let i = r.start; i < r.end; i++) out.push(from[i]!);
}

/**
 * Two runs inserted at the same place, merged: elements common to both once, the rest in gaps with
 * the run that sorts first (by content) before the other. Yields [fromOurs, index] pairs.
 */
function unionRuns(text: (side: 1 | 2, i: number) => string, so: Int32Array, ro: Range, st: Int32Array, rt: Range): [boolean, number][] {
  const oursFirst = compareRuns(text, ro, rt) <= 0;
  const [p, pr, q, qr] = oursFirst ? [so, ro, st, rt] : [st, rt, so, ro];
  const m = matchSymbols(p.subarray(pr.start, pr.end), q.subarray(qr.start, qr.end));
  const out: [boolean, number][] = [];
  let j = 0;
  const fromQ = (jj: number): [boolean, number] => [!oursFirst, qr.start + jj];
  for (let i = 0; i < m.length; i++) {
    const mi = m[i]!;
    if (mi < 0) {
      out.push([oursFirst, pr.start + i]);
      continue;
    }
    while (j < mi) out.push(fromQ(j++));
    j++;
    // A shared element: take ours' copy (its formatting), whichever run came first.
    out.push(oursFirst ? [true, pr.start + i] : [true, qr.start + mi]);
  }
  while (j < qr.end - qr.start) out.push(fromQ(j++));
  return out;
}

/** Lexicographic order of two runs of element keys: which of two concurrent inserts goes first. */
function compareRuns(text: (side: 1 | 2, i: number) => string, ra: Range, rc: Range): number {
  for (let i = 0; ; i++) {
    const endA = ra.start + i >= ra.end,
      endC = rc.start + i >= rc.end;
    if (endA || endC) return endA && endC ? 0 : endA ? -1 : 1;
    const a = text(1, ra.start + i),
      c = text(2, rc.start + i);
    if (a !== c) return a < c ? -1 : 1;
  }
}

/** When `x` only deleted elements of the base range: for each base element, its index in x or -1. */
function deletedOnly(base: Int32Array, br: Range, x: Int32Array, xr: Range): Int32Array | null {
  const kept = new Int32Array(br.end - br.start).fill(-1);
  let j = xr.start;
  for (let i = br.start; i < br.end && j < xr.end; i++) if (base[i] === x[j]) kept[i - br.start] = j++;
  return j === xr.end ? kept : null;
}

type Comparator = (x: JsonValue, y: JsonValue) => number;

/** A comparator when all three arrays are sorted the same way (numbers or strings), else null. */
function sortedComparator(arrays: JsonValue[][], sortKey: (x: JsonValue) => JsonValue): Comparator | null {
  let kind: string | null = null;
  for (const arr of arrays)
    for (const el of arr) {
      const k = kindOf(sortKey(el));
      if ((k !== 'number' && k !== 'string') || (kind !== null && k !== kind)) return null;
      kind = k;
    }
  const num = (v: JsonValue): number => (v instanceof JsonNumber ? Number(v.text) : (v as number));
  const cmp =
    kind === 'number'
      ? (x: JsonValue, y: JsonValue) => (num(x) < num(y) ? -1 : num(x) > num(y) ? 1 : 0)
      : (x: JsonValue, y: JsonValue) => {
          const a = stringValue(x)!,
            c = stringValue(y)!;
          return a < c ? -1 : a > c ? 1 : 0;
        };
  let dir = 0;
  for (const arr of arrays)
    for (let i = 1; i < arr.length; i++) {
      const c = cmp(sortKey(arr[i - 1]!), sortKey(arr[i]!));
      if (c === 0) continue;
      if (dir !== 0 && c !== dir) return null;
      dir = c;
    }
  if (dir === 0) return null;
  return dir < 0 ? cmp : (x, y) => cmp(y, x);
}
