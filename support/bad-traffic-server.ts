/**
 * The service under bad traffic, as a child process (forked by TrafficServer in bad-traffic.ts,
 * with --expose-gc): a node:http server naming `/gen/<n>/:id` templates with setRoute, and an
 * Express app with parameterised routes (EXPRESS_TEMPLATES). otel-health's instrumentation is
 * off until the parent asks for it, so the same child measures memory both ways.
 *
 * IPC commands (answered `{ id, result }` or `{ id, error }`): instrument, settle, memory,
 * metrics, exit. With `--sample-ms=N` it also sends `{ type: 'sample' }` memory figures (no gc)
 * every N ms.
 */
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { setRoute } from '../src/instrumentation/index.js';
import { getStore, allInstruments } from '../src/instrumentation/store.js';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { startHarness, type Harness } from './metrics.js';
import { listen, trackSockets } from './http.js';
import { GEN_ROUTES, type MemoryFigure, type MetricsSummary } from './bad-traffic.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('bad-traffic-server needs --expose-gc');

const uncaught: string[] = [];
process.on('uncaughtException', (error) => void uncaught.push(String(error)));
process.on('unhandledRejection', (error) => void uncaught.push(String(error)));
// The parent went away (even by SIGKILL): do not linger.
process.on('disconnect', () => process.exit(0));

let handled = 0;

/** `/slow/...`: headers go out at once, the body never ends; the client aborts. */
function hang(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.flushHeaders();
  res.write('started\n');
}

const nodeServer = http.createServer((req, res) => {
  handled++;
  const path = (req.url ?? '/').split('?')[0]!;
  const gen = /^\/gen\/(\d+)\//.exec(path);
  if (gen !== null && Number(gen[1]) < GEN_ROUTES) {
    setRoute(req, `/gen/${Number(gen[1])}/:id`);
    res.end('gen');
  } else if (path.startsWith('/slow/')) {
    hang(res);
  } else {
    res.statusCode = 404;
    res.end();
  }
});

const app = express();
app.use((_req, _res, next) => {
  handled++;
  next();
});
app.get('/users/:id', (req, res) => void res.json({ id: req.params.id }));
app.post('/users/:id', (_req, res) => void res.status(201).end());
app.put('/users/:id', (_req, res) => void res.status(204).end());
app.delete('/users/:id', (_req, res) => void res.status(204).end());
app.patch('/users/:id', (_req, res) => void res.status(200).end());
app.all('/orgs/:org/repos/:repo', (req, res) => void res.send(`${req.method} ${req.params.repo}`));
app.get('/files/*path', (_req, res) => void res.send('file'));
app.get('/search', (req, res) => void res.json({ q: req.query }));
const api = express.Router();
api.get('/items/:id', (_req, res) => void res.send('item'));
api.delete('/items/:id', (_req, res) => void res.status(204).end());
app.use('/api', api);
app.all('/fail/:code', (req, res) => void res.status(Number(req.params.code) || 500).end());
app.get('/throw/:id', () => {
  throw new Error('handler bug');
});
app.all('/slow/:id', (_req, res) => hang(res));
// Answer errors (bad escapes in params, the thrower) without Express's stack trace on stderr.
app.use((error: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
  res.status(typeof error.status === 'number' ? error.status : 500).end();
});
const expressServer = http.createServer(app);

const sockets = [trackSockets(nodeServer), trackSockets(expressServer)];
const nodePort = await listen(nodeServer);
const expressPort = await listen(expressServer);

let harness: Harness | undefined;

async function settle(): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const closed = Promise.all(sockets.map((s) => s.allClosed())).then(() => true);
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 15_000)));
  const ok = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (ok) return 0;
  const counts = await Promise.all(
    [nodeServer, expressServer].map((server) => new Promise<number>((resolve) => server.getConnections((_error, n) => resolve(n)))),
  );
  return counts[0]! + counts[1]!;
}

function memory(): MemoryFigure {
  gc!();
  gc!();
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, rss, external, arrayBuffers };
}

async function metrics(): Promise<MetricsSummary> {
  if (harness === undefined) throw new Error('instrumentation is off');
  const collected = await harness.collect();
  const store = getStore();
  return {
    metrics: collected.map((m) => ({
      name: m.descriptor.name,
      points: m.dataPoints.map((p) => ({
        attributes: p.attributes,
        value: typeof p.value === 'number' ? p.value : (p.value as Histogram).count,
      })),
    })),
    instruments: allInstruments(store).map((i) => ({
      name: i.descriptor.name,
      series: i.series.length,
      maxSeries: i.maxSeries,
      capped: i.isCapped,
      overflowed: i.overflowed,
    })),
    internalErrors: store.instrumentation.internalErrors,
    uncaught,
    handled,
  };
}

const commands: Record<string, () => unknown> = {
  instrument: () => {
    harness ??= startHarness({ temporality: AggregationTemporality.CUMULATIVE });
  },
  settle,
  memory,
  metrics,
  exit: async () => {
    nodeServer.closeAllConnections();
    expressServer.closeAllConnections();
    nodeServer.close();
    expressServer.close();
    await harness?.close();
    process.exit(0);
  },
};

process.on('message', (msg: { id: number; cmd: string }) => {
  const command = commands[msg.cmd];
  Promise.resolve()
    .then(() => (command === undefined ? Promise.reject(new Error(`unknown command ${msg.cmd}`)) : command()))
    .then(
      (result) => process.send?.({ id: msg.id, result }),
      (error: unknown) => process.send?.({ id: msg.id, error: String(error) }),
    );
});

const sampleArg = process.argv.find((a) => a.startsWith('--sample-ms='));
if (sampleArg !== undefined) {
  const started = performance.now();
  setInterval(() => {
    const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
    process.send?.({ type: 'sample', sample: { t: performance.now() - started, heapUsed, rss, external, arrayBuffers } });
  }, Number(sampleArg.slice('--sample-ms='.length))).unref();
}

process.send?.({ type: 'ready', nodePort, expressPort });
