// The evaluator: reading the metrics, deriving HealthMetrics, percentiles, custom checks, rules.
export { HealthReader, type HealthReaderOptions } from './health-reader.js';
export { deriveHealthMetrics, serviceNameOf, type DeriveInput } from './derive.js';
export { CheckRunner } from './checks.js';
export {
  RuleEngine,
  alertFingerprint,
  buildRules,
  hasData,
  statusOf,
  type RuleDefinition,
  type RuleEngineOptions,
  type RuleEngineSnapshot,
} from './rules.js';
export { AnomalyDetector, ANOMALY_DETECTOR_DEFAULTS, type AnomalyDetectorOptions } from './anomaly.js';
export { AnomalyScorer, anomalyRules, ANOMALY_SERIES_DEFINITIONS } from './anomaly-scorer.js';
export { SloTracker, type SloTrackerOptions, type SloEventsRow } from './slo/slo-tracker.js';
export { sloRule, formatWindow } from './slo/slo-rule.js';
