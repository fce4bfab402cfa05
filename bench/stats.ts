/** Small robust statistics for a noisy machine: medians and ranges, no means. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    n: values.length,
  };
}

/** `0.97 (0.95–0.99)`, or `n/a`. */
export function formatSpread(s: Spread, digits: number, signed = false): string {
  if (s.n === 0 || Number.isNaN(s.median)) return 'n/a';
  const f = (v: number): string => (signed && v >= 0 ? '+' : '') + v.toFixed(digits);
  return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}
