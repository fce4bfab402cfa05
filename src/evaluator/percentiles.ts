/**
 * Quantiles from histogram data points.
 *
 * Exponential histograms: the points of one window (one per attribute set, possibly at
 * different scales) are merged exactly with `ExponentialHistogram.merge`, which downscales to
 * the coarsest scale first. A quantile is then found by rank, and placed inside its bucket
 * (base^i, base^(i+1)] by geometric (log-linear) interpolation: the buckets are equal-width in
 * log space, so this is the interpolation that matches them. The bucket is first narrowed to
 * the recorded [min, max], so the end buckets do not overshoot what was seen.
 *
 * Explicit-bucket histograms (a fallback when a reader hands those): points with different
 * boundaries are combined through their cumulative distribution, each bucket spread linearly
 * over (lower, upper] narrowed to [min, max], and the quantile read off by linear interpolation.
 *
 * Quantiles are rank based: q × (number of values), q in [0, 1]; q = 0 is the minimum and
 * q = 1 the maximum. Negative values are not supported (durations are never negative): the
 * negative range of an exponential point is ignored.
 */
import type {
  ExponentialHistogram as OtelExponentialHistogram,
  Histogram as OtelHistogram,
} from '@opentelemetry/sdk-metrics';
import {
  DEFAULT_MAX_SIZE,
  ExponentialHistogram,
  lowerBoundary,
} from '../instrumentation/index.js';

/**
 * Merge the exponential-histogram points of one metric (any scales) into one histogram.
 * Points with no values are skipped; undefined when none has a value.
 */
export function mergeExponential(
  points: readonly OtelExponentialHistogram[],
): ExponentialHistogram | undefined {
  let maxSize = DEFAULT_MAX_SIZE;
  for (const p of points) maxSize = Math.max(maxSize, p.positive.bucketCounts.length);
  let merged: ExponentialHistogram | undefined;
  for (const p of points) {
    if (!(p.count > 0)) continue;
    const h = ExponentialHistogram.fromData(
      {
        scale: p.scale,
        zeroCount: p.zeroCount,
        count: p.count,
        sum: p.sum ?? 0,
        min: p.min ?? minFromBuckets(p),
        max: p.max ?? maxFromBuckets(p),
        offset: p.positive.offset,
        bucketCounts: p.positive.bucketCounts,
      },
      maxSize,
    );
    if (merged === undefined) {
      merged = new ExponentialHistogram(maxSize);
    }
    merged.merge(h);
  }
  return merged;
}

function minFromBuckets(p: OtelExponentialHistogram): number {
  if (p.zeroCount > 0) return 0;
  const counts = p.positive.bucketCounts;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! > 0) return lowerBoundary(p.positive.offset + i, p.scale);
  }
  return 0;
}

function maxFromBuckets(p: OtelExponentialHistogram): number {
  const counts = p.positive.bucketCounts;
  for (let i = counts.length - 1; i >= 0; i--) {
    if (counts[i]! > 0) return lowerBoundary(p.positive.offset + i + 1, p.scale);
  }
  return 0;
}

function checkQuantile(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
}

/**
 * Quantiles of a (merged) exponential histogram, one per entry of `qs` (each in [0, 1], any
 * order). undefined when the histogram holds no value.
 */
export function exponentialQuantiles(
  h: ExponentialHistogram,
  qs: readonly number[],
): number[] | undefined {
  qs.forEach(checkQuantile);
  let total = h.zeroCount;
  h.forEachBucket((_i, c) => {
    total += c;
  });
  if (!(total > 0)) return undefined;
  const min = Number.isFinite(h.min) ? Math.max(0, h.min) : 0;
  const max = Number.isFinite(h.max) ? h.max : Infinity;
  const clamp = (v: number): number => Math.min(Math.max(v, min), max);

  // Answer in ascending order of q with one walk over the buckets.
  const order = qs.map((_q, i) => i).sort((a, b) => qs[a]! - qs[b]!);
  const out = new Array<number>(qs.length);
  let k = 0;
  const scale = h.scale;
  let cumulative = h.zeroCount;
  while (k < order.length && qs[order[k]!]! * total <= h.zeroCount && h.zeroCount > 0) {
    out[order[k]!] = clamp(0);
    k++;
  }
  h.forEachBucket((index, count) => {
    if (k >= order.length || !(count > 0)) return;
    const before = cumulative;
    cumulative += count;
    while (k < order.length) {
      const rank = qs[order[k]!]! * total;
      if (rank > cumulative) break;
      const lo = Math.max(lowerBoundary(index, scale), min);
      const hi = Math.max(lo, Math.min(lowerBoundary(index + 1, scale), max));
      const f = Math.min(1, Math.max(0, (rank - before) / count));
      out[order[k]!] = clamp(lo * (hi / lo) ** f);
      k++;
    }
  });
  // Rounding in the running sum can leave q = 1 just past the last bucket.
  for (; k < order.length; k++) out[order[k]!] = Number.isFinite(max) ? max : clamp(0);
  return out;
}

export function exponentialQuantile(h: ExponentialHistogram, q: number): number | undefined {
  return exponentialQuantiles(h, [q])?.[0];
}

interface Segment {
  lo: number;
  hi: number;
  count: number;
}

/**
 * Quantiles over explicit-bucket histogram points, which may have different boundaries. One
 * entry per `qs` (each in [0, 1]); undefined when the points hold no value. A bucket's bounds
 * are (boundaries[i-1], boundaries[i]]; the open first and last buckets are closed with the
 * points' min and max (else 0 and the last boundary).
 */
export function explicitQuantiles(
  points: readonly OtelHistogram[],
  qs: readonly number[],
): number[] | undefined {
  qs.forEach(checkQuantile);
  const segments: Segment[] = [];
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    if (!(p.count > 0)) continue;
    if (p.min !== undefined && p.min < min) min = p.min;
    if (p.max !== undefined && p.max > max) max = p.max;
  }
  for (const p of points) {
    if (!(p.count > 0)) continue;
    const bounds = p.buckets.boundaries;
    const counts = p.buckets.counts;
    const pMin = p.min ?? Math.min(0, bounds[0] ?? 0);
    const pMax = p.max ?? (bounds.length > 0 ? bounds[bounds.length - 1]! : pMin);
    for (let i = 0; i < counts.length; i++) {
      const count = counts[i]!;
      if (!(count > 0)) continue;
      let lo = i === 0 ? pMin : bounds[i - 1]!;
      let hi = i < bounds.length ? bounds[i]! : pMax;
      lo = Math.min(Math.max(lo, pMin), pMax);
      hi = Math.min(Math.max(hi, lo), pMax);
      segments.push({ lo, hi, count });
      total += count;
    }
  }
  if (!(total > 0)) return undefined;
  if (!Number.isFinite(min)) min = Math.min(...segments.map((s) => s.lo));
  if (!Number.isFinite(max)) max = Math.max(...segments.map((s) => s.hi));

  const cdf = (x: number, inclusive: boolean): number => {
    let c = 0;
    for (const s of segments) {
      if (s.hi > s.lo) c += s.count * Math.min(1, Math.max(0, (x - s.lo) / (s.hi - s.lo)));
      else if (inclusive ? x >= s.lo : x > s.lo) c += s.count;
    }
    return c;
  };
  const breakpoints = [...new Set(segments.flatMap((s) => [s.lo, s.hi]))].sort((a, b) => a - b);
  const levels = breakpoints.map((x) => ({ x, left: cdf(x, false), full: cdf(x, true) }));

  return qs.map((q) => {
    const rank = q * total;
    if (rank <= 0) return min;
    let prevX = breakpoints[0]!;
    let prevC = 0;
    for (const { x, left, full } of levels) {
      if (left >= rank && left > prevC) {
        return prevX + ((rank - prevC) / (left - prevC)) * (x - prevX);
      }
      if (full >= rank) return x;
      prevX = x;
      prevC = full;
    }
    return max;
  });
}

export function explicitQuantile(points: readonly OtelHistogram[], q: number): number | undefined {
  return explicitQuantiles(points, [q])?.[0];
}
