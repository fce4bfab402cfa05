import type { AlertTransition } from '../evaluator/types.js';

/**
 * Holds back repeats of one alert (fingerprint) within the cooldown: a `firing` transition less
 * than `cooldownSeconds` after the last notified firing of the same fingerprint is not notified,
 * and neither is the `resolved` that ends it. Escalations always pass: a rise in level is news.
 * Everything still goes to the alert history; only notification is held back.
 *
 * `now` is whatever clock the caller measures durations on: the pipeline gives its monotonic
 * clock, so a wall-clock step neither cuts the cooldown short nor stretches it.
 */
export class Cooldown {
  private readonly lastFired = new Map<string, number>();
  private readonly suppressed = new Set<string>();

  constructor(private readonly cooldownSeconds: number) {}

  /** true when the transition should be notified. `now` in ms (monotonic in the pipeline). */
  admit(transition: AlertTransition, now: number): boolean {
    const fingerprint = transition.alert.fingerprint;
    switch (transition.kind) {
      case 'firing': {
        const last = this.lastFired.get(fingerprint);
        if (last !== undefined && now - last < this.cooldownSeconds * 1000 && now >= last) {
          this.suppressed.add(fingerprint);
          return false;
        }
        this.lastFired.set(fingerprint, now);
        this.suppressed.delete(fingerprint);
        return true;
      }
      case 'escalated':
        if (this.suppressed.delete(fingerprint)) this.lastFired.set(fingerprint, now);
        return true;
      case 'resolved':
        return !this.suppressed.delete(fingerprint);
      default:
        return true;
    }
  }

  /**
   * The alert was notified at `now` by other means (a repeat of a still-firing alert): its
   * resolve is news again and its cooldown restarts.
   */
  markNotified(fingerprint: string, now: number): void {
    this.suppressed.delete(fingerprint);
    this.lastFired.set(fingerprint, now);
  }

  /** Forget fingerprints whose cooldown ended long ago (bounded memory). */
  prune(now: number): void {
    for (const [fingerprint, at] of this.lastFired) {
      if (now - at > this.cooldownSeconds * 1000 && !this.suppressed.has(fingerprint)) this.lastFired.delete(fingerprint);
    }
  }
}
