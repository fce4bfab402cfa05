/**
 * Console sink: one line per alert of a notification (`<time> [otel-health] <LEVEL> <transition>
 * <message>`, see consoleLines). It is also the default console output: with no OTLP endpoint
 * for the LoggerProvider otel-health creates, what goes to `otel-log` goes here too.
 */
import type { Notification, Sink, SinkStats } from '../stage.js';
import { consoleLines } from './format.js';

export class ConsoleSink implements Sink {
  private readonly counters = { sent: 0, failed: 0, dropped: 0, queued: 0 };

  constructor(
    readonly name = 'console',
    private readonly write: (line: string) => void = (line) => console.log(line),
  ) {}

  send(notification: Notification): void {
    try {
      for (const line of consoleLines(notification)) this.write(line);
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
