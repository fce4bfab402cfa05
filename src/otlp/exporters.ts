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
import type { Signal, WireExporterConfig } from './protocol.js';
import { toCloneable, wireLogBatch, wireResourceMetrics } from './serialize.js';
import type { ExportBody, OtlpWorkerHost } from './worker-host.js';
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

  send(build: () => ExportBody, fallback: () => ExportBody, resultCallback: (result: ExportResult) => void): void {
    const callback = (result: ExportResult) => {
      try {
        resultCallback(result);
      } catch (error) {
        globalErrorHandler(error as Exception);
      }
    };
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

  /** Waits for the batches handed to the worker so far, at most `shutdownTimeoutMillis`. */
  async forceFlush(): Promise<void> {
    if (this.inFlight.size === 0) return;
    if (!(await within(Promise.all([...this.inFlight]), this.shutdownTimeoutMillis))) {
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
    this.host.failPending(this.id, new Error(`otel-health: OTLP ${this.signal} export abandoned at shutdown`));
    this.shutdownPromise ??= within(this.host.removeExporter(this.id), 1000).then(() => undefined);
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    const deadline = Date.now() + this.shutdownTimeoutMillis;
    const graceful = (async () => {
      await Promise.all([...this.inFlight]);
      await this.host.shutdownExporter(this.id);
    })();
    if (!(await within(graceful, this.shutdownTimeoutMillis))) {
      diag.warn(`otel-health: OTLP ${this.signal} exporter shutdown timed out after ${this.shutdownTimeoutMillis} ms`);
      this.host.failPending(this.id, new Error(`otel-health: OTLP ${this.signal} exporter shutdown timed out after ${this.shutdownTimeoutMillis} ms`));
    }
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

/**
 * OTLP/HTTP JSON log record exporter whose serialization and sending run in a worker thread,
 * through the stock `OTLPLogExporter`. Use it like the stock exporter, e.g. with a
 * `BatchLogRecordProcessor`.
 *
 * The shared worker is unref()'d, so a pending export() does not keep the process alive by
 * itself (the SDK's readers and processors hold their own export timers while they wait);
 * forceFlush() and shutdown() do, for at most `shutdownTimeoutMillis`.
 */
export class WorkerLogRecordExporter extends WorkerExporterBase implements LogRecordExporter {
  constructor(options: WorkerExporterOptions = {}) {
    super('logs', options);
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.channel.send(
      () => ({ signal: 'logs', payload: wireLogBatch(logs) }),
      () => ({ signal: 'logs', payload: toCloneable(wireLogBatch(logs)) as ReturnType<typeof wireLogBatch> }),
      resultCallback,
    );
  }
}
