// The per-reader MetricProducer: two readers on one MeterProvider, one DELTA with exponential
// histograms and one CUMULATIVE with explicit buckets, each see every request exactly once,
// whatever order and cadence they collect in.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { HrTime } from '@opentelemetry/api';
import { hrTimeToNanoseconds } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type ExponentialHistogram,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { TestReader, metric, sumOf } from '../../support/metrics.js';
import { listen, close, request, trackSockets } from '../../support/http.js';
import { acquireInstrumentation, type InstrumentationHandle } from '../../src/instrumentation/index.js';
import { HealthMetricProducer } from '../../src/instrumentation/producer.js';
import { drain, getStore } from '../../src/instrumentation/store.js';
import { startHealthMonitoring } from '../../src/start.js';
import { startOtlpReceiver } from '../../support/otlp-receiver.js';

const DURATION = 'http.server.request.duration';
const OPENED = 'otel_health.http.server.connections';
const ACTIVE = 'http.server.active_requests';
const SECONDS_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const SLOW_MS = 60;

let handle: InstrumentationHandle;
let provider: MeterProvider;
let deltaReader: TestReader;
let cumulativeReader: TestReader;
let server: http.Server;
let sockets: ReturnType<typeof trackSockets>;
let port: number;

before(async () => {
  handle = acquireInstrumentation();
  deltaReader = new TestReader(AggregationTemporality.DELTA, true);
  cumulativeReader = new TestReader(AggregationTemporality.CUMULATIVE, false);
  provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'producer-test' }),
    readers: [deltaReader, cumulativeReader],
  });
  server = http.createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow'), SLOW_MS);
    else if (req.url === '/fail') {
      res.statusCode = 503;
      res.end();
    } else res.end('fast');
  });
  sockets = trackSockets(server);
  port = await listen(server);
});
after(async () => {
  await close(server);
  handle.release();
  await provider.shutdown();
});

interface Collected {
  resource: ResourceMetrics['resource'];
  scopes: ResourceMetrics['scopeMetrics'];
  metrics: MetricData[];
}

async function collect(reader: TestReader): Promise<Collected> {
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  return { resource: resourceMetrics.resource, scopes: resourceMetrics.scopeMetrics, metrics: resourceMetrics.scopeMetrics.flatMap((s) => s.metrics) };
}

/** Requests on fresh connections, awaited until their server sockets closed. */
async function requests(paths: string[]): Promise<void> {
  for (const path of paths) await request(port, path);
  await sockets.allClosed();
}

function durationPoints<T>(metrics: MetricData[]): DataPoint<T>[] {
  return (metric(metrics, DURATION)?.dataPoints ?? []) as DataPoint<T>[];
}

function key(attributes: DataPoint<unknown>['attributes']): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b)));
}

const ns = (t: HrTime): bigint => BigInt(hrTimeToNanoseconds(t));

describe('two readers on one MeterProvider', () => {
  // Per attribute set: what the DELTA reader saw in total, and the last CUMULATIVE view.
  const deltaTotals = new Map<string, { count: number; sum: number; min: number; max: number }>();
  const lastDeltaEnd = new Map<string, bigint>();
  let cumulativeStart: bigint | undefined;
  let lastCumulativeEnd = 0n;
  let expectedTotal = 0;

  function checkDelta(c: Collected, expectedCount: number): void {
    const m = metric(c.metrics, DURATION);
    if (expectedCount === 0) {
      assert.equal(m, undefined, 'a DELTA collect with no recordings leaves the metric out');
      return;
    }
    assert.ok(m);
    assert.equal(m.aggregationTemporality, AggregationTemporality.DELTA);
    assert.equal(m.dataPointType, DataPointType.EXPONENTIAL_HISTOGRAM);
    assert.equal(m.descriptor.unit, 's');
    let count = 0;
    for (const p of durationPoints<ExponentialHistogram>(c.metrics)) {
      const v = p.value;
      const inBuckets = v.positive.bucketCounts.reduce((a, b) => a + b, 0) + v.zeroCount;
      assert.equal(inBuckets, v.count, 'bucket counts add up to the count');
      count += v.count;
      const k = key(p.attributes);
      const start = ns(p.startTime);
      const end = ns(p.endTime);
      assert.ok(start < end, 'a delta window has positive length');
      const previous = lastDeltaEnd.get(k);
      if (previous !== undefined) assert.ok(start >= previous, 'delta windows of a series never overlap');
      lastDeltaEnd.set(k, end);
      const t = deltaTotals.get(k) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
      t.count += v.count;
      t.sum += v.sum ?? 0;
      t.min = Math.min(t.min, v.min!);
      t.max = Math.max(t.max, v.max!);
      deltaTotals.set(k, t);
    }
    assert.equal(count, expectedCount, 'the delta reader sees each request of its window once');
  }

  function checkCumulative(c: Collected): void {
    const m = metric(c.metrics, DURATION);
    assert.ok(m);
    assert.equal(m.aggregationTemporality, AggregationTemporality.CUMULATIVE);
    assert.equal(m.dataPointType, DataPointType.HISTOGRAM);
    let count = 0;
    const points = durationPoints<Histogram>(c.metrics);
    const end = ns(points[0]!.endTime);
    for (const p of points) {
      const v = p.value;
      assert.deepEqual(v.buckets.boundaries, SECONDS_BOUNDS, 'explicit buckets in seconds');
      assert.equal(v.buckets.counts.length, SECONDS_BOUNDS.length + 1);
      assert.equal(
        v.buckets.counts.reduce((a, b) => a + b, 0),
        v.count,
      );
      count += v.count;
      assert.equal(ns(p.endTime), end, 'one collect, one end time');
      const start = ns(p.startTime);
      cumulativeStart ??= start;
      assert.equal(start, cumulativeStart, 'a cumulative start time never moves');
      assert.ok(start < end);
    }
    assert.ok(end > lastCumulativeEnd, 'end times advance');
    lastCumulativeEnd = end;
    assert.equal(count, expectedTotal, 'the cumulative reader sees every request once, growing');
  }

  test('both readers, interleaved collects: delta counts reset, cumulative counts grow', async () => {
    await requests(['/a', '/b', '/fail']);
    expectedTotal += 3;
    checkDelta(await collect(deltaReader), 3);
    checkCumulative(await collect(cumulativeReader));

    await requests(['/a', '/slow', '/c', '/d', '/slow']);
    expectedTotal += 5;
    checkCumulative(await collect(cumulativeReader)); // the other order this time
    checkDelta(await collect(deltaReader), 5);

    await requests(['/a', '/b']);
    expectedTotal += 2;
    checkDelta(await collect(deltaReader), 2);
    await requests(['/fail', '/a', '/a', '/slow']);
    expectedTotal += 4;
    checkDelta(await collect(deltaReader), 4); // two delta collects between cumulative ones
    checkCumulative(await collect(cumulativeReader));

    // Nothing recorded: the delta reader has no duration point, the cumulative one keeps its total.
    checkDelta(await collect(deltaReader), 0);
    checkCumulative(await collect(cumulativeReader));
    checkCumulative(await collect(cumulativeReader));

    await requests(['/z']);
    expectedTotal += 1;
    checkDelta(await collect(deltaReader), 1);
    checkCumulative(await collect(cumulativeReader));
    assert.equal(expectedTotal, 15);
  });

  test('exponential (delta, summed) and explicit (cumulative) agree on count, sum, min and max per series', async () => {
    const c = await collect(cumulativeReader);
    const explicit = durationPoints<Histogram>(c.metrics);
    assert.equal(explicit.length, deltaTotals.size);
    for (const p of explicit) {
      const t = deltaTotals.get(key(p.attributes));
      assert.ok(t, `the delta reader saw ${key(p.attributes)}`);
      assert.equal(t.count, p.value.count);
      assert.ok(Math.abs(t.sum - p.value.sum!) < 1e-9, `sums ${t.sum} vs ${p.value.sum}`);
      assert.equal(t.min, p.value.min);
      assert.equal(t.max, p.value.max);
    }
    const failed = explicit.find((p) => p.attributes['http.response.status_code'] === 503);
    assert.equal(failed?.value.count, 2);
    assert.equal(failed?.attributes['error.type'], '503');
  });

  test('explicit buckets place durations by seconds', async () => {
    const c = await collect(cumulativeReader);
    const ok = durationPoints<Histogram>(c.metrics).find((p) => p.attributes['http.response.status_code'] === 200)!;
    // Three /slow requests took at least SLOW_MS: they sit above the 0.05 s bound (index 3).
    const aboveFifty = ok.value.buckets.counts.slice(4).reduce((a, b) => a + b, 0);
    assert.ok(aboveFifty >= 3, `counts ${JSON.stringify(ok.value.buckets.counts)}`);
    assert.ok(ok.value.max! >= SLOW_MS / 1000 && ok.value.max! < 10, `max ${ok.value.max} s`);
    assert.ok(ok.value.min! < SLOW_MS / 1000, `min ${ok.value.min} s`);
  });

  test('counters follow each reader: connections per window (delta) and in total (cumulative)', async () => {
    await requests(['/x', '/y']);
    const d = await collect(deltaReader);
    const cu = await collect(cumulativeReader);
    assert.equal(sumOf(d.metrics, OPENED, { 'server.port': port }), 2);
    assert.equal(sumOf(cu.metrics, OPENED, { 'server.port': port }), 17);
    assert.equal(metric(d.metrics, OPENED)!.aggregationTemporality, AggregationTemporality.DELTA);
    assert.equal(metric(cu.metrics, OPENED)!.aggregationTemporality, AggregationTemporality.CUMULATIVE);
    assert.equal((metric(cu.metrics, OPENED) as { isMonotonic?: boolean }).isMonotonic, true);
    // Up/down counters are cumulative in both (the test reader asks so), and back at zero.
    assert.equal(sumOf(d.metrics, ACTIVE), 0);
    assert.equal(sumOf(cu.metrics, ACTIVE), 0);
    assert.ok(metric(d.metrics, ACTIVE)!.dataPoints.length > 0, 'up/down counters report when idle too');
  });

  test('the scope is otel-health; the resource is the MeterProvider’s', async () => {
    for (const reader of [deltaReader, cumulativeReader]) {
      await requests(['/scope']);
      const c = await collect(reader);
      assert.deepEqual(
        c.scopes.map((s) => s.scope.name),
        ['otel-health'],
      );
      assert.match(c.scopes[0]!.scope.version ?? '', /^\d+\.\d+\.\d+/);
      assert.equal(c.resource.attributes['service.name'], 'producer-test');
    }
  });

  test('a reader that shuts down stops receiving; the other still sees every request', async () => {
    const extra = new TestReader(AggregationTemporality.DELTA, false);
    const extraProvider = new MeterProvider({ readers: [extra] });
    await collect(cumulativeReader); // baseline
    const before = (await collect(cumulativeReader)).metrics;
    const total = durationPoints<Histogram>(before).reduce((a, p) => a + p.value.count, 0);
    await requests(['/1', '/2']);
    const e = await collect(extra);
    assert.equal(durationPoints<Histogram>(e.metrics).reduce((a, p) => a + p.value.count, 0), 2);
    await extraProvider.shutdown();
    assert.ok(!getStore().targets.has(extra.producer), 'the producer left the store');
    await requests(['/3']);
    const after = (await collect(cumulativeReader)).metrics;
    assert.equal(durationPoints<Histogram>(after).reduce((a, p) => a + p.value.count, 0), total + 3);
    await collect(deltaReader); // keep the delta reader's windows tidy for later tests
  });
});

describe('a producer handed to an exporting reader, as the docs show', () => {
  test('PeriodicExportingMetricReader with a DELTA exporter: forceFlush exports each request once', async () => {
    drain(getStore()); // earlier recordings belong to the readers that existed then
    const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const producer = new HealthMetricProducer({ runtimeMetrics: false });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000, metricProducers: [producer] });
    producer.bindReader(reader);
    const exportProvider = new MeterProvider({ readers: [reader] });
    try {
      await requests(['/e1', '/e2', '/e3']);
      await reader.forceFlush();
      await requests(['/e4']);
      await reader.forceFlush();
      const exported = exporter.getMetrics();
      const counts = exported.map((rm) => {
        const ms = rm.scopeMetrics.flatMap((s) => s.metrics);
        const m = metric(ms, DURATION);
        assert.equal(m?.aggregationTemporality, AggregationTemporality.DELTA);
        return durationPoints<Histogram>(ms).reduce((a, p) => a + p.value.count, 0);
      });
      assert.deepEqual(counts, [3, 1]);
    } finally {
      await exportProvider.shutdown();
      producer.shutdown(); // a reader does not shut its producers down
    }
  });

  test('an unbound producer hands out the SDK defaults: cumulative, explicit buckets', async () => {
    const producer = new HealthMetricProducer({ runtimeMetrics: false });
    try {
      await requests(['/u1', '/u2']);
      const first = await producer.collect();
      await requests(['/u3']);
      const second = await producer.collect();
      const count = (r: typeof first) => {
        const ms = r.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
        const m = metric(ms, DURATION)!;
        assert.equal(m.aggregationTemporality, AggregationTemporality.CUMULATIVE);
        assert.equal(m.dataPointType, DataPointType.HISTOGRAM);
        return durationPoints<Histogram>(ms).reduce((a, p) => a + p.value.count, 0);
      };
      assert.equal(count(first), 2);
      assert.equal(count(second), 3);
    } finally {
      producer.shutdown();
    }
  });
});

describe('producers of the readers otel-health creates', () => {
  test('startHealthMonitoring with an OTLP export: shutdown() takes every producer it made out of the store', async () => {
    const receiver = await startOtlpReceiver();
    const saved = { endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT, interval: process.env.OTEL_METRIC_EXPORT_INTERVAL };
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_METRIC_EXPORT_INTERVAL = '3600000';
    const targetsBefore = new Set(getStore().targets);
    try {
      const monitor = await startHealthMonitoring({ serviceName: 'producer-lifecycle', checkInterval: 60, hostMetrics: false });
      const added = [...getStore().targets].filter((t) => !targetsBefore.has(t));
      assert.equal(added.length, 2, 'one producer for the HealthReader, one for the OTLP export reader');
      await monitor.shutdown();
      const left = [...getStore().targets].filter((t) => !targetsBefore.has(t));
      // A producer left in the store keeps receiving every drained series (and keeps its
      // event-loop-delay histogram enabled) for the rest of the process, once per start/stop.
      assert.equal(left.length, 0, `${left.length} producer(s) still registered after shutdown`);
    } finally {
      for (const [name, value] of [
        ['OTEL_EXPORTER_OTLP_ENDPOINT', saved.endpoint],
        ['OTEL_METRIC_EXPORT_INTERVAL', saved.interval],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await receiver.close();
    }
  });
});
