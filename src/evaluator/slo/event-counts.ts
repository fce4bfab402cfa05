/**
 * Good and total events in time slots, for sums over a sliding window: the counts behind an
 * objective's burn rates and error budget. A ring of `span / slot` slots; memory is fixed at
 * construction (three Float64 arrays), whatever the traffic.
 *
 * A slot holds the events of the checks whose window ended in it (slot = ⌊timestamp / slot⌋,
 * wall clock, epoch ms): with slots of one check interval, a window of n checks sums exactly the
 * last n checks; with longer slots, a window's start is rounded to a slot boundary (at most one
 * slot early or late). A window shorter than a slot reads the latest slot.
 */
export class EventCounts {
  private readonly good: Float64Array;
  private readonly total: Float64Array;
  /** The absolute slot number each ring entry holds (−1: empty). */
  private readonly slotOf: Float64Array;
  private latest = -Infinity;

  /** `slotMs`: slot length; `spanMs`: the longest window to be summed. */
  constructor(
    readonly slotMs: number,
    spanMs: number,
  ) {
    const size = Math.max(1, Math.ceil(spanMs / slotMs));
    this.good = new Float64Array(size);
    this.total = new Float64Array(size);
    this.slotOf = new Float64Array(size).fill(-1);
  }

  /** Count a check's events at `timestamp` (epoch ms). Events older than the span are dropped. */
  add(timestamp: number, good: number, total: number): void {
    if (!(total > 0) || !Number.isFinite(timestamp)) return;
    const slot = Math.floor(timestamp / this.slotMs);
    const size = this.slotOf.length;
    if (slot <= this.latest - size) return;
    const i = slot % size;
    if (this.slotOf[i] !== slot) {
      this.slotOf[i] = slot;
      this.good[i] = 0;
      this.total[i] = 0;
    }
    this.good[i]! += Math.min(good, total);
    this.total[i]! += total;
    if (slot > this.latest) this.latest = slot;
  }

  /** Events of the slots in (now − windowMs, now]: at least the slot of `now`. */
  sum(now: number, windowMs: number): { good: number; total: number } {
    const last = Math.floor(now / this.slotMs);
    const size = this.slotOf.length;
    const first = Math.max(Math.min(Math.floor((now - windowMs) / this.slotMs) + 1, last), last - size + 1);
    let good = 0;
    let total = 0;
    for (let slot = first; slot <= last; slot++) {
      const i = ((slot % size) + size) % size;
      if (this.slotOf[i] !== slot) continue;
      good += this.good[i]!;
      total += this.total[i]!;
    }
    return { good, total };
  }
}
