/**
 * An otel-health alert as Alertmanager's API v2 sees it (`postableAlert`): labels (its identity),
 * annotations, startsAt, endsAt, generatorURL. Pure.
 *
 * Labels are what Alertmanager deduplicates, groups, routes, silences and inhibits on, so they
 * hold only what stays the same for the whole incident and is the same on every replica:
 * `alertname` (the generated Prometheus rules' names, `OtelHealthErrorRate`,
 * `OtelHealthSloBurnRate`, so one Alertmanager config serves both; `OtelHealthCheck` and
 * `OtelHealthAnomaly` for the rules only the process has), `service`, `rule`, `severity` (the level, lowercase like the generated
 * rules), the part of the rule name after the colon as its own label (`check`, `series`, `slo`),
 * `instance` only when asked for, and the sink's static labels. What changes each check (value,
 * threshold, the message) goes in annotations: the latest sender's annotations win in
 * Alertmanager, the labels must not differ between replicas or their alerts would not merge.
 */
import type { Alert, RuleName } from '../../model/index.js';
import type { NotifiedTransition } from '../stage.js';

/** One alert of Alertmanager's `POST /api/v2/alerts` body. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface LabelOptions {
  /** The `instance` label's value; undefined leaves the label out. */
  instance?: string;
  /** Static labels (validated: never one of the sink's own). */
  labels: Readonly<Record<string, string>>;
}

/** The generated Prometheus rules' alert names (rules/prometheus-rules.ts), by rule. */
const ALERT_NAMES: Record<string, string> = {
  error_rate: 'OtelHealthErrorRate',
  response_time: 'OtelHealthResponseTime',
  cpu: 'OtelHealthCpu',
  memory: 'OtelHealthMemory',
  connections: 'OtelHealthConnections',
  event_loop_delay: 'OtelHealthEventLoopDelay',
};

/** For `check:…`, `anomaly:…`, `slo:…` rules: the alert name and the label naming the part after the colon. */
const FAMILIES: Record<string, { alertname: string; label: string }> = {
  check: { alertname: 'OtelHealthCheck', label: 'check' },
  anomaly: { alertname: 'OtelHealthAnomaly', label: 'series' },
  slo: { alertname: 'OtelHealthSloBurnRate', label: 'slo' },
};

/** `OtelHealthErrorRate`, `OtelHealthCheck`, …; an unknown rule `OtelHealth` + its name in PascalCase. */
export function alertName(rule: RuleName): string {
  const known = ALERT_NAMES[rule];
  if (known !== undefined) return known;
  const family = FAMILIES[rule.split(':')[0]!];
  if (family !== undefined && rule.includes(':')) return family.alertname;
  return `OtelHealth${rule.replace(/(^|[^a-zA-Z0-9])([a-zA-Z0-9])/g, (_m, _sep, c: string) => c.toUpperCase()).replace(/[^a-zA-Z0-9]/g, '')}`;
}

/** The alert's label set: its identity in Alertmanager. */
export function alertLabels(alert: Alert, options: LabelOptions): Record<string, string> {
  const labels: Record<string, string> = {
    ...options.labels,
    alertname: alertName(alert.rule),
    service: alert.serviceId,
    rule: alert.rule,
    severity: alert.level.toLowerCase(),
  };
  const colon = alert.rule.indexOf(':');
  const family = colon > 0 ? FAMILIES[alert.rule.slice(0, colon)] : undefined;
  if (family !== undefined) labels[family.label] = alert.rule.slice(colon + 1);
  if (options.instance !== undefined) labels.instance = options.instance;
  return labels;
}

/** A stable key of a label set (sorted): two alerts with the same key are one alert in Alertmanager. */
export function labelKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/** Up to 6 significant digits, no exponent for everyday values. */
function number(n: number): string {
  return Number.isFinite(n) ? String(Number(n.toPrecision(6))) : String(n);
}

/** Annotations: the message as summary, a longer description, and the numbers. */
export function alertAnnotations(entry: NotifiedTransition): Record<string, string> {
  const { alert } = entry.transition;
  const incident = entry.incident;
  const cause = incident !== undefined && incident.rules.length > 1 ? ` Probable cause: ${incident.cause} (rules firing together: ${incident.rules.join(', ')}).` : '';
  return {
    summary: alert.message,
    description: `${alert.message}. Rule ${alert.rule} on ${alert.serviceId} at ${alert.level}: value ${number(alert.value)}, threshold ${number(alert.threshold)}.${cause} Sent by otel-health.`,
    value: number(alert.value),
    threshold: number(alert.threshold),
  };
}

/** The body's alert: `endsAt` is when Alertmanager should consider it resolved if not told again. */
export function alertmanagerAlert(
  labels: Record<string, string>,
  annotations: Record<string, string>,
  startsAt: number,
  endsAt: number,
  generatorURL: string | undefined,
): AlertmanagerAlert {
  return {
    labels,
    annotations,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    ...(generatorURL !== undefined ? { generatorURL } : {}),
  };
}
