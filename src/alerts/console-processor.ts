import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ALERT_EVENT_NAME } from './log-record.js';

/**
 * The embedded default when no backend is configured: each `health.alert` log event becomes one
 * readable line on the console. Other log records pass untouched.
 */
export class ConsoleAlertProcessor implements LogRecordProcessor {
  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  // ReadableLogRecord: what both lines hand onEmit (SdkLogRecord on 2.x, ReadWriteLogRecord on 3.x)
  // has these fields.
  onEmit(record: ReadableLogRecord, _context?: Context): void {
    if (record.eventName !== ALERT_EVENT_NAME) return;
    try {
      const a = record.attributes;
      const time = new Date(record.hrTime[0] * 1000 + record.hrTime[1] / 1e6).toISOString();
      // The transition (firing / escalated / de-escalated / resolved / flapping) rather than the
      // state, so a level change does not read as a new alert, nor a drop as a resolve
      // (`ERROR de-escalated checkout: error rate 25% ≥ 10% (was CRITICAL)`).
      const transition = a['health.alert.transition'] ?? a['health.alert.state'];
      this.write(`${time} [otel-health] ${String(a['health.alert.level'])} ${String(transition)} ${String(record.body)}`);
    } catch {
      // A console that throws (closed stdout) must not reach the monitor.
    }
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
