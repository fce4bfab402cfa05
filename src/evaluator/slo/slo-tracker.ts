/**
 * Service level objectives, check after check: each check's events (`sloEvents`, counted by
 * deriveHealthMetrics) go into per-objective counts, from which the tracker gives each check its
 * `slos`: the error budget remaining over the objective's window and the burn rate over each
 * alert window (the rules `slo:<name>` judge them: slo-rule.ts).
 *
 * burn rate over a window = (bad / total) / (1 − objective): 1 spends the budget exactly over
 * the objective's window, 14.4 spends 2 % of a 30-day budget in an hour.
 * budget remaining = 1 − bad / ((1 − objective) × total) over the window covered.
 *
 * Counts, per service and objective (EventCounts rings, memory fixed at construction):
 * - each burn-rate alert: slots of one check interval, or of 1/12 of its short window when that
 *   is longer (rounded down to whole check intervals), spanning its long window. The fast pair
 *   is counted at check resolution; the 3-day window in 30-minute slots (144 of them);
 * - the budget: slots of window / 1440 (30 min for 30 days): the window's start is rounded to one.
 * About 2,000 slots, 48 KiB, per objective and service at the defaults.
 *
 * What the counts cover: from the first check the tracker saw (or the oldest row `seed` gave it,
 * from the persisted store), at most the objective's window: `covered` says how much, so a young
 * process without the store says its budget is that of its lifetime. An alert window longer than
 * that counts the time before as clean (same traffic, no errors): a young process's alerts need
 * the same share of the budget burned as a long-running one's, not a share of its short life.
 *
 * Time is the checks' wall-clock timestamps (windows are periods of the calendar, the same
 * across restarts); a window with no event has no burn rate (nothing to judge), like
 * Prometheus' rate ratio of 0 / 0.
 */
import { sloAlertWindows, type SloAlertWindow, type SloConfig } from '../../config/index.js';
import type { BurnRateAlert, DerivedHealthMetrics, SloEvents, SloStatus } from '../../model/index.js';
import { addDurationBounds } from '../../instrumentation/index.js';
import { EventCounts } from './event-counts.js';

/** Slots of the budget window. */
const BUDGET_SLOTS = 1_440;
/** Slots per short window, at most (coarser slots for long windows keep memory small). */
const SLOTS_PER_SHORT_WINDOW = 12;

/** A stored row's SLO events, for `seed` (the persisted store's `sloEventsSince` gives them). */
export interface SloEventsRow {
  /** End of the row's window (a tier row: of its bucket), epoch ms. */
  timestamp: number;
  /** 0: a check's own row; else the tier's bucket length, seconds. */
  resolution: number;
  /** Seconds of checks the row covers (a check's window). */
  windowSeconds: number;
  /** Per objective name. */
  events: Record<string, SloEvents>;
}

interface AlertCounts {
  window: SloAlertWindow;
  counts: EventCounts;
}

/** One objective's counts for one service. */
class ObjectiveState {
  readonly alerts: AlertCounts[];
  readonly budget: EventCounts;
  /** Start of the oldest window counted (epoch ms). */
  since = Infinity;

  constructor(
    readonly slo: SloConfig,
    checkIntervalMs: number,
  ) {
    this.alerts = sloAlertWindows(slo).map((window) => {
      const slots = Math.max(1, Math.floor((window.shortWindow * 1000) / SLOTS_PER_SHORT_WINDOW / checkIntervalMs));
      return { window, counts: new EventCounts(slots * checkIntervalMs, window.longWindow * 1000) };
    });
    const windowMs = slo.window * 1000;
    // Slots of window / 1,440 whatever the check interval: the window's start is never rounded by more.
    this.budget = new EventCounts(windowMs / BUDGET_SLOTS, windowMs);
  }

  add(timestamp: number, seconds: number, events: SloEvents): void {
    this.since = Math.min(this.since, timestamp - Math.max(0, seconds) * 1000);
    for (const a of this.alerts) a.counts.add(timestamp, events.good, events.total);
    this.budget.add(timestamp, events.good, events.total);
  }

  status(now: number): SloStatus {
    const slo = this.slo;
    const allowed = 1 - slo.objective;
    const knownMs = Number.isFinite(this.since) ? Math.max(0, now - this.since) : 0;
    // A window longer than what is known (a young process without the store) counts the time
    // before as without errors at the same traffic: its error ratio is diluted by known / window.
    // Otherwise the 6-hour and 3-day windows of a process a minute old would be a minute long,
    // and one bad minute would page and open a ticket (bench/slo/RESULTS.md, young process).
    const burnRate = (e: { good: number; total: number }, windowMs: number): number | undefined =>
      e.total > 0 ? (((e.total - e.good) / e.total) * Math.min(1, knownMs / windowMs)) / allowed : undefined;
    const burnRates: BurnRateAlert[] = this.alerts.map(({ window, counts }) => {
      const long = burnRate(counts.sum(now, window.longWindow * 1000), window.longWindow * 1000);
      const short = burnRate(counts.sum(now, window.shortWindow * 1000), window.shortWindow * 1000);
      const alert: BurnRateAlert = {
        alert: window.alert,
        level: window.level,
        burnRate: window.burnRate,
        longWindow: window.longWindow,
        shortWindow: window.shortWindow,
        burning: long !== undefined && short !== undefined && long >= window.burnRate && short >= window.burnRate,
      };
      if (long !== undefined) alert.long = long;
      if (short !== undefined) alert.short = short;
      return alert;
    });
    const { good, total } = this.budget.sum(now, slo.window * 1000);
    const status: SloStatus = {
      name: slo.name,
      objective: slo.objective,
      window: slo.window,
      indicator: slo.indicator.kind,
      good,
      total,
      covered: Number.isFinite(this.since) ? Math.min(slo.window, Math.max(0, (now - this.since) / 1000)) : 0,
      budgetRemaining: total > 0 ? 1 - (total - good) / (allowed * total) : 1,
      burnRates,
    };
    if (slo.indicator.kind === 'latency') status.threshold = slo.indicator.threshold;
    if (slo.route !== undefined) status.route = slo.route;
    return status;
  }
}

export interface SloTrackerOptions {
  /** Seconds between checks: the finest slot. */
  checkInterval: number;
  /** The service an objective without `service` is for (the monitor's `serviceName`). */
  serviceName: string;
}

/** Per service, the objectives that apply to it and their counts. */
export class SloTracker {
  private readonly states = new Map<string, Map<string, ObjectiveState>>();
  private readonly checkIntervalMs: number;

  constructor(
    private readonly slos: readonly SloConfig[],
    private readonly options: SloTrackerOptions,
  ) {
    this.checkIntervalMs = Math.max(1, options.checkInterval * 1000);
    // Latency objectives count good events from explicit buckets: a boundary at each threshold
    // makes the count exact (and Prometheus' `le` bucket the generated rules read exist).
    addDurationBounds(slos.flatMap((slo) => (slo.indicator.kind === 'latency' ? [slo.indicator.threshold] : [])));
  }

  /** The objectives of a service (what deriveHealthMetrics counts events for). */
  objectivesOf(serviceId: string): SloConfig[] {
    return this.slos.filter((slo) => (slo.service ?? this.options.serviceName) === serviceId);
  }

  private stateOf(serviceId: string): Map<string, ObjectiveState> {
    let states = this.states.get(serviceId);
    if (states === undefined) {
      states = new Map(this.objectivesOf(serviceId).map((slo) => [slo.name, new ObjectiveState(slo, this.checkIntervalMs)]));
      this.states.set(serviceId, states);
    }
    return states;
  }

  /**
   * Count a check's events and add its `slos`. Metrics of a service no objective applies to (or
   * without `sloEvents`) pass through unchanged.
   */
  track(metrics: DerivedHealthMetrics): DerivedHealthMetrics {
    const events = metrics.sloEvents;
    if (events === undefined) return metrics;
    const states = this.stateOf(metrics.serviceId);
    if (states.size === 0) return metrics;
    const slos: Record<string, SloStatus> = {};
    for (const [name, state] of states) {
      // A check with no event still counts as covered time: the window ran, nothing happened.
      state.add(metrics.timestamp, metrics.windowSeconds, events[name] ?? { good: 0, total: 0 });
      slos[name] = state.status(metrics.timestamp);
    }
    return { ...metrics, slos };
  }

  /**
   * Take back counts an earlier process kept (the persisted store's rows, oldest first, each
   * check counted once), before the first check. Rows of objectives no longer configured are
   * ignored; a renamed objective starts from nothing.
   */
  seed(serviceId: string, rows: Iterable<SloEventsRow>): void {
    const states = this.stateOf(serviceId);
    if (states.size === 0) return;
    for (const row of rows) {
      const tier = row.resolution > 0;
      for (const [name, state] of states) {
        const events = row.events[name];
        // A tier row's timestamp is its bucket's end: count it inside the bucket, which it spans.
        if (events !== undefined) state.add(tier ? row.timestamp - 1 : row.timestamp, tier ? row.resolution : row.windowSeconds, events);
      }
    }
  }

  /** Forget a service's counts (or everyone's). */
  reset(serviceId?: string): void {
    if (serviceId === undefined) this.states.clear();
    else this.states.delete(serviceId);
  }
}
