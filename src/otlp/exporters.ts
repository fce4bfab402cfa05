// PushMetricExporter / LogRecordExporter that hand every batch to the shared OTLP export
// worker (worker-host.ts). The main thread only projects the batch onto plain data
// (serialize.ts) and postMessage()s a copy; serialization and the HTTP request happen in the
// worker, so no outbound request is ever made from the main thread (DESIGN.md §4).

import type * as http from 'node:http';
import type * as https from 'node:https';
import type { Exception } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode, globalErrorHandler } from '@opentelemetry/core';
import type { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type {
  AggregationOption,
  AggregationSelector,
  AggregationTemporality,
  InstrumentType,
  PushMetricExporter,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { AggregationType, InstrumentType as InstrumentTypes } from '@opentelemetry/sdk-metrics';
import { exportErrorLabel, isTransientExportError } from './export-errors.js';
import type { Signal, WireExporterConfig, WireLogBatch } from './protocol.js';
import type { Attempt, RedeliveryOptions } from './redelivery.js';
import { RedeliveryQueue, resolveRedeliveryOptions } from './redelivery.js';
import { toCloneable, wireLogBatch, wireResourceMetrics } from './serialize.js';
import type { ExportBody, OtlpWorkerHost, RequestResult } from './worker-host.js';
import { getWorkerHost, otelEnvSnapshot } from './worker-host.js';

/** Default of {@link WorkerExporterOptions.maxQueue}. */
export const DEFAULT_MAX_QUEUE = 64;
/** Default of {@link WorkerExporterOptions.shutdownTimeoutMillis}. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5000;

/**
 * Options of {@link WorkerMetricExporter} and {@link WorkerLogRecordExporter}.
 *
 * `url`, `headers`, `timeoutMillis`, `compression`, `concurrencyLimit`, `keepAlive`,
 * `httpAgentOptions` and `userAgent` are handed unchanged to the stock `OTLPMetricExporter` /
 * `OTLPLogExporter` (exporter-*-otlp-http 0.223) inside the worker; what is not given there
 * comes from the same environment variables and defaults as with the stock exporter. They
 * must be structured-clone-safe (no functions: a `headers` factory or an agent factory cannot
 * cross to the worker).
 */
export interface WorkerExporterOptions {
  /** Default: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` / `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics` or `/v1/logs`, else
   * `http://localhost:4318/v1/metrics` or `…/v1/logs`. */
  url?: string;
  /** Merged over `OTEL_EXPORTER_OTLP_HEADERS` and the signal-specific variable. */
  headers?: Record<string, string>;
  /** Per export, retries included. Default: `OTEL_EXPORTER_OTLP_{METRICS,LOGS}_TIMEOUT`, else
   * `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10000. */
  timeoutMillis?: number;
  /** Default: `OTEL_EXPORTER_OTLP_{METRICS,LOGS}_COMPRESSION`, else `OTEL_EXPORTER_OTLP_COMPRESSION`, else none. */
  compression?: 'gzip' | 'none';
  /** Concurrent requests in the stock exporter. Default 30. */
  concurrencyLimit?: number;
  /** Default true. */
  keepAlive?: boolean;
  /** Plain agent options only (an agent factory function cannot be sent to the worker). */
  httpAgentOptions?: http.AgentOptions | https.AgentOptions;
  /** Prepended to the stock exporter's User-Agent. */
  userAgent?: string;
  /** Batches of this exporter sent to the worker and not answered yet; an export beyond this
   * is dropped (counted in `droppedBatches`) and its callback gets FAILED. Default 64. */
  maxQueue?: number;
  /** Bound of shutdown() (flush, stop the stock exporter, stop the worker) and of
   * forceFlush(). Default 5000. */
  shutdownTimeoutMillis?: number;
}

export interface WorkerMetricExporterOptions extends WorkerExporterOptions {
  /** As in the stock exporter: default from `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`
   * (`cumulative` (default), `delta`, `lowmemory`). */
  temporalityPreference?: AggregationTemporalityPreference | AggregationTemporality;
  /** As in the stock exporter (default: DEFAULT for every instrument). When absent,
   * `OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=base2_exponential_bucket_histogram`
   * makes histograms exponential — a variable the stock OTLPMetricExporter 0.223 does not
   * read itself; see {@link histogramAggregationFromEnv}. */
  aggregationPreference?: AggregationSelector;
}

const DEFAULT_AGGREGATION: AggregationOption = Object.freeze({ type: AggregationType.DEFAULT });

/**
 * `OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION` as an AggregationSelector, or
 * undefined (the stock default, `{ type: DEFAULT }` for every instrument) when unset.
 *
 * Reimplemented, minimally: the stock OTLPMetricExporter 0.223 does not read this variable;
 * in the 0.223 family only @opentelemetry/configuration (EnvironmentConfigFactory) with
 * sdk-node's aggregationSelectorFromConfig maps it, and neither is exported for reuse.
 * `base2_exponential_bucket_histogram` gives histograms `{ type: EXPONENTIAL_HISTOGRAM }`
 * (other instruments DEFAULT), as there. `explicit_bucket_histogram` (the specified default)
 * and unknown values (with a warning) leave the DEFAULT aggregation in place — which is an
 * explicit-bucket histogram — instead of sdk-node's `{ type: EXPLICIT_BUCKET_HISTOGRAM }`,
 * because that option ignores an instrument's `advice.explicitBucketBoundaries` and would put
 * second-valued histograms into the default millisecond buckets.
 */
export function histogramAggregationFromEnv(
  value = process.env.OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION,
): AggregationSelector | undefined {
  const raw = value?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'explicit_bucket_histogram') return undefined;
  if (raw !== 'base2_exponential_bucket_histogram') {
    diag.warn(
      `OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION is '${value}', but only 'explicit_bucket_histogram' and 'base2_exponential_bucket_histogram' are allowed; using 'explicit_bucket_histogram'.`,
    );
    return undefined;
  }
  const exponential: AggregationOption = { type: AggregationType.EXPONENTIAL_HISTOGRAM };
  return (instrumentType: InstrumentType) => (instrumentType === InstrumentTypes.HISTOGRAM ? exponential : DEFAULT_AGGREGATION);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`otel-health: ${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`otel-health: ${name} must be a finite number ≥ 0, got ${value}`);
  return value;
}

function wireConfig(options: WorkerExporterOptions): WireExporterConfig {
  const out: WireExporterConfig = {};
  if (options.url !== undefined) out.url = options.url;
  if (options.headers !== undefined) out.headers = { ...options.headers };
  if (options.timeoutMillis !== undefined) out.timeoutMillis = options.timeoutMillis;
  if (options.compression !== undefined) out.compression = options.compression;
  if (options.concurrencyLimit !== undefined) out.concurrencyLimit = options.concurrencyLimit;
  if (options.keepAlive !== undefined) out.keepAlive = options.keepAlive;
  if (options.httpAgentOptions !== undefined) out.httpAgentOptions = { ...options.httpAgentOptions } as Record<string, unknown>;
  if (options.userAgent !== undefined) out.userAgent = options.userAgent;
  return out;
}

/** Resolves true when `promise` settled within `ms`, false on timeout. The timer is ref'd on
 * purpose: an awaited flush or shutdown keeps the process alive until it ends or times out. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/** An export callback that never throws into the exporter (a throwing callback goes to the
 * global error handler instead). */
function safely(resultCallback: (result: ExportResult) => void): (result: ExportResult) => void {
  return (result) => {
    try {
      resultCallback(result);
    } catch (error) {
      globalErrorHandler(error as Exception);
    }
  };
}

/** Batches an exporter holds beyond the worker's in-flight requests (the log redelivery
 * queue): forceFlush() and shutdown() give them their chance within the same bound. */
interface Backlog {
  readonly active: boolean;
  /** Try now; resolve when empty or after an attempt failed. */
  flush(): Promise<void>;
  /** Keep trying until empty (or close()). */
  drain(): Promise<void>;
  /** Give up on what is left (counted as dropped). */
  close(): number;
}

/** What both exporters share: queue bound, drop count, flush and shutdown with a bound. */
class ExportChannel {
  private readonly host: OtlpWorkerHost;
  private readonly id: number;
  private readonly maxQueue: number;
  private readonly shutdownTimeoutMillis: number;
  private readonly inFlight = new Set<Promise<void>>();
  private dropped = 0;
  private dropping = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly signal: Signal;
  /** Set by an exporter that keeps batches of its own (WorkerLogRecordExporter). */
  backlog: Backlog | undefined;

  constructor(signal: Signal, options: WorkerExporterOptions) {
    this.signal = signal;
    this.maxQueue = positiveInteger('maxQueue', options.maxQueue, DEFAULT_MAX_QUEUE);
    this.shutdownTimeoutMillis = nonNegative('shutdownTimeoutMillis', options.shutdownTimeoutMillis, DEFAULT_SHUTDOWN_TIMEOUT_MILLIS);
    this.host = getWorkerHost();
    this.id = this.host.addExporter(signal, wireConfig(options), otelEnvSnapshot());
  }

  /** Batches dropped because `maxQueue` batches were already waiting for the worker. */
  get droppedBatches(): number {
    return this.dropped;
  }

  /** Batches handed to the worker and not answered yet. */
  get pendingBatches(): number {
    return this.inFlight.size;
  }

  /** True once shutdown() or abandon() was called: exports then fail at once. */
  get isShutdown(): boolean {
    return this.shutdownPromise !== undefined;
  }

  send(build: () => ExportBody, fallback: () => ExportBody, resultCallback: (result: ExportResult) => void): void {
    const callback = safely(resultCallback);
    if (this.shutdownPromise !== undefined) {
      callback({ code: ExportResultCode.FAILED, error: new Error('Exporter has been shutdown') });
      return;
    }
    if (this.inFlight.size >= this.maxQueue) {
      this.dropped++;
      if (!this.dropping) {
        this.dropping = true;
        diag.warn(`otel-health: OTLP ${this.signal} export queue is full (maxQueue ${this.maxQueue}); dropping batches`);
      }
      callback({ code: ExportResultCode.FAILED, error: new Error(`otel-health: OTLP ${this.signal} export queue full (maxQueue ${this.maxQueue}); batch dropped`) });
      return;
    }
    this.dropping = false;
    let body: ExportBody;
    try {
      body = build();
    } catch (error) {
      callback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    const done = this.host.export(this.id, body, fallback).then((result) => {
      this.inFlight.delete(done);
      callback(result.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: result.error });
    });
    this.inFlight.add(done);
  }

  /** Sends a batch again, outside the `maxQueue` accounting (the backlog bounds itself). */
  resend(body: ExportBody, fallback: () => ExportBody): Promise<RequestResult> {
    return this.host.export(this.id, body, fallback);
  }

  /** Waits for the batches handed to the worker so far, and gives the backlog an attempt now,
   * at most `shutdownTimeoutMillis`. */
  async forceFlush(): Promise<void> {
    if (this.inFlight.size === 0 && this.backlog?.active !== true) return;
    const work = (async () => {
      await Promise.all([...this.inFlight]);
      await this.backlog?.flush();
    })();
    if (!(await within(work, this.shutdownTimeoutMillis))) {
      diag.warn(`otel-health: OTLP ${this.signal} forceFlush gave up after ${this.shutdownTimeoutMillis} ms`);
    }
  }

  /** Flushes, stops this exporter in the worker and, when it was the worker's last exporter,
   * terminates the worker; resolves within `shutdownTimeoutMillis` even when the endpoint
   * hangs (still-pending batches then get FAILED). */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  /**
   * Stop now: fail every batch still waiting and release the worker, without the graceful flush
   * of shutdown(). For a caller whose own shutdown bound has run out.
   */
  abandon(): Promise<void> {
    this.backlog?.close();
    this.host.failPending(this.id, new Error(`otel-health: OTLP ${this.signal} export abandoned at shutdown`));
    this.shutdownPromise ??= within(this.host.removeExporter(this.id), 1000).then(() => undefined);
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    const deadline = Date.now() + this.shutdownTimeoutMillis;
    const graceful = (async () => {
      await Promise.all([...this.inFlight]);
      // A batch that failed transiently just now has joined the backlog: drain it too.
      await this.backlog?.drain();
      await this.host.shutdownExporter(this.id);
    })();
    if (!(await within(graceful, this.shutdownTimeoutMillis))) {
      diag.warn(`otel-health: OTLP ${this.signal} exporter shutdown timed out after ${this.shutdownTimeoutMillis} ms`);
      // First the backlog (what it still holds is counted as dropped, and the result of its
      // attempt in flight ignored), then the requests still waiting for the worker.
      this.backlog?.close();
      this.host.failPending(this.id, new Error(`otel-health: OTLP ${this.signal} exporter shutdown timed out after ${this.shutdownTimeoutMillis} ms`));
    }
    this.backlog?.close(); // drained by now, unless timed out above: leaves no timer behind
    // Terminating the worker normally takes a few ms; keep the overall bound regardless.
    await within(this.host.removeExporter(this.id), Math.max(0, deadline - Date.now()));
  }
}

/** What both worker exporters share: the channel to the worker and its lifecycle. */
abstract class WorkerExporterBase {
  protected readonly channel: ExportChannel;

  protected constructor(signal: Signal, options: WorkerExporterOptions) {
    this.channel = new ExportChannel(signal, options);
  }

  /** Batches dropped because `maxQueue` batches were already waiting for the worker. */
  get droppedBatches(): number {
    return this.channel.droppedBatches;
  }

  /** Batches handed to the worker and not answered yet. */
  get pendingBatches(): number {
    return this.channel.pendingBatches;
  }

  /** Waits for the batches handed to the worker so far, at most `shutdownTimeoutMillis`. */
  forceFlush(): Promise<void> {
    return this.channel.forceFlush();
  }

  /** Fails the batches still waiting and releases the worker at once, without flushing. */
  abandon(): Promise<void> {
    return this.channel.abandon();
  }

  /** Flushes, stops the stock exporter in the worker and, when this was the worker's last
   * exporter, terminates the worker. Resolves within `shutdownTimeoutMillis` even when the
   * endpoint hangs; batches still pending then get FAILED, and later exports FAILED at once. */
  shutdown(): Promise<void> {
    return this.channel.shutdown();
  }
}

/**
 * OTLP/HTTP JSON metric exporter whose serialization and sending run in a worker thread,
 * through the stock `OTLPMetricExporter`. Use it like the stock exporter, e.g. with a
 * `PeriodicExportingMetricReader`.
 *
 * The shared worker is unref()'d, so a pending export() does not keep the process alive by
 * itself (the SDK's readers and processors hold their own export timers while they wait);
 * forceFlush() and shutdown() do, for at most `shutdownTimeoutMillis`.
 *
 * A batch that fails after the stock exporter's own retries is lost: metrics have no
 * redelivery queue (unlike {@link WorkerLogRecordExporter}). With cumulative temporality (the
 * default) sums and histograms lose only resolution: the next export after an outage carries
 * the totals since the start (gauge values of the missed exports are gone). With delta
 * temporality (`temporalityPreference`, or
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta` / `lowmemory`) each export carries
 * only its own window, so the windows exported during an outage are gone.
 */
export class WorkerMetricExporter extends WorkerExporterBase implements PushMetricExporter {
  /** The stock exporter's own selector logic (temporality preference, env variable,
   * aggregation preference), run with a delegate that never sends anything. */
  private readonly selectors: OTLPMetricExporterBase;

  constructor(options: WorkerMetricExporterOptions = {}) {
    const aggregationPreference = options.aggregationPreference ?? histogramAggregationFromEnv();
    super('metrics', options);
    this.selectors = new OTLPMetricExporterBase(NEVER_SENDS, {
      temporalityPreference: options.temporalityPreference,
      aggregationPreference,
    });
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.channel.send(
      () => ({ signal: 'metrics', payload: wireResourceMetrics(metrics) }),
      () => ({ signal: 'metrics', payload: toCloneable(wireResourceMetrics(metrics)) as ReturnType<typeof wireResourceMetrics> }),
      resultCallback,
    );
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.selectors.selectAggregationTemporality(instrumentType);
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this.selectors.selectAggregation(instrumentType);
  }
}

type Delegate = ConstructorParameters<typeof OTLPMetricExporterBase>[0];
const NEVER_SENDS: Delegate = {
  export: (_items, resultCallback) =>
    resultCallback({ code: ExportResultCode.FAILED, error: new Error('otel-health: selector-only exporter') }),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
  setMetrics: () => undefined,
};

/** Options of {@link WorkerLogRecordExporter}. */
export interface WorkerLogRecordExporterOptions extends WorkerExporterOptions {
  /**
   * Redelivery of log batches whose export failed transiently (see the class comment).
   * Default: on, with `{ maxRecords: 2048, initialBackoffMillis: 1000, maxBackoffMillis: 30000 }`
   * for the fields not given. `false`: a failed batch is reported FAILED and lost, as with the
   * stock exporter. Bad values throw a RangeError or TypeError naming the field.
   */
  redelivery?: RedeliveryOptions | false;
}

function dropOldestRecords(batch: WireLogBatch, n: number): WireLogBatch {
  // Resources and scopes no record points to any more are left: the transformer groups by
  // the records', so they do not reach the request.
  return { resources: batch.resources, scopes: batch.scopes, records: batch.records.slice(n) };
}

function attemptOf(result: RequestResult): Attempt {
  if (result.ok) return { outcome: 'delivered' };
  if (isTransientExportError(result.error)) return { outcome: 'transient' };
  return { outcome: 'permanent', label: exportErrorLabel(result.error) };
}

/**
 * OTLP/HTTP JSON log record exporter whose serialization and sending run in a worker thread,
 * through the stock `OTLPLogExporter`. Use it like the stock exporter, e.g. with a
 * `BatchLogRecordProcessor`.
 *
 * The shared worker is unref()'d, so a pending export() does not keep the process alive by
 * itself (the SDK's readers and processors hold their own export timers while they wait);
 * forceFlush() and shutdown() do, for at most `shutdownTimeoutMillis`.
 *
 * **Collector outages (redelivery).** The stock exporter retries a failed request only within
 * one export's `timeoutMillis`. Alert records are few and worth more, so a batch that still
 * fails *transiently* — connection refused or reset, DNS failure, timeout, HTTP 408, 429 or any
 * 5xx (500 included, on purpose, beyond the OTLP specification's 429/502/503/504; see
 * export-errors.ts) — is kept in a bounded queue in this thread and sent again later:
 *
 * - While the queue holds anything, new batches join its tail without a request of their own
 *   (order kept; an endpoint that is away gets one request at a time). One attempt at a time
 *   retries the oldest batch, after `initialBackoffMillis` (default 1 s), doubling per failure up
 *   to `maxBackoffMillis` (default 30 s), minus up to 20 % jitter. After a success the queue
 *   drains in order, one request after the other.
 * - Retry-After: the stock exporter honours it inside its own retries when it fits in the
 *   export's timeout, but does not hand it on when it gives up; the queue's backoff applies then.
 * - At most `maxRecords` (default 2048) records are kept; beyond it the oldest are dropped:
 *   the newest alert state matters most.
 * - A permanent failure (another 4xx such as 400, 401, 413; a local error) is not retried: the
 *   batch is dropped and counted; on a first attempt its callback gets FAILED as before.
 * - The first drop of an outage is reported once through `diag.warn`; the rest are counted
 *   until an export succeeds again. Neither URLs nor header values are logged.
 * - forceFlush() retries the queue at once and stops at the first transient failure;
 *   shutdown() keeps retrying (first at once, then from `initialBackoffMillis`) within
 *   `shutdownTimeoutMillis` and counts what is left as dropped, as does abandon().
 * - Delivery is at least once: an attempt that timed out may have reached the collector and
 *   is sent again. The queue lives in memory: a process that exits without shutdown() loses it.
 * - Its retry timer is unref()'d: between attempts nothing holds the process or the worker; an
 *   attempt in flight holds it like any export, for at most `timeoutMillis`.
 *
 * The export callback of a batch that goes to the queue reports SUCCESS: the queue has taken
 * ownership of the records. The SDK's BatchLogRecordProcessor never retries a FAILED batch (it
 * only logs the error and moves on), so SUCCESS duplicates nothing; it keeps the processor
 * sending its next batches (which join the queue at once, instead of filling the processor's
 * own buffer, which drops the newest records when full) and avoids one error log per batch of
 * an outage. The records' fate is then in the counters below.
 *
 * Counters (read them on the main thread at any time):
 * - `droppedLogRecords`: records given up on, for any reason: over `maxRecords`, refused
 *   permanently, still queued at shutdown()/abandon(), exported after shutdown, or in a batch
 *   refused by `maxQueue`; without redelivery, every record of a FAILED batch.
 * - `pendingRedelivery`: records waiting in the queue (its attempt in flight included).
 * - `redeliveredLogRecords`: records delivered by a retry of the queue.
 * - `droppedBatches` (unchanged): batches refused because `maxQueue` first attempts were
 *   already waiting for the worker; queued batches do not count towards `maxQueue`.
 * - `pendingBatches` (unchanged): first attempts handed to the worker and not answered yet.
 */
export class WorkerLogRecordExporter extends WorkerExporterBase implements LogRecordExporter {
  private readonly queue: RedeliveryQueue<WireLogBatch> | undefined;
  /** Export order, for the queue: a batch whose first attempt failed goes back to its place. */
  private nextSeq = 0;
  /** Records of FAILED batches, when redelivery is off. */
  private failedRecords = 0;

  constructor(options: WorkerLogRecordExporterOptions = {}) {
    // Checked before the channel registers this exporter with the shared worker.
    const redelivery = options.redelivery === false ? undefined : resolveRedeliveryOptions(options.redelivery ?? {});
    super('logs', options);
    if (redelivery !== undefined) {
      const queue = new RedeliveryQueue<WireLogBatch>(
        {
          send: (batch) =>
            this.channel
              .resend({ signal: 'logs', payload: batch }, () => ({ signal: 'logs', payload: toCloneable(batch) as WireLogBatch }))
              .then(attemptOf),
          count: (batch) => batch.records.length,
          dropOldest: dropOldestRecords,
        },
        redelivery,
        { what: 'log records' },
      );
      this.queue = queue;
      this.channel.backlog = queue;
    }
  }

  /** Log records given up on (see the class comment). */
  get droppedLogRecords(): number {
    return (this.queue?.droppedRecords ?? 0) + this.failedRecords;
  }

  /** Log records waiting for redelivery. */
  get pendingRedelivery(): number {
    return this.queue?.pendingRecords ?? 0;
  }

  /** Log records delivered by a retry after their first attempt failed. */
  get redeliveredLogRecords(): number {
    return this.queue?.redeliveredRecords ?? 0;
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const queue = this.queue;
    if (queue === undefined) {
      this.channel.send(
        () => ({ signal: 'logs', payload: wireLogBatch(logs) }),
        () => ({ signal: 'logs', payload: toCloneable(wireLogBatch(logs)) as ReturnType<typeof wireLogBatch> }),
        (result) => {
          if (result.code !== ExportResultCode.SUCCESS) this.failedRecords += logs.length;
          resultCallback(result);
        },
      );
      return;
    }
    const seq = this.nextSeq++;
    if (queue.active && !this.channel.isShutdown) {
      // The endpoint is away: join the queue instead of sending a request of its own.
      const callback = safely(resultCallback);
      let payload: WireLogBatch;
      try {
        payload = wireLogBatch(logs);
      } catch (error) {
        queue.countDropped(logs.length, 'the batch could not be read');
        callback({ code: ExportResultCode.FAILED, error: error as Error });
        return;
      }
      callback(queue.add(seq, payload) ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error('Exporter has been shutdown') });
      return;
    }
    let payload: WireLogBatch | undefined;
    this.channel.send(
      () => {
        payload = wireLogBatch(logs);
        return { signal: 'logs', payload };
      },
      () => ({ signal: 'logs', payload: toCloneable(payload ?? wireLogBatch(logs)) as WireLogBatch }),
      (result) => {
        if (result.code === ExportResultCode.SUCCESS) return resultCallback(result);
        // Handed over to the queue: SUCCESS (see the class comment for why).
        if (payload !== undefined && isTransientExportError(result.error) && queue.add(seq, payload)) {
          return resultCallback({ code: ExportResultCode.SUCCESS });
        }
        if (!isTransientExportError(result.error) || payload === undefined) {
          queue.countDropped(logs.length, `export failed: ${exportErrorLabel(result.error)}`);
        }
        resultCallback(result);
      },
    );
  }
}
