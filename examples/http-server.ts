/**
 * A plain node:http server monitored by otel-health. No framework matches routes here, so the
 * handler names each request's route template with `setRoute(req, '/users/:id')`; the recorded
 * `http.route` is that template, never the raw URL (`/users/42`).
 *
 * The example starts monitoring (checks every second), serves on 127.0.0.1 (PORT, or any free
 * port), makes a few requests to itself, prints the routes recorded (read through a second,
 * on-demand metric reader) and the HealthMetrics of `monitor.monitorService()`, then shuts down.
 *
 * Run: node --import tsx examples/http-server.ts
 */
import http from 'node:http';
import { setRoute, startHealthMonitoring } from '../src/index.js';
import { peekRecordedRoutes, printHealth, requestEach, serve } from './support/session.js';

const monitor = await startHealthMonitoring({
  serviceName: 'http-server-example',
  checkInterval: 1,
  // Off: a short run on a busy machine should not print CPU or event-loop alerts.
  resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false },
});
const peek = peekRecordedRoutes();

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const user = /^\/users\/(\d+)$/.exec(pathname);
  if (req.method === 'GET' && user) {
    setRoute(req, '/users/:id');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: Number(user[1]) }));
  } else if (req.method === 'GET' && pathname === '/') {
    setRoute(req, '/');
    res.end('hello');
  } else {
    res.statusCode = 404; // no route: recorded without http.route
    res.end();
  }
});
const port = await serve(server);

await requestEach(port, ['/', '/users/1', '/users/42', '/users/7', '/nope']);

await peek.print();

printHealth(await monitor.monitorService());

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await peek.shutdown();
await monitor.shutdown();
