/**
 * The status page: one self-contained HTML document (inline CSS, inline SVG plots, a few lines
 * of inline script under a CSP nonce; no fonts, scripts or images from anywhere). The page is
 * rendered on the server, so it reads without script; the script only localises times and
 * refreshes the content every check interval. Every value from the monitor is HTML-escaped.
 */
import { randomBytes } from 'node:crypto';
import type { AlertHistoryEntry, HistoryRow } from '../history/index.js';
import { ANOMALY_SERIES, type Alert, type AnomalySeries, type HealthMetrics, type MonitoringLevel } from '../model/index.js';
import { count, duration, escapeHtml, iso, ms, pct, time } from './format.js';
import { SLO_STYLE, sloSection } from './slo-section.js';
import { burnRateText } from './slo-text.js';
import { H, MAX_POINTS, PAD, TW, W, axisTime, downsample, gapOf, plot, resolutionName, resolutionNote, rowResolution, segmentsOf, xAxis, type Series, type View } from './plot.js';

export { escapeHtml } from './format.js';

export interface StatusSnapshot {
  serviceName: string;
  /** Epoch ms the page was rendered. */
  now: number;
  checkInterval: number;
  retention: number;
  shuttingDown: boolean;
  ready: { ready: boolean; status: string; reason?: string };
  level: MonitoringLevel;
  services: { serviceId: string; latest: HealthMetrics | undefined; history: HistoryRow[] }[];
  firing: Alert[];
  alertHistory: AlertHistoryEntry[];
  /** ERROR levels of the rules (absent: rule off), drawn as dashed lines. */
  thresholds: { errorRate?: number; p95?: number; cpu?: number; memory?: number; connections?: number };
  /**
   * The anomaly rules (absent: off): the series watched, the checks a series learns before it is
   * scored, and the rule's levels on the score (0..1), drawn as lines on the anomaly plot.
   */
  anomaly?: { series: AnomalySeries[]; warmup: number; levels: { warning?: number; error?: number; critical?: number } };
  /**
   * The history range shown (absent: 24 h, no range links). `store`: whether the monitor keeps a
   * store, without which only the raw rows exist and 7 d / 30 d are offered disabled.
   */
  range?: { selected: RangeKey; store: boolean };
}

/** The ranges the page offers: 24 h reads the raw rows, 7 d and 30 d the store's tiers. */
export const RANGES = { '24h': { seconds: 86_400, label: '24 h' }, '7d': { seconds: 7 * 86_400, label: '7 d' }, '30d': { seconds: 30 * 86_400, label: '30 d' } } as const;
export type RangeKey = keyof typeof RANGES;

/**
 * The range a `?range=` parameter names: exactly `24h`, `7d` or `30d` (7 d and 30 d only with a
 * store); anything else, missing or malformed, is 24 h. The parameter is never echoed.
 */
export function parseRange(search: string, store: boolean): RangeKey {
  let value: string | null = null;
  try {
    value = new URLSearchParams(search).get('range');
  } catch {
    return '24h';
  }
  if (value === '7d' || value === '30d') return store ? value : '24h';
  return '24h';
}

const MAX_TABLE_ROWS = 50;

function ruleValue(rule: string, v: number): string {
  if (rule === 'error_rate' || rule === 'cpu' || rule === 'memory') return pct(v);
  if (rule === 'response_time' || rule === 'event_loop_delay') return ms(v);
  if (rule.startsWith('check:')) return v >= 1 ? 'failing' : 'ok';
  // An objective's alert shows the short window's burn rate against the alert's.
  if (rule.startsWith('slo:')) return burnRateText(v);
  return count(v);
}

const levelClass = (level: string): string => `lv-${escapeHtml(level.toLowerCase())}`;

// ---------------------------------------------------------------------------------------------
// Plots of the service's history (the plot primitives: plot.ts).

function plots(s: StatusSnapshot, rows: HistoryRow[], v: View): string {
  const resources = 'mean over the row';
  const series: Series[] = [
    { title: 'Error rate', value: (r) => r.errorRate, format: (n) => pct(n), threshold: s.thresholds.errorRate, floor: 0.05, how: 'errors / requests from exact counts' },
    { title: 'p95 response time', value: (r) => r.responseTime.p95, format: ms, threshold: s.thresholds.p95, floor: 0.1, how: 'p95 from merged histograms' },
    { title: 'CPU', value: (r) => r.cpu, format: (n) => pct(n, 0), threshold: s.thresholds.cpu, floor: 0.1, how: resources },
    { title: 'Memory', value: (r) => r.memory?.utilization, format: (n) => pct(n), threshold: s.thresholds.memory, floor: 0.1, how: resources },
    { title: 'Open connections', value: (r) => r.connections, format: count, threshold: s.thresholds.connections, floor: 5, how: resources },
  ];
  // A threshold far above the data would flatten the plot: draw it only when within 3× of the data.
  return series
    .map((x) => {
      const max = Math.max(0, ...rows.map((r) => x.value(r) ?? 0).filter(Number.isFinite));
      const shown = x.threshold !== undefined && x.threshold <= Math.max(max, x.floor) * 3 ? x : { ...x, threshold: undefined };
      return plot(shown, rows, v);
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Anomaly scores: one plot per service, one line per watched series on a fixed 0..1 axis, the
// anomaly rule's levels as lines. Series differ by colour and by dash pattern (not by colour
// alone); the legend names each with its latest score, or says it is still learning.

const ANOMALY_LABELS: Readonly<Record<AnomalySeries, string>> = {
  response_time: 'p95 response time',
  error_rate: 'error rate',
  request_rate: 'request rate',
  cpu: 'CPU',
  memory: 'memory',
  event_loop_delay: 'event-loop delay p99',
  connections: 'open connections',
};
const ANOMALY_LEVELS = [
  ['warning', 'WARNING'],
  ['error', 'ERROR'],
  ['critical', 'CRITICAL'],
] as const;
const score = (v: number): string => (Number.isFinite(v) ? String(Number(v.toFixed(3))) : '–');

/** The series to plot: those watched, and any other the rows carry, in ANOMALY_SERIES order. */
function anomalySeries(s: StatusSnapshot, rows: HistoryRow[]): AnomalySeries[] {
  const present = new Set<AnomalySeries>(s.anomaly?.series ?? []);
  for (const r of rows) for (const k of Object.keys(r.anomaly ?? {})) present.add(k as AnomalySeries);
  return ANOMALY_SERIES.filter((k) => present.has(k));
}

function anomalyPlot(s: StatusSnapshot, rows: HistoryRow[], view: View): string {
  const { t0, t1 } = view;
  const watched = anomalySeries(s, rows);
  if (watched.length === 0) return '';
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - Math.min(1, Math.max(0, v))) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.5, 1]
    .map((v) => `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`)
    .join('');
  const levels = ANOMALY_LEVELS.flatMap(([key, name]) => {
    const v = s.anomaly?.levels[key];
    return v === undefined ? [] : [{ key, name, v }];
  });
  const levelLines = levels
    .map(
      (l) =>
        `<line class="level level-${l.key}" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(l.v).toFixed(1)}" y2="${y(l.v).toFixed(1)}"><title>${l.name} level ${escapeHtml(score(l.v))}</title></line>`,
    )
    .join('');
  let any = false;
  const lines = watched
    .map((series, i) => {
      const drawn = segmentsOf(downsample(rows, (r) => r.anomaly?.[series], view.gapMs), x, y);
      if (drawn.length > 0) any = true;
      const label = escapeHtml(`${ANOMALY_LABELS[series]} anomaly score`);
      return drawn
        .map((seg) => {
          if (seg.length > 1) return `<polyline class="aline as-${i}" data-series="${series}" points="${seg.join(' ')}"><title>${label}</title></polyline>`;
          const [cx, cy] = seg[0]!.split(',');
          return `<circle class="adot as-${i}" data-series="${series}" r="2.5" cx="${cx}" cy="${cy}"><title>${label}</title></circle>`;
        })
        .join('');
    })
    .join('');
  const warmup = s.anomaly?.warmup;
  const legend = watched
    .map((series, i) => {
      const values = rows.map((r) => r.anomaly?.[series]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      const state =
        values.length > 0
          ? `<span class="now">${escapeHtml(score(rows.at(-1)?.anomaly?.[series] ?? Number.NaN))}</span>`
          : `<span class="learning">no score yet${warmup === undefined ? '' : `: learns from its first ${escapeHtml(warmup)} checks with data`}</span>`;
      return `<li data-series="${series}"><svg class="swatch" viewBox="0 0 24 8" aria-hidden="true"><line class="aline as-${i}" x1="0" x2="24" y1="4" y2="4"/></svg>${escapeHtml(ANOMALY_LABELS[series])} ${state}</li>`;
    })
    .join('');
  const levelLegend = levels
    .map((l) => `<li><svg class="swatch" viewBox="0 0 24 8" aria-hidden="true"><line class="level level-${l.key}" x1="0" x2="24" y1="4" y2="4"/></svg>${l.name} ≥ ${escapeHtml(score(l.v))}</li>`)
    .join('');
  const axis = xAxis(view, PAD.left, W - PAD.right, H - PAD.bottom, H - 6);
  const empty = any ? '' : `<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">no anomaly score yet</text>`;
  const note = resolutionNote('the highest score in the row', rows.length, view);
  return `<figure class="plot anomaly"><figcaption>Anomaly score<small class="res">${escapeHtml(note)}</small></figcaption><svg viewBox="0 0 ${W} ${H}" data-from="${iso(t0)}" data-to="${iso(t1)}" role="img" aria-label="Anomaly score over time">${grid}${levelLines}${axis}${lines}${empty}</svg><ul class="legend" aria-label="anomaly series">${legend}${levelLegend}</ul></figure>`;
}

// ---------------------------------------------------------------------------------------------
// Alert timeline: one lane per alert (fingerprint), a bar per level it fired at, coloured by
// level: a level change (escalated, de-escalated) ends the bar at the old level and starts one at
// the new level; resolved ends it. A `flapping` entry carries the alert's state at the time.

function timeline(entries: AlertHistoryEntry[], firing: Alert[], view: View): string {
  const { t0, t1 } = view;
  const lanes = new Map<string, { label: string; spans: { from: number; to: number; level: string; open: boolean }[] }>();
  for (const e of entries) {
    const key = e.alert.fingerprint;
    let lane = lanes.get(key);
    if (lane === undefined) {
      lane = { label: `${e.alert.rule} · ${e.alert.serviceId}`, spans: [] };
      lanes.set(key, lane);
    }
    const last = lane.spans.at(-1);
    const open = last?.open === true ? last : undefined;
    const firingAfter = e.kind !== 'resolved' && e.alert.state !== 'resolved';
    // A flapping entry that finds it still firing at the same level: the bar goes on.
    if (open !== undefined && firingAfter && open.level === e.alert.level && e.kind === 'flapping') continue;
    if (open !== undefined) {
      open.to = e.at;
      open.open = false;
    }
    if (firingAfter) lane.spans.push({ from: e.at, to: t1, level: e.alert.level, open: true });
  }
  // Alerts firing from before the retained history still get a lane.
  for (const a of firing) {
    if (!lanes.has(a.fingerprint)) {
      lanes.set(a.fingerprint, { label: `${a.rule} · ${a.serviceId}`, spans: [{ from: Math.max(a.startsAt, t0), to: t1, level: a.level, open: true }] });
    }
  }
  if (lanes.size === 0) return '<p class="muted">No alert in the retained history.</p>';
  const laneH = 22;
  const shown = [...lanes.values()].slice(-20);
  const height = shown.length * laneH + 24;
  const left = 200;
  const x = (t: number) => left + ((Math.min(Math.max(t, t0), t1) - t0) / Math.max(1, t1 - t0)) * (TW - left - 10);
  const rows = shown
    .map((lane, i) => {
      const yTop = i * laneH + 4;
      const bars = lane.spans
        .map(
          (s) =>
            `<rect class="bar ${levelClass(s.level)}" x="${x(s.from).toFixed(1)}" y="${yTop + 3}" width="${Math.max(3, x(s.to) - x(s.from)).toFixed(1)}" height="${laneH - 8}" rx="3"><title>${escapeHtml(lane.label)}: ${escapeHtml(s.level)} ${axisTime(s.from, view)}–${s.open ? 'now' : axisTime(s.to, view)}</title></rect>`,
        )
        .join('');
      return `<text class="lane" x="${left - 8}" y="${yTop + laneH / 2 + 3}" text-anchor="end">${escapeHtml(lane.label)}</text><line class="grid" x1="${left}" x2="${TW - 10}" y1="${yTop + laneH - 2}" y2="${yTop + laneH - 2}"/>${bars}`;
    })
    .join('');
  const axis = `<text class="axis" x="${left}" y="${height - 4}">${axisTime(t0, view)}</text><text class="axis" x="${TW - 10}" y="${height - 4}" text-anchor="end">${axisTime(t1, view)} UTC</text>`;
  return `<svg class="timeline" viewBox="0 0 ${TW} ${height}" role="img" aria-label="alert timeline">${rows}${axis}</svg>`;
}

// ---------------------------------------------------------------------------------------------
// The document.

function statusWord(s: StatusSnapshot, latest: HealthMetrics | undefined): { word: string; cls: string } {
  if (s.shuttingDown) return { word: 'shutting down', cls: 'st-unhealthy' };
  const status = latest?.status ?? 'unknown';
  return { word: status, cls: `st-${status}` };
}

function card(label: string, value: string): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div></div>`;
}

function firingTable(firing: Alert[], now: number): string {
  if (firing.length === 0) return '<p class="muted" id="no-alerts">No alert is firing.</p>';
  const rows = firing
    .map(
      (a) =>
        `<tr class="alert"><td><span class="pill ${levelClass(a.level)}">${escapeHtml(a.level)}</span></td><td class="rule">${escapeHtml(a.rule)}</td><td>${escapeHtml(a.serviceId)}</td><td>${escapeHtml(ruleValue(a.rule, a.value))} / ${escapeHtml(ruleValue(a.rule, a.threshold))}</td><td>${time(a.startsAt)} (${duration(now - a.startsAt)})</td><td class="message">${escapeHtml(a.message)}</td></tr>`,
    )
    .join('');
  return `<table id="firing"><thead><tr><th>level</th><th>rule</th><th>service</th><th>value / threshold</th><th>since</th><th>message</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function checksTable(latest: HealthMetrics | undefined): string {
  if (latest === undefined || latest.checks.length === 0) return '<p class="muted">No custom check configured.</p>';
  const rows = latest.checks
    .map((c) => {
      const error = c.error === undefined ? '' : (c.error.split('\n', 1)[0] ?? '').slice(0, 200);
      return `<tr><td>${escapeHtml(c.name)}</td><td><span class="pill ${c.ok ? 'lv-info' : 'lv-error'}">${c.ok ? 'ok' : 'failing'}</span></td><td>${c.durationMs.toFixed(0)} ms</td><td>${escapeHtml(error)}</td></tr>`;
    })
    .join('');
  return `<table><thead><tr><th>check</th><th>result</th><th>duration</th><th>error</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** `de-escalated (from CRITICAL)`, `escalated (from WARNING)`, `firing`, … */
function transitionText(e: AlertHistoryEntry): string {
  return e.previousLevel === undefined ? e.kind : `${e.kind} (from ${e.previousLevel})`;
}

function transitionsTable(entries: AlertHistoryEntry[]): string {
  if (entries.length === 0) return '';
  const rows = entries
    .slice(-MAX_TABLE_ROWS)
    .reverse()
    .map(
      (e) =>
        `<tr class="transition"><td>${time(e.at)}</td><td class="kind">${escapeHtml(transitionText(e))}</td><td><span class="pill ${levelClass(e.alert.level)}">${escapeHtml(e.alert.level)}</span></td><td>${escapeHtml(e.alert.rule)}</td><td class="message">${escapeHtml(e.alert.message)}</td></tr>`,
    )
    .join('');
  return `<details><summary>Last ${Math.min(entries.length, MAX_TABLE_ROWS)} transitions</summary><table><thead><tr><th>at</th><th>transition</th><th>level</th><th>rule</th><th>message</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

const STYLE = `
:root{--ok:#1b7f3b;--warn:#a35d00;--err:#c0262d;--crit:#7b1fa2;--unk:#5f6b7a;--fg:#1d232b;--muted:#5f6b7a;--line:#dfe3e8;--bg:#f6f7f9}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:center;gap:16px;flex-wrap:wrap;padding:16px 24px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0}h2{font-size:16px;margin:24px 0 8px}main{padding:0 24px 24px;max-width:1280px}
.status{font-size:18px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;padding:4px 12px;border-radius:6px;color:#fff}
.st-healthy{background:var(--ok)}.st-degraded{background:var(--warn)}.st-unhealthy{background:var(--err)}.st-unknown{background:var(--unk)}
.meta{color:var(--muted)}.muted{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-top:16px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px}.card .label{color:var(--muted);font-size:12px}.card .value{font-size:18px;font-weight:600}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}th{font-size:12px;color:var(--muted);font-weight:600}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.lv-info{background:var(--ok)}.lv-warning{background:var(--warn)}.lv-error{background:var(--err)}.lv-critical{background:var(--crit)}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px}
.plot{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
.plot figcaption{font-weight:600;margin:0 0 4px 4px}.plot .now{float:right;font-weight:400;color:var(--muted)}
svg{width:100%;height:auto;display:block}
.line{fill:none;stroke:#2563eb;stroke-width:1.8;stroke-linejoin:round}.dot{fill:#2563eb}
.grid{stroke:var(--line);stroke-width:1}.threshold{stroke:var(--err);stroke-width:1.2;stroke-dasharray:5 4}
.axis{font-size:11px;fill:var(--muted)}.empty{font-size:13px;fill:var(--muted)}.lane{font-size:12px;fill:var(--fg)}
.as-0{stroke:#0072b2;color:#0072b2}.as-1{stroke:#d55e00;color:#d55e00;stroke-dasharray:7 3}.as-2{stroke:#009e73;color:#009e73;stroke-dasharray:2 2}
.as-3{stroke:#cc79a7;color:#cc79a7;stroke-dasharray:9 3 2 3}.as-4{stroke:#56b4e9;color:#56b4e9;stroke-dasharray:4 4}.as-5{stroke:#1d232b;color:#1d232b;stroke-dasharray:12 4}.as-6{stroke:#8a6d00;color:#8a6d00;stroke-dasharray:2 5}
.aline{fill:none;stroke-width:1.8;stroke-linejoin:round}circle.adot{fill:currentColor;stroke:none}
.level{stroke-width:1;stroke-dasharray:3 3}.level-warning{stroke:var(--warn)}.level-error{stroke:var(--err)}.level-critical{stroke:var(--crit)}
.legend{list-style:none;margin:4px 0 0;padding:0 4px;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}.legend li{display:flex;align-items:center;gap:5px}
.legend .swatch{width:24px;height:8px}.legend .now,.legend .learning{color:var(--muted)}
.timeline{background:#fff;border:1px solid var(--line);border-radius:8px}
rect.lv-info{fill:var(--ok)}rect.lv-warning{fill:var(--warn)}rect.lv-error{fill:var(--err)}rect.lv-critical{fill:var(--crit)}
.plot .res{display:block;font-weight:400;font-size:12px;color:var(--muted)}.day{stroke:var(--line);stroke-width:1;stroke-dasharray:2 3}
.ranges{margin:24px 0 0;color:var(--muted)}.range{display:inline-block;padding:2px 10px;border:1px solid var(--line);border-radius:6px;background:#fff;color:#2563eb;text-decoration:none}
a.range[aria-current]{background:#2563eb;color:#fff;border-color:#2563eb}.range.off{color:var(--muted);background:transparent}
details{margin-top:8px}summary{cursor:pointer;color:var(--muted)}
`;

/**
 * Localise `<time>` elements and refresh `<main>` every check interval (same origin only), with
 * the page's own query (the chosen range; the server validates it). Only the new body up to its
 * script is parsed: the new page's `<style>` carries another nonce, which this page's CSP
 * refuses (a console violation, even in the parser's inert document).
 */
function script(refreshSeconds: number): string {
  return `(function(){
var fmt=function(root){root.querySelectorAll('time[datetime]').forEach(function(el){var d=new Date(el.getAttribute('datetime'));if(!isNaN(d))el.textContent=d.toLocaleTimeString();});};
fmt(document);
var every=${Math.round(refreshSeconds * 1000)};
var tick=function(){if(document.hidden){setTimeout(tick,every);return;}
fetch(location.pathname+location.search,{cache:'no-store',credentials:'same-origin'}).then(function(r){return r.ok?r.text():null;}).then(function(html){
var from=html?html.indexOf('<body>'):-1,to=html?html.lastIndexOf('<script'):-1;
if(from>=0&&to>from){var doc=new DOMParser().parseFromString(html.slice(from,to),'text/html');var next=doc.querySelector('body');if(next){document.body.replaceChildren.apply(document.body,Array.prototype.slice.call(next.children).filter(function(n){return n.tagName!=='SCRIPT';}));fmt(document);}}
}).catch(function(){}).then(function(){setTimeout(tick,every);});};
setTimeout(tick,every);
})();`;
}

/**
 * The range links (relative, so a proxy's path prefix stays): 24 h, 7 d, 30 d with a store;
 * without one, 7 d and 30 d are shown disabled with what they need.
 */
function rangeNav(range: StatusSnapshot['range']): string {
  if (range === undefined) return '';
  const items = (Object.keys(RANGES) as RangeKey[]).map((key) => {
    const label = RANGES[key].label;
    if (key !== '24h' && !range.store) return `<span class="range off" aria-disabled="true" data-range="${key}">${label}</span>`;
    return `<a class="range" href="?range=${key}" data-range="${key}"${key === range.selected ? ' aria-current="page"' : ''}>${label}</a>`;
  });
  const note = range.store ? '' : ' <span class="muted">7 d and 30 d need the <code>store</code> option (history kept across restarts, with 5-minute and 1-hour tiers)</span>';
  return `<nav class="ranges" aria-label="history range">History range: ${items.join(' ')}${note}</nav>`;
}

/** The page and the nonce its inline style and script carry (for the CSP header). */
export function renderPage(s: StatusSnapshot): { html: string; nonce: string } {
  const nonce = randomBytes(16).toString('base64');
  const own = s.services[0];
  const latest = own?.latest;
  const st = statusWord(s, latest);
  const allRows = s.services.flatMap((x) => x.history);
  const selected = s.range?.selected ?? '24h';
  // A 7 d or 30 d view (a store query of thousands of rows, ~50 ms at 30 d) refreshes once a minute.
  // The x axis spans the data within the range (at least 1 s), ending now: the raw rows'
  // retention for 24 h, 7 or 30 days for the store's tiers.
  const span = selected === '24h' ? s.retention : RANGES[selected].seconds;
  const t1 = s.now;
  const oldest = Math.min(t1 - 1_000, ...allRows.map((r) => r.timestamp), ...s.alertHistory.map((e) => e.at));
  const t0 = Math.max(oldest, t1 - span * 1000);
  const viewOf = (rows: HistoryRow[]): View => {
    const resolution = rowResolution(rows);
    return { t0, t1, resolution, gapMs: gapOf(rows, Math.max(s.checkInterval, resolution ?? 0) * 1000) };
  };
  const cards = latest
    ? [
        card('Requests / s', latest.requestRate.toFixed(2)),
        card('Error rate', pct(latest.errorRate)),
        card('p95 response', ms(latest.responseTime.p95)),
        card('CPU', pct(latest.cpu, 0)),
        card('Memory', pct(latest.memory?.utilization)),
        card('Connections', count(latest.connections)),
        card('Event loop p99', ms(latest.eventLoopDelay?.p99)),
      ].join('')
    : '';
  const servicePlots = s.services
    .map((svc) => {
      const view = viewOf(svc.history);
      const rowsMeta =
        view.resolution === undefined
          ? `${svc.history.length} checks, every ${escapeHtml(s.checkInterval)} s`
          : `${svc.history.length} ${resolutionName(view.resolution)} rows of ${svc.history.reduce((n, r) => n + (r.rows ?? 1), 0)} checks, last ${RANGES[selected].label}`;
      return `<section class="service"><h2>History${s.services.length > 1 ? ` · ${escapeHtml(svc.serviceId)}` : ''} <span class="meta">(${rowsMeta})</span></h2><div class="plots">${plots(s, svc.history, view)}${anomalyPlot(s, svc.history, view)}</div></section>`;
    })
    .join('');
  const sloSections = s.services
    .map((svc) => sloSection({ serviceId: svc.serviceId, latest: svc.latest, history: svc.history, view: viewOf(svc.history), store: s.range?.store ?? false, named: s.services.length > 1 }))
    .join('');
  const readyText = s.ready.ready ? 'ready' : `not ready: ${s.ready.reason ?? ''}`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${escapeHtml(s.serviceName)}: ${escapeHtml(st.word)}</title><style nonce="${nonce}">${STYLE}${SLO_STYLE}</style></head>
<body><header><h1>${escapeHtml(s.serviceName)}</h1><span id="status" class="status ${st.cls}">${escapeHtml(st.word)}</span>
<span class="meta" id="level">level ${escapeHtml(s.level)} · ${escapeHtml(readyText)}</span>
<span class="meta">${latest ? `last check ${time(latest.timestamp)}` : 'no check yet'}</span></header>
<main><div class="cards">${cards}</div>
<h2>Firing alerts</h2>${firingTable(s.firing, s.now)}
<h2>Checks</h2>${checksTable(latest)}
${rangeNav(s.range)}${servicePlots}${sloSections}
<h2>Alert timeline</h2>${timeline(s.alertHistory, s.firing, viewOf([]))}${transitionsTable(s.alertHistory)}
<p class="meta">Rendered ${time(s.now)} · a plot of more than ${MAX_POINTS} rows draws each point as the maximum of its rows (a spike stays visible); no line crosses a stretch without data · dashed line: the rule's ERROR level${s.anomaly !== undefined ? '; on the anomaly plot, the anomaly rule\'s levels' : ''}${sloSections !== '' ? '; on an objective\'s plots, its budget spent and its fastest alert\'s burn rate (an error budget point is the lowest of its rows)' : ''}.</p></main>
<script nonce="${nonce}">${script(selected === '24h' ? Math.min(60, Math.max(2, s.checkInterval)) : 60)}</script></body></html>`;
  return { html, nonce };
}
