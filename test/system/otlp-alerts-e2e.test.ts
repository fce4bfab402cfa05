// End to end, alerts on the wire: a service run in a child process with the otel-health preload
// (src/register.ts through tsx, so the test needs no build) answers a burst of 500s; only the
// error_rate rule is on (checks every 0.2 s). It exports to OTLP/HTTP receivers in this process,
// and the test reads what arrives: the metrics, the `health.alert` log records, the request
// headers, and which receiver got which signal under the standard OTEL_* variables.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ROOT, get, serviceEnv, startService, writeServer, type Service } from '../fixtures/service.js';
import { startOtlpReceiver, type OtlpReceiver, otlpAttributes } from '../../support/otlp-receiver.js';

const REGISTER = join(ROOT, 'src', 'register.ts');
const EXPORT_INTERVAL_MS = 200;
/** After a positive event on one signal: how long the other signal gets to (wrongly) show up. */
const GRACE_MS = 4 * EXPORT_INTERVAL_MS;
const BURST = 20;

const attrs = otlpAttributes;

interface AlertRecord {
  resource: Record<string, unknown>;
  scope: { name?: string };
  record: any;
  attributes: Record<string, unknown>;
}

function alertRecords(receiver: OtlpReceiver): AlertRecord[] {
  const out: AlertRecord[] = [];
  for (const body of receiver.logs) {
    for (const rl of body.resourceLogs ?? []) {
      for (const sl of rl.scopeLogs ?? []) {
        for (const record of sl.logRecords ?? []) {
          if (record.eventName === 'health.alert') {
            out.push({ resource: attrs(rl.resource?.attributes), scope: sl.scope ?? {}, record, attributes: attrs(record.attributes) });
          }
        }
      }
    }
  }
  return out;
}

function firingErrorRate(receiver: OtlpReceiver): AlertRecord | undefined {
  return alertRecords(receiver).find((a) => a.attributes['health.alert.rule'] === 'error_rate' && a.attributes['health.alert.state'] === 'firing');
}

interface FoundMetric {
  resource: Record<string, unknown>;
  metric: any;
}

function metricsNamed(receiver: OtlpReceiver, name: string): FoundMetric[] {
  const out: FoundMetric[] = [];
  for (const body of receiver.metrics) {
    for (const rm of body.resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) if (m.name === name) out.push({ resource: attrs(rm.resource?.attributes), metric: m });
      }
    }
  }
  return out;
}

/** Failed requests (error.type=500) counted in an http.server.request.duration body. */
function failedCount(metric: any): number {
  return (metric.histogram?.dataPoints ?? [])
    .filter((p: any) => attrs(p.attributes)['error.type'] === '500')
    .reduce((a: number, p: any) => a + Number(p.count), 0);
}

function sawBurst(receiver: OtlpReceiver): boolean {
  return metricsNamed(receiver, 'http.server.request.duration').some((f) => failedCount(f.metric) >= BURST);
}

function paths(receiver: OtlpReceiver): string[] {
  return [...new Set(receiver.requests.map((r) => r.path))].sort();
}

/** The service environment: only error_rate on (fires at once at ≥1 request), fast checks and exports. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return serviceEnv({
    OTEL_SERVICE_NAME: 'alerts-e2e',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=e2e,service.namespace=shop',
    OTEL_HEALTH_CHECK_INTERVAL: '0.2',
    OTEL_HEALTH_ERROR_THRESHOLD: 'warning=0.05,error=0.1,critical=0.25,for=0,minRequests=1',
    OTEL_HEALTH_RESPONSE_TIME_THRESHOLD: 'off',
    OTEL_HEALTH_CPU_THRESHOLD: 'off',
    OTEL_HEALTH_MEMORY_THRESHOLD: 'off',
    OTEL_HEALTH_CONNECTIONS_THRESHOLD: 'off',
    OTEL_HEALTH_EVENT_LOOP_DELAY_THRESHOLD: 'off',
    OTEL_METRIC_EXPORT_INTERVAL: String(EXPORT_INTERVAL_MS),
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    ...extra,
  });
}

async function burst(service: Service): Promise<void> {
  const answers = await Promise.all(Array.from({ length: BURST }, () => get(service.port, '/fail')));
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([500]));
}

describe('alerts over OTLP end to end (child process, receivers in this process)', () => {
  let server: ReturnType<typeof writeServer>;
  const services: Service[] = [];
  const receivers: OtlpReceiver[] = [];

  async function receiver(): Promise<OtlpReceiver> {
    const r = await startOtlpReceiver();
    receivers.push(r);
    return r;
  }
  async function start(extra: Record<string, string>): Promise<Service> {
    const service = await startService(['--import', 'tsx', '--import', REGISTER], server.path, env(extra));
    services.push(service);
    return service;
  }
  function diagnostics(service: Service): string {
    return `\nservice stderr: ${service.stderr()}\nservice stdout: ${service.stdout()}`;
  }

  before(() => {
    server = writeServer();
  });
  after(async () => {
    for (const s of services) s.kill();
    server.remove();
    await Promise.all(receivers.map((r) => r.close()));
  });

  test('metrics to the general endpoint, alert records to OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, both with OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const general = await receiver();
    const logsOnly = await receiver();
    const service = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: general.url,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${logsOnly.url}/v1/logs`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-test-token=abc,x-other=two%20words',
    });
    await burst(service);

    await logsOnly.waitFor(() => firingErrorRate(logsOnly) !== undefined, 15_000).catch((error: Error) => {
      throw new Error(error.message + diagnostics(service));
    });
    await general.waitFor(() => sawBurst(general), 15_000);

    // --- the alert record, as it arrived
    const alert = firingErrorRate(logsOnly)!;
    const { record, attributes: a } = alert;
    assert.equal(record.eventName, 'health.alert', 'LogRecord.eventName on the wire (not only an attribute)');
    assert.ok([17, 21].includes(record.severityNumber), `severityNumber 17 or 21, got ${record.severityNumber}`);
    assert.equal(record.severityText, record.severityNumber === 21 ? 'FATAL' : 'ERROR');
    assert.equal(typeof record.body?.stringValue, 'string');
    assert.match(record.body.stringValue, /alerts-e2e/);
    assert.match(record.body.stringValue, /error rate/i);
    assert.equal(a['health.alert.rule'], 'error_rate');
    assert.equal(a['health.alert.state'], 'firing');
    assert.ok(['ERROR', 'CRITICAL'].includes(a['health.alert.level'] as string), `level ${String(a['health.alert.level'])}`);
    assert.equal(a['health.alert.level'], record.severityNumber === 21 ? 'CRITICAL' : 'ERROR');
    assert.equal(typeof a['health.alert.value'], 'number');
    assert.equal(typeof a['health.alert.threshold'], 'number');
    assert.ok((a['health.alert.value'] as number) >= (a['health.alert.threshold'] as number), 'value ≥ threshold');
    assert.ok((a['health.alert.value'] as number) > 0.25 && (a['health.alert.value'] as number) <= 1, 'a burst of only 500s');
    assert.equal(typeof a['health.alert.fingerprint'], 'string');
    assert.ok((a['health.alert.fingerprint'] as string).length > 0);
    assert.equal(a['service.name'], 'alerts-e2e');
    assert.equal(alert.resource['service.name'], 'alerts-e2e');
    assert.equal(alert.resource['deployment.environment'], 'e2e', 'OTEL_RESOURCE_ATTRIBUTES on the log resource');
    assert.equal(alert.resource['service.namespace'], 'shop');
    assert.equal(alert.scope.name, 'otel-health');
    // Only error_rate is on: no other rule fired.
    assert.deepEqual([...new Set(alertRecords(logsOnly).map((x) => x.attributes['health.alert.rule']))], ['error_rate']);

    // --- the metrics, as they arrived at the general endpoint
    const duration = metricsNamed(general, 'http.server.request.duration').find((f) => failedCount(f.metric) >= BURST)!;
    assert.equal(duration.metric.unit, 's');
    assert.equal(duration.resource['service.name'], 'alerts-e2e');
    assert.equal(duration.resource['deployment.environment'], 'e2e', 'OTEL_RESOURCE_ATTRIBUTES on the metric resource');
    const failed = duration.metric.histogram.dataPoints.map((p: any) => attrs(p.attributes)).find((p: any) => p['error.type'] === '500');
    assert.deepEqual(
      { method: failed['http.request.method'], status: failed['http.response.status_code'], scheme: failed['url.scheme'] },
      { method: 'GET', status: 500, scheme: 'http' },
    );
    const units = new Map<string, string>();
    for (const body of general.metrics) {
      for (const rm of body.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) units.set(m.name, m.unit);
    }
    assert.equal(units.get('http.server.active_requests'), '{request}');
    assert.equal(units.get('otel_health.http.server.connections'), '{connection}');
    assert.equal(units.get('process.memory.usage'), 'By');
    assert.equal(units.get('process.cpu.utilization'), '1');
    assert.equal(units.get('nodejs.eventloop.delay.p99'), 's');

    // --- the signals went where the variables said, with the headers
    assert.deepEqual(paths(general).filter((p) => p === '/v1/logs'), [], 'no logs at the general endpoint');
    assert.deepEqual(paths(logsOnly), ['/v1/logs'], 'only logs at the logs endpoint');
    const metricRequests = general.requests.filter((r) => r.path === '/v1/metrics');
    const logRequests = logsOnly.requests.filter((r) => r.path === '/v1/logs');
    assert.ok(metricRequests.length > 0 && logRequests.length > 0);
    for (const r of [...metricRequests, ...logRequests]) {
      assert.equal(r.headers['x-test-token'], 'abc', `x-test-token on ${r.path}`);
      assert.equal(r.headers['x-other'], 'two words', `percent-decoded header value on ${r.path}`);
    }
  });

  test('OTEL_METRICS_EXPORTER=none: alert records arrive, no metrics request does', async () => {
    const receiverA = await receiver();
    const service = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiverA.url, OTEL_METRICS_EXPORTER: 'none' });
    await burst(service);
    await receiverA.waitFor(() => firingErrorRate(receiverA) !== undefined, 15_000).catch((error: Error) => {
      throw new Error(error.message + diagnostics(service));
    });
    // The alert needed several checks and export intervals already; give the metrics a few more.
    await sleep(GRACE_MS);
    assert.deepEqual(paths(receiverA), ['/v1/logs']);
    assert.equal(receiverA.metrics.length, 0);
  });

  test('OTEL_LOGS_EXPORTER=none: metrics arrive, no log request does (and no console alert line)', async () => {
    const receiverA = await receiver();
    const service = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiverA.url, OTEL_LOGS_EXPORTER: 'none' });
    await burst(service);
    await receiverA.waitFor(() => sawBurst(receiverA), 15_000).catch((error: Error) => {
      throw new Error(error.message + diagnostics(service));
    });
    // The positive event that the alert fired: the service's own checks saw the burst as unhealthy.
    const checks = await get(service.port, '/checks?n=3');
    const seen = JSON.parse(checks.body) as { monitor: boolean; statuses: string[]; requestCount: number };
    assert.ok(seen.monitor, 'the preload started a monitor');
    assert.ok(seen.requestCount >= BURST, `the checks counted the burst (${seen.requestCount})`);
    assert.ok(seen.statuses.some((s) => !/^healthy$/i.test(s)), `an unhealthy status was seen: ${seen.statuses.join(', ')}`);
    // Then two more metric exports plus the log batch delay: still no logs.
    const exportsSoFar = receiverA.metrics.length;
    await receiverA.waitFor(() => receiverA.metrics.length >= exportsSoFar + 2, 5_000);
    await sleep(GRACE_MS);
    assert.deepEqual(paths(receiverA), ['/v1/metrics']);
    assert.equal(receiverA.logs.length, 0);
    assert.doesNotMatch(service.stdout() + service.stderr(), /error rate/i, 'none means none, not the console fallback');
  });
});
