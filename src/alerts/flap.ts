/**
 * Flap detection per alert (fingerprint), after Nagios' and Icinga's: an alert that changes
 * (fires, resolves, escalates, de-escalates) `threshold` times within `window` is flapping. Its
 * single changes are then folded into one `flapping` notification instead of paging on each;
 * a rise above every level delivered since it started flapping still goes through (a rise is
 * news); and once it has not changed for a whole `window`, it has settled, and its true state is
 * delivered if it differs from the last one delivered. So nothing is hidden: a sink always ends
 * on the true state, and sees at most a bounded number of notifications per window.
 *
 * Times are whatever clock the caller measures durations on (the pipeline's monotonic clock).
 * Memory is bounded: per alert at most `threshold` change times, and alerts that neither flap
 * nor changed within the window are forgotten by `prune`.
 */
import { MonitoringLevel, levelRank, type AlertTransition } from '../model/index.js';

/** What to do with one transition. */
export type FlapVerdict =
  /** Deliver it. */
  | { kind: 'pass' }
  /** The alert is flapping: count it, deliver nothing. */
  | { kind: 'fold' }
  /** It just started flapping: deliver this `flapping` transition instead. */
  | { kind: 'flapping'; transition: AlertTransition };

export interface FlapOptions {
  /** Changes within the window that make an alert flapping; 0 turns flap detection off. */
  threshold: number;
  /** Seconds: the window changes are counted in, and the quiet time after which it has settled. */
  window: number;
}

interface Delivered {
  firing: boolean;
  level: MonitoringLevel;
}

interface AlertFlaps {
  /** Times of its latest changes, oldest first, at most `threshold`. */
  changes: number[];
  /** Its latest transition: the true state. */
  last: AlertTransition;
  /** The state the sinks were last given. */
  delivered?: Delivered;
  flapping?: {
    /** Changes since it started flapping, the one that started it included. */
    changes: number;
    /** Highest level delivered since it started flapping. */
    highest?: MonitoringLevel;
  };
}

export class FlapDetector {
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly alerts = new Map<string, AlertFlaps>();
  /** Transitions folded while flapping. */
  folded = 0;
  /** `flapping` notifications made. */
  started = 0;

  constructor(options: FlapOptions) {
    this.threshold = Math.max(0, Math.floor(options.threshold));
    this.windowMs = Math.max(0, options.window) * 1000;
  }

  /** Judge one transition of the rule engine at `now` (ms). */
  observe(transition: AlertTransition, now: number): FlapVerdict {
    const fingerprint = transition.alert.fingerprint;
    let flaps = this.alerts.get(fingerprint);
    if (flaps === undefined) this.alerts.set(fingerprint, (flaps = { changes: [], last: transition }));
    flaps.last = transition;
    this.recordChange(flaps, now);

    if (flaps.flapping !== undefined) {
      flaps.flapping.changes++;
      const { alert } = transition;
      const rises = transition.kind !== 'resolved' && levelRank(alert.level) > levelRank(flaps.flapping.highest ?? MonitoringLevel.INFO);
      if (!rises) {
        this.folded++;
        return { kind: 'fold' };
      }
      flaps.flapping.highest = alert.level;
      flaps.delivered = { firing: true, level: alert.level };
      return { kind: 'pass' };
    }

    if (this.threshold > 0 && flaps.changes.length >= this.threshold) {
      const seconds = Math.round((now - flaps.changes[0]!) / 1000);
      const firing = transition.kind !== 'resolved';
      flaps.flapping = { changes: flaps.changes.length, ...(firing ? { highest: transition.alert.level } : {}) };
      flaps.delivered = { firing, level: transition.alert.level };
      this.started++;
      const { alert } = transition;
      const now_ = firing ? `firing at ${alert.level}` : 'resolved';
      return {
        kind: 'flapping',
        transition: {
          kind: 'flapping',
          at: transition.at,
          flapping: { changes: flaps.changes.length, windowSeconds: seconds },
          alert: {
            ...alert,
            message: `${alert.serviceId}: ${alert.rule} flapping, ${flaps.changes.length} changes in ${seconds}s; now ${now_}: ${alert.message}`,
          },
        },
      };
    }

    flaps.delivered = { firing: transition.kind !== 'resolved', level: transition.alert.level };
    return { kind: 'pass' };
  }

  /**
   * Alerts that stopped flapping by `now`: no change for a whole window. For each whose true
   * state differs from what was last delivered, its latest transition, to deliver (a `resolved`
   * as is; anything firing as a `firing` with its current alert). `all`: settle every flapping
   * alert now, quiet or not (at shutdown, so the sinks are left with the true state).
   */
  settle(now: number, all = false): AlertTransition[] {
    const out: AlertTransition[] = [];
    for (const flaps of this.alerts.values()) {
      if (flaps.flapping === undefined) continue;
      const lastChange = flaps.changes[flaps.changes.length - 1] ?? now;
      if (!all && now - lastChange < this.windowMs) continue;
      flaps.flapping = undefined;
      flaps.changes = [];
      const firing = flaps.last.kind !== 'resolved';
      const level = flaps.last.alert.level;
      const delivered = flaps.delivered;
      if (delivered !== undefined && delivered.firing === firing && (!firing || delivered.level === level)) continue;
      flaps.delivered = { firing, level };
      out.push(firing ? { kind: 'firing', alert: flaps.last.alert, at: flaps.last.at } : flaps.last);
    }
    return out;
  }

  /** Forget alerts that neither flap nor changed within the window (bounded memory). */
  prune(now: number): void {
    for (const [fingerprint, flaps] of this.alerts) {
      if (flaps.flapping !== undefined) continue;
      const lastChange = flaps.changes[flaps.changes.length - 1];
      if (lastChange === undefined || now - lastChange >= this.windowMs) this.alerts.delete(fingerprint);
    }
  }

  /** Alerts tracked now (flapping, or changed within the window). */
  get size(): number {
    return this.alerts.size;
  }

  /** Alerts flapping now. */
  get flapping(): number {
    let n = 0;
    for (const flaps of this.alerts.values()) if (flaps.flapping !== undefined) n++;
    return n;
  }

  private recordChange(flaps: AlertFlaps, now: number): void {
    const changes = flaps.changes;
    changes.push(now);
    while (changes.length > 0 && now - changes[0]! > this.windowMs) changes.shift();
    // Only whether `threshold` changes fit in the window matters: keep no more than that.
    const keep = Math.max(1, this.threshold);
    if (changes.length > keep) changes.splice(0, changes.length - keep);
  }
}
