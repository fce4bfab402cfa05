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
import express from 'express';
import { startHealthMonitoring } from '../src/index.js';
import { announce, peekRecordedRoutes, printHealth, requestEach } from './support/session.js';

const monitor = await startHealthMonitoring({
  serviceName: 'express-example',
  checkInterval: 1,
  // Off: a short run on a busy machine should not print CPU or event-loop alerts.
  resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false },
});
const peek = peekRecordedRoutes();

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
const port = announce(server);

await requestEach(port, ['/users/1', '/users/42', '/api/orders/a-17', '/broken', '/nope']);

await peek.print();

printHealth(await monitor.monitorService());

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await peek.shutdown();
await monitor.shutdown();
