/**
 * The alert pipeline, built from the `alerts` configuration:
 *
 *   transitions ─► (alert history, by the monitor) ─► dedup (flap detection over `cooldown`,
 *     repeatInterval)
 *     ─► group (groupWait, groupInterval) ─► correlate ─► inhibit ─► silence
 *     ─► resolve-filter ─► route ─► sinks (fanned out, isolated)
 *
 * Suppression only ever affects notification. Every stage takes its time from one injected
 * Scheduler: durations from its monotonic clock, timestamps and silences from its wall clock.
 */
import type { LoggerLike as Logger } from '../model/index.js';
import { ConfigError, type ConfigIssue } from '../model/index.js';
import type { AlertTransition } from '../model/index.js';
import { ActiveAlerts } from './active.js';
import { monotonicOf, realScheduler, type Scheduler } from './clock.js';
import { CorrelateStage } from './correlate.js';
import { DedupStage } from './dedup.js';
import { GroupStage } from './group.js';
import { DEFAULT_INHIBIT_RULES, InhibitStage, type InhibitRule } from './inhibit.js';
import type { AlertMatcher } from './matchers.js';
import { RouteStage, type Route } from './route.js';
import { ALERT_DEFAULTS, alertsSchema, issuesOf, type AlertsSettings, type SinkConfig } from './schema.js';
import { SilenceStage, Silences } from './silence.js';
import { fanOut, notificationOf, sequence, type Notification, type NotifiedTransition, type Sink, type SinkStats, type Stage, type StageContext } from './stage.js';
import { CallbackSink } from './sinks/callback.js';
import { ConsoleSink } from './sinks/console.js';
import { OtelLogSink } from './sinks/otel-log.js';
import { checkWebhookUrl, WebhookSink, type WebhookDeps } from './sinks/webhook.js';

/** The validated alerts configuration: settings plus resolved sink definitions. */
export interface AlertsPlan {
  settings: AlertsSettings;
  routes: Route[];
  defaultSinks: string[];
  inhibit: InhibitRule[];
  /** Sink definitions with header values resolved from the environment. */
  sinks: Map<string, SinkConfig & { resolvedHeaders?: Record<string, string> }>;
}

const BUILT_IN_SINKS: Record<string, SinkConfig> = { 'otel-log': { type: 'otel-log' }, console: { type: 'console' } };

/**
 * Validate the `alerts` section; a bad one throws a ConfigError naming every bad field
 * (`alerts.routes.0.sinks`, `alerts.sinks.pager.url`, …). Header values are read from `env`;
 * a missing variable is named, its value never.
 */
export function parseAlertsConfig(input: unknown, env: NodeJS.ProcessEnv = process.env, extraSinks: readonly string[] = []): AlertsPlan {
  const parsed = alertsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ConfigError(issuesOf(parsed.error, 'alerts'));
  const settings = parsed.data;
  const issues: ConfigIssue[] = [];
  const sinks = new Map<string, SinkConfig & { resolvedHeaders?: Record<string, string> }>(Object.entries(BUILT_IN_SINKS));
  for (const [name, sink] of Object.entries(settings.sinks)) {
    if (sink.type !== 'webhook') {
      sinks.set(name, sink);
      continue;
    }
    try {
      checkWebhookUrl(sink.url, sink.allowHttp);
    } catch (error) {
      issues.push({ path: `alerts.sinks.${name}.url`, message: (error as Error).message });
    }
    const resolvedHeaders: Record<string, string> = {};
    for (const [header, value] of Object.entries(sink.headers)) {
      if (typeof value === 'string') resolvedHeaders[header] = value;
      else if (env[value.env] === undefined || env[value.env] === '') issues.push({ path: `alerts.sinks.${name}.headers.${header}`, message: `environment variable ${value.env} is not set` });
      else resolvedHeaders[header] = env[value.env]!;
    }
    sinks.set(name, { ...sink, resolvedHeaders });
  }
  const known = (sink: string): boolean => sinks.has(sink) || extraSinks.includes(sink);
  const routes: Route[] = [];
  const names = new Set<string>();
  settings.routes.forEach((route, i) => {
    const list = [...(route.sink !== undefined ? [route.sink] : []), ...(route.sinks ?? [])];
    if (list.length === 0) issues.push({ path: `alerts.routes.${i}`, message: 'must name a sink (sink) or sinks (sinks)' });
    for (const sink of list) if (!known(sink)) issues.push({ path: `alerts.routes.${i}.${route.sink === sink ? 'sink' : 'sinks'}`, message: `unknown sink "${sink}" (define it under alerts.sinks)` });
    const name = route.name ?? `route-${i}`;
    if (names.has(name) || name === 'default') issues.push({ path: `alerts.routes.${i}.name`, message: `duplicate route name "${name}"` });
    names.add(name);
    routes.push({ name, match: route.match as AlertMatcher, sinks: list, continue: route.continue });
  });
  const defaultSinks = settings.defaultRoute?.sinks ?? [...ALERT_DEFAULTS.defaultSinks];
  for (const sink of defaultSinks) if (!known(sink)) issues.push({ path: 'alerts.defaultRoute.sinks', message: `unknown sink "${sink}"` });
  if (issues.length > 0) throw new ConfigError(issues);
  const inhibit = settings.inhibit === false ? [] : ((settings.inhibit as InhibitRule[] | undefined) ?? [...DEFAULT_INHIBIT_RULES]);
  return { settings, routes, defaultSinks, inhibit, sinks };
}

export interface AlertPipelineDeps {
  /** Where the otel-log sink emits. */
  logger?: Logger;
  /** `service.name` on the log records. */
  serviceName: string;
  /** Clocks and timers (default: Date.now, performance.now and unref'd timers). */
  scheduler?: Scheduler;
  env?: NodeJS.ProcessEnv;
  /** Webhook retries: sleep, jitter, fetch, report. */
  webhook?: WebhookDeps;
  /** Sinks given as objects, by name (routes may name them). */
  sinks?: Record<string, Sink>;
  /** Each transition that passed dedup (the monitor's 'alert' event). */
  onAdmitted?: (transition: AlertTransition) => void;
  /** A stage or sink that threw. */
  onError?: (where: string, error: unknown) => void;
  /** Console sink's writer. */
  write?: (line: string) => void;
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
  private readonly sent = new Set<string>();

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

export class AlertPipeline {
  readonly silences: Silences;
  readonly plan: AlertsPlan;
  private readonly scheduler: Scheduler;
  private readonly active = new ActiveAlerts();
  private readonly dedup: DedupStage;
  private readonly group: GroupStage;
  private readonly correlate = new CorrelateStage();
  private readonly inhibit: InhibitStage;
  private readonly silence: SilenceStage;
  private readonly after: Stage;
  private readonly sinks = new Map<string, Sink>();
  private readonly deps: AlertPipelineDeps;
  private transitions = 0;
  private notifications = 0;

  constructor(alerts: unknown, deps: AlertPipelineDeps) {
    this.deps = deps;
    this.plan = parseAlertsConfig(alerts, deps.env ?? process.env, Object.keys(deps.sinks ?? {}));
    this.scheduler = deps.scheduler ?? realScheduler();
    const { settings } = this.plan;
    this.silences = new Silences(() => this.scheduler.now());
    this.dedup = new DedupStage({ cooldown: settings.cooldown, flapThreshold: settings.flapThreshold, repeatInterval: settings.repeatInterval });
    this.group = new GroupStage(
      { groupWait: settings.groupWait, groupInterval: settings.groupInterval, maxAlerts: settings.maxAlertsPerNotification },
      this.scheduler,
      (n) => this.afterGroup(n),
    );
    this.inhibit = new InhibitStage(this.plan.inhibit);
    this.silence = new SilenceStage(this.silences);
    this.after = sequence(this.correlate, this.inhibit, this.silence, new ResolveFilter(), new RouteStage(this.plan.routes, this.plan.defaultSinks));
    for (const [name, config] of this.plan.sinks) {
      const sink = this.buildSink(name, config);
      if (sink !== undefined) this.sinks.set(name, sink);
    }
    for (const [name, sink] of Object.entries(deps.sinks ?? {})) this.sinks.set(name, sink);
  }

  private buildSink(name: string, config: SinkConfig & { resolvedHeaders?: Record<string, string> }): Sink | undefined {
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
          { now: () => this.scheduler.now(), monotonic: () => monotonicOf(this.scheduler), ...this.deps.webhook },
        );
    }
  }

  private context(): StageContext {
    return { now: this.scheduler.now(), monotonic: monotonicOf(this.scheduler), active: this.active };
  }

  /**
   * The transitions of one check (already in the alert history). Each service's go on as one
   * notification; nothing here throws.
   */
  push(transitions: readonly AlertTransition[]): void {
    if (transitions.length === 0) return;
    this.transitions += transitions.length;
    const byService = new Map<string, NotifiedTransition[]>();
    for (const transition of transitions) {
      this.active.observe(transition);
      const service = transition.alert.serviceId;
      let list = byService.get(service);
      if (list === undefined) byService.set(service, (list = []));
      list.push({ transition });
    }
    const context = this.context();
    for (const [service, alerts] of byService) {
      try {
        for (const n of this.dedup.run(notificationOf(service, alerts, context.now), context)) {
          for (const entry of n.alerts) this.deps.onAdmitted?.(entry.transition);
          this.group.push(n);
        }
      } catch (error) {
        this.deps.onError?.('pipeline', error);
      }
    }
  }

  /** Once per check: repeats of still-firing alerts that are due, and pruning. */
  tick(): void {
    const context = this.context();
    try {
      const firing = this.active.all();
      const monotonic = context.monotonic ?? context.now;
      this.pushByService(this.dedup.due(context.now, firing, monotonic), context.now);
      this.dedup.prune(monotonic, firing);
      this.group.prune(monotonic);
      this.correlate.prune(context);
      this.silences.prune(context.now);
    } catch (error) {
      this.deps.onError?.('pipeline', error);
    }
  }

  /** Entries made by dedup itself (repeats, settled states): one notification per service. */
  private pushByService(entries: NotifiedTransition[], now: number): void {
    const byService = new Map<string, NotifiedTransition[]>();
    for (const entry of entries) {
      const service = entry.transition.alert.serviceId;
      let list = byService.get(service);
      if (list === undefined) byService.set(service, (list = []));
      list.push(entry);
    }
    for (const [service, alerts] of byService) this.group.push(notificationOf(service, alerts, now));
  }

  private afterGroup(notification: Notification): void {
    let out: Notification[];
    try {
      out = this.after.run(notification, this.context());
    } catch (error) {
      this.deps.onError?.('pipeline', error);
      return;
    }
    for (const n of out) {
      this.notifications++;
      const targets: Sink[] = [];
      for (const name of n.sinks) {
        const sink = this.sinks.get(name);
        if (sink !== undefined) targets.push(sink);
      }
      fanOut(targets, (sink, error) => this.deps.onError?.(`sink ${sink.name}`, error))(n);
    }
  }

  /**
   * At shutdown: the true state of alerts still flapping, then what groups hold now, and a
   * (bounded) wait for sinks' queues.
   */
  async flush(): Promise<void> {
    try {
      const context = this.context();
      this.pushByService(this.dedup.settleAll(this.active.all(), context.monotonic ?? context.now), context.now);
    } catch (error) {
      this.deps.onError?.('pipeline', error);
    }
    this.group.flushAll();
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
