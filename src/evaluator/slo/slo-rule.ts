/**
 * The rule `slo:<name>` of an objective: multi-window, multi-burn-rate alerting (SRE Workbook,
 * "Alerting on SLOs"). Each burn-rate alert of the objective (fast, slow, ticket) *burns* while
 * both its windows burn at its rate or faster; the rule's level is the highest level of the
 * alerts that burn (default fast CRITICAL, slow ERROR, ticket WARNING), so one alert per
 * objective escalates, de-escalates and resolves like every other rule's.
 *
 * For the engine (rules.ts) the rule's value is that level's rank (1 WARNING … 3 CRITICAL, 0
 * none burning) with thresholds at the ranks, no `for` (the short window is the confirmation)
 * and no hysteresis (the short window ends the alert soon after the burn stops, which is what it
 * is for). Alerts and messages show the burn rate instead (`shown`): the short window's rate of
 * the alert at the level concerned, against its threshold.
 *
 * A window without events has no burn rate: when no alert window holds an event the rule has no
 * value (a firing alert resolves after staleAfter, as any rule's); when the short windows are
 * empty but the long ones are not (traffic stopped), nothing burns and the alert resolves.
 */
import type { SloConfig } from '../../config/index.js';
import {
  ALERT_LEVELS,
  formatDuration,
  levelRank,
  trimZeros,
  type BurnRateAlert,
  type DerivedHealthMetrics,
  type MonitoringLevel,
  type SloStatus,
} from '../../model/index.js';
import { formatPercent, type MessageContext, type RuleDefinition } from '../rule-definition.js';

/** `30d`, `7d`, `8h`, `14m`: objective and alert windows, for people. */
export function formatWindow(seconds: number): string {
  return seconds >= 86_400 && seconds % 86_400 === 0 ? `${seconds / 86_400}d` : formatDuration(seconds);
}

function formatRate(rate: number): string {
  return `${trimZeros(rate.toFixed(rate < 10 ? 2 : 1))}×`;
}

function formatObjective(objective: number): string {
  return `${trimZeros((objective * 100).toFixed(4))}%`;
}

/** The burn-rate alert at `level` that burns (else the first at it), for messages. */
function alertAt(status: SloStatus | undefined, level: MonitoringLevel): BurnRateAlert | undefined {
  const at = status?.burnRates.filter((a) => a.level === level) ?? [];
  return at.find((a) => a.burning) ?? at[0];
}

/** `slo:<name>`: judges `HealthMetrics.slos[name]`, which an SloTracker adds before the engine runs. */
export function sloRule(slo: SloConfig): RuleDefinition {
  const statusOf = (m: DerivedHealthMetrics): SloStatus | undefined => m.slos?.[slo.name];
  const title = `SLO ${slo.name} (${formatObjective(slo.objective)} over ${formatWindow(slo.window)})`;
  const budgetLeft = (s: SloStatus | undefined): string => {
    if (s === undefined) return '';
    const lifetime = s.covered < s.window ? ` (counted over ${formatWindow(Math.round(s.covered))} of its ${formatWindow(s.window)})` : '';
    const left = s.budgetRemaining >= 0 ? `${formatPercent(s.budgetRemaining)} of the error budget left` : `error budget exhausted (${formatPercent(1 - s.budgetRemaining)} of it spent)`;
    return `; ${left}${lifetime}`;
  };
  const burning = (c: MessageContext): string => {
    const s = statusOf(c.metrics);
    const a = alertAt(s, c.level);
    if (a === undefined) return `${c.serviceId}: ${title} burning its error budget`;
    const share = formatPercent((a.burnRate * a.longWindow) / slo.window);
    return (
      `${c.serviceId}: ${title} burning its error budget ${formatRate(a.long ?? 0)} as fast as it allows over ${formatWindow(a.longWindow)}, ` +
      `${formatRate(a.short ?? 0)} over ${formatWindow(a.shortWindow)} (${a.alert} alert at ≥ ${formatRate(a.burnRate)}: ${share} of the budget in ${formatWindow(a.longWindow)})` +
      budgetLeft(s)
    );
  };
  const rule: RuleDefinition = {
    name: `slo:${slo.name}`,
    for: 0,
    recovery: 1,
    value: (m) => {
      const s = statusOf(m);
      if (s === undefined || s.burnRates.every((a) => a.long === undefined && a.short === undefined)) return undefined;
      let rank = 0;
      for (const a of s.burnRates) if (a.burning) rank = Math.max(rank, levelRank(a.level));
      return rank;
    },
    shown: (m, level) => {
      const a = alertAt(statusOf(m), level);
      return a === undefined ? undefined : { value: a.short ?? 0, threshold: a.burnRate };
    },
    firingMessage: burning,
    deEscalatedMessage: (c) => `${burning(c)} (was ${c.previousLevel})`,
    resolvedMessage: (c) => {
      const s = statusOf(c.metrics);
      if (c.staleSeconds !== undefined) {
        return `${c.serviceId}: ${title}: no requests for ${formatDuration(c.staleSeconds)}, resolved after ${formatDuration(c.seconds)}${budgetLeft(s)}`;
      }
      const a = alertAt(s, c.level);
      const now = a === undefined ? '' : ` (${formatRate(a.short ?? 0)} over ${formatWindow(a.shortWindow)} < ${formatRate(a.burnRate)})`;
      return `${c.serviceId}: ${title} no longer burning its error budget fast${now}, resolved after ${formatDuration(c.seconds)}${budgetLeft(s)}`;
    },
  };
  // Thresholds at the ranks of the levels the objective's alerts use.
  for (const [level, key] of ALERT_LEVELS) {
    if (Object.values(slo.levels).includes(level)) rule[key] = levelRank(level);
  }
  return rule;
}
