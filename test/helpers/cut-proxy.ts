// A real HTTP proxy on 127.0.0.1 between a cairn client and one server that loses an answer: every
// request is relayed unchanged, except the first one `cut` matches, which is forwarded whole, its
// answer read whole from the server (the server has done the work: for push-refs, its transaction
// committed), and then the client's connection is destroyed instead of relaying it. The client sees
// a network failure for a request that succeeded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenTracked, relay } from './net.js';

export interface CutAnswer {
  /** The request that was cut (method and path). */
  method: string;
  path: string;
  /** What the server answered, which the client never got. */
  status: number;
  body: string;
}

export interface CutProxy {
  url: string;
  /** Resolves once an answer was cut (the client's connection is already destroyed then). */
  cut: Promise<CutAnswer>;
  close(): Promise<void>;
}

export async function startCutProxy(upstream: string, cut: (req: IncomingMessage) => boolean): Promise<CutProxy> {
  const up = new URL(upstream);
  let done = false;
  let resolveCut: (a: CutAnswer) => void = () => undefined;
  const cutAnswer = new Promise<CutAnswer>((r) => (resolveCut = r));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const victim = !done && cut(req);
    if (victim) done = true;
    // One upstream connection per request (no agent): the proxy never holds a request back.
    relay(
      up,
      req,
      res,
      victim
        ? (status, _headers, body) => {
            // The answer arrived here whole; the client hears only its connection closing.
            req.socket.destroy();
            resolveCut({ method: req.method ?? '', path: req.url ?? '', status, body: body.toString('utf8') });
          }
        : undefined,
      { agent: false },
    );
  };

  const listening = await listenTracked(handle);
  return {
    url: listening.url,
    cut: cutAnswer,
    close: () => listening.close(),
  };
}
