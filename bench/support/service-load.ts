/**
 * The load of the check benchmarks (bench/check-cost.ts, bench/anomaly-cost.ts part 3,
 * bench/slo-cost.ts): an in-process node:http server on 127.0.0.1 with 50 route templates
 * (`/api/r<n>/item/:id`, set with `setRoute`), the status chosen by the request, and a
 * keep-alive agent. `load()` sends every request once, 16 at a time: one request to each of the
 * 50 routes × 4 outcomes = 200 series of `http.server.request.duration`.
 *
 *   const service = await startServiceLoad();
 *   await service.load();   // between checks, untimed
 *   await service.close();
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setRoute } from '../../src/index.js';

export const ROUTES = 50;
/** Statuses per route, with the method that produces them. */
export const OUTCOMES = [
  ['GET', 200],
  ['GET', 404],
  ['GET', 500],
  ['POST', 201],
] as const;
export const LOAD_CONCURRENCY = 16;
/** The route template of route `r` (what `setRoute` gives its requests' `http.route`). */
export const routeTemplate = (r: number): string => `/api/r${r}/item/:id`;

export interface ServiceLoad {
  port: number;
  /** One request per series (ROUTES × OUTCOMES), in a fixed order. */
  readonly requests: readonly { method: string; path: string }[];
  /** Send every request once, LOAD_CONCURRENCY at a time. */
  load(): Promise<void>;
  /** Destroy the agent and close the server. */
  close(): Promise<void>;
}

export async function startServiceLoad(): Promise<ServiceLoad> {
  // The service: 50 route templates, the status chosen by the request.
  const server = http.createServer((req, res) => {
    const match = /^\/api\/r(\d+)\/item\/\d+\?s=(\d+)$/.exec(req.url ?? '');
    setRoute(req, match ? routeTemplate(Number(match[1])) : undefined);
    req.resume();
    res.statusCode = match ? Number(match[2]) : 404;
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOAD_CONCURRENCY });

  const requests: { method: string; path: string }[] = [];
  for (let r = 0; r < ROUTES; r++) {
    for (const [method, status] of OUTCOMES) requests.push({ method, path: `/api/r${r}/item/${r * 7 + 1}?s=${status}` });
  }
  const send = (method: string, path: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  const load = async (): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const { method, path } = requests[next++]!;
        await send(method, path);
      }
    };
    await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
  };
  const close = async (): Promise<void> => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, requests, load, close };
}
