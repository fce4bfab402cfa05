/**
 * The scripted session the short examples share: request the example's own server and print
 * what otel-health recorded. Only the parts each example is about stay in the example.
 */
import http from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { MeterProvider, MetricReader, type Histogram } from '@opentelemetry/sdk-metrics';
import { HealthMetricProducer, type HealthMetrics } from '../../src/index.js';

/** A pull reader over its own HealthMetricProducer: only here to print what was recorded. */
class PeekReader extends MetricReader {
  constructor(readonly producer = new HealthMetricProducer()) {
    super({ metricProducers: [producer] });
    producer.bindReader(this);
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** A second, on-demand reader of otel-health's metrics; `print()` lists the routes recorded. */
export function peekRecordedRoutes(): { print(): Promise<void>; shutdown(): Promise<void> } {
  const peek = new PeekReader();
  const provider = new MeterProvider({ readers: [peek] });
  return {
    async print() {
      // What was recorded: http.server.request.duration, by route and status.
      const { resourceMetrics } = await peek.collect();
      const duration = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'http.server.request.duration');
      for (const p of duration?.dataPoints ?? []) {
        const a = p.attributes;
        console.log(`recorded: http.route=${String(a['http.route'] ?? '(none)')} status=${String(a['http.response.status_code'])} count=${(p.value as Histogram).count}`);
      }
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The port of a listening server, announced on stdout. */
export function announce(server: Server, suffix = ''): number {
  const { port } = server.address() as AddressInfo;
  console.log(`serving on http://127.0.0.1:${port}${suffix}`);
  return port;
}

/** Listen on 127.0.0.1 (PORT, or any free port); resolves to the port, announced on stdout. */
export async function serve(server: Server): Promise<number> {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return announce(server);
}

/** GET each path from the example's own server, printing the status. */
export async function requestEach(port: number, paths: readonly string[]): Promise<void> {
  const get = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))).on('error', reject);
    });
  for (const path of paths) console.log(`GET ${path} → ${await get(path)}`);
}

/** One line of HealthMetrics; `detail` adds latency and connections. */
export function printHealth(m: HealthMetrics, detail = true): void {
  const base = `health: status=${m.status} level=${m.level} requests=${m.requestCount} errorRate=${(m.errorRate * 100).toFixed(1)}%`;
  console.log(detail ? `${base} p95=${(m.responseTime.p95 * 1000).toFixed(1)}ms connections=${m.connections}` : base);
}
