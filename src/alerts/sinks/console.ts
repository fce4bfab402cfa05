/** Console sink: one line per notification (service, incident and cause, each alert). */
import type { Notification, Sink, SinkStats } from '../stage.js';
import { notificationLine } from './format.js';

export class ConsoleSink implements Sink {
  private readonly counters = { sent: 0, failed: 0, dropped: 0, queued: 0 };

  constructor(
    readonly name = 'console',
    private readonly write: (line: string) => void = (line) => console.log(line),
  ) {}

  send(notification: Notification): void {
    try {
      this.write(notificationLine(notification));
      this.counters.sent++;
    } catch {
      // A console that throws (closed stdout) must not reach the monitor.
      this.counters.failed++;
    }
  }

  stats(): SinkStats {
    return { ...this.counters };
  }
}
