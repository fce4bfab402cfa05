import { exponentialPoint } from '../../src/instrumentation/aggregation/otel-points.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type ExponentialHistogram as OtelExponentialHistogram,
  type Histogram as OtelHistogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { deriveHealthMetrics, serviceNameOf } from '../../src/evaluator/derive.js';
import { ExplicitHistogram } from '../../src/instrumentation/aggregation/explicit-histogram.js';
import { ExponentialHistogram } from '../../src/instrumentation/aggregation/exponential-histogram.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_OPERATION_NAME,
  ATTR_V8JS_HEAP_SPACE_NAME,
  METRIC_HEAP_SIZE_LIMIT,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_MEMORY_LIMIT,
  METRIC_NODEJS_ELD_MAX,
  METRIC_NODEJS_ELD_P50,
  METRIC_NODEJS_ELD_P99,
  METRIC_NODEJS_ELU,
  METRIC_OPEN_CONNECTIONS,
  METRIC_OPERATION_DURATION,
  METRIC_PROCESS_CPU_UTILIZATION,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_V8JS_HEAP_USED,
  SCOPE_NAME,
} from '../../src/instrumentation/names.js';
import { HealthMetricProducer } from '../../src/instrumentation/producer.js';

const T: HrTime = [1_700_000_000, 0];
const NOW = 1_700_000_000_000;

function descriptor(name: string, unit = 's') {
  return { name, description: '', unit, valueType: ValueType.DOUBLE };
}

function expPoint(values: number[], maxSize = 160): OtelExponentialHistogram {
  const h = new ExponentialHistogram(maxSize);
  for (const v of values) h.record(v);
  return exponentialPoint(h);
}

function expHistogram(name: string, points: [Attributes, number[], number?][]): MetricData {
  return {
    descriptor: descriptor(name),
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
    dataPoints: points.map(([attributes, values, maxSize]) => ({
      startTime: T,
      endTime: T,
      attributes,
      value: expPoint(values, maxSize),
    })),
  };
}

function explicitHistogram(name: string, bounds: number[], points: [Attributes, number[]][], unit = 's'): MetricData {
  return {
    descriptor: descriptor(name, unit),
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: points.map(([attributes, values]) => {
      const h = new ExplicitHistogram(bounds);
      for (const v of values) h.record(v);
      const value: OtelHistogram = {
        buckets: { boundaries: [...bounds], counts: Array.from(h.counts) },
        count: h.count,
        sum: h.sum,
        min: h.min,
        max: h.max,
      };
      return { startTime: T, endTime: T, attributes, value };
    }),
  };
}

function gauge(name: string, points: [Attributes, number][], unit = '1'): MetricData {
  return {
    descriptor: descriptor(name, unit),
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: points.map(([attributes, value]) => ({ startTime: T, endTime: T, attributes, value })),
  };
}

function upDown(name: string, points: [Attributes, number][], temporality = AggregationTemporality.CUMULATIVE): MetricData {
  return {
    descriptor: descriptor(name, 'By'),
    aggregationTemporality: temporality,
    dataPointType: DataPointType.SUM,
    isMonotonic: false,
    dataPoints: points.map(([attributes, value]) => ({ startTime: T, endTime: T, attributes, value })),
  };
}

function collect(...scopes: [string, MetricData[]][]): ResourceMetrics {
  return {
    resource: { attributes: { 'service.name': 'checkout' } } as unknown as ResourceMetrics['resource'],
    scopeMetrics: scopes.map(([name, metrics]) => ({ scope: { name }, metrics })),
  };
}

const repeat = (value: number, n: number): number[] => Array.from({ length: n }, () => value);

describe('deriveHealthMetrics', () => {
  it('an empty collect: zero requests, no runtime samples, nothing invented', () => {
    for (const resourceMetrics of [undefined, collect()]) {
      const m = deriveHealthMetrics({ resourceMetrics, windowSeconds: 15, now: NOW, serviceId: 'checkout' });
      assert.equal(m.serviceId, 'checkout');
      assert.equal(m.timestamp, NOW);
      assert.equal(m.windowSeconds, 15);
      assert.equal(m.requestCount, 0);
      assert.equal(m.requestRate, 0);
      assert.equal(m.errorCount, 0);
      assert.equal(m.errorRate, 0);
      assert.deepEqual(m.responseTime, { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 });
      assert.equal(m.connections, 0);
      assert.equal(m.cpu, undefined);
      assert.equal(m.memory, undefined);
      assert.equal(m.eventLoopDelay, undefined);
      assert.deepEqual(m.checks, []);
    }
  });

  it('counts requests and errors: 5xx and error.type fail, 4xx do not', () => {
    const http = expHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, [
      [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200 }, repeat(0.01, 90)],
      [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 503, [ATTR_ERROR_TYPE]: '503' }, repeat(0.02, 4)],
      [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: '500' }, repeat(0.02, 1)],
      [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 404 }, repeat(0.005, 3)],
      [{ [ATTR_ERROR_TYPE]: 'aborted' }, repeat(0.5, 2)],
    ]);
    const m = deriveHealthMetrics({ resourceMetrics: collect([SCOPE_NAME, [http]]), windowSeconds: 20, now: NOW, serviceId: 's' });
    assert.equal(m.requestCount, 100);
    assert.equal(m.operationCount, 0);
    assert.equal(m.requestRate, 5);
    assert.equal(m.errorCount, 7);
    assert.equal(m.errorRate, 0.07);
    const sum = 90 * 0.01 + 5 * 0.02 + 3 * 0.005 + 2 * 0.5;
    assert.ok(Math.abs(m.responseTime.avg - sum / 100) < 1e-9);
    assert.equal(m.responseTime.max, 0.5);
  });

  it('operations count as requests (and separately); a failed one carries error.type', () => {
    const http = expHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, [[{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200 }, repeat(0.01, 10)]]);
    const ops = expHistogram(METRIC_OPERATION_DURATION, [
      [{ [ATTR_OPERATION_NAME]: 'job' }, repeat(2, 6)],
      [{ [ATTR_OPERATION_NAME]: 'job', [ATTR_ERROR_TYPE]: 'TimeoutError' }, repeat(3, 4)],
    ]);
    const m = deriveHealthMetrics({ resourceMetrics: collect([SCOPE_NAME, [http, ops]]), windowSeconds: 10, now: NOW, serviceId: 's' });
    assert.equal(m.requestCount, 20);
    assert.equal(m.operationCount, 10);
    assert.equal(m.errorCount, 4);
    assert.equal(m.errorRate, 0.2);
    assert.equal(m.responseTime.max, 3);
  });

  it('percentiles over points of different scales within 1 %', () => {
    // Two attribute sets, recorded at different resolutions, one window.
    const fast: number[] = [];
    const slow: number[] = [];
    for (let i = 1; i <= 9_000; i++) fast.push(0.001 + (i / 9_000) * 0.099); // 1 ms .. 100 ms
    for (let i = 1; i <= 1_000; i++) slow.push(0.1 + (i / 1_000) * 1.9); // 100 ms .. 2 s
    const http = expHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, [
      [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200 }, fast, 160],
      [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 201 }, slow, 20],
    ]);
    const scales = http.dataPoints.map((p) => (p.value as OtelExponentialHistogram).scale);
    assert.notEqual(scales[0], scales[1]);
    const all = [...fast, ...slow].sort((a, b) => a - b);
    const exact = (q: number): number => all[Math.ceil(q * all.length) - 1]!;
    const m = deriveHealthMetrics({ resourceMetrics: collect([SCOPE_NAME, [http]]), windowSeconds: 15, now: NOW, serviceId: 's' });
    for (const [got, q] of [
      [m.responseTime.p50, 0.5],
      [m.responseTime.p95, 0.95],
      [m.responseTime.p99, 0.99],
    ] as const) {
      assert.ok(Math.abs(got - exact(q)) / exact(q) < 0.01, `q${q}: ${got} vs ${exact(q)}`);
    }
    assert.equal(m.responseTime.max, 2);
  });

  it('tolerates explicit-bucket histograms (and converts ms to s)', () => {
    const bounds = [5, 10, 25, 50, 100, 250, 500, 1000];
    const http = explicitHistogram(
      METRIC_HTTP_SERVER_REQUEST_DURATION,
      bounds,
      [
        [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200 }, Array.from({ length: 100 }, (_, i) => i + 1)],
        [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 500 }, [800]],
      ],
      'ms',
    );
    const m = deriveHealthMetrics({ resourceMetrics: collect([SCOPE_NAME, [http]]), windowSeconds: 10, now: NOW, serviceId: 's' });
    assert.equal(m.requestCount, 101);
    assert.equal(m.errorCount, 1);
    assert.equal(m.responseTime.max, 0.8);
    assert.ok(Math.abs(m.responseTime.p50 - 0.051) < 0.003, `p50 ${m.responseTime.p50}`);
    assert.ok(m.responseTime.p99 > 0.09 && m.responseTime.p99 <= 0.8, `p99 ${m.responseTime.p99}`);
  });

  it('runtime: CPU, memory, connections, event loop', () => {
    const metrics = [
      gauge(METRIC_PROCESS_CPU_UTILIZATION, [
        [{ 'cpu.mode': 'user' }, 0.3],
        [{ 'cpu.mode': 'system' }, 0.1],
      ]),
      upDown(METRIC_PROCESS_MEMORY_USAGE, [[{}, 400e6]]),
      upDown(METRIC_V8JS_HEAP_USED, [
        [{ [ATTR_V8JS_HEAP_SPACE_NAME]: 'old_space' }, 100e6],
        [{ [ATTR_V8JS_HEAP_SPACE_NAME]: 'new_space' }, 20e6],
      ]),
      upDown(METRIC_HEAP_SIZE_LIMIT, [[{}, 2e9]]),
      upDown(METRIC_MEMORY_LIMIT, [[{}, 500e6]]),
      upDown(METRIC_OPEN_CONNECTIONS, [
        [{ 'server.port': 8080 }, 7],
        [{ 'server.port': 8443 }, 5],
      ]),
      gauge(METRIC_NODEJS_ELD_P50, [[{}, 0.011]], 's'),
      gauge(METRIC_NODEJS_ELD_P99, [[{}, 0.042]], 's'),
      gauge(METRIC_NODEJS_ELD_MAX, [[{}, 0.2]], 's'),
      gauge(METRIC_NODEJS_ELU, [[{}, 0.35]]),
    ];
    const m = deriveHealthMetrics({ resourceMetrics: collect([SCOPE_NAME, metrics]), windowSeconds: 15, now: NOW, serviceId: 's' });
    assert.ok(Math.abs(m.cpu! - 0.4) < 1e-12);
    assert.deepEqual(m.memory, { rss: 400e6, heapUsed: 120e6, heapLimit: 2e9, limit: 500e6, utilization: 0.8 });
    assert.equal(m.connections, 12);
    // The delay beyond the default 10 ms sampling interval (event-loop-delay.test.ts has more).
    const d = m.eventLoopDelay!;
    assert.deepEqual(
      [d.p50, d.p99, d.max, d.utilization].map((v) => Math.round(v! * 1e9) / 1e9),
      [0.001, 0.032, 0.19, 0.35],
    );
  });

  it('memory utilisation: heap used / heap limit without a cgroup limit; the larger ratio with one', () => {
    const base = [upDown(METRIC_PROCESS_MEMORY_USAGE, [[{}, 100e6]]), upDown(METRIC_V8JS_HEAP_USED, [[{}, 900e6]]), upDown(METRIC_HEAP_SIZE_LIMIT, [[{}, 1e9]])];
    const noLimit = deriveHealthMetrics({ resourceMetrics: collect([SCOPE_NAME, base]), windowSeconds: 1, now: NOW, serviceId: 's' });
    assert.equal(noLimit.memory?.utilization, 0.9);
    assert.equal(noLimit.memory?.limit, undefined);
    const withLimit = deriveHealthMetrics({
      resourceMetrics: collect([SCOPE_NAME, [...base, upDown(METRIC_MEMORY_LIMIT, [[{}, 1e12]])]]),
      windowSeconds: 1,
      now: NOW,
      serviceId: 's',
    });
    assert.equal(withLimit.memory?.utilization, 0.9, 'heap ratio wins over a tiny rss ratio');
    const onlyRss = deriveHealthMetrics({ resourceMetrics: collect([SCOPE_NAME, [base[0]!]]), windowSeconds: 1, now: NOW, serviceId: 's' });
    assert.deepEqual(onlyRss.memory, { rss: 100e6 }, 'no ratio can be formed: utilization absent');
  });

  it('an up-down counter in DELTA temporality is a change, not a level: ignored', () => {
    const m = deriveHealthMetrics({
      resourceMetrics: collect([SCOPE_NAME, [upDown(METRIC_OPEN_CONNECTIONS, [[{}, -3]], AggregationTemporality.DELTA)]]),
      windowSeconds: 1,
      now: NOW,
      serviceId: 's',
    });
    assert.equal(m.connections, 0);
  });

  it('reads one scope per metric: otel-health first, else the first scope that has it', () => {
    const ours = expHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, [[{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200 }, repeat(0.01, 10)]]);
    const theirs = expHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, [[{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 500 }, repeat(0.01, 10)]]);
    const other = expHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, [[{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200 }, repeat(0.01, 3)]]);
    const both = deriveHealthMetrics({
      resourceMetrics: collect(['@opentelemetry/instrumentation-http', [theirs]], [SCOPE_NAME, [ours]]),
      windowSeconds: 1,
      now: NOW,
      serviceId: 's',
    });
    assert.equal(both.requestCount, 10);
    assert.equal(both.errorCount, 0);
    const onlyTheirs = deriveHealthMetrics({
      resourceMetrics: collect(['@opentelemetry/instrumentation-http', [theirs]], ['another', [other]]),
      windowSeconds: 1,
      now: NOW,
      serviceId: 's',
    });
    assert.equal(onlyTheirs.requestCount, 10);
    assert.equal(onlyTheirs.errorCount, 10);
  });

  it('a per-service filter keeps only that service’s points', () => {
    const http = expHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, [
      [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200, 'service.name': 'a' }, repeat(0.01, 4)],
      [{ [ATTR_HTTP_RESPONSE_STATUS_CODE]: 500, 'service.name': 'b' }, repeat(0.01, 6)],
    ]);
    const m = deriveHealthMetrics({
      resourceMetrics: collect([SCOPE_NAME, [http]]),
      windowSeconds: 2,
      now: NOW,
      serviceId: 'a',
      filter: (attributes) => attributes['service.name'] === 'a',
    });
    assert.equal(m.requestCount, 4);
    assert.equal(m.errorCount, 0);
  });

  it('copies the checks’ results; a zero-length window has rate 0', () => {
    const checks = [{ name: 'db', ok: false, durationMs: 12, error: 'refused' }];
    const m = deriveHealthMetrics({
      resourceMetrics: collect([SCOPE_NAME, [expHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, [[{}, [0.1]]])]]),
      windowSeconds: 0,
      now: NOW,
      serviceId: 's',
      checks,
    });
    assert.equal(m.requestRate, 0);
    assert.equal(m.requestCount, 1);
    assert.deepEqual(m.checks, checks);
    assert.notEqual(m.checks[0], checks[0]);
  });

  it('serviceNameOf reads service.name from the resource', () => {
    assert.equal(serviceNameOf(collect()), 'checkout');
    assert.equal(serviceNameOf(undefined), undefined);
  });
});

/** A pull reader like the HealthReader: DELTA, cumulative up-down counters, exponential histograms. */
class DeltaReader extends MetricReader {
  constructor(readonly producer: HealthMetricProducer) {
    super({
      aggregationTemporalitySelector: (type) =>
        type === InstrumentType.UP_DOWN_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
          ? AggregationTemporality.CUMULATIVE
          : AggregationTemporality.DELTA,
      aggregationSelector: (type) =>
        type === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPONENTIAL_HISTOGRAM } : { type: AggregationType.DEFAULT },
      metricProducers: [producer],
    });
    producer.bindReader(this);
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {
    this.producer.shutdown();
  }
}

describe('deriveHealthMetrics on a real collect', () => {
  it('reads the runtime metrics the producer reports (names and units agree)', async () => {
    const reader = new DeltaReader(new HealthMetricProducer({ runtimeMetrics: true }));
    const provider = new MeterProvider({ readers: [reader] });
    try {
      const { resourceMetrics } = await reader.collect();
      const m = deriveHealthMetrics({ resourceMetrics, windowSeconds: 1, now: NOW, serviceId: 's' });
      assert.equal(typeof m.cpu, 'number');
      assert.ok(m.cpu! >= 0);
      assert.ok(m.memory?.rss !== undefined && m.memory.rss > 1e6, 'rss in bytes');
      assert.ok(m.memory?.heapUsed !== undefined && m.memory.heapUsed > 1e5);
      assert.ok(m.memory?.heapLimit !== undefined && m.memory.heapLimit > m.memory.heapUsed);
      assert.ok(m.memory?.utilization !== undefined && m.memory.utilization > 0 && m.memory.utilization < 1);
      assert.ok(m.eventLoopDelay !== undefined, 'event-loop delay reported');
      assert.ok(m.eventLoopDelay.p99 < 10, `event-loop delay in seconds, got ${m.eventLoopDelay.p99}`);
    } finally {
      await provider.shutdown();
    }
  });
});
