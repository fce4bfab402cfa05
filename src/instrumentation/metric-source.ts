import type { HrTime } from '@opentelemetry/api';
import type { AggregationTemporality, InstrumentType, MetricData } from '@opentelemetry/sdk-metrics';

/**
 * What one reader's collect asks of a source of pre-aggregated data: the collection time and
 * the temporality that reader wants for each instrument type. Each MetricReader gets its own
 * producer (and so its own sources' per-reader state, e.g. the CPU-time baseline of a
 * utilisation gauge), because a producer is never told which reader is calling.
 */
export interface CollectContext {
  readonly endTime: HrTime;
  temporalityOf(type: InstrumentType): AggregationTemporality;
  /** true when the reader wants base-2 exponential histograms rather than explicit buckets. */
  wantsExponentialHistogram(): boolean;
}

/** A contributor to one reader's producer. Created once per reader; never throws from collect. */
export interface MetricSource {
  collect(context: CollectContext): MetricData[];
  shutdown(): void;
}
