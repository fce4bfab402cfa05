/**
 * Prometheus rules for the config's service level objectives (`slos`), in Sloth's layout, so
 * Sloth's dashboards and anyone who knows its rules can read them. Per objective, three groups:
 *
 * - `<group>-slo-sli-recordings-<id>`: `slo:sli_error:ratio_rate<window>`, the share of bad
 *   events over each alert window and over the objective's whole window (the period);
 * - `<group>-slo-meta-recordings-<id>`: `slo:objective:ratio`, `slo:error_budget:ratio`,
 *   `slo:time_period:days`, `slo:current_burn_rate:ratio` (over the shortest alert window),
 *   `slo:period_burn_rate:ratio`, `slo:period_error_budget_remaining:ratio`, `sloth_slo_info`;
 * - `<group>-slo-alerts-<id>`: the burn-rate alerts.
 *
 * Every recording carries `sloth_id` (`<service>-<name>`), `sloth_service`, `sloth_slo`, and the
 * SLI recordings `sloth_window`.
 *
 * Windows and burn rates come from `sloAlertWindows` (config/slos.ts), the function the in-process
 * evaluator uses, so Prometheus judges the same windows: the SRE Workbook's pairs for 30 days,
 * scaled to the objective's window. A window shorter than 4 scrape intervals is widened to that,
 * as the threshold rules' rate window is (a rate() over fewer samples is empty most of the time),
 * and each widening is reported in `notes`.
 *
 * Alerts. Alert names must be identifiers (`[a-zA-Z_:][a-zA-Z0-9_:]*`) and an objective's name
 * may hold `-` and `.`, so, as the threshold alerts do (one CamelCase name per kind of rule, the
 * in-process rule's name in the `rule` label), every objective's alert is `OtelHealthSloBurnRate`
 * with labels `rule="slo:<name>"` (the in-process alert's exact name), `slo="<name>"`,
 * `severity` (the level, lowercase) and the service label: one Alertmanager route or inhibition
 * covers all objectives, and nothing is lost by mangling a name. As the threshold rules write one
 * alert per level, the workbook's pairs are grouped by their level: one alert per objective and
 * level, its pairs joined with `or` (Sloth's pairing; with the default levels each pair is its own
 * alert: fast critical, slow error, ticket warning). A pair burns when the error ratio over both
 * of its windows is at least burnRate × (1 − objective): "at or above", as the in-process
 * evaluator judges a burn rate. No `for`: the short window already confirms the burn is going on.
 *
 * The period's ratio is computed from the raw counters over the whole window (rate over 30 d)
 * rather than Sloth's average of the 5-minute ratios: an average of ratios weighs a quiet hour
 * like a busy one, and the in-process budget is bad events / all events. It covers what
 * Prometheus still holds of the window (its retention, 15 d by default).
 */
import { DEFAULT_SLO_LEVELS, sloAlertWindows, type MonitoringConfig, type SloConfig } from '../config/index.js';
import { promqlString, prometheusDuration, toMilliseconds } from './prometheus-format.js';
import { MIN_SCRAPES_PER_WINDOW, prometheusMetricNames, type PrometheusNaming } from './prometheus-metrics.js';
import type { GroupAlertingRule, RecordingRule, RuleGroup } from './rule-groups.js';
import { sliErrorRatio, type IndicatorContext } from './slo-indicator.js';

/** The alert every objective's burn-rate alerts share (see the module comment). */
export const SLO_ALERT_NAME = 'OtelHealthSloBurnRate';

export interface SloRulesOptions {
  /** Seconds between scrapes (checked by the caller). */
  scrapeInterval: number;
  /** The label naming a service (checked by the caller). */
  serviceLabel: string;
  naming: PrometheusNaming;
  /** Prefix of the groups' names. */
  groupName: string;
}

export interface SloRules {
  /** Three groups per objective, in the config's order. */
  groups: RuleGroup[];
  recordings: number;
  alerts: number;
  /** Windows widened, one note per objective and window. */
  notes: string[];
}

const num = (n: number): string => String(n);
const percent = (ratio: number): string => `${Number((ratio * 100).toFixed(6))}%`;
/** The objective's window in days, as Sloth's `slo:time_period:days` (fractions for short windows). */
const days = (seconds: number): number => Number((seconds / 86_400).toFixed(6));

/** The rules of every objective in the config; none without `slos`. */
export function generateSloRules(config: Pick<MonitoringConfig, 'slos' | 'serviceName'>, options: SloRulesOptions): SloRules {
  const out: SloRules = { groups: [], recordings: 0, alerts: 0, notes: [] };
  for (const slo of config.slos) {
    const one = objectiveRules(slo, slo.service ?? config.serviceName, options);
    out.groups.push(...one.groups);
    out.notes.push(...one.notes);
    for (const group of one.groups) {
      for (const rule of group.rules) {
        if ('record' in rule) out.recordings++;
        else out.alerts++;
      }
    }
  }
  return out;
}

/** A window in whole milliseconds, widened to the scrape-interval minimum; what was widened is noted. */
class Windows {
  private readonly widened = new Map<number, { to: number; uses: string[] }>();
  constructor(private readonly minimum: number) {}

  /** `use` names what the window is for, in the note. */
  fit(seconds: number, use: string): number {
    const window = toMilliseconds(seconds);
    if (window >= this.minimum) return window;
    const entry = this.widened.get(window) ?? { to: this.minimum, uses: [] };
    if (!entry.uses.includes(use)) entry.uses.push(use);
    this.widened.set(window, entry);
    return this.minimum;
  }

  notes(slo: string, scrape: number): string[] {
    return [...this.widened].map(
      ([from, { to, uses }]) =>
        `objective "${slo}": ${uses.join(' and ')} widened from ${prometheusDuration(from)} to ${prometheusDuration(to)} ` +
        `(${MIN_SCRAPES_PER_WINDOW} × scrape interval ${prometheusDuration(scrape)}): a shorter window holds too few samples ` +
        'for rate() and an alert over it would rarely see a ratio at all; there Prometheus judges a longer window than the ' +
        'in-process evaluator, so it detects and resets later.',
    );
  }
}

function objectiveRules(slo: SloConfig, service: string, options: SloRulesOptions): { groups: RuleGroup[]; notes: string[] } {
  const windows = new Windows(MIN_SCRAPES_PER_WINDOW * options.scrapeInterval);
  const pairs = sloAlertWindows(slo).map((w) => ({
    ...w,
    long: windows.fit(w.longWindow, `the ${w.alert} alert's long window`),
    short: windows.fit(w.shortWindow, `the ${w.alert} alert's short window`),
  }));
  // The current burn rate is read over the shortest of the workbook's windows (the fast alert's
  // short window: 5 min for 30 days), whether or not that alert is on.
  const shortest = Math.min(...sloAlertWindows({ window: slo.window, levels: DEFAULT_SLO_LEVELS }).map((w) => w.shortWindow));
  const current = windows.fit(shortest, 'the current burn rate\'s window');
  const period = windows.fit(slo.window, 'the objective\'s window');

  const id = `${service}-${slo.name}`;
  const ids = { sloth_id: id, sloth_service: service, sloth_slo: slo.name };
  const sel = `{sloth_id=${promqlString(id)}, sloth_service=${promqlString(service)}, sloth_slo=${promqlString(slo.name)}}`;
  const ratio = (window: number): string => `slo:sli_error:ratio_rate${prometheusDuration(window)}`;
  const context: IndicatorContext = { metrics: prometheusMetricNames(options.naming), serviceLabel: options.serviceLabel, service };

  // Ascending, each once: pairs share windows (30 d: the slow alert's long window is the ticket's short one).
  const sliWindows = [...new Set([current, ...pairs.flatMap((p) => [p.short, p.long]), period])].sort((a, b) => a - b);
  const sli: RecordingRule[] = sliWindows.map((window) => ({
    record: ratio(window),
    expr: sliErrorRatio(slo, context, prometheusDuration(window)),
    labels: { ...ids, sloth_window: prometheusDuration(window) },
  }));

  const budget = `slo:error_budget:ratio${sel}`;
  const meta: RecordingRule[] = [
    { record: 'slo:objective:ratio', expr: `vector(${num(slo.objective)})`, labels: ids },
    { record: 'slo:error_budget:ratio', expr: `vector(1 - ${num(slo.objective)})`, labels: ids },
    { record: 'slo:time_period:days', expr: `vector(${num(days(slo.window))})`, labels: ids },
    { record: 'slo:current_burn_rate:ratio', expr: `${ratio(current)}${sel} / on (sloth_id, sloth_service, sloth_slo) ${budget}`, labels: ids },
    { record: 'slo:period_burn_rate:ratio', expr: `${ratio(period)}${sel} / on (sloth_id, sloth_service, sloth_slo) ${budget}`, labels: ids },
    { record: 'slo:period_error_budget_remaining:ratio', expr: `1 - slo:period_burn_rate:ratio${sel}`, labels: ids },
    { record: 'sloth_slo_info', expr: 'vector(1)', labels: { ...ids, sloth_objective: num(Number((slo.objective * 100).toFixed(6))) } },
  ];

  // One alert per level (see the module comment), fastest pair first.
  const alerts: GroupAlertingRule[] = [];
  const levels = [...new Set(pairs.map((p) => p.level))];
  for (const level of levels) {
    const mine = pairs.filter((p) => p.level === level);
    const burning = (window: number, burnRate: number): string =>
      `max without (sloth_window) (${ratio(window)}${sel} >= (${num(burnRate)} * (1 - ${num(slo.objective)})))`;
    const expr = mine.map((p) => `(${burning(p.long, p.burnRate)} and ${burning(p.short, p.burnRate)})`).join(' or ');
    const severity = level.toLowerCase();
    alerts.push({
      alert: SLO_ALERT_NAME,
      expr,
      labels: { severity, rule: `slo:${slo.name}`, slo: slo.name, [options.serviceLabel]: service },
      annotations: {
        summary:
          `{{ $labels.sloth_service }}: objective ${slo.name} (${percent(slo.objective)} over ${prometheusDuration(slo.window)}) ` +
          `burns its error budget too fast: {{ $value | humanizePercentage }} of events bad (${severity})`,
        description: mine
          .map(
            (p) =>
              `${p.alert}: bad events at or above ${percent(p.burnRate * (1 - slo.objective))} (burn rate ${num(p.burnRate)}) over ` +
              `${prometheusDuration(p.long)} and ${prometheusDuration(p.short)}`,
          )
          .join('; ') + '. The value is the share of bad events over the long window.',
      },
    });
  }

  const group = (part: string): string => `${options.groupName}-slo-${part}-${id}`;
  return {
    groups: [
      { name: group('sli-recordings'), rules: sli },
      { name: group('meta-recordings'), rules: meta },
      { name: group('alerts'), rules: alerts },
    ],
    notes: windows.notes(slo.name, options.scrapeInterval),
  };
}
