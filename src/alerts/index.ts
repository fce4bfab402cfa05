// The alert pipeline's public pieces.
export { AlertPipeline, type AlertPipelineDeps, type AlertPipelineSnapshot, type AlertPipelineStats } from './pipeline.js';
// The alerts configuration is parsed in config/ (one schema for every setting); re-exported here for the pipeline's users.
export { ALERT_DEFAULTS, parseAlertsConfig, type AlertsPlan, type AlertsInput, type AlertsSettings, type SinkConfig, type WebhookConfig, type AlertmanagerConfig, type CallbackFn } from '../config/index.js';
export { sequence, fanOut, type Stage, type StageContext, type Notification, type NotifiedTransition, type Incident, type Sink, type SinkStats } from './stage.js';
export { realScheduler, ManualScheduler, type Scheduler } from './clock.js';
export { DedupStage, type DedupOptions } from './dedup.js';
export { GroupStage, type GroupOptions } from './group.js';
export { CorrelateStage, CORRELATION_RULES, probableCause } from './correlate.js';
export { InhibitStage, DEFAULT_INHIBIT_RULES, type InhibitRule } from './inhibit.js';
export { Silences, SilenceStage, type Silence, type SilenceInput } from './silence.js';
export { RouteStage, DEFAULT_ROUTE_NAME, type Route } from './route.js';
export { matchesAlert, matchesEntry, type AlertMatcher } from './matchers.js';
export { ActiveAlerts } from './active.js';
export { OtelLogSink } from './sinks/otel-log.js';
export { ConsoleSink } from './sinks/console.js';
export { CallbackSink } from './sinks/callback.js';
export { WebhookSink, parseRetryAfter, type WebhookOptions, type WebhookDeps, type WebhookStats } from './sinks/webhook.js';
export { AlertmanagerSink, type AlertmanagerOptions, type AlertmanagerDeps, type AlertmanagerStats } from './sinks/alertmanager.js';
export { alertLabels, alertName, type AlertmanagerAlert } from './sinks/alertmanager-format.js';
export { notificationJson, consoleLines } from './sinks/format.js';
export { ALERT_EVENT_NAME } from './log-record.js';
