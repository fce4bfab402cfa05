/**
 * Callback sink: your function gets each notification. It is not awaited by the pipeline: one
 * that throws or rejects is counted as failed; one that hangs holds a slot of `maxInFlight`, and
 * beyond that notifications are dropped and counted, never queued without bound.
 */
import type { Notification, Sink, SinkStats } from '../stage.js';

/** Anything with a `then` method: a native promise, or another library's (Bluebird, a query builder). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

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
    if (isThenable(result)) {
      this.inFlight++;
      // Adopted by a native promise in a later job, never by calling result.then here: a `then`
      // that throws becomes a rejection, so the slot always comes back (a slot taken before a
      // throwing `then` was lost for good, and maxInFlight of them stopped the sink). Any
      // thenable holds a slot until it settles, not only native promises.
      Promise.resolve()
        .then(() => result)
        .then(
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
