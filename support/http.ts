import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';

/** Listen on an ephemeral loopback port; resolves to the port. */
export async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

export async function close(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface Response {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request on a fresh connection (agent: false), so the connection closes after it. */
export function request(port: number, path: string, options: http.RequestOptions & { body?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Server-side sockets of a server, to await their close (an event, not a sleep). */
export function trackSockets(server: Server): { allClosed(): Promise<void>; count(): number } {
  const open = new Set<import('node:net').Socket>();
  let seen = 0;
  server.on('connection', (socket) => {
    seen++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  return {
    count: () => seen,
    async allClosed() {
      // Not events.once: it rejects on the 'error' a reset connection emits before 'close'. And
      // not `socket.closed`: it turns true a tick before 'close', which is what the
      // instrumentation listens to. Sockets leave `open` in their own 'close' listener.
      await Promise.all([...open].map((s) => new Promise((resolve) => s.once('close', resolve))));
    },
  };
}
