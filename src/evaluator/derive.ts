/**
 * One collect → one service's DerivedHealthMetrics. Pure: the collect's data, the window
 * length and `now` come in; nothing is read from clocks or the process.
 *
 * What is read (names from instrumentation/names.ts):
 * - requests: `http.server.request.duration` (histogram, s). A point is a failure when its
 *   `http.response.status_code` is ≥ 500 or it carries `error.type` (aborted, thrown).
 * - operations: `otel_health.operation.duration` (histogram, s), the manual API's jobs and
 *   queue messages. They count as "requests or operations": in requestCount (and, separately,
 *   operationCount), in errorCount when they carry `error.type`, and in responseTime.
 * - `otel_health.http.server.open_connections` (up-down counter, summed over servers).
 * - `process.cpu.utilization` (gauge, summed over points, e.g. per CPU mode).
 * - `process.memory.usage`, `v8js.memory.heap.used` (summed over heap spaces),
 *   `otel_health.v8js.heap.size_limit`, `otel_health.process.memory.limit` (up-down counters).
 * - `nodejs.eventloop.delay.p50/p99/max` (gauges, s), `nodejs.eventloop.utilization`. The
 *   gauges are `monitorEventLoopDelay`'s histogram as is: whole intervals between its timer's
 *   turns, so an idle loop reads about the sampling resolution (10 ms by default). HealthMetrics
 *   reports the delay beyond it (`eventLoopResolution` subtracted, never below 0): idle reads
 *   about 0, a 200 ms block about 200 ms.
 *
 * Temporality: histograms and counters are expected DELTA (the window's own values, as the
 * HealthReader selects), so a metric absent from the collect is a window without recordings:
 * zero requests, zero errors. Up-down counters must be CUMULATIVE (a level, not a change): a
 * DELTA up-down counter cannot tell the level and is ignored. Histograms may be exponential
 * (accurate percentiles) or explicit-bucket (interpolated, coarser).
 *
 * A metric no one reported is 0 where 0 is true (requests, errors, open connections) and
 * absent where 0 would lie (no CPU sample is not 0 % CPU).
 *
 * When several instrumentation scopes report the same metric name (e.g. otel-health and
 * @opentelemetry/instrumentation-http both recording http.server.request.duration), only one
 * scope is read, so nothing counts twice: `preferredScope` (default `otel-health`) when it has
 * the metric, else the first scope that has it.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type ExponentialHistogram as OtelExponentialHistogram,
  type Histogram as OtelHistogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
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
  DEFAULT_EVENT_LOOP_RESOLUTION_MS,
  EXPLICIT_BUCKETS_SCOPE,
  lowerBoundary,
  ATTR_HTTP_ROUTE,
} from '../instrumentation/index.js';
import type { SloConfig } from '../config/index.js';
import { exponentialQuantiles, explicitQuantiles, mergeExponential } from './percentiles.js';
import type {
  CheckResult,
  DerivedHealthMetrics,
  EventLoopDelay,
  LatencyHistogram,
  MemoryUsage,
  ResponseTimes,
  SloEvents,
} from '../model/index.js';

export interface DeriveInput {
  /** One collect's data (HealthReader: `(await reader.collectForHealth()).resourceMetrics`). */
  resourceMetrics: ResourceMetrics | undefined;
  /** The check window: seconds since the previous collect of the same reader. */
  windowSeconds: number;
  /** The end of the window, epoch ms (becomes `timestamp`). */
  now: number;
  /** The service the metrics are for (`service.name`). */
  serviceId: string;
  /** Results of the custom checks run for this check. Default: none. */
  checks?: readonly CheckResult[];
  /**
   * Keep only the data points of this service, for processes that serve several. Called for
   * every data point of every metric read; default: every point belongs to `serviceId` (one
   * process serves one service).
   */
  filter?: (attributes: Attributes, metric: MetricData) => boolean;
  /** The scope read when several report one metric name. Default: `otel-health`. */
  preferredScope?: string;
  /**
   * Sampling interval of the event-loop delay histogram behind `nodejs.eventloop.delay.*`, in
   * seconds: subtracted from its values, so eventLoopDelay is the delay beyond the interval.
   * Default: 0.01 (the runtime source's default resolution, and that of
   * `@opentelemetry/instrumentation-runtime-node`); 0 reads the histogram as is.
   */
  eventLoopResolution?: number;
  /**
   * Receives the window's merged response-time histogram (exponential, seconds) when the window
   * has one; for the persisted store. Not called otherwise, and costs nothing when absent.
   */
  onLatencyHistogram?: (histogram: LatencyHistogram) => void;
  /**
   * Service level objectives whose events to count (`sloEvents`): those of this service. Default
   * none (and no `sloEvents`).
   */
  slos?: readonly SloConfig[];
}

/** The `service.name` of a collect's resource, if it has one. */
export function serviceNameOf(resourceMetrics: ResourceMetrics | undefined): string | undefined {
  const name = resourceMetrics?.resource?.attributes?.['service.name'];
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

/** Seconds per unit of a duration metric's unit; undefined for a unit that is not a duration. */
function secondsPerUnit(unit: string): number | undefined {
  switch (unit) {
    case 's':
    case '':
      return 1;
    case 'ms':
      return 1e-3;
    case 'us':
    case 'μs':
      return 1e-6;
    case 'ns':
      return 1e-9;
    default:
      return undefined;
  }
}

class Collect {
  private readonly byName = new Map<string, MetricData[]>();
  /** Metrics of the explicit-buckets scope (EXPLICIT_BUCKETS_SCOPE): read only for latency objectives. */
  private readonly explicitByName = new Map<string, MetricData[]>();

  constructor(
    resourceMetrics: ResourceMetrics | undefined,
    private readonly filter: DeriveInput['filter'],
    preferredScope: string,
  ) {
    const scopeOf = new Map<string, string>();
    for (const scopeMetrics of resourceMetrics?.scopeMetrics ?? []) {
      const scope = scopeMetrics.scope?.name ?? '';
      if (scope === EXPLICIT_BUCKETS_SCOPE) {
        for (const metric of scopeMetrics.metrics) {
          const list = this.explicitByName.get(metric.descriptor.name);
          if (list === undefined) this.explicitByName.set(metric.descriptor.name, [metric]);
          else list.push(metric);
        }
        continue;
      }
      for (const metric of scopeMetrics.metrics) {
        const name = metric.descriptor.name;
        const chosen = scopeOf.get(name);
        if (chosen === undefined || (chosen !== preferredScope && scope === preferredScope)) {
          scopeOf.set(name, scope);
          this.byName.set(name, [metric]);
        } else if (chosen === scope) {
          this.byName.get(name)!.push(metric);
        }
      }
    }
  }

  metrics(name: string): MetricData[] {
    return this.byName.get(name) ?? [];
  }

  /** The explicit buckets handed alongside exponential histograms, when the producer did. */
  explicitBuckets(name: string): MetricData[] {
    return this.explicitByName.get(name) ?? [];
  }

  points<T>(metric: MetricData): DataPoint<T>[] {
    const points = metric.dataPoints as DataPoint<T>[];
    const filter = this.filter;
    return filter === undefined ? points : points.filter((p) => filter(p.attributes, metric));
  }

  /**
   * Sum of a gauge's or sum's points; undefined when the metric is absent or has no point. An
   * up-down counter (non-monotonic sum) reported as DELTA is a change, not a level: ignored.
   */
  total(name: string): number | undefined {
    let total: number | undefined;
    for (const metric of this.metrics(name)) {
      if (
        metric.dataPointType === DataPointType.SUM &&
        !metric.isMonotonic &&
        metric.aggregationTemporality === AggregationTemporality.DELTA
      ) {
        continue;
      }
      if (metric.dataPointType !== DataPointType.SUM && metric.dataPointType !== DataPointType.GAUGE) continue;
      for (const p of this.points<number>(metric)) {
        if (Number.isFinite(p.value)) total = (total ?? 0) + p.value;
      }
    }
    return total;
  }

  /** The largest point of a gauge (in seconds when it is a duration); undefined when absent. */
  largest(name: string, duration = false): number | undefined {
    let largest: number | undefined;
    for (const metric of this.metrics(name)) {
      if (metric.dataPointType !== DataPointType.GAUGE && metric.dataPointType !== DataPointType.SUM) continue;
      const factor = duration ? secondsPerUnit(metric.descriptor.unit) ?? 1 : 1;
      for (const p of this.points<number>(metric)) {
        const v = p.value * factor;
        if (Number.isFinite(v) && (largest === undefined || v > largest)) largest = v;
      }
    }
    return largest;
  }
}

interface RequestTally {
  count: number;
  errors: number;
  sum: number;
  max: number;
  exponential: OtelExponentialHistogram[];
  explicit: OtelHistogram[];
}

function isFailure(attributes: Attributes, http: boolean): boolean {
  if (attributes[ATTR_ERROR_TYPE] !== undefined) return true;
  if (!http) return false;
  const status = Number(attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]);
  return status >= 500;
}

/**
 * Add one duration histogram's points to the tally. Returns the metric's seconds-per-unit
 * factor (1 for `s`), so the caller can tell when two metrics' buckets cannot be merged.
 */
function tallyHistogram(collect: Collect, metric: MetricData, tally: RequestTally, http: boolean): number | undefined {
  const factor = secondsPerUnit(metric.descriptor.unit);
  if (factor === undefined) return undefined;
  if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
    for (const p of collect.points<OtelExponentialHistogram>(metric)) {
      const v = p.value;
      if (!(v.count > 0)) continue;
      tally.count += v.count;
      if (isFailure(p.attributes, http)) tally.errors += v.count;
      tally.sum += (v.sum ?? 0) * factor;
      if (v.max !== undefined) tally.max = Math.max(tally.max, v.max * factor);
      tally.exponential.push(v);
    }
  } else if (metric.dataPointType === DataPointType.HISTOGRAM) {
    for (const p of collect.points<OtelHistogram>(metric)) {
      const v = p.value;
      if (!(v.count > 0)) continue;
      tally.count += v.count;
      if (isFailure(p.attributes, http)) tally.errors += v.count;
      tally.sum += (v.sum ?? 0) * factor;
      if (v.max !== undefined) tally.max = Math.max(tally.max, v.max * factor);
      tally.explicit.push(
        factor === 1
          ? v
          : {
              ...v,
              buckets: { boundaries: v.buckets.boundaries.map((b) => b * factor), counts: v.buckets.counts },
              min: v.min === undefined ? undefined : v.min * factor,
              max: v.max === undefined ? undefined : v.max * factor,
            },
      );
    }
  } else {
    return undefined;
  }
  return factor;
}

const QUANTILES = [0.5, 0.95, 0.99, 1] as const;

function responseTimes(
  tally: RequestTally,
  exponentialFactor: number,
  onHistogram?: (histogram: LatencyHistogram) => void,
): ResponseTimes {
  if (tally.count === 0) return { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  let q: number[] | undefined;
  const merged = mergeExponential(tally.exponential);
  // Buckets cannot be rescaled by a factor that is not a power of two: only seconds are kept.
  if (onHistogram !== undefined && merged !== undefined && exponentialFactor === 1) {
    const s = merged.snapshot();
    onHistogram({ scale: s.scale, zeroCount: s.zeroCount, offset: s.offset, counts: s.bucketCounts, sum: s.sum, min: s.min, max: s.max });
  }
  if (merged !== undefined && tally.explicit.length === 0) {
    q = exponentialQuantiles(merged, QUANTILES)?.map((v) => v * exponentialFactor);
  } else if (tally.explicit.length > 0 && tally.exponential.length === 0) {
    q = explicitQuantiles(tally.explicit, QUANTILES);
  } else if (merged !== undefined) {
    // Both kinds in one window (two readers' worth of data mixed by hand): read the exponential
    // part, the more precise one, for the percentiles; counts and sums above cover both.
    q = exponentialQuantiles(merged, QUANTILES)?.map((v) => v * exponentialFactor);
  }
  const [p50 = 0, p95 = 0, p99 = 0, top = 0] = q ?? [];
  return {
    avg: tally.sum / tally.count,
    p50,
    p95,
    p99,
    max: tally.max > -Infinity ? Math.max(tally.max, p99) : top,
  };
}

function memoryUsage(collect: Collect): MemoryUsage | undefined {
  const rss = collect.total(METRIC_PROCESS_MEMORY_USAGE);
  const heapUsed = collect.total(METRIC_V8JS_HEAP_USED);
  const heapLimit = collect.total(METRIC_HEAP_SIZE_LIMIT);
  const limit = collect.total(METRIC_MEMORY_LIMIT);
  if (rss === undefined && heapUsed === undefined && heapLimit === undefined && limit === undefined) return undefined;
  const ratios: number[] = [];
  if (rss !== undefined && limit !== undefined && limit > 0) ratios.push(rss / limit);
  if (heapUsed !== undefined && heapLimit !== undefined && heapLimit > 0) ratios.push(heapUsed / heapLimit);
  const memory: MemoryUsage = {};
  if (rss !== undefined) memory.rss = rss;
  if (heapUsed !== undefined) memory.heapUsed = heapUsed;
  if (heapLimit !== undefined) memory.heapLimit = heapLimit;
  if (limit !== undefined) memory.limit = limit;
  if (ratios.length > 0) memory.utilization = Math.max(...ratios);
  return memory;
}

/**
 * The delay a user can read: the histogram records whole intervals between its timer's turns,
 * so the resolution comes off every value (clamped at 0: a turn can come a little early).
 */
function eventLoopDelay(collect: Collect, resolution: number): EventLoopDelay | undefined {
  const beyond = (v: number | undefined): number | undefined => (v === undefined ? undefined : Math.max(0, v - resolution));
  const p50 = beyond(collect.largest(METRIC_NODEJS_ELD_P50, true));
  const p99 = beyond(collect.largest(METRIC_NODEJS_ELD_P99, true));
  const max = beyond(collect.largest(METRIC_NODEJS_ELD_MAX, true));
  const utilization = collect.largest(METRIC_NODEJS_ELU);
  if (p50 === undefined && p99 === undefined && max === undefined && utilization === undefined) return undefined;
  const delay: EventLoopDelay = { p50: p50 ?? 0, p99: p99 ?? p50 ?? 0, max: max ?? p99 ?? p50 ?? 0 };
  if (utilization !== undefined) delay.utilization = utilization;
  return delay;
}

/**
 * HealthMetrics of one service from one collect, without status, level and alerts (the rules
 * add those: see RuleEngine.assess in rules.ts).
 */
export function deriveHealthMetrics(input: DeriveInput): DerivedHealthMetrics {
  const collect = new Collect(input.resourceMetrics, input.filter, input.preferredScope ?? SCOPE_NAME);
  const tally: RequestTally = { count: 0, errors: 0, sum: 0, max: -Infinity, exponential: [], explicit: [] };
  // Exponential buckets cannot be rescaled by a non-power-of-two factor: only histograms of the
  // first duration unit seen contribute buckets (in practice every one of them is in seconds).
  let exponentialFactor: number | undefined;
  let operationCount = 0;
  for (const [name, http] of [
    [METRIC_HTTP_SERVER_REQUEST_DURATION, true],
    [METRIC_OPERATION_DURATION, false],
  ] as const) {
    for (const metric of collect.metrics(name)) {
      const before = tally.count;
      const exponentialBefore = tally.exponential.length;
      const factor = tallyHistogram(collect, metric, tally, http);
      if (factor !== undefined && tally.exponential.length > exponentialBefore) {
        if (exponentialFactor === undefined) exponentialFactor = factor;
        else if (factor !== exponentialFactor) tally.exponential.length = exponentialBefore;
      }
      if (!http) operationCount += tally.count - before;
    }
  }

  const windowSeconds = input.windowSeconds;
  const rate = (n: number): number => (windowSeconds > 0 ? n / windowSeconds : 0);
  const derived: DerivedHealthMetrics = {
    serviceId: input.serviceId,
    timestamp: input.now,
    windowSeconds,
    requestCount: tally.count,
    operationCount,
    requestRate: rate(tally.count),
    errorCount: tally.errors,
    errorRate: tally.count > 0 ? tally.errors / tally.count : 0,
    responseTime: responseTimes(tally, exponentialFactor ?? 1, input.onLatencyHistogram),
    connections: Math.max(0, collect.total(METRIC_OPEN_CONNECTIONS) ?? 0),
    checks: input.checks ? input.checks.map((c) => ({ ...c })) : [],
  };
  const cpu = collect.total(METRIC_PROCESS_CPU_UTILIZATION);
  if (cpu !== undefined) derived.cpu = cpu;
  const memory = memoryUsage(collect);
  if (memory !== undefined) derived.memory = memory;
  if (input.slos !== undefined && input.slos.length > 0) {
    const events: Record<string, SloEvents> = {};
    for (const slo of input.slos) events[slo.name] = countSloEvents(collect, slo);
    derived.sloEvents = events;
  }
  const resolution = input.eventLoopResolution ?? DEFAULT_EVENT_LOOP_RESOLUTION_MS / 1000;
  const delay = eventLoopDelay(collect, Number.isFinite(resolution) && resolution > 0 ? resolution : 0);
  if (delay !== undefined) derived.eventLoopDelay = delay;
  return derived;
}

// ---------------------------------------------------------------------------------------------
// Service level indicators.

/**
 * What one objective's indicator counted in this collect. Events: HTTP requests and manual
 * operations (only requests of `route` when the objective names one: operations have no route).
 * - availability: good = did not fail (the failure rule of errorCount);
 * - latency: good = took at most `threshold` seconds, failed or not (a fast 500 is an
 *   availability problem, not a latency one). Exact from the explicit buckets the health
 *   reader's producer hands alongside (a boundary sits at each threshold: addDurationBounds);
 *   else from the main histograms, counting only whole buckets at or under the threshold (an
 *   undercount of good events by at most one bucket: never optimistic).
 */
function countSloEvents(collect: Collect, slo: SloConfig): SloEvents {
  const events: SloEvents = { good: 0, total: 0 };
  const route = slo.route;
  const latency = slo.indicator.kind === 'latency' ? slo.indicator.threshold : undefined;
  for (const [name, http] of [
    [METRIC_HTTP_SERVER_REQUEST_DURATION, true],
    [METRIC_OPERATION_DURATION, false],
  ] as const) {
    if (route !== undefined && !http) continue;
    const explicit = latency !== undefined ? collect.explicitBuckets(name) : [];
    for (const metric of explicit.length > 0 ? explicit : collect.metrics(name)) {
      const factor = secondsPerUnit(metric.descriptor.unit);
      if (factor === undefined) continue;
      for (const p of collect.points<OtelHistogram | OtelExponentialHistogram>(metric)) {
        const v = p.value;
        if (!(v.count > 0)) continue;
        if (route !== undefined && p.attributes[ATTR_HTTP_ROUTE] !== route) continue;
        events.total += v.count;
        if (latency === undefined) {
          if (!isFailure(p.attributes, http)) events.good += v.count;
        } else if (metric.dataPointType === DataPointType.HISTOGRAM) {
          events.good += explicitAtMost(v as OtelHistogram, latency / factor);
        } else if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
          events.good += exponentialAtMost(v as OtelExponentialHistogram, latency / factor);
        }
      }
    }
  }
  return events;
}

/** Values ≤ limit in an explicit histogram: the buckets whose upper bound is ≤ limit. */
function explicitAtMost(h: OtelHistogram, limit: number): number {
  const bounds = h.buckets.boundaries;
  const counts = h.buckets.counts;
  let good = 0;
  for (let i = 0; i < bounds.length && bounds[i]! <= limit; i++) good += counts[i] ?? 0;
  // Everything recorded was at most the limit (the last bucket is unbounded above).
  if (h.max !== undefined && h.max <= limit) return h.count;
  return good;
}

/** Values ≤ limit in an exponential histogram: zeros and the buckets whose upper bound is ≤ limit. */
function exponentialAtMost(h: OtelExponentialHistogram, limit: number): number {
  if (h.max !== undefined && h.max <= limit) return h.count;
  let good = h.zeroCount;
  const { offset, bucketCounts } = h.positive;
  for (let i = 0; i < bucketCounts.length; i++) {
    if (lowerBoundary(offset + i + 1, h.scale) > limit) break;
    good += bucketCounts[i] ?? 0;
  }
  return good;
}
