/**
 * A row's service level objective events (`HealthMetrics.sloEvents`): per objective name, the
 * events its indicator counted (`total`) and those that met it (`good`).
 *
 * They are counts of requests, summed exactly into tiers and read back to rebuild an error
 * budget, so whatever reaches the store is made a count first (`sloEventsOf`): a whole number
 * (rounded), 0 for a negative, NaN or infinite one, at most 2^53 − 1 (the largest a varint
 * reads back exactly; the row's other counts are stored the same way), and `good` at most `total` (more good than all events would give back
 * budget that was never there). An entry that is not an object is left out. Nothing throws.
 */
import type { SloEvents } from '../../model/index.js';

/** Per objective name. Only own keys; `__proto__` is an ordinary name here. */
export type SloEventCounts = Record<string, SloEvents>;

/** `v` as a stored count: a safe non-negative integer. */
export function eventCount(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return 0; // negative, NaN, infinite, not a number
  return v >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.round(v);
}

/** The entries of `events` as counts, in their order (see the module comment). */
export function sloEntriesOf(events: unknown): Array<[name: string, counts: SloEvents]> {
  if (typeof events !== 'object' || events === null) return [];
  const out: Array<[string, SloEvents]> = [];
  for (const [name, value] of Object.entries(events)) {
    if (typeof value !== 'object' || value === null) continue;
    const { good, total } = value as Partial<SloEvents>;
    const t = eventCount(total);
    out.push([name, { good: Math.min(eventCount(good), t), total: t }]);
  }
  return out;
}

/** Entries as a record. `Object.fromEntries` defines own properties, so a name like `__proto__` stays a name. */
export function sloEventsFrom(entries: Iterable<readonly [string, SloEvents]>): SloEventCounts {
  return Object.fromEntries(entries) as SloEventCounts;
}

/** Sums rows' events per name, exactly (what a tier row carries, like its request count). */
export class SloEventsSum {
  private readonly sums = new Map<string, SloEvents>();
  /** Whether any row added carried `sloEvents` (even empty): the sum then exists, else it stays absent. */
  private present = false;

  add(events: SloEventCounts | undefined): void {
    if (events === undefined) return;
    this.present = true;
    for (const [name, { good, total }] of sloEntriesOf(events)) {
      const sum = this.sums.get(name);
      if (sum === undefined) this.sums.set(name, { good, total });
      else {
        sum.good += good;
        sum.total += total;
      }
    }
  }

  /** The sums (a fresh record), or undefined when no row carried any. */
  result(): SloEventCounts | undefined {
    if (!this.present) return undefined;
    return sloEventsFrom([...this.sums].map(([name, s]) => [name, { good: s.good, total: s.total }] as const));
  }
}
