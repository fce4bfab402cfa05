/** The house style for a distribution on a noisy machine: median, p95 and n, never one value. */
import { median } from '../stats.js';

/** Nearest-rank percentile (p in 0..100) of the values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** `12.3 (p95 14.0, n 9, 10.1–14.0)`, or `n/a`: median, nearest-rank p95, n, min–max. */
export function summary(values: readonly number[], digits: number): string {
  if (values.length === 0) return 'n/a';
  const f = (v: number): string => v.toFixed(digits);
  return `${f(median(values))} (p95 ${f(percentile(values, 95))}, n ${values.length}, ${f(Math.min(...values))}–${f(Math.max(...values))})`;
}
