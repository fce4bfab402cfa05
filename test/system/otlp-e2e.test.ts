// End to end: a service started with the otel-health preload (dist/register.js) in a child
// process exports its metrics over OTLP/HTTP to a real receiver in this process.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, get, serviceEnv, startService, writeServer, type Service } from '../fixtures/service.js';
import { request } from '../../support/http.js';
import { startOtlpReceiver, type OtlpReceiver, otlpAttributes } from '../../support/otlp-receiver.js';

const SKIP = existsSync(join(DIST, 'register.js'))
  ? false
  : 'dist/register.js is absent: run `npm run build` first (`npm test` builds before it tests)';
const DURATION = 'http.server.request.duration';
const SECONDS_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const attrs = otlpAttributes;

interface Found {
  resource: Record<string, unknown>;
  scope: { name?: string; version?: string };
  metric: any;
}

/** The duration metric of every accepted body, in arrival order. */
function durations(receiver: OtlpReceiver): Found[] {
  const found: Found[] = [];
  for (const body of receiver.metrics) {
    for (const rm of body.resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          if (m.name === DURATION) found.push({ resource: attrs(rm.resource?.attributes), scope: sm.scope ?? {}, metric: m });
        }
      }
    }
  }
  return found;
}

function totalCount(metric: any): number {
  const points = metric.histogram?.dataPoints ?? metric.exponentialHistogram?.dataPoints ?? [];
  return points.reduce((a: number, p: any) => a + Number(p.count), 0);
}

describe('OTLP export end to end', { skip: SKIP }, () => {
  let receiver: OtlpReceiver;
  let server: ReturnType<typeof writeServer>;
  let service: Service | undefined;

  before(async () => {
    receiver = await startOtlpReceiver();
    server = writeServer();
  });
  after(async () => {
    service?.kill();
    server.remove();
    await receiver.close();
  });

  test('the receiver gets http.server.request.duration (unit s, method / status / scheme) with resource service.name', async () => {
    service = await startService(
      ['--import', join(DIST, 'register.js')],
      server.path,
      serviceEnv({
        OTEL_SERVICE_NAME: 'e2e-svc',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
      }),
    );
    const port = service.port;
    assert.equal((await get(port, '/users/12345?token=secret')).status, 200);
    assert.equal((await get(port, '/')).status, 200);
    assert.equal((await get(port, '/fail')).status, 500);
    assert.equal((await request(port, '/orders', { method: 'POST', body: '{}' })).status, 200);

    // Cumulative export every 500 ms: wait (event-driven) for a body that holds all four.
    await receiver.waitFor(() => durations(receiver).some((f) => totalCount(f.metric) === 4), 15_000);
    const found = durations(receiver).find((f) => totalCount(f.metric) === 4)!;

    assert.equal(found.metric.unit, 's');
    assert.equal(found.resource['service.name'], 'e2e-svc');
    assert.equal(found.scope.name, 'otel-health');
    assert.ok(found.metric.histogram, 'explicit-bucket histogram by default');
    assert.equal(found.metric.histogram.aggregationTemporality, 2, 'CUMULATIVE, the OTLP exporter default');
    const points = found.metric.histogram.dataPoints.map((p: any) => ({ ...attrs(p.attributes), count: Number(p.count), bounds: p.explicitBounds }));
    for (const p of points) {
      assert.deepEqual(p.bounds, SECONDS_BOUNDS);
      assert.equal(p['url.scheme'], 'http');
      assert.equal(typeof p['http.request.method'], 'string');
      assert.equal(typeof p['http.response.status_code'], 'number');
    }
    const rows = points
      .map((p: any) => [p['http.request.method'], p['http.response.status_code'], p['error.type'], p.count])
      .sort((a: any[], b: any[]) => String(a).localeCompare(String(b)));
    assert.deepEqual(rows, [
      ['GET', 200, undefined, 2],
      ['GET', 500, '500', 1],
      ['POST', 200, undefined, 1],
    ]);
    const json = JSON.stringify(found.metric);
    for (const raw of ['12345', 'secret', '/users', '/orders']) assert.ok(!json.includes(raw), `${raw} must not be exported`);
  });

  test('after exporting, the service still exits by itself once SIGTERM closes its server', async () => {
    assert.ok(service, 'the service of the previous test');
    assert.ok(receiver.metrics.length > 0, 'it has exported at least once (the export worker is running)');
    service.child.kill('SIGTERM');
    // The preload and its export worker must not keep a stopping service alive.
    const code = await service.exited(10_000).catch((error: Error) => `${error.message}; still running`);
    assert.equal(code, 0);
  });
});
