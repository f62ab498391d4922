// The server's checks of request bodies (docs/PROTOCOL.md §4.1): a field of the wrong shape is a
// 400 before any work. The server is long-running, so zod's load cost does not matter here.
import { z } from 'zod';
import type { FetchListRequest as FetchList, PushRefsRequest as PushRefs } from '../protocol/messages.js';

const hexId = z.string().regex(/^[0-9a-f]{64}$/);
const refName = z.string().min(1).max(1024);

export const FetchListRequest: z.ZodType<FetchList> = z.object({
  wants: z.array(hexId).min(1).max(100_000),
  haves: z.array(hexId).max(100_000),
});

export const PushRefsRequest: z.ZodType<PushRefs> = z.object({
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
}) as z.ZodType<PushRefs>;
