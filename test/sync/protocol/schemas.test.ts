// The client checks answers by hand (so it loads no zod); they must accept exactly what the one
// declaration of each shape, the zod schema, accepts.
import { describe, expect, it } from 'vitest';
import {
  checkErrorBody,
  checkPushObjectsResponse,
  checkPushRefsResponse,
  checkRefsResponse,
} from '../../../src/sync/client/answer-check.js';
import { ErrorBody, PushObjectsResponse, PushRefsResponse, RefsResponse } from '../../../src/sync/protocol/schemas.js';

const ID = 'a'.repeat(64);
const accepts = (check: (v: unknown) => unknown, v: unknown): boolean => {
  try {
    check(v);
    return true;
  } catch {
    return false;
  }
};

const cases: {
  name: string;
  check: (v: unknown) => unknown;
  schema: { safeParse: (v: unknown) => { success: boolean } };
  samples: unknown[];
}[] = [
  {
    name: 'RefsResponse',
    check: checkRefsResponse,
    schema: RefsResponse,
    samples: [
      { version: 1, head: 'refs/heads/main', refs: [{ name: 'refs/heads/main', id: ID }] },
      { version: 1, head: null, refs: [] },
      { version: 2, head: null, refs: [] },
      { version: 1, head: '', refs: [] },
      { version: 1, head: null, refs: [{ name: 'refs/heads/main', id: 'A'.repeat(64) }] },
      { version: 1, head: null, refs: [{ name: 'x'.repeat(1025), id: ID }] },
      { version: 1, head: null },
      [],
      null,
    ],
  },
  {
    name: 'PushRefsResponse',
    check: checkPushRefsResponse,
    schema: PushRefsResponse,
    samples: [
      { results: [{ name: 'refs/heads/main', old: null, new: ID, status: 'ok', forced: false }], promoted: 3 },
      { results: [{ name: 'refs/heads/main', old: ID, new: null, status: 'up-to-date', forced: true }], promoted: 0 },
      { results: [{ name: 'refs/heads/main', old: null, new: ID, status: 'done', forced: false }], promoted: 3 },
      { results: [{ name: 'refs/heads/main', old: null, new: ID, status: 'ok' }], promoted: 3 },
      { results: [], promoted: -1 },
      { results: [], promoted: 1.5 },
      { results: [], promoted: 2 ** 53 },
      { promoted: 0 },
    ],
  },
  {
    name: 'PushObjectsResponse',
    check: checkPushObjectsResponse,
    schema: PushObjectsResponse,
    samples: [
      { objects: 1, bytes: 10, complete: true },
      { objects: 1, bytes: 10, complete: 'yes' },
      { objects: '1', bytes: 10, complete: true },
      {},
    ],
  },
];

describe("the client's answer checks", () => {
  for (const c of cases) {
    it(`accept exactly what the ${c.name} schema accepts`, () => {
      for (const [i, v] of c.samples.entries()) expect(accepts(c.check, v), `${c.name} sample ${i}`).toBe(c.schema.safeParse(v).success);
    });
  }

  it('read an error body exactly when the ErrorBody schema accepts it', () => {
    const samples = [
      { error: { code: 'REF_MOVED', message: 'moved', data: { ref: 'refs/heads/main' } } },
      { error: { code: 'REJECTED', message: 'no' } },
      { error: { code: '', message: 'no' } },
      { error: { code: 'X'.repeat(65), message: 'no' } },
      { error: { code: 'REJECTED', message: 'no', data: [] } },
      { error: 'nope' },
      '<html>',
    ];
    for (const [i, v] of samples.entries()) expect(checkErrorBody(v) !== undefined, `sample ${i}`).toBe(ErrorBody.safeParse(v).success);
  });
});
