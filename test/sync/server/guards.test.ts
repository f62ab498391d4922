// The server's guards (src/sync/server/guards.ts, docs/PROTOCOL.md §8) as properties: whatever the
// order of admissions and releases, no pool ever holds more than its cap and every released slot
// is free again; the failed-authentication limit blocks exactly after N failures in the window,
// for no longer than the window; and the progress rule cuts a body that stalls for one window
// however much it sent before, while a body that keeps coming is read whole.
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthFailures, type Client, clientAddress, Pools, progressingBody } from '../../../src/sync/server/guards.js';

describe('Pools', () => {
  it('never holds more than a cap, and frees every released slot', () => {
    const limits = { maxConcurrent: 6, maxAnonymous: 3, maxPerAddress: 2, maxPerToken: 2 };
    const clients: Client[] = [
      { anonymous: true, key: 'addr:a' },
      { anonymous: true, key: 'addr:b' },
      { anonymous: true, key: 'addr:c' },
      { anonymous: false, key: 'token:1' },
      { anonymous: false, key: 'token:2' },
      { anonymous: false, key: 'token:3' },
    ];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('admit' as const), who: fc.nat(clients.length - 1) }),
      fc.record({ kind: fc.constant('release' as const), which: fc.nat(50) }),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.array(op, { maxLength: 60 }), (anonymousPool, ops) => {
        const pools = new Pools(limits, anonymousPool);
        const held: { c: Client; release: () => void }[] = [];
        for (const o of ops) {
          if (o.kind === 'admit') {
            const c = clients[o.who]!;
            const r = pools.admit(c);
            const mine = held.filter((h) => h.c.key === c.key).length;
            const anon = held.filter((h) => h.c.anonymous).length;
            const full =
              held.length >= limits.maxConcurrent ||
              (anonymousPool && c.anonymous && anon >= limits.maxAnonymous) ||
              mine >= (c.anonymous ? limits.maxPerAddress : limits.maxPerToken);
            // Admitted exactly when no cap is reached.
            expect(r.ok).toBe(!full);
            if (r.ok) held.push({ c, release: r.release });
          } else if (held.length > 0) {
            const [h] = held.splice(o.which % held.length, 1);
            h!.release();
            h!.release(); // a second release changes nothing
          }
          expect(pools.active).toBe(held.length);
        }
        for (const h of held) h.release();
        expect(pools.active).toBe(0);
        expect(pools.admit(clients[0]!).ok).toBe(true);
      }),
    );
  });
});

describe('AuthFailures', () => {
  it('blocks after max failures within the window, for at most the window, and only that address', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1000, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 30 }),
        (max, windowMs, gaps) => {
          const f = new AuthFailures(max, windowMs);
          let now = 1_000_000;
          const times: number[] = [];
          for (const gap of gaps) {
            now += gap;
            const recent = times.filter((t) => t > now - windowMs);
            const wait = f.blockedFor('1.2.3.4', now);
            expect(wait > 0).toBe(recent.length >= max);
            expect(wait).toBeLessThanOrEqual(Math.ceil(windowMs / 1000));
            if (wait === 0) {
              f.fail('1.2.3.4', now);
              times.push(now);
            }
            expect(f.blockedFor('5.6.7.8', now)).toBe(0);
          }
          // A full window later, the address may try again.
          expect(f.blockedFor('1.2.3.4', now + windowMs)).toBe(0);
          f.prune(now + windowMs);
        },
      ),
    );
  });
});

describe('clientAddress', () => {
  it("is the peer's unless the peer is a trusted proxy; then the rightmost forwarded address that is not a proxy", () => {
    const addr = fc.constantFrom('10.0.0.1', '10.0.0.2', '::ffff:10.0.0.3', '192.0.2.7', '2001:db8::1', '');
    fc.assert(
      fc.property(addr, fc.option(fc.array(addr, { maxLength: 5 })), fc.uniqueArray(addr, { maxLength: 3 }), (peer, forwarded, proxies) => {
        const req = {
          socket: { remoteAddress: peer === '' ? undefined : peer },
          headers: forwarded === null ? {} : { 'x-forwarded-for': forwarded.join(', ') },
        } as unknown as IncomingMessage;
        const trusted = new Set(proxies.map((p) => p.replace(/^::ffff:/, '')));
        const plain = (a: string) => (a === '' ? '?' : a.replace(/^::ffff:/, ''));
        const got = clientAddress(req, trusted);
        const candidates = (forwarded ?? []).map((a) => a.replace(/^::ffff:/, '')).filter((a) => a !== '' && !trusted.has(a));
        if (!trusted.has(plain(peer))) expect(got).toBe(plain(peer));
        else expect(got).toBe(candidates.length > 0 ? candidates[candidates.length - 1] : plain(peer));
      }),
    );
  });
});

describe('progressingBody', () => {
  const errors = { tooLarge: () => new Error('too large'), tooSlow: () => new Error('too slow') };
  const fake = (length?: number) => {
    const s = new PassThrough() as PassThrough & { headers: Record<string, string> };
    s.headers = length === undefined ? {} : { 'content-length': String(length) };
    return s;
  };
  const read = async (req: PassThrough, max: number, windowMs: number, minBytes: number) => {
    const parts: Buffer[] = [];
    try {
      for await (const c of progressingBody(req as unknown as IncomingMessage, max, { windowMs, minBytes }, errors)) parts.push(c);
      return { ok: true as const, bytes: Buffer.concat(parts).length };
    } catch (err) {
      return { ok: false as const, message: (err as Error).message, bytes: Buffer.concat(parts).length };
    }
  };

  it('cuts a body that stalls for a window after a burst bigger than several windows need', async () => {
    const req = fake(10_000);
    const started = Date.now();
    const result = read(req, 1 << 20, 200, 100);
    req.write(Buffer.alloc(5000));
    const r = await result;
    expect(r).toMatchObject({ ok: false, message: 'too slow', bytes: 5000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reads a body that keeps coming, slowly but above the rule, whole', async () => {
    const req = fake(1200);
    const result = read(req, 1 << 20, 200, 100);
    for (let i = 0; i < 12; i++) {
      req.write(Buffer.alloc(100));
      await new Promise((r) => setTimeout(r, 40));
    }
    req.end();
    expect(await result).toEqual({ ok: true, bytes: 1200 });
  });

  it('asks no more than the rest of a declared body in a window', async () => {
    // 950 of 1000 bytes at once, then the last 50 slowly: fewer than minBytes, but all there is.
    const req = fake(1000);
    const result = read(req, 1 << 20, 200, 500);
    req.write(Buffer.alloc(950));
    await new Promise((r) => setTimeout(r, 150));
    req.end(Buffer.alloc(50));
    expect(await result).toEqual({ ok: true, bytes: 1000 });
  });

  it('refuses more than max bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 1500 }),
        async (sizes, max) => {
          const req = fake();
          const result = read(req, max, 10_000, 1);
          for (const n of sizes) req.write(Buffer.alloc(n));
          req.end();
          const total = sizes.reduce((a, b) => a + b, 0);
          const r = await result;
          if (total > max) expect(r).toMatchObject({ ok: false, message: 'too large' });
          else expect(r).toEqual({ ok: true, bytes: total });
          expect(r.bytes).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 50 },
    );
  });
});
