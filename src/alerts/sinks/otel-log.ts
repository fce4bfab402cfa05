/**
 * The default sink: one OTel LogRecord (`health.alert` event) per alert transition of the
 * notification, as before the pipeline, plus `health.alert.incident` and
 * `health.alert.incident.cause` (and `health.alert.repeat` on a repeat).
 */
import type { LoggerLike as Logger } from '../../model/index.js';
import { alertLogRecord } from '../log-record.js';
import type { Notification, Sink, SinkStats } from '../stage.js';

export class OtelLogSink implements Sink {
  private readonly counters = { sent: 0, failed: 0, dropped: 0, queued: 0 };

  constructor(
    private readonly logger: Logger,
    private readonly serviceName: string,
    readonly name = 'otel-log',
  ) {}

  send(notification: Notification): void {
    for (const entry of notification.alerts) {
      try {
        const record = alertLogRecord(entry.transition, this.serviceName);
        const attributes = record.attributes!;
        if (entry.incident !== undefined) {
          attributes['health.alert.incident'] = entry.incident.id;
          attributes['health.alert.incident.cause'] = entry.incident.cause;
        }
        if (entry.repeat === true) attributes['health.alert.repeat'] = true;
        this.logger.emit(record);
        this.counters.sent++;
      } catch {
        this.counters.failed++;
      }
    }
  }

  stats(): SinkStats {
    return { ...this.counters };
  }
}
