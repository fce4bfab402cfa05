// OTLP export off the main thread (http/protobuf, http/json or gRPC). Re-exports only.
export { WorkerMetricExporter } from './metric-exporter.js';
export { WorkerLogRecordExporter } from './log-record-exporter.js';
export { histogramAggregationFromEnv } from './histogram-aggregation.js';
export { DEFAULT_MAX_QUEUE, DEFAULT_SHUTDOWN_TIMEOUT_MILLIS } from './options.js';
export type { WorkerExporterOptions, WorkerLogRecordExporterOptions, WorkerMetricExporterOptions } from './options.js';
export type { OtlpProtocol } from './export-protocol.js';
export {
  DEFAULT_REDELIVERY_MAX_RECORDS,
  DEFAULT_REDELIVERY_INITIAL_BACKOFF_MILLIS,
  DEFAULT_REDELIVERY_MAX_BACKOFF_MILLIS,
} from './redelivery.js';
export type { RedeliveryOptions } from './redelivery.js';
