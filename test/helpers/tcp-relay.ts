// A TCP relay on 127.0.0.1 in front of a real engine (PostgreSQL, say) that a test can cut — every
// open connection reset and new ones refused, as when the engine's host goes away — and restore on
// the same port. The engine itself keeps running for the other tests that share it.
import net from 'node:net';

export interface Relay {
  port: number;
  /** Resets every connection and stops listening: connects are refused until restore(). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(targetHost: string, targetPort: number): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const make = () =>
    net.createServer((client) => {
      const upstream = net.connect(targetPort, targetHost);
      track(client);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  let server = make();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  let listening = true;
  const stop = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.resetAndDestroy();
    await closed;
  };
  return {
    port,
    cut: stop,
    restore: async () => {
      if (listening) return;
      server = make();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      listening = true;
    },
    close: stop,
  };
}
