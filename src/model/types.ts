/**
 * The shared vocabulary (every folder may import it; it imports nothing of ours): one check's HealthMetrics, custom check results, alerts and their
 * transitions. Units are in each field's comment; times are epoch milliseconds unless a field
 * says seconds.
 */

/** Severity of a service's state and of an alert. A string enum: the values are what is logged. */
export enum MonitoringLevel {
  /** Normal operation. */
  INFO = 'INFO',
  /** Potential issue: status `degraded`. */
  WARNING = 'WARNING',
  /** Service degraded for its users: status `unhealthy`. */
  ERROR = 'ERROR',
  /** Immediate action required: status `unhealthy`. */
  CRITICAL = 'CRITICAL',
}

/**
 * `healthy` (level INFO), `degraded` (WARNING), `unhealthy` (ERROR or CRITICAL), `unknown` (the
 * check window held no data at all: see `hasData` in evaluator/rules.ts).
 */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

/** The outcome of one custom health check in one check. */
export interface CheckResult {
  /** The check's name, as configured; its alert rule is `check:<name>`. */
  name: string;
  /** true when the check resolved without throwing, in time, and did not return `false`. */
  ok: boolean;
  /** How long the check ran, in milliseconds (up to its timeout). */
  durationMs: number;
  /** Why it failed: the error's message, or `timed out after <n>s`. Absent when ok. */
  error?: string;
  /** true when the check was abandoned at its timeout. */
  timedOut?: boolean;
}

/** Response times of the window's requests and operations, in seconds (0 when there were none). */
export interface ResponseTimes {
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Memory of the process at the end of the window, in bytes. */
export interface MemoryUsage {
  /** Resident set size (`process.memory.usage`). */
  rss?: number;
  /** V8 heap in use, summed over heap spaces (`v8js.memory.heap.used`). */
  heapUsed?: number;
  /** V8 heap size limit (`otel_health.v8js.heap.size_limit`: --max-old-space-size and young gen). */
  heapLimit?: number;
  /** cgroup memory limit (`otel_health.process.memory.limit`); absent outside a limited cgroup. */
  limit?: number;
  /**
   * 0..1: the larger of rss / limit (when a cgroup limit is set: the OOM killer's view) and
   * heapUsed / heapLimit (V8's out-of-memory view). Absent when neither ratio can be formed.
   */
  utilization?: number;
}

/**
 * Event-loop delay over the window, in seconds, and utilisation: the delay beyond the sampling
 * interval, i.e. `nodejs.eventloop.delay.*` (whole intervals between the histogram timer's
 * turns) minus the resolution, never below 0. An idle loop reads about 0.
 */
export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
  /** 0..1, `nodejs.eventloop.utilization`; absent when not reported. */
  utilization?: number;
}

/**
 * HealthMetrics as derived from one collect, before the rules ran: everything but `status`,
 * `level` and `alerts`. See `deriveHealthMetrics` in evaluator/derive.ts.
 */
export interface DerivedHealthMetrics {
  /** The service these metrics describe (its `service.name`). */
  serviceId: string;
  /** End of the check window, epoch milliseconds. */
  timestamp: number;
  /** Length of the check window in seconds: the time since the previous check. */
  windowSeconds: number;
  /**
   * Requests and operations completed in the window: `http.server.request.duration` points
   * plus `otel_health.operation.duration` points (manual API: jobs, queue messages).
   */
  requestCount: number;
  /** Of `requestCount`, how many were operations of the manual API. */
  operationCount: number;
  /** requestCount / windowSeconds, per second (0 for an empty or zero-length window). */
  requestRate: number;
  /**
   * Failed requests and operations: HTTP status ≥ 500, or an `error.type` attribute (a request
   * aborted or thrown, a failed operation). 4xx are the client's errors and do not count.
   */
  errorCount: number;
  /** errorCount / requestCount, 0..1 (0 when there were no requests). */
  errorRate: number;
  /** Over the same requests and operations as requestCount, in seconds. */
  responseTime: ResponseTimes;
  /**
   * CPU utilisation 0..1 of the CPUs available to the process (cgroup quota aware), over the
   * window (`process.cpu.utilization`). Absent when the collect held no CPU sample.
   */
  cpu?: number;
  /** Absent when the collect held no memory metric at all. */
  memory?: MemoryUsage;
  /** Open HTTP server connections at the end of the window (0 when none are reported). */
  connections: number;
  /** Absent when the collect held no event-loop metric. */
  eventLoopDelay?: EventLoopDelay;
  /** The custom checks' results of this check, in configuration order. */
  checks: CheckResult[];
  /**
   * Anomaly scores (0..1) of this check, per series the `anomaly` option watches: how unusual
   * the series' value is against the service's own history (evaluator/anomaly-scorer.ts). A series
   * is absent while its detector warms up, and in a window that gives it no value (fewer
   * requests than `minRequests`, no CPU sample). Absent altogether when the option is off.
   */
  anomaly?: AnomalyScores;
  /**
   * Per service level objective (the `slos` option), the events its indicator counted in this
   * window: requests and operations (`total`) and those that met it (`good`). Absent when no
   * objective applies to the service. What the persisted store keeps per check, so an error
   * budget covers the whole objective window across restarts.
   */
  sloEvents?: Record<string, SloEvents>;
  /** Per service level objective, its error budget and burn rates after this check (evaluator/slo/). */
  slos?: Record<string, SloStatus>;
}

/** What a service level indicator counted: events that met the objective, out of all. */
export interface SloEvents {
  good: number;
  total: number;
}

/**
 * The burn-rate alerts of an objective, after the SRE Workbook's "Alerting on SLOs" (a 30-day
 * window: `fast` 2 % of the budget in 1 h, `slow` 5 % in 6 h, `ticket` 10 % in 3 days).
 */
export const SLO_ALERTS = ['fast', 'slow', 'ticket'] as const;
export type SloAlertName = (typeof SLO_ALERTS)[number];

/** One burn-rate alert of an objective: its two windows and their burn rates after a check. */
export interface BurnRateAlert {
  alert: SloAlertName;
  /** The alert's level when both windows burn at `burnRate` or faster. */
  level: MonitoringLevel;
  /** Budget spent this many times faster than the objective allows: 14.4, 6, 1 for the workbook's alerts. */
  burnRate: number;
  /** Seconds. */
  longWindow: number;
  /** Seconds (1/12 of the long window: it confirms the burn is still going on, and ends the alert soon after it stops). */
  shortWindow: number;
  /** Burn rate over the long window: (bad / total) / (1 − objective); absent when the window holds no event. */
  long?: number;
  /** Burn rate over the short window; absent when the window holds no event. */
  short?: number;
  /** Both windows at or above `burnRate`. */
  burning: boolean;
}

/** A service level objective's state after a check (`HealthMetrics.slos`, `/health`, status page). */
export interface SloStatus {
  name: string;
  /** Good events / all events the objective asks for, e.g. 0.999. */
  objective: number;
  /** The objective's window, seconds (default 30 days). */
  window: number;
  indicator: 'availability' | 'latency';
  /** Latency indicator: a good event took at most this many seconds. */
  threshold?: number;
  /** Only requests of this route template count. */
  route?: string;
  /** Events counted over the part of the window covered (`covered`). */
  good: number;
  total: number;
  /**
   * Seconds of the window the counts cover: the whole window once that much history exists; less
   * for a younger process without the persisted store (its lifetime) or a younger store.
   */
  covered: number;
  /** 1 − (bad / total) / (1 − objective): 1 untouched, 0 spent, below 0 overspent; 1 with no events. */
  budgetRemaining: number;
  burnRates: BurnRateAlert[];
}

/**
 * A window's response times as an exponential histogram (seconds): what the persisted store
 * keeps per check so its downsampled tiers merge percentiles instead of averaging them.
 */
export interface LatencyHistogram {
  scale: number;
  /** Values that were exactly zero (or below the smallest bucket). */
  zeroCount: number;
  /** Bucket index of counts[0]. */
  offset: number;
  counts: number[];
  /** Sum of the values. */
  sum: number;
  /** Smallest and largest value (0 when empty in a stored row). */
  min: number;
  max: number;
}

/**
 * The series the anomaly rule can watch, each a value the evaluator already derives:
 * p95 response time, error rate, request rate, CPU and memory utilisation, event-loop delay p99,
 * open connections.
 */
export const ANOMALY_SERIES = [
  'response_time',
  'error_rate',
  'request_rate',
  'cpu',
  'memory',
  'event_loop_delay',
  'connections',
] as const;
export type AnomalySeries = (typeof ANOMALY_SERIES)[number];

/** Anomaly score 0..1 per series judged in a check. */
export type AnomalyScores = Partial<Record<AnomalySeries, number>>;

/** One check's picture of a service: what `monitor.monitorService()` resolves to. */
export interface HealthMetrics extends DerivedHealthMetrics {
  status: HealthStatus;
  /** The highest level among firing alerts; INFO when none fires. */
  level: MonitoringLevel;
  /** Alerts firing after this check (snapshots). */
  alerts: Alert[];
}

/** Alert rule names: the `health.alert.rule` attribute. */
export type RuleName =
  | 'error_rate'
  | 'response_time'
  | 'cpu'
  | 'memory'
  | 'connections'
  | 'event_loop_delay'
  | `check:${string}`
  | `anomaly:${AnomalySeries}`
  | `slo:${string}`;

/** An alert of one rule for one service. Immutable snapshot: each transition carries a new one. */
export interface Alert {
  /** The rule's name, e.g. `error_rate` or `check:database`. */
  rule: RuleName;
  /** The level firing (for a resolved alert: the level that was firing when it resolved). */
  level: MonitoringLevel;
  state: 'firing' | 'resolved';
  /**
   * The rule's value at the transition, in the rule's unit: error rate 0..1, p95 response time
   * s, CPU and memory utilisation 0..1, open connections, event-loop delay p99 s, a check 1
   * (failing) or 0.
   */
  value: number;
  /** The threshold of `level`, in the same unit as `value`. */
  threshold: number;
  serviceId: string;
  /** Stable hash of service and rule (not level): the same alert across escalations. */
  fingerprint: string;
  /** When the alert fired, epoch ms. */
  startsAt: number;
  /** When it resolved, epoch ms; absent while firing. */
  endsAt?: number;
  /** One readable sentence, e.g. `checkout: error rate 23.4% ≥ 10% since first seen 30s ago`. */
  message: string;
}

/**
 * A change of an alert, or a notification about one:
 * - `firing`: it fired (a new incident);
 * - `escalated` / `de-escalated`: while firing, its level rose / fell (`previousLevel` is the
 *   level before);
 * - `resolved`: it stopped firing (its `level` is the level that was firing);
 * - `flapping`: made by the alert pipeline, not the rule engine: the alert changed so often
 *   within the flap window that its single changes are folded into this one notification
 *   (`flapping` says how often); `alert` is its state when the notification went out. When it
 *   settles, the pipeline delivers its true state as a plain `firing` or `resolved`.
 */
export interface AlertTransition {
  kind: 'firing' | 'escalated' | 'de-escalated' | 'resolved' | 'flapping';
  alert: Alert;
  /** When the transition happened (the check's `now`), epoch ms. */
  at: number;
  /** For `escalated` and `de-escalated`: the level before. */
  previousLevel?: MonitoringLevel;
  /** For `flapping`: how many changes within how long. */
  flapping?: { changes: number; windowSeconds: number };
}
