import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  MetricReader,
  type AggregationOption,
  type CollectionResult,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { HealthMetricProducer } from '../instrumentation/index.js';

/** Options of a HealthReader. */
export interface HealthReaderOptions {
  /**
   * Further producers whose data the health evaluator should see. The reader always has its
   * own otel-health producer. Default: none.
   */
  metricProducers?: MetricProducer[];
  /** Include runtime metrics (CPU, memory, event loop). Default: true. */
  runtimeMetrics?: boolean;
  /**
   * Sampling interval of the event-loop delay histogram, in milliseconds (a positive integer).
   * Default: 10. The evaluator subtracts it from `nodejs.eventloop.delay.*` (see
   * `eventLoopResolution`).
   */
  eventLoopResolutionMs?: number;
}

// Delta for what the evaluator turns into per-window rates and percentiles; cumulative for
// up-down counters, whose delta would be a change rather than the current level.
function healthTemporality(type: InstrumentType): AggregationTemporality {
  switch (type) {
    case InstrumentType.UP_DOWN_COUNTER:
    case InstrumentType.OBSERVABLE_UP_DOWN_COUNTER:
    case InstrumentType.GAUGE:
    case InstrumentType.OBSERVABLE_GAUGE:
      return AggregationTemporality.CUMULATIVE;
    default:
      return AggregationTemporality.DELTA;
  }
}

// Base-2 exponential histograms: percentiles to about 1 % with no bucket bounds to choose.
function healthAggregation(type: InstrumentType): AggregationOption {
  return type === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPONENTIAL_HISTOGRAM } : { type: AggregationType.DEFAULT };
}

/**
 * The MetricReader the health evaluator reads from. It does not export: the HealthMonitor calls
 * `collect()` once per check. Register it on your own MeterProvider (sdk-metrics 2.x takes
 * readers only at construction) and pass it as the `reader` option of startHealthMonitoring.
 */
export class HealthReader extends MetricReader {
  private readonly producer: HealthMetricProducer;

  constructor(options: HealthReaderOptions = {}) {
    const producer = new HealthMetricProducer({
      runtimeMetrics: options.runtimeMetrics,
      // Latency objectives count good events from explicit buckets (exact at their thresholds).
      explicitBucketsAlongside: true,
      ...(options.eventLoopResolutionMs !== undefined ? { eventLoopResolutionMs: options.eventLoopResolutionMs } : {}),
    });
    super({
      aggregationTemporalitySelector: healthTemporality,
      aggregationSelector: healthAggregation,
      metricProducers: [producer, ...(options.metricProducers ?? [])],
    });
    this.producer = producer.bindReader(this);
  }

  /**
   * Sampling interval of the event-loop delay histogram, in seconds. `nodejs.eventloop.delay.*`
   * values include it (an idle loop reads about it); the evaluator reports the delay beyond it.
   */
  get eventLoopResolution(): number {
    return this.producer.eventLoopResolutionMs / 1000;
  }

  /**
   * One collect, for the evaluator. Resolves to an empty result (never throws) when the reader
   * is not registered on a MeterProvider yet or is shut down.
   */
  async collectForHealth(timeoutMillis?: number): Promise<CollectionResult> {
    try {
      return await this.collect({ timeoutMillis });
    } catch (error) {
      return { resourceMetrics: { resource: undefined as never, scopeMetrics: [] }, errors: [error] };
    }
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {
    this.producer.shutdown();
  }
}
