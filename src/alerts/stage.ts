/**
 * The alert pipeline's vocabulary, after Alertmanager's notify pipeline: a Stage takes one
 * Notification and returns the notifications that go on (none: dropped, several: split, as the
 * router does). A stage that acts on time as well as on input has `tick`, whose notifications
 * enter the sequence after it, as if that stage had returned them; every stage that keeps state
 * has `prune(context)`, called once per tick. `sequence` chains stages (and their ticks, prunes
 * and flushes); `fanOut` sends one notification to several sinks, each isolated from the others'
 * errors and delays.
 */
import type { AlertTransition, RuleName } from '../model/index.js';
import type { ActiveAlerts } from './active.js';

/** Alerts that fire together on one service (see correlate.ts). */
export interface Incident {
  /** 16 hex characters, stable while the service has any alert firing. */
  id: string;
  service: string;
  /** The probable cause, from the documented rules, e.g. `CPU saturation`, `dependency db failing`. */
  cause: string;
  /** Which correlation rule named the cause (`cpu_saturation`, `dependency`, …, or `none`). */
  correlation: string;
  /** The rules firing on the service when the notification went out. */
  rules: RuleName[];
  /** When the first of them fired, epoch ms. */
  openedAt: number;
}

/** One alert transition inside a notification. */
export interface NotifiedTransition {
  transition: AlertTransition;
  /** true for a still-firing alert re-sent after repeatInterval (the transition is synthetic). */
  repeat?: boolean;
  /** The incident this alert belongs to (set by the correlate stage). */
  incident?: Incident;
}

/** What the stages pass on: a group of alert transitions of one service. */
export interface Notification {
  /** The group's key: the service id. */
  groupKey: string;
  service: string;
  /** The transitions, oldest first. */
  alerts: NotifiedTransition[];
  /** Transitions that arrived in this group beyond maxAlertsPerNotification (counted, not listed). */
  omitted: number;
  incident?: Incident;
  /** The route that matched (set by the route stage). */
  route?: string;
  /** Where it goes (set by the route stage). */
  sinks: string[];
  /** When the notification was formed, epoch ms. */
  at: number;
}

export interface StageContext {
  /** Now, epoch ms (the injected wall clock): for timestamps and silences. */
  now: number;
  /**
   * Now on the injected monotonic clock, ms: for durations (cooldown, repeatInterval,
   * groupWait/groupInterval), which a wall-clock step must not stretch or cut.
   */
  monotonic: number;
  /** Every alert firing now, whether or not it was notified. */
  active: ActiveAlerts;
}

export interface Stage {
  readonly name: string;
  /** One notification in; the notifications that go on out (none: held or dropped). */
  run(notification: Notification, context: StageContext): Notification[];
  /**
   * Once per check: notifications the stage makes on its own because time passed (dedup's
   * repeats and settled flapping alerts). In a sequence they go on through the stages after it.
   */
  tick?(context: StageContext): Notification[];
  /** At shutdown: what the stage still holds back, now (in a sequence, through the stages after it). */
  flush?(context: StageContext): Notification[];
  /** Once per tick, after `tick`: forget what no longer matters (bounded memory). Stages that keep state have it. */
  prune?(context: StageContext): void;
}

/** Stages in order: each one's outputs are the next one's inputs. */
export function sequence(...stages: Stage[]): Stage & Required<Pick<Stage, 'tick' | 'flush' | 'prune'>> {
  /** `notifications` through stages[from…]. */
  const through = (from: number, notifications: Notification[], context: StageContext): Notification[] => {
    let current = notifications;
    for (let i = from; i < stages.length && current.length > 0; i++) {
      const next: Notification[] = [];
      for (const n of current) next.push(...stages[i]!.run(n, context));
      current = next;
    }
    return current;
  };
  /** What each stage's `tick` (or `flush`) makes, each through the stages after it, in stage order. */
  const made = (method: 'tick' | 'flush', context: StageContext): Notification[] => {
    const out: Notification[] = [];
    stages.forEach((stage, i) => {
      const own = stage[method]?.(context);
      if (own !== undefined && own.length > 0) out.push(...through(i + 1, own, context));
    });
    return out;
  };
  return {
    name: `sequence(${stages.map((s) => s.name).join(', ')})`,
    run: (notification, context) => through(0, [notification], context),
    tick: (context) => made('tick', context),
    flush: (context) => made('flush', context),
    prune(context) {
      for (const stage of stages) stage.prune?.(context);
    },
  };
}

/** Counters a sink reports. */
export interface SinkStats {
  /** Notifications delivered. */
  sent: number;
  /** Notifications given up on (errors, retries exhausted). */
  failed: number;
  /** Notifications dropped because the sink's queue (or in-flight bound) was full. */
  dropped: number;
  /** Waiting in the queue now. */
  queued: number;
  /** Retried attempts. */
  retries?: number;
}

/** Where notifications end up. `send` must not block: slow work is queued or left running. */
export interface Sink {
  readonly name: string;
  send(notification: Notification): void | Promise<void>;
  stats(): SinkStats;
  /** Wait (bounded by the sink) for queued work; called at shutdown. */
  flush?(): Promise<void>;
  /**
   * Stop for good, at shutdown after flush: abandon what is queued or in flight, so that
   * nothing (an open request) holds the process. Must not throw.
   */
  close?(): void;
}

/**
 * Send to every sink; a sink that throws or rejects is counted in `errors` and never stops the
 * others. Nothing is awaited: a hanging sink holds only itself.
 */
export function fanOut(sinks: Sink[], onError: (sink: Sink, error: unknown) => void = () => undefined): (n: Notification) => void {
  return (notification) => {
    for (const sink of sinks) {
      try {
        const result = sink.send(notification);
        if (result instanceof Promise) result.catch((error: unknown) => onError(sink, error));
      } catch (error) {
        onError(sink, error);
      }
    }
  };
}

/** A fresh notification of one service (before grouping). */
export function notificationOf(service: string, alerts: NotifiedTransition[], at: number): Notification {
  return { groupKey: service, service, alerts, omitted: 0, sinks: [], at };
}

/** Entries of several services: one notification per service, in order of first appearance. */
export function notificationsByService(entries: readonly NotifiedTransition[], at: number): Notification[] {
  const services = new Map<string, NotifiedTransition[]>();
  for (const entry of entries) {
    const service = entry.transition.alert.serviceId;
    let list = services.get(service);
    if (list === undefined) services.set(service, (list = []));
    list.push(entry);
  }
  return [...services].map(([service, alerts]) => notificationOf(service, alerts, at));
}
