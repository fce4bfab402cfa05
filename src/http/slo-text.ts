/**
 * How `/health` and the status page describe a service level objective in words: its objective,
 * window and indicator, burn rates, and what part of the window its error budget covers. Plain
 * text (the page escapes it).
 */
import type { SloStatus } from '../model/index.js';

const DAY = 86_400;

/** 0.999 → `99.9 %`, 0.9995 → `99.95 %` (no float noise). */
export function objectiveText(objective: number): string {
  return `${Number((objective * 100).toPrecision(10))} %`;
}

/** A window or span in seconds, in its largest whole unit when it has one: `30 d`, `6 h`, `5 min`, `90 s`. */
export function windowText(seconds: number): string {
  if (seconds >= DAY && seconds % DAY === 0) return `${seconds / DAY} d`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${Number(seconds.toPrecision(6))} s`;
}

/** An elapsed span in seconds, to the minute: `under 1 s`, `42 s`, `13 min`, `2 h 13 min`, `3 d 4 h`. */
export function spanText(seconds: number): string {
  if (seconds < 1) return 'under 1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 2 * DAY) return `${Math.floor(s / 3600)} h${s % 3600 >= 60 ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / DAY)} d${s % DAY >= 3600 ? ` ${Math.floor((s % DAY) / 3600)} h` : ''}`;
}

/** `availability`, or `latency ≤ 300 ms` (the threshold as written, in ms below 1 s). */
export function indicatorText(slo: Pick<SloStatus, 'indicator' | 'threshold'>): string {
  if (slo.indicator !== 'latency' || slo.threshold === undefined) return slo.indicator;
  const t = slo.threshold;
  return `latency ≤ ${t < 1 ? `${Number((t * 1000).toPrecision(6))} ms` : `${Number(t.toPrecision(6))} s`}`;
}

/** A burn rate: `14.4×`, `0.25×`, `1000×`. */
export function burnRateText(rate: number): string {
  return `${Number(rate.toFixed(rate >= 100 ? 0 : rate >= 10 ? 1 : 2))}×`;
}

/**
 * When the budget covers less than the objective's window, why: without the persisted store the
 * counts start with the process, so the budget covers its lifetime; with the store, the history
 * it holds so far. Undefined once the whole window is covered.
 */
export function coverageNote(slo: Pick<SloStatus, 'covered' | 'window'>, store: boolean): string | undefined {
  if (!(slo.covered < slo.window)) return undefined;
  const part = `${spanText(slo.covered)} of the ${windowText(slo.window)} window`;
  return store
    ? `The store holds ${part} so far: the error budget covers that, not yet the whole window.`
    : `Without the persisted store (the store option) the error budget covers this process's lifetime: ${part}.`;
}
