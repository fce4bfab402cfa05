// OTLP/HTTP export off the main thread. Re-exports only.
export {
  WorkerMetricExporter,
  WorkerLogRecordExporter,
  histogramAggregationFromEnv,
  DEFAULT_MAX_QUEUE,
  DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
} from './exporters.js';
export type { WorkerExporterOptions, WorkerMetricExporterOptions } from './exporters.js';
