/**
 * One Alertmanager of the sink's list: its own queue and its own delivery, so a member that is
 * down or slow holds back only itself (every member gets every alert, as Prometheus' notifier
 * does). The queue is keyed by the alert's label set: a newer state of an alert still waiting
 * replaces it (a re-send of a firing alert during an outage does not pile up), and a new alert
 * that finds the queue full (`queueSize`) is dropped and counted. Deliveries go out in batches
 * of at most `maxBatch` alerts, one request at a time, each attempt bounded by `timeout` and
 * retried like the webhook sink's (backoff with jitter, Retry-After honoured); a batch given up
 * on is counted as failed (its firing alerts go again with the next re-send).
 */
import type { AlertmanagerAlert } from './alertmanager-format.js';
import { postOnce } from './http-attempt.js';

export interface MemberOptions {
  /** The member's alerts endpoint (`…/api/v2/alerts`). */
  endpoint: string;
  headers: Record<string, string>;
  /** Seconds. */
  timeout: number;
  retries: number;
  backoff: number;
  maxBackoff: number;
  maxRetryAfter: number;
  queueSize: number;
  maxBatch: number;
}

export interface MemberDeps {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  fetch: typeof fetch;
  report: (message: string) => void;
  /** Aborted when the sink closes. */
  closing: AbortSignal;
  /** The sink's name, for reports. */
  sinkName: string;
}

export interface MemberStats {
  /** The member's origin (never its path or credentials). */
  origin: string;
  /** Alerts delivered. */
  sent: number;
  /** Alerts in batches given up on. */
  failed: number;
  /** Alerts dropped: the queue was full. */
  dropped: number;
  queued: number;
  /** Requests retried. */
  retries: number;
  /** Alerts queued or in flight at close, or handed over after: never delivered. */
  abandoned?: number;
  lastError?: string;
}

export class AlertmanagerMember {
  private readonly pending = new Map<string, AlertmanagerAlert>();
  private readonly counters: MemberStats;
  /** The delivery loop, while it runs (`draining`). */
  private running: Promise<void> = Promise.resolve();
  private draining = false;

  constructor(
    private readonly options: MemberOptions,
    private readonly deps: MemberDeps,
  ) {
    this.counters = { origin: new URL(options.endpoint).origin, sent: 0, failed: 0, dropped: 0, queued: 0, retries: 0 };
  }

  /** Queue alerts by label key (a waiting older state is replaced) and make sure delivery runs. */
  enqueue(alerts: ReadonlyArray<[key: string, alert: AlertmanagerAlert]>): void {
    if (this.deps.closing.aborted) {
      this.abandon(alerts.length);
      return;
    }
    let dropped = 0;
    for (const [key, alert] of alerts) {
      if (!this.pending.has(key) && this.pending.size >= this.options.queueSize) {
        dropped++;
        continue;
      }
      this.pending.set(key, alert);
    }
    if (dropped > 0) {
      this.counters.dropped += dropped;
      this.deps.report(`[otel-health] alertmanager sink "${this.deps.sinkName}" (${this.counters.origin}): queue full (${this.options.queueSize}), ${this.counters.dropped} alert(s) dropped so far`);
    }
    if (this.pending.size > 0 && !this.draining) {
      this.draining = true;
      this.running = this.drain();
    }
  }

  /**
   * Deliver until the queue is empty. The loop says it stopped (`draining = false`) in the same
   * synchronous step as it saw the queue empty: an alert queued in any later step starts a new
   * loop, none can land in between and wait for the next enqueue.
   */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.pending.size === 0 || this.deps.closing.aborted) {
        this.draining = false;
        return;
      }
      const batch: AlertmanagerAlert[] = [];
      for (const [key, alert] of this.pending) {
        if (batch.length >= this.options.maxBatch) break;
        batch.push(alert);
        this.pending.delete(key);
      }
      try {
        await this.deliver(batch);
      } catch {
        this.counters.failed += batch.length;
      }
    }
  }

  /** The delay before retry `attempt` (0-based): exponential, capped, with jitter in [½, 1]. */
  backoffMs(attempt: number): number {
    const base = Math.min(this.options.maxBackoff, this.options.backoff * 2 ** attempt) * 1000;
    return base / 2 + (base / 2) * this.deps.random();
  }

  private async deliver(batch: AlertmanagerAlert[]): Promise<void> {
    const body = JSON.stringify(batch);
    for (let attempt = 0; ; attempt++) {
      const outcome = await postOnce({
        url: this.options.endpoint,
        body,
        headers: this.options.headers,
        timeoutMs: this.options.timeout * 1000,
        closing: this.deps.closing,
        fetch: this.deps.fetch,
        now: this.deps.now(),
      });
      if (outcome.ok) {
        this.counters.sent += batch.length;
        return;
      }
      if (this.deps.closing.aborted) {
        this.abandon(batch.length);
        return;
      }
      this.counters.lastError = outcome.error;
      if (!outcome.retry || attempt >= this.options.retries) {
        this.counters.failed += batch.length;
        this.deps.report(
          `[otel-health] alertmanager sink "${this.deps.sinkName}" (${this.counters.origin}): gave up on ${batch.length} alert(s) after ${attempt + 1} attempt(s): ${outcome.error}`,
        );
        return;
      }
      this.counters.retries++;
      const wait = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, this.options.maxRetryAfter * 1000) : this.backoffMs(attempt);
      await this.deps.sleep(wait);
      if (this.deps.closing.aborted) {
        this.abandon(batch.length);
        return;
      }
    }
  }

  /** Count alerts never delivered (handed over after close, or waiting at close). */
  abandon(count: number): void {
    if (count > 0) this.counters.abandoned = (this.counters.abandoned ?? 0) + count;
  }

  /** At close (the sink's signal is aborted by then): what still waits is abandoned. */
  close(): void {
    this.abandon(this.pending.size);
    this.pending.clear();
  }

  /** Resolves when the delivery loop in flight, if any, has emptied the queue (flush waits for it). */
  get idle(): Promise<void> {
    return this.draining ? this.running : Promise.resolve();
  }

  stats(): MemberStats {
    return { ...this.counters, queued: this.pending.size };
  }
}
