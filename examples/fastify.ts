/**
 * Fastify 5 monitored by otel-health: register the `otelHealthFastify` plugin and each request's
 * `http.route` is Fastify's matched route template (`/users/:id`), read when the response
 * finishes; a handler that throws answers 500 and counts as an error.
 *
 * The example starts monitoring (checks every second), serves on 127.0.0.1 (PORT, or any free
 * port), makes a few requests to itself, prints the routes recorded (read through a second,
 * on-demand metric reader) and the HealthMetrics of `monitor.monitorService()`, then shuts down.
 *
 * Run: node --import tsx examples/fastify.ts
 */
import Fastify from 'fastify';
import { otelHealthFastify, startHealthMonitoring } from '../src/index.js';
import { announce, peekRecordedRoutes, printHealth, requestEach } from './support/session.js';

const monitor = await startHealthMonitoring({
  serviceName: 'fastify-example',
  checkInterval: 1,
  // Off: a short run on a busy machine should not print CPU or event-loop alerts.
  resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false },
});
const peek = peekRecordedRoutes();

const app = Fastify();
await app.register(otelHealthFastify);
app.get<{ Params: { id: string } }>('/users/:id', async (req) => ({ id: Number(req.params.id) }));
app.get('/broken', async () => {
  throw new Error('this route is broken'); // Fastify answers 500: counted as an error
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
const port = announce(app.server);

await requestEach(port, ['/users/1', '/users/42', '/users/7', '/broken', '/nope']);

await peek.print();

printHealth(await monitor.monitorService());

await app.close();
await peek.shutdown();
await monitor.shutdown();
