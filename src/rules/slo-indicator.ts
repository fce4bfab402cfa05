/**
 * An objective's service level indicator as PromQL: the ratio of bad events over a window, from
 * the request and operation duration histograms the package exports. The events and what counts
 * as bad are those the in-process evaluator counts (evaluator/derive.ts, countSloEvents):
 *
 * - events: HTTP requests and manual operations (`_count` of both duration histograms); with a
 *   `route`, only HTTP requests of that route template (operations have no route);
 * - availability: bad = failed, as the `error_rate` rule counts failures: `error.type` set
 *   (5xx, aborted, thrown, a failed operation), or an HTTP 5xx without it (an exporter or
 *   instrumentation that does not set `error.type`); counted once either way;
 * - latency: bad = slower than the threshold, failed or not: the `le` bucket at the threshold
 *   (the in-process side gives both histograms a bucket boundary at each objective's threshold,
 *   so the count is exact) out of all events. A service that exports no bucket at the threshold
 *   (an older version, another instrumentation) gives no ratio, so no alert, rather than
 *   "every request too slow": the recording is missing, which a dashboard shows.
 */
import type { SloConfig } from '../config/index.js';
import { promqlString, regexLiteral } from './prometheus-format.js';
import type { prometheusMetricNames } from './prometheus-metrics.js';

export interface IndicatorContext {
  /** The metric names of the chosen naming scheme. */
  metrics: ReturnType<typeof prometheusMetricNames>;
  /** The label naming a service (`service_name` or `job`). */
  serviceLabel: string;
  /** The objective's service: its `service`, else the config's serviceName. */
  service: string;
}

/**
 * The spellings an exporter or Prometheus may give a bucket bound: JavaScript's (the JS SDK's
 * Prometheus exporter writes `String(bound)`), Go's shortest `%g` (client_golang's text format,
 * so the Collector's prometheus exporter: `1e-05`, `1e+06`), and OpenMetrics' (what Prometheus 3
 * normalises every `le` to on ingestion: an integer gets `.0`, so `le="1"` becomes `le="1.0"`).
 * Usually one spelling (0.3 → `0.3`); an integer threshold has two (`1`, `1.0`).
 */
export function leSpellings(bound: number): string[] {
  const js = String(bound);
  const [mantissa, exponentText] = bound.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const go =
    exponent < -4 || exponent >= 6
      ? `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`
      : js; // Go and JavaScript both write plain decimals in this range, with the same shortest digits.
  const openMetrics = /[e.]/.test(go) ? go : `${go}.0`;
  return [...new Set([js, go, openMetrics])];
}

/** The `le` matcher of a threshold: exact where it has one spelling, a regex of its spellings otherwise. */
export function leMatcher(threshold: number): string {
  const spellings = leSpellings(threshold);
  return spellings.length === 1 ? `le=${promqlString(spellings[0]!)}` : `le=~${promqlString(spellings.map(regexLiteral).join('|'))}`;
}

/** `{__name__=~"a|b",…}` or `a{…}`: a selector of one or more metrics with these matchers. */
function selector(names: readonly string[], matchers: readonly string[]): string {
  if (names.length === 1) return `${names[0]}{${matchers.join(',')}}`;
  return `{${[`__name__=~${promqlString(names.map(regexLiteral).join('|'))}`, ...matchers].join(',')}}`;
}

/** PromQL: the share of the objective's events that were bad over `window` (a Prometheus duration). */
export function sliErrorRatio(slo: Pick<SloConfig, 'indicator' | 'route'>, context: IndicatorContext, window: string): string {
  const M = context.metrics;
  const scope = [`${context.serviceLabel}=${promqlString(context.service)}`];
  if (slo.route !== undefined) scope.push(`http_route=${promqlString(slo.route)}`);
  const counts = slo.route !== undefined ? [M.httpDurationCount] : [M.httpDurationCount, M.operationDurationCount];
  const rate = (sel: string): string => `sum(rate(${sel}[${window}]))`;
  const all = rate(selector(counts, scope));

  if (slo.indicator.kind === 'latency') {
    // The operations' buckets are not in PROMETHEUS_METRICS (the threshold rules and the tests
    // that check each name is exported do not use them): same histogram, so `_count` → `_bucket`.
    const operationBuckets = M.operationDurationCount.replace(/_count$/, '_bucket');
    const buckets = slo.route !== undefined ? [M.httpDurationBucket] : [M.httpDurationBucket, operationBuckets];
    return `1 - (${rate(selector(buckets, [...scope, leMatcher(slo.indicator.threshold)]))} / ${all})`;
  }
  // Each term `or vector(0)`: a sum over no series is empty, and empty + x is empty, so a service
  // without 5xx-only series (the usual case) would otherwise never have a ratio at all.
  const failed = rate(selector(counts, [...scope, 'error_type!=""']));
  const status5xx = rate(selector([M.httpDurationCount], [...scope, 'error_type=""', 'http_response_status_code=~"5.."']));
  return `((${failed} or vector(0)) + (${status5xx} or vector(0))) / ${all}`;
}
