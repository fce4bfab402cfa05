import { EventEmitter } from 'node:events';
import { reportInternalError, type Alert, type AlertTransition, type HealthMetrics, type LatencyHistogram, type LoggerLike as Logger } from '../model/index.js';
import type { MonitoringConfig } from '../config/index.js';
import { HealthHistory, AlertHistory, sloEventsSince, type HistoryStore, type HistoryQuery, type HistoryRow, type AlertHistoryEntry } from '../history/index.js';
import { AlertPipeline, realScheduler, type AlertPipelineSnapshot, type Scheduler, type Silences, type Sink } from '../alerts/index.js';
import {
  AnomalyScorer,
  CheckRunner,
  deriveHealthMetrics,
  RuleEngine,
  SloTracker,
  type HealthReader,
  type RuleEngineSnapshot,
} from '../evaluator/index.js';

/**
 * The alerting state a restart must keep (issue 14: the persisted store writes it after each
 * check and gives it back at start): the rule engine's firing alerts and the pipeline's
 * notification log, repeat timers and silences. Plain JSON, times as wall-clock ages.
 */
export interface AlertState {
  version: 1;
  rules: RuleEngineSnapshot;
  pipeline: AlertPipelineSnapshot;
}

/** What a HealthMonitor is built from; startHealthMonitoring assembles it. */
export interface HealthMonitorParts {
  config: MonitoringConfig;
  reader: HealthReader;
  /** Where alert log events go. */
  logger: Logger;
  /**
   * Called by shutdown() synchronously, first, before it waits for anything (the check in
   * flight, the flush): work that must happen the moment shutdown begins. startHealthMonitoring
   * turns the status server's /health/ready to 503 here. Runs once; an error it throws is
   * counted in internalErrors and does not stop the shutdown.
   */
  beforeShutdown?: () => void;
  /** Called by shutdown() after the loop stops: flushes and stops what startHealthMonitoring created. */
  onShutdown?: () => Promise<void>;
  /** Wall clock, epoch ms: timestamps of metrics, history rows and alerts. Injected so tests control time. Default Date.now. */
  now?: () => number;
  /**
   * Monotonic clock, ms, for every duration: window lengths, rule `for` and staleness, history
   * retention (a wall-clock step must not distort rates, fire or hold back alerts, or drop
   * history). Default performance.now.
   */
  monotonic?: () => number;
  /** The alert pipeline's clocks and timers. Default: `now`, `monotonic` and unref'd timers. */
  alertScheduler?: Scheduler;
  /** Sinks given as objects, by name: alert routes may name them. */
  alertSinks?: Record<string, Sink>;
  /**
   * The LoggerProvider behind `logger` is otel-health's and the console is where its alerts are
   * read (no OTLP endpoint, or OTEL_LOGS_EXPORTER=console): what goes to the `otel-log` sink
   * goes to the `console` sink too.
   */
  consoleWithOtelLog?: boolean;
  /**
   * The persisted store (issue 14; `store` option), opened and loaded: the monitor takes back its
   * history, alert history and alerting state at construction, and keeps each check's row, each
   * transition and the alerting state in it. Whoever opened it closes it (after shutdown).
   */
  store?: HistoryStore;
}

/** The key of the alerting state in the store. */
const ALERT_STATE_KEY = 'alert-state';

/**
 * The running monitor: every `checkInterval` seconds it collects the HealthReader, derives
 * HealthMetrics, runs the custom checks, evaluates the rules, keeps history and turns alert
 * transitions into OTel log events and 'alert' events. Checks never overlap: the next one is
 * scheduled when the previous ends, so a blocked event loop delays checks instead of piling
 * them up.
 */
export class HealthMonitor extends EventEmitter {
  readonly config: MonitoringConfig;
  private readonly reader: HealthReader;
  private readonly logger: Logger;
  private readonly engine: RuleEngine;
  /** Adds each check's anomaly scores before the rules judge them (a pass-through when `anomaly` is off). */
  private readonly anomalies: AnomalyScorer;
  /** Counts each check's SLO events and adds error budgets and burn rates (none without `slos`). */
  private readonly slos: SloTracker;
  private readonly store: HistoryStore | undefined;
  /** The alerting state last put in the store, its times left out: put again only when it changed. */
  private storedStateKey = '';
  private readonly checks: CheckRunner;
  private readonly metricsHistory: HealthHistory;
  /** Every alert transition, kept for alertHistory(): the record, not the notification pipeline. */
  private readonly alertLog: AlertHistory;
  /** The alert pipeline: dedup, grouping, correlation, inhibition, silences, routes, sinks. */
  readonly alerting: AlertPipeline;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly beforeShutdown: (() => void) | undefined;
  private readonly onShutdown: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastCheckAt: number;
  private inFlight: Promise<HealthMetrics> | undefined;
  private latestMetrics: HealthMetrics | undefined;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;
  /**
   * Internal errors of this monitor (a collect that failed, a listener that threw, an alert
   * stage or sink that threw, a beforeShutdown that threw): counted here, and each reported
   * through `diag` by reportInternalError (once per distinct problem, rate-limited).
   */
  internalErrors = 0;

  constructor(parts: HealthMonitorParts) {
    super();
    this.config = parts.config;
    this.reader = parts.reader;
    this.logger = parts.logger;
    this.now = parts.now ?? Date.now;
    this.monotonic = parts.monotonic ?? (() => performance.now());
    this.beforeShutdown = parts.beforeShutdown;
    this.onShutdown = parts.onShutdown;
    this.engine = new RuleEngine(this.config);
    this.anomalies = new AnomalyScorer(this.config.anomaly);
    this.slos = new SloTracker(this.config.slos, { checkInterval: this.config.checkInterval, serviceName: this.config.serviceName });
    this.checks = new CheckRunner(this.config.checks, this.monotonic);
    this.metricsHistory = new HealthHistory({ retention: this.config.metricsRetention, checkInterval: this.config.checkInterval });
    this.alertLog = new AlertHistory({ retention: this.config.metricsRetention });
    this.alerting = new AlertPipeline(this.config.alertsPlan, {
      logger: this.logger,
      serviceName: this.config.serviceName,
      scheduler: parts.alertScheduler ?? realScheduler(this.now, this.monotonic),
      ...(parts.alertSinks !== undefined ? { sinks: parts.alertSinks } : {}),
      onAdmitted: (transition) => this.emitAlert(transition),
      ...(parts.consoleWithOtelLog === true ? { consoleWithOtelLog: true } : {}),
      onError: (where, error) => this.internalError(where, error),
    });
    this.lastCheckAt = this.monotonic();
    this.store = parts.store;
    if (this.store !== undefined) this.restoreFromStore(this.store);
  }

  /**
   * Take back what an earlier process kept in the store: the retained history rows and alert
   * transitions (their ages on this process's monotonic clock from their wall-clock times) and
   * the alerting state, so a firing alert fires on without a second notification.
   */
  private restoreFromStore(store: HistoryStore): void {
    try {
      const now = this.now();
      const monotonic = this.monotonic();
      const since = now - this.config.metricsRetention * 1000;
      const at = (timestamp: number): number => monotonic - Math.max(0, now - timestamp);
      for (const serviceId of store.serviceIds()) {
        for (const row of store.query(serviceId, { resolution: 'raw', since })) this.metricsHistory.push(row, at(row.timestamp));
      }
      for (const transition of store.transitions({ since })) this.alertLog.push(transition, at(transition.at));
      // Each objective's events over its whole window (the finest rows kept, each check once).
      const sloWindow = Math.max(0, ...this.config.slos.map((slo) => slo.window));
      if (sloWindow > 0) {
        for (const serviceId of store.serviceIds()) this.slos.seed(serviceId, sloEventsSince(store, serviceId, now - sloWindow * 1000));
      }
      const state = store.get<AlertState>(ALERT_STATE_KEY);
      if (state !== undefined) this.restoreAlertState(state);
    } catch (error) {
      this.internalError('store', error);
    }
  }

  /** Keep a check's row, its transitions and (when it changed) the alerting state; never throws. */
  private persist(metrics: HealthMetrics, latency: LatencyHistogram | undefined, transitions: readonly AlertTransition[]): void {
    const store = this.store;
    if (store === undefined) return;
    try {
      // `slos` is derived from the rows' `sloEvents` (kept): not stored.
      const { checks, alerts, slos, ...rest } = metrics;
      void slos;
      store.appendRow({
        ...rest,
        checksFailed: checks.filter((c) => !c.ok).length,
        alertsFiring: alerts.length,
        ...(latency !== undefined ? { latency } : {}),
      });
      for (const transition of transitions) store.appendTransition(transition);
      this.persistAlertState();
      // Tiers, retention and (when due) a compaction, which runs off the check's path.
      store.maintain(metrics.timestamp).catch((error: unknown) => this.internalError('store', error));
    } catch (error) {
      this.internalError('store', error);
    }
  }

  private persistAlertState(): void {
    const state = this.alertState();
    // Ages and takenAt change at every check; what matters is what fires, was told and is silenced.
    const key = JSON.stringify([
      state.rules.firing.map((f) => [f.alert.fingerprint, f.alert.level, f.alert.state]),
      state.pipeline.active.map((a) => [a.fingerprint, a.level]),
      state.pipeline.notified,
      state.pipeline.silences.map((s) => [s.id, s.expiresAt]),
    ]);
    if (key === this.storedStateKey) return;
    this.store!.put(ALERT_STATE_KEY, state);
    this.storedStateKey = key;
  }

  /** Start the periodic checks (startHealthMonitoring does this). */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.monitorService().finally(() => this.schedule());
    }, this.config.checkInterval * 1000);
    this.timer.unref();
  }

  /**
   * Run a check now and resolve to the latest HealthMetrics. Counts and rates cover the time
   * since the previous check. A call during a running check waits for it, then runs its own.
   */
  async monitorService(serviceId?: string): Promise<HealthMetrics> {
    const previous = this.inFlight;
    const run = (async () => {
      if (previous !== undefined) await previous.catch(() => undefined);
      return this.check(serviceId ?? this.config.serviceName);
    })();
    this.inFlight = run;
    try {
      return await run;
    } finally {
      if (this.inFlight === run) this.inFlight = undefined;
    }
  }

  private async check(serviceId: string): Promise<HealthMetrics> {
    const [collection, checkResults] = await Promise.all([this.reader.collectForHealth(), this.checks.runAll()]);
    for (const error of collection.errors) this.internalError('collect', error);
    const monotonicNow = this.monotonic();
    const windowSeconds = Math.max(0, (monotonicNow - this.lastCheckAt) / 1000);
    this.lastCheckAt = monotonicNow;
    const now = this.now();
    let latency: LatencyHistogram | undefined;
    const objectives = this.slos.objectivesOf(serviceId);
    const derived = this.anomalies.score(deriveHealthMetrics({
      resourceMetrics: collection.resourceMetrics?.scopeMetrics ? collection.resourceMetrics : undefined,
      windowSeconds,
      now,
      serviceId,
      checks: checkResults,
      // A HealthReader from another copy of the package may lack it: derive's default then.
      ...(typeof this.reader.eventLoopResolution === 'number' ? { eventLoopResolution: this.reader.eventLoopResolution } : {}),
      ...(this.store !== undefined ? { onLatencyHistogram: (h: LatencyHistogram) => (latency = h) } : {}),
      ...(objectives.length > 0 ? { slos: objectives } : {}),
    }));
    const { metrics, transitions } = this.engine.assess(this.slos.track(derived), now, monotonicNow);
    // History ages on the monotonic clock (a forward step must not evict a window of rows) and
    // keeps the wall-clock timestamps.
    this.metricsHistory.push(metrics, monotonicNow);
    this.latestMetrics = metrics;
    this.handleTransitions(transitions, monotonicNow);
    this.persist(metrics, latency, transitions);
    this.emitCheck(metrics);
    return metrics;
  }

  /** 'check' listeners (user code) get every HealthMetrics; one that throws never stops the loop. */
  private emitCheck(metrics: HealthMetrics): void {
    this.emitGuarded('check', metrics);
  }

  /**
   * emit() for user listeners, each guarded: one that throws or rejects is counted in
   * internalErrors and never stops the others or the loop. rawListeners() (not listeners()) so
   * a `once` listener runs through its wrapper, which removes it, and is called only once.
   */
  private emitGuarded(event: 'check' | 'alert', ...args: unknown[]): void {
    for (const listener of this.rawListeners(event)) {
      try {
        const result: unknown = (listener as (...a: unknown[]) => unknown).apply(this, args);
        if (result instanceof Promise) result.catch((error: unknown) => this.internalError(`'${event}' listener`, error));
      } catch (error) {
        this.internalError(`'${event}' listener`, error);
      }
    }
  }

  /** Count an internal error of this monitor and report it (diag, once per distinct problem). */
  private internalError(where: string, error: unknown): void {
    this.internalErrors++;
    reportInternalError(where, error);
  }

  /** Silences of alert notifications: `add({ matchers, expiresAt, comment })`, `list()`, `expire(id)`. */
  get silences(): Silences {
    return this.alerting.silences;
  }

  /**
   * Every transition goes to the alert history first (nothing lost), then the check's
   * transitions go through the alert pipeline, whose suppression affects notification only.
   */
  private handleTransitions(transitions: readonly AlertTransition[], monotonicNow = this.monotonic()): void {
    for (const transition of transitions) this.alertLog.push(transition, monotonicNow);
    this.alerting.push(transitions);
    this.alerting.tick();
  }

  /** The 'alert' event, for each transition the pipeline's dedup stage let through. */
  private emitAlert(transition: AlertTransition): void {
    this.emitGuarded('alert', transition.alert, transition);
  }

  /** The latest HealthMetrics, or undefined before the first check. */
  latest(): HealthMetrics | undefined {
    return this.latestMetrics;
  }

  /**
   * Retained HealthMetrics rows of a service (default: this service), oldest first. With the
   * store, `resolution` picks a tier (see HistoryQuery): a query reaching back past
   * `metricsRetention`, or naming a tier, reads the store's downsampled rows (percentiles from
   * merged histograms); otherwise the checks' own rows in memory.
   */
  history(serviceId?: string, query: HistoryQuery = {}): HistoryRow[] {
    const id = serviceId ?? this.config.serviceName;
    const store = this.store;
    const resolution = query.resolution ?? 'auto';
    const withinRaw = query.since === undefined || query.since >= this.now() - this.config.metricsRetention * 1000;
    if (store === undefined || resolution === 'raw' || resolution === 0 || (resolution === 'auto' && withinRaw)) {
      return this.metricsHistory.query(id, query);
    }
    try {
      return store.query(id, query).map(({ latency, ...row }) => (void latency, row));
    } catch (error) {
      this.internalError('store', error);
      return this.metricsHistory.query(id, query);
    }
  }

  /** Retained alert transitions, oldest first. */
  alertHistory(query: { since?: number } = {}): AlertHistoryEntry[] {
    return this.alertLog.query(query);
  }

  /** Alerts firing now. */
  firingAlerts(): Alert[] {
    return this.engine.firing();
  }

  /** The alerting state a restart must keep (see AlertState). */
  alertState(): AlertState {
    return { version: 1, rules: this.engine.snapshot(this.now(), this.monotonic()), pipeline: this.alerting.snapshot() };
  }

  /**
   * Take back the alerting state of an earlier process on the same store, before the first
   * check: its firing alerts fire on without a second `firing` notification, and each sends
   * its `resolved` once, when a check finds it cleared. Returns the alerts taken back; a state
   * of another version gives none.
   */
  restoreAlertState(state: AlertState): Alert[] {
    if (state?.version !== 1) return [];
    const alerts = this.engine.restore(state.rules, this.now(), this.monotonic());
    this.alerting.restore(state.pipeline);
    return alerts;
  }

  /**
   * Run the `beforeShutdown` part, stop the checks, then flush and stop everything
   * startHealthMonitoring started, then close the alert sinks (what they still hold after the
   * bounded flush is abandoned). Idempotent.
   */
  shutdown(): Promise<void> {
    if (this.shutdownPromise !== undefined) return this.shutdownPromise;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.shutdownPromise = (async () => {
      await this.inFlight?.catch(() => undefined);
      try {
        // The alerting state as it stands (a silence added since the last check included).
        if (this.store !== undefined) {
          try {
            this.persistAlertState();
          } catch (error) {
            this.internalError('store', error);
          }
        }
        await this.onShutdown?.();
      } finally {
        // Last, after the bounded flush: a webhook still sending to a slow or hanging receiver
        // would otherwise hold the process open after shutdown() resolved.
        this.alerting.close();
      }
    })();
    // Now, before any of the above gets past its first await (and after shutdownPromise is set,
    // so a beforeShutdown that calls shutdown() gets this promise).
    try {
      this.beforeShutdown?.();
    } catch (error) {
      this.internalError('beforeShutdown', error);
    }
    return this.shutdownPromise;
  }
}
