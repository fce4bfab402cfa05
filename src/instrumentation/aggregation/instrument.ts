import type { Attributes } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { ExplicitHistogram, mergeBounds } from './explicit-histogram.js';
import { ExponentialHistogram } from './exponential-histogram.js';
import { ATTR_OTEL_METRIC_OVERFLOW } from '../names.js';

export interface InstrumentDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly type: InstrumentType.HISTOGRAM | InstrumentType.COUNTER | InstrumentType.UP_DOWN_COUNTER;
  readonly valueType: ValueType;
  /** Explicit bucket bounds, for histograms (more may be added: Instrument.addBounds). */
  bounds?: readonly number[];
}

/**
 * How many histogram values a series buffers before folding them into its histograms. Folding
 * a batch in one tight loop, with the histograms' arrays hot in cache, costs less than a
 * record into two histograms per request in the middle of node's http work (measured in
 * bench/ablation: see bench/RESULTS.md). 64 values = 512 bytes per histogram series, allocated
 * on its first record.
 */
export const RECORD_BATCH = 64;

/**
 * One attribute set of one instrument. The hot path writes into `value` (counters) or a small
 * value buffer (histograms) folded into `exponential` / `explicit` in batches and before every
 * drain; together they hold what was recorded since the last drain. The attribute object is
 * built once, here.
 */
export class Series {
  /** Recorded since the last drain (histograms); complete only after flush(). */
  readonly exponential: ExponentialHistogram | undefined;
  /** Replaced (rebucketed) when the instrument's bounds grow. */
  explicit: ExplicitHistogram | undefined;
  /** Histogram values recorded but not yet folded into the histograms. */
  private pending: Float64Array | undefined;
  private pendingCount = 0;
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

  /** Hot path: one histogram recording, buffered (one store, a fold every RECORD_BATCH). */
  record(value: number): void {
    this.touched = true;
    const pending = this.pending ?? (this.pending = new Float64Array(RECORD_BATCH));
    pending[this.pendingCount] = value;
    if (++this.pendingCount === RECORD_BATCH) this.flush();
  }

  /** Fold buffered values into the histograms. Called before anything reads them. */
  flush(): void {
    const count = this.pendingCount;
    if (count === 0) return;
    this.pendingCount = 0;
    const pending = this.pending!;
    const exponential = this.exponential!;
    const explicit = this.explicit!;
    for (let i = 0; i < count; i++) {
      const value = pending[i]!;
      exponential.record(value);
      explicit.record(value);
    }
  }

  /** Hot path: one counter / up-down counter change. */
  add(delta: number): void {
    this.touched = true;
    this.value += delta;
  }

  resetWindow(): void {
    this.touched = false;
    this.value = 0;
    this.pendingCount = 0;
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

  /**
   * Add bucket boundaries (a latency objective's threshold, so its good events are counted
   * exactly: values ≤ the threshold). Cold path: existing series are rebucketed at once; readers'
   * accumulators when they next accept data. A no-op when every bound is already there.
   */
  addBounds(extra: readonly number[]): void {
    const current = this.descriptor.bounds;
    if (current === undefined) return;
    const bounds = mergeBounds(current, extra);
    if (bounds === current) return;
    this.descriptor.bounds = bounds;
    for (const series of this.series) {
      series.flush();
      if (series.explicit !== undefined) series.explicit = series.explicit.rebucketed(bounds);
    }
  }

  get isCapped(): boolean {
    return this.overflow !== undefined;
  }
}
