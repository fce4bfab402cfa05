/**
 * The clocks and timers the pipeline uses, injected so every stage runs on a fake clock in tests.
 * The real one's timers are unref'd: pending notifications never keep a process alive.
 *
 * Two clocks, because the wall clock can step (NTP, a VM resumed, an operator's `date -s`):
 * `now()` (wall, epoch ms) stamps what people read (notification and transition times, silences,
 * which are wall-clock by nature as in Alertmanager); `monotonic()` measures durations (cooldown,
 * repeatInterval, groupWait/groupInterval), so a step of the wall clock neither holds an alert
 * back nor lets one through early. Timers are monotonic anyway (setTimeout).
 */
export interface Scheduler {
  /** Wall clock, epoch ms. */
  now(): number;
  /** Monotonic clock, ms from an arbitrary origin: for every duration. */
  monotonic(): number;
  /** Run `fn` after `ms` (monotonic); the returned function cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export function realScheduler(now: () => number = Date.now, monotonic: () => number = () => performance.now()): Scheduler {
  return {
    now,
    monotonic,
    setTimeout(fn, ms) {
      const timer = setTimeout(fn, Math.max(0, ms));
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}

/**
 * A scheduler whose time moves only when told: `advance(ms)` runs the timers due, in order.
 * `step(ms)` moves only the wall clock (a clock step), as a real clock step leaves
 * performance.now() and timers alone.
 */
export class ManualScheduler implements Scheduler {
  /** Monotonic time; timers run on it. */
  private time: number;
  /** Wall clock minus monotonic time: changed by step(). */
  private offset = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  /** `start`: the wall clock's start, epoch ms; the monotonic clock starts at the same value. */
  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time + this.offset;
  }

  monotonic(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return () => this.timers.delete(id);
  }

  /** Move time (both clocks) forward by `ms`, running every timer due on the way at its own time. */
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

  /** Set the wall clock (forward only) by advancing both clocks, running the timers due. */
  set(at: number): void {
    const now = this.now();
    if (at > now) this.advance(at - now);
  }

  /** Step the wall clock by `ms` (either sign); the monotonic clock and timers do not move. */
  step(ms: number): void {
    this.offset += ms;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
