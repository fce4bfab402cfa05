import { ValueType } from '@opentelemetry/api';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { Instrument, type Series } from './aggregation/instrument.js';
import { ATTR_ERROR_TYPE, ATTR_OPERATION_NAME, METRIC_OPERATION_DURATION } from './names.js';

/** Bounds for operations (jobs, queue messages) run longer than requests: up to 5 minutes. */
const OPERATION_BOUNDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
]);

/** error.type for a failure: a string as given, an Error's name, else `_OTHER`. */
export function errorTypeOf(error: unknown): string {
  if (typeof error === 'string' && error.length > 0) return error.slice(0, 64);
  if (error instanceof Error) return error.name || error.constructor?.name || '_OTHER';
  return '_OTHER';
}

interface OperationEntry {
  ok: Series;
  failed: Map<string, Series>;
}

/**
 * The manual API's storage: `otel_health.operation.duration` per operation name and outcome,
 * with the same cap on attribute sets as the HTTP instruments.
 */
export class OperationMetrics {
  readonly duration: Instrument;
  private readonly byName = new Map<string, OperationEntry>();

  constructor(maxSeries: number) {
    this.duration = new Instrument(
      {
        name: METRIC_OPERATION_DURATION,
        description: 'Duration of operations recorded through the otel-health manual API (jobs, queue messages).',
        unit: 's',
        type: InstrumentType.HISTOGRAM,
        valueType: ValueType.DOUBLE,
        bounds: OPERATION_BOUNDS,
      },
      maxSeries,
    );
  }

  record(name: string, seconds: number, errorType: string | undefined): void {
    let entry = this.byName.get(name);
    if (entry === undefined) {
      if (this.duration.isCapped) {
        this.duration.createSeries({}).record(seconds);
        return;
      }
      entry = { ok: this.duration.createSeries({ [ATTR_OPERATION_NAME]: name }), failed: new Map() };
      this.byName.set(name, entry);
    }
    if (errorType === undefined) {
      entry.ok.record(seconds);
      return;
    }
    let series = entry.failed.get(errorType);
    if (series === undefined) {
      series = this.duration.createSeries({ [ATTR_OPERATION_NAME]: name, [ATTR_ERROR_TYPE]: errorType });
      if (!this.duration.isCapped) entry.failed.set(errorType, series);
    }
    series.record(seconds);
  }
}
