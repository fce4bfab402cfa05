/**
 * How the status page writes values: HTML-escaped text, percentages, durations, counts and
 * times (UTC in the markup; the page's script localises `<time>` elements).
 */

/** Every value from the monitor goes through this before it reaches the markup. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const pct = (v: number | undefined, digits = 1): string => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(digits)}%`);
export const ms = (s: number | undefined): string => (s === undefined || Number.isNaN(s) ? '–' : s < 1 ? `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms` : `${s.toFixed(2)} s`);
export const count = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : String(Math.round(v)));
export const iso = (t: number): string => new Date(t).toISOString();
export const clock = (t: number): string => iso(t).slice(11, 19);
export const time = (t: number): string => `<time datetime="${iso(t)}">${clock(t)} UTC</time>`;

/** An elapsed time in ms: `42s`, `3m 5s`, `2h 13m`. */
export function duration(msValue: number): string {
  const s = Math.max(0, Math.round(msValue / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
