/** Human-readable numbers in alert messages. */

/** A fixed-point number without trailing zeros: `2.50` → `2.5`, `3.0` → `3`. */
export function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A duration in seconds, for people: `0.4s`, `30s`, `2m`, `2m30s`, `1h5m`. (Prometheus
 * durations in generated rules are `prometheusDuration` in src/rules/.)
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 10 && !Number.isInteger(Math.round(s * 10) / 10)) return `${trimZeros(s.toFixed(1))}s`;
  const total = Math.round(s);
  if (total < 60) return `${total}s`;
  if (total < 3600) {
    const m = Math.floor(total / 60);
    const rest = total % 60;
    return rest === 0 ? `${m}m` : `${m}m${rest}s`;
  }
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return m === 0 ? `${h}h` : `${h}h${m}m`;
}
