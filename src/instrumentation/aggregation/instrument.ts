import type { Attributes } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { ExplicitHistogram } from './explicit-histogram.js';
import { ExponentialHistogram } from './exponential-histogram.js';
import { ATTR_OTEL_METRIC_OVERFLOW } from '../names.js';

export interface InstrumentDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly type: InstrumentType.HISTOGRAM | InstrumentType.COUNTER | InstrumentType.UP_DOWN_COUNTER;
  readonly valueType: ValueType;
  /** Explicit bucket bounds, for histograms. */
  readonly bounds?: readonly number[];
}

/**
 * One attribute set of one instrument. The hot path writes into `histogram` / `value`, which
 * hold what was recorded since the last drain; the attribute object is built once, here.
 */
export class Series {
  /** Recorded since the last drain (histograms). */
  readonly exponential: ExponentialHistogram | undefined;
  readonly explicit: ExplicitHistogram | undefined;
  /** Sum recorded since the last drain (counters). */
  value = 0;
  /**
   * Process-wide running total (folded in at each drain). Up-down counters report it to
   * cumulative readers, so a reader created while requests or connections are open starts from
   * the true level instead of from zero (and never reports a negative count).
   */
  total = 0;
  /** Anything recorded since the last drain. */
  touched = false;

  constructor(
    readonly id: number,
    readonly attributes: Attributes,
    descriptor: InstrumentDescriptor,
  ) {
    if (descriptor.type === InstrumentType.HISTOGRAM) {
      this.exponential = new ExponentialHistogram();
      this.explicit = new ExplicitHistogram(descriptor.bounds ?? []);
    }
  }

  /** Hot path: one histogram recording. */
  record(value: number): void {
    this.touched = true;
    this.exponential!.record(value);
    this.explicit!.record(value);
  }

  /** Hot path: one counter / up-down counter change. */
  add(delta: number): void {
    this.touched = true;
    this.value += delta;
  }

  resetWindow(): void {
    this.touched = false;
    this.value = 0;
    this.exponential?.reset();
    this.explicit?.reset();
  }
}

/**
 * An instrument's series with a cap on distinct attribute sets: past `maxSeries` every new set
 * lands in one overflow series marked `otel.metric.overflow=true`, the SDK's own convention, so
 * random input can never grow memory without bound.
 */
export class Instrument {
  readonly series: Series[] = [];
  private overflow: Series | undefined;
  /** How many attribute sets were folded into the overflow series. */
  overflowed = 0;

  constructor(
    readonly descriptor: InstrumentDescriptor,
    readonly maxSeries: number,
  ) {}

  /** Cold path: a new attribute set. Returns the overflow series once the cap is reached. */
  createSeries(attributes: Attributes): Series {
    if (this.series.length >= this.maxSeries - 1) {
      this.overflowed++;
      if (this.overflow === undefined) {
        this.overflow = new Series(this.series.length, Object.freeze({ [ATTR_OTEL_METRIC_OVERFLOW]: true }), this.descriptor);
        this.series.push(this.overflow);
      }
      return this.overflow;
    }
    const series = new Series(this.series.length, Object.freeze(attributes), this.descriptor);
    this.series.push(series);
    return series;
  }

  get isCapped(): boolean {
    return this.overflow !== undefined;
  }
}
