// Who may do what: bearer tokens from a tokens file, one grant per line
//   TOKEN read|write REPO-PATTERN        (write implies read; `*` in a pattern matches anything)
//   anonymous read REPO-PATTERN          (requests without a token; read only)
// Tokens are compared by SHA-256 digest with timingSafeEqual against every grant, so the time a
// check takes does not depend on how much of a token was right.
import { createHash, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../../errors.js';

export type Right = 'read' | 'write';

interface Grant {
  digest: Buffer | null;
  right: Right;
  pattern: RegExp;
  /** A short label for logs: never the token itself. */
  label: string;
}

export type AuthResult =
  | { ok: true; label: string }
  /** `guess`: a token was given and no grant knows it (counted against the address, guards.ts). */
  | { ok: false; status: 401 | 403; message: string; guess?: boolean };

const ANONYMOUS = 'anonymous';

export class Authorizer {
  private constructor(private readonly grants: Grant[] | null) {}

  /** No tokens file: every request may read and write (the server listens on loopback only). */
  static open(): Authorizer {
    return new Authorizer(null);
  }

  get isOpen(): boolean {
    return this.grants === null;
  }

  static parse(text: string, source: string): Authorizer {
    const grants: Grant[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const parts = line.split(/\s+/);
      const where = `${source}:${i + 1}`;
      if (parts.length !== 3) throw new UsageError(`${where}: expected 'TOKEN read|write REPO-PATTERN'`, { line: i + 1 });
      const [token, right, pattern] = parts as [string, string, string];
      if (right !== 'read' && right !== 'write')
        throw new UsageError(`${where}: the right must be 'read' or 'write', not '${right}'`, { line: i + 1 });
      if (token === ANONYMOUS && right === 'write') throw new UsageError(`${where}: anonymous access can only be read`, { line: i + 1 });
      if (token !== ANONYMOUS && token.length < 8) throw new UsageError(`${where}: a token must be at least 8 characters`, { line: i + 1 });
      const digest = token === ANONYMOUS ? null : sha(token);
      grants.push({
        digest,
        right,
        pattern: globToRegExp(pattern),
        label: token === ANONYMOUS ? ANONYMOUS : `token:${sha(token).toString('hex').slice(0, 8)}`,
      });
    });
    return new Authorizer(grants);
  }

  /** Decides a request for `right` on repository `repo` carrying `token` (undefined: none). */
  check(token: string | undefined, repo: string, right: Right): AuthResult {
    if (this.grants === null) return { ok: true, label: ANONYMOUS };
    const digest = token === undefined ? null : sha(token);
    let known = false;
    let label = ANONYMOUS;
    let allowed = false;
    for (const g of this.grants) {
      // Every grant is compared, matched or not: no early exit to time.
      const match = g.digest === null ? digest === null : digest !== null && timingSafeEqual(g.digest, digest);
      if (!match) continue;
      known = known || g.digest !== null;
      label = g.label;
      if (g.pattern.test(repo) && (g.right === 'write' || right === 'read')) allowed = true;
    }
    if (allowed) return { ok: true, label };
    if (token !== undefined && !known) return { ok: false, status: 401, message: 'unknown token', guess: true };
    if (token === undefined)
      return { ok: false, status: 401, message: `this server needs a token to ${right} '${repo}' (set CAIRN_TOKEN)` };
    return { ok: false, status: 403, message: `your token may not ${right} '${repo}'` };
  }
}

function sha(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
