/**
 * The alert pipeline's vocabulary, after Alertmanager's notify pipeline: a Stage takes one
 * Notification and returns the notifications that go on (none: dropped, several: split, as the
 * router does). `sequence` chains stages; `fanOut` sends one notification to several sinks, each
 * isolated from the others' errors and delays.
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
   * Now on the injected monotonic clock, ms: for durations (cooldown, repeatInterval), which a
   * wall-clock step must not stretch or cut. Absent: durations use `now`.
   */
  monotonic?: number;
  /** Every alert firing now, whether or not it was notified. */
  active: ActiveAlerts;
}

export interface Stage {
  readonly name: string;
  run(notification: Notification, context: StageContext): Notification[];
}

/** Stages in order: each one's outputs are the next one's inputs. */
export function sequence(...stages: Stage[]): Stage {
  return {
    name: `sequence(${stages.map((s) => s.name).join(', ')})`,
    run(notification, context) {
      let current = [notification];
      for (const stage of stages) {
        const next: Notification[] = [];
        for (const n of current) next.push(...stage.run(n, context));
        if (next.length === 0) return next;
        current = next;
      }
      return current;
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
