// OTLP protocols end to end (issue 16): a service in a child process with the otel-health
// preload (src/register.ts through tsx) exports to receivers in this process, the protocol
// chosen by the standard variables alone: http/protobuf by default (to an endpoint that takes
// only protobuf, as some vendor endpoints do), http/json, gRPC (a @grpc/grpc-js server), a
// signal-specific variable over the general one, a 415 from an endpoint that refuses JSON, and a
// bad value.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DIST, ROOT, get, serviceEnv, startService, writeServer, type Service } from '../fixtures/service.js';
import { startOtlpReceiver, type OtlpReceiver, otlpAttributes } from '../../support/otlp-receiver.js';
import { startOtlpGrpcReceiver, type OtlpGrpcReceiver } from '../../support/otlp-grpc-receiver.js';

const REGISTER = join(ROOT, 'src', 'register.ts');
const BURST = 20;

/** Only error_rate on (fires at once on a burst of 500s), fast checks and exports. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return serviceEnv({
    OTEL_SERVICE_NAME: 'protocols-e2e',
    OTEL_HEALTH_CHECK_INTERVAL: '0.2',
    OTEL_HEALTH_ERROR_THRESHOLD: 'warning=0.05,error=0.1,critical=0.25,for=0,minRequests=1',
    OTEL_HEALTH_RESPONSE_TIME_THRESHOLD: 'off',
    OTEL_HEALTH_CPU_THRESHOLD: 'off',
    OTEL_HEALTH_MEMORY_THRESHOLD: 'off',
    OTEL_HEALTH_CONNECTIONS_THRESHOLD: 'off',
    OTEL_HEALTH_EVENT_LOOP_DELAY_THRESHOLD: 'off',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    ...extra,
  });
}

/** What a receiver of either kind got, as decoded OTLP/JSON-shaped requests. */
interface Received {
  metrics: any[];
  logs: any[];
}

function firingAlert(received: Received): any {
  for (const body of received.logs) {
    for (const rl of body.resourceLogs ?? []) {
      for (const sl of rl.scopeLogs ?? []) {
        for (const record of sl.logRecords ?? []) {
          const a = otlpAttributes(record.attributes);
          if (record.eventName === 'health.alert' && a['health.alert.rule'] === 'error_rate' && a['health.alert.state'] === 'firing') {
            return { record, attributes: a, resource: otlpAttributes(rl.resource?.attributes), scope: sl.scope };
          }
        }
      }
    }
  }
  return undefined;
}

/** The failed requests of the burst in an http.server.request.duration point, if arrived. */
function burstPoint(received: Received): any {
  for (const body of received.metrics) {
    for (const rm of body.resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          if (m.name !== 'http.server.request.duration') continue;
          for (const p of m.histogram?.dataPoints ?? []) {
            const a = otlpAttributes(p.attributes);
            if (a['error.type'] === '500' && Number(p.count) >= BURST) return { metric: m, attributes: a, resource: otlpAttributes(rm.resource?.attributes) };
          }
        }
      }
    }
  }
  return undefined;
}

async function burst(service: Service): Promise<void> {
  const answers = await Promise.all(Array.from({ length: BURST }, () => get(service.port, '/fail')));
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([500]));
}

/** The checks every protocol must pass: the metric (name, unit, attributes) and the alert record. */
function assertArrived(received: Received): void {
  const point = burstPoint(received);
  assert.ok(point, 'the burst in http.server.request.duration');
  assert.equal(point.metric.unit, 's');
  assert.equal(point.resource['service.name'], 'protocols-e2e');
  assert.deepEqual(
    { method: point.attributes['http.request.method'], status: point.attributes['http.response.status_code'], scheme: point.attributes['url.scheme'] },
    { method: 'GET', status: 500, scheme: 'http' },
  );
  const alert = firingAlert(received);
  assert.ok(alert, 'the health.alert firing record');
  assert.ok([17, 21].includes(alert.record.severityNumber));
  assert.match(alert.record.body.stringValue, /protocols-e2e/);
  assert.equal(alert.attributes['service.name'], 'protocols-e2e');
  assert.equal(alert.resource['service.name'], 'protocols-e2e');
  assert.equal(alert.scope.name, 'otel-health');
}

describe('OTLP protocols end to end (child process, receivers in this process)', () => {
  let server: ReturnType<typeof writeServer>;
  const services: Service[] = [];
  const closers: (() => Promise<void>)[] = [];

  async function httpReceiver(accepts?: 'protobuf' | 'json'): Promise<OtlpReceiver> {
    const r = await startOtlpReceiver(accepts !== undefined ? { accepts } : {});
    closers.push(() => r.close());
    return r;
  }
  async function start(extra: Record<string, string>): Promise<Service> {
    const service = await startService(['--import', 'tsx', '--import', REGISTER], server.path, env(extra));
    services.push(service);
    return service;
  }
  const diagnostics = (service: Service) => `\nservice stderr: ${service.stderr()}`;

  before(() => {
    server = writeServer();
  });
  after(async () => {
    for (const s of services) s.kill();
    server.remove();
    await Promise.all(closers.map((c) => c()));
  });

  test('no protocol variable: http/protobuf to an endpoint that takes only protobuf', async () => {
    const receiver = await httpReceiver('protobuf');
    const service = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    await burst(service);
    await receiver.waitFor(() => firingAlert(receiver) !== undefined && burstPoint(receiver) !== undefined, 15_000).catch((e: Error) => {
      throw new Error(e.message + diagnostics(service));
    });
    assertArrived(receiver);
    assert.ok(receiver.requests.every((r) => r.headers['content-type'] === 'application/x-protobuf' && r.status === 200));
    assert.deepEqual([...new Set(receiver.requests.map((r) => r.path))].sort(), ['/v1/logs', '/v1/metrics']);
  });

  test('OTEL_EXPORTER_OTLP_PROTOCOL=http/json, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/protobuf: the signal variable wins', async () => {
    const receiver = await httpReceiver();
    const service = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
    });
    await burst(service);
    await receiver.waitFor(() => firingAlert(receiver) !== undefined && burstPoint(receiver) !== undefined, 15_000).catch((e: Error) => {
      throw new Error(e.message + diagnostics(service));
    });
    assertArrived(receiver);
    const encodings = (path: string) => [...new Set(receiver.requests.filter((r) => r.path === path).map((r) => r.encoding))];
    assert.deepEqual(encodings('/v1/metrics'), ['json']);
    assert.deepEqual(encodings('/v1/logs'), ['protobuf']);
  });

  test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc: metrics and alert records to a gRPC server, headers as metadata', async () => {
    const grpcServer: OtlpGrpcReceiver = await startOtlpGrpcReceiver();
    closers.push(() => grpcServer.close());
    const service = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: grpcServer.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    await burst(service);
    await grpcServer.waitFor(() => firingAlert(grpcServer) !== undefined && burstPoint(grpcServer) !== undefined, 15_000).catch((e: Error) => {
      throw new Error(e.message + diagnostics(service));
    });
    assertArrived(grpcServer);
    assert.ok(grpcServer.requests.every((r) => r.metadata['x-tenant'] === 'acme'));
    assert.deepEqual([...new Set(grpcServer.requests.map((r) => r.signal))].sort(), ['logs', 'metrics']);
  });

  test('http/json to an endpoint that takes only protobuf: one line per signal names the refused type and the variable', async () => {
    const receiver = await httpReceiver('protobuf');
    const service = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    await burst(service);
    await service.waitForStderr(/OTLP logs endpoint refused application\/json/, 15_000);
    await service.waitForStderr(/OTLP metrics endpoint refused application\/json/, 15_000);
    // A few more exports and retries, each refused again.
    await receiver.waitFor(() => receiver.requests.filter((r) => r.status === 415).length >= 6, 10_000);
    const lines = service.stderr().split('\n').filter((l) => l.includes('HTTP 415'));
    assert.equal(lines.length, 2, lines.join('\n'));
    for (const line of lines) {
      assert.match(line, /set by OTEL_EXPORTER_OTLP_PROTOCOL/);
      assert.match(line, /OTEL_EXPORTER_OTLP_(METRICS|LOGS)_PROTOCOL=http\/protobuf \(or OTEL_EXPORTER_OTLP_PROTOCOL=http\/protobuf/);
    }
    assert.match(lines.find((l) => l.includes(' logs '))!, /Alert records are held for redelivery/);
    assert.equal(receiver.metrics.length + receiver.logs.length, 0);
  });

  test('an unknown protocol value: the service starts unmonitored and says which variable is wrong', async () => {
    const receiver = await httpReceiver();
    const service = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http' });
    await service.waitForStderr(/monitoring not started/, 10_000);
    assert.match(service.stderr(), /OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: must be one of http\/protobuf, http\/json, grpc \(got "http"\)/);
    assert.equal((await get(service.port, '/')).status, 200, 'the service itself runs');
  });
});

// The built package: dist/index.js starts dist/otlp-worker.js, dist/index.cjs starts
// dist/otlp-worker.cjs, each of which imports the stock exporter of the protocol at run time.
// One child process per build, so that each starts its own worker.
const NO_DIST =
  ['index.js', 'index.cjs', 'otlp-worker.js', 'otlp-worker.cjs'].every((f) => existsSync(join(DIST, f)))
    ? false
    : 'dist/ is absent: run `npm run build` first (`npm test` builds before it tests)';

/** Exports one metrics batch and one health.alert log record with the exporters of the build
 * `load` imports (a CommonJS `node -e` script; import() reaches the ESM build); prints the results. */
const exportScript = (load: string) => `
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
class R extends MetricReader { async onShutdown() {} async onForceFlush() {} }
(async () => {
  const { WorkerMetricExporter, WorkerLogRecordExporter } = await (${load});
  const [protocol, metricsUrl, logsUrl, build] = process.argv.slice(1);
  const reader = new R();
  const provider = new MeterProvider({ readers: [reader] });
  provider.getMeter('dist-check').createCounter('dist.requests', { unit: '{request}' }).add(2, { build });
  const { resourceMetrics } = await reader.collect();
  const metrics = new WorkerMetricExporter({ protocol, url: metricsUrl });
  const logs = new WorkerLogRecordExporter({ protocol, url: logsUrl });
  const m = await new Promise((r) => metrics.export(resourceMetrics, r));
  const record = {
    hrTime: [1700000000, 0], hrTimeObserved: [1700000000, 0], attributes: { 'health.alert.rule': 'error_rate' }, droppedAttributesCount: 0,
    eventName: 'health.alert', severityNumber: 17, severityText: 'ERROR', body: 'dist check',
    resource: resourceFromAttributes({ 'service.name': 'dist-check' }), instrumentationScope: { name: 'otel-health' },
  };
  const l = await new Promise((r) => logs.export([record], r));
  await Promise.all([metrics.shutdown(), logs.shutdown()]);
  console.log(JSON.stringify({ metrics: m.code, logs: l.code, error: String(m.error ?? l.error ?? '') }));
})();
`;

describe('the built package sends each protocol (ESM and CommonJS builds)', { skip: NO_DIST }, () => {
  const run = promisify(execFile);
  for (const build of ['esm', 'cjs'] as const) {
    test(`${build}: http/protobuf to a protobuf-only endpoint, and grpc`, async () => {
      const script = exportScript(build === 'esm' ? `import(${JSON.stringify(join(DIST, 'index.js'))})` : `require(${JSON.stringify(join(DIST, 'index.cjs'))})`);
      const receiver = await startOtlpReceiver({ accepts: 'protobuf' });
      const grpcServer = await startOtlpGrpcReceiver();
      try {
        for (const [protocol, metricsUrl, logsUrl] of [
          ['http/protobuf', `${receiver.url}/v1/metrics`, `${receiver.url}/v1/logs`],
          ['grpc', grpcServer.url, grpcServer.url],
        ] as const) {
          const { stdout } = await run(process.execPath, ['-e', script, protocol, metricsUrl, logsUrl, build], { cwd: ROOT, env: serviceEnv({}) });
          assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), { metrics: 0, logs: 0, error: '' }, `${build} ${protocol}: ${stdout}`);
        }
        assert.equal(otlpAttributes(receiver.metrics[0].resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].attributes).build, build);
        assert.equal(receiver.logs[0].resourceLogs[0].scopeLogs[0].logRecords[0].eventName, 'health.alert');
        assert.equal(grpcServer.metrics.length, 1);
        assert.equal(grpcServer.logs[0].resourceLogs[0].scopeLogs[0].logRecords[0].eventName, 'health.alert');
      } finally {
        await receiver.close();
        await grpcServer.close();
      }
    });
  }
});
