/**
 * The status page's service level objectives: per objective of a service (its latest check's
 * `slos`), what it asks (objective, window, indicator, route), its error budget remaining with
 * the events behind it, each burn-rate alert's burn rates over its long and short windows
 * against its threshold, and the budget and the fastest alert's burn rate over time from the
 * history rows (`HistoryRow.sloBudgets`). The store's tier rows keep no budget: a view of them
 * says so instead of drawing an empty plot. No objective configured: no section at all.
 */
import type { HistoryRow } from '../history/index.js';
import type { BurnRateAlert, HealthMetrics, SloStatus } from '../model/index.js';
import { count, escapeHtml } from './format.js';
import { plot, resolutionName, type View } from './plot.js';
import { burnRateText, coverageNote, indicatorText, objectiveText, spanText, windowText } from './slo-text.js';

export interface SloSectionInput {
  serviceId: string;
  latest: HealthMetrics | undefined;
  history: HistoryRow[];
  view: View;
  /** Whether the monitor keeps a store: what the coverage note says. */
  store: boolean;
  /** Name the service in the heading (the page shows several). */
  named: boolean;
}

/** A budget as a percentage, without float noise: `100%`, `72.3%`, `-150%`. */
const budgetText = (v: number): string => `${Number((v * 100).toFixed(1))}%`;

/** `1 h: 20.1×`, or that the window held no event. */
function windowCell(seconds: number, rate: number | undefined, threshold: number): string {
  const over = rate !== undefined && rate >= threshold ? ' over' : '';
  const value = rate === undefined ? '<span class="muted">no event</span>' : `<span class="rate${over}">${escapeHtml(burnRateText(rate))}</span>`;
  return `${escapeHtml(windowText(seconds))}: ${value}`;
}

function burnRateRow(a: BurnRateAlert): string {
  const state = a.burning ? '<span class="pill lv-error">burning</span>' : '<span class="muted">not burning</span>';
  return `<tr class="burn" data-alert="${escapeHtml(a.alert)}"><td>${escapeHtml(a.alert)}</td><td><span class="pill lv-${escapeHtml(a.level.toLowerCase())}">${escapeHtml(a.level)}</span></td><td class="long">${windowCell(a.longWindow, a.long, a.burnRate)}</td><td class="short">${windowCell(a.shortWindow, a.short, a.burnRate)}</td><td class="threshold">≥ ${escapeHtml(burnRateText(a.burnRate))}</td><td class="burning">${state}</td></tr>`;
}

function burnRateTable(slo: SloStatus): string {
  if (slo.burnRates.length === 0) return '<p class="muted">No burn-rate alert is on for this objective.</p>';
  return `<table class="burn-rates"><thead><tr><th>alert</th><th>level</th><th>long window</th><th>short window</th><th>fires at</th><th>now</th></tr></thead><tbody>${slo.burnRates.map(burnRateRow).join('')}</tbody></table>`;
}

/** `12 bad of 45000 events in 2 h 13 min; the objective allows 45`. */
function eventsText(slo: SloStatus): string {
  if (slo.total === 0) return `no event in ${spanText(slo.covered)}: the budget is untouched`;
  const allowed = (1 - slo.objective) * slo.total;
  return `${count(slo.total - slo.good)} bad of ${count(slo.total)} events in ${spanText(slo.covered)}; the objective allows ${Number(allowed.toPrecision(3))}`;
}

/**
 * The budget and burn-rate plots, or why the rows of this view have none; and when only some
 * rows keep a budget, a line saying which.
 */
function sloPlots(slo: SloStatus, rows: HistoryRow[], view: View): string {
  const withBudget = rows.filter((r) => r.sloBudgets?.[slo.name] !== undefined).length;
  if (withBudget === 0 && view.resolution !== undefined) {
    return `<p class="muted no-budget">The store's ${escapeHtml(resolutionName(view.resolution))} rows keep no error budget: the 24 h view plots it over time.</p>`;
  }
  const budget = plot(
    {
      title: `Error budget remaining · ${slo.name}`,
      value: (r) => r.sloBudgets?.[slo.name]?.budgetRemaining,
      format: budgetText,
      threshold: 0,
      thresholdTitle: 'budget spent',
      floor: 1,
      how: 'the lowest budget in the row',
      pick: 'min',
      signed: true,
    },
    rows,
    view,
  );
  const partly =
    withBudget > 0 && withBudget < rows.length
      ? `<p class="muted partial-budget">Plotted where the rows keep a budget: ${withBudget} of ${rows.length} (rows taken back from the store, and checks before the objective was configured, have none).</p>`
      : '';
  const fastest = slo.burnRates[0];
  if (fastest === undefined) return `<div class="plots">${budget}</div>${partly}`;
  const burn = plot(
    {
      title: `Burn rate over ${windowText(fastest.longWindow)} · ${slo.name}`,
      value: (r) => r.sloBudgets?.[slo.name]?.burnRate,
      format: burnRateText,
      threshold: fastest.burnRate,
      thresholdTitle: `${fastest.alert} alert: ${fastest.level} at ${burnRateText(fastest.burnRate)} (with the ${windowText(fastest.shortWindow)} window)`,
      floor: fastest.burnRate,
      how: 'the highest burn rate in the row',
    },
    rows,
    view,
  );
  return `<div class="plots">${budget}${burn}</div>${partly}`;
}

function objective(slo: SloStatus, input: SloSectionInput): string {
  const asks = [objectiveText(slo.objective), windowText(slo.window), indicatorText(slo), ...(slo.route !== undefined ? [`route ${slo.route}`] : [])];
  const state = slo.budgetRemaining <= 0 ? 'spent' : slo.budgetRemaining < 0.25 ? 'low' : 'ok';
  const note = coverageNote(slo, input.store);
  return `<article class="slo" data-slo="${escapeHtml(slo.name)}"><h3>${escapeHtml(slo.name)} <span class="meta asks">${asks.map(escapeHtml).join(' · ')}</span></h3>
<p class="budget">Error budget remaining <strong class="budget-value budget-${state}">${escapeHtml(budgetText(slo.budgetRemaining))}</strong> <span class="meta events">(${escapeHtml(eventsText(slo))})</span></p>
${note === undefined ? '' : `<p class="muted coverage">${escapeHtml(note)}</p>`}${burnRateTable(slo)}${sloPlots(slo, input.history, input.view)}</article>`;
}

/** The section of one service's objectives; empty when its latest check computed none. */
export function sloSection(input: SloSectionInput): string {
  const slos = Object.values(input.latest?.slos ?? {});
  if (slos.length === 0) return '';
  const heading = `Service level objectives${input.named ? ` · ${escapeHtml(input.serviceId)}` : ''}`;
  return `<section class="slos" aria-label="service level objectives"><h2>${heading}</h2>${slos.map((slo) => objective(slo, input)).join('')}</section>`;
}

/** The section's styles, for the page's nonce'd style element (the CSP allows no style attribute). */
export const SLO_STYLE = `
.slo{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin-bottom:12px}.slo h3{font-size:15px;margin:0 0 6px}
.slo .asks{font-weight:400;margin-left:6px}.slo .budget{margin:4px 0}.budget-value{font-size:18px}
.budget-ok{color:var(--ok)}.budget-low{color:var(--warn)}.budget-spent{color:var(--err)}
.burn-rates{margin:8px 0}.rate.over{color:var(--err);font-weight:600}.slo .plots{margin-top:8px}
`;
