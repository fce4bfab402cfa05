/**
 * A base-2 exponential histogram of positive values, as the OpenTelemetry data model defines it:
 * bucket `i` at scale `s` covers (2^(i/2^s), 2^((i+1)/2^s)]. The scale starts fine and drops
 * (halving the resolution) whenever the recorded range would need more than `maxSize` buckets,
 * so relative error stays as small as the data's spread allows with bounded memory.
 *
 * Written for the request hot path: recording into an existing bucket range is a table lookup
 * and an increment; growth and downscaling happen only when the range widens.
 */

export const DEFAULT_MAX_SIZE = 160;
export const MAX_SCALE = 20;
const MIN_SCALE = -10;

// IEEE 754 views for exact exponent and mantissa reads (frexp without the rounding of log2).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: high word at [1]
const LO = 1 - HI;

function exponentOf(value: number): number {
  f64[0] = value;
  return ((u32[HI]! >>> 20) & 0x7ff) - 1023;
}

function isPowerOfTwo(value: number): boolean {
  f64[0] = value;
  return (u32[HI]! & 0xfffff) === 0 && u32[LO] === 0;
}

/** Index of the bucket holding `value` (> 0, normal) at `scale`. */
export function mapToIndex(value: number, scale: number): number {
  if (scale <= 0) {
    // Exact powers of two are the inclusive upper bound of the bucket below.
    const exp = isPowerOfTwo(value) ? exponentOf(value) - 1 : exponentOf(value);
    return exp >> -scale;
  }
  if (isPowerOfTwo(value)) return (exponentOf(value) << scale) - 1;
  return Math.ceil(Math.log2(value) * 2 ** scale) - 1;
}

/** Lower bound of bucket `index` at `scale`. */
export function lowerBoundary(index: number, scale: number): number {
  return 2 ** (index / 2 ** scale);
}

export interface ExponentialHistogramSnapshot {
  scale: number;
  zeroCount: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** bucket index of bucketCounts[0] */
  offset: number;
  bucketCounts: number[];
}

export class ExponentialHistogram {
  scale = MAX_SCALE;
  zeroCount = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Bucket index held at counts[0]. */
  private start = 0;
  /** Number of buckets in use, from `start`. */
  private length = 0;
  private counts: Float64Array;

  constructor(private readonly maxSize = DEFAULT_MAX_SIZE) {
    this.counts = new Float64Array(Math.min(16, maxSize));
  }

  record(value: number): void {
    // NaN and negatives never come from a duration; they are dropped rather than poisoning sums.
    if (!(value >= 0) || value === Infinity) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value < 2.2250738585072014e-308) {
      this.zeroCount++;
      return;
    }
    this.addToBucket(mapToIndex(value, this.scale), 1);
  }

  private addToBucket(index: number, increment: number): void {
    const rel = index - this.start;
    if (this.length > 0 && rel >= 0 && rel < this.length) {
      this.counts[rel]! += increment;
      return;
    }
    this.widenTo(index, index);
    // widenTo may have downscaled: re-map the index to the current scale.
    const shifted = index >> this.pendingShift;
    this.pendingShift = 0;
    this.counts[shifted - this.start]! += increment;
  }

  /** How far the last widenTo dropped the scale; consumed by its caller. */
  private pendingShift = 0;

  /**
   * Make buckets [low, high] (at the current scale) addressable, downscaling when the range
   * would exceed maxSize. Records in `pendingShift` how far the scale dropped.
   */
  private widenTo(low: number, high: number): void {
    if (this.length === 0) {
      let shift = 0;
      while ((high >> shift) - (low >> shift) + 1 > this.maxSize) shift++;
      if (shift > 0) this.downscale(shift);
      this.pendingShift = shift;
      this.start = low >> shift;
      this.length = (high >> shift) - this.start + 1;
      this.ensureCapacity(this.length);
      return;
    }
    const end = this.start + this.length - 1;
    const newLow = Math.min(low, this.start);
    const newHigh = Math.max(high, end);
    let shift = 0;
    while ((newHigh >> shift) - (newLow >> shift) + 1 > this.maxSize && this.scale - shift > MIN_SCALE) shift++;
    if (shift > 0) this.downscale(shift);
    this.pendingShift = shift;
    const lowS = newLow >> shift;
    const highS = newHigh >> shift;
    const needed = highS - lowS + 1;
    this.ensureCapacity(needed);
    if (lowS < this.start) {
      const by = this.start - lowS;
      this.counts.copyWithin(by, 0, this.length);
      this.counts.fill(0, 0, by);
      this.start = lowS;
    }
    this.length = needed;
  }

  private ensureCapacity(needed: number): void {
    if (needed <= this.counts.length) return;
    let size = this.counts.length;
    while (size < needed) size *= 2;
    const grown = new Float64Array(Math.min(Math.max(size, needed), this.maxSize));
    grown.set(this.counts.subarray(0, this.length));
    this.counts = grown;
  }

  /** Halve the resolution `by` times, merging neighbouring buckets. */
  private downscale(by: number): void {
    if (by <= 0) return;
    this.scale -= by;
    if (this.length === 0) return;
    const newStart = this.start >> by;
    let last = -1;
    for (let i = 0; i < this.length; i++) {
      const target = ((this.start + i) >> by) - newStart;
      if (target !== last) {
        if (target !== i) this.counts[target] = this.counts[i]!;
        last = target;
      } else {
        this.counts[target]! += this.counts[i]!;
      }
    }
    const newEnd = (this.start + this.length - 1) >> by;
    const newLength = newEnd - newStart + 1;
    this.counts.fill(0, newLength, this.length);
    this.start = newStart;
    this.length = newLength;
  }

  /** Add another histogram's contents (it is left unchanged). */
  merge(other: ExponentialHistogram): void {
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    this.zeroCount += other.zeroCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    if (other.length === 0) return;
    if (other.scale < this.scale) this.downscale(this.scale - other.scale);
    const shift = other.scale - this.scale;
    const low = other.start >> shift;
    const high = (other.start + other.length - 1) >> shift;
    this.widenTo(low, high);
    const extra = this.pendingShift;
    this.pendingShift = 0;
    const total = shift + extra;
    for (let i = 0; i < other.length; i++) {
      const c = other.counts[i]!;
      if (c !== 0) this.counts[((other.start + i) >> total) - this.start]! += c;
    }
  }

  reset(): void {
    this.scale = MAX_SCALE;
    this.zeroCount = 0;
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.counts.fill(0, 0, this.length);
    this.start = 0;
    this.length = 0;
  }

  /**
   * Rebuild a histogram from exported data (e.g. an OTel exponential-histogram data point), so
   * points of different scales can be merged with `merge()`.
   */
  static fromData(data: ExponentialHistogramSnapshot, maxSize = DEFAULT_MAX_SIZE): ExponentialHistogram {
    const h = new ExponentialHistogram(Math.max(maxSize, data.bucketCounts.length));
    h.scale = data.scale;
    h.zeroCount = data.zeroCount;
    h.count = data.count;
    h.sum = data.sum;
    h.min = data.min;
    h.max = data.max;
    if (data.bucketCounts.length > 0) {
      h.start = data.offset;
      h.length = data.bucketCounts.length;
      h.ensureCapacity(h.length);
      h.counts.set(data.bucketCounts);
    }
    return h;
  }

  /** Bucket counts with their indices, lowest first (zero bucket excluded). */
  forEachBucket(visit: (index: number, count: number) => void): void {
    for (let i = 0; i < this.length; i++) visit(this.start + i, this.counts[i]!);
  }

  snapshot(): ExponentialHistogramSnapshot {
    return {
      scale: this.scale,
      zeroCount: this.zeroCount,
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      offset: this.start,
      bucketCounts: Array.from(this.counts.subarray(0, this.length)),
    };
  }
}
