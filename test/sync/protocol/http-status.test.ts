// The code <-> HTTP status table (docs/PROTOCOL.md §3): every code the server answers with comes
// back at the client as the code the table says, codes that describe the remote's state come back
// as themselves, and a status alone (no body, a proxy's page) still means what it always meant.
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorFor, RefMovedError } from '../../../src/errors.js';
import { clientCodeFor, ERROR_STATUS, INTERNAL_CODE, STATUS_FALLBACK, statusFor } from '../../../src/sync/protocol/http-status.js';

describe('the error status table', () => {
  it('round-trips every code through the status the server answers with', () => {
    for (const code of ERROR_CODES) {
      const status = statusFor(code);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(clientCodeFor(status, code), code).toBe(ERROR_STATUS[code].client);
      // A code the client keeps is one the client can tell apart from its status' fallback.
      if (ERROR_STATUS[code].client === code) expect(clientCodeFor(status, code), code).toBe(code);
    }
  });

  it('keeps the codes that describe the remote, REF_MOVED among them', () => {
    const kept = ERROR_CODES.filter((c) => ERROR_STATUS[c].client === c);
    expect(kept.sort()).toEqual(['NOT_FOUND', 'REF_MOVED', 'REJECTED', 'REMOTE']);
    expect(clientCodeFor(409, 'REF_MOVED')).toBe('REF_MOVED');
    expect(errorFor(clientCodeFor(409, 'REF_MOVED'), 'm', {})).toBeInstanceOf(RefMovedError);
  });

  it('answers client mistakes with 4xx and nothing but server failures with 500', () => {
    for (const code of ['USAGE', 'BAD_FORMAT', 'INVALID_NAME', 'CORRUPT_OBJECT', 'UNSAFE_PATH'] as const)
      expect(statusFor(code), code).toBe(400);
    expect(statusFor('NOT_FOUND')).toBe(404);
    for (const code of ['REF_MOVED', 'REJECTED', 'MISSING_OBJECT'] as const) expect(statusFor(code), code).toBe(409);
    expect(statusFor('LOCKED')).toBe(503);
    for (const code of ['IO', 'REMOTE', 'ALREADY_EXISTS', 'NOT_A_REPOSITORY']) expect(statusFor(code as 'IO'), code).toBe(500);
  });

  it('reads an answer by its status when the body names no code, an unknown one, or one of another status', () => {
    for (const [status, code] of Object.entries(STATUS_FALLBACK)) expect(clientCodeFor(Number(status), undefined)).toBe(code);
    expect(clientCodeFor(500, INTERNAL_CODE)).toBe('REMOTE');
    expect(clientCodeFor(502, undefined)).toBe('REMOTE');
    expect(clientCodeFor(409, 'NO_SUCH_CODE')).toBe('REJECTED');
    // Refusals with a status of their own (PROTOCOL.md §3): busy and too large are REMOTE; a busy
    // server is never LOCKED, which is the local database's lock (exit 9).
    expect(clientCodeFor(503, 'REJECTED')).toBe('REMOTE');
    expect(clientCodeFor(503, 'LOCKED')).toBe('REMOTE');
    expect(clientCodeFor(503, undefined)).toBe('REMOTE');
    expect(clientCodeFor(429, 'REJECTED')).toBe('REMOTE');
    expect(clientCodeFor(413, 'REJECTED')).toBe('REMOTE');
    expect(clientCodeFor(405, 'USAGE')).toBe('REMOTE');
    expect(clientCodeFor(401, 'REJECTED')).toBe('REMOTE');
  });
});
