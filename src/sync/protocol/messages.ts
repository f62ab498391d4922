// Protocol version 1 (docs/PROTOCOL.md §2, §4.1): the endpoints under a repository URL and the JSON bodies
// they exchange. The server checks requests with the zod schemas in server/request-schemas.ts; the client
// checks answers with client/answer-check.ts (a command should not pay zod's ~120 ms load for four shapes).

export const ENDPOINTS = ['refs', 'fetch-list', 'fetch-objects', 'push-lacks', 'push-objects', 'push-refs'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const MEDIA = {
  json: 'application/json',
  ids: 'application/x-cairn-ids',
  bitmap: 'application/x-cairn-bitmap',
  stream: 'application/x-cairn-objects',
} as const;

export type ObjectIdHex = string;

export interface RefsResponse {
  version: 1;
  /** The ref HEAD points to, when it is a branch. */
  head: string | null;
  refs: { name: string; id: ObjectIdHex }[];
}

export interface FetchListRequest {
  wants: ObjectIdHex[];
  haves: ObjectIdHex[];
}

export interface PushRefsRequest {
  updates: { name: string; old: ObjectIdHex | null; new: ObjectIdHex | null; force: boolean }[];
}

export interface RefResult {
  name: string;
  old: ObjectIdHex | null;
  new: ObjectIdHex | null;
  status: 'ok' | 'up-to-date';
  forced: boolean;
}

export interface PushRefsResponse {
  results: RefResult[];
  promoted: number;
}

export interface PushObjectsResponse {
  objects: number;
  bytes: number;
  complete: boolean;
}

/** The error body of every 4xx/5xx answer. `code` is a cairn error code. */
export interface ErrorBody {
  error: { code: string; message: string; data?: Record<string, unknown> };
}

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
