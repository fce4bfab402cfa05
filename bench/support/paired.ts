/**
 * Paired comparisons for interleaved benchmarks (bench/anomaly-cost.ts, bench/slo-cost.ts): a
 * random order per round, per-round ratios or differences, and the median over rounds with a
 * percentile-bootstrap 95 % confidence interval of that median.
 */
import { median, spread } from '../stats.js';

/** Resamples of the bootstrap. */
export const BOOTSTRAP = 4000;

/** Fisher–Yates, in place. */
export function shuffle<T>(xs: T[], rng: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Percentile-bootstrap 95 % interval of the median (rounds resampled with replacement). */
export function bootstrapMedian(values: readonly number[], rng: () => number): [number, number] {
  const n = values.length;
  const medians = new Float64Array(BOOTSTRAP);
  const sample = new Array<number>(n);
  for (let b = 0; b < BOOTSTRAP; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(rng() * n)]!;
    medians[b] = median(sample);
  }
  medians.sort();
  return [medians[Math.floor(0.025 * BOOTSTRAP)]!, medians[Math.ceil(0.975 * BOOTSTRAP) - 1]!];
}

/** `1.012 [0.998, 1.020] (rounds 0.95 to 1.08)`: median, bootstrap 95 % CI, per-round range. */
export function formatPaired(values: readonly number[], rng: () => number, digits: number, signed = false): string {
  const s = spread(values);
  const [lo, hi] = bootstrapMedian(values, rng);
  const f = (v: number): string => (signed && v >= 0 ? '+' : '') + v.toFixed(digits);
  return `${f(s.median)} [${f(lo)}, ${f(hi)}] (rounds ${f(s.min)} to ${f(s.max)})`;
}
