/**
 * Dedup by fingerprint: the cooldown (a re-firing of the same alert within `cooldown` seconds of
 * its last notified firing is held back, and so is the resolve that ends it; escalations always
 * pass) and the repeat interval (a still-firing alert is re-sent every `repeatInterval`
 * seconds, not every check). Only notification is affected: the alert history has everything.
 *
 * Both are durations, measured on the monotonic clock (StageContext.monotonic): with the wall
 * clock, a step back of an hour would hold repeats back an hour and let a re-firing through the
 * cooldown, a step forward would send repeats early and cut the cooldown short.
 */
import type { Alert } from '../evaluator/types.js';
import { Cooldown } from './cooldown.js';
import type { Notification, NotifiedTransition, Stage, StageContext } from './stage.js';

export interface DedupOptions {
  /** Seconds; 0 notifies every firing. */
  cooldown: number;
  /** Seconds between re-sends of a still-firing alert; 0 never re-sends. */
  repeatInterval: number;
}

export class DedupStage implements Stage {
  readonly name = 'dedup';
  private readonly cooldown: Cooldown;
  private readonly repeatMs: number;
  /** fingerprint → when it was last notified (firing, escalated or repeat), monotonic ms. */
  private readonly lastSent = new Map<string, number>();
  /** Transitions held back, for stats. */
  suppressed = 0;
  repeats = 0;

  constructor(options: DedupOptions) {
    this.cooldown = new Cooldown(options.cooldown);
    this.repeatMs = options.repeatInterval * 1000;
  }

  run(notification: Notification, context: StageContext): Notification[] {
    const kept: NotifiedTransition[] = [];
    for (const entry of notification.alerts) {
      if (entry.repeat === true || this.admit(entry, context.monotonic ?? context.now)) kept.push(entry);
      else this.suppressed++;
    }
    return kept.length === 0 ? [] : [{ ...notification, alerts: kept }];
  }

  private admit(entry: NotifiedTransition, now: number): boolean {
    const { transition } = entry;
    const fingerprint = transition.alert.fingerprint;
    const admitted = this.cooldown.admit(transition, now);
    if (transition.kind === 'resolved') this.lastSent.delete(fingerprint);
    else if (admitted || !this.lastSent.has(fingerprint)) this.lastSent.set(fingerprint, now);
    return admitted;
  }

  /**
   * The repeats due: one synthetic `firing` per firing alert last notified (or held back) at
   * least repeatInterval ago on the monotonic clock (`monotonic`, default `now`). `now` (wall,
   * epoch ms) stamps the repeats.
   */
  due(now: number, firing: Alert[], monotonic: number = now): NotifiedTransition[] {
    if (!(this.repeatMs > 0)) return [];
    const out: NotifiedTransition[] = [];
    for (const alert of firing) {
      const last = this.lastSent.get(alert.fingerprint);
      if (last === undefined || monotonic - last < this.repeatMs) continue;
      this.lastSent.set(alert.fingerprint, monotonic);
      this.cooldown.markNotified(alert.fingerprint, monotonic);
      this.repeats++;
      out.push({ transition: { kind: 'firing', alert, at: now }, repeat: true });
    }
    return out;
  }

  /** Forget what no longer matters (bounded memory). `monotonic`: the clock `due` got. */
  prune(monotonic: number, firing: Alert[]): void {
    this.cooldown.prune(monotonic);
    if (this.lastSent.size > firing.length) {
      const live = new Set(firing.map((a) => a.fingerprint));
      for (const fingerprint of this.lastSent.keys()) if (!live.has(fingerprint)) this.lastSent.delete(fingerprint);
    }
  }
}
