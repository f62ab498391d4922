// Protocol version 1 (docs/PROTOCOL.md): the endpoints under a repository URL and the JSON bodies
// they exchange. JSON from the other side is parsed with these schemas and nothing else: a field
// of the wrong shape is a 400 on the server and a REMOTE error on the client.
import { z } from 'zod';

export const ENDPOINTS = ['refs', 'fetch-list', 'fetch-objects', 'push-lacks', 'push-objects', 'push-refs'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const MEDIA = {
  json: 'application/json',
  ids: 'application/x-cairn-ids',
  bitmap: 'application/x-cairn-bitmap',
  stream: 'application/x-cairn-objects',
} as const;

const hexId = z.string().regex(/^[0-9a-f]{64}$/);
const refName = z.string().min(1).max(1024);

export const RefsResponse = z.object({
  version: z.literal(1),
  /** The ref HEAD points to, when it is a branch. */
  head: refName.nullable(),
  refs: z.array(z.object({ name: refName, id: hexId })),
});
export type RefsResponse = z.infer<typeof RefsResponse>;

export const FetchListRequest = z.object({
  wants: z.array(hexId).min(1).max(100_000),
  haves: z.array(hexId).max(100_000),
});
export type FetchListRequest = z.infer<typeof FetchListRequest>;

export const PushRefsRequest = z.object({
  updates: z
    .array(
      z.object({
        name: refName,
        old: hexId.nullable(),
        new: hexId.nullable(),
        force: z.boolean().default(false),
      }),
    )
    .min(1)
    .max(10_000),
});
export type PushRefsRequest = z.infer<typeof PushRefsRequest>;

export const RefResult = z.object({
  name: refName,
  old: hexId.nullable(),
  new: hexId.nullable(),
  status: z.enum(['ok', 'up-to-date']),
  forced: z.boolean(),
});
export const PushRefsResponse = z.object({
  results: z.array(RefResult),
  promoted: z.number().int().nonnegative(),
});
export type PushRefsResponse = z.infer<typeof PushRefsResponse>;

export const PushObjectsResponse = z.object({
  objects: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  complete: z.boolean(),
});
export type PushObjectsResponse = z.infer<typeof PushObjectsResponse>;

/** The error body of every 4xx/5xx answer. `code` is a cairn error code. */
export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Server limits (each can be changed with a `cairn serve` option). */
export interface ServerLimits {
  /** Largest JSON or id-list request body. */
  maxSmallBody: number;
  /** Largest object stream pushed in one request. */
  maxPushBytes: number;
  /** Largest single object, compressed or not. */
  maxObjectBytes: number;
  /** Most objects named or sent in one request. */
  maxObjects: number;
  /** Requests served at once; more get 503. */
  maxConcurrent: number;
  /** Whole-request deadline. */
  requestTimeoutMs: number;
  /** A connection that sends or accepts nothing for this long is closed. */
  idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxSmallBody: 64 << 20,
  maxPushBytes: 64 * 2 ** 30,
  maxObjectBytes: 64 << 20,
  maxObjects: 10_000_000,
  maxConcurrent: 64,
  requestTimeoutMs: 60 * 60_000,
  idleTimeoutMs: 60_000,
};

/** Ref names a push may set: branches and tags only (remote-tracking refs and HEAD stay local). */
export function pushableRef(name: string): boolean {
  return name.startsWith('refs/heads/') || name.startsWith('refs/tags/');
}
