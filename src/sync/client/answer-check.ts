// The client's checks of the server's JSON answers (docs/PROTOCOL.md §4.1). Hand-written because
// every cairn command that talks to a remote would otherwise load zod (~120 ms) for four shapes.
// Each check returns the value typed, or throws an Error naming the first field that is wrong.
import type { ErrorBody, PushObjectsResponse, PushRefsResponse, RefsResponse } from '../protocol/schemas.js';

const HEX_ID = /^[0-9a-f]{64}$/;

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${path}: expected an object`);
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${path}: expected an array`);
  return v;
}

function str(v: unknown, path: string, max = 1024): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new Error(`${path}: expected a string of 1 to ${max} characters`);
  return v;
}

function id(v: unknown, path: string): string {
  if (typeof v !== 'string' || !HEX_ID.test(v)) throw new Error(`${path}: expected an object id`);
  return v;
}

function idOrNull(v: unknown, path: string): string | null {
  return v === null ? null : id(v, path);
}

function count(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${path}: expected a whole number`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new Error(`${path}: expected true or false`);
  return v;
}

export function checkRefsResponse(v: unknown): RefsResponse {
  const o = obj(v, 'answer');
  if (o['version'] !== 1) throw new Error('version: expected 1');
  const head = o['head'] === null ? null : str(o['head'], 'head');
  const refs = arr(o['refs'], 'refs').map((r, i) => {
    const x = obj(r, `refs.${i}`);
    return { name: str(x['name'], `refs.${i}.name`), id: id(x['id'], `refs.${i}.id`) };
  });
  return { version: 1, head, refs };
}

export function checkPushRefsResponse(v: unknown): PushRefsResponse {
  const o = obj(v, 'answer');
  const results = arr(o['results'], 'results').map((r, i) => {
    const x = obj(r, `results.${i}`);
    const status = x['status'];
    if (status !== 'ok' && status !== 'up-to-date') throw new Error(`results.${i}.status: expected 'ok' or 'up-to-date'`);
    return {
      name: str(x['name'], `results.${i}.name`),
      old: idOrNull(x['old'], `results.${i}.old`),
      new: idOrNull(x['new'], `results.${i}.new`),
      status,
      forced: bool(x['forced'], `results.${i}.forced`),
    } as const;
  });
  return { results, promoted: count(o['promoted'], 'promoted') };
}

export function checkPushObjectsResponse(v: unknown): PushObjectsResponse {
  const o = obj(v, 'answer');
  return { objects: count(o['objects'], 'objects'), bytes: count(o['bytes'], 'bytes'), complete: bool(o['complete'], 'complete') };
}

/** An error body, or undefined when the answer is not one (then the HTTP status speaks alone). */
export function checkErrorBody(v: unknown): ErrorBody | undefined {
  try {
    const e = obj(obj(v, 'answer')['error'], 'error');
    const data = e['data'] === undefined ? undefined : obj(e['data'], 'error.data');
    return {
      error: {
        code: str(e['code'], 'error.code', 64),
        message: str(e['message'], 'error.message', 4096),
        ...(data === undefined ? {} : { data }),
      },
    };
  } catch {
    return undefined;
  }
}
