// Worker side: builds the stock OpenTelemetry exporter of a signal and protocol — exporter-*-otlp-proto
// (http/protobuf), exporter-*-otlp-http (http/json), exporter-*-otlp-grpc (grpc) — so that URL
// rules, headers, timeout, compression, retries and every OTEL_EXPORTER_OTLP_* variable are
// handled by their code. Each package is imported only when a protocol asks for it: an app that
// never uses gRPC needs neither the gRPC exporters nor @grpc/grpc-js.

import type { ExportResult } from '@opentelemetry/core';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { OtlpProtocol } from './export-protocol.js';
import { EXPORTER_MISSING_CODE, exporterPackage, missingExporterMessage, requireFromExporter } from './exporter-packages.js';
import type { Signal, WireExporterConfig } from './protocol.js';

export interface StockExporter<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export type StockMetricExporter = StockExporter<ResourceMetrics>;
export type StockLogExporter = StockExporter<ReadableLogRecord[]>;

type Constructor<T> = new (config: Record<string, unknown>) => T;

/** The exporter class of a package, whether Node handed the module's named exports or (for
 * CommonJS it could not analyse) its `default`. */
function exporterClass<T>(module: Record<string, unknown>, name: string): Constructor<T> {
  const found = module[name] ?? (module.default as Record<string, unknown> | undefined)?.[name];
  if (typeof found !== 'function') throw new Error(`otel-health: the installed package has no ${name}`);
  return found as Constructor<T>;
}

function isModuleNotFound(error: unknown, pkg: string): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && typeof e.message === 'string' && e.message.includes(pkg);
}

// One literal import() per package (bundlers and readers see what may be loaded).
function importMetricsPackage(protocol: OtlpProtocol): Promise<Record<string, unknown>> {
  switch (protocol) {
    case 'http/protobuf':
      return import('@opentelemetry/exporter-metrics-otlp-proto');
    case 'http/json':
      return import('@opentelemetry/exporter-metrics-otlp-http');
    case 'grpc':
      return import('@opentelemetry/exporter-metrics-otlp-grpc');
  }
}

function importLogsPackage(protocol: OtlpProtocol): Promise<Record<string, unknown>> {
  switch (protocol) {
    case 'http/protobuf':
      return import('@opentelemetry/exporter-logs-otlp-proto');
    case 'http/json':
      return import('@opentelemetry/exporter-logs-otlp-http');
    case 'grpc':
      return import('@opentelemetry/exporter-logs-otlp-grpc');
  }
}

/**
 * The gRPC exporters take `metadata` (a grpc-js Metadata) instead of `headers`, and have no HTTP
 * agent. The Metadata is made by the exporter's own otlp-grpc-exporter-base, so that it is of the
 * grpc-js copy the exporter calls with.
 */
function grpcConfig(signal: Signal, config: WireExporterConfig): Record<string, unknown> {
  const { headers, keepAlive: _keepAlive, httpAgentOptions: _agent, ...rest } = config;
  const out: Record<string, unknown> = { ...rest };
  if (headers !== undefined && Object.keys(headers).length > 0) {
    const base = requireFromExporter(signal, 'grpc')('@opentelemetry/otlp-grpc-exporter-base') as {
      createEmptyMetadata(): { set(key: string, value: string): void };
    };
    const metadata = base.createEmptyMetadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key.toLowerCase(), value);
    out.metadata = metadata;
  }
  return out;
}

/** Loads and constructs the stock exporter. Rejects with a clear error (code
 * {@link EXPORTER_MISSING_CODE}) when its package is not installed. */
export async function createStockExporter(
  signal: Signal,
  protocol: OtlpProtocol,
  source: string,
  config: WireExporterConfig,
): Promise<StockMetricExporter | StockLogExporter> {
  const pkg = exporterPackage(signal, protocol);
  let module: Record<string, unknown>;
  try {
    module = await (signal === 'metrics' ? importMetricsPackage(protocol) : importLogsPackage(protocol));
  } catch (error) {
    if (!isModuleNotFound(error, pkg)) throw error;
    const missing: Error & { code?: string } = new Error(missingExporterMessage(signal, protocol, source));
    missing.code = EXPORTER_MISSING_CODE;
    throw missing;
  }
  const options = protocol === 'grpc' ? grpcConfig(signal, config) : { ...config };
  if (signal === 'metrics') return new (exporterClass<StockMetricExporter>(module, 'OTLPMetricExporter'))(options);
  return new (exporterClass<StockLogExporter>(module, 'OTLPLogExporter'))(options);
}
