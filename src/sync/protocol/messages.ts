// Protocol version 1 (docs/PROTOCOL.md §2, §8): the endpoints under a repository URL, media types and
// server limits. The JSON bodies they exchange are declared once, in schemas.ts (§4.1); this module stays
// free of zod because every command that talks to a remote loads it.

export const ENDPOINTS = ['refs', 'fetch-list', 'fetch-objects', 'push-lacks', 'push-objects', 'push-refs'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const MEDIA = {
  json: 'application/json',
  ids: 'application/x-cairn-ids',
  bitmap: 'application/x-cairn-bitmap',
  stream: 'application/x-cairn-objects',
} as const;

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
  /** Requests without a token served at once (a server with tokens only); more get 503. */
  maxAnonymous: number;
  /** Requests at once from one address (requests without a token) ... */
  maxPerAddress: number;
  /** ... and with one token; more get 503. */
  maxPerToken: number;
  /** Open connections in all, and from one address: more are closed at once. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** The request headers must arrive within this long of the connection or of the previous answer. */
  headersTimeoutMs: number;
  /** An idle kept-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** A body must bring at least `progressMinBytes` in every `progressWindowMs` (sliding); else 408. */
  progressWindowMs: number;
  progressMinBytes: number;
  /** Failed authentications (unknown tokens) from one address within `authWindowMs` before 429. */
  authFailures: number;
  authWindowMs: number;
  /** Quarantined (staged, unpublished) bytes per repository, and per client; more get 413. */
  maxQuarantineBytes: number;
  maxClientQuarantineBytes: number;
  /** Staging older than this is removed (on start and periodically). */
  stagingMaxAgeMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxSmallBody: 64 << 20,
  maxPushBytes: 64 * 2 ** 30,
  maxObjectBytes: 64 << 20,
  maxObjects: 10_000_000,
  maxConcurrent: 64,
  requestTimeoutMs: 60 * 60_000,
  idleTimeoutMs: 60_000,
  maxAnonymous: 16,
  maxPerAddress: 32,
  maxPerToken: 32,
  maxConnections: 1024,
  maxConnectionsPerAddress: 64,
  headersTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  progressWindowMs: 30_000,
  progressMinBytes: 32 << 10,
  authFailures: 20,
  authWindowMs: 60_000,
  maxQuarantineBytes: 64 * 2 ** 30,
  maxClientQuarantineBytes: 64 * 2 ** 30,
  stagingMaxAgeMs: 24 * 3_600_000,
};

/** Ref names a push may set: branches and tags only (remote-tracking refs and HEAD stay local). */
export function pushableRef(name: string): boolean {
  return name.startsWith('refs/heads/') || name.startsWith('refs/tags/');
}
