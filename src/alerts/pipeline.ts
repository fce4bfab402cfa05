/**
 * The alert pipeline, built from the `alerts` configuration: two sequences of Stages joined by
 * the group stage, then the sinks.
 *
 *   transitions ─► (alert history, by the monitor)
 *     ─► intake   = sequence(dedup (flap detection over `cooldown`, repeatInterval),
 *                            group (groupWait, groupInterval: holds, emits later))
 *     ─► delivery = sequence(correlate, inhibit, silence, resolve-filter, route)
 *     ─► sinks (fanned out, isolated; the console sink too, for the default console output)
 *
 * Three entry points, each one call on the sequences: `push` (a check's transitions: `run`),
 * `tick` (once per check: `tick`, whose notifications — dedup's repeats and settled states —
 * enter the intake after dedup, then `prune` of every stage) and `flush` (shutdown: `flush`).
 * Suppression only ever affects notification. Every stage takes its time from one injected
 * Scheduler: durations from its monotonic clock, timestamps and silences from its wall clock.
 * A stage or sink that throws is reported through `onError` (the monitor: reportInternalError).
 */
import type { LoggerLike as Logger } from '../model/index.js';
import type { Alert, AlertTransition } from '../model/index.js';
import { ActiveAlerts } from './active.js';
import { realScheduler, type Scheduler } from './clock.js';
import { CorrelateStage } from './correlate.js';
import { DedupStage } from './dedup.js';
import { GroupStage } from './group.js';
import { InhibitStage } from './inhibit.js';
import { RouteStage } from './route.js';
import type { AlertsPlan, SinkPlan } from '../config/index.js';
import { SilenceStage, Silences, type Silence } from './silence.js';
import { fanOut, notificationsByService, sequence, type Notification, type NotifiedTransition, type Sink, type SinkStats, type Stage, type StageContext } from './stage.js';
import { CallbackSink } from './sinks/callback.js';
import { ConsoleSink } from './sinks/console.js';
import { OtelLogSink } from './sinks/otel-log.js';
import { WebhookSink, type WebhookDeps } from './sinks/webhook.js';
import { AlertmanagerSink, type AlertmanagerDeps } from './sinks/alertmanager.js';

export interface AlertPipelineDeps {
  /** Where the otel-log sink emits. */
  logger?: Logger;
  /** `service.name` on the log records. */
  serviceName: string;
  /** Clocks and timers (default: Date.now, performance.now and unref'd timers). */
  scheduler?: Scheduler;
  /** Webhook retries: sleep, jitter, fetch, report. */
  webhook?: WebhookDeps;
  /** Alertmanager sinks' retries and host name (their clocks and re-send timer are `scheduler`). */
  alertmanager?: Omit<AlertmanagerDeps, 'scheduler'>;
  /** Sinks given as objects, by name (routes may name them). */
  sinks?: Record<string, Sink>;
  /** Each transition that passed dedup (the monitor's 'alert' event). */
  onAdmitted?: (transition: AlertTransition) => void;
  /** A stage or sink that threw. */
  onError?: (where: string, error: unknown) => void;
  /** Console sink's writer. */
  write?: (line: string) => void;
  /**
   * The console is where `otel-log` records would be read (the LoggerProvider otel-health
   * created has no OTLP endpoint, or OTEL_LOGS_EXPORTER asks for the console): every
   * notification routed to the `otel-log` sink goes to the `console` sink as well, right after
   * it (once, if the route names `console` too).
   */
  consoleWithOtelLog?: boolean;
}

export interface AlertPipelineStats {
  /** Transitions pushed (all of them: the alert history's count). */
  transitions: number;
  /** Transitions folded into a `flapping` notification (the alert history has them all). */
  deduplicated: number;
  /** `flapping` notifications. */
  flapping: number;
  repeats: number;
  inhibited: number;
  silenced: number;
  /** Notifications formed by grouping. */
  groups: number;
  /** Notifications handed to sinks (one per route taken). */
  notifications: number;
  /** Groups in memory and transitions waiting in them. */
  pending: { groups: number; pending: number };
  active: number;
  sinks: Record<string, SinkStats>;
}

/**
 * Drops an ending whose firing was never notified (inhibited or silenced): a `resolved`, or a
 * `flapping` notice of an alert now resolved. The sink never hears of an alert it was not told
 * about.
 */
class ResolveFilter implements Stage {
  readonly name = 'resolve-filter';
  /** Fingerprints whose firing reached the route stage: the notification log a restart keeps. */
  readonly sent = new Set<string>();

  run(notification: Notification): Notification[] {
    const kept: NotifiedTransition[] = [];
    for (const entry of notification.alerts) {
      const fingerprint = entry.transition.alert.fingerprint;
      if (entry.transition.alert.state === 'resolved') {
        if (this.sent.delete(fingerprint)) kept.push(entry);
      } else {
        this.sent.add(fingerprint);
        kept.push(entry);
      }
    }
    return kept.length === 0 ? [] : [{ ...notification, alerts: kept }];
  }
}

/**
 * What a restart on the persisted store must not forget (Alertmanager keeps its notification
 * log and silences on disk for the same reason): the firing alerts the stages know of, which of
 * them the sinks were told (so their `resolved` is sent, once), when each was last sent (the
 * repeat interval), and the silences. Times as ages on the wall clock at `takenAt`. Plain JSON.
 * Flap windows and groups in wait are not kept: after a restart flap detection counts afresh
 * and a group in wait is lost with the process (groupWait is 0 by default).
 */
export interface AlertPipelineSnapshot {
  version: 1;
  takenAt: number;
  active: Alert[];
  notified: string[];
  lastSentAgo: Array<[string, number]>;
  silences: Silence[];
}

export class AlertPipeline {
  readonly silences: Silences;
  readonly plan: AlertsPlan;
  private readonly scheduler: Scheduler;
  private readonly active = new ActiveAlerts();
  private readonly dedup: DedupStage;
  private readonly group: GroupStage;
  private readonly inhibit: InhibitStage;
  private readonly silence: SilenceStage;
  private readonly resolveFilter = new ResolveFilter();
  /** dedup, then group (which holds notifications and hands them to `deliver` when due). */
  private readonly intake: ReturnType<typeof sequence>;
  /** What a group releases goes through these, then to the sinks. */
  private readonly delivery: ReturnType<typeof sequence>;
  private readonly sinks = new Map<string, Sink>();
  private readonly deps: AlertPipelineDeps;
  private transitions = 0;
  private notifications = 0;

  /** `plan`: the parsed `alerts` section (`parseConfig(…).alertsPlan`). */
  constructor(plan: AlertsPlan, deps: AlertPipelineDeps) {
    this.deps = deps;
    this.plan = plan;
    this.scheduler = deps.scheduler ?? realScheduler();
    const { settings } = this.plan;
    this.silences = new Silences(() => this.scheduler.now());
    this.dedup = new DedupStage({
      cooldown: settings.cooldown,
      flapThreshold: settings.flapThreshold,
      repeatInterval: settings.repeatInterval,
      ...(deps.onAdmitted !== undefined ? { onAdmitted: deps.onAdmitted } : {}),
    });
    this.group = new GroupStage(
      { groupWait: settings.groupWait, groupInterval: settings.groupInterval, maxAlerts: settings.maxAlertsPerNotification },
      this.scheduler,
      (n) => this.deliver(n),
    );
    this.inhibit = new InhibitStage(this.plan.inhibit);
    this.silence = new SilenceStage(this.silences);
    this.intake = sequence(this.dedup, this.group);
    this.delivery = sequence(new CorrelateStage(), this.inhibit, this.silence, this.resolveFilter, new RouteStage(this.plan.routes, this.plan.defaultSinks));
    for (const [name, config] of this.plan.sinks) {
      const sink = this.buildSink(name, config);
      if (sink !== undefined) this.sinks.set(name, sink);
    }
    for (const [name, sink] of Object.entries(deps.sinks ?? {})) this.sinks.set(name, sink);
  }

  private buildSink(name: string, config: SinkPlan): Sink | undefined {
    switch (config.type) {
      case 'otel-log':
        return this.deps.logger === undefined ? undefined : new OtelLogSink(this.deps.logger, this.deps.serviceName, name);
      case 'console':
        return new ConsoleSink(name, this.deps.write);
      case 'callback':
        return new CallbackSink(name, config.fn, config.maxInFlight);
      case 'webhook':
        return new WebhookSink(
          name,
          { ...config, headers: config.resolvedHeaders ?? {} },
          { now: () => this.scheduler.now(), monotonic: () => this.scheduler.monotonic(), ...this.deps.webhook },
        );
      case 'alertmanager':
        return new AlertmanagerSink(name, { ...config, headers: config.resolvedHeaders ?? {} }, { scheduler: this.scheduler, ...this.deps.alertmanager });
    }
  }

  private context(): StageContext {
    return { now: this.scheduler.now(), monotonic: this.scheduler.monotonic(), active: this.active };
  }

  /**
   * The transitions of one check (already in the alert history). Each service's go on as one
   * notification into the intake; nothing here throws.
   */
  push(transitions: readonly AlertTransition[]): void {
    if (transitions.length === 0) return;
    this.transitions += transitions.length;
    for (const transition of transitions) this.active.observe(transition);
    const context = this.context();
    for (const notification of notificationsByService(transitions.map((transition) => ({ transition })), context.now)) {
      try {
        this.intake.run(notification, context);
      } catch (error) {
        this.deps.onError?.('alert pipeline', error);
      }
    }
  }

  /** The state a restart must keep (see AlertPipelineSnapshot). */
  snapshot(): AlertPipelineSnapshot {
    const { now, monotonic } = this.context();
    return {
      version: 1,
      takenAt: now,
      active: this.active.all(),
      notified: [...this.resolveFilter.sent],
      lastSentAgo: this.dedup.lastSentAges(monotonic),
      silences: this.silences.list({ expired: true }),
    };
  }

  /**
   * Take back a snapshot at start, before the first check: no notification is sent for what it
   * holds. The downtime (now − takenAt, 0 if the wall clock went back) ages the repeat timers.
   */
  restore(snapshot: AlertPipelineSnapshot): void {
    if (snapshot?.version !== 1) return;
    const { now, monotonic } = this.context();
    const down = Math.max(0, now - snapshot.takenAt);
    for (const alert of snapshot.active ?? []) this.active.observe({ kind: 'firing', alert, at: alert.startsAt });
    for (const fingerprint of snapshot.notified ?? []) this.resolveFilter.sent.add(fingerprint);
    this.dedup.restoreLastSent((snapshot.lastSentAgo ?? []).map(([f, age]) => [f, age + down] as const), monotonic);
    this.silences.restore(snapshot.silences ?? []);
    // Alertmanager forgets an alert nobody re-sends: its sinks hear again of what fires and was notified.
    const notified = this.resolveFilter.sent;
    const firing = this.active.all().filter((alert) => notified.has(alert.fingerprint));
    for (const sink of this.sinks.values()) {
      if (!(sink instanceof AlertmanagerSink)) continue;
      try {
        sink.adopt(firing);
      } catch (error) {
        this.deps.onError?.(`sink ${sink.name}`, error);
      }
    }
  }

  /**
   * The status page listens at `url` (start-up tells once it does): the Alertmanager sinks link
   * their alerts to it (generatorURL) unless configured otherwise.
   */
  setStatusPage(url: string): void {
    for (const sink of this.sinks.values()) if (sink instanceof AlertmanagerSink) sink.setStatusPage(url);
  }

  /** Once per check: what time made due (dedup's repeats and settled states) goes on; every stage prunes. */
  tick(): void {
    const context = this.context();
    try {
      this.intake.tick(context);
      this.intake.prune(context);
      this.delivery.prune(context);
    } catch (error) {
      this.deps.onError?.('alert pipeline', error);
    }
  }

  /** A group released a notification: the delivery stages, then the sinks of each route taken. */
  private deliver(notification: Notification): void {
    let out: Notification[];
    try {
      out = this.delivery.run(notification, this.context());
    } catch (error) {
      this.deps.onError?.('alert pipeline', error);
      return;
    }
    for (const n of out) {
      this.notifications++;
      fanOut(this.targets(n.sinks), (sink, error) => this.deps.onError?.(`sink ${sink.name}`, error))(n);
    }
  }

  /** The sinks a route names, in its order; with consoleWithOtelLog, `console` right after `otel-log`. */
  private targets(names: readonly string[]): Sink[] {
    const targets: Sink[] = [];
    const add = (name: string): void => {
      const sink = this.sinks.get(name);
      if (sink !== undefined && !targets.includes(sink)) targets.push(sink);
    };
    for (const name of names) {
      add(name);
      if (name === 'otel-log' && this.deps.consoleWithOtelLog === true) add('console');
    }
    return targets;
  }

  /**
   * At shutdown: the true state of alerts still flapping, then what groups hold now, and a
   * (bounded) wait for sinks' queues.
   */
  async flush(): Promise<void> {
    try {
      this.intake.flush(this.context());
    } catch (error) {
      this.deps.onError?.('alert pipeline', error);
    }
    await Promise.all([...this.sinks.values()].map((s) => s.flush?.().catch(() => undefined)));
  }

  /**
   * Stop the sinks for good (shutdown, after flush): what they still hold is abandoned, so an
   * open request to a slow or hanging receiver does not keep the process alive.
   */
  close(): void {
    for (const sink of this.sinks.values()) {
      try {
        sink.close?.();
      } catch (error) {
        this.deps.onError?.(`sink ${sink.name}`, error);
      }
    }
  }

  sink(name: string): Sink | undefined {
    return this.sinks.get(name);
  }

  stats(): AlertPipelineStats {
    const sinks: Record<string, SinkStats> = {};
    for (const [name, sink] of this.sinks) sinks[name] = sink.stats();
    return {
      transitions: this.transitions,
      deduplicated: this.dedup.suppressed,
      flapping: this.dedup.flappingNotifications,
      repeats: this.dedup.repeats,
      inhibited: this.inhibit.inhibited,
      silenced: this.silence.silenced,
      groups: this.group.flushed,
      notifications: this.notifications,
      pending: this.group.stats(),
      active: this.active.size,
      sinks,
    };
  }
}
