/**
 * What the generated rules read and how often it is scraped: the Prometheus names of the
 * package's metrics, the service label, and the narrowest rate() window a scrape interval allows.
 * Shared by the threshold rules (prometheus-rules.ts) and the objectives' rules (slo-rules.ts).
 */

/**
 * Prometheus names of the metrics the rules read, as the Collector's Prometheus exporter
 * exposes them (see prometheus-rules.ts's module comment for the mapping).
 */
export const PROMETHEUS_METRICS = {
  httpDurationBucket: 'http_server_request_duration_seconds_bucket',
  httpDurationCount: 'http_server_request_duration_seconds_count',
  operationDurationCount: 'otel_health_operation_duration_seconds_count',
  cpuUtilization: 'process_cpu_utilization_ratio',
  memoryUsage: 'process_memory_usage_bytes',
  memoryLimit: 'otel_health_process_memory_limit_bytes',
  heapUsed: 'v8js_memory_heap_used_bytes',
  heapSizeLimit: 'otel_health_v8js_heap_size_limit_bytes',
  openConnections: 'otel_health_http_server_open_connections',
  eventLoopDelayP99: 'nodejs_eventloop_delay_p99_seconds',
} as const;

/**
 * How the metrics were turned into Prometheus names: `collector` (the Collector's prometheus
 * exporter, unit suffixes added) or `sdk` (OTEL_METRICS_EXPORTER=prometheus, the JS SDK's
 * exporter 0.223, which adds no unit suffixes: `http_server_request_duration_bucket`).
 */
export type PrometheusNaming = 'collector' | 'sdk';

const UNIT_SUFFIX = /_(seconds|bytes|ratio)(?=(_bucket|_count)?$)/;

/** The metric names the rules read, for one naming scheme. */
export function prometheusMetricNames(naming: PrometheusNaming = 'collector'): Record<keyof typeof PROMETHEUS_METRICS, string> {
  if (naming === 'collector') return { ...PROMETHEUS_METRICS };
  return Object.fromEntries(
    Object.entries(PROMETHEUS_METRICS).map(([key, name]) => [key, name.replace(UNIT_SUFFIX, '')]),
  ) as Record<keyof typeof PROMETHEUS_METRICS, string>;
}

/** Rate windows are at least this many scrape intervals. */
export const MIN_SCRAPES_PER_WINDOW = 4;
/** Prometheus's default scrape interval, seconds. */
export const DEFAULT_SCRAPE_INTERVAL = 60;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The scrape interval, checked: a positive number of seconds (default 60). */
export function checkedScrapeInterval(scrape: number | undefined): number {
  const value = scrape ?? DEFAULT_SCRAPE_INTERVAL;
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`scrapeInterval must be a positive number of seconds (got ${value})`);
  return value;
}

/** The service label, checked: a Prometheus label name not reserved (default `service_name`). */
export function checkedServiceLabel(label: string | undefined): string {
  const value = label ?? 'service_name';
  if (!LABEL_NAME.test(value) || value.startsWith('__')) throw new Error(`serviceLabel must be a Prometheus label name (got ${JSON.stringify(value)})`);
  return value;
}
