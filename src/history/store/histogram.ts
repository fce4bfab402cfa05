/**
 * The latency histogram a stored row carries: a base-2 exponential histogram of positive values
 * as OpenTelemetry's data model defines it (bucket `i` at scale `s` covers
 * (2^(i/2^s), 2^((i+1)/2^s)]), with what tiers need to merge rows exactly: counts, sum, min, max.
 *
 * Merging downscales to the coarser of the two scales (halving the resolution merges pairs of
 * buckets exactly), and further while the merged range would need more than `maxBuckets`
 * buckets. Quantiles are found by rank and interpolated geometrically within their bucket,
 * narrowed to [min, max] (the evaluator's rule, so a tier row's percentiles read like a check's).
 * Negative values are not kept (durations are never negative).
 */

import type { LatencyHistogram } from '../../model/index.js';

/** The shape the evaluator hands over (model's LatencyHistogram): min and max are 0 when empty. */
export type StoredHistogram = LatencyHistogram;

export const MAX_SCALE = 20;
const MIN_SCALE = -10;
/** Buckets kept at most, as the evaluator's histograms (DEFAULT_MAX_SIZE in instrumentation/). */
export const DEFAULT_MAX_BUCKETS = 160;

export function histogramCount(h: StoredHistogram): number {
  let n = h.zeroCount;
  for (const c of h.counts) n += c;
  return n;
}

/** Index of the bucket holding `value` (> 0) at `scale`. */
export function bucketIndex(value: number, scale: number): number {
  // Exact powers of two are the inclusive upper bound of the bucket below (as OTel maps them).
  const log = Math.log2(value);
  if (scale <= 0) {
    const exp = Number.isInteger(log) ? log - 1 : Math.floor(log);
    return exp >> -scale;
  }
  const idx = Math.ceil(log * 2 ** scale) - 1;
  return idx;
}

export function bucketLower(index: number, scale: number): number {
  return 2 ** (index / 2 ** scale);
}

/** Bucket counts at `scale - by`: neighbours merged. Pure. */
function downscaled(offset: number, counts: readonly number[], by: number): { offset: number; counts: number[] } {
  if (by <= 0 || counts.length === 0) return { offset, counts: [...counts] };
  const newOffset = Math.floor(offset / 2 ** by);
  const last = Math.floor((offset + counts.length - 1) / 2 ** by);
  const out = new Array<number>(last - newOffset + 1).fill(0);
  for (let i = 0; i < counts.length; i++) out[Math.floor((offset + i) / 2 ** by) - newOffset]! += counts[i]!;
  return { offset: newOffset, counts: out };
}

/** How many halvings bring the index range [low, high] at `scale` within `maxBuckets`. */
function neededDownscale(low: number, high: number, maxBuckets: number): number {
  let by = 0;
  while (Math.floor(high / 2 ** by) - Math.floor(low / 2 ** by) + 1 > maxBuckets) by++;
  return by;
}

/** Leading and trailing empty buckets removed. */
function trimmed(h: StoredHistogram): StoredHistogram {
  let from = 0;
  let to = h.counts.length;
  while (from < to && h.counts[from] === 0) from++;
  while (to > from && h.counts[to - 1] === 0) to--;
  if (from === 0 && to === h.counts.length) return h;
  return { ...h, offset: from === to ? 0 : h.offset + from, counts: h.counts.slice(from, to) };
}

/** The histogram at a coarser scale (or the same one when it already fits). */
export function fitHistogram(h: StoredHistogram, maxBuckets = DEFAULT_MAX_BUCKETS): StoredHistogram {
  const t = trimmed(h);
  if (t.counts.length <= maxBuckets) return t;
  const by = neededDownscale(t.offset, t.offset + t.counts.length - 1, maxBuckets);
  const d = downscaled(t.offset, t.counts, by);
  return { ...t, scale: t.scale - by, offset: d.offset, counts: d.counts };
}

/**
 * Merges histograms one at a time into a histogram of at most `maxBuckets` buckets: the work
 * per added histogram is its bucket count (plus a downscale when the scale or range demands),
 * so a tier's open bucket can take each check's row as it comes. The result does not depend on
 * the order of the adds: the scale ends as the coarsest that any input had or the union of
 * their ranges needs.
 */
export class HistogramAccumulator {
  private scale = MAX_SCALE;
  private offset = 0;
  private counts: number[] = [];
  private zeroCount = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private added = 0;

  constructor(private readonly maxBuckets = DEFAULT_MAX_BUCKETS) {}

  private downscale(by: number): void {
    if (by <= 0) return;
    this.scale -= by;
    if (this.counts.length === 0) return;
    const d = downscaled(this.offset, this.counts, by);
    this.offset = d.offset;
    this.counts = d.counts;
  }

  add(h: StoredHistogram): void {
    this.added++;
    this.zeroCount += h.zeroCount;
    this.sum += h.sum;
    const n = h.counts.length;
    let from = 0;
    let to = n;
    while (from < to && h.counts[from] === 0) from++;
    while (to > from && h.counts[to - 1] === 0) to--;
    if (from === to) {
      if (h.zeroCount > 0) {
        this.min = Math.min(this.min, h.min);
        this.max = Math.max(this.max, h.max);
      }
      return;
    }
    this.min = Math.min(this.min, h.min);
    this.max = Math.max(this.max, h.max);
    if (h.scale < this.scale) this.downscale(this.scale - h.scale);
    let by = h.scale - this.scale;
    let low = Math.floor((h.offset + from) / 2 ** by);
    let high = Math.floor((h.offset + to - 1) / 2 ** by);
    if (this.counts.length > 0) {
      low = Math.min(low, this.offset);
      high = Math.max(high, this.offset + this.counts.length - 1);
    }
    const extra = neededDownscale(low, high, this.maxBuckets);
    if (extra > 0) {
      this.downscale(extra);
      by += extra;
      low = Math.floor(low / 2 ** extra);
      high = Math.floor(high / 2 ** extra);
    }
    if (this.counts.length === 0) {
      this.offset = low;
      this.counts = new Array<number>(high - low + 1).fill(0);
    } else {
      if (low < this.offset) {
        this.counts = new Array<number>(this.offset - low).fill(0).concat(this.counts);
        this.offset = low;
      }
      while (this.offset + this.counts.length - 1 < high) this.counts.push(0);
    }
    const div = 2 ** by;
    for (let i = from; i < to; i++) {
      const c = h.counts[i]!;
      if (c !== 0) this.counts[Math.floor((h.offset + i) / div) - this.offset]! += c;
    }
  }

  /** The merged histogram; undefined when nothing was added. */
  result(): StoredHistogram | undefined {
    if (this.added === 0) return undefined;
    const empty = this.counts.length === 0;
    return {
      scale: empty ? 0 : Math.max(this.scale, MIN_SCALE),
      zeroCount: this.zeroCount,
      offset: empty ? 0 : this.offset,
      counts: [...this.counts],
      sum: this.sum,
      min: Number.isFinite(this.min) ? this.min : 0,
      max: Number.isFinite(this.max) ? this.max : 0,
    };
  }
}

/** Merge histograms (any scales) into one of at most `maxBuckets` buckets. Pure. */
export function mergeHistograms(hs: readonly StoredHistogram[], maxBuckets = DEFAULT_MAX_BUCKETS): StoredHistogram | undefined {
  const acc = new HistogramAccumulator(maxBuckets);
  for (const h of hs) acc.add(h);
  return acc.result();
}

/** A histogram of `values` (seconds), at the finest scale that fits `maxBuckets`. For tests and the benchmark. */
export function histogramOf(values: readonly number[], maxBuckets = DEFAULT_MAX_BUCKETS): StoredHistogram {
  let zeroCount = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let low = Infinity;
  let high = -Infinity;
  const positive: number[] = [];
  for (const v of values) {
    if (!(v >= 0)) continue;
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
    if (v === 0) zeroCount++;
    else positive.push(v);
  }
  if (positive.length === 0) {
    return { scale: 0, zeroCount, offset: 0, counts: [], sum, min: zeroCount > 0 ? 0 : 0, max: zeroCount > 0 ? 0 : 0 };
  }
  for (const v of positive) {
    const i = bucketIndex(v, MAX_SCALE);
    low = Math.min(low, i);
    high = Math.max(high, i);
  }
  const by = neededDownscale(low, high, maxBuckets);
  const scale = MAX_SCALE - by;
  const offset = Math.floor(low / 2 ** by);
  const counts = new Array<number>(Math.floor(high / 2 ** by) - offset + 1).fill(0);
  for (const v of positive) counts[Math.floor(bucketIndex(v, MAX_SCALE) / 2 ** by) - offset]!++;
  return { scale, zeroCount, offset, counts, sum, min, max };
}

/** The q-quantile (0..1) of the histogram's values; 0 when empty. */
export function histogramQuantile(h: StoredHistogram, q: number): number {
  const total = histogramCount(h);
  if (total === 0) return 0;
  if (q <= 0) return h.min;
  if (q >= 1) return h.max;
  const rank = q * total;
  if (rank <= h.zeroCount) return 0;
  let seen = h.zeroCount;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i]!;
    if (c === 0) continue;
    if (seen + c >= rank) {
      let lo = bucketLower(h.offset + i, h.scale);
      let hi = bucketLower(h.offset + i + 1, h.scale);
      if (h.min > lo && h.min <= hi) lo = h.min;
      if (h.max < hi && h.max >= lo) hi = h.max;
      const frac = (rank - seen) / c;
      return lo > 0 ? lo * (hi / lo) ** frac : lo + (hi - lo) * frac;
    }
    seen += c;
  }
  return h.max;
}
