/**
 * The server under test: one hello-world `node:http` server, with one variant's telemetry set up
 * before `node:http` is required. Started by the harness (bench/http-overhead.ts) as a child process:
 *
 *   node --import tsx bench/server.ts <variant>        (or BENCH_VARIANT=<variant>)
 *
 * Environment: OTEL_EXPORTER_OTLP_ENDPOINT (the sink, http://127.0.0.1:<port>), and
 * BENCH_EXPORT_INTERVAL_MS (the export interval every exporting variant uses; the harness also sets
 * OTEL_METRIC_EXPORT_INTERVAL to it).
 *
 * IPC: sends `ready` with the port (or `failed` with the error, then exits 1); answers `cpu` with
 * process.cpuUsage() (all threads of the process, so a worker thread's export counts); on `stop`
 * shuts the variant down (bounded) and exits. Exits when the harness disconnects.
 */
import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import { otlpMetricsBody } from './otlp-body.js';
import { isVariant, type ServerCommand, type ServerMessage, type VariantName } from './protocol.js';
import { errorText, sendToParent } from './parent.js';

if (!process.send) {
  console.error('server.ts is started by bench/http-overhead.ts (it needs an IPC channel)');
  process.exit(2);
}

const require = createRequire(import.meta.url);
const SHUTDOWN_BOUND_MS = 3000;

/** Messages to the harness, typed for this child. */
const send = (msg: ServerMessage): Promise<void> => sendToParent(msg);

function endpoint(): string {
  const value = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!value) throw new Error('OTEL_EXPORTER_OTLP_ENDPOINT is not set');
  const url = new URL(value);
  if (url.hostname !== '127.0.0.1') throw new Error(`the sink must be on 127.0.0.1, got ${value}`);
  return value.replace(/\/$/, '');
}

function exportIntervalMs(): number {
  const ms = Number(process.env.BENCH_EXPORT_INTERVAL_MS ?? '1000');
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`bad BENCH_EXPORT_INTERVAL_MS: ${process.env.BENCH_EXPORT_INTERVAL_MS}`);
  return ms;
}

/** What a variant set up: an optional `request` listener added before the handler, and its shutdown. */
interface Setup {
  onRequest?: (req: Http.IncomingMessage, res: Http.ServerResponse) => void;
  shutdown: () => Promise<void>;
}

/** The shape of `otel-health`'s API this benchmark uses (its public entry, src/index.ts). */
interface HealthMonitorLike {
  shutdown(): Promise<void>;
}
type StartHealthMonitoring = (options: { serviceName: string; checkInterval: number }) => Promise<HealthMonitorLike>;

async function setupOtelHealth(): Promise<Setup> {
  // A computed specifier keeps the typecheck independent of whether src/index.ts exists yet; tsx
  // resolves it at run time (relative to this file) like any other import.
  const specifier = '../src/index.js';
  const mod = (await import(specifier)) as { startHealthMonitoring?: unknown };
  if (typeof mod.startHealthMonitoring !== 'function') {
    throw new Error('src/index.ts does not export startHealthMonitoring (yet)');
  }
  const startHealthMonitoring = mod.startHealthMonitoring as StartHealthMonitoring;
  const checkInterval = Number(process.env.BENCH_CHECK_INTERVAL_S ?? '1');
  const monitor = await startHealthMonitoring({ serviceName: 'bench', checkInterval: checkInterval > 0 ? checkInterval : 1 });
  return { shutdown: () => monitor.shutdown() };
}

async function setupNaiveOtel(): Promise<Setup> {
  const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const interval = exportIntervalMs();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${endpoint()}/v1/metrics` }),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(interval, 10_000),
      }),
    ],
  });
  const meter = provider.getMeter('bench');
  const duration = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    description: 'Duration of HTTP server requests.',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] },
  });
  const requests = meter.createCounter('bench.http.server.requests', { unit: '{request}' });
  return {
    onRequest(req, res) {
      const start = performance.now();
      res.on('finish', () => {
        const attributes = {
          'http.request.method': req.method ?? '_OTHER',
          'http.response.status_code': res.statusCode,
          'url.scheme': 'http',
        };
        duration.record((performance.now() - start) / 1000, attributes);
        requests.add(1, attributes);
      });
    },
    shutdown: () => provider.shutdown(),
  };
}

async function setupInstrumentationHttp(): Promise<Setup> {
  // Traces and logs off; the harness sets these too, this keeps the file honest when run by hand.
  process.env.OTEL_TRACES_EXPORTER = 'none';
  process.env.OTEL_LOGS_EXPORTER = 'none';
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  const { PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
  const interval = exportIntervalMs();
  const sdk = new NodeSDK({
    serviceName: 'bench',
    metricReaders: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${endpoint()}/v1/metrics` }),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(interval, 10_000),
      }),
    ],
    instrumentations: [new HttpInstrumentation()],
  });
  // Started before node:http is required below (the instrumentation patches it on require).
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

function setupBareExport(): Setup {
  const http = require('node:http') as typeof Http;
  const target = new URL(`${endpoint()}/v1/metrics`);
  const interval = exportIntervalMs();
  const agent = new http.Agent({ keepAlive: true });
  const startMs = Date.now();
  let seq = 0;
  const exportOnce = (): void => {
    const body = otlpMetricsBody(startMs, Date.now(), ++seq);
    const req = http.request(
      {
        agent,
        method: 'POST',
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        timeout: Math.min(interval, 10_000),
      },
      (res) => {
        res.resume();
      },
    );
    req.on('timeout', () => req.destroy(new Error('export timed out')));
    req.on('error', () => {
      // An export that fails is dropped, as an exporter would.
    });
    req.end(body);
  };
  const timer = setInterval(exportOnce, interval);
  timer.unref();
  return {
    shutdown: async () => {
      clearInterval(timer);
      agent.destroy();
    },
  };
}

async function setup(variant: VariantName): Promise<Setup> {
  switch (variant) {
    case 'bare':
      return { shutdown: async () => {} };
    case 'bare-export':
      return setupBareExport();
    case 'otel-health':
      return setupOtelHealth();
    case 'naive-otel':
      return setupNaiveOtel();
    case 'instrumentation-http':
      return setupInstrumentationHttp();
  }
}

function bounded(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? process.env.BENCH_VARIANT ?? '';
  if (!isVariant(name)) throw new Error(`unknown variant "${name}"`);
  const variant = await setup(name);

  // Required after the variant's setup, so that instrumentation-http can patch it on require.
  const http = require('node:http') as typeof Http;
  const server = http.createServer();
  if (variant.onRequest) server.on('request', variant.onRequest);
  server.on('request', (_req: Http.IncomingMessage, res: Http.ServerResponse) => {
    res.end('hello');
  });

  let stopping = false;
  process.on('message', (msg: ServerCommand) => {
    if (msg.type === 'cpu') {
      const usage = process.cpuUsage();
      void send({ type: 'cpu', id: msg.id, user: usage.user, system: usage.system });
    } else if (msg.type === 'stop' && !stopping) {
      stopping = true;
      server.closeAllConnections();
      server.close();
      bounded(variant.shutdown(), SHUTDOWN_BOUND_MS, 'shutdown').then(
        () => send({ type: 'stopped' }),
        (err: unknown) => send({ type: 'stopped', shutdownError: errorText(err) }),
      ).finally(() => process.exit(0));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected listen address');
  await send({ type: 'ready', port: address.port });
}

process.on('disconnect', () => process.exit(1));

main().catch(async (err: unknown) => {
  await send({ type: 'failed', error: errorText(err) });
  process.exit(1);
});
