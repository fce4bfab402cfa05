/**
 * The status page's line plots: inline SVG drawn from history rows, at most MAX_POINTS points a
 * line (a bucket of rows drawn as its maximum, or minimum where the low values matter), broken
 * where the data stops, with an x axis that names dates on multi-day views.
 */
import type { HistoryRow } from '../history/index.js';
import { escapeHtml, iso, clock } from './format.js';

/** The most points a line draws (the page stays small whatever the rows). */
export const MAX_POINTS = 400;

export interface Series {
  title: string;
  value: (row: HistoryRow) => number | undefined;
  format: (v: number) => string;
  threshold?: number;
  /** What the dashed threshold line's tooltip says. Default `ERROR level <threshold>`. */
  thresholdTitle?: string;
  /** The y axis reaches at least this much. */
  floor: number;
  /** How a tier row holds this number (for the caption). */
  how: string;
  /**
   * Which value a point keeps of the rows it stands for: `max` (default: a spike stays visible)
   * or `min` (where the low values matter: an error budget's lowest).
   */
  pick?: 'max' | 'min';
  /** Values may be negative (an overspent budget): the y axis then reaches down to the lowest. */
  signed?: boolean;
}

/** A point to draw: its time and value; `gap` marks a break in the data before it (no line across). */
export type Point = { t: number; v: number | undefined; gap?: boolean };

/**
 * At most MAX_POINTS points (plus one per gap): rows in equal index buckets, each bucket's
 * maximum (a spike in a long history stays visible; or its minimum, `pick`) at its last timestamp. Two rows further
 * apart than `gapMs` (a stretch without checks: the process was down) end a bucket, and the
 * line breaks there instead of crossing the stretch.
 */
export function downsample(rows: HistoryRow[], value: (r: HistoryRow) => number | undefined, gapMs = Infinity, pick: 'max' | 'min' = 'max'): Point[] {
  const better = pick === 'max' ? (v: number, than: number) => v > than : (v: number, than: number) => v < than;
  const size = Math.max(1, rows.length / MAX_POINTS);
  const out: Point[] = [];
  let bucket = 0;
  let n = 0;
  let kept: number | undefined;
  let gap = false;
  const flush = (t: number): void => {
    out.push(gap ? { t, v: kept, gap } : { t, v: kept });
    n = 0;
    kept = undefined;
    gap = false;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (i > 0 && row.timestamp - rows[i - 1]!.timestamp > gapMs) {
      if (n > 0) flush(rows[i - 1]!.timestamp);
      gap = true;
    }
    const v = value(row);
    if (v !== undefined && !Number.isNaN(v) && (kept === undefined || better(v, kept))) kept = v;
    n++;
    if (i + 1 >= Math.floor((bucket + 1) * size) || i + 1 === rows.length) {
      flush(row.timestamp);
      bucket++;
    }
  }
  return out;
}

/**
 * How far apart two rows must be to break the line: three times the larger of the rows' usual
 * spacing (their median: a store written at another check interval) and `expectedMs` (the check
 * interval, or the tier). More than MAX_POINTS / 4 such gaps: none is drawn (the page stays small).
 */
export function gapOf(rows: HistoryRow[], expectedMs: number): number {
  if (rows.length < 3) return Infinity;
  const deltas: number[] = [];
  const stride = Math.max(1, Math.floor(rows.length / 1000));
  for (let i = stride; i < rows.length; i += stride) deltas.push((rows[i]!.timestamp - rows[i - stride]!.timestamp) / stride);
  deltas.sort((a, b) => a - b);
  const gapMs = 3 * Math.max(expectedMs, deltas[deltas.length >> 1]!);
  let gaps = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i]!.timestamp - rows[i - 1]!.timestamp > gapMs && ++gaps > MAX_POINTS / 4) return Infinity;
  return gapMs;
}

/** What one row of `rows` is: the store's tier (seconds), or undefined for the checks' own rows. */
export function rowResolution(rows: HistoryRow[]): number | undefined {
  return rows.find((r) => r.resolution !== undefined)?.resolution;
}

export function resolutionName(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}-hour`;
  if (seconds % 60 === 0) return `${seconds / 60}-minute`;
  return `${seconds}-second`;
}

export const W = 560;
/** Timeline width: about its width on screen, so its text is not scaled up. */
export const TW = 1180;
export const H = 150;
export const PAD = { left: 64, right: 10, top: 10, bottom: 22 };

/** What the plots of one service draw: the x range, where the data breaks, and what a row is. */
export interface View {
  t0: number;
  t1: number;
  /** Rows further apart than this: a stretch without data, not joined by a line. */
  gapMs: number;
  /** The store's tier of the rows (seconds), or undefined: the checks' own rows. */
  resolution: number | undefined;
}

/** Beyond 36 h, the x axis names dates (UTC) and draws a line at each UTC midnight. */
export const MULTI_DAY_MS = 36 * 3_600_000;
export const DAY_MS = 86_400_000;

export function axisTime(t: number, v: View): string {
  return v.t1 - v.t0 > MULTI_DAY_MS ? iso(t).slice(5, 16).replace('T', ' ') : clock(t);
}

/** The x axis: start and end labels, and day lines on a multi-day view. */
export function xAxis(v: View, left: number, right: number, bottom: number, height: number): string {
  const x = (t: number) => left + ((t - v.t0) / Math.max(1, v.t1 - v.t0)) * (right - left);
  let days = '';
  if (v.t1 - v.t0 > MULTI_DAY_MS) {
    for (let d = Math.ceil(v.t0 / DAY_MS) * DAY_MS; d < v.t1; d += DAY_MS) {
      days += `<line class="day" x1="${x(d).toFixed(1)}" x2="${x(d).toFixed(1)}" y1="${PAD.top}" y2="${bottom}"/>`;
    }
  }
  return `${days}<text class="axis" x="${left}" y="${height}">${axisTime(v.t0, v)}</text><text class="axis" x="${right}" y="${height}" text-anchor="end">${axisTime(v.t1, v)} UTC</text>`;
}

/** Polyline segments of points, broken at undefined values and at gaps in the data. */
export function segmentsOf(points: Point[], x: (t: number) => number, y: (v: number) => number): string[][] {
  const segments: string[][] = [[]];
  for (const p of points) {
    if (p.gap === true && segments.at(-1)!.length > 0) segments.push([]);
    if (p.v === undefined || !Number.isFinite(p.v)) {
      if (segments.at(-1)!.length > 0) segments.push([]);
      continue;
    }
    segments.at(-1)!.push(`${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
  }
  return segments.filter((seg) => seg.length > 0);
}

/** The caption's second line: what a row is, and how many rows a drawn point stands for. */
export function resolutionNote(how: string, rows: number, v: View, pick: 'max' | 'min' = 'max'): string {
  const what = v.resolution === undefined ? 'raw rows, one per check' : `${resolutionName(v.resolution)} rows, ${how}`;
  const drawn = rows > MAX_POINTS ? `; drawn as ${MAX_POINTS} points, each the ${pick === 'max' ? 'maximum' : 'minimum'} of ${(rows / MAX_POINTS).toFixed(rows < 10 * MAX_POINTS ? 1 : 0)} rows` : '';
  return `${what}${drawn}`;
}

export function plot(series: Series, rows: HistoryRow[], v: View): string {
  const { t0, t1 } = v;
  const pick = series.pick ?? 'max';
  const points = downsample(rows, series.value, v.gapMs, pick);
  const values = points.map((p) => p.v).filter((n): n is number => n !== undefined && Number.isFinite(n));
  const last = values.at(-1);
  const top = Math.max(series.floor, series.threshold ?? 0, ...values) * 1.1;
  const bottom = series.signed === true ? Math.min(0, ...values) * 1.1 : 0;
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (n: number) => PAD.top + (1 - (n - bottom) / (top - bottom)) * (H - PAD.top - PAD.bottom);
  const lines = segmentsOf(points, x, y)
    .map((seg) => (seg.length > 1 ? `<polyline class="line" points="${seg.join(' ')}"/>` : `<circle class="dot" r="2.5" cx="${seg[0]!.split(',')[0]}" cy="${seg[0]!.split(',')[1]}"/>`))
    .join('');
  // Grid lines at 0, half and the top of the data's scale, and at the lowest value when below 0
  // (unless its label would overlap the one at 0).
  const gridValues = [0, 0.5, 1].map((f) => (top / 1.1) * f);
  if (bottom < 0 && y(bottom / 1.1) - y(0) >= 12) gridValues.unshift(bottom / 1.1);
  const grid = gridValues
    .map(
      (n) =>
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(n).toFixed(1)}" y2="${y(n).toFixed(1)}"/><text class="axis" x="${PAD.left - 6}" y="${(y(n) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(series.format(n))}</text>`,
    )
    .join('');
  const thresholdTitle = series.thresholdTitle ?? (series.threshold !== undefined ? `ERROR level ${series.format(series.threshold)}` : '');
  const threshold =
    series.threshold !== undefined
      ? `<line class="threshold" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(series.threshold).toFixed(1)}" y2="${y(series.threshold).toFixed(1)}"><title>${escapeHtml(thresholdTitle)}</title></line>`
      : '';
  const axis = xAxis(v, PAD.left, W - PAD.right, H - PAD.bottom, H - 6);
  const empty = values.length === 0 ? `<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">no data yet</text>` : '';
  return `<figure class="plot"><figcaption>${escapeHtml(series.title)} <span class="now">${last === undefined ? '–' : escapeHtml(series.format(last))}</span><small class="res">${escapeHtml(resolutionNote(series.how, rows.length, v, pick))}</small></figcaption><svg viewBox="0 0 ${W} ${H}" data-from="${iso(t0)}" data-to="${iso(t1)}" role="img" aria-label="${escapeHtml(series.title)} over time">${grid}${threshold}${axis}${lines}${empty}</svg></figure>`;
}
