// OTLP/HTTP export through the worker thread: real SDK providers → WorkerMetricExporter /
// WorkerLogRecordExporter → worker → stock exporters → a real OTLP/HTTP receiver.

import assert from 'node:assert/strict';
import dc from 'node:diagnostics_channel';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { context, trace, TraceFlags, ValueType } from '@opentelemetry/api';
import { SeverityNumber } from '../../src/model/otel-logs.js';
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import { AggregationTemporalityPreference, OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
// Transitive dependency of the exporters, used here as the reference serializer.
import { JsonLogsSerializer, JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { WorkerLogRecordExporter, WorkerMetricExporter, histogramAggregationFromEnv } from '../../src/otlp/index.js';
import { getWorkerHost, stripPreloadsFromNodeOptions } from '../../src/otlp/worker-host.js';
import type { OtlpReceiver } from '../../support/otlp-receiver.js';
import { startOtlpReceiver } from '../../support/otlp-receiver.js';
import { CollectingReader, exportAsync, withEnv } from '../../support/export.js';

// This file checks the worker's requests against the stock JSON serializer, field by field, so
// its exporters send http/json; otlp-protocols.test.ts holds the same checks for http/protobuf
// (the default) and grpc.
process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';

// Every outbound HTTP request / TCP connection made by the main thread. Channels are per
// thread: the worker's requests do not appear here.
const mainThreadClientRequests: string[] = [];
const onRequest = (msg: unknown) => {
  const { request: req } = msg as { request: { host?: string; path?: string } };
  mainThreadClientRequests.push(`${req.host ?? ''}${req.path ?? ''}`);
};
const onSocket = () => mainThreadClientRequests.push('net.client.socket');
dc.subscribe('http.client.request.start', onRequest);
dc.subscribe('net.client.socket', onSocket);




function decodeJson(bytes: Uint8Array | undefined): any {
  assert.ok(bytes);
  return JSON.parse(new TextDecoder().decode(bytes));
}

function attrs(list: { key: string; value: Record<string, unknown> }[]): Record<string, unknown> {
  return Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));
}

function findMetric(body: any, name: string): any {
  for (const rm of body.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.name === name) return m;
  return undefined;
}

async function collectOnce(provider: (reader: MetricReader) => MeterProvider, record: (p: MeterProvider) => void): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const mp = provider(reader);
  record(mp);
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  await mp.shutdown();
  return resourceMetrics;
}

describe('OTLP export through the worker thread', () => {
  let receiver: OtlpReceiver;

  before(async () => {
    receiver = await startOtlpReceiver();
  });

  after(async () => {
    await receiver.close();
    dc.unsubscribe('http.client.request.start', onRequest);
    dc.unsubscribe('net.client.socket', onSocket);
  });

  it('metrics from a MeterProvider arrive through PeriodicExportingMetricReader', async () => {
    receiver.setMode('ok');
    const exporter = new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics` });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'otlp-worker-test' }),
      readers: [reader],
    });
    const meter = provider.getMeter('otel-health-test', '1.2.3');
    const duration = meter.createHistogram('http.server.request.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
    });
    const requests = meter.createCounter('test.requests', { unit: '{request}', valueType: ValueType.INT });
    const active = meter.createUpDownCounter('test.active', { unit: '{request}', valueType: ValueType.INT });
    const route = { 'http.route': '/checkout', 'http.request.method': 'GET' };
    duration.record(0.003, route);
    duration.record(0.02, route);
    duration.record(0.7, route);
    requests.add(3, { ...route, 'http.response.status_code': 200 });
    requests.add(1, { ...route, 'http.response.status_code': 503 });
    active.add(5);
    active.add(-2);

    const before = receiver.metrics.length;
    await provider.forceFlush(); // rejects unless the export reported SUCCESS
    await receiver.waitFor(() => receiver.metrics.length > before, 5000);
    const body = receiver.metrics.at(-1);

    const rm = body.resourceMetrics[0];
    assert.equal(attrs(rm.resource.attributes)['service.name'], 'otlp-worker-test');
    assert.deepEqual(rm.scopeMetrics[0].scope, { name: 'otel-health-test', version: '1.2.3' });

    const hist = findMetric(body, 'http.server.request.duration');
    assert.equal(hist.unit, 's');
    assert.equal(hist.histogram.aggregationTemporality, 2); // CUMULATIVE
    const hp = hist.histogram.dataPoints[0];
    assert.deepEqual(attrs(hp.attributes), route);
    assert.equal(hp.count, 3);
    assert.ok(Math.abs(hp.sum - 0.723) < 1e-9);
    assert.equal(hp.min, 0.003);
    assert.equal(hp.max, 0.7);
    assert.deepEqual(hp.explicitBounds, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]);
    assert.deepEqual(hp.bucketCounts, [1, 0, 1, 0, 0, 0, 0, 1, 0]);

    const counter = findMetric(body, 'test.requests');
    assert.equal(counter.unit, '{request}');
    assert.equal(counter.sum.isMonotonic, true);
    const byStatus = Object.fromEntries(
      counter.sum.dataPoints.map((p: any) => [attrs(p.attributes)['http.response.status_code'], p.asInt]),
    );
    assert.deepEqual(byStatus, { 200: 3, 503: 1 });

    const updown = findMetric(body, 'test.active');
    assert.equal(updown.unit, '{request}');
    assert.equal(updown.sum.isMonotonic, false);
    assert.equal(updown.sum.dataPoints[0].asInt, 3);
    assert.deepEqual(updown.sum.dataPoints[0].attributes, []);

    await provider.shutdown();
  });

  it('metric requests are what the stock serializer makes of the same data (every point type)', async () => {
    receiver.setMode('ok');
    const resourceMetrics = await collectOnce(
      (reader) =>
        new MeterProvider({
          resource: resourceFromAttributes({ 'service.name': 'fidelity', 'service.version': '9' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }),
          views: [{ instrumentName: 'test.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
          readers: [reader],
        }),
      (mp) => {
        const a = mp.getMeter('scope-a', '1.0.0', { schemaUrl: 'https://example.com/schema/a' });
        const b = mp.getMeter('scope-b');
        const hist = a.createHistogram('test.hist', { unit: 'ms' });
        const exp = a.createHistogram('test.exp', { unit: 's', description: 'exponential' });
        for (const v of [1, 2, 3, 50, 1000]) hist.record(v, { k: 'v' });
        for (const v of [0, 0.001, 0.02, 0.3, 4, 4, 4]) exp.record(v, { tier: 'gold', flag: true, n: 3, f: 1.5 });
        a.createCounter('test.double').add(1.25, { list: ['x', 'y'] });
        b.createUpDownCounter('test.updown', { valueType: ValueType.INT }).add(-7);
        b.createGauge('test.gauge', { valueType: ValueType.DOUBLE }).record(0.75, { where: 'here' });
        b.createObservableGauge('test.observable').addCallback((r) => r.observe(42, { cb: 'yes' }));
      },
    );
    const expected = decodeJson(JsonMetricsSerializer.serializeRequest(resourceMetrics));
    const expMetric = findMetric(expected, 'test.exp');
    assert.ok(expMetric.exponentialHistogram.dataPoints[0].positive.bucketCounts.length > 0);

    // options reach the stock exporter: compression and headers
    const exporter = new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics`, compression: 'gzip', headers: { 'x-from-options': 'yes' } });
    const before = receiver.metrics.length;
    const result = await exportAsync(exporter, resourceMetrics);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    await receiver.waitFor(() => receiver.metrics.length > before, 5000);
    assert.deepEqual(receiver.metrics.at(-1), expected);
    const req = receiver.requests.at(-1)!;
    assert.equal(req.headers['content-encoding'], 'gzip');
    assert.equal(req.headers['x-from-options'], 'yes');
    await exporter.shutdown();
  });

  it('log records from a LoggerProvider arrive, identical to the stock serialization', async () => {
    receiver.setMode('ok');
    const exporter = new WorkerLogRecordExporter({ url: `${receiver.url}/v1/logs` });
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'alerts-test' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }),
      processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 60_000 }), new SimpleLogRecordProcessor({ exporter: memory })],
    });
    const logger = provider.getLogger('otel-health', '0.1.0');
    const other = provider.getLogger('other-scope');
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    logger.emit({
      eventName: 'health.alert',
      severityNumber: SeverityNumber.ERROR, // 17
      severityText: 'ERROR',
      body: 'checkout: error rate 23.4% ≥ 10% for 30s',
      attributes: {
        'health.alert.rule': 'error_rate',
        'health.alert.state': 'firing',
        'health.alert.level': 'ERROR',
        'health.alert.value': 0.234,
        'health.alert.threshold': 0.1,
        'service.name': 'checkout',
      },
      context: trace.setSpanContext(context.active(), spanContext),
    });
    other.emit({ severityNumber: SeverityNumber.INFO, body: { structured: ['a', 1, true], bytes: new Uint8Array([1, 2, 3]) } });
    logger.emit({ severityNumber: SeverityNumber.WARN, body: 'second', attributes: { n: 2 } });

    const before = receiver.logs.length;
    await provider.forceFlush();
    await receiver.waitFor(() => receiver.logs.length > before, 5000);
    const body = receiver.logs.at(-1);

    const scopeLogs = body.resourceLogs[0].scopeLogs;
    const alert = scopeLogs.find((s: any) => s.scope.name === 'otel-health').logRecords[0];
    assert.equal(alert.eventName, 'health.alert');
    assert.equal(alert.severityNumber, 17);
    assert.equal(alert.severityText, 'ERROR');
    assert.equal(alert.body.stringValue, 'checkout: error rate 23.4% ≥ 10% for 30s');
    assert.deepEqual(attrs(alert.attributes), {
      'health.alert.rule': 'error_rate',
      'health.alert.state': 'firing',
      'health.alert.level': 'ERROR',
      'health.alert.value': 0.234,
      'health.alert.threshold': 0.1,
      'service.name': 'checkout',
    });
    assert.equal(alert.traceId, spanContext.traceId);
    assert.equal(alert.spanId, spanContext.spanId);
    assert.equal(alert.flags, 1);
    assert.equal(body.resourceLogs[0].schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');

    // Field for field what the stock exporter would have sent from the main thread.
    const records = memory.getFinishedLogRecords() as ReadableLogRecord[];
    assert.equal(records.length, 3);
    assert.deepEqual(body, decodeJson(JsonLogsSerializer.serializeRequest(records)));
    await provider.shutdown();
  });

  it('a body postMessage cannot clone is sent as the stock transformer would send it; dropped attributes are counted', async () => {
    receiver.setMode('ok');
    const exporter = new WorkerLogRecordExporter({ url: `${receiver.url}/v1/logs` });
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      logRecordLimits: { attributeCountLimit: 2 },
      processors: [new SimpleLogRecordProcessor({ exporter: memory })],
    });
    provider.getLogger('odd').emit({
      body: { fn: () => 1, sym: Symbol('s'), nested: [{ ok: 'yes', fn2: () => 2 }], when: new Date(0) } as never,
      attributes: { a: 1, b: 2, c: 3, d: 4 },
    });
    const records = memory.getFinishedLogRecords() as ReadableLogRecord[];
    assert.equal(records[0]!.droppedAttributesCount, 2);
    const before = receiver.logs.length;
    const result = await exportAsync(exporter, records);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    await receiver.waitFor(() => receiver.logs.length > before, 5000);
    const body = receiver.logs.at(-1);
    assert.deepEqual(body, decodeJson(JsonLogsSerializer.serializeRequest(records)));
    assert.equal(body.resourceLogs[0].scopeLogs[0].logRecords[0].droppedAttributesCount, 2);
    await exporter.shutdown();
    await provider.shutdown();
  });

  it('a 500 answer gives FAILED with an Error, and the next export succeeds', async () => {
    // Without redelivery (with it, a 500 is queued for later: test/system/otlp-redelivery.test.ts).
    const exporter = new WorkerLogRecordExporter({ url: `${receiver.url}/v1/logs`, redelivery: false });
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    provider.getLogger('t').emit({ body: 'x' });
    const records = memory.getFinishedLogRecords() as ReadableLogRecord[];

    receiver.setMode('fail500');
    const failed = await exportAsync(exporter, records);
    const workers = getWorkerHost().startedWorkers;
    assert.equal(failed.code, ExportResultCode.FAILED);
    assert.ok(failed.error instanceof Error);
    assert.match(failed.error.message, /500|Internal Server Error/);

    receiver.setMode('ok');
    const ok = await exportAsync(exporter, records);
    assert.equal(ok.code, ExportResultCode.SUCCESS);
    assert.equal(getWorkerHost().startedWorkers, workers, 'same worker, no restart');
    await exporter.shutdown();
    await provider.shutdown();
  });

  it('a 429 answer is retried by the stock exporter in the worker', async () => {
    receiver.setMode('retry429');
    const exporter = new WorkerLogRecordExporter({ url: `${receiver.url}/v1/logs` });
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    provider.getLogger('t').emit({ body: 'retry me' });
    const start = receiver.requests.length;
    const result = await exportAsync(exporter, memory.getFinishedLogRecords() as ReadableLogRecord[]);
    assert.equal(result.code, ExportResultCode.SUCCESS);
    assert.deepEqual(
      receiver.requests.slice(start).map((r) => r.status),
      [429, 200],
    );
    receiver.setMode('ok');
    await exporter.shutdown();
    await provider.shutdown();
  });

  it('with a hanging endpoint shutdown() resolves within shutdownTimeoutMillis and fails the batch', async () => {
    receiver.setMode('hang');
    const exporter = new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics`, timeoutMillis: 30_000, shutdownTimeoutMillis: 400 });
    const rm = await collectOnce(
      (reader) => new MeterProvider({ readers: [reader] }),
      (mp) => mp.getMeter('m').createCounter('c').add(1),
    );
    const start = receiver.requests.length;
    const result = exportAsync(exporter, rm);
    await receiver.waitFor(() => receiver.requests.length > start, 5000); // it hangs in the receiver now
    const t0 = performance.now();
    await exporter.shutdown();
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 1000, `shutdown took ${elapsed.toFixed(0)} ms`);
    const r = await result;
    assert.equal(r.code, ExportResultCode.FAILED);
    assert.match(String(r.error?.message), /shut/);
    // later exports on a shut-down exporter fail at once
    assert.equal((await exportAsync(exporter, rm)).code, ExportResultCode.FAILED);
    receiver.setMode('ok');
  });

  it('beyond maxQueue batches are dropped, counted and FAILED', async () => {
    receiver.setMode('hang');
    const exporter = new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics`, timeoutMillis: 30_000, maxQueue: 2, shutdownTimeoutMillis: 300 });
    const rm = await collectOnce(
      (reader) => new MeterProvider({ readers: [reader] }),
      (mp) => mp.getMeter('m').createCounter('c').add(1),
    );
    const results: ExportResult[] = [];
    for (let i = 0; i < 5; i++) exporter.export(rm, (r) => results.push(r));
    // the three beyond the queue are answered synchronously
    assert.equal(results.length, 3);
    assert.ok(results.every((r) => r.code === ExportResultCode.FAILED && /maxQueue 2/.test(String(r.error?.message))));
    assert.equal(exporter.droppedBatches, 3);
    assert.equal(exporter.pendingBatches, 2);
    await exporter.shutdown();
    assert.equal(results.length, 5);
    assert.ok(results.every((r) => r.code === ExportResultCode.FAILED));
    assert.equal(exporter.pendingBatches, 0);
    receiver.setMode('ok');
  });

  it('a worker that dies fails its pending batches; the next export starts a new worker', async () => {
    receiver.setMode('hang');
    const exporter = new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics`, timeoutMillis: 30_000 });
    const rm = await collectOnce(
      (reader) => new MeterProvider({ readers: [reader] }),
      (mp) => mp.getMeter('m').createCounter('c').add(1),
    );
    const host = getWorkerHost();
    const start = receiver.requests.length;
    const pending = exportAsync(exporter, rm);
    await receiver.waitFor(() => receiver.requests.length > start, 5000);
    const workers = host.startedWorkers;
    await host.currentWorker!.terminate(); // as if it crashed
    const r = await pending;
    assert.equal(r.code, ExportResultCode.FAILED);
    assert.match(String(r.error?.message), /worker exited/);

    receiver.setMode('ok');
    const ok = await exportAsync(exporter, rm);
    assert.equal(ok.code, ExportResultCode.SUCCESS, String(ok.error));
    assert.equal(host.startedWorkers, workers + 1);
    await exporter.shutdown();
  });

  it('endpoint and headers come from OTEL_EXPORTER_OTLP_* through the stock exporter', async () => {
    receiver.setMode('ok');
    // read now, at construction, like the stock exporter reads them
    const exporter = withEnv(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-test-tenant=acme,authorization=Bearer%20t0k' },
      () => new WorkerMetricExporter(),
    );
    const rm = await collectOnce(
      (reader) => new MeterProvider({ readers: [reader] }),
      (mp) => mp.getMeter('m').createCounter('from.env').add(2),
    );
    const start = receiver.requests.length;
    const result = await exportAsync(exporter, rm);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    const req = receiver.requests.slice(start).find((r) => r.path === '/v1/metrics');
    assert.ok(req);
    assert.equal(req.headers['x-test-tenant'], 'acme');
    assert.equal(req.headers['authorization'], 'Bearer t0k');
    assert.ok(findMetric(req.body, 'from.env'));
    await exporter.shutdown();
  });

  it('shutting down the last exporter terminates the worker', async () => {
    const host = getWorkerHost();
    assert.equal(host.exporterCount, 0);
    assert.equal(host.running, false);
  });

  it('the main thread made no outbound HTTP request (and the probe does see one)', async () => {
    assert.deepEqual(mainThreadClientRequests, []);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${receiver.url}/v1/unknown`, { method: 'POST' }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    assert.ok(mainThreadClientRequests.length >= 1, 'diagnostics_channel probe works');
  });
});

describe('aggregation selection answers like the stock OTLPMetricExporter', () => {
  const types = Object.values(InstrumentType);

  for (const pref of [undefined, 'cumulative', 'delta', 'lowmemory', 'DELTA', 'bogus']) {
    it(`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=${pref}`, async () => {
      const [ours, stock] = withEnv({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: pref }, () => [
        new WorkerMetricExporter(),
        new OTLPMetricExporter(),
      ]);
      for (const t of types) assert.equal(ours.selectAggregationTemporality(t), stock.selectAggregationTemporality(t), t);
      for (const t of types) assert.deepEqual(ours.selectAggregation(t), stock.selectAggregation(t), t);
      if (pref?.toLowerCase() === 'delta') {
        assert.equal(ours.selectAggregationTemporality(InstrumentType.COUNTER), AggregationTemporality.DELTA);
        assert.equal(ours.selectAggregationTemporality(InstrumentType.UP_DOWN_COUNTER), AggregationTemporality.CUMULATIVE);
      }
      await ours.shutdown();
      await stock.shutdown();
    });
  }

  it('an explicit temporalityPreference wins over the environment', async () => {
    const ours = withEnv({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'cumulative' }, () => new WorkerMetricExporter({ temporalityPreference: AggregationTemporalityPreference.DELTA }));
    assert.equal(ours.selectAggregationTemporality(InstrumentType.HISTOGRAM), AggregationTemporality.DELTA);
    await ours.shutdown();
  });

  it('OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION picks the histogram aggregation', async () => {
    const exp = withEnv({ OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram' }, () => new WorkerMetricExporter());
    assert.deepEqual(exp.selectAggregation(InstrumentType.HISTOGRAM), { type: AggregationType.EXPONENTIAL_HISTOGRAM });
    assert.deepEqual(exp.selectAggregation(InstrumentType.COUNTER), { type: AggregationType.DEFAULT });
    const unset = withEnv({ OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: undefined }, () => new WorkerMetricExporter());
    assert.deepEqual(unset.selectAggregation(InstrumentType.HISTOGRAM), { type: AggregationType.DEFAULT });
    // the specified default, and unknown values, keep DEFAULT: explicit buckets that honour advice
    assert.equal(histogramAggregationFromEnv('explicit_bucket_histogram'), undefined);
    assert.equal(histogramAggregationFromEnv('bogus'), undefined);
    assert.equal(histogramAggregationFromEnv(' BASE2_Exponential_Bucket_Histogram ')?.(InstrumentType.HISTOGRAM).type, AggregationType.EXPONENTIAL_HISTOGRAM);
    const explicit = withEnv(
      { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram' },
      () => new WorkerMetricExporter({ aggregationPreference: () => ({ type: AggregationType.DROP }) }),
    );
    assert.deepEqual(explicit.selectAggregation(InstrumentType.HISTOGRAM), { type: AggregationType.DROP });
    await Promise.all([exp.shutdown(), unset.shutdown(), explicit.shutdown()]);
  });
});

describe('worker command line', () => {
  it('NODE_OPTIONS loses its preload flags and keeps the rest', () => {
    assert.equal(
      stripPreloadsFromNodeOptions('--max-old-space-size=4096 --import otel-health/register -r ./a.js --require=./b.js --dns-result-order=ipv4first --import "./with space.mjs" --no-warnings'),
      '--max-old-space-size=4096 --dns-result-order=ipv4first --no-warnings',
    );
    assert.equal(stripPreloadsFromNodeOptions('--title "my app"'), '--title "my app"');
  });
});
