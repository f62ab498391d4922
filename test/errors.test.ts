// The error classes: one per code, each built either from parts (the message shaped here) or worded
// by the caller; errors rebuilt from data keep their class; a rewrap keeps code, class and data.
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  BadFormatError,
  CairnError,
  DirtyWorktreeError,
  ERROR_CODES,
  errorFor,
  InvalidPathError,
  isErrorCode,
  MissingObjectError,
  NotFoundError,
  RefMovedError,
  RejectedError,
  RemoteError,
  withContext,
} from '../src/errors.js';

describe('error classes', () => {
  it('gives every code a class of its own, which errorFor rebuilds', () => {
    const names = new Set<string>();
    for (const code of ERROR_CODES) {
      const e = errorFor(code, `a ${code}`, { k: 1 });
      expect(e, code).toBeInstanceOf(CairnError);
      expect(e.code).toBe(code);
      expect(e.toJSON()).toEqual({ code, message: `a ${code}`, data: { k: 1 } });
      expect(e.name).not.toBe('CairnError');
      names.add(e.name);
    }
    expect(names.size).toBe(ERROR_CODES.length);
    expect(isErrorCode('REF_MOVED')).toBe(true);
    expect(isErrorCode('INTERNAL')).toBe(false);
  });

  it('builds the message from parts, or takes it worded with data', () => {
    expect(new NotFoundError('branch', 'x', "see 'cairn branch'").toJSON()).toEqual({
      code: 'NOT_FOUND',
      message: "branch 'x' not found: see 'cairn branch'",
      data: { what: 'branch', name: 'x' },
    });
    expect(new NotFoundError("pathspec 'p' did not match any files", { path: 'p' }).toJSON()).toEqual({
      code: 'NOT_FOUND',
      message: "pathspec 'p' did not match any files",
      data: { path: 'p' },
    });
    expect(new AlreadyExistsError('tag', 'v1', 'pick another').message).toBe("tag 'v1' already exists; pick another");
    expect(new InvalidPathError('a//b', 'empty component').toJSON()).toEqual({
      code: 'INVALID_PATH',
      message: "invalid path 'a//b': empty component",
      data: { path: 'a//b', reason: 'empty component' },
    });
    expect(new BadFormatError('tree t', 'truncated', { id: 't' }).toJSON()).toEqual({
      code: 'BAD_FORMAT',
      message: 'cannot decode tree t: truncated',
      data: { what: 'tree t', reason: 'truncated', id: 't' },
    });
    expect(new MissingObjectError('abc').data).toEqual({ id: 'abc' });
    expect(new MissingObjectError('object abc vanished', { id: 'abc' }).message).toBe('object abc vanished');
    expect(new RemoteError('http://h/r', "the server's answer is not JSON", { url: 'http://h/r' }).message).toBe(
      "http://h/r: the server's answer is not JSON",
    );
    expect(new DirtyWorktreeError(['a', 'b'], 'checkout').message).toBe(
      'checkout would overwrite uncommitted changes in: a, b; commit them, or use --force to discard them',
    );
    const moved = new RefMovedError('refs/heads/main', null, 'b'.repeat(64), { newId: 'c'.repeat(64) });
    expect(moved.data).toEqual({ ref: 'refs/heads/main', expected: null, found: 'b'.repeat(64), newId: 'c'.repeat(64) });
    expect(moved.message).toContain('expected (none), found bbbbbbbbbbbb). Your commit');
  });

  it('rewraps with a prefix, keeping code, class and data, the original as cause', () => {
    const inner = new RejectedError('rejected x: no', { reason: 'non-fast-forward', name: 'x' });
    const outer = withContext(inner, 'push failed: ', { commit: null });
    expect(outer).toBeInstanceOf(RejectedError);
    expect(outer.toJSON()).toEqual({
      code: 'REJECTED',
      message: 'push failed: rejected x: no',
      data: { reason: 'non-fast-forward', name: 'x', commit: null },
    });
    expect(outer.cause).toBe(inner);
  });
});
