// Array merging for the json driver: arrays of records by identity key, other arrays as sequences
// (diff3 on elements). Concurrent inserts are kept in an order that does not depend on which side is
// ours, so swapping the sides of a clean merge gives the same data.
import { appendPointer } from './json-pointer.js';
import { diff3Symbols, matchSymbols, symbolize, type Range } from './sequence-diff3.js';
import { JsonNumber, JsonObject, canonicalJson, kindOf, jsonEqual, scalarKey, stringValue, type JsonScalar, type JsonValue } from './json-value.js';
import { Descend, conflict, type MergeContext, type MergeTask, type Merged } from './json-merge-context.js';

type Step = Generator<MergeTask, JsonValue[], Merged>;

export function* mergeArray(b: JsonValue[], o: JsonValue[], t: JsonValue[], ptr: string, ctx: MergeContext): MergeTask {
  const ids = identities(b, o, t, ctx.idKey);
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
  const cb = count(b), co = count(o), ct = count(t);
  const keys = new Set([...co.keys(), ...ct.keys()]);
  const out: [string, JsonValue][] = [];
  for (const k of keys) {
    const nb = cb.get(k)?.[1] ?? 0, no = co.get(k)?.[1] ?? 0, nt = ct.get(k)?.[1] ?? 0;
    const n = no === nb ? nt : nt === nb ? no : no > nb && nt > nb ? Math.max(no, nt) : no < nb && nt < nb ? Math.min(no, nt) : Math.max(0, no + nt - nb);
    const v = (co.get(k) ?? ct.get(k))![0];
    for (let i = 0; i < n; i++) out.push([k, v]);
  }
  // Ties (1 and 1.0) fall back to the canonical text, so the order never depends on the side.
  out.sort((x, y) => cmp(x[1], y[1]) || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return out.map((e) => e[1]);
}

/** The identity keys of every element when all three arrays are records with unique string or number ids; else null. */
function identities(b: JsonValue[], o: JsonValue[], t: JsonValue[], key: string): [string[], string[], string[]] | null {
  if (b.length + o.length + t.length === 0) return null;
  const keysOf = (arr: JsonValue[]): string[] | null => {
    const seen = new Set<string>();
    const out = new Array<string>(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const el = arr[i]!;
      const id = el instanceof JsonObject ? el.get(key) : undefined;
      if (id === undefined) return null;
      const kind = kindOf(id);
      if (kind !== 'string' && kind !== 'number') return null;
      const k = scalarKey(id as JsonScalar);
      if (seen.has(k)) return null;
      seen.add(k);
      out[i] = k;
    }
    return out;
  };
  const kb = keysOf(b), ko = kb && keysOf(o), kt = ko && keysOf(t);
  return kb && ko && kt ? [kb, ko, kt] : null;
}

function* mergeSequence(b: JsonValue[], o: JsonValue[], t: JsonValue[], ptr: string, ctx: MergeContext): Step {
  const kb = b.map(canonicalJson), ko = o.map(canonicalJson), kt = t.map(canonicalJson);
  const [sb, so, st] = symbolize([kb, ko, kt]) as [Int32Array, Int32Array, Int32Array];
  const out: JsonValue[] = [];
  const theirsRuns: [at: number, oursLength: number, items: Range][] = [];
  let keptO: Int32Array | null, keptT: Int32Array | null;
  for (const r of diff3Symbols(sb, so, st)) {
    if (r.kind === 'theirs') pushRange(out, t, r.theirs);
    else if (r.kind !== 'conflict') pushRange(out, o, r.ours);
    else if (r.base.start === r.base.end) {
      // Both inserted here: keep both runs, shared elements once.
      const u = unionRuns(ko, so, r.ours, kt, st, r.theirs);
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

function* mergeById(b: JsonValue[], o: JsonValue[], t: JsonValue[], [kb, ko, kt]: [string[], string[], string[]], ptr: string, ctx: MergeContext, sorted: Comparator | null): Step {
  const index = (keys: string[]) => new Map(keys.map((k, i) => [k, i]));
  const bi = index(kb), oi = index(ko), ti = index(kt);
  const get = (arr: JsonValue[], idx: Map<string, number>, k: string): JsonValue | undefined => {
    const i = idx.get(k);
    return i === undefined ? undefined : arr[i];
  };
  // A record one side deleted stays (as a conflict) only if the other side changed it.
  const wanted = (k: string): boolean => {
    const bv = get(b, bi, k), ov = get(o, oi, k), tv = get(t, ti, k);
    if (ov !== undefined && tv !== undefined) return true;
    if (ov === undefined && tv === undefined) return false;
    return bv === undefined || !jsonEqual(bv, (ov ?? tv)!);
  };

  // Order: a diff3 of the id sequences, so moves and inserts on either side are kept.
  const [sb, so, st] = symbolize([kb, ko, kt]) as [Int32Array, Int32Array, Int32Array];
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (k: string): void => {
    if (!placed.has(k) && wanted(k)) {
      placed.add(k);
      order.push(k);
    }
  };
  for (const r of diff3Symbols(sb, so, st)) {
    if (r.kind === 'theirs') for (let i = r.theirs.start; i < r.theirs.end; i++) place(kt[i]!);
    else if (r.kind !== 'conflict') for (let i = r.ours.start; i < r.ours.end; i++) place(ko[i]!);
    else for (const [fromOurs, i] of unionRuns(ko, so, r.ours, kt, st, r.theirs)) place(fromOurs ? ko[i]! : kt[i]!);
  }
  // Records kept only as conflicts may have been dropped by the order merge: put each back after its
  // nearest predecessor on its own side.
  const inOrder = new Set(order);
  const after = new Map<string | null, string[]>();
  for (const keys of [ko, kt]) {
    let anchor: string | null = null;
    for (const k of keys) {
      if (inOrder.has(k)) anchor = k;
      else if (!placed.has(k) && wanted(k)) {
        placed.add(k);
        const list = after.get(anchor);
        if (list === undefined) after.set(anchor, [k]);
        else list.push(k);
      }
    }
  }
  const final = after.size === 0 ? order : [...(after.get(null) ?? []), ...order.flatMap((k) => [k, ...(after.get(k) ?? [])])];
  // Records sorted by id in all three versions stay sorted (decided before any pointer is handed out).
  if (sorted !== null) {
    const idOf = (k: string) => ((get(o, oi, k) ?? get(t, ti, k)) as JsonObject).get(ctx.idKey)!;
    final.sort((x, y) => sorted(idOf(x), idOf(y)) || (x < y ? -1 : x > y ? 1 : 0));
  }

  const out: JsonValue[] = [];
  for (const k of final) {
    const bv = get(b, bi, k), ov = get(o, oi, k), tv = get(t, ti, k);
    const at = appendPointer(ptr, out.length);
    let v: Merged | Descend;
    if (ov !== undefined && tv !== undefined) v = ctx.decide(bv, ov, tv, at, ctx);
    else if (ov !== undefined) v = bv === undefined ? ov : conflict(ctx, at, 'modify-delete', bv, ov, undefined);
    else v = bv === undefined ? tv : conflict(ctx, at, 'delete-modify', bv, undefined, tv);
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
function unionRuns(ko: string[], so: Int32Array, ro: Range, kt: string[], st: Int32Array, rt: Range): [boolean, number][] {
  const oursFirst = compareRuns(ko, ro, kt, rt) <= 0;
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
function compareRuns(ka: string[], ra: Range, kc: string[], rc: Range): number {
  for (let i = 0; ; i++) {
    const endA = ra.start + i >= ra.end, endC = rc.start + i >= rc.end;
    if (endA || endC) return endA && endC ? 0 : endA ? -1 : 1;
    const a = ka[ra.start + i]!, c = kc[rc.start + i]!;
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
          const a = stringValue(x)!, c = stringValue(y)!;
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
