// ASCII lanes for `cairn log --graph`, drawn like git's: '*' for the commit, '|' for a lane going on,
// '/' and '\' for lanes that join or fork. Fed commits in topological order, one at a time.
import type { ObjectId } from '../core/hash.js';

export interface GraphRows {
  /** The row beside the commit's first line. */
  commit: string;
  /** Connector rows drawn under it when lanes fork, join or shift (may be empty). */
  connectors: string[];
  /** The lanes alone, for further text lines of this commit. */
  padding: string;
  /** Column width every row of this commit is padded to, so text lines up. */
  width: number;
}

export class LogGraph {
  /** For each lane, the commit it is waiting for. Distinct: two lanes waiting for one commit join. */
  private lanes: ObjectId[] = [];

  next(id: ObjectId, parents: readonly ObjectId[]): GraphRows {
    let col = this.lanes.indexOf(id);
    if (col < 0) {
      col = this.lanes.length;
      this.lanes.push(id);
    }
    const before = this.lanes.length;
    const commitRow = this.lanes.map((_, i) => (i === col ? '*' : '|'));

    // The next lanes: the commit's lane is replaced by its parents not already waited for elsewhere.
    const next: ObjectId[] = [];
    const fresh: ObjectId[] = [];
    for (const p of parents) if (!this.lanes.includes(p) && !fresh.includes(p)) fresh.push(p);
    const moves: [number, number][] = [];
    for (let i = 0; i < this.lanes.length; i++) {
      if (i === col) next.push(...fresh);
      else next.push(this.lanes[i]!);
    }
    for (let i = 0; i < this.lanes.length; i++) {
      if (i !== col) moves.push([i, next.indexOf(this.lanes[i]!)]);
    }
    for (const p of new Set(parents)) moves.push([col, next.indexOf(p)]);
    this.lanes = next;

    const width = 2 * Math.max(before, next.length, 1);
    const connectors = drawMoves(moves);
    return {
      commit: commitRow.join(' '),
      connectors,
      padding: next.map(() => '|').join(' '),
      width,
    };
  }
}

/**
 * Rows that carry each edge from its column to its target, one column per row, so every
 * character is a '|', '/' or '\' as in git. No rows when nothing shifts.
 */
function drawMoves(moves: readonly [number, number][]): string[] {
  const rows: string[] = [];
  const at = moves.map(([from]) => from);
  for (;;) {
    const pending = moves.some(([, to], k) => at[k] !== to);
    if (!pending) break;
    const width = 2 * Math.max(...at, ...moves.map(([, to]) => to)) + 2;
    const row: string[] = new Array(width).fill(' ');
    moves.forEach(([, to], k) => {
      const cur = at[k]!;
      if (cur === to) {
        row[2 * cur] = '|';
      } else if (to > cur) {
        row[2 * cur + 1] = '\\';
        at[k] = cur + 1;
      } else {
        row[2 * cur - 1] = '/';
        at[k] = cur - 1;
      }
    });
    rows.push(row.join('').trimEnd());
  }
  return rows;
}

/** Lays out one commit's text lines beside its graph rows. */
export function besideGraph(rows: GraphRows, text: readonly string[]): string[] {
  const out: string[] = [];
  const pad = (g: string, t: string) => (t === '' ? g : g.padEnd(rows.width) + t).trimEnd();
  const graphRows = [rows.commit, ...rows.connectors];
  const n = Math.max(graphRows.length, text.length);
  for (let i = 0; i < n; i++) out.push(pad(graphRows[i] ?? rows.padding, text[i] ?? ''));
  return out;
}
