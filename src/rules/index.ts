// The Prometheus rules generator (`npx otel-health rules`), from the same config: the threshold
// rules' alerts and the service level objectives' recordings and burn-rate alerts.
export { runCli, USAGE, type CliIo } from './cli.js';
export {
  DEFAULT_SCRAPE_INTERVAL,
  PROMETHEUS_METRICS,
  generatePrometheusRules,
  parseDuration,
  prometheusDuration,
  prometheusMetricNames,
  type AlertingRule,
  type PrometheusNaming,
  type PrometheusRules,
  type PrometheusRulesOptions,
} from './prometheus-rules.js';
export { SLO_ALERT_NAME, generateSloRules, type SloRules, type SloRulesOptions } from './slo-rules.js';
export type { GroupAlertingRule, RecordingRule, RuleGroup } from './rule-groups.js';
