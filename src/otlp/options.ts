// Options of the worker exporters, their documented defaults, and their checks. The fields the
// stock exporter reads go to the worker unchanged (toWireConfig); the protocol goes with them to
// pick that exporter; maxQueue and shutdownTimeoutMillis stay on the main thread
// (resolveChannelOptions, for export-channel.ts).

import type * as http from 'node:http';
import type * as https from 'node:https';
import type { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import type { AggregationSelector, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import type { OtlpProtocol, ProtocolChoice } from './export-protocol.js';
import { resolveProtocol } from './export-protocol.js';
import type { Signal, WireExporterConfig } from './protocol.js';
import type { RedeliveryOptions } from './redelivery.js';

/** Default of {@link WorkerExporterOptions.maxQueue}. */
export const DEFAULT_MAX_QUEUE = 64;
/** Default of {@link WorkerExporterOptions.shutdownTimeoutMillis}. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5000;

/**
 * Options of {@link WorkerMetricExporter} and {@link WorkerLogRecordExporter}.
 *
 * `protocol` picks the stock exporter the worker uses: `http/protobuf` (default)
 * exporter-*-otlp-proto, `http/json` exporter-*-otlp-http, `grpc` exporter-*-otlp-grpc (an
 * optional peer dependency: install it to use gRPC). `url`, `headers`, `timeoutMillis`,
 * `compression`, `concurrencyLimit`, `keepAlive`, `httpAgentOptions` and `userAgent` are handed
 * to that exporter inside the worker (gRPC takes `headers` as metadata and has no use for
 * `keepAlive` / `httpAgentOptions`); what is not given there comes from the same environment
 * variables and defaults as with the stock exporter. They must be structured-clone-safe (no
 * functions: a `headers` factory or an agent factory cannot cross to the worker).
 */
export interface WorkerExporterOptions {
  /** Default: `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL` / `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL`, else
   * `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. Another value throws a RangeError
   * naming the option or the variable. */
  protocol?: OtlpProtocol;
  /** Default: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` / `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics` or `/v1/logs` (gRPC: as it is, no path), else
   * `http://localhost:4318/v1/metrics` or `…/v1/logs` (gRPC: `http://localhost:4317`). */
  url?: string;
  /** Merged over `OTEL_EXPORTER_OTLP_HEADERS` and the signal-specific variable (gRPC: as
   * metadata). */
  headers?: Record<string, string>;
  /** Per export, retries included. Default: `OTEL_EXPORTER_OTLP_{METRICS,LOGS}_TIMEOUT`, else
   * `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10000. */
  timeoutMillis?: number;
  /** Default: `OTEL_EXPORTER_OTLP_{METRICS,LOGS}_COMPRESSION`, else `OTEL_EXPORTER_OTLP_COMPRESSION`, else none. */
  compression?: 'gzip' | 'none';
  /** Concurrent requests in the stock exporter. Default 30. */
  concurrencyLimit?: number;
  /** Default true. Not used by gRPC. */
  keepAlive?: boolean;
  /** Not used by gRPC. Plain agent options only (an agent factory function cannot be sent to the worker). */
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

/** Options of {@link WorkerMetricExporter}. */
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

/** The options the main thread keeps, with their defaults applied. */
export interface ResolvedChannelOptions {
  readonly maxQueue: number;
  readonly shutdownTimeoutMillis: number;
  /** the protocol, and what chose it (the option, a variable, the default) */
  readonly protocol: ProtocolChoice;
}

/** Applies the defaults of `maxQueue` and `shutdownTimeoutMillis` and picks the protocol from
 * the option or `env`; a bad value throws a RangeError naming the field or the variable. */
export function resolveChannelOptions(
  signal: Signal,
  options: WorkerExporterOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedChannelOptions {
  return {
    maxQueue: positiveInteger('maxQueue', options.maxQueue, DEFAULT_MAX_QUEUE),
    shutdownTimeoutMillis: nonNegative('shutdownTimeoutMillis', options.shutdownTimeoutMillis, DEFAULT_SHUTDOWN_TIMEOUT_MILLIS),
    protocol: resolveProtocol(signal, options.protocol, env),
  };
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

/** The options handed to the stock exporter in the worker: only those given, copied. */
export function toWireConfig(options: WorkerExporterOptions): WireExporterConfig {
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
