/**
 * Webhook sink: each notification is POSTed as JSON (notificationJson, version 1).
 *
 * - Every attempt is bounded by `timeout` (AbortSignal); a receiver that hangs costs one timeout.
 * - Retries (`retries`, default 3) on network errors, timeouts, 408, 429 and 5xx, after an
 *   exponential backoff with jitter: base·2^attempt capped at maxBackoff, then a uniformly
 *   random delay between half and all of it. A `Retry-After` (seconds or HTTP date) on 429/503
 *   is honoured instead, capped at maxRetryAfter. Other 4xx fail at once.
 * - A bounded queue (`queueSize`, default 100) in front of one delivery at a time: when full,
 *   the new notification is dropped, counted in stats().dropped and reported (at most once a
 *   minute) through `report`.
 * - https only unless `allowHttp`; no credentials in the URL. Header values come from
 *   environment variables (`{ env: 'NAME' }`). Nothing logged ever holds a header value, the
 *   URL's path or query (which often carry tokens): only the sink's name and the URL's origin.
 * - send() never blocks: the pipeline and the other sinks never wait for this one.
 * - close() (the monitor's shutdown, after the bounded flush) aborts the attempt in flight and
 *   abandons the queue: an in-flight request holds the process open, so without it a slow or
 *   hanging receiver kept a shut-down service alive for as long as the queue took to drain.
 */
import { checkWebhookUrl, type WebhookConfig } from '../../config/index.js';
import type { Notification, Sink, SinkStats } from '../stage.js';
import { notificationJson } from './format.js';
import { parseRetryAfter, postOnce, rateLimited, realSleep, type AttemptOutcome } from './http-attempt.js';

export { parseRetryAfter };

/** A webhook sink's settings: the parsed `webhook` sink definition, with header values resolved. */
export type WebhookOptions = Omit<WebhookConfig, 'type' | 'headers'> & {
  /** Resolved header values (secrets: never logged). */
  headers: Record<string, string>;
};

export interface WebhookDeps {
  /** Wall clock, epoch ms: for a Retry-After given as an HTTP date. Default Date.now. */
  now?: () => number;
  /** Monotonic clock, ms: for the once-a-minute limit on reports. Default performance.now. */
  monotonic?: () => number;
  /** Wait ms (retries). Default: an unref'd timer. */
  sleep?: (ms: number) => Promise<void>;
  /** 0..1, for jitter. Default Math.random. */
  random?: () => number;
  fetch?: typeof fetch;
  /** Where drops and give-ups are reported. Default: console.warn, at most once a minute. */
  report?: (message: string) => void;
}

export interface WebhookStats extends SinkStats {
  retries: number;
  /**
   * Notifications queued or in flight when the sink was closed (shutdown), or sent after: never
   * delivered. Absent until it happens (like lastError).
   */
  abandoned?: number;
  /** The last failure's kind: `http 500`, `timeout`, `network` (never a URL or header). */
  lastError?: string;
}

export class WebhookSink implements Sink {
  private readonly queue: Notification[] = [];
  private readonly counters: WebhookStats = { sent: 0, failed: 0, dropped: 0, queued: 0, retries: 0 };
  private running: Promise<void> | undefined;
  /** Aborted by close(): ends the attempt in flight and the retries. */
  private readonly closing = new AbortController();
  private readonly origin: string;
  private readonly url: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly fetch: typeof fetch;
  private readonly report: (message: string) => void;

  constructor(
    readonly name: string,
    private readonly options: WebhookOptions,
    deps: WebhookDeps = {},
  ) {
    const url = checkWebhookUrl(options.url, options.allowHttp);
    this.url = url.href;
    this.origin = url.origin;
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? realSleep;
    this.random = deps.random ?? Math.random;
    this.fetch = deps.fetch ?? globalThis.fetch;
    // Rate-limited on the monotonic clock: on the wall clock a step back would mute it for the step.
    this.report = deps.report ?? rateLimited((m) => console.warn(m), deps.monotonic ?? (() => performance.now()));
  }

  send(notification: Notification): void {
    if (this.closing.signal.aborted) {
      this.abandon(1);
      return;
    }
    if (this.queue.length >= this.options.queueSize) {
      this.counters.dropped++;
      this.report(`[otel-health] webhook sink "${this.name}" (${this.origin}): queue full (${this.options.queueSize}), ${this.counters.dropped} notification(s) dropped so far`);
      return;
    }
    this.queue.push(notification);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    for (let n = this.queue.shift(); n !== undefined; n = this.queue.shift()) {
      try {
        await this.deliver(n);
      } catch {
        this.counters.failed++;
      }
    }
  }

  private abandon(count: number): void {
    if (count > 0) this.counters.abandoned = (this.counters.abandoned ?? 0) + count;
  }

  /**
   * Stop for good (shutdown): abort the attempt in flight, abandon the queue (counted in
   * `abandoned`), take nothing more. Call after flush() had its bounded wait.
   */
  close(): void {
    if (this.closing.signal.aborted) return;
    this.abandon(this.queue.length);
    this.queue.length = 0;
    this.closing.abort();
  }

  /** The delay before retry `attempt` (0-based): exponential, capped, with jitter in [½, 1]. */
  backoffMs(attempt: number): number {
    const base = Math.min(this.options.maxBackoff, this.options.backoff * 2 ** attempt) * 1000;
    return base / 2 + (base / 2) * this.random();
  }

  private async deliver(notification: Notification): Promise<void> {
    const body = JSON.stringify(notificationJson(notification));
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(body);
      if (outcome.ok) {
        this.counters.sent++;
        return;
      }
      if (this.closing.signal.aborted) {
        this.abandon(1);
        return;
      }
      this.counters.lastError = outcome.error;
      if (!outcome.retry || attempt >= this.options.retries) {
        this.counters.failed++;
        this.report(`[otel-health] webhook sink "${this.name}" (${this.origin}): gave up on a notification after ${attempt + 1} attempt(s): ${outcome.error}`);
        return;
      }
      this.counters.retries++;
      const wait =
        outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, this.options.maxRetryAfter * 1000) : this.backoffMs(attempt);
      await this.sleep(wait);
      if (this.closing.signal.aborted) {
        this.abandon(1);
        return;
      }
    }
  }

  private attempt(body: string): Promise<AttemptOutcome> {
    return postOnce({
      url: this.url,
      body,
      headers: this.options.headers,
      timeoutMs: this.options.timeout * 1000,
      closing: this.closing.signal,
      fetch: this.fetch,
      now: this.now(),
    });
  }

  stats(): WebhookStats {
    return { ...this.counters, queued: this.queue.length };
  }

  /** Wait for the queue to drain, at most `timeoutMs` (default one attempt's timeout). */
  async flush(timeoutMs = this.options.timeout * 1000): Promise<void> {
    if (this.running === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}
