// The JSON bodies of protocol version 1 (docs/PROTOCOL.md §4.1), each declared once: a zod schema,
// and its TypeScript type inferred from it. The server checks requests with the schemas; the client
// checks answers by hand (client/answer-check.ts, typed by these) and imports from here only with
// `import type`, which compiles away: a command should not pay zod's ~120 ms load for four shapes
// (eslint enforces this for src/sync/client).
import { z } from 'zod';

const hexId = z.string().regex(/^[0-9a-f]{64}$/);
const refName = z.string().min(1).max(1024);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** `GET refs`: every branch and tag; `head` is the branch HEAD names. */
export const RefsResponse = z.object({
  version: z.literal(1),
  head: refName.nullable(),
  refs: z.array(z.object({ name: refName, id: hexId })),
});
export type RefsResponse = z.infer<typeof RefsResponse>;

export const FetchListRequest = z.object({
  wants: z.array(hexId).min(1).max(100_000),
  haves: z.array(hexId).max(100_000),
});
export type FetchListRequest = z.infer<typeof FetchListRequest>;

/** One ref update of a push: compare-and-swap `old` -> `new` (null: absent / delete). */
export const RefUpdate = z.object({
  name: refName,
  old: hexId.nullable(),
  new: hexId.nullable(),
  force: z.boolean().default(false),
});
export type RefUpdate = z.infer<typeof RefUpdate>;

export const PushRefsRequest = z.object({
  updates: z.array(RefUpdate).min(1).max(10_000),
});
export type PushRefsRequest = z.infer<typeof PushRefsRequest>;

/** What the server did with one update. */
export const RefResult = z.object({
  name: refName,
  old: hexId.nullable(),
  new: hexId.nullable(),
  status: z.enum(['ok', 'up-to-date']),
  forced: z.boolean(),
});
export type RefResult = z.infer<typeof RefResult>;

export const PushRefsResponse = z.object({
  results: z.array(RefResult),
  promoted: count,
});
export type PushRefsResponse = z.infer<typeof PushRefsResponse>;

export const PushObjectsResponse = z.object({
  objects: count,
  bytes: count,
  complete: z.boolean(),
});
export type PushObjectsResponse = z.infer<typeof PushObjectsResponse>;

/** The body of every 4xx/5xx answer (§3). `code` is a cairn error code, or INTERNAL for a 500. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().min(1).max(64),
    message: z.string().min(1).max(4096),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
