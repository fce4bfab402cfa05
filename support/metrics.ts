import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { HealthMetricProducer } from '../src/instrumentation/producer.js';
import { drain, getStore } from '../src/instrumentation/store.js';
import { acquireInstrumentation, type HttpInstrumentationOptions } from '../src/instrumentation/index.js';

/** A pull reader over an otel-health producer, with a chosen temporality and histogram kind. */
export class TestReader extends MetricReader {
  readonly producer: HealthMetricProducer;
  constructor(temporality = AggregationTemporality.CUMULATIVE, exponential = false, runtimeMetrics = false) {
    // Hand whatever earlier tests recorded to the readers that existed then, not to this one.
    drain(getStore());
    const producer = new HealthMetricProducer({ runtimeMetrics });
    super({
      aggregationTemporalitySelector: (type) =>
        type === InstrumentType.UP_DOWN_COUNTER ? AggregationTemporality.CUMULATIVE : temporality,
      aggregationSelector: (type) =>
        exponential && type === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPONENTIAL_HISTOGRAM } : { type: AggregationType.DEFAULT },
      metricProducers: [producer],
    });
    this.producer = producer.bindReader(this);
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {
    this.producer.shutdown();
  }
}

export interface Harness {
  reader: TestReader;
  collect(): Promise<MetricData[]>;
  close(): Promise<void>;
}

/** Instrumentation on, one MeterProvider with a TestReader. */
export function startHarness(
  options: { temporality?: AggregationTemporality; exponential?: boolean; http?: HttpInstrumentationOptions; runtimeMetrics?: boolean } = {},
): Harness {
  const handle = acquireInstrumentation(options.http ?? {});
  const reader = new TestReader(options.temporality, options.exponential, options.runtimeMetrics);
  const provider = new MeterProvider({ readers: [reader] });
  return {
    reader,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    },
    async close() {
      handle.release();
      await provider.shutdown();
    },
  };
}

export function metric(metrics: MetricData[], name: string): MetricData | undefined {
  return metrics.find((m) => m.descriptor.name === name);
}

export function points<T = number>(metrics: MetricData[], name: string): DataPoint<T>[] {
  return (metric(metrics, name)?.dataPoints ?? []) as DataPoint<T>[];
}

/** Sum of a SUM metric's points whose attributes match. */
export function sumOf(metrics: MetricData[], name: string, match: Record<string, unknown> = {}): number {
  return points<number>(metrics, name)
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((total, p) => total + p.value, 0);
}

/** Count of a histogram's points whose attributes match. */
export function countOf(metrics: MetricData[], name: string, match: Record<string, unknown> = {}): number {
  return points<Histogram>(metrics, name)
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((total, p) => total + p.value.count, 0);
}
