/**
 * The anomaly rules (`anomaly: …`): each check, one AnomalyDetector per service and series scores
 * the series' value of the window against that series' own history, and a rule
 * `anomaly:<series>` judges the score (0..1) with levels, `for` and hysteresis like every other
 * rule (rules.ts).
 *
 * A point is one check's value of the series (the p95 of the window's requests, its error rate,
 * its request rate, the CPU utilisation over it, …): the detector counts points, not seconds, so
 * its warm-up and memory are in checks (`warmup`, default 64: 16 min at 15 s checks).
 *
 * Which windows give a point (a window without one is skipped: nothing learned, the rule not
 * judged, and a firing anomaly alert resolves after `staleAfter` as any rule's does):
 * - response_time, error_rate: at least `minRequests` requests or operations (default 5), as the
 *   static rules; an idle service is not compared with its busy self;
 * - request_rate: every window of non-zero length, zero included (traffic that collapses is an
 *   anomaly; an hour of no traffic is learned as a quiet hour);
 * - cpu, memory, event_loop_delay: when the collect held the sample; connections: always.
 *
 * Until a series' detector has learned `warmup` points its score is not given (the series is
 * absent from `HealthMetrics.anomaly`): a new service, or one restarted, is not judged on what it
 * has not seen.
 *
 * Cost per check: one detector step per watched series (about 0.56 µs in a loop; the whole step
 * for the four default series 20–27 µs once per check with cold caches, a check about 40 µs
 * dearer with `anomaly: true`: bench/anomaly-cost.ts, bench/RESULTS-anomaly.md). Memory: one
 * detector per service and series (45.9 KiB each, measured there), bounded by the services
 * monitored; `reset(serviceId)` forgets them.
 */
import type { AnomalyConfig } from '../config/index.js';
import {
  formatDuration,
  trimZeros,
  type AnomalyScores,
  type AnomalySeries,
  type DerivedHealthMetrics,
} from '../model/index.js';
import { AnomalyDetector, type AnomalyDetectorOptions } from './anomaly.js';
import { formatPercent, formatSeconds, heldPhrase, type MessageContext, type RuleDefinition } from './rule-definition.js';

/** How a series reads from a window, and how it is named and printed in messages. */
interface SeriesDefinition {
  label: string;
  format(value: number): string;
  /** The series' value in this window, or undefined when the window gives it no point. */
  value(metrics: DerivedHealthMetrics, minRequests: number): number | undefined;
}

const requestGated =
  (read: (m: DerivedHealthMetrics) => number) =>
  (m: DerivedHealthMetrics, minRequests: number): number | undefined =>
    m.requestCount > 0 && m.requestCount >= minRequests ? read(m) : undefined;

export const ANOMALY_SERIES_DEFINITIONS: Readonly<Record<AnomalySeries, SeriesDefinition>> = {
  response_time: { label: 'p95 response time', format: formatSeconds, value: requestGated((m) => m.responseTime.p95) },
  error_rate: { label: 'error rate', format: formatPercent, value: requestGated((m) => m.errorRate) },
  request_rate: {
    label: 'request rate',
    format: (v) => `${trimZeros(v.toFixed(v < 10 ? 2 : 1))}/s`,
    value: (m) => (m.windowSeconds > 0 ? m.requestRate : undefined),
  },
  cpu: { label: 'CPU', format: formatPercent, value: (m) => m.cpu },
  memory: { label: 'memory', format: formatPercent, value: (m) => m.memory?.utilization },
  event_loop_delay: { label: 'event-loop delay p99', format: formatSeconds, value: (m) => m.eventLoopDelay?.p99 },
  connections: { label: 'open connections', format: (v) => String(Math.round(v)), value: (m) => m.connections },
};

function formatScore(score: number): string {
  return trimZeros(score.toFixed(3));
}

/**
 * One detector per service and watched series; `score()` adds the window's scores to its
 * metrics. With the option off, metrics pass through unchanged.
 */
export class AnomalyScorer {
  private readonly detectors = new Map<string, Map<AnomalySeries, AnomalyDetector>>();

  /** `detectorOptions`: the detector's own parameters (tests, benchmarks); warm-up is `config.warmup`. */
  constructor(
    private readonly config: AnomalyConfig | false,
    private readonly detectorOptions: AnomalyDetectorOptions = {},
  ) {}

  /** The window's metrics with `anomaly` set to the scores of the series judged this check. */
  score(metrics: DerivedHealthMetrics): DerivedHealthMetrics {
    const config = this.config;
    if (config === false) return metrics;
    let detectors = this.detectors.get(metrics.serviceId);
    if (detectors === undefined) {
      detectors = new Map();
      this.detectors.set(metrics.serviceId, detectors);
    }
    const scores: AnomalyScores = {};
    for (const series of config.series) {
      const value = ANOMALY_SERIES_DEFINITIONS[series].value(metrics, config.minRequests);
      if (value === undefined || !Number.isFinite(value)) continue;
      let detector = detectors.get(series);
      if (detector === undefined) {
        // The detector scores 0 while it warms up; the scorer withholds those scores, so a
        // warming series is "not judged" (absent), not "judged normal" (0).
        detector = new AnomalyDetector({ ...this.detectorOptions, warmup: config.warmup });
        detectors.set(series, detector);
      }
      const judged = detector.learned >= config.warmup;
      const score = detector.score(value, metrics.timestamp);
      if (judged) scores[series] = score;
    }
    return { ...metrics, anomaly: scores };
  }

  /** Points learned so far by a service's detector of one series (0 when none). */
  learned(serviceId: string, series: AnomalySeries): number {
    return this.detectors.get(serviceId)?.get(series)?.learned ?? 0;
  }

  /** Forget a service's detectors (or everyone's): they learn again from scratch. */
  reset(serviceId?: string): void {
    if (serviceId === undefined) this.detectors.clear();
    else this.detectors.delete(serviceId);
  }
}

/** The rules `anomaly:<series>` of the configuration, in its order of series. */
export function anomalyRules(config: AnomalyConfig): RuleDefinition[] {
  return config.series.map((series) => anomalyRule(series, config));
}

function anomalyRule(series: AnomalySeries, config: AnomalyConfig): RuleDefinition {
  const { label, format, value } = ANOMALY_SERIES_DEFINITIONS[series];
  // The series' own value in the message: what a responder looks at first, beside the score.
  const observed = (c: MessageContext): string => {
    const v = value(c.metrics, config.minRequests);
    return v === undefined ? label : `${label} ${format(v)}`;
  };
  const rule: RuleDefinition = {
    name: `anomaly:${series}`,
    for: config.for,
    recovery: config.recovery,
    value: (m) => m.anomaly?.[series],
    firingMessage: (c) => {
      const phrase = heldPhrase(c);
      const base = `${c.serviceId}: unusual ${observed(c)} (anomaly score ${formatScore(c.value)} ≥ ${formatScore(c.threshold)})`;
      return phrase === '' ? base : `${base} ${phrase}`;
    },
    deEscalatedMessage: (c) =>
      `${c.serviceId}: unusual ${observed(c)} (anomaly score ${formatScore(c.value)}, ${c.level} held while ≥ ${formatScore(c.bound ?? c.threshold)}) (was ${c.previousLevel})`,
    resolvedMessage: (c) =>
      c.staleSeconds !== undefined
        ? `${c.serviceId}: ${label}: no data for ${formatDuration(c.staleSeconds)}, resolved after ${formatDuration(c.seconds)}`
        : `${c.serviceId}: ${observed(c)} no longer unusual (anomaly score ${formatScore(c.value)} < ${formatScore(c.threshold)}), resolved after ${formatDuration(c.seconds)}`,
  };
  if (config.warning !== undefined) rule.warning = config.warning;
  if (config.error !== undefined) rule.error = config.error;
  if (config.critical !== undefined) rule.critical = config.critical;
  if (config.recoveryThreshold !== undefined) rule.recoveryThreshold = config.recoveryThreshold;
  return rule;
}
