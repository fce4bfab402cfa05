// A TCP proxy on 127.0.0.1 that counts the bytes a client sends through it: what an exporter
// puts on the wire (HTTP or gRPC framing, headers and compression included), for tests and the
// protocol benchmark.

import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { connect, createServer } from 'node:net';

export interface ByteCountingProxy {
  /** the proxy's port: point the exporter here instead of the target */
  port: number;
  /** bytes from clients to the target since start (or the last reset()) */
  readonly sent: number;
  /** bytes from the target back to clients */
  readonly received: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startByteCountingProxy(targetPort: number): Promise<ByteCountingProxy> {
  let sent = 0;
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined); // the other side's close ends this one
    }
    client.on('data', (chunk: Buffer) => (sent += chunk.length));
    upstream.on('data', (chunk: Buffer) => (received += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    get sent() {
      return sent;
    },
    get received() {
      return received;
    },
    reset() {
      sent = 0;
      received = 0;
    },
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
