// A real HTTP proxy on 127.0.0.1 in front of radosgw that injects S3 faults on request: error
// statuses, truncated bodies (headers made consistent, so only the length check can catch it) and
// stalled answers. Requests pass through unchanged (the Host header too, so SigV4 still verifies).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenTracked, relay } from './net.js';

export type Fault =
  /** Answer this status with an S3-like XML error body, without asking upstream. */
  | { kind: 'status'; status: number }
  /** Forward, then send only the first half of the body, with a Content-Length saying so (Content-Range left as upstream sent it, like a lying server). */
  | { kind: 'truncate' }
  /** Forward, then send the headers and half the body and never the rest (an empty answer: nothing at all). */
  | { kind: 'stall' }
  /** Forward the whole request and read upstream's whole answer, then never answer the client (the work IS done upstream). */
  | { kind: 'hold' };

/** A request the proxy forwarded under a 'hold' fault: upstream answered `status`, the client heard nothing. */
export interface Held {
  method: string;
  path: string;
  status: number;
}

interface Rule {
  method: string;
  fault: Fault;
  left: number;
}

export interface FaultProxy {
  url: string;
  /** Inject `fault` into the next `times` requests with this method. */
  inject(method: string, fault: Fault, times: number): void;
  /** Drops every fault not yet injected. */
  clear(): void;
  /** Requests seen by method (faulted ones included). */
  counts(): Record<string, number>;
  /** The most requests of one method in flight at once since the last reset. */
  maxInFlight(method: string): number;
  resetCounts(): void;
  /** The requests held so far (upstream answered them; their clients never heard). */
  held(): Held[];
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const up = new URL(upstream);
  const rules: Rule[] = [];
  let counts: Record<string, number> = {};
  const inFlight: Record<string, number> = {};
  let peak: Record<string, number> = {};
  const held: Held[] = [];

  const take = (method: string): Fault | undefined => {
    const rule = rules.find((r) => r.method === method && r.left > 0);
    if (rule === undefined) return undefined;
    rule.left--;
    return rule.fault;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    counts[method] = (counts[method] ?? 0) + 1;
    inFlight[method] = (inFlight[method] ?? 0) + 1;
    peak[method] = Math.max(peak[method] ?? 0, inFlight[method]);
    res.on('close', () => {
      inFlight[method]!--;
    });
    const fault = take(method);
    if (fault?.kind === 'status') {
      req.resume();
      req.on('end', () => {
        const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.status === 503 ? 'SlowDown' : 'InternalError'}</Code><Message>injected</Message></Error>`;
        res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      return;
    }
    if (fault === undefined) return relay(up, req, res);
    relay(up, req, res, (status, upHeaders, whole) => {
      if (fault.kind === 'hold') {
        // Nothing at all goes back: the socket stays open until the client gives up or close().
        held.push({ method, path: req.url ?? '', status });
        return;
      }
      const half = whole.subarray(0, Math.floor(whole.length / 2));
      const headers = { ...upHeaders };
      if (fault.kind === 'truncate') {
        headers['content-length'] = String(half.length);
        res.writeHead(status || 502, headers);
        res.end(half);
      } else {
        // An empty answer (a PUT's) is dropped whole: the upstream did the work, the client never hears.
        if (whole.length > 0) {
          res.writeHead(status || 502, headers);
          res.write(half);
        }
        // ... and nothing more: the socket stays open until the client gives up or close().
      }
    });
  };

  const listening = await listenTracked(handle);
  return {
    url: listening.url,
    clear() {
      rules.length = 0;
    },
    inject(method, fault, times) {
      rules.push({ method, fault, left: times });
    },
    counts: () => ({ ...counts }),
    maxInFlight: (method) => peak[method] ?? 0,
    resetCounts() {
      counts = {};
      peak = {};
    },
    held: () => [...held],
    close: () => listening.close(),
  };
}
