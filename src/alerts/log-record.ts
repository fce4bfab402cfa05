import { SeverityNumber, type AlertLogRecord } from '../model/otel-logs.js';
import { MonitoringLevel, type AlertTransition } from '../evaluator/types.js';

export const ALERT_EVENT_NAME = 'health.alert';

const SEVERITY: Record<MonitoringLevel, { number: number; text: string }> = {
  [MonitoringLevel.INFO]: { number: SeverityNumber.INFO, text: 'INFO' },
  [MonitoringLevel.WARNING]: { number: SeverityNumber.WARN, text: 'WARN' },
  [MonitoringLevel.ERROR]: { number: SeverityNumber.ERROR, text: 'ERROR' },
  [MonitoringLevel.CRITICAL]: { number: SeverityNumber.FATAL, text: 'FATAL' },
};

/**
 * One alert transition as an OTel log event (DESIGN section 3): severity from the level (9 /
 * 13 / 17 / 21), a `resolved` record at INFO with the level that was firing as its attribute.
 */
export function alertLogRecord(transition: AlertTransition, serviceName: string): AlertLogRecord {
  const { alert } = transition;
  const severity = SEVERITY[alert.state === 'resolved' ? MonitoringLevel.INFO : alert.level];
  return {
    eventName: ALERT_EVENT_NAME,
    timestamp: transition.at,
    severityNumber: severity.number,
    severityText: severity.text,
    // The rule engine words resolved alerts itself (`… resolved after 30s`).
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
}
