/**
 * Alert rules and their evaluation. Pure apart from the RuleEngine's explicit state: time comes
 * in as `now` (wall clock, epoch ms) and `monotonic` (ms), so tests drive it with a fake clock.
 * Durations (`for`, staleness, how long an alert fired) are measured on `monotonic`, so a step
 * of the wall clock (NTP, a resumed VM) neither fires an alert early nor holds one back for the
 * size of the step; timestamps (startsAt, endsAt, transition times) are `now`, the wall clock.
 *
 * Per rule and service, each level (WARNING < ERROR < CRITICAL) with a threshold is watched:
 * - a level is *reached* while the value is ≥ its threshold. It is *first seen* at the first
 *   check of an unbroken run of checks that reached it: that check's monotonic time, not the start
 *   of its window (the window only says the level was reached somewhere within it). It is *due*
 *   once it has been reached for the rule's `for` seconds since then: the first check at or after
 *   first seen + `for`, like Prometheus' `for` (so with `for: 0` the first such check fires, and
 *   with `for: 60` at 15 s checks the fifth: first seen + 60 s);
 * - a rule with no firing alert fires at its highest due level (`firing`);
 * - a firing alert rises to a higher due level (`escalated`); each level counts `for` from its
 *   own first sighting;
 * - a firing alert holds its level L while the value is ≥ L's recovery bound (recovery × its
 *   threshold, default 0.8 ×; for the lowest level, `recoveryThreshold` when set), and else
 *   drops to the highest lower level whose recovery bound the value still meets
 *   (`de-escalated`, `previousLevel` the level it dropped from), or resolves when none
 *   (`resolved`, at the level last announced);
 * - a value that cannot be judged this window (no CPU sample, fewer requests than
 *   `minRequests`, a check that did not run) changes nothing, except that it restarts the
 *   `for` count, and a firing alert judged on no data for `staleAfter` seconds resolves.
 *
 * Messages say only what the checks can know: on the first check that sees a level, that the
 * value was over its threshold `over the last <window>` (a custom check: that it is failing);
 * later, `since first seen <d> ago` (the time since that first check); a de-escalation names the
 * level it dropped from, `(was CRITICAL)`; a resolve says how long the alert fired (from the
 * check that fired it, monotonic).
 *
 * A service's level is its highest firing level (INFO when none); its status follows: healthy
 * (INFO), degraded (WARNING), unhealthy (ERROR, CRITICAL); `unknown` when the window held no
 * data at all (see `hasData`), whatever fires.
 */
import { createHash } from 'node:crypto';
import type { AnomalyConfig, HealthCheckConfig, MonitoringConfig, RuleConfig, SloConfig } from '../config/index.js';
import {
  ALERT_LEVELS,
  formatDuration,
  highestLevel,
  levelRank,
  MonitoringLevel,
  type Alert,
  type AlertTransition,
  type CheckResult,
  type DerivedHealthMetrics,
  type HealthMetrics,
  type HealthStatus,
  type RuleName,
} from '../model/index.js';
import { anomalyRules } from './anomaly-scorer.js';
import { sloRule } from './slo/slo-rule.js';
import {
  formatCount,
  formatPercent,
  formatSeconds,
  heldPhrase,
  withPhrase,
  type MessageContext,
  type RuleDefinition,
} from './rule-definition.js';

export { formatPercent, formatSeconds, heldPhrase, type MessageContext, type RuleDefinition } from './rule-definition.js';

// ---------------------------------------------------------------------------------------------
// Levels and status.

/**
 * Whether a window held any data: a request or operation, a CPU, memory or event-loop sample,
 * an open connection, or a custom check's result. Without any, the status is `unknown`.
 */
export function hasData(m: DerivedHealthMetrics): boolean {
  return (
    m.requestCount > 0 ||
    m.cpu !== undefined ||
    m.memory !== undefined ||
    m.eventLoopDelay !== undefined ||
    m.connections > 0 ||
    m.checks.length > 0
  );
}

export function statusOf(level: MonitoringLevel, withData: boolean): HealthStatus {
  if (!withData) return 'unknown';
  switch (level) {
    case MonitoringLevel.INFO:
      return 'healthy';
    case MonitoringLevel.WARNING:
      return 'degraded';
    default:
      return 'unhealthy';
  }
}

/** Stable id of a service's alert of one rule, whatever its level: 16 hex digits. */
export function alertFingerprint(serviceId: string, rule: string): string {
  return createHash('sha256').update(serviceId).update('\u0000').update(rule).digest('hex').slice(0, 16);
}

function thresholdRule(
  name: RuleName,
  label: string,
  format: (v: number) => string,
  config: RuleConfig,
  value: (m: DerivedHealthMetrics) => number | undefined,
): RuleDefinition {
  const rule: RuleDefinition = {
    name,
    for: config.for,
    recovery: config.recovery,
    value,
    firingMessage: (c) => withPhrase(`${c.serviceId}: ${label} ${format(c.value)} ≥ ${format(c.threshold)}`, heldPhrase(c)),
    deEscalatedMessage: (c) => {
      const was = ` (was ${c.previousLevel})`;
      if (c.value >= c.threshold || c.bound === undefined) return `${c.serviceId}: ${label} ${format(c.value)} ≥ ${format(c.threshold)}${was}`;
      return `${c.serviceId}: ${label} ${format(c.value)} < ${format(c.threshold)}, ${c.level} held while ≥ ${format(c.bound)}${was}`;
    },
    resolvedMessage: (c) =>
      c.staleSeconds !== undefined
        ? `${c.serviceId}: ${label}: no data for ${formatDuration(c.staleSeconds)}, resolved after ${formatDuration(c.seconds)}`
        : `${c.serviceId}: ${label} ${format(c.value)} < ${format(c.threshold)}, resolved after ${formatDuration(c.seconds)}`,
  };
  if (config.warning !== undefined) rule.warning = config.warning;
  if (config.error !== undefined) rule.error = config.error;
  if (config.critical !== undefined) rule.critical = config.critical;
  if (config.recoveryThreshold !== undefined) rule.recoveryThreshold = config.recoveryThreshold;
  return rule;
}

/** `check:<name>`: 1 while the check fails, 0 when it passes, undefined when it did not run. */
export function checkRule(
  name: string,
  options: Partial<Pick<HealthCheckConfig, 'level' | 'for'>> = {},
): RuleDefinition {
  const level = options.level ?? MonitoringLevel.ERROR;
  const key = ALERT_LEVELS.find(([l]) => l === level)?.[1] ?? 'error';
  const result = (m: DerivedHealthMetrics): CheckResult | undefined => m.checks.find((c) => c.name === name);
  return {
    name: `check:${name}`,
    [key]: 1,
    for: options.for ?? 0,
    recovery: 0.8,
    value: (m) => {
      const r = result(m);
      return r === undefined ? undefined : r.ok ? 0 : 1;
    },
    firingMessage: (c) => {
      const error = result(c.metrics)?.error;
      // A check's result is of the moment it ran, not of the window: the first failing check
      // says only that it fails.
      const since = c.seconds > 0 ? ` ${heldPhrase(c)}` : '';
      return `${c.serviceId}: check "${name}" failing${since}${error ? `: ${error}` : ''}`;
    },
    resolvedMessage: (c) =>
      c.staleSeconds !== undefined
        ? `${c.serviceId}: check "${name}" not run for ${formatDuration(c.staleSeconds)}, resolved after ${formatDuration(c.seconds)}`
        : `${c.serviceId}: check "${name}" passing again, resolved after ${formatDuration(c.seconds)}`,
  };
}

/**
 * The rules a configuration asks for, in a fixed order (static rules, anomaly rules, SLO rules,
 * checks); a rule set to `false` is left out. The anomaly rules judge `HealthMetrics.anomaly`,
 * which an AnomalyScorer adds before the engine runs; the SLO rules `HealthMetrics.slos`, which
 * an SloTracker adds.
 */
export function buildRules(
  config: Pick<MonitoringConfig, 'errorThreshold' | 'responseTimeThreshold' | 'resourceThresholds' | 'checks'> & {
    anomaly?: AnomalyConfig | false;
    slos?: readonly SloConfig[];
  },
): RuleDefinition[] {
  const rules: RuleDefinition[] = [];
  const gate = (c: RuleConfig, m: DerivedHealthMetrics): boolean => m.requestCount > 0 && m.requestCount >= (c.minRequests ?? 0);
  const e = config.errorThreshold;
  if (e) rules.push(thresholdRule('error_rate', 'error rate', formatPercent, e, (m) => (gate(e, m) ? m.errorRate : undefined)));
  const r = config.responseTimeThreshold;
  if (r) {
    rules.push(
      thresholdRule('response_time', 'p95 response time', formatSeconds, r, (m) => (gate(r, m) ? m.responseTime.p95 : undefined)),
    );
  }
  const { cpu, memory, connections, eventLoopDelay } = config.resourceThresholds;
  if (cpu) rules.push(thresholdRule('cpu', 'CPU', formatPercent, cpu, (m) => m.cpu));
  if (memory) rules.push(thresholdRule('memory', 'memory', formatPercent, memory, (m) => m.memory?.utilization));
  if (connections) rules.push(thresholdRule('connections', 'open connections', formatCount, connections, (m) => m.connections));
  if (eventLoopDelay) {
    rules.push(
      thresholdRule('event_loop_delay', 'event-loop delay p99', formatSeconds, eventLoopDelay, (m) => m.eventLoopDelay?.p99),
    );
  }
  if (config.anomaly) rules.push(...anomalyRules(config.anomaly));
  for (const slo of config.slos ?? []) rules.push(sloRule(slo));
  for (const check of config.checks) rules.push(checkRule(check.name, check));
  return rules;
}

// ---------------------------------------------------------------------------------------------
// The engine.

/**
 * The firing alerts of a RuleEngine, in a form that survives a restart (the persisted store):
 * times as ages on the wall clock at `takenAt`, since monotonic times mean nothing in another
 * process. Plain JSON.
 */
export interface RuleEngineSnapshot {
  version: 1;
  /** Wall clock (epoch ms) when it was taken. */
  takenAt: number;
  firing: Array<{
    alert: Alert;
    /** ms between the check that fired it and `takenAt`. */
    firedAgo: number;
    /** Per level up to the alert's: ms between its first sighting and `takenAt`. */
    seenAgo: Array<[MonitoringLevel, number]>;
    /** ms between the last check that judged a value and `takenAt`; the value. */
    judgedAgo?: number;
    lastValue?: number;
  }>;
}

export interface RuleEngineOptions {
  rules: RuleDefinition[];
  /**
   * Seconds without a value to judge after which a firing alert resolves (traffic stopped, a
   * check no longer runs). Default 60.
   */
  staleAfter?: number;
}

/** Times here are monotonic ms (see the module comment). */
interface RuleState {
  /** Per level: when it was first seen (monotonic ms of the first check of the run that reached it). */
  readonly since: Map<MonitoringLevel, number>;
  /** When a value was last judged, monotonic ms. */
  lastJudged?: number;
  lastValue?: number;
  /** The firing alert, if any. */
  alert?: Alert;
  /** When the firing alert fired, monotonic ms (its startsAt is the wall clock's). */
  firedAt?: number;
}

/**
 * Evaluates rules check after check, per service, and keeps the state that needs: per level
 * since when it is reached, and the firing alert. Construct from a parsed MonitoringConfig
 * (staleAfter = 4 × checkInterval) or from explicit rules.
 */
export class RuleEngine {
  private readonly rules: RuleDefinition[];
  private readonly staleAfterMs: number;
  private readonly states = new Map<string, RuleState>();
  /** Rules made on the fly for check results no configuration named (ERROR level). */
  private readonly adHocChecks = new Map<string, RuleDefinition>();

  constructor(source: MonitoringConfig | RuleEngineOptions) {
    if ('rules' in source) {
      this.rules = [...source.rules];
      this.staleAfterMs = (source.staleAfter ?? 60) * 1000;
    } else {
      this.rules = buildRules(source);
      this.staleAfterMs = 4 * source.checkInterval * 1000;
    }
  }

  /** The rules evaluated for a window (configured ones, then any unconfigured check's). */
  private rulesFor(metrics: DerivedHealthMetrics): RuleDefinition[] {
    const extra: RuleDefinition[] = [];
    for (const c of metrics.checks) {
      const name: RuleName = `check:${c.name}`;
      if (this.rules.some((r) => r.name === name)) continue;
      let rule = this.adHocChecks.get(c.name);
      if (rule === undefined) {
        rule = checkRule(c.name);
        this.adHocChecks.set(c.name, rule);
      }
      extra.push(rule);
    }
    // Ad-hoc check rules seen before but absent now still need judging (for staleness).
    for (const [name, rule] of this.adHocChecks) {
      if (!metrics.checks.some((c) => c.name === name)) extra.push(rule);
    }
    return extra.length === 0 ? this.rules : [...this.rules, ...extra];
  }

  /**
   * Judge one window of one service; the alerts that fired, escalated, de-escalated or resolved. `now` is the
   * wall clock (epoch ms: timestamps), `monotonic` a monotonic clock in ms (durations); without
   * it durations are measured on `now`, which a wall-clock step distorts.
   */
  evaluate(metrics: DerivedHealthMetrics, now: number, monotonic: number = now): AlertTransition[] {
    const transitions: AlertTransition[] = [];
    for (const rule of this.rulesFor(metrics)) {
      const key = `${metrics.serviceId}\u0000${rule.name}`;
      let state = this.states.get(key);
      if (state === undefined) {
        state = { since: new Map() };
        this.states.set(key, state);
      }
      const t = this.judge(rule, state, metrics, now, monotonic);
      if (t !== undefined) transitions.push(t);
      if (state.alert === undefined && state.since.size === 0 && state.lastJudged === undefined) this.states.delete(key);
    }
    return transitions;
  }

  private judge(
    rule: RuleDefinition,
    state: RuleState,
    metrics: DerivedHealthMetrics,
    now: number,
    mono: number,
  ): AlertTransition | undefined {
    const raw = rule.value(metrics);
    const value = raw !== undefined && Number.isFinite(raw) ? raw : undefined;
    if (value === undefined) {
      state.since.clear();
      const alert = state.alert;
      if (alert !== undefined && state.lastJudged !== undefined && mono - state.lastJudged >= this.staleAfterMs) {
        const lastValue = state.lastValue ?? alert.value;
        return this.resolve(rule, state, metrics, now, mono, lastValue, alert.threshold, (mono - state.lastJudged) / 1000);
      }
      return undefined;
    }
    state.lastJudged = mono;
    state.lastValue = value;

    // The `for` count is monotonic (with wall time, a forward step would make a level "reached
    // for an hour" at once and a backward one would hold it back for an hour), and starts at the
    // check that first saw the level, not at the start of its window: the level may have been
    // reached only at the window's end, so counting from the start would fire up to a window early.
    const forMs = rule.for * 1000;
    let due: MonitoringLevel | undefined;
    for (const [level, key] of ALERT_LEVELS) {
      const threshold = rule[key];
      if (threshold === undefined) continue;
      if (value >= threshold) {
        if (!state.since.has(level)) state.since.set(level, mono);
        if (mono - state.since.get(level)! >= forMs - 1e-6) due = level;
      } else {
        state.since.delete(level);
      }
    }

    const alert = state.alert;
    if (alert === undefined) {
      if (due === undefined) return undefined;
      const threshold = thresholdOf(rule, due);
      const fired: Alert = {
        rule: rule.name,
        level: due,
        state: 'firing',
        serviceId: metrics.serviceId,
        fingerprint: alertFingerprint(metrics.serviceId, rule.name),
        startsAt: now,
        ...shown(rule, metrics, due, value, threshold),
        message: rule.firingMessage({
          serviceId: metrics.serviceId,
          level: due,
          value,
          threshold,
          seconds: (mono - state.since.get(due)!) / 1000,
          metrics,
        }),
      };
      state.alert = fired;
      state.firedAt = mono;
      return { kind: 'firing', alert: fired, at: now };
    }

    // Hold the firing level (or the highest lower one) while the value meets its recovery bound.
    let held: MonitoringLevel | undefined;
    for (const [level, key] of ALERT_LEVELS) {
      if (levelRank(level) > levelRank(alert.level)) break;
      const threshold = rule[key];
      if (threshold === undefined) continue;
      if (value >= recoveryBound(rule, level)) held = level;
    }
    const next = due !== undefined && (held === undefined || levelRank(due) > levelRank(held)) ? due : held;
    if (next === undefined) {
      return this.resolve(rule, state, metrics, now, mono, value, lowestBound(rule, alert.level));
    }
    if (levelRank(next) > levelRank(alert.level)) {
      const threshold = thresholdOf(rule, next);
      const escalated: Alert = {
        ...alert,
        level: next,
        ...shown(rule, metrics, next, value, threshold),
        message: rule.firingMessage({
          serviceId: metrics.serviceId,
          level: next,
          value,
          threshold,
          seconds: (mono - (state.since.get(next) ?? mono)) / 1000,
          metrics,
        }),
      };
      state.alert = escalated;
      return { kind: 'escalated', alert: escalated, at: now, previousLevel: alert.level };
    }
    if (next === alert.level) {
      state.alert = { ...alert, ...shown(rule, metrics, next, value, alert.threshold) };
      return undefined;
    }
    // A drop while still firing: announced, so a responder (and a sink that keeps per-level
    // state) sees the level the alert is at, and a later resolve is of a level it was told of.
    const threshold = thresholdOf(rule, next);
    const ctx: MessageContext = {
      serviceId: metrics.serviceId,
      level: next,
      value,
      threshold,
      seconds: (mono - (state.since.get(next) ?? mono)) / 1000,
      previousLevel: alert.level,
      bound: recoveryBound(rule, next),
      metrics,
    };
    const message = rule.deEscalatedMessage?.(ctx) ?? `${rule.firingMessage(ctx)} (was ${alert.level})`;
    const deEscalated: Alert = { ...alert, level: next, ...shown(rule, metrics, next, value, threshold), message };
    state.alert = deEscalated;
    return { kind: 'de-escalated', alert: deEscalated, at: now, previousLevel: alert.level };
  }

  private resolve(
    rule: RuleDefinition,
    state: RuleState,
    metrics: DerivedHealthMetrics,
    now: number,
    mono: number,
    value: number,
    bound: number,
    staleSeconds?: number,
  ): AlertTransition {
    const alert = state.alert!;
    const ctx: MessageContext = {
      serviceId: alert.serviceId,
      level: alert.level,
      value,
      threshold: bound,
      // How long it fired, monotonic: endsAt − startsAt (wall) is off by any step in between.
      seconds: (mono - (state.firedAt ?? mono)) / 1000,
      metrics,
    };
    if (staleSeconds !== undefined) ctx.staleSeconds = staleSeconds;
    const { value: shownValue } = shown(rule, metrics, alert.level, value, alert.threshold);
    const resolved: Alert = { ...alert, state: 'resolved', value: shownValue, endsAt: now, message: rule.resolvedMessage(ctx) };
    state.alert = undefined;
    state.firedAt = undefined;
    state.since.clear();
    return { kind: 'resolved', alert: resolved, at: now };
  }

  /** Alerts firing now, for one service or all. */
  firing(serviceId?: string): Alert[] {
    const out: Alert[] = [];
    for (const state of this.states.values()) {
      if (state.alert !== undefined && (serviceId === undefined || state.alert.serviceId === serviceId)) out.push(state.alert);
    }
    return out;
  }

  /**
   * Judge a window and complete its HealthMetrics with status, level and the firing alerts.
   * `now` and `monotonic` as for evaluate().
   */
  assess(metrics: DerivedHealthMetrics, now: number, monotonic: number = now): { metrics: HealthMetrics; transitions: AlertTransition[] } {
    const transitions = this.evaluate(metrics, now, monotonic);
    const alerts = this.firing(metrics.serviceId);
    const level = highestLevel(alerts);
    return {
      metrics: { ...metrics, status: statusOf(level, hasData(metrics)), level, alerts },
      transitions,
    };
  }

  /**
   * The firing alerts and what judging them next needs, for the store. Pending levels (reached,
   * not yet due) are left out: after a restart their `for` counts again from the first check
   * that sees them, as nothing says the level held while the process was down.
   */
  snapshot(now: number, monotonic: number = now): RuleEngineSnapshot {
    const firing: RuleEngineSnapshot['firing'] = [];
    for (const state of this.states.values()) {
      const alert = state.alert;
      if (alert === undefined) continue;
      const seenAgo: Array<[MonitoringLevel, number]> = [];
      for (const [level, since] of state.since) if (levelRank(level) <= levelRank(alert.level)) seenAgo.push([level, monotonic - since]);
      const entry: RuleEngineSnapshot['firing'][number] = { alert, firedAgo: monotonic - (state.firedAt ?? monotonic), seenAgo };
      if (state.lastJudged !== undefined) entry.judgedAgo = monotonic - state.lastJudged;
      if (state.lastValue !== undefined) entry.lastValue = state.lastValue;
      firing.push(entry);
    }
    return { version: 1, takenAt: now, firing };
  }

  /**
   * Take back the firing alerts of a snapshot (a restart on the same store): they are firing
   * again without a `firing` transition (no second notification), and their `resolved` comes
   * once, when a check finds the condition cleared (or no data for staleAfter). The time the
   * process was down (now − takenAt, 0 when the wall clock went back) ages everything; a
   * firing alert of a rule no longer configured is dropped. Returns the alerts taken back.
   */
  restore(snapshot: RuleEngineSnapshot, now: number, monotonic: number = now): Alert[] {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.firing)) return [];
    const down = Math.max(0, now - snapshot.takenAt);
    const known = new Set(this.rules.map((r) => r.name));
    const taken: Alert[] = [];
    for (const entry of snapshot.firing) {
      const alert = entry?.alert;
      if (alert === undefined || alert.state !== 'firing') continue;
      if (!known.has(alert.rule)) {
        // A check no configuration names (an ad-hoc check rule): judged again like one seen before.
        if (!alert.rule.startsWith('check:')) continue;
        const name = alert.rule.slice('check:'.length);
        if (!this.adHocChecks.has(name)) this.adHocChecks.set(name, checkRule(name));
      }
      const state: RuleState = { since: new Map(), alert, firedAt: monotonic - down - Math.max(0, entry.firedAgo) };
      for (const [level, ago] of entry.seenAgo ?? []) state.since.set(level, monotonic - down - Math.max(0, ago));
      if (entry.judgedAgo !== undefined) state.lastJudged = monotonic - down - Math.max(0, entry.judgedAgo);
      if (entry.lastValue !== undefined) state.lastValue = entry.lastValue;
      this.states.set(`${alert.serviceId}\u0000${alert.rule}`, state);
      taken.push(alert);
    }
    return taken;
  }

  /** Forget a service's state (or everyone's): its firing alerts vanish without transitions. */
  reset(serviceId?: string): void {
    if (serviceId === undefined) {
      this.states.clear();
      return;
    }
    for (const key of [...this.states.keys()]) if (key.startsWith(`${serviceId}\u0000`)) this.states.delete(key);
  }
}

/** What an alert of the rule carries as value and threshold at `level` (RuleDefinition.shown). */
function shown(
  rule: RuleDefinition,
  metrics: DerivedHealthMetrics,
  level: MonitoringLevel,
  value: number,
  threshold: number,
): { value: number; threshold: number } {
  return rule.shown?.(metrics, level) ?? { value, threshold };
}

function thresholdOf(rule: RuleDefinition, level: MonitoringLevel): number {
  const key = ALERT_LEVELS.find(([l]) => l === level)![1];
  return rule[key]!;
}

/** The lowest recovery bound of the levels up to `level`: below it a firing alert resolves. */
function lowestBound(rule: RuleDefinition, level: MonitoringLevel): number {
  let bound = Infinity;
  for (const [l, key] of ALERT_LEVELS) {
    if (levelRank(l) > levelRank(level)) break;
    if (rule[key] !== undefined) bound = Math.min(bound, recoveryBound(rule, l));
  }
  return Number.isFinite(bound) ? bound : 0;
}

function lowestLevel(rule: RuleDefinition): MonitoringLevel | undefined {
  return ALERT_LEVELS.find(([, key]) => rule[key] !== undefined)?.[0];
}

/** Below this a firing level no longer holds. */
export function recoveryBound(rule: RuleDefinition, level: MonitoringLevel): number {
  if (rule.recoveryThreshold !== undefined && level === lowestLevel(rule)) return rule.recoveryThreshold;
  return rule.recovery * thresholdOf(rule, level);
}
