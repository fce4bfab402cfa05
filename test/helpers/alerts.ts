/** Alert transitions and a recording logger for the alert pipeline tests. */
import type { AlertLogRecord as LogRecord, LoggerLike as Logger } from '../../src/model/otel-logs.js';
import { alertFingerprint } from '../../src/evaluator/rules.js';
import { MonitoringLevel, type AlertTransition, type RuleName } from '../../src/model/types.js';

export const T0 = 1_700_000_000_000;

export function tr(
  kind: AlertTransition['kind'],
  at: number,
  options: { service?: string; rule?: RuleName; level?: MonitoringLevel; startsAt?: number } = {},
): AlertTransition {
  const service = options.service ?? 'checkout';
  const rule = options.rule ?? 'error_rate';
  return {
    kind,
    at,
    alert: {
      rule,
      level: options.level ?? MonitoringLevel.ERROR,
      state: kind === 'resolved' ? 'resolved' : 'firing',
      value: 1,
      threshold: 0.5,
      serviceId: service,
      fingerprint: alertFingerprint(service, rule),
      startsAt: options.startsAt ?? at,
      ...(kind === 'resolved' ? { endsAt: at } : {}),
      message: `${service}: ${rule} ${kind}`,
    },
  };
}

export function recordingLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { records, emit: (record: LogRecord) => void records.push(record) } as Logger & { records: LogRecord[] };
}
