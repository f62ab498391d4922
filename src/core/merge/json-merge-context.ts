// What the json merge steps share: the merged-value and task types, the run's context, and how a
// conflict is recorded or settled.
import type { MergeConflict } from './types.js';
import { type JsonValue } from './json-value.js';
import { toPlain } from './json-plain.js';

/** A value after merging; undefined = the key or element is absent. */
export type Merged = JsonValue | undefined;
/** A merge step that needs sub-merges; run by runTask so document depth never touches the native stack. */
export type MergeTask = Generator<MergeTask, Merged, Merged>;

/** Ask the caller to run a sub-merge as its own task (`yield step.task`). */
export class Descend {
  constructor(readonly task: MergeTask) {}
}

export interface MergeContext {
  /** Identity key of records in arrays ('id' unless the attributes say otherwise). */
  idKey: string;
  favor: 'ours' | 'theirs' | undefined;
  conflicts: MergeConflict[];
  settled: number;
  /** New container -> the ours container it was merged from, so the printer can keep its style. */
  origin: Map<object, object>;
  /** The value merge (json-merge.ts), passed in so array merging needs no import cycle. */
  decide: (b: Merged, o: JsonValue, t: JsonValue, ptr: string, ctx: MergeContext) => Merged | Descend;
}

/** Records (or with `favor`, settles) a conflict; returns the value the document keeps there. */
export function conflict(ctx: MergeContext, location: string, kind: MergeConflict['kind'], b: Merged, o: Merged, t: Merged): Merged {
  if (ctx.favor !== undefined) {
    ctx.settled++;
    return ctx.favor === 'theirs' ? t : o;
  }
  const c: MergeConflict = { location, kind };
  if (b !== undefined) c.base = toPlain(b);
  if (o !== undefined) c.ours = toPlain(o);
  if (t !== undefined) c.theirs = toPlain(t);
  ctx.conflicts.push(c);
  return o;
}
