/**
 * The one line startHealthMonitoring prints when monitoring starts (option `startupMessage`,
 * env OTEL_HEALTH_STARTUP_MESSAGE), and the console writes of start-up problems. Every write
 * here is guarded: a closed console never reaches the service.
 *
 * The line goes to stdout, beside the console alert lines (console.log): it says that
 * monitoring runs, which is not a problem. stderr is kept for problems (a bad configuration in
 * the preload, a status port in use, an open status server beyond loopback).
 */
import type { AlertsPlan } from './alerts/index.js';
import type { LogExportPlan } from './providers.js';

export interface StartupFacts {
  serviceName: string;
  /** Seconds between checks. */
  checkInterval: number;
  /** Where alerts go, each already described (see alertDestinations). */
  alerts: readonly string[];
  /** Why host metrics are absent although asked for; undefined when they run or were turned off. */
  hostMetricsProblem?: string;
  /** The status page URL, when the status server listens. */
  statusUrl?: string;
  /** Why the status server asked for does not listen (`127.0.0.1:8150 EADDRINUSE`). */
  statusProblem?: string;
}

/** `otel-health: monitoring checkout, checks every 15 s, alerts to console, status page http://127.0.0.1:8150/` */
export function startupLine(facts: StartupFacts): string {
  const parts = [
    `otel-health: monitoring ${facts.serviceName}`,
    `checks every ${facts.checkInterval} s`,
    facts.alerts.length > 0 ? `alerts to ${facts.alerts.join(', ')}` : 'alerts to no sink',
  ];
  if (facts.hostMetricsProblem !== undefined) parts.push(`no host metrics (${facts.hostMetricsProblem})`);
  if (facts.statusUrl !== undefined) parts.push(`status page ${facts.statusUrl}/`);
  else if (facts.statusProblem !== undefined) parts.push(`no status page (${facts.statusProblem})`);
  return parts.join(', ');
}

/** console.log that never throws. */
export function printLine(line: string): void {
  try {
    console.log(line);
  } catch {
    // A closed or broken stdout: the service matters more than the message.
  }
}

/** console.warn that never throws. */
export function warnLine(line: string): void {
  try {
    console.warn(line);
  } catch {
    // As above, for stderr.
  }
}

/** Only the host of a URL (never its user, password, path or query); undefined when unparsable. */
function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const host = new URL(url).host;
    return host.length > 0 ? host : undefined;
  } catch {
    return undefined;
  }
}

/** Where the LoggerProvider otel-health creates sends alert records, described. */
export function ownedLogDestinations(plan: LogExportPlan): string[] {
  const out: string[] = [];
  if (plan.otlpEndpoint !== undefined) out.push(`OTLP ${hostOf(plan.otlpEndpoint) ?? 'endpoint'}`);
  if (plan.console) out.push('console');
  return out;
}

/**
 * Every sink alerts can reach (the default route's and each route's), described: the
 * `otel-log` sink as where its LoggerProvider sends records, webhooks and Alertmanager members
 * with their host only.
 */
export function alertDestinations(plan: AlertsPlan, otelLog: readonly string[]): string[] {
  const out = new Set<string>();
  const names = [...plan.defaultSinks, ...plan.routes.flatMap((r) => r.sinks)];
  for (const name of names) {
    if (name === 'otel-log') {
      for (const d of otelLog) out.add(d);
      continue;
    }
    if (name === 'console') {
      out.add('console');
      continue;
    }
    const sink = plan.sinks.get(name);
    if (sink?.type === 'webhook') {
      const host = hostOf((sink as { url?: string }).url);
      out.add(host !== undefined ? `webhook ${name} (${host})` : `webhook ${name}`);
    } else if (sink?.type === 'alertmanager') {
      // Every member, host only (the plan holds each member's alerts endpoint).
      const hosts = (sink as { url: readonly string[] }).url.map(hostOf).filter((h) => h !== undefined);
      out.add(hosts.length > 0 ? `alertmanager ${name} (${hosts.join(', ')})` : `alertmanager ${name}`);
    } else if (sink?.type === 'callback') out.add(`callback ${name}`);
    else out.add(name);
  }
  return [...out];
}
