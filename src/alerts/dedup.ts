/**
 * Dedup by fingerprint: what reaches the sinks of one alert's changes.
 *
 * - Every change of the rule engine is delivered: a new incident (a `firing`, also right after
 *   a delivered `resolved`), a level change either way (`escalated`, `de-escalated`), the
 *   `resolved` that ends it. Nothing here holds an incident back, as in Alertmanager, where a
 *   resolved alert that fires again is a new notification.
 * - Flapping (see flap.ts): an alert with `flapThreshold` changes within `cooldown` seconds gets
 *   one `flapping` notification instead of each change; when it has been quiet for `cooldown`
 *   seconds its true state is delivered if the sinks do not have it already.
 * - The repeat interval re-sends a still-firing alert every `repeatInterval` seconds (like
 *   Alertmanager's repeat_interval): the only repeat of one incident that is throttled.
 *
 * Only notification is affected: the alert history has every transition. Durations are measured
 * on the monotonic clock (StageContext.monotonic), so a wall-clock step neither cuts the flap
 * window short nor stretches it, nor sends repeats early or late.
 */
import type { Alert, AlertTransition } from '../model/index.js';
import { FlapDetector } from './flap.js';
import { notificationsByService, type Notification, type NotifiedTransition, type Stage, type StageContext } from './stage.js';

export interface DedupOptions {
  /** Seconds: the flap window (changes are counted in it; quiet for it, a flapping alert has settled). */
  cooldown: number;
  /** Changes within `cooldown` that make an alert flapping; 0 turns flap detection off. */
  flapThreshold: number;
  /** Seconds between re-sends of a still-firing alert; 0 never re-sends. */
  repeatInterval: number;
  /**
   * Each transition of the rule engine that `run` lets through (a `flapping` one included;
   * folded ones, repeats and settled states made by `tick` or `flush` are not): the monitor's
   * 'alert' event.
   */
  onAdmitted?: (transition: AlertTransition) => void;
}

export class DedupStage implements Stage {
  readonly name = 'dedup';
  private readonly flaps: FlapDetector;
  private readonly repeatMs: number;
  /** fingerprint → when it was last notified firing (any kind but resolved), monotonic ms. */
  private readonly lastSent = new Map<string, number>();
  repeats = 0;
  private readonly onAdmitted: ((transition: AlertTransition) => void) | undefined;

  constructor(options: DedupOptions) {
    this.onAdmitted = options.onAdmitted;
    this.flaps = new FlapDetector({ threshold: options.flapThreshold, window: options.cooldown });
    this.repeatMs = options.repeatInterval * 1000;
  }

  /** Transitions folded into a `flapping` notification. */
  get suppressed(): number {
    return this.flaps.folded;
  }

  /** `flapping` notifications made. */
  get flappingNotifications(): number {
    return this.flaps.started;
  }

  run(notification: Notification, context: StageContext): Notification[] {
    const { monotonic } = context;
    const kept: NotifiedTransition[] = [];
    for (const entry of notification.alerts) {
      if (entry.repeat === true) {
        kept.push(entry);
        continue;
      }
      const verdict = this.flaps.observe(entry.transition, monotonic);
      if (verdict.kind === 'fold') continue;
      const delivered = verdict.kind === 'flapping' ? { ...entry, transition: verdict.transition } : entry;
      this.sent(delivered, monotonic);
      kept.push(delivered);
    }
    if (this.onAdmitted !== undefined) for (const entry of kept) this.onAdmitted(entry.transition);
    return kept.length === 0 ? [] : [{ ...notification, alerts: kept }];
  }

  /**
   * What time made due (durations on `context.monotonic`, stamps from `context.now`): the true
   * state of alerts that stopped flapping, where the sinks do not have it, and one synthetic
   * `firing` per firing alert (`context.active`) last notified at least repeatInterval ago. One
   * notification per service.
   */
  tick(context: StageContext): Notification[] {
    const firing = context.active.all();
    const out = this.settled(firing, context.monotonic, false);
    if (this.repeatMs > 0) {
      for (const alert of firing) {
        const last = this.lastSent.get(alert.fingerprint);
        if (last === undefined || context.monotonic - last < this.repeatMs) continue;
        this.lastSent.set(alert.fingerprint, context.monotonic);
        this.repeats++;
        out.push({ transition: { kind: 'firing', alert, at: context.now }, repeat: true });
      }
    }
    return notificationsByService(out, context.now);
  }

  /** At shutdown: the true state of every alert still flapping, where the sinks do not have it. */
  flush(context: StageContext): Notification[] {
    return notificationsByService(this.settled(context.active.all(), context.monotonic, true), context.now);
  }

  private settled(firing: Alert[], monotonic: number, all: boolean): NotifiedTransition[] {
    const out: NotifiedTransition[] = [];
    const current = new Map(firing.map((a) => [a.fingerprint, a]));
    for (const transition of this.flaps.settle(monotonic, all)) {
      // A firing alert settles with its latest value and level.
      const alert = transition.kind === 'resolved' ? transition.alert : (current.get(transition.alert.fingerprint) ?? transition.alert);
      const entry: NotifiedTransition = { transition: { ...transition, alert } };
      this.sent(entry, monotonic);
      out.push(entry);
    }
    return out;
  }

  /** Forget what no longer matters (bounded memory): quiet alerts' change times, repeat times of alerts no longer firing. */
  prune(context: StageContext): void {
    this.flaps.prune(context.monotonic);
    const firing = context.active.all();
    if (this.lastSent.size > firing.length) {
      const live = new Set(firing.map((a) => a.fingerprint));
      for (const fingerprint of this.lastSent.keys()) if (!live.has(fingerprint)) this.lastSent.delete(fingerprint);
    }
  }

  /** When each firing alert was last notified, as ms before `monotonic` (for the store). */
  lastSentAges(monotonic: number): Array<[string, number]> {
    return [...this.lastSent].map(([fingerprint, at]) => [fingerprint, monotonic - at]);
  }

  /** Take back `lastSentAges` (a restart): the repeat interval runs on from where it was. */
  restoreLastSent(ages: ReadonlyArray<readonly [string, number]>, monotonic: number): void {
    for (const [fingerprint, age] of ages) this.lastSent.set(fingerprint, monotonic - Math.max(0, age));
  }

  private sent(entry: NotifiedTransition, monotonic: number): void {
    const { transition } = entry;
    // The alert's state after the transition: a `flapping` notice of a resolved alert is not firing.
    if (transition.alert.state === 'firing') this.lastSent.set(transition.alert.fingerprint, monotonic);
    else this.lastSent.delete(transition.alert.fingerprint);
  }
}
