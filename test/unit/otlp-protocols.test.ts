// OTLP over each protocol (issue 16), through the worker thread with real SDK providers and
// real receivers in this process: a protobuf-only OTLP/HTTP receiver (415 to anything else)
// that decodes requests with the OTLP definitions, a JSON receiver, and a @grpc/grpc-js server.
// What otlp-worker.test.ts checks over http/json (parity with the stock serializer, headers,
// gzip, timeouts, redelivery, shutdown bounds) is checked here over http/protobuf and gRPC.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { context, trace, TraceFlags, ValueType } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
// Transitive dependency of the exporters, used here as the reference serializer.
import { ProtobufLogsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { alertLogRecord } from '../../src/alerts/log-record.js';
import { ConfigError } from '../../src/model/index.js';
import { configFromEnv, loadConfig, OTLP_PROTOCOL_VALUES } from '../../src/config/env.js';
import { OTLP_PROTOCOLS, resolveProtocol } from '../../src/otlp/export-protocol.js';
import { grpcStatusCode, isTransientExportError, isWorthKeeping } from '../../src/otlp/export-errors.js';
import { isExporterInstalled, missingExporterMessage } from '../../src/otlp/exporter-packages.js';
import { unsupportedMediaTypeMessage } from '../../src/otlp/media-type-diagnostic.js';
import { WorkerLogRecordExporter, WorkerMetricExporter } from '../../src/otlp/index.js';
import { decodeLogsRequest, decodeMetricsRequest } from '../../support/otlp-proto.js';
import type { OtlpGrpcReceiver } from '../../support/otlp-grpc-receiver.js';
import { startOtlpGrpcReceiver } from '../../support/otlp-grpc-receiver.js';
import type { OtlpReceiver } from '../../support/otlp-receiver.js';
import { otlpAttributes, startOtlpReceiver } from '../../support/otlp-receiver.js';
import { startByteCountingProxy } from '../../support/byte-counting-proxy.js';
import { captureOutput } from '../helpers/capture.js';
import { tr, T0 } from '../helpers/alerts.js';
import { CollectingReader, exportAsync, withEnv } from '../../support/export.js';

// Each exporter reads the protocol variables when it is constructed; none is set here unless a
// test sets it (the suite's environment must not choose for us).
for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL']) delete process.env[name];




/** A service's metrics as the SDK collects them: a latency histogram, a counter and a gauge
 * with units and attributes. */
async function serviceMetrics(): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'protocols-test' }),
    readers: [reader],
    views: [{ instrumentName: 'test.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('otel-health-test', '1.2.3');
  const route = { 'http.route': '/checkout', 'http.request.method': 'GET' };
  const exp = meter.createHistogram('test.exp', { unit: 's' });
  for (const v of [0.001, 0.02, 0.02, 0.7]) exp.record(v, route);
  const duration = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.01, 0.1, 1] } });
  duration.record(0.003, route);
  duration.record(0.7, route);
  meter.createCounter('test.requests', { unit: '{request}', valueType: ValueType.INT }).add(3, { ...route, 'http.response.status_code': 503 });
  meter.createObservableGauge('test.heap', { unit: 'By' }).addCallback((r) => r.observe(1234.5, { 'heap.space': 'old' }));
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  await provider.shutdown();
  return resourceMetrics;
}

/** `n` HTTP series (route × status) of a latency histogram and a counter. */
async function manySeries(n: number): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'protocols-test' }), readers: [reader] });
  const meter = provider.getMeter('otel-health-test', '1.2.3');
  const duration = meter.createHistogram('http.server.request.duration', { unit: 's' });
  const count = meter.createCounter('test.requests', { unit: '{request}' });
  for (let i = 0; i < n; i++) {
    const attributes = { 'http.route': `/api/v1/resource-${Math.floor(i / 5)}`, 'http.request.method': 'GET', 'http.response.status_code': 200 + (i % 5) };
    duration.record(0.001 * (i + 1), attributes);
    count.add(i + 1, attributes);
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

/** health.alert records as otel-health emits them (alerts/log-record.ts), read back from an
 * in-memory exporter so the test holds the SDK's own ReadableLogRecords. */
function alertRecords(count = 1, withContext?: ReturnType<typeof context.active>): ReadableLogRecord[] {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const logger = provider.getLogger('otel-health', '0.1.0');
  for (let i = 0; i < count; i++) {
    const record = alertLogRecord(tr('firing', T0 + i), 'checkout') as Parameters<typeof logger.emit>[0];
    logger.emit(withContext === undefined ? record : { ...record, context: withContext });
  }
  return memory.getFinishedLogRecords();
}

function findMetric(body: any, name: string): any {
  for (const rm of body.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) if (m.name === name) return m;
  return undefined;
}

function logRecordsOf(body: any): any[] {
  return (body.resourceLogs ?? []).flatMap((rl: any) => (rl.scopeLogs ?? []).flatMap((sl: any) => sl.logRecords ?? []));
}

/** The checks every protocol must pass on a decoded metrics request. */
function assertServiceMetrics(body: any): void {
  assert.deepEqual(otlpAttributes(body.resourceMetrics[0].resource.attributes)['service.name'], 'protocols-test');
  assert.equal(body.resourceMetrics[0].scopeMetrics[0].scope.name, 'otel-health-test');
  const duration = findMetric(body, 'http.server.request.duration');
  assert.equal(duration.unit, 's');
  const point = duration.histogram.dataPoints[0];
  assert.equal(point.count, 2);
  assert.deepEqual(point.explicitBounds, [0.01, 0.1, 1]);
  assert.deepEqual(point.bucketCounts, [1, 0, 1, 0]);
  assert.deepEqual(otlpAttributes(point.attributes), { 'http.route': '/checkout', 'http.request.method': 'GET' });
  const requests = findMetric(body, 'test.requests');
  assert.equal(requests.unit, '{request}');
  assert.equal(requests.sum.isMonotonic, true);
  assert.equal(Number(requests.sum.dataPoints[0].asInt), 3);
  assert.equal(otlpAttributes(requests.sum.dataPoints[0].attributes)['http.response.status_code'], 503);
  const heap = findMetric(body, 'test.heap');
  assert.equal(heap.unit, 'By');
  assert.equal(heap.gauge.dataPoints[0].asDouble, 1234.5);
  const exp = findMetric(body, 'test.exp').exponentialHistogram.dataPoints[0];
  assert.equal(exp.count, 4);
  assert.equal(exp.positive.bucketCounts.reduce((a: number, b: number) => a + Number(b), 0), 4);
}

function assertAlertRecord(body: any): void {
  const [record] = logRecordsOf(body);
  assert.ok(record, 'a log record');
  assert.equal(record.eventName, 'health.alert');
  assert.equal(record.severityNumber, 17);
  assert.equal(record.severityText, 'ERROR');
  assert.equal(record.body.stringValue, 'checkout: error_rate firing');
  const a = otlpAttributes(record.attributes);
  assert.equal(a['health.alert.rule'], 'error_rate');
  assert.equal(a['health.alert.state'], 'firing');
  assert.equal(a['health.alert.transition'], 'firing');
  assert.equal(a['service.name'], 'checkout');
}

describe('which protocol: the standard variables, signal-specific first', () => {
  it('defaults to http/protobuf; the general variable; the signal variable wins; empty counts as unset', () => {
    assert.deepEqual(resolveProtocol('metrics', undefined, {}), { protocol: 'http/protobuf', source: 'default' });
    assert.deepEqual(resolveProtocol('logs', undefined, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), { protocol: 'grpc', source: 'OTEL_EXPORTER_OTLP_PROTOCOL' });
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: ' ' };
    assert.equal(resolveProtocol('logs', undefined, env).protocol, 'http/json');
    assert.equal(resolveProtocol('metrics', undefined, env).protocol, 'grpc');
    assert.deepEqual(resolveProtocol('metrics', 'http/json', env), { protocol: 'http/json', source: 'protocol option' });
  });

  it('an unknown value throws a RangeError naming the variable, from the exporter constructor too', () => {
    assert.throws(() => resolveProtocol('metrics', undefined, { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http' }), /OTEL_EXPORTER_OTLP_METRICS_PROTOCOL must be one of http\/protobuf, http\/json, grpc, got "http"/);
    assert.throws(() => withEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'protobuf' }, () => new WorkerLogRecordExporter()), (e: Error) => e instanceof RangeError && /OTEL_EXPORTER_OTLP_PROTOCOL/.test(e.message));
    assert.throws(() => new WorkerMetricExporter({ protocol: 'udp' as never }), /protocol must be one of/);
  });

  it('start-up configuration: one ConfigError lists every bad protocol variable with the other problems', () => {
    assert.deepEqual(OTLP_PROTOCOL_VALUES, OTLP_PROTOCOLS, 'config/env.ts checks the values otlp/ takes');
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/proto', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'json', OTEL_HEALTH_CHECK_INTERVAL: 'soon' };
    for (const read of [() => configFromEnv(env), () => loadConfig({}, env)]) {
      assert.throws(read, (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const paths = e.issues.map((i) => i.path).sort();
        assert.deepEqual(paths, ['OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_HEALTH_CHECK_INTERVAL']);
        assert.match(e.message, /OTEL_EXPORTER_OTLP_PROTOCOL.*must be one of http\/protobuf, http\/json, grpc \(got "http\/proto"\)/);
        return true;
      });
    }
    assert.doesNotThrow(() => loadConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: '' }));
  });

  it('gRPC statuses: the retryable ones are transient, the others permanent; 415 is kept', () => {
    assert.equal(grpcStatusCode(14), 'GRPC_UNAVAILABLE');
    assert.equal(grpcStatusCode(99), undefined);
    for (const code of [1, 2, 4, 8, 10, 11, 13, 14, 15]) assert.equal(isTransientExportError({ code: grpcStatusCode(code) }), true, String(code));
    for (const code of [3, 5, 7, 12, 16]) assert.equal(isTransientExportError({ code: grpcStatusCode(code) }), false, String(code));
    assert.equal(isTransientExportError({ code: 415 }), false);
    assert.equal(isWorthKeeping({ code: 415 }), true);
    assert.equal(isWorthKeeping({ code: 400 }), false);
  });

  it('the messages: what was refused and what to set; a missing exporter package and how to install it', () => {
    const protobuf = unsupportedMediaTypeMessage('logs', { protocol: 'http/protobuf', source: 'default' });
    assert.match(protobuf, /refused application\/x-protobuf \(HTTP 415/);
    assert.match(protobuf, /set OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http\/json \(or OTEL_EXPORTER_OTLP_PROTOCOL=http\/json/);
    const json = unsupportedMediaTypeMessage('metrics', { protocol: 'http/json', source: 'OTEL_EXPORTER_OTLP_PROTOCOL' });
    assert.match(json, /refused application\/json .*set by OTEL_EXPORTER_OTLP_PROTOCOL.*OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http\/protobuf/);
    for (const protocol of OTLP_PROTOCOLS) for (const signal of ['metrics', 'logs'] as const) assert.equal(isExporterInstalled(signal, protocol), true, `${signal} ${protocol}`);
    assert.match(
      missingExporterMessage('metrics', 'grpc', 'OTEL_EXPORTER_OTLP_PROTOCOL'),
      /needs @opentelemetry\/exporter-metrics-otlp-grpc, which is not installed: npm install @opentelemetry\/exporter-metrics-otlp-grpc@<the version of your @opentelemetry\/exporter-metrics-otlp-http>/,
    );
  });
});

describe('http/protobuf (the default) to a protobuf-only receiver', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver({ accepts: 'protobuf' });
  });
  after(() => receiver.close());

  it('metrics: names, units, attributes; the request is what the stock protobuf serializer makes of the same data', async () => {
    const exporter = new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics` });
    const rm = await serviceMetrics();
    const start = receiver.metrics.length;
    const result = await exportAsync(exporter, rm);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    const request = receiver.requests.at(-1)!;
    assert.equal(request.headers['content-type'], 'application/x-protobuf');
    const body = receiver.metrics[start];
    assertServiceMetrics(body);
    assert.deepEqual(body, decodeMetricsRequest(ProtobufMetricsSerializer.serializeRequest(rm)!));
    await exporter.shutdown();
  });

  it('the health.alert record, identical to the stock protobuf serialization (trace context included)', async () => {
    const exporter = new WorkerLogRecordExporter({ url: `${receiver.url}/v1/logs` });
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    const records = alertRecords(1, trace.setSpanContext(context.active(), spanContext));
    const start = receiver.logs.length;
    const result = await exportAsync(exporter, records);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    const body = receiver.logs[start];
    assertAlertRecord(body);
    const [record] = logRecordsOf(body);
    assert.equal(record.traceId, spanContext.traceId);
    assert.equal(record.spanId, spanContext.spanId);
    assert.equal(record.flags, 1);
    assert.deepEqual(body, decodeLogsRequest(ProtobufLogsSerializer.serializeRequest(records)!));
    await exporter.shutdown();
  });

  it('headers (option and OTEL_EXPORTER_OTLP_HEADERS) and gzip compression', async () => {
    const exporter = withEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme' }, () =>
      new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics`, compression: 'gzip', headers: { 'x-from-options': 'yes' } }),
    );
    const start = receiver.metrics.length;
    assert.equal((await exportAsync(exporter, await serviceMetrics())).code, ExportResultCode.SUCCESS);
    const request = receiver.requests.at(-1)!;
    assert.equal(request.headers['content-encoding'], 'gzip');
    assert.equal(request.headers['x-from-options'], 'yes');
    assert.equal(request.headers['x-tenant'], 'acme');
    assertServiceMetrics(receiver.metrics[start]);
    await exporter.shutdown();
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/metrics and /v1/logs appended', async () => {
    const [metrics, logs] = withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, () => [new WorkerMetricExporter(), new WorkerLogRecordExporter()] as const);
    const start = receiver.requests.length;
    assert.equal((await exportAsync(metrics, await serviceMetrics())).code, ExportResultCode.SUCCESS);
    assert.equal((await exportAsync(logs, alertRecords())).code, ExportResultCode.SUCCESS);
    assert.deepEqual(receiver.requests.slice(start).map((r) => r.path), ['/v1/metrics', '/v1/logs']);
    await Promise.all([metrics.shutdown(), logs.shutdown()]);
  });

  it('a hanging endpoint: the export fails at timeoutMillis, shutdown() keeps its bound', async () => {
    receiver.setMode('hang');
    try {
      const exporter = new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics`, timeoutMillis: 300 });
      const began = Date.now();
      const result = await exportAsync(exporter, await serviceMetrics());
      assert.equal(result.code, ExportResultCode.FAILED);
      assert.ok(Date.now() - began < 5000, `failed after ${Date.now() - began} ms`);
      await exporter.shutdown();
      // An export that would wait 30 s: shutdown() ends it within its own bound.
      const patient = new WorkerMetricExporter({ url: `${receiver.url}/v1/metrics`, timeoutMillis: 30_000, shutdownTimeoutMillis: 400 });
      const pending = exportAsync(patient, await serviceMetrics());
      const shutdownBegan = Date.now();
      await patient.shutdown();
      assert.ok(Date.now() - shutdownBegan < 4000, `shutdown took ${Date.now() - shutdownBegan} ms`);
      assert.equal((await pending).code, ExportResultCode.FAILED);
    } finally {
      receiver.setMode('ok');
    }
  });

  it('alert records survive an outage over protobuf (redelivery), in order', async () => {
    receiver.setMode({ status: 503 });
    const exporter = new WorkerLogRecordExporter({ url: `${receiver.url}/v1/logs`, timeoutMillis: 500, redelivery: { initialBackoffMillis: 50, maxBackoffMillis: 100 } });
    const start = receiver.logs.length;
    assert.equal((await exportAsync(exporter, alertRecords(2))).code, ExportResultCode.SUCCESS, 'handed to the redelivery queue');
    assert.equal(exporter.pendingRedelivery, 2);
    receiver.setMode('ok');
    await receiver.waitFor(() => receiver.logs.length > start, 5000);
    await exporter.forceFlush();
    assert.equal(exporter.redeliveredLogRecords, 2);
    assert.equal(exporter.droppedLogRecords, 0);
    assert.deepEqual(logRecordsOf(receiver.logs[start]).map((r) => r.timeUnixNano), alertRecords(2).map((r) => String(BigInt(r.hrTime[0]) * 1_000_000_000n + BigInt(r.hrTime[1]))));
    await exporter.shutdown();
  });
});

describe('415 Unsupported Media Type: one clear diagnostic, no silent loss', () => {
  let protobufOnly: OtlpReceiver;
  let jsonOnly: OtlpReceiver;
  before(async () => {
    protobufOnly = await startOtlpReceiver({ accepts: 'protobuf' });
    jsonOnly = await startOtlpReceiver({ accepts: 'json' });
  });
  after(async () => {
    await protobufOnly.close();
    await jsonOnly.close();
  });

  it('http/json to a protobuf-only endpoint: alert records are held, the message names application/json and the variable', async () => {
    const out = captureOutput();
    try {
      const exporter = withEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, () =>
        new WorkerLogRecordExporter({ url: `${protobufOnly.url}/v1/logs`, redelivery: { initialBackoffMillis: 50, maxBackoffMillis: 100 }, shutdownTimeoutMillis: 300 }),
      );
      const first = await exportAsync(exporter, alertRecords());
      assert.equal(first.code, ExportResultCode.SUCCESS, 'kept by the redelivery queue, not FAILED and dropped');
      assert.equal(exporter.pendingRedelivery, 1);
      assert.equal((await exportAsync(exporter, alertRecords())).code, ExportResultCode.SUCCESS);
      await protobufOnly.waitFor(() => protobufOnly.requests.filter((r) => r.status === 415).length >= 3, 5000);
      assert.equal(exporter.droppedLogRecords, 0, 'nothing dropped while the process runs');
      const lines = out.stderr.join('').split('\n').filter((l) => l.includes('HTTP 415'));
      assert.equal(lines.length, 1, `one diagnostic, got: ${lines.join('\n')}`);
      assert.match(lines[0]!, /OTLP logs endpoint refused application\/json \(HTTP 415 Unsupported Media Type\)/);
      assert.match(lines[0]!, /set by OTEL_EXPORTER_OTLP_PROTOCOL/);
      assert.match(lines[0]!, /set OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http\/protobuf/);
      await exporter.shutdown();
      assert.equal(exporter.droppedLogRecords, 2, 'what is still held at shutdown is counted as dropped');
    } finally {
      out.restore();
    }
  });

  it('http/protobuf (default) to a JSON-only endpoint: the message says to set http/json; metric exports fail', async () => {
    const out = captureOutput();
    try {
      const metrics = new WorkerMetricExporter({ url: `${jsonOnly.url}/v1/metrics` });
      const result = await exportAsync(metrics, await serviceMetrics());
      assert.equal(result.code, ExportResultCode.FAILED);
      await exportAsync(metrics, await serviceMetrics());
      const lines = out.stderr.join('').split('\n').filter((l) => l.includes('HTTP 415'));
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /OTLP metrics endpoint refused application\/x-protobuf .*the default protocol.*OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http\/json \(or OTEL_EXPORTER_OTLP_PROTOCOL=http\/json/);
      await metrics.shutdown();
      // ... and with the variable set as the message says, the same endpoint takes them.
      const fixed = withEnv({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' }, () => new WorkerMetricExporter({ url: `${jsonOnly.url}/v1/metrics` }));
      const start = jsonOnly.metrics.length;
      assert.equal((await exportAsync(fixed, await serviceMetrics())).code, ExportResultCode.SUCCESS);
      assert.equal(jsonOnly.requests.at(-1)!.headers['content-type'], 'application/json');
      assertServiceMetrics(jsonOnly.metrics[start]);
      await fixed.shutdown();
    } finally {
      out.restore();
    }
  });
});

describe('grpc to a @grpc/grpc-js server', () => {
  let server: OtlpGrpcReceiver;
  before(async () => {
    server = await startOtlpGrpcReceiver();
  });
  after(() => server.close());

  it('metrics and the health.alert record arrive, decoded with the OTLP definitions; headers as metadata', async () => {
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: server.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme' };
    const [metrics, logs] = withEnv(env, () => [new WorkerMetricExporter({ headers: { 'x-from-options': 'yes' } }), new WorkerLogRecordExporter()] as const);
    const rm = await serviceMetrics();
    const result = await exportAsync(metrics, rm);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    assert.equal((await exportAsync(logs, alertRecords())).code, ExportResultCode.SUCCESS);
    const metricsCall = server.requests.find((r) => r.signal === 'metrics')!;
    assert.equal(metricsCall.metadata['x-from-options'], 'yes');
    assert.equal(metricsCall.metadata['x-tenant'], 'acme');
    assertServiceMetrics(server.metrics[0]);
    assert.deepEqual(server.metrics[0], decodeMetricsRequest(ProtobufMetricsSerializer.serializeRequest(rm)!));
    assertAlertRecord(server.logs[0]);
    await Promise.all([metrics.shutdown(), logs.shutdown()]);
  });

  it('gzip compression (option and OTEL_EXPORTER_OTLP_COMPRESSION) shrinks what goes on the wire', async () => {
    // grpc-js hides the grpc-encoding header from the server: count the bytes on the wire instead.
    const proxy = await startByteCountingProxy(server.port);
    try {
      const rm = await manySeries(200);
      const sizeWith = async (make: () => WorkerMetricExporter): Promise<number> => {
        const exporter = make();
        const before = server.metrics.length;
        assert.equal((await exportAsync(exporter, rm)).code, ExportResultCode.SUCCESS); // connects
        proxy.reset();
        assert.equal((await exportAsync(exporter, rm)).code, ExportResultCode.SUCCESS);
        const bytes = proxy.sent;
        await exporter.shutdown();
        assert.equal(server.metrics.length, before + 2);
        assert.deepEqual(server.metrics.at(-1), decodeMetricsRequest(ProtobufMetricsSerializer.serializeRequest(rm)!), 'the server decompressed the same request');
        return bytes;
      };
      const url = `http://127.0.0.1:${proxy.port}`;
      const plain = await sizeWith(() => new WorkerMetricExporter({ protocol: 'grpc', url }));
      const option = await sizeWith(() => new WorkerMetricExporter({ protocol: 'grpc', url, compression: 'gzip' }));
      const fromEnv = await sizeWith(() => withEnv({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, () => new WorkerMetricExporter({ protocol: 'grpc', url })));
      assert.ok(option < plain / 2, `gzip ${option} B vs ${plain} B`);
      assert.ok(fromEnv < plain / 2, `gzip from the variable ${fromEnv} B vs ${plain} B`);
    } finally {
      await proxy.close();
    }
  });

  it('UNAVAILABLE keeps alert records for redelivery; UNAUTHENTICATED is permanent', async () => {
    const url = server.url;
    server.setMode({ status: grpc.status.UNAVAILABLE });
    const logs = new WorkerLogRecordExporter({ protocol: 'grpc', url, redelivery: { initialBackoffMillis: 50, maxBackoffMillis: 100 } });
    try {
      assert.equal((await exportAsync(logs, alertRecords())).code, ExportResultCode.SUCCESS);
      assert.equal(logs.pendingRedelivery, 1);
      const start = server.logs.length;
      server.setMode('ok');
      await server.waitFor(() => server.logs.length > start, 5000);
      await logs.forceFlush();
      assert.equal(logs.redeliveredLogRecords, 1);

      server.setMode({ status: grpc.status.UNAUTHENTICATED });
      const refused = await exportAsync(logs, alertRecords());
      assert.equal(refused.code, ExportResultCode.FAILED);
      assert.equal((refused.error as Error & { code?: unknown }).code, 'GRPC_UNAUTHENTICATED');
      assert.equal(logs.droppedLogRecords, 1);
    } finally {
      server.setMode('ok');
      await logs.shutdown();
    }
  });

  it('a server that never answers: the call fails at timeoutMillis and shutdown() keeps its bound', async () => {
    server.setMode('hang');
    try {
      const metrics = new WorkerMetricExporter({ protocol: 'grpc', url: server.url, timeoutMillis: 300 });
      const began = Date.now();
      const result = await exportAsync(metrics, await serviceMetrics());
      assert.equal(result.code, ExportResultCode.FAILED);
      assert.equal((result.error as Error & { code?: unknown }).code, 'GRPC_DEADLINE_EXCEEDED');
      assert.ok(Date.now() - began < 5000, `failed after ${Date.now() - began} ms`);
      await metrics.shutdown();
      const patient = new WorkerMetricExporter({ protocol: 'grpc', url: server.url, timeoutMillis: 30_000, shutdownTimeoutMillis: 400 });
      const pending = exportAsync(patient, await serviceMetrics());
      const shutdownBegan = Date.now();
      await patient.shutdown();
      assert.ok(Date.now() - shutdownBegan < 4000, `shutdown took ${Date.now() - shutdownBegan} ms`);
      assert.equal((await pending).code, ExportResultCode.FAILED);
    } finally {
      server.setMode('ok');
    }
  });

  it('with no endpoint set, gRPC goes to localhost:4317 (not 4318, no /v1 path)', async (t) => {
    let local: OtlpGrpcReceiver;
    try {
      local = await startOtlpGrpcReceiver({ port: 4317 });
    } catch {
      t.skip('port 4317 is taken on this machine');
      return;
    }
    try {
      const metrics = withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: undefined }, () => new WorkerMetricExporter({ protocol: 'grpc' }));
      const result = await exportAsync(metrics, await serviceMetrics());
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      assert.equal(local.metrics.length, 1);
      await metrics.shutdown();
    } finally {
      await local.close();
    }
  });
});
