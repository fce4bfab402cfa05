/**
 * Building blocks shared by the runtime pieces: descriptors, gauge and sum MetricData, and the
 * per-series state a SUM needs to answer in either temporality.
 *
 * The runtime source hands MetricData straight to a MetricProducer, so nothing in the SDK
 * aggregates it: this module does the little the SDK would otherwise do (start times, deltas).
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type GaugeMetricData,
  type InstrumentType,
  type MetricDescriptor,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';

/** The times and temporality one collect of the runtime source works with. */
export interface CollectWindow {
  /** When the source was created: the start of every CUMULATIVE point. */
  readonly createdAt: HrTime;
  /** The previous collect of this source (its creation before the first): a gauge's window start. */
  readonly windowStart: HrTime;
  /** This collect's time, from the reader. */
  readonly endTime: HrTime;
  temporalityOf(type: InstrumentType): AggregationTemporality;
}

/**
 * A MetricDescriptor that also names the instrument type, as the SDK's own descriptors do
 * (InstrumentDescriptor): consumers of producer data can then tell a gauge from a counter
 * without guessing from the data point type.
 */
export interface RuntimeDescriptor extends MetricDescriptor {
  readonly type: InstrumentType;
}

export function defineMetric(
  name: string,
  type: InstrumentType,
  unit: string,
  description: string,
  valueType: ValueType = ValueType.DOUBLE,
): RuntimeDescriptor {
  return { name, type, unit, description, valueType };
}

/** One point of a gauge covering this collect's window. */
export function gaugePoint(
  window: CollectWindow,
  attributes: Attributes,
  value: number,
): DataPoint<number> {
  return { startTime: window.windowStart, endTime: window.endTime, attributes, value };
}

export function gauge(
  descriptor: RuntimeDescriptor,
  window: CollectWindow,
  dataPoints: DataPoint<number>[],
): GaugeMetricData {
  return {
    descriptor,
    // Meaningless for a gauge on the wire; set as the SDK does, from the reader's choice.
    aggregationTemporality: window.temporalityOf(descriptor.type),
    dataPointType: DataPointType.GAUGE,
    dataPoints,
  };
}

/** A SUM whose points the caller built with `SumSeries.point` for the same temporality. */
export function sum(
  descriptor: RuntimeDescriptor,
  isMonotonic: boolean,
  temporality: AggregationTemporality,
  dataPoints: DataPoint<number>[],
): SumMetricData {
  return {
    descriptor,
    aggregationTemporality: temporality,
    dataPointType: DataPointType.SUM,
    isMonotonic,
    dataPoints,
  };
}

/**
 * One series of a SUM read as an absolute value (total CPU seconds, bytes in use).
 *
 * CUMULATIVE reports the reading with the source's creation time as start, as the SDK reports an
 * observable counter. DELTA reports the change since this series' previous point (for the first,
 * since the source's creation), starting where that point ended. The state is per source
 * instance, and so per reader.
 */
export class SumSeries {
  private previousValue: number;
  private previousTime: HrTime;

  constructor(
    readonly attributes: Attributes,
    initialValue: number,
    createdAt: HrTime,
  ) {
    this.previousValue = initialValue;
    this.previousTime = createdAt;
  }

  point(
    value: number,
    temporality: AggregationTemporality,
    window: CollectWindow,
  ): DataPoint<number> {
    const point: DataPoint<number> =
      temporality === AggregationTemporality.CUMULATIVE
        ? {
            startTime: window.createdAt,
            endTime: window.endTime,
            attributes: this.attributes,
            value,
          }
        : {
            startTime: this.previousTime,
            endTime: window.endTime,
            attributes: this.attributes,
            value: value - this.previousValue,
          };
    this.previousValue = value;
    this.previousTime = window.endTime;
    return point;
  }
}

export const NO_ATTRIBUTES: Attributes = Object.freeze({});
