/**
 * Prometheus alerting rules equivalent to the in-process health rules, for services whose
 * metrics reach Prometheus (through the Collector's `prometheus` exporter, see
 * collector-config/agent.yaml, or a Prometheus exporter in the SDK).
 *
 * Pure: a parsed MonitoringConfig and the scrape interval in, rules YAML text out. The YAML is
 * written by hand (no YAML library): every string is double-quoted and escaped.
 *
 * Metric names are the OTel names as the Collector's Prometheus exporter exposes them (OTel →
 * Prometheus compatibility: dots → underscores, unit suffix `s` → `_seconds`, `By` → `_bytes`,
 * a gauge of unit `1` → `_ratio`, `{…}` units dropped, monotonic sums `_total`; histograms as
 * `_bucket` / `_count` / `_sum`); attributes become labels (`error.type` → `error_type`), and
 * with `resource_to_telemetry_conversion` the resource's `service.name` becomes `service_name`.
 *
 * Windows: every rate() window is at least 4 scrape intervals. A shorter window holds fewer than
 * two samples in practice (a [1m] rate at a 1m scrape is empty most of the time), so a rule over
 * it never fires, and promtool does not warn. The window is the configured checkInterval widened
 * to 4 × the scrape interval when shorter; each widening is reported in `notes`.
 */
import type { MonitoringConfig, RuleConfig } from '../config/index.js';
import type { LevelName } from '../model/index.js';

/**
 * Prometheus names of the metrics the rules read, as the Collector's Prometheus exporter
 * exposes them (see the module comment for the mapping).
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

export interface PrometheusRulesOptions {
  /** Seconds between scrapes of the services' metrics. Default 60 (Prometheus's default). */
  scrapeInterval?: number;
  /**
   * The label that names a service: `service_name` (default; the Collector's prometheus exporter
   * with resource_to_telemetry_conversion) or `job` (a direct scrape, or no conversion).
   */
  serviceLabel?: string;
  /** Name of the rule group. Default `otel-health`. */
  groupName?: string;
  /** Which exporter named the metrics (see PrometheusNaming). Default `collector`. */
  naming?: PrometheusNaming;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  /** Seconds. */
  for: number;
  labels: { severity: LevelName; rule: string };
  annotations: { summary: string; description: string };
}

export interface PrometheusRules {
  /** The rules file, YAML. */
  yaml: string;
  rules: AlertingRule[];
  /** Seconds: the rate window used by every rate()/increase(). */
  window: number;
  /** Things the caller should tell the user (windows widened). */
  notes: string[];
}

/** Seconds as a Prometheus duration: 240 → `4m`, 90 → `1m30s`, 0.5 → `500ms`. */
export function prometheusDuration(seconds: number): string {
  let ms = Math.round(seconds * 1000);
  if (ms <= 0) return '0s';
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(ms / size);
    if (n > 0) {
      out += `${n}${unit}`;
      ms -= n * size;
    }
  }
  return out;
}

/** A Prometheus-style duration (`1m`, `15s`, `1m30s`, `500ms`, `2h`) or plain seconds, in seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const re = /(\d+)(ms|s|m|h|d|w)/gy;
  const size: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(trimmed)) !== null) {
    total += Number(m[1]) * size[m[2]!]!;
    matched = re.lastIndex;
  }
  if (trimmed.length === 0 || matched !== trimmed.length) {
    throw new Error(`not a duration: ${JSON.stringify(text)} (write e.g. 15s, 1m, 1m30s)`);
  }
  return total;
}

/** A YAML double-quoted scalar. */
export function yamlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A threshold as PromQL writes it. */
const num = (n: number): string => String(n);
/** The event-loop delay histogram's sampling interval (instrumentation/runtime: 10 ms). */
const EVENT_LOOP_RESOLUTION_SECONDS = 0.01;
const percent = (n: number): string => `${Number((n * 100).toFixed(4))}%`;
const seconds = (n: number): string => `${n}s`;
const count = (n: number): string => String(n);

interface RuleSpec {
  /** In-process rule name (the `rule` label). */
  rule: string;
  alert: string;
  what: string;
  config: RuleConfig | false;
  /** PromQL comparison for a threshold. */
  expr: (threshold: number) => string;
  format: (n: number) => string;
  valueTemplate: string;
  description: (level: LevelName, threshold: number) => string;
}

/** Alerting rules for the config's enabled rules, one per rule and level. */
export function generatePrometheusRules(config: MonitoringConfig, options: PrometheusRulesOptions = {}): PrometheusRules {
  const scrape = options.scrapeInterval ?? DEFAULT_SCRAPE_INTERVAL;
  if (!(Number.isFinite(scrape) && scrape > 0)) throw new Error(`scrapeInterval must be a positive number of seconds (got ${scrape})`);
  const by = options.serviceLabel ?? 'service_name';
  if (!LABEL_NAME.test(by) || by.startsWith('__')) throw new Error(`serviceLabel must be a Prometheus label name (got ${JSON.stringify(by)})`);
  const notes: string[] = [];

  const minimum = MIN_SCRAPES_PER_WINDOW * scrape;
  let window = config.checkInterval;
  if (window < minimum) {
    notes.push(
      `rate window widened from ${prometheusDuration(window)} (checkInterval) to ${prometheusDuration(minimum)} ` +
        `(${MIN_SCRAPES_PER_WINDOW} × scrape interval ${prometheusDuration(scrape)}): a shorter window holds too few ` +
        `samples for rate() and a rule over it would never fire.`,
    );
    window = minimum;
  }
  if (config.anomaly) {
    // The detector's state lives in the process (a learned table per series); PromQL has no
    // equivalent, so these rules are not generated rather than approximated.
    notes.push(
      `anomaly rules (${config.anomaly.series.map((s) => `anomaly:${s}`).join(', ')}) run in process only: ` +
        'their detector has no PromQL equivalent, so no Prometheus rule is generated for them.',
    );
  }
  // Prometheus durations have millisecond resolution.
  window = Math.ceil(window * 1000) / 1000;
  const W = prometheusDuration(window);
  const M = prometheusMetricNames(options.naming ?? 'collector');

  const requests = `{__name__=~"${M.httpDurationCount}|${M.operationDurationCount}"}`;
  const failed = `{__name__=~"${M.httpDurationCount}|${M.operationDurationCount}",error_type!=""}`;
  const gate = (min: number): string =>
    `sum by (${by}) (increase(${requests}[${W}])) ${min > 0 ? `>= ${num(min)}` : '> 0'}`;
  const service = `{{ $labels.${by} }}`;
  const instance = `${service}{{ with $labels.instance }} ({{ . }}){{ end }}`;

  const specs: RuleSpec[] = [
    {
      rule: 'error_rate',
      alert: 'OtelHealthErrorRate',
      what: 'error rate',
      config: config.errorThreshold,
      expr: (t) =>
        `(sum by (${by}) (rate(${failed}[${W}])) / sum by (${by}) (rate(${requests}[${W}]))) > ${num(t)} and ${gate(
          (config.errorThreshold as RuleConfig).minRequests ?? 0,
        )}`,
      format: percent,
      valueTemplate: '{{ $value | humanizePercentage }}',
      description: (_l, t) =>
        `Failed requests and operations (error.type set: 5xx, aborted, thrown) over the last ${W} are above ${percent(t)}; ` +
        `windows with fewer than ${(config.errorThreshold as RuleConfig).minRequests ?? 0} requests are not judged.`,
    },
    {
      rule: 'response_time',
      alert: 'OtelHealthResponseTime',
      what: 'p95 response time',
      config: config.responseTimeThreshold,
      expr: (t) =>
        `histogram_quantile(0.95, sum by (le, ${by}) (rate(${M.httpDurationBucket}[${W}]))) > ${num(t)} and ${gate(
          (config.responseTimeThreshold as RuleConfig).minRequests ?? 0,
        )}`,
      format: seconds,
      valueTemplate: '{{ $value | humanizeDuration }}',
      description: (_l, t) =>
        `The p95 of http.server.request.duration over the last ${W} is above ${seconds(t)} ` +
        `(interpolated within histogram buckets; operations are not included, their buckets differ).`,
    },
    {
      rule: 'cpu',
      alert: 'OtelHealthCpu',
      what: 'CPU',
      config: config.resourceThresholds.cpu,
      expr: (t) => `sum without (cpu_mode) (${M.cpuUtilization}) > ${num(t)}`,
      format: percent,
      valueTemplate: '{{ $value | humanizePercentage }}',
      description: (_l, t) => `process.cpu.utilization (of the CPUs available to the process) is above ${percent(t)}.`,
    },
    {
      rule: 'memory',
      alert: 'OtelHealthMemory',
      what: 'memory',
      config: config.resourceThresholds.memory,
      expr: (t) =>
        `max without (otel_health_memory) (` +
        `label_replace(sum without (v8js_heap_space_name) (${M.heapUsed}) / ${M.heapSizeLimit}, "otel_health_memory", "heap", "__name__", ".*")` +
        ` or ` +
        `label_replace(${M.memoryUsage} / ${M.memoryLimit}, "otel_health_memory", "rss", "__name__", ".*")` +
        `) > ${num(t)}`,
      format: percent,
      valueTemplate: '{{ $value | humanizePercentage }}',
      description: (_l, t) =>
        `max(V8 heap used / heap size limit, RSS / cgroup memory limit) is above ${percent(t)}.`,
    },
    {
      rule: 'connections',
      alert: 'OtelHealthConnections',
      what: 'open connections',
      config: config.resourceThresholds.connections,
      expr: (t) => `sum without (server_port, url_scheme) (${M.openConnections}) > ${num(t)}`,
      format: count,
      valueTemplate: '{{ $value }}',
      description: (_l, t) => `Open HTTP server connections (all servers of the process) are above ${count(t)}.`,
    },
    {
      rule: 'event_loop_delay',
      alert: 'OtelHealthEventLoopDelay',
      what: 'event-loop delay p99',
      config: config.resourceThresholds.eventLoopDelay,
      // The exported gauge is the delay histogram as is (whole 10 ms sampling intervals, the
      // runtime source's default resolution); the in-process rule judges the delay beyond the
      // interval, so the same comes off here.
      expr: (t) => `${M.eventLoopDelayP99} - ${num(EVENT_LOOP_RESOLUTION_SECONDS)} > ${num(t)}`,
      format: seconds,
      valueTemplate: '{{ $value | humanizeDuration }}',
      description: (_l, t) =>
        `nodejs.eventloop.delay.p99 beyond its ${seconds(EVENT_LOOP_RESOLUTION_SECONDS)} sampling interval is above ${seconds(t)}.`,
    },
  ];

  const rules: AlertingRule[] = [];
  for (const spec of specs) {
    if (spec.config === false) continue;
    const perProcess = spec.rule !== 'error_rate' && spec.rule !== 'response_time';
    for (const level of ['warning', 'error', 'critical'] as const) {
      const threshold = spec.config[level];
      if (threshold === undefined) continue;
      rules.push({
        alert: spec.alert,
        expr: spec.expr(threshold),
        for: Math.max(spec.config.for, window),
        labels: { severity: level, rule: spec.rule },
        annotations: {
          summary: `${perProcess ? instance : service}: ${spec.what} ${spec.valueTemplate} is above ${spec.format(threshold)} (${level})`,
          description: spec.description(level, threshold),
        },
      });
    }
  }

  return { yaml: renderRules(options.groupName ?? 'otel-health', rules), rules, window, notes };
}

function renderRules(groupName: string, rules: AlertingRule[]): string {
  const lines = [
    '# Generated by `otel-health rules`: alerting rules equivalent to the in-process health rules.',
    '# Each level of a rule is its own alert (label severity); inhibit lower severities in Alertmanager.',
    'groups:',
    `  - name: ${yamlString(groupName)}`,
    '    rules:',
  ];
  if (rules.length === 0) lines[lines.length - 1] = '    rules: []';
  for (const r of rules) {
    lines.push(
      `      - alert: ${yamlString(r.alert)}`,
      `        expr: ${yamlString(r.expr)}`,
      `        for: ${yamlString(prometheusDuration(r.for))}`,
      '        labels:',
      `          severity: ${yamlString(r.labels.severity)}`,
      `          rule: ${yamlString(r.labels.rule)}`,
      '        annotations:',
      `          summary: ${yamlString(r.annotations.summary)}`,
      `          description: ${yamlString(r.annotations.description)}`,
    );
  }
  return lines.join('\n') + '\n';
}
