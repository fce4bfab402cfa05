// Public API of otel-health: re-exports only. Test helpers (the manual scheduler, the alert
// pipeline's stage composition) are in `otel-health/testing` (src/testing.ts), not here.
export { startHealthMonitoring, type HealthMonitorOptions } from './start.js';
export { HealthMonitor, type HealthMonitorParts, type HistoryQuery } from './monitor/index.js';
export { HealthReader, type HealthReaderOptions } from './evaluator/index.js';
export {
  MonitoringLevel,
  type HealthMetrics,
  type HealthStatus,
  type Alert,
  type AlertTransition,
  type CheckResult,
  type RuleName,
  type SloStatus,
  type SloEvents,
  type BurnRateAlert,
  type SloAlertName,
} from './model/index.js';
export { parseConfig, ConfigError, type MonitoringConfig, type MonitoringConfigInput } from './config/index.js';
export type { StatusServerConfig, SloConfig, SloInput, SloIndicator } from './config/index.js';
export {
  HealthMetricProducer,
  type HealthMetricProducerOptions,
  setRoute,
  ignoreServer,
  recordOperation,
  startOperation,
  measureOperation,
  otelHealthFastify,
  expressMountRoute,
  type HttpInstrumentationOptions,
} from './instrumentation/index.js';
export { startStatusServer, statusServerOf, type StatusServer, type StatusServerOptions } from './http/index.js';
export { WorkerMetricExporter, WorkerLogRecordExporter } from './otlp/index.js';
export type { HistoryRow, AlertHistoryEntry, SloBudgetSample } from './history/index.js';
export {
  ALERT_EVENT_NAME,
  ALERT_DEFAULTS,
  CORRELATION_RULES,
  DEFAULT_INHIBIT_RULES,
  ConsoleSink,
  CallbackSink,
  WebhookSink,
  OtelLogSink,
  type AlertPipelineStats,
  type AlertsInput,
  type AlertMatcher,
  type InhibitRule,
  type Route,
  type Notification,
  type NotifiedTransition,
  type Incident,
  type Sink,
  type SinkStats,
  type SinkConfig,
  type WebhookConfig,
  type WebhookStats,
  type AlertmanagerConfig,
  type AlertmanagerStats,
  type CallbackFn,
  type Silence,
  type SilenceInput,
  type Silences,
} from './alerts/index.js';
