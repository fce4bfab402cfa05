// A bounded, ordered queue of export batches that failed transiently, retried one at a time
// with exponential backoff until the endpoint takes them again. Used for alert log records
// (log-record-exporter.ts); it knows nothing of OTLP or the worker: sending, counting and trimming a
// batch are given to it, and so are the timers, so that tests control time.

import { diag } from '@opentelemetry/api';

/** Default of {@link RedeliveryOptions.maxRecords}. */
export const DEFAULT_REDELIVERY_MAX_RECORDS = 2048;
/** Default of {@link RedeliveryOptions.initialBackoffMillis}. */
export const DEFAULT_REDELIVERY_INITIAL_BACKOFF_MILLIS = 1000;
/** Default of {@link RedeliveryOptions.maxBackoffMillis}. */
export const DEFAULT_REDELIVERY_MAX_BACKOFF_MILLIS = 30_000;

/** Each wait is the doubled backoff minus up to this fraction of it, at random, so that many
 * processes that lost the same collector do not all come back in the same millisecond. */
const JITTER = 0.2;

/** Bounds of the redelivery of log batches whose export failed transiently. */
export interface RedeliveryOptions {
  /** Log records kept for redelivery, at most. Beyond it the oldest records are dropped (and
   * counted): the newest alert state matters most. Default 2048: the default buffer of the
   * SDK's BatchLogRecordProcessor, so an outage holds at most as many records again. Alert
   * records are small: 2048 queued alert records took 1.2–1.4 MB of heap here (about 0.6 KB
   * each, measured with the script in the reliability notes); alerts are state changes, not
   * a stream, so that many cover a long outage. */
  maxRecords?: number;
  /** Wait before the first retry; it doubles after every failed retry. Default 1000. */
  initialBackoffMillis?: number;
  /** Cap of the doubling wait. Default 30000. */
  maxBackoffMillis?: number;
}

export interface ResolvedRedeliveryOptions {
  maxRecords: number;
  initialBackoffMillis: number;
  maxBackoffMillis: number;
}

/** Checks the options and fills in the defaults; throws a RangeError / TypeError naming the
 * bad field. */
export function resolveRedeliveryOptions(options: RedeliveryOptions = {}): ResolvedRedeliveryOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`otel-health: redelivery must be an object or false, got ${String(options)}`);
  }
  const maxRecords = options.maxRecords ?? DEFAULT_REDELIVERY_MAX_RECORDS;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new RangeError(`otel-health: redelivery.maxRecords must be a positive integer, got ${String(options.maxRecords)}`);
  }
  const initialBackoffMillis = options.initialBackoffMillis ?? DEFAULT_REDELIVERY_INITIAL_BACKOFF_MILLIS;
  if (typeof initialBackoffMillis !== 'number' || !Number.isFinite(initialBackoffMillis) || initialBackoffMillis <= 0) {
    throw new RangeError(`otel-health: redelivery.initialBackoffMillis must be a finite number > 0, got ${String(options.initialBackoffMillis)}`);
  }
  const maxBackoffMillis = options.maxBackoffMillis ?? Math.max(DEFAULT_REDELIVERY_MAX_BACKOFF_MILLIS, initialBackoffMillis);
  if (typeof maxBackoffMillis !== 'number' || !Number.isFinite(maxBackoffMillis) || maxBackoffMillis < initialBackoffMillis) {
    throw new RangeError(
      `otel-health: redelivery.maxBackoffMillis must be a finite number ≥ initialBackoffMillis (${initialBackoffMillis}), got ${String(options.maxBackoffMillis)}`,
    );
  }
  return { maxRecords, initialBackoffMillis, maxBackoffMillis };
}

/** How one attempt to send a batch ended. */
export type AttemptOutcome = 'delivered' | 'transient' | 'permanent';

export interface Attempt {
  outcome: AttemptOutcome;
  /** for 'permanent': a short label for the log line (never a URL or header value) */
  label?: string;
}

/** What the queue needs to know about a batch. */
export interface BatchOps<T> {
  /** Sends one batch; never rejects. */
  send(batch: T): Promise<Attempt>;
  /** Number of records in the batch. */
  count(batch: T): number;
  /** The batch without its `n` oldest records (0 < n < count). */
  dropOldest(batch: T, n: number): T;
}

export interface Timers {
  /** Must not keep the process alive (the default unref()s). */
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** in [0, 1) */
  random(): number;
}

const defaultTimers: Timers = {
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref(); // a retry waiting for an endpoint that is away must not hold the process
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  random: Math.random,
};

interface Entry<T> {
  seq: number;
  batch: T;
  count: number;
}

/**
 * Holds batches in export order (by `seq`) while their endpoint is away; one attempt at a time
 * retries the oldest. After a success the next one is sent at once, so the backlog drains in
 * order; after a transient failure the next attempt waits `initialBackoffMillis`, doubling per
 * failure up to `maxBackoffMillis` (minus up to 20 % jitter); a permanent failure drops that
 * batch and goes on with the next.
 *
 * At most `maxRecords` records are kept; beyond that the oldest records are dropped, trimming
 * the oldest batch when only part of it must go. A batch whose attempt is in flight can be
 * trimmed or dropped too: its records count as dropped (no longer retried) even if that
 * attempt then reaches the endpoint.
 *
 * The first drop of an outage is reported once through `diag.warn`; later drops are only
 * counted until a batch is delivered again.
 */
export class RedeliveryQueue<T> {
  private readonly options: ResolvedRedeliveryOptions;
  private readonly ops: BatchOps<T>;
  private readonly timers: Timers;
  private readonly warn: (message: string) => void;
  private readonly what: string;
  private entries: Entry<T>[] = [];
  private records = 0;
  private dropped = 0;
  private redelivered = 0;
  private failures = 0;
  private timer: unknown;
  private attempt: Promise<AttemptOutcome> | undefined;
  private warned = false;
  private closed = false;
  /** woken after every attempt, and by close() */
  private waiters: (() => void)[] = [];

  constructor(
    ops: BatchOps<T>,
    options: RedeliveryOptions = {},
    extra: { timers?: Timers; warn?: (message: string) => void; what?: string } = {},
  ) {
    this.ops = ops;
    this.options = resolveRedeliveryOptions(options);
    this.timers = extra.timers ?? defaultTimers;
    this.warn = extra.warn ?? ((message) => diag.warn(message));
    this.what = extra.what ?? 'records';
  }

  /** Records waiting for redelivery (the attempt in flight included). */
  get pendingRecords(): number {
    return this.records;
  }

  /** Batches waiting for redelivery. */
  get pendingBatches(): number {
    return this.entries.length;
  }

  /** Records given up on: dropped over the bound, refused permanently, or left at close(). */
  get droppedRecords(): number {
    return this.dropped;
  }

  /** Records delivered by a retry of this queue. */
  get redeliveredRecords(): number {
    return this.redelivered;
  }

  /** True while batches wait or an attempt is in flight: a new batch must then join the queue
   * (keeping the order, and not sending more to an endpoint that is away). */
  get active(): boolean {
    return this.entries.length > 0 || this.attempt !== undefined;
  }

  /** The wait before retry number `failures` (1-based), jitter included. */
  backoffMillis(failures: number): number {
    const { initialBackoffMillis, maxBackoffMillis } = this.options;
    const base = Math.min(maxBackoffMillis, initialBackoffMillis * 2 ** Math.min(failures - 1, 52));
    return base * (1 - JITTER * this.timers.random());
  }

  /** Takes a batch whose export failed transiently (or that arrived while the queue was
   * active). `seq` is its place in export order. False (and the records counted as dropped)
   * after close(). */
  add(seq: number, batch: T): boolean {
    const count = this.ops.count(batch);
    if (this.closed) {
      if (count > 0) this.drop(count, 'the exporter is shut down');
      return false;
    }
    if (count <= 0) return true;
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.seq > seq) i--;
    this.entries.splice(i, 0, { seq, batch, count });
    this.records += count;
    this.enforceBound();
    if (this.attempt === undefined && this.timer === undefined && this.entries.length > 0) {
      // The batch just failed (or the endpoint is known to be away): wait before the retry.
      this.failures = Math.max(this.failures, 1);
      this.schedule(this.backoffMillis(this.failures));
    }
    return true;
  }

  /** Counts records given up on outside the queue (e.g. a batch refused on its first
   * attempt), with the same once-per-outage warning. */
  countDropped(count: number, reason: string): void {
    if (count > 0) this.drop(count, reason);
  }

  /**
   * Retries now instead of at the end of the backoff, and keeps sending while batches are
   * delivered; resolves when the queue is empty or an attempt failed transiently (a dead
   * endpoint is not hammered: the backoff then continues as before).
   */
  async flush(): Promise<void> {
    while (!this.closed && this.entries.length > 0) {
      if (this.attempt === undefined) {
        this.cancelTimer();
        this.startAttempt();
      }
      const outcome = await this.attempt;
      if (outcome === 'transient') return;
    }
  }

  /** Keeps retrying until the queue is empty or close() is called. For a shutdown, under its
   * caller's time bound: the first retry is made at once and the backoff starts again from
   * `initialBackoffMillis`, so that a short bound still sees a few attempts. */
  async drain(): Promise<void> {
    if (!this.closed && this.entries.length > 0) {
      this.failures = 0;
      if (this.attempt === undefined) {
        this.cancelTimer();
        this.startAttempt();
      }
    }
    while (!this.closed && this.active) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Gives up: what is still queued is counted as dropped, no timer is left, later add()s are
   * dropped. The attempt in flight, if any, is ignored when it ends. Returns the records
   * dropped by this call. */
  close(): number {
    if (this.closed) return 0;
    this.closed = true;
    this.cancelTimer();
    const left = this.records;
    this.entries = [];
    this.records = 0;
    if (left > 0) this.drop(left, 'still queued at shutdown');
    this.wake();
    return left;
  }

  private enforceBound(): void {
    let excess = this.records - this.options.maxRecords;
    while (excess > 0) {
      const head = this.entries[0]!;
      if (head.count <= excess) {
        this.entries.shift();
        this.records -= head.count;
        excess -= head.count;
        this.drop(head.count, `over the bound of ${this.options.maxRecords} ${this.what}`);
      } else {
        head.batch = this.ops.dropOldest(head.batch, excess);
        head.count -= excess;
        this.records -= excess;
        this.drop(excess, `over the bound of ${this.options.maxRecords} ${this.what}`);
        excess = 0;
      }
    }
  }

  private drop(count: number, reason: string): void {
    this.dropped += count;
    if (this.warned) return;
    this.warned = true;
    this.warn(
      `otel-health: OTLP log redelivery dropped ${count} ${this.what} (${reason}); ` +
        'further drops until the next successful export are only counted (droppedLogRecords)',
    );
  }

  private schedule(ms: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.attempt === undefined) this.startAttempt();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private startAttempt(): void {
    if (this.closed || this.entries.length === 0) return;
    const entry = this.entries[0]!;
    const attempt = this.ops.send(entry.batch).then(
      (result) => this.settle(entry, result),
      () => this.settle(entry, { outcome: 'transient' }), // send() must not reject; if it does, try again later
    );
    this.attempt = attempt;
  }

  private settle(entry: Entry<T>, result: Attempt): AttemptOutcome {
    this.attempt = undefined;
    if (this.closed) {
      this.wake();
      return result.outcome;
    }
    // The entry may have been trimmed or dropped by the bound while its attempt was in flight.
    const stillQueued = this.entries[0] === entry;
    switch (result.outcome) {
      case 'delivered':
        if (stillQueued) {
          this.entries.shift();
          this.records -= entry.count;
          this.redelivered += entry.count;
        }
        this.failures = 0;
        this.warned = false; // the outage is over: the next drop is reported again
        this.startAttempt(); // drain the backlog in order, one request at a time
        break;
      case 'permanent':
        if (stillQueued) {
          this.entries.shift();
          this.records -= entry.count;
          this.drop(entry.count, `refused by the endpoint: ${result.label ?? 'permanent error'}`);
        }
        this.startAttempt(); // the endpoint answered: go on with the next batch
        break;
      case 'transient':
        this.failures++;
        if (this.entries.length > 0) this.schedule(this.backoffMillis(this.failures));
        break;
    }
    this.wake();
    return result.outcome;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
