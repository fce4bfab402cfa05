/**
 * Bounded history of alert transitions as the rule engine made them (firing, escalated,
 * de-escalated, resolved: every single change, a level's drop included, so the page's timeline
 * and `monitor.alertHistory()` show each level an alert fired at), with the same retention as
 * the metrics history: entries older than `retention` seconds before the newest (or before the
 * `now` given to `evict`) leave, and beyond `capacity` entries the oldest makes room. Age is
 * measured on the clock given to `push` as `at` (the HealthMonitor gives its monotonic clock;
 * default: the transition's time), so a forward wall-clock step does not empty the history;
 * entries keep their wall-clock `at`.
 */
import type { Alert, AlertTransition, RuleName } from '../model/index.js';

export const DEFAULT_ALERT_HISTORY_CAPACITY = 10_000;

export interface AlertHistoryEntry {
  /** When the transition happened, epoch ms. */
  at: number;
  /**
   * `firing`, `escalated`, `de-escalated` or `resolved`. (`flapping` is a notification the
   * pipeline makes after the history: the changes it folds are each here.)
   */
  kind: AlertTransition['kind'];
  /** The alert as of the transition (after it: a de-escalated alert at its new, lower level). */
  alert: Alert;
  /** For `escalated` and `de-escalated`: the level before. */
  previousLevel?: AlertTransition['previousLevel'];
}

export interface AlertHistoryQuery {
  /** Only entries with at ≥ since (epoch ms). */
  since?: number;
  serviceId?: string;
  rule?: RuleName;
  fingerprint?: string;
  /** At most this many entries: the most recent ones. */
  limit?: number;
}

export interface AlertHistoryOptions {
  /** Seconds kept (metricsRetention). */
  retention: number;
  /** Entries kept at most. Default 10 000. */
  capacity?: number;
}

export class AlertHistory {
  readonly capacity: number;
  private readonly retentionMs: number;
  private readonly entries: (AlertHistoryEntry | undefined)[] = [];
  /** Each entry's `at` given to push (parallel to entries): what its age is measured on. */
  private readonly ages: number[] = [];
  private head = 0;
  private count = 0;

  constructor(options: AlertHistoryOptions) {
    if (!(options.retention > 0)) throw new RangeError('retention must be > 0 seconds');
    this.capacity = Math.max(1, Math.floor(options.capacity ?? DEFAULT_ALERT_HISTORY_CAPACITY));
    this.retentionMs = options.retention * 1000;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Add a transition. `at`: its time on the clock its age is measured on (ms; default
   * transition.at). Give a monotonic clock, and the same one to `evict`.
   */
  push(transition: AlertTransition, at: number = transition.at): void {
    this.evict(at);
    if (this.count === this.capacity) {
      this.entries[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    const entry: AlertHistoryEntry = { at: transition.at, kind: transition.kind, alert: transition.alert };
    if (transition.previousLevel !== undefined) entry.previousLevel = transition.previousLevel;
    const slot = (this.head + this.count) % this.capacity;
    this.entries[slot] = entry;
    this.ages[slot] = at;
    this.count++;
  }

  /** Drop entries older than `retention` before `now`, on the clock of push's `at` (default epoch ms). */
  evict(now: number): void {
    const cutoff = now - this.retentionMs;
    while (this.count > 0 && this.ages[this.head]! < cutoff) {
      this.entries[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  /** Entries, oldest first. */
  query(query: AlertHistoryQuery = {}): AlertHistoryEntry[] {
    const out: AlertHistoryEntry[] = [];
    for (let i = 0; i < this.count; i++) {
      const e = this.entries[(this.head + i) % this.capacity]!;
      if (query.since !== undefined && e.at < query.since) continue;
      if (query.serviceId !== undefined && e.alert.serviceId !== query.serviceId) continue;
      if (query.rule !== undefined && e.alert.rule !== query.rule) continue;
      if (query.fingerprint !== undefined && e.alert.fingerprint !== query.fingerprint) continue;
      out.push(e);
    }
    const limit = query.limit;
    return limit !== undefined && limit >= 0 && limit < out.length ? out.slice(out.length - limit) : out;
  }

  clear(): void {
    this.entries.length = 0;
    this.ages.length = 0;
    this.head = 0;
    this.count = 0;
  }
}
