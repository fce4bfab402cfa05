/**
 * Express 5 monitored by otel-health. Nothing to add to the app: the route template is read from
 * Express's `req.route.path` and `req.baseUrl` when the response finishes, so a router mounted at
 * `/api` with `/orders/:orderId` is recorded as `http.route=/api/orders/:orderId`. (Express 4
 * works the same way.) A route that throws answers 500 and counts as an error.
 *
 * The example starts monitoring (checks every second), serves on 127.0.0.1 (PORT, or any free
 * port), makes a few requests to itself, prints the routes recorded (read through a second,
 * on-demand metric reader) and the HealthMetrics of `monitor.monitorService()`, then shuts down.
 *
 * Run: node --import tsx examples/express.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { MeterProvider, MetricReader, type Histogram } from '@opentelemetry/sdk-metrics';
import { HealthMetricProducer, startHealthMonitoring } from '../src/index.js';

/** A pull reader over its own HealthMetricProducer: only here to print what was recorded. */
class PeekReader extends MetricReader {
  constructor(readonly producer = new HealthMetricProducer()) {
    super({ metricProducers: [producer] });
    producer.bindReader(this);
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const monitor = await startHealthMonitoring({
  serviceName: 'express-example',
  checkInterval: 1,
  // Off: a short run on a busy machine should not print CPU or event-loop alerts.
  resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false },
});
const peek = new PeekReader();
const peekProvider = new MeterProvider({ readers: [peek] });

const app = express();
app.get('/users/:id', (req, res) => {
  res.json({ id: Number(req.params.id) });
});
const api = express.Router();
api.get('/orders/:orderId', (req, res) => {
  res.json({ order: req.params.orderId });
});
app.use('/api', api);
app.get('/broken', () => {
  throw new Error('this route is broken'); // Express answers 500: counted as an error
});
// Express's default error handler prints the stack; a one-line answer keeps the output short.
app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(500).send(err.message);
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
console.log(`serving on http://127.0.0.1:${port}`);

const get = (path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))).on('error', reject);
  });
for (const path of ['/users/1', '/users/42', '/api/orders/a-17', '/broken', '/nope']) console.log(`GET ${path} → ${await get(path)}`);

// What was recorded: http.server.request.duration, by route and status.
const { resourceMetrics } = await peek.collect();
const duration = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'http.server.request.duration');
for (const p of duration?.dataPoints ?? []) {
  const a = p.attributes;
  console.log(`recorded: http.route=${String(a['http.route'] ?? '(none)')} status=${String(a['http.response.status_code'])} count=${(p.value as Histogram).count}`);
}

const m = await monitor.monitorService();
console.log(
  `health: status=${m.status} level=${m.level} requests=${m.requestCount} errorRate=${(m.errorRate * 100).toFixed(1)}% p95=${(m.responseTime.p95 * 1000).toFixed(1)}ms connections=${m.connections}`,
);

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await peekProvider.shutdown();
await monitor.shutdown();
