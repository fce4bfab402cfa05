import { explicitPoint, exponentialPoint } from '../../src/instrumentation/aggregation/otel-points.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExplicitHistogram } from '../../src/instrumentation/aggregation/explicit-histogram.js';
import { ExponentialHistogram } from '../../src/instrumentation/aggregation/exponential-histogram.js';
import {
  explicitQuantile,
  explicitQuantiles,
  exponentialQuantile,
  exponentialQuantiles,
  mergeExponential,
} from '../../src/evaluator/percentiles.js';

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function logNormal(n: number, median: number, sigma: number, seed: number): number[] {
  const rnd = prng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = 1 - rnd();
    const v = rnd();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    out.push(median * Math.exp(sigma * z));
  }
  return out;
}

const toPoint = exponentialPoint;

/** Nearest-rank quantile of sorted values. */
function exact(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('exponential-histogram quantiles', () => {
  const samples = logNormal(100_000, 0.05, 0.8, 42);
  const sorted = [...samples].sort((a, b) => a - b);

  it('p50/p95/p99 are within 1 % of the exact values with two points of different scales', () => {
    const fine = new ExponentialHistogram(160);
    const coarse = new ExponentialHistogram(80);
    samples.forEach((x, i) => (i % 2 === 0 ? fine : coarse).record(x));
    assert.notEqual(fine.scale, coarse.scale, 'the two points must have different scales');

    const merged = mergeExponential([toPoint(fine), toPoint(coarse)]);
    assert.ok(merged);
    assert.equal(merged.count, samples.length);
    assert.equal(merged.scale, Math.min(fine.scale, coarse.scale), 'merged at the coarser scale');

    const qs = [0.5, 0.95, 0.99];
    const estimates = exponentialQuantiles(merged, qs)!;
    qs.forEach((q, i) => {
      const want = exact(sorted, q);
      const error = Math.abs(estimates[i]! - want) / want;
      assert.ok(error < 0.01, `p${q * 100}: ${estimates[i]} vs exact ${want} (${(error * 100).toFixed(3)} %)`);
    });
  });

  it('merging in either order gives the same quantiles; answers in any order of q', () => {
    const a = new ExponentialHistogram(160);
    const b = new ExponentialHistogram(40);
    for (const x of samples) (x < 0.05 ? a : b).record(x);
    const ab = mergeExponential([toPoint(a), toPoint(b)])!;
    const ba = mergeExponential([toPoint(b), toPoint(a)])!;
    assert.deepEqual(exponentialQuantiles(ab, [0.99, 0.5, 0.95]), exponentialQuantiles(ba, [0.99, 0.5, 0.95]));
    const [p99, p50] = exponentialQuantiles(ab, [0.99, 0.5])!;
    assert.ok(p99! > p50!, 'results follow the order asked');
  });

  it('interpolates inside the bucket (better than the bucket bounds)', () => {
    const h = new ExponentialHistogram(160);
    for (const x of samples) h.record(x);
    const p50 = exponentialQuantile(h, 0.5)!;
    const want = exact(sorted, 0.5);
    // At this scale a bucket is 2^(1/2^scale) wide; interpolation lands well inside it.
    const bucketWidth = 2 ** (1 / 2 ** h.scale) - 1;
    assert.ok(Math.abs(p50 - want) / want < bucketWidth / 4, `${p50} vs ${want}, bucket ${bucketWidth}`);
  });

  it('q = 0 is the minimum and q = 1 the maximum; results stay within [min, max]', () => {
    const h = new ExponentialHistogram();
    for (const x of samples) h.record(x);
    const [q0, q1] = exponentialQuantiles(h, [0, 1])!;
    assert.equal(q0, sorted[0]);
    assert.equal(q1, sorted[sorted.length - 1]);
  });

  it('empty: undefined', () => {
    assert.equal(mergeExponential([]), undefined);
    assert.equal(mergeExponential([toPoint(new ExponentialHistogram())]), undefined);
    assert.equal(exponentialQuantile(new ExponentialHistogram(), 0.5), undefined);
  });

  it('a single value: every quantile is that value', () => {
    const h = new ExponentialHistogram();
    h.record(0.123);
    const merged = mergeExponential([toPoint(h)])!;
    assert.deepEqual(exponentialQuantiles(merged, [0, 0.5, 0.99, 1]), [0.123, 0.123, 0.123, 0.123]);
  });

  it('all zeros: 0', () => {
    const h = new ExponentialHistogram();
    for (let i = 0; i < 10; i++) h.record(0);
    const merged = mergeExponential([toPoint(h)])!;
    assert.deepEqual(exponentialQuantiles(merged, [0.5, 0.99, 1]), [0, 0, 0]);
  });

  it('zeros below the rank then positive values: the zero bucket counts first', () => {
    const h = new ExponentialHistogram();
    for (let i = 0; i < 90; i++) h.record(0);
    for (let i = 0; i < 10; i++) h.record(2);
    assert.equal(exponentialQuantile(h, 0.5), 0);
    // Inside the bucket ending at 2 (at scale 20 about 1e-6 wide).
    assert.ok(Math.abs(exponentialQuantile(h, 0.95)! - 2) < 2e-6);
    assert.equal(exponentialQuantile(h, 1), 2);
  });

  it('points without min/max (optional in OTel) fall back to bucket bounds', () => {
    const h = new ExponentialHistogram();
    for (const x of [1, 2, 3, 4]) h.record(x);
    const point = toPoint(h);
    delete point.min;
    delete point.max;
    const merged = mergeExponential([point])!;
    const [p0, p100] = exponentialQuantiles(merged, [0, 1])!;
    assert.ok(p0! <= 1 && p0! > 0.9, `min ${p0}`);
    assert.ok(p100! >= 4 && p100! < 4.2, `max ${p100}`);
  });

  it('rejects a quantile outside [0, 1]', () => {
    const h = new ExponentialHistogram();
    h.record(1);
    assert.throws(() => exponentialQuantile(h, 1.5), RangeError);
    assert.throws(() => exponentialQuantile(h, Number.NaN), RangeError);
  });
});

describe('explicit-bucket quantiles', () => {
  it('interpolates linearly inside buckets (uniform data: within 1 %)', () => {
    const rnd = prng(7);
    const h = new ExplicitHistogram([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    const xs: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const x = rnd();
      xs.push(x);
      h.record(x);
    }
    xs.sort((a, b) => a - b);
    const [p50, p95, p99] = explicitQuantiles([explicitPoint(h)], [0.5, 0.95, 0.99])!;
    for (const [got, q] of [
      [p50!, 0.5],
      [p95!, 0.95],
      [p99!, 0.99],
    ] as const) {
      const want = exact(xs, q);
      assert.ok(Math.abs(got - want) / want < 0.01, `q${q}: ${got} vs ${want}`);
    }
  });

  it('combines points with different boundaries', () => {
    const rnd = prng(11);
    const a = new ExplicitHistogram([0.25, 0.5, 0.75]);
    const b = new ExplicitHistogram([0.1, 0.3, 0.6, 0.9]);
    for (let i = 0; i < 40_000; i++) (i % 2 === 0 ? a : b).record(rnd());
    const [p50, p90] = explicitQuantiles([explicitPoint(a), explicitPoint(b)], [0.5, 0.9])!;
    assert.ok(Math.abs(p50! - 0.5) < 0.01, `p50 ${p50}`);
    assert.ok(Math.abs(p90! - 0.9) < 0.01, `p90 ${p90}`);
  });

  it('closes the open end buckets with min and max', () => {
    const h = new ExplicitHistogram([1]);
    for (const x of [2, 3, 4, 5]) h.record(x);
    assert.equal(explicitQuantile([explicitPoint(h)], 1), 5);
    assert.equal(explicitQuantile([explicitPoint(h)], 0), 2);
    const p50 = explicitQuantile([explicitPoint(h)], 0.5)!;
    assert.ok(p50 > 2 && p50 < 5);
  });

  it('edge cases: empty → undefined, a single value, all zeros', () => {
    assert.equal(explicitQuantile([], 0.5), undefined);
    assert.equal(explicitQuantile([explicitPoint(new ExplicitHistogram([1, 2]))], 0.5), undefined);
    const one = new ExplicitHistogram([0.1, 1]);
    one.record(0.5);
    assert.deepEqual(explicitQuantiles([explicitPoint(one)], [0, 0.5, 1]), [0.5, 0.5, 0.5]);
    const zeros = new ExplicitHistogram([0.1, 1]);
    for (let i = 0; i < 5; i++) zeros.record(0);
    assert.deepEqual(explicitQuantiles([explicitPoint(zeros)], [0.5, 0.99]), [0, 0]);
  });
});
