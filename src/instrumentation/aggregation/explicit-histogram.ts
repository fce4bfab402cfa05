/**
 * An explicit-bucket histogram (the OTel default aggregation for histograms), with bounds
 * given once per instrument. Bucket i counts values in (bounds[i-1], bounds[i]].
 */

/** The semantic conventions' advice for http.server.request.duration, in seconds. */
export const HTTP_DURATION_BOUNDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** `bounds` with `extra` added: sorted, without duplicates, finite positive values only. */
export function mergeBounds(bounds: readonly number[], extra: readonly number[]): readonly number[] {
  const merged = new Set(bounds);
  for (const b of extra) if (Number.isFinite(b) && b > 0) merged.add(b);
  return merged.size === bounds.length ? bounds : Object.freeze([...merged].sort((a, b) => a - b));
}

export class ExplicitHistogram {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  readonly counts: Float64Array;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  record(value: number): void {
    if (!(value >= 0) || value === Infinity) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    // Linear scan: most requests land in the first few buckets, where this beats bisection.
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
  }

  merge(other: ExplicitHistogram): void {
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
  }

  /**
   * This histogram's data on `bounds`, a superset of its own bounds (SLO thresholds added to an
   * instrument that already recorded): each bucket's count moves to the new bucket with the same
   * upper bound. Values recorded before the split count in the upper part: a latency objective
   * errs towards "too slow" for that one window, never the other way.
   */
  rebucketed(bounds: readonly number[]): ExplicitHistogram {
    const next = new ExplicitHistogram(bounds);
    next.count = this.count;
    next.sum = this.sum;
    next.min = this.min;
    next.max = this.max;
    let j = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const upper = i < this.bounds.length ? this.bounds[i]! : Infinity;
      while (j < bounds.length && bounds[j]! < upper) j++;
      next.counts[j]! += this.counts[i]!;
    }
    return next;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.counts.fill(0);
  }
}
