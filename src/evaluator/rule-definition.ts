/**
 * What a rule is (RuleDefinition: its levels, `for`, hysteresis, the value it judges and its
 * messages) and how its messages print numbers and durations. Shared by the static rules
 * (rules.ts) and the anomaly rules (anomaly-scorer.ts); the engine that judges them is rules.ts.
 */
import type { LevelThresholds } from '../config/index.js';
import { formatDuration, trimZeros, type DerivedHealthMetrics, type MonitoringLevel, type RuleName } from '../model/index.js';

// ---------------------------------------------------------------------------------------------
// Formatting.

export function formatPercent(ratio: number): string {
  const p = ratio * 100;
  return `${trimZeros(p.toFixed(Math.abs(p) < 1 ? 2 : 1))}%`;
}

export function formatSeconds(s: number): string {
  if (s >= 1) return `${trimZeros(s.toFixed(2))}s`;
  const ms = s * 1000;
  return `${trimZeros(ms.toFixed(ms < 10 ? 1 : 0))}ms`;
}

export function formatCount(n: number): string {
  return String(Math.round(n));
}

// ---------------------------------------------------------------------------------------------
// Rules.

/** What a message is about. */
export interface MessageContext {
  serviceId: string;
  /** The level concerned: the one firing, escalated to or dropped to; the one firing when resolved. */
  level: MonitoringLevel;
  value: number;
  /** The threshold of the level concerned (firing/escalated/de-escalated) or the recovery bound (resolved). */
  threshold: number;
  /**
   * Seconds. Firing and escalated: since the level was first seen, i.e. since the first check of
   * the run of checks that reached it (0 on that check itself: see `heldPhrase`). Resolved: how
   * long the alert fired, since the check that fired it.
   */
  seconds: number;
  /** Resolved because no value could be judged for this many seconds. */
  staleSeconds?: number;
  /** De-escalated: the level it dropped from. */
  previousLevel?: MonitoringLevel;
  /** De-escalated: the recovery bound of `level`, which the alert holds while the value meets. */
  bound?: number;
  metrics: DerivedHealthMetrics;
}

/**
 * How long a firing level has held, as far as the checks can know: `over the last 15s` on the
 * first check that sees it (the check's window: the level was reached somewhere within it),
 * `since first seen 30s ago` on later ones. Empty for a first check of a zero-length window.
 */
export function heldPhrase(c: Pick<MessageContext, 'seconds' | 'metrics'>): string {
  if (c.seconds > 0) return `since first seen ${formatDuration(c.seconds)} ago`;
  return c.metrics.windowSeconds > 0 ? `over the last ${formatDuration(c.metrics.windowSeconds)}` : '';
}

export function withPhrase(sentence: string, phrase: string): string {
  return phrase === '' ? sentence : `${sentence} ${phrase}`;
}

export interface RuleDefinition extends LevelThresholds {
  name: RuleName;
  /** Seconds a level must be reached before it fires or escalates. */
  for: number;
  /** A firing level holds while value ≥ recovery × its threshold. */
  recovery: number;
  /** For the lowest level: resolve only below this value (instead of recovery × threshold). */
  recoveryThreshold?: number;
  /** The rule's value in this window; undefined when it cannot be judged. */
  value(metrics: DerivedHealthMetrics): number | undefined;
  /**
   * The value and threshold its alerts carry at `level`, when they are not the judged value and
   * level threshold (an SLO rule judges the rank of the level reached and shows a burn rate).
   * Default: the judged value and the level's threshold.
   */
  shown?(metrics: DerivedHealthMetrics, level: MonitoringLevel): { value: number; threshold: number } | undefined;
  /** Firing and escalated (and de-escalated, unless `deEscalatedMessage` is given). */
  firingMessage(ctx: MessageContext): string;
  /** De-escalated: `ctx.previousLevel` and `ctx.bound` are set. Default: the firing message + ` (was <previous>)`. */
  deEscalatedMessage?(ctx: MessageContext): string;
  resolvedMessage(ctx: MessageContext): string;
}

