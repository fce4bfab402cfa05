import { diag } from '@opentelemetry/api';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { Server } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { HealthMetricProducer, ignoreServer } from './instrumentation/index.js';
import { WorkerLogRecordExporter, WorkerMetricExporter } from './otlp/index.js';
import type { HealthReader } from './evaluator/index.js';

type Env = Record<string, string | undefined>;

/**
 * Collects the worker exporters one startHealthMonitoring created. When its bounded shutdown
 * runs out of time (an endpoint that hangs), shutting these down fails their pending batches at
 * once, so the export worker stops holding the process open.
 */
export type OwnedExporters = Set<WorkerMetricExporter | WorkerLogRecordExporter>;

/** The service's resource: SDK defaults, then OTEL_RESOURCE_ATTRIBUTES, then service.name. */
export function buildResource(serviceName: string): Resource {
  return defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'service.name': serviceName }));
}

function hasOtlpEndpoint(env: Env, signal: 'METRICS' | 'LOGS'): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]);
}

function exporterChoice(env: Env, variable: string): string[] {
  return (env[variable] ?? 'otlp')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

function positiveMillis(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Host and port of the Prometheus scrape endpoint from the environment (exporter defaults otherwise). */
function prometheusEndpoint(env: Env): { host?: string; port?: number } {
  const out: { host?: string; port?: number } = {};
  const host = env.OTEL_EXPORTER_PROMETHEUS_HOST?.trim();
  if (host) out.host = host;
  const port = Number(env.OTEL_EXPORTER_PROMETHEUS_PORT);
  if (Number.isInteger(port) && port > 0 && port < 65536) out.port = port;
  return out;
}

/**
 * Export readers from the standard variables: OTEL_METRICS_EXPORTER (`otlp` by default, only
 * when an OTLP endpoint is set, so a service with no backend makes no requests; `console`;
 * `prometheus`, a scrape endpoint; `none`), OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT. Each reader gets its own otel-health producer.
 */
export function exportReaders(env: Env = process.env, owned?: OwnedExporters): { readers: MetricReader[]; producers: HealthMetricProducer[] } {
  const readers: MetricReader[] = [];
  const producers: HealthMetricProducer[] = [];
  const exportIntervalMillis = positiveMillis(env.OTEL_METRIC_EXPORT_INTERVAL, 60_000);
  const exportTimeoutMillis = Math.min(positiveMillis(env.OTEL_METRIC_EXPORT_TIMEOUT, 30_000), exportIntervalMillis);
  for (const choice of exporterChoice(env, 'OTEL_METRICS_EXPORTER')) {
    if (choice === 'prometheus') {
      // A pull reader with its own scrape endpoint, fed by its own producer like every other
      // reader. OTEL_EXPORTER_PROMETHEUS_HOST / _PORT are read here: the 2.x exporter reads them
      // itself, the 3.x one (0.30x) no longer does.
      const producer = new HealthMetricProducer();
      const reader = new PrometheusExporter({ ...prometheusEndpoint(env), metricProducers: [producer] });
      producer.bindReader(reader);
      // Its scrape server is a node:http server of this process: scrapes are not service traffic.
      const server = (reader as unknown as { _server?: Server })._server;
      if (server !== undefined) ignoreServer(server);
      readers.push(reader);
      producers.push(producer);
      continue;
    }
    let exporter;
    if (choice === 'otlp' && hasOtlpEndpoint(env, 'METRICS')) {
      exporter = new WorkerMetricExporter();
      owned?.add(exporter);
    }
    else if (choice === 'console') exporter = new ConsoleMetricExporter();
    else if (choice === 'none' || choice === 'otlp') continue;
    else {
      diag.warn(`otel-health: OTEL_METRICS_EXPORTER value "${choice}" is not supported here; ignored`);
      continue;
    }
    const producer = new HealthMetricProducer();
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis, exportTimeoutMillis, metricProducers: [producer] });
    producer.bindReader(reader);
    readers.push(reader);
    producers.push(producer);
  }
  return { readers, producers };
}

/** Where the alerts of the `otel-log` sink go when otel-health creates the LoggerProvider. */
export interface LogExportPlan {
  /** Alert records over OTLP/HTTP to this endpoint (off the main thread); undefined when not exported over OTLP. */
  otlpEndpoint?: string;
  /**
   * One console line per alert: not a LoggerProvider processor but the `console` sink, which
   * then gets every notification routed to `otel-log` (AlertPipelineDeps.consoleWithOtelLog).
   */
  console: boolean;
}

/**
 * Reads OTEL_LOGS_EXPORTER and the OTLP endpoint variables: OTLP when the exporter choice
 * allows it and an endpoint is set; the console when asked, or when nothing else is (the
 * embedded default: with no endpoint, alerts go to the console sink); nothing at all with `none`.
 */
export function logExportPlan(env: Env = process.env): LogExportPlan {
  let otlpEndpoint: string | undefined;
  let console = false;
  for (const choice of exporterChoice(env, 'OTEL_LOGS_EXPORTER')) {
    if (choice === 'otlp' && hasOtlpEndpoint(env, 'LOGS')) otlpEndpoint = env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else if (choice === 'console') console = true;
    else if (choice === 'none') return { console: false };
  }
  return { ...(otlpEndpoint !== undefined ? { otlpEndpoint } : {}), console: console || otlpEndpoint === undefined };
}

/**
 * Log processors for alert records, as logExportPlan says: the OTLP export, or none. The
 * console output is not a processor: it is the `console` sink (see LogExportPlan.console).
 */
export function alertLogProcessors(env: Env = process.env, owned?: OwnedExporters): LogRecordProcessor[] {
  const plan = logExportPlan(env);
  const processors: LogRecordProcessor[] = [];
  if (plan.otlpEndpoint !== undefined) {
    const exporter = new WorkerLogRecordExporter();
    owned?.add(exporter);
    processors.push(new BatchLogRecordProcessor({ exporter }));
  }
  return processors;
}

/** A MeterProvider with the HealthReader and the export readers the environment asks for. */
export function createMeterProvider(
  resource: Resource,
  healthReader: HealthReader,
  env: Env = process.env,
  owned?: OwnedExporters,
): { meterProvider: MeterProvider; producers: HealthMetricProducer[] } {
  const { readers, producers } = exportReaders(env, owned);
  return { meterProvider: new MeterProvider({ resource, readers: [healthReader, ...readers] }), producers };
}

/** A LoggerProvider for the alert log events, exporting as the environment asks. */
export function createLoggerProvider(resource: Resource, env: Env = process.env, owned?: OwnedExporters): LoggerProvider {
  return new LoggerProvider({ resource, processors: alertLogProcessors(env, owned) });
}
