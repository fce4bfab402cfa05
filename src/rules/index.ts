// The Prometheus alerting rules generator (`npx otel-health rules`), from the same config.
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
