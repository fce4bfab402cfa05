/**
 * Inhibition: while an alert matching a rule's `source` fires on a service, that service's
 * alerts matching `target` are not notified (a different alert: never itself). Resolves pass
 * here; the pipeline drops a resolve whose firing was never notified.
 *
 * Defaults (DEFAULT_INHIBIT_RULES): a CRITICAL on a service suppresses its WARNINGs; a failing
 * dependency check (`check:*`) suppresses that service's error_rate and response_time alerts.
 *
 * Sources are the alerts firing now at their current level (ActiveAlerts follows escalations and
 * de-escalations): a CRITICAL that drops to ERROR stops suppressing the service's WARNINGs.
 * A `de-escalated` alert is judged at the level it drops from: one not inhibited there (its
 * receivers knew it at that level) has its drop notified even when the new level is inhibited,
 * or they would keep the old level until a resolve at a level they never saw fire.
 */
import { ALERT_DEFAULTS } from '../config/index.js';
import type { Alert } from '../model/index.js';
import { matchesAlert, matchesEntry, type AlertMatcher } from './matchers.js';
import type { Notification, NotifiedTransition, Stage, StageContext } from './stage.js';

export interface InhibitRule {
  source: AlertMatcher;
  target: AlertMatcher;
}

/** The rules used when `alerts.inhibit` is not given (ALERT_DEFAULTS.inhibit, in config/). */
export const DEFAULT_INHIBIT_RULES: readonly InhibitRule[] = ALERT_DEFAULTS.inhibit;

export class InhibitStage implements Stage {
  readonly name = 'inhibit';
  inhibited = 0;

  constructor(private readonly rules: readonly InhibitRule[]) {}

  run(notification: Notification, context: StageContext): Notification[] {
    if (this.rules.length === 0) return [notification];
    const firing = context.active.of(notification.service);
    const kept = notification.alerts.filter((entry) => {
      const { transition } = entry;
      // A resolve, or a flapping notice of an alert now resolved, is an ending: never inhibited
      // (the resolve filter drops it if its firing was never delivered).
      if (transition.alert.state === 'resolved') return true;
      let inhibited = this.isInhibited(entry, firing);
      if (inhibited && transition.kind === 'de-escalated' && transition.previousLevel !== undefined) {
        const before: NotifiedTransition = { ...entry, transition: { ...transition, alert: { ...transition.alert, level: transition.previousLevel } } };
        inhibited = this.isInhibited(before, firing);
      }
      if (inhibited) this.inhibited++;
      return !inhibited;
    });
    return kept.length === 0 ? [] : [{ ...notification, alerts: kept }];
  }

  private isInhibited(entry: NotifiedTransition, firing: readonly Alert[]): boolean {
    const target = entry.transition.alert;
    return this.rules.some(
      (rule) =>
        matchesEntry(rule.target, entry) && firing.some((source) => source.fingerprint !== target.fingerprint && matchesAlert(rule.source, source)),
    );
  }
}
