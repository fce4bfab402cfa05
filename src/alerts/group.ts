/**
 * Grouping: the transitions of one service (the group key) that arrive within `groupWait`
 * seconds of the first go out as one notification listing them all; later ones wait until
 * `groupInterval` seconds after the group's previous notification. With both 0 (the default)
 * each check's transitions of a service go out at once, as one notification.
 *
 * Bounded: a notification lists at most `maxAlerts` transitions and counts the rest in
 * `omitted` (the alert history keeps them all); a group leaves memory once idle for
 * groupInterval.
 *
 * groupWait and groupInterval are measured on the scheduler's monotonic clock (timers are
 * monotonic too): on the wall clock, a step back of an hour would hold a group's next
 * notification back for that hour. Notifications are stamped with the wall clock.
 *
 * Its shape: a Stage whose `run` always returns [] and whose output leaves later, through the
 * `emit` callback, at the time the group is due (at once, inside `run`, when it is due already,
 * as with both settings 0). Grouping holds notifications across time, so nothing can come back
 * from `run`: the pipeline puts it last in its intake sequence and connects `emit` to the
 * delivery sequence (correlate … route) and the sinks.
 */
import type { Scheduler } from './clock.js';
import type { Notification, NotifiedTransition, Stage, StageContext } from './stage.js';

export interface GroupOptions {
  /** Seconds to wait for more transitions of a new group. */
  groupWait: number;
  /** Seconds between notifications of one group. */
  groupInterval: number;
  /** Transitions listed per notification at most. */
  maxAlerts: number;
}

interface Group {
  pending: NotifiedTransition[];
  omitted: number;
  cancel: (() => void) | undefined;
  /** When the group last notified, monotonic ms. */
  lastFlush: number | undefined;
}

export class GroupStage implements Stage {
  readonly name = 'group';
  private readonly groups = new Map<string, Group>();
  private readonly waitMs: number;
  private readonly intervalMs: number;
  /** Notifications emitted. */
  flushed = 0;

  constructor(
    private readonly options: GroupOptions,
    private readonly scheduler: Scheduler,
    private readonly emit: (notification: Notification) => void,
  ) {
    this.waitMs = options.groupWait * 1000;
    this.intervalMs = options.groupInterval * 1000;
  }

  /** Hold `notification` in its group; the group goes out through `emit` when due. Returns []. */
  run(notification: Notification, context: StageContext): Notification[] {
    const key = notification.groupKey;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { pending: [], omitted: 0, cancel: undefined, lastFlush: undefined };
      this.groups.set(key, group);
    }
    for (const entry of notification.alerts) {
      if (group.pending.length < this.options.maxAlerts) group.pending.push(entry);
      else group.omitted++;
    }
    group.omitted += notification.omitted;
    if (group.cancel !== undefined) return [];
    const now = context.monotonic;
    const fresh = group.lastFlush === undefined || now - group.lastFlush >= this.intervalMs;
    const due = fresh ? now + this.waitMs : group.lastFlush! + this.intervalMs;
    if (due <= now) {
      this.release(key, notification.service);
      return [];
    }
    group.cancel = this.scheduler.setTimeout(() => this.release(key, notification.service), due - now);
    return [];
  }

  /** A group is due (its timer, or at once): what it holds goes out through `emit`. */
  private release(key: string, service: string): void {
    const group = this.groups.get(key);
    if (group === undefined) return;
    group.cancel?.();
    group.cancel = undefined;
    if (group.pending.length === 0 && group.omitted === 0) return;
    const alerts = group.pending;
    const omitted = group.omitted;
    group.pending = [];
    group.omitted = 0;
    group.lastFlush = this.scheduler.monotonic();
    this.flushed++;
    this.emit({ groupKey: key, service, alerts, omitted, sinks: [], at: this.scheduler.now() });
  }

  /** At shutdown: every pending group goes out now (through `emit`). Returns []. */
  flush(_context?: StageContext): Notification[] {
    for (const [key, group] of this.groups) {
      const service = group.pending[0]?.transition.alert.serviceId ?? key;
      this.release(key, service);
    }
    return [];
  }

  /** Forget idle groups (nothing pending, last notification ≥ groupInterval ago on the monotonic clock). */
  prune(context: StageContext): void {
    const now = context.monotonic;
    for (const [key, group] of this.groups) {
      if (group.cancel === undefined && group.pending.length === 0 && (group.lastFlush === undefined || now - group.lastFlush >= this.intervalMs)) {
        this.groups.delete(key);
      }
    }
  }

  /** Groups in memory; transitions waiting. */
  stats(): { groups: number; pending: number } {
    let pending = 0;
    for (const g of this.groups.values()) pending += g.pending.length;
    return { groups: this.groups.size, pending };
  }
}
