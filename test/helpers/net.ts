// Loopback plumbing shared by the test proxies and engine helpers: a free port, and an HTTP server
// on 127.0.0.1 that keeps its sockets so closing it never waits on a client that holds one open.
import {
  createServer as createHttpServer,
  request,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

/** A free TCP port on 127.0.0.1 (for servers that cannot report the port they picked). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((ok, fail) => {
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => ok());
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

export interface TrackedServer {
  server: Server;
  url: string;
  /** Destroys every open socket, then closes the server. */
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (any free port) whose sockets are destroyed on close. */
export async function listenTracked(handler: RequestListener): Promise<TrackedServer> {
  const sockets = new Set<Socket>();
  const server = createHttpServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Forwards `req` unchanged to `upstream` (the Host header too, so signatures still verify). Without
 * `intercept` the answer is relayed as it streams; with one, the answer is read whole and handed to
 * it instead, and the client hears only what `intercept` writes to `res`.
 */
export function relay(
  upstream: URL,
  req: IncomingMessage,
  res: ServerResponse,
  intercept?: (status: number, headers: IncomingMessage['headers'], body: Buffer) => void,
  opts: { agent?: false } = {},
): void {
  const fwd = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, ...opts },
    (upRes) => {
      if (intercept === undefined) {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => intercept(upRes.statusCode ?? 0, upRes.headers, Buffer.concat(chunks)));
    },
  );
  fwd.on('error', () => res.destroy());
  req.pipe(fwd);
}
