/**
 * Custom health checks: each check runs every check interval with an AbortSignal and a timeout;
 * it fails when it throws, rejects, returns `false` or runs past its timeout. A failing check
 * fires the alert `check:<name>` (ERROR unless `level` says otherwise) and its result, with the
 * error's first line, is in `HealthMetrics.checks`.
 *
 * Here `database` passes, `cache` fails (its fake client reports the cache down) at WARNING, and
 * `queue` hangs and is abandoned at its 0.2 s timeout. The example serves on 127.0.0.1 (PORT, or
 * any free port), makes a few requests to itself, prints the HealthMetrics of
 * `monitor.monitorService()` with each check's result, then shuts down.
 *
 * Run: node --import tsx examples/custom-checks.ts
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { setRoute, startHealthMonitoring } from '../src/index.js';
import { printHealth, requestEach, serve } from './support/session.js';

// Stand-ins for real clients.
const database = { ping: async (signal: AbortSignal) => sleep(5, undefined, { signal }) };
const cache = { status: async () => ({ connected: false }) };

const monitor = await startHealthMonitoring({
  serviceName: 'custom-checks-example',
  checkInterval: 1,
  // Off: a short run on a busy machine should not print CPU or event-loop alerts.
  resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false },
  checks: {
    // A function: passes unless it throws, rejects or returns false.
    database: (signal) => database.ping(signal),
    // With options: a level for its alert and a timeout in seconds.
    cache: {
      level: 'warning',
      timeout: 1,
      check: async () => {
        if (!(await cache.status()).connected) throw new Error('cache not connected');
      },
    },
    // Hangs: abandoned at the timeout (the signal aborts, so the work can stop too).
    queue: { timeout: 0.2, check: (signal) => sleep(60_000, undefined, { signal }) },
  },
});
monitor.on('alert', (alert, transition) => console.log(`alert: ${alert.rule} ${transition.kind} at ${alert.level}`));

const server = http.createServer((req, res) => {
  const user = /^\/users\/(\d+)$/.exec(req.url ?? '');
  if (user) setRoute(req, '/users/:id');
  res.statusCode = user ? 200 : 404;
  res.end();
});
const port = await serve(server);

await requestEach(port, ['/users/1', '/users/2', '/users/3']);

const m = await monitor.monitorService();
printHealth(m, false);
for (const c of m.checks) {
  console.log(`check ${c.name}: ${c.ok ? 'ok' : 'failing'} in ${c.durationMs.toFixed(0)}ms${c.error === undefined ? '' : ` (${c.error})`}`);
}
console.log(`firing: ${m.alerts.map((a) => `${a.rule} (${a.level})`).join(', ') || 'none'}`);

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await monitor.shutdown();
