import { SeverityNumber, type AlertLogRecord } from '../model/index.js';
import { MonitoringLevel, type AlertTransition } from '../model/index.js';

export const ALERT_EVENT_NAME = 'health.alert';

const SEVERITY: Record<MonitoringLevel, { number: number; text: string }> = {
  [MonitoringLevel.INFO]: { number: SeverityNumber.INFO, text: 'INFO' },
  [MonitoringLevel.WARNING]: { number: SeverityNumber.WARN, text: 'WARN' },
  [MonitoringLevel.ERROR]: { number: SeverityNumber.ERROR, text: 'ERROR' },
  [MonitoringLevel.CRITICAL]: { number: SeverityNumber.FATAL, text: 'FATAL' },
};

/**
 * One alert transition as an OTel log event (README "Alerts", alert records). Severity from the level the
 * alert fires at after the transition (9 / 13 / 17 / 21): a `de-escalated` record has the new,
 * lower level's severity; a `resolved` record is INFO with the level that was firing as its
 * attribute; a `flapping` record has its current level's severity, or INFO when it is currently
 * resolved. `health.alert.previous_level` on `escalated` and `de-escalated` records;
 * `health.alert.flapping.changes` and `health.alert.flapping.window` (seconds) on `flapping`.
 */
export function alertLogRecord(transition: AlertTransition, serviceName: string): AlertLogRecord {
  const { alert } = transition;
  const severity = SEVERITY[alert.state === 'resolved' ? MonitoringLevel.INFO : alert.level];
  const record: AlertLogRecord = {
    eventName: ALERT_EVENT_NAME,
    timestamp: transition.at,
    severityNumber: severity.number,
    severityText: severity.text,
    // The producer words the sentence: the rule engine its alerts (`… resolved after 30s`), the
    // pipeline a `flapping` notification (`checkout: error_rate flapping, 5 changes in 46s; now
    // firing at ERROR: …`).
    body: alert.message,
    attributes: {
      'health.alert.rule': alert.rule,
      'health.alert.state': alert.state,
      'health.alert.level': alert.level,
      'health.alert.value': alert.value,
      'health.alert.threshold': alert.threshold,
      'health.alert.fingerprint': alert.fingerprint,
      'health.alert.transition': transition.kind,
      'service.name': serviceName,
    },
  };
  const attributes = record.attributes!;
  if (transition.previousLevel !== undefined) attributes['health.alert.previous_level'] = transition.previousLevel;
  if (transition.flapping !== undefined) {
    attributes['health.alert.flapping.changes'] = transition.flapping.changes;
    attributes['health.alert.flapping.window'] = transition.flapping.windowSeconds;
  }
  return record;
}
