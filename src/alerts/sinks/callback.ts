/**
 * Callback sink: your function gets each notification. It is not awaited by the pipeline: one
 * that throws or rejects is counted as failed; one that hangs holds a slot of `maxInFlight`, and
 * beyond that notifications are dropped and counted, never queued without bound.
 */
import type { Notification, Sink, SinkStats } from '../stage.js';

export class CallbackSink implements Sink {
  private readonly counters = { sent: 0, failed: 0, dropped: 0, queued: 0 };
  private inFlight = 0;

  constructor(
    readonly name: string,
    private readonly fn: (notification: Notification) => unknown,
    private readonly maxInFlight = 100,
  ) {}

  send(notification: Notification): void {
    if (this.inFlight >= this.maxInFlight) {
      this.counters.dropped++;
      return;
    }
    let result: unknown;
    try {
      result = this.fn(notification);
    } catch {
      this.counters.failed++;
      return;
    }
    if (result instanceof Promise) {
      this.inFlight++;
      result.then(
        () => {
          this.inFlight--;
          this.counters.sent++;
        },
        () => {
          this.inFlight--;
          this.counters.failed++;
        },
      );
    } else {
      this.counters.sent++;
    }
  }

  stats(): SinkStats & { inFlight: number } {
    return { ...this.counters, inFlight: this.inFlight };
  }
}
