/**
 * The clock and timers the pipeline uses, injected so every stage runs on a fake clock in tests.
 * The real one's timers are unref'd: pending notifications never keep a process alive.
 */
export interface Scheduler {
  /** Epoch ms. */
  now(): number;
  /** Run `fn` after `ms`; the returned function cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export function realScheduler(now: () => number = Date.now): Scheduler {
  return {
    now,
    setTimeout(fn, ms) {
      const timer = setTimeout(fn, Math.max(0, ms));
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}

/** A scheduler whose time moves only when told: `advance(ms)` runs the timers due, in order. */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return () => this.timers.delete(id);
  }

  /** Move time forward by `ms`, running every timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId: number | undefined;
      let next: { at: number; fn: () => void } | undefined;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (next === undefined || t.at < next.at)) {
          next = t;
          nextId = id;
        }
      }
      if (next === undefined || nextId === undefined) break;
      this.timers.delete(nextId);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = end;
  }

  /** Set the time (forward only), running the timers due. */
  set(at: number): void {
    if (at > this.time) this.advance(at - this.time);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
