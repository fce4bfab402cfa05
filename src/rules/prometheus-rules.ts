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
 *
 * The config's service level objectives (`slos`) add recording rules and burn-rate alerts per
 * objective, in groups after the threshold rules' group (slo-rules.ts).
 */
import type { MonitoringConfig, RuleConfig } from '../config/index.js';
import type { LevelName } from '../model/index.js';
import { prometheusDuration, toMilliseconds, yamlString } from './prometheus-format.js';
import {
  checkedScrapeInterval,
  checkedServiceLabel,
  MIN_SCRAPES_PER_WINDOW,
  prometheusMetricNames,
  type PrometheusNaming,
} from './prometheus-metrics.js';
import { renderGroup } from './rule-groups.js';
import { generateSloRules, type SloRules } from './slo-rules.js';

// Moved to their own modules (shared with the objectives' rules); still importable from here.
export { parseDuration, prometheusDuration, yamlString } from './prometheus-format.js';
export {
  DEFAULT_SCRAPE_INTERVAL,
  MIN_SCRAPES_PER_WINDOW,
  PROMETHEUS_METRICS,
  prometheusMetricNames,
  type PrometheusNaming,
} from './prometheus-metrics.js';

export interface PrometheusRulesOptions {
  /** Seconds between scrapes of the services' metrics. Default 60 (Prometheus's default). */
  scrapeInterval?: number;
  /**
   * The label that names a service: `service_name` (default; the Collector's prometheus exporter
   * with resource_to_telemetry_conversion) or `job` (a direct scrape, or no conversion).
   */
  serviceLabel?: string;
  /** Name of the rule group, and prefix of the objectives' groups. Default `otel-health`. */
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
  /** The threshold rules' alerts. */
  rules: AlertingRule[];
  /** Seconds: the rate window used by every rate()/increase() of the threshold rules. */
  window: number;
  /** The service level objectives' groups: recordings and burn-rate alerts (slo-rules.ts). */
  slo: SloRules;
  /** Things the caller should tell the user (windows widened). */
  notes: string[];
}

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
  const scrape = checkedScrapeInterval(options.scrapeInterval);
  const by = checkedServiceLabel(options.serviceLabel);
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
  window = toMilliseconds(window);
  const W = prometheusDuration(window);
  const naming = options.naming ?? 'collector';
  const M = prometheusMetricNames(naming);

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

  const groupName = options.groupName ?? 'otel-health';
  const slo = generateSloRules(config, { scrapeInterval: scrape, serviceLabel: by, naming, groupName });
  notes.push(...slo.notes);
  return { yaml: renderRules(groupName, rules, slo), rules, window, slo, notes };
}

function renderRules(groupName: string, rules: AlertingRule[], slo: SloRules): string {
  const lines = [
    '# Generated by `otel-health rules`: alerting rules equivalent to the in-process health rules.',
    '# Each level of a rule is its own alert (label severity); inhibit lower severities in Alertmanager.',
    ...(slo.groups.length > 0
      ? ['# Service level objectives: SLI recordings, meta recordings and burn-rate alerts per objective, in Sloth\'s layout.']
      : []),
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
  for (const group of slo.groups) lines.push(...renderGroup(group));
  return lines.join('\n') + '\n';
}
