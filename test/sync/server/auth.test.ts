// The tokens file and the decisions made from it: parse errors name the line, write implies read,
// patterns match whole repository names, no token is 401, a known token without the right is 403,
// an unknown token is 401, anonymous access is read only, and labels never carry the token.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Authorizer } from '../../../src/sync/server/auth.js';
import { errorOf } from '../../helpers/errors.js';

const FILE = `# grants
w-token-12345   write  team/*
r-token-12345   read   team/sales

r-token-12345   read   public
anonymous       read   public*
admin-token-999 write  *
`;

describe('tokens file', () => {
  it('refuses malformed lines, naming the line', () => {
    const bad: [string, number][] = [
      ['tok-12345678 read', 1],
      ['# ok\ntok-12345678 admin x', 2],
      ['anonymous write *', 1],
      ['\n\nshort read *', 3],
      ['tok-12345678 read a b', 1],
    ];
    for (const [text, line] of bad) {
      const err = errorOf(() => Authorizer.parse(text, 'tokens'));
      expect(err.code).toBe('USAGE');
      expect(err.data).toEqual({ line });
      expect(err.message).toContain(`tokens:${line}`);
    }
  });

  it('skips comments and blank lines, and accepts CRLF', () => {
    const a = Authorizer.parse('# c\r\n\r\n  tok-12345678   write   x  \r\n', 'tokens');
    expect(a.isOpen).toBe(false);
    expect(a.check('tok-12345678', 'x', 'write').ok).toBe(true);
  });

  it('never puts a token in an error message', () => {
    const err = errorOf(() => Authorizer.parse('secret-token-xyz maybe *', 'tokens'));
    expect(err.message).not.toContain('secret-token-xyz');
  });
});

describe('decisions', () => {
  const auth = Authorizer.parse(FILE, 'tokens');

  it('lets a write token read and write what its pattern matches, and nothing else', () => {
    expect(auth.check('w-token-12345', 'team/sales', 'write')).toMatchObject({ ok: true });
    expect(auth.check('w-token-12345', 'team/sales', 'read')).toMatchObject({ ok: true });
    expect(auth.check('w-token-12345', 'team/a/b', 'write')).toMatchObject({ ok: true });
    expect(auth.check('w-token-12345', 'other', 'read')).toEqual({ ok: false, status: 403, message: expect.any(String) });
    expect(auth.check('w-token-12345', 'xteam/sales', 'write')).toMatchObject({ ok: false, status: 403 });
  });

  it('lets a read token read but not write (403)', () => {
    expect(auth.check('r-token-12345', 'team/sales', 'read')).toMatchObject({ ok: true });
    expect(auth.check('r-token-12345', 'public', 'read')).toMatchObject({ ok: true });
    expect(auth.check('r-token-12345', 'team/sales', 'write')).toMatchObject({ ok: false, status: 403 });
    expect(auth.check('r-token-12345', 'team/salesx', 'read')).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 401 to a request without a token unless anonymous reading is granted', () => {
    expect(auth.check(undefined, 'public', 'read')).toEqual({ ok: true, label: 'anonymous' });
    expect(auth.check(undefined, 'public-data', 'read')).toMatchObject({ ok: true });
    expect(auth.check(undefined, 'public', 'write')).toMatchObject({ ok: false, status: 401 });
    expect(auth.check(undefined, 'team/sales', 'read')).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 401 to an unknown token, even where anonymous reading is granted', () => {
    expect(auth.check('nobody-knows-me', 'public', 'read')).toMatchObject({ ok: false, status: 401 });
    expect(auth.check('w-token-1234', 'team/x', 'read')).toMatchObject({ ok: false, status: 401 });
    expect(auth.check('w-token-123456', 'team/x', 'read')).toMatchObject({ ok: false, status: 401 });
  });

  it('treats pattern characters other than * literally', () => {
    const a = Authorizer.parse('tok-12345678 read a.b\ntok-12345678 read (x)|y', 'tokens');
    expect(a.check('tok-12345678', 'a.b', 'read').ok).toBe(true);
    expect(a.check('tok-12345678', 'axb', 'read').ok).toBe(false);
    expect(a.check('tok-12345678', '(x)|y', 'read').ok).toBe(true);
    expect(a.check('tok-12345678', 'y', 'read').ok).toBe(false);
  });

  it('labels a request by a digest prefix, never by the token', () => {
    const r = auth.check('admin-token-999', 'anything', 'write');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.label).toMatch(/^token:[0-9a-f]{8}$/);
      expect(r.label).not.toContain('admin');
    }
  });

  it('never grants write to a token that only has read grants, for any repository name', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), (repo) => {
        const r = auth.check('r-token-12345', repo, 'write');
        expect(r.ok).toBe(false);
        const anon = auth.check(undefined, repo, 'write');
        expect(anon).toMatchObject({ ok: false, status: 401 });
      }),
    );
  });

  it('lets everyone do everything when no tokens file is given', () => {
    const open = Authorizer.open();
    expect(open.isOpen).toBe(true);
    expect(open.check(undefined, 'x', 'write')).toMatchObject({ ok: true });
  });
});
