import type { HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InstrumentType,
  type CollectionResult,
  type DataPoint,
  type ExponentialHistogram as OtelExponentialHistogram,
  type Histogram as OtelHistogram,
  type MetricData,
  type MetricProducer,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';
import { ExplicitHistogram } from './aggregation/explicit-histogram.js';
import { ExponentialHistogram } from './aggregation/exponential-histogram.js';
import { explicitPoint, exponentialPoint } from './aggregation/otel-points.js';
import type { Instrument, Series } from './aggregation/instrument.js';
import type { CollectContext, MetricSource } from './metric-source.js';
import { EXPLICIT_BUCKETS_SCOPE, SCOPE_NAME } from './names.js';
import { allInstruments, drain, getStore, type DrainTarget, type Store } from './store.js';
import { createRuntimeSource, DEFAULT_EVENT_LOOP_RESOLUTION_MS } from './runtime/index.js';
import { VERSION } from '../model/index.js';

/** Options of a HealthMetricProducer. */
export interface HealthMetricProducerOptions {
  /**
   * The reader this producer is given to: its temporality and histogram aggregation selectors
   * decide what the producer hands out. Can also be set later with `bindReader()`, since the
   * reader is usually constructed with the producer. Default: cumulative sums and
   * explicit-bucket histograms (the SDK's defaults).
   */
  reader?: MetricReader;
  /** Include runtime metrics (CPU, memory, event loop). Default: true. */
  runtimeMetrics?: boolean;
  /**
   * Sampling interval of the event-loop delay histogram, in milliseconds (a positive integer).
   * Default: 10.
   */
  eventLoopResolutionMs?: number;
  /**
   * When the reader takes exponential histograms, also hand out each histogram's explicit
   * buckets, as the same metric in scope `otel-health/explicit-buckets` (EXPLICIT_BUCKETS_SCOPE).
   * The health evaluator counts latency objectives' good events from them exactly (a bucket
   * boundary sits at each threshold) while its percentiles come from the exponential ones.
   * Only once a latency objective asked for them (addDurationBounds): nothing is built otherwise.
   * Default: false.
   */
  explicitBucketsAlongside?: boolean;
}

interface Accumulator {
  exponential?: ExponentialHistogram;
  explicit?: ExplicitHistogram;
  value: number;
  startTime: HrTime;
  /** Recorded into since this producer last reported it. */
  fresh: boolean;
}

/**
 * Hands otel-health's pre-aggregated HTTP and operation data (and runtime metrics) to one
 * MetricReader, as ordinary OTel metric data in the reader's chosen temporality.
 *
 * Give every reader that should see otel-health metrics its own producer, through the reader's
 * `metricProducers` option, and bind it to that reader:
 *
 *   const producer = new HealthMetricProducer();
 *   const reader = new PeriodicExportingMetricReader({ exporter, metricProducers: [producer] });
 *   producer.bindReader(reader);
 *
 * Producer data does not pass through the MeterProvider's views or cardinality limits: it keeps
 * its own scope (`otel-health`) and caps attribute sets itself.
 */
export class HealthMetricProducer implements MetricProducer, DrainTarget {
  private readonly store: Store;
  private readonly accumulators = new Map<Series, Accumulator>();
  private readonly sources: MetricSource[] = [];
  private reader: MetricReader | undefined;
  private readonly createdAt: HrTime = hrTime();
  private shutDown = false;
  /**
   * Sampling interval of the event-loop delay histogram behind `nodejs.eventloop.delay.*`, in
   * milliseconds: every value it records includes this interval.
   */
  readonly eventLoopResolutionMs: number;
  private readonly explicitAlongside: boolean;

  constructor(options: HealthMetricProducerOptions = {}) {
    this.eventLoopResolutionMs = options.eventLoopResolutionMs ?? DEFAULT_EVENT_LOOP_RESOLUTION_MS;
    this.explicitAlongside = options.explicitBucketsAlongside === true;
    if (options.runtimeMetrics !== false) {
      this.sources.push(createRuntimeSource({ eventLoopResolutionMs: this.eventLoopResolutionMs }));
    }
    this.store = getStore();
    this.store.targets.add(this);
    this.reader = options.reader;
  }

  bindReader(reader: MetricReader): this {
    this.reader = reader;
    return this;
  }

  /** DrainTarget: fold one series' window into this producer's state. */
  accept(instrument: Instrument, series: Series): void {
    let acc = this.accumulators.get(series);
    if (acc === undefined) {
      acc = { value: 0, startTime: this.createdAt, fresh: false };
      if (series.exponential !== undefined) {
        acc.exponential = new ExponentialHistogram();
        acc.explicit = new ExplicitHistogram(instrument.descriptor.bounds ?? []);
      }
      this.accumulators.set(series, acc);
    }
    acc.fresh = true;
    acc.value += series.value;
    if (series.exponential !== undefined) {
      acc.exponential!.merge(series.exponential);
      // The instrument's bounds grew since (Instrument.addBounds): catch up before merging.
      if (acc.explicit!.bounds !== series.explicit!.bounds) acc.explicit = acc.explicit!.rebucketed(series.explicit!.bounds);
      acc.explicit!.merge(series.explicit!);
    }
  }

  async collect(): Promise<CollectionResult> {
    const errors: unknown[] = [];
    const endTime = hrTime();
    const context = this.context(endTime);
    const metrics: MetricData[] = [];
    const alongside: MetricData[] = [];
    if (!this.shutDown) {
      try {
        drain(this.store);
        for (const instrument of allInstruments(this.store)) {
          const data = this.metricData(instrument, context, endTime, alongside);
          if (data !== undefined) metrics.push(data);
        }
      } catch (error) {
        errors.push(error);
      }
      for (const source of this.sources) {
        try {
          metrics.push(...source.collect(context));
        } catch (error) {
          errors.push(error);
        }
      }
    }
    return {
      resourceMetrics: {
        // MetricReader keeps its MeterProvider's resource and drops this one.
        resource: emptyResource(),
        scopeMetrics: [
          ...(metrics.length > 0 ? [{ scope: { name: SCOPE_NAME, version: VERSION }, metrics }] : []),
          ...(alongside.length > 0 ? [{ scope: { name: EXPLICIT_BUCKETS_SCOPE, version: VERSION }, metrics: alongside }] : []),
        ],
      },
      errors,
    };
  }

  /** Stop receiving drained data and release the runtime sources (event-loop histogram). */
  shutdown(): void {
    if (this.shutDown) return;
    this.shutDown = true;
    this.store.targets.delete(this);
    this.accumulators.clear();
    for (const source of this.sources) source.shutdown();
  }

  private context(endTime: HrTime): CollectContext {
    const reader = this.reader;
    return {
      endTime,
      temporalityOf: (type) => reader?.selectAggregationTemporality(type) ?? AggregationTemporality.CUMULATIVE,
      wantsExponentialHistogram: () =>
        reader?.selectAggregation(InstrumentType.HISTOGRAM).type === AggregationType.EXPONENTIAL_HISTOGRAM,
    };
  }

  /** The instrument's data for this reader; explicit buckets of exponential histograms go to `alongside` when asked. */
  private metricData(instrument: Instrument, context: CollectContext, endTime: HrTime, alongside: MetricData[]): MetricData | undefined {
    const d = instrument.descriptor;
    const temporality = context.temporalityOf(d.type);
    const delta = temporality === AggregationTemporality.DELTA;
    const exponential = d.type === InstrumentType.HISTOGRAM && context.wantsExponentialHistogram();
    const points: DataPoint<number | OtelHistogram | OtelExponentialHistogram>[] = [];
    const explicitPoints: DataPoint<OtelHistogram>[] | undefined =
      exponential && this.explicitAlongside && this.store.explicitBucketsWanted === true ? [] : undefined;
    // Up-down counters in cumulative temporality report the process-wide level, whenever this
    // producer started: its own sum of deltas would miss what was open before it existed.
    const level = d.type === InstrumentType.UP_DOWN_COUNTER && !delta;
    for (const series of instrument.series) {
      if (level) {
        const acc = this.accumulators.get(series);
        if (acc === undefined && series.total === 0) continue;
        points.push({ startTime: acc?.startTime ?? this.createdAt, endTime, attributes: series.attributes, value: series.total });
        if (acc !== undefined) acc.fresh = false;
        continue;
      }
      const acc = this.accumulators.get(series);
      if (acc === undefined) continue;
      // A delta window with no recordings has no point, as in the SDK (readers treat it as 0).
      if (delta && !acc.fresh) continue;
      const value =
        d.type !== InstrumentType.HISTOGRAM ? acc.value : exponential ? exponentialPoint(acc.exponential!) : explicitPoint(acc.explicit!);
      points.push({ startTime: acc.startTime, endTime, attributes: series.attributes, value });
      explicitPoints?.push({ startTime: acc.startTime, endTime, attributes: series.attributes, value: explicitPoint(acc.explicit!) });
      acc.fresh = false;
      if (delta) {
        acc.startTime = endTime;
        acc.value = 0;
        acc.exponential?.reset();
        acc.explicit?.reset();
      }
    }
    if (points.length === 0) return undefined;
    const descriptor = { name: d.name, description: d.description, unit: d.unit, valueType: d.valueType };
    if (d.type !== InstrumentType.HISTOGRAM) {
      return {
        descriptor,
        aggregationTemporality: temporality,
        dataPointType: DataPointType.SUM,
        isMonotonic: d.type === InstrumentType.COUNTER,
        dataPoints: points as DataPoint<number>[],
      };
    }
    if (exponential) {
      if (explicitPoints !== undefined && explicitPoints.length > 0) {
        alongside.push({ descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.HISTOGRAM, dataPoints: explicitPoints });
      }
      return {
        descriptor,
        aggregationTemporality: temporality,
        dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
        dataPoints: points as DataPoint<OtelExponentialHistogram>[],
      };
    }
    return {
      descriptor,
      aggregationTemporality: temporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: points as DataPoint<OtelHistogram>[],
    };
  }
}
