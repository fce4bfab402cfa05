// Prometheus rules for service level objectives (issue 15, item 3): the generated recordings and
// burn-rate alerts, promtool, and a real Prometheus scraping a service until the page alert fires.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig, type MonitoringConfigInput } from '../../src/config/index.js';
import { runCli } from '../../src/rules/cli.js';
import { generatePrometheusRules, type PrometheusRulesOptions } from '../../src/rules/prometheus-rules.js';
import type { GroupAlertingRule, RecordingRule } from '../../src/rules/rule-groups.js';
import { leMatcher, leSpellings } from '../../src/rules/slo-indicator.js';
import { SLO_ALERT_NAME } from '../../src/rules/slo-rules.js';
import { recordOperation } from '../../src/instrumentation/manual.js';
import { addDurationBounds } from '../../src/instrumentation/index.js';
import { renderExposition } from '../fixtures/prom-exposition.js';
import { startHarness, type Harness } from '../../support/metrics.js';
import { close, listen } from '../../support/http.js';
import {
  errorBurstUntilAlerts,
  prometheusInstalled,
  prometheusSkip,
  startPrometheus,
  waitForSamples,
  type RunningPrometheus,
} from '../helpers/prometheus.js';

/** Only the objectives' rules: every threshold rule off. */
const NO_THRESHOLDS = {
  errorThreshold: false,
  responseTimeThreshold: false,
  resourceThresholds: { cpu: false, memory: false, connections: false, eventLoopDelay: false },
} as const;

function sloRules(input: MonitoringConfigInput, options: PrometheusRulesOptions = { scrapeInterval: 15 }) {
  const result = generatePrometheusRules(parseConfig({ serviceName: 'shop', ...NO_THRESHOLDS, ...input }), options);
  const rules = result.slo.groups.flatMap((g) => g.rules);
  const recordings = rules.filter((r): r is RecordingRule => 'record' in r);
  const alerts = rules.filter((r): r is GroupAlertingRule => 'alert' in r);
  const recordingsOf = (slo: string) => recordings.filter((r) => r.labels.sloth_slo === slo);
  const alertsOf = (slo: string) => alerts.filter((r) => r.labels.slo === slo);
  return { ...result, recordings, alerts, recordingsOf, alertsOf };
}

const sliWindows = (recordings: RecordingRule[]) =>
  recordings.filter((r) => r.record.startsWith('slo:sli_error:ratio_rate')).map((r) => r.labels.sloth_window);

describe('SLO rules: Sloth layout', () => {
  it('a 30-day objective: the workbook windows, three groups, the meta recordings, one alert per level', () => {
    const r = sloRules({ slos: [{ name: 'availability', objective: 0.999 }] });
    assert.deepEqual(
      r.slo.groups.map((g) => g.name),
      ['otel-health-slo-sli-recordings-shop-availability', 'otel-health-slo-meta-recordings-shop-availability', 'otel-health-slo-alerts-shop-availability'],
    );
    // 5m / 1h (fast), 30m / 6h (slow), 6h / 3d (ticket), each once, and the period.
    assert.deepEqual(sliWindows(r.recordings), ['5m', '30m', '1h', '6h', '3d', '30d']);
    for (const rec of r.recordings.filter((x) => x.record.startsWith('slo:sli_error:'))) {
      assert.equal(rec.record, `slo:sli_error:ratio_rate${rec.labels.sloth_window}`);
      assert.ok(rec.expr.includes(`[${rec.labels.sloth_window}]`), rec.expr);
      assert.deepEqual(
        { id: rec.labels.sloth_id, service: rec.labels.sloth_service, slo: rec.labels.sloth_slo },
        { id: 'shop-availability', service: 'shop', slo: 'availability' },
      );
    }
    const meta = Object.fromEntries(r.slo.groups[1]!.rules.map((x) => [(x as RecordingRule).record, x.expr]));
    assert.deepEqual(Object.keys(meta), [
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:time_period:days',
      'slo:current_burn_rate:ratio',
      'slo:period_burn_rate:ratio',
      'slo:period_error_budget_remaining:ratio',
      'sloth_slo_info',
    ]);
    assert.equal(meta['slo:objective:ratio'], 'vector(0.999)');
    assert.equal(meta['slo:error_budget:ratio'], 'vector(1 - 0.999)');
    assert.equal(meta['slo:time_period:days'], 'vector(30)');
    assert.match(meta['slo:current_burn_rate:ratio']!, /^slo:sli_error:ratio_rate5m\{sloth_id="shop-availability", .*\} \/ on \(sloth_id, sloth_service, sloth_slo\) slo:error_budget:ratio\{/);
    assert.match(meta['slo:period_burn_rate:ratio']!, /^slo:sli_error:ratio_rate30d\{/);
    assert.match(meta['slo:period_error_budget_remaining:ratio']!, /^1 - slo:period_burn_rate:ratio\{/);

    assert.deepEqual(
      r.alerts.map((a) => [a.alert, a.labels.severity, a.labels.rule, a.labels.slo, a.labels.service_name]),
      [
        [SLO_ALERT_NAME, 'critical', 'slo:availability', 'availability', 'shop'],
        [SLO_ALERT_NAME, 'error', 'slo:availability', 'availability', 'shop'],
        [SLO_ALERT_NAME, 'warning', 'slo:availability', 'availability', 'shop'],
      ],
    );
    const sel = '{sloth_id="shop-availability", sloth_service="shop", sloth_slo="availability"}';
    const burning = (window: string, rate: number) => `max without (sloth_window) (slo:sli_error:ratio_rate${window}${sel} >= (${rate} * (1 - 0.999)))`;
    assert.equal(r.alerts[0]!.expr, `(${burning('1h', 14.4)} and ${burning('5m', 14.4)})`);
    assert.equal(r.alerts[1]!.expr, `(${burning('6h', 6)} and ${burning('30m', 6)})`);
    assert.equal(r.alerts[2]!.expr, `(${burning('3d', 1)} and ${burning('6h', 1)})`);
    assert.deepEqual(r.slo.notes, []);
  });

  it('a 7-day objective: windows scaled by 7/30, as sloAlertWindows gives them to the evaluator', () => {
    const r = sloRules({ slos: [{ name: 'weekly', objective: 0.99, window: 7 * 86_400 }] });
    // fast 14m / 1m10s, slow 1h24m / 7m, ticket 16h48m / 1h24m, period 7d.
    assert.deepEqual(sliWindows(r.recordings), ['1m10s', '7m', '14m', '1h24m', '16h48m', '7d']);
    assert.match(r.alerts[0]!.expr, /ratio_rate14m\{.*>= \(14\.4 \* \(1 - 0\.99\)\)\) and .*ratio_rate1m10s\{/);
    assert.match(r.alerts[2]!.expr, /ratio_rate16h48m\{.*>= \(1 \* \(1 - 0\.99\)\)\) and .*ratio_rate1h24m\{/);
    assert.equal(r.recordings.find((x) => x.record === 'slo:time_period:days')!.expr, 'vector(7)');
    assert.deepEqual(r.slo.notes, []);
  });

  it('windows shorter than 4 scrape intervals are widened, each with a note', () => {
    const r = sloRules({ slos: [{ name: 'weekly', objective: 0.99, window: 7 * 86_400 }] }, { scrapeInterval: 60 });
    assert.deepEqual(sliWindows(r.recordings), ['4m', '7m', '14m', '1h24m', '16h48m', '7d']);
    assert.match(r.alerts[0]!.expr, /ratio_rate4m\{/);
    assert.equal(r.slo.notes.length, 1);
    assert.ok(r.notes.includes(r.slo.notes[0]!));
    assert.match(r.slo.notes[0]!, /^objective "weekly": the fast alert's short window and the current burn rate's window widened from 1m10s to 4m \(4 × scrape interval 1m\)/);
  });

  it('availability: failures as the error_rate rule counts them, requests and operations, per service', () => {
    const r = sloRules({ slos: [{ name: 'a', objective: 0.999 }] });
    const expr = r.recordings[0]!.expr;
    const all = '{__name__=~"http_server_request_duration_seconds_count|otel_health_operation_duration_seconds_count",service_name="shop"}';
    assert.equal(
      expr,
      '((sum(rate({__name__=~"http_server_request_duration_seconds_count|otel_health_operation_duration_seconds_count",service_name="shop",error_type!=""}[5m])) or vector(0))' +
        ' + (sum(rate(http_server_request_duration_seconds_count{service_name="shop",error_type="",http_response_status_code=~"5.."}[5m])) or vector(0)))' +
        ` / sum(rate(${all}[5m]))`,
    );
    // The objective's own service, another service label, the SDK exporter's names.
    const other = sloRules({ slos: [{ name: 'a', objective: 0.999, service: 'billing' }] }, { scrapeInterval: 15, serviceLabel: 'job', naming: 'sdk' });
    assert.match(other.recordings[0]!.expr, /\{__name__=~"http_server_request_duration_count\|otel_health_operation_duration_count",job="billing",error_type!=""\}/);
    assert.equal(other.recordings[0]!.labels.sloth_id, 'billing-a');
    assert.equal(other.alerts[0]!.labels.job, 'billing');
  });

  it('latency: the le bucket at the threshold over all events; a route matches http_route, escaped, without operations', () => {
    const r = sloRules({
      slos: [
        { name: 'lat', objective: 0.99, indicator: { latency: { threshold: 0.3 } } },
        { name: 'route', objective: 0.99, indicator: { latency: { threshold: 1 } }, route: '/a"b\\c/:id' },
      ],
    });
    assert.equal(
      r.recordingsOf('lat')[0]!.expr,
      '1 - (sum(rate({__name__=~"http_server_request_duration_seconds_bucket|otel_health_operation_duration_seconds_bucket",service_name="shop",le="0.3"}[5m]))' +
        ' / sum(rate({__name__=~"http_server_request_duration_seconds_count|otel_health_operation_duration_seconds_count",service_name="shop"}[5m])))',
    );
    assert.equal(
      r.recordingsOf('route')[0]!.expr,
      '1 - (sum(rate(http_server_request_duration_seconds_bucket{service_name="shop",http_route="/a\\"b\\\\c/:id",le=~"1|1\\\\.0"}[5m]))' +
        ' / sum(rate(http_server_request_duration_seconds_count{service_name="shop",http_route="/a\\"b\\\\c/:id"}[5m])))',
    );
    // How exporters and Prometheus spell a bound: JS, Go %g (client_golang), OpenMetrics (Prometheus 3).
    assert.deepEqual(leSpellings(0.3), ['0.3']);
    assert.deepEqual(leSpellings(0.25), ['0.25']);
    assert.deepEqual(leSpellings(1), ['1', '1.0']);
    assert.deepEqual(leSpellings(10), ['10', '10.0']);
    assert.deepEqual(leSpellings(0.00001), ['0.00001', '1e-05']);
    assert.deepEqual(leSpellings(2_000_000), ['2000000', '2e+06']);
    assert.equal(leMatcher(2.5), 'le="2.5"');
  });

  it('levels: an alert turned off is left out; pairs of one level are one alert joined with or', () => {
    const off = sloRules({ slos: [{ name: 'a', objective: 0.999, levels: { fast: false, ticket: false } }] });
    assert.deepEqual(off.alerts.map((a) => a.labels.severity), ['error']);
    // The current burn rate still reads the fast alert's short window; the ticket's 3d is not recorded.
    assert.deepEqual(sliWindows(off.recordings), ['5m', '30m', '6h', '30d']);

    const paired = sloRules({ slos: [{ name: 'a', objective: 0.999, levels: { fast: 'critical', slow: 'critical', ticket: 'warning' } }] });
    assert.deepEqual(paired.alerts.map((a) => a.labels.severity), ['critical', 'warning']);
    assert.match(paired.alerts[0]!.expr, /^\(.*ratio_rate1h\{.* and .*ratio_rate5m\{.*\) or \(.*ratio_rate6h\{.* and .*ratio_rate30m\{.*\)$/);
    assert.match(paired.alerts[0]!.annotations.description!, /^fast: .*; slow: /);

    const none = sloRules({ slos: [{ name: 'a', objective: 0.999, levels: { fast: false, slow: false, ticket: false } }] });
    assert.deepEqual(none.alerts, []);
    assert.deepEqual(sliWindows(none.recordings), ['5m', '30d']);
    assert.equal(none.slo.groups[2]!.rules.length, 0);
    assert.match(none.yaml, /name: "otel-health-slo-alerts-shop-a"\n {4}rules: \[\]/);
  });

  it('no objectives: no SLO groups, the file as before', () => {
    const r = generatePrometheusRules(parseConfig({}), { scrapeInterval: 15 });
    assert.deepEqual(r.slo, { groups: [], recordings: 0, alerts: 0, notes: [] });
    assert.doesNotMatch(r.yaml, /slo/);
  });

  it('CLI: counts the recordings, notes each widening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-health-slo-cli-'));
    try {
      writeFileSync(join(dir, 'c.json'), JSON.stringify({ checkInterval: 60, serviceName: 'shop', slos: [{ name: 'weekly', objective: 0.99, window: 604800 }] }));
      const out = { stdout: '', stderr: '' };
      const io = { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) };
      assert.equal(await runCli(['rules', '--config', join(dir, 'c.json'), '--out', join(dir, 'r.yml')], io), 0);
      assert.match(out.stderr, /note: objective "weekly": the fast alert's short window and the current burn rate's window widened from 1m10s to 4m/);
      assert.match(out.stderr, /wrote 20 alerting rules and 13 recording rules/); // 17 threshold + 3 burn-rate; 6 SLI + 7 meta
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('promtool check rules accepts a config with several objectives', (t) => {
    if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status !== 0) {
      if (process.env.CI) assert.fail('promtool is not installed; CI must install the Debian "prometheus" package');
      return t.skip('promtool not installed (apt-get install -y prometheus)');
    }
    const dir = mkdtempSync(join(tmpdir(), 'otel-health-slo-promtool-'));
    try {
      const config = parseConfig({
        serviceName: 'shop',
        slos: [
          { name: 'availability', objective: 0.999 },
          { name: 'checkout-latency', objective: 0.99, window: 7 * 86_400, indicator: { latency: { threshold: 0.3 } }, route: '/checkout' },
          { name: 'billing.api', objective: 0.995, service: 'billing', indicator: { latency: { threshold: 2 } }, levels: { fast: 'error', slow: 'error', ticket: false } },
          { name: 'hourly', objective: 0.9, window: 3600 },
        ],
      });
      for (const [i, options] of [{ scrapeInterval: 60 }, { scrapeInterval: 1, serviceLabel: 'job', naming: 'sdk' as const }].entries()) {
        const result = generatePrometheusRules(config, options);
        const file = join(dir, `rules-${i}.yml`);
        writeFileSync(file, result.yaml);
        const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
        const total = result.rules.length + result.slo.alerts + result.slo.recordings;
        assert.match(r.stdout, new RegExp(`SUCCESS: ${total} rules found`));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SLO rules under promtool test rules: synthetic series, exact times', () => {
  // Deterministic checks of the expressions on a simulated hour of clean traffic, then 10 %
  // errors (5 a minute with error_type, 5 a minute 5xx without it), at a 1m scrape. Rule groups
  // are evaluated in no fixed order, so an alert may trail its recordings by one evaluation: the
  // times below leave that minute of slack.
  // The workbook's detection time of the fast alert at 10 % errors is 8.64 min (1 h × 14.4 × 0.1 % / 10 %);
  // here the clean traffic goes on beside the errors, so the ratio reaches 1.44 % after 8 min.
  it('the ratios of both indicators, and the fast alert firing 7 to 11 min into 10 % errors', (t) => {
    if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status !== 0) {
      if (process.env.CI) assert.fail('promtool is not installed; CI must install the Debian "prometheus" package');
      return t.skip('promtool not installed (apt-get install -y prometheus)');
    }
    const { yaml } = sloRules(
      {
        slos: [
          { name: 'availability', objective: 0.999 },
          { name: 'latency', objective: 0.99, indicator: { latency: { threshold: 0.3 } }, levels: { fast: false, slow: false, ticket: false } },
          { name: 'latency-1s', objective: 0.99, indicator: { latency: { threshold: 1 } }, levels: { fast: false, slow: false, ticket: false } },
        ],
      },
      { scrapeInterval: 60 },
    );
    const count = 'http_server_request_duration_seconds_count{service_name="shop"';
    const bucket = 'http_server_request_duration_seconds_bucket{service_name="shop"';
    const ids = (slo: string, window: string) => `{sloth_id="shop-${slo}",sloth_service="shop",sloth_slo="${slo}",sloth_window="${window}"}`;
    const firing = (severity: string) => `count(ALERTS{alertname="${SLO_ALERT_NAME}",alertstate="firing",severity="${severity}"})`;
    const test = [
      'rule_files: [rules.yml]',
      'evaluation_interval: 1m',
      'tests:',
      '  - interval: 1m',
      '    input_series:',
      `      - { series: '${count},http_response_status_code="200"}', values: '0+90x180' }`,
      `      - { series: '${count},http_response_status_code="500",error_type="500"}', values: '0x60 5+5x119' }`,
      `      - { series: '${count},http_response_status_code="503"}', values: '0x60 5+5x119' }`,
      // Latency buckets of the same requests: 80 a minute within 0.3 s; 95 within 1 s, spelled
      // as Prometheus 3 stores it (le="1.0").
      `      - { series: '${bucket},le="0.3"}', values: '0+80x180' }`,
      `      - { series: '${bucket},le="1.0"}', values: '0+95x180' }`,
      '    promql_expr_test:',
      `      - { expr: 'round(slo:sli_error:ratio_rate5m{sloth_slo="availability"} * 1000)', eval_time: 2h, exp_samples: [{ labels: '${ids('availability', '5m')}', value: 100 }] }`,
      `      - { expr: 'round(slo:sli_error:ratio_rate5m{sloth_slo="latency"} * 1000)', eval_time: 2h, exp_samples: [{ labels: '${ids('latency', '5m')}', value: 200 }] }`,
      `      - { expr: 'round(slo:sli_error:ratio_rate5m{sloth_slo="latency-1s"} * 1000)', eval_time: 2h, exp_samples: [{ labels: '${ids('latency-1s', '5m')}', value: 50 }] }`,
      `      - { expr: 'round(slo:current_burn_rate:ratio{sloth_slo="availability"})', eval_time: 2h, exp_samples: [{ labels: '{sloth_id="shop-availability",sloth_service="shop",sloth_slo="availability"}', value: 100 }] }`,
      `      - { expr: '${firing('critical')}', eval_time: 50m, exp_samples: [] }`,
      `      - { expr: '${firing('critical')}', eval_time: 67m, exp_samples: [] }`,
      `      - { expr: '${firing('critical')}', eval_time: 71m, exp_samples: [{ labels: '{}', value: 1 }] }`,
      `      - { expr: '${firing('error')}', eval_time: 2h, exp_samples: [{ labels: '{}', value: 1 }] }`,
      '',
    ].join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'otel-health-slo-promtool-test-'));
    try {
      writeFileSync(join(dir, 'rules.yml'), yaml);
      writeFileSync(join(dir, 'test.yml'), test);
      const r = spawnSync('promtool', ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8' });
      assert.equal(r.status, 0, `promtool test rules:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SLO rules end to end: the page alert fires on a real Prometheus', () => {
  const skip = prometheusSkip;
  let harness: Harness | undefined;
  let app: Server | undefined;
  let exposition: Server | undefined;
  let prometheus: RunningPrometheus | undefined;
  let appUrl = '';
  let notes: string[] = [];

  before(async () => {
    if (skip) return;
    assert.ok(prometheusInstalled, 'prometheus is not installed; CI must install the Debian "prometheus" package');
    // What the monitor does for a latency objective: a bucket boundary at its threshold (0.3 s is
    // not one of the default bounds).
    addDurationBounds([0.3]);
    harness = startHarness({ http: { ignorePaths: ['/metrics'] } });
    app = createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      if (req.url === '/slow') setTimeout(() => res.end('x'), 350);
      else res.end('x');
    });
    appUrl = `http://127.0.0.1:${await listen(app)}`;
    // The test's stand-in for the Collector's prometheus exporter (as in prometheus-rules.test.ts).
    exposition = createServer((_req, res) => {
      harness!.collect().then(
        (metrics) => {
          res.setHeader('content-type', 'text/plain; version=0.0.4');
          res.end(renderExposition(metrics, { service_name: 'slo-svc', otel_scope_name: 'otel-health' }));
        },
        (error: unknown) => {
          res.statusCode = 500;
          res.end(String(error));
        },
      );
    });
    const target = `127.0.0.1:${await listen(exposition)}`;
    // A 6-hour objective: the fast pair's windows are 30 s and 2.5 s (widened to 4 s at a 1 s
    // scrape), so half the requests failing burns 50× the 1 % budget within seconds.
    const generated = generatePrometheusRules(
      parseConfig({
        serviceName: 'slo-svc',
        ...NO_THRESHOLDS,
        slos: [
          { name: 'availability', objective: 0.99, window: 6 * 3600 },
          // Recordings only: they show the `le` matchers find the exporter's buckets, a bound
          // added for the objective (0.3) and an integer one (1).
          { name: 'latency', objective: 0.99, window: 6 * 3600, indicator: { latency: { threshold: 0.3 } }, levels: { fast: false, slow: false, ticket: false } },
          { name: 'latency-1s', objective: 0.99, window: 6 * 3600, indicator: { latency: { threshold: 1 } }, levels: { fast: false, slow: false, ticket: false } },
        ],
      }),
      { scrapeInterval: 1 },
    );
    notes = generated.notes;
    prometheus = await startPrometheus({ target, jobName: 'slo-e2e', rulesYaml: generated.yaml });
  });

  after(async () => {
    await prometheus?.stop();
    if (exposition !== undefined) await close(exposition);
    if (app !== undefined) await close(app);
    await harness?.close();
  });

  it('an error burst makes the fast burn-rate alert fire (critical), labelled with the objective; the budget goes negative', { skip }, async () => {
    assert.ok(notes.some((n) => /objective "availability": the fast alert's short window and the current burn rate's window widened from 2s500ms to 4s/.test(n)), notes.join('\n'));
    recordOperation('slo-job', 0.01);
    const started = Date.now();
    const isPage = (a: { labels: Record<string, string>; state: string }) =>
      a.labels.alertname === SLO_ALERT_NAME && a.labels.slo === 'availability' && a.labels.severity === 'critical' && a.state === 'firing';
    const { alerts, met, last } = await errorBurstUntilAlerts(appUrl, prometheus!.url, (list) => list.some(isPage));
    assert.ok(met, `no firing page alert: ${last}\n${prometheus!.log()}`);
    const page = alerts.find(isPage)!;
    assert.equal(page.labels.rule, 'slo:availability');
    assert.equal(page.labels.service_name, 'slo-svc');
    assert.equal(page.labels.sloth_id, 'slo-svc-availability');
    assert.equal(page.labels.sloth_window, undefined);
    assert.ok(!alerts.some((a) => a.labels.slo !== 'availability'), last);
    console.log(`# page alert fired ${((Date.now() - started) / 1000).toFixed(1)} s after the burst began`);

    const remaining = await waitForSamples(prometheus!.url, 'slo:period_error_budget_remaining:ratio{sloth_slo="availability"}');
    assert.equal(remaining.length, 1);
    assert.ok(Number(remaining[0]!.value[1]) < 0, `budget remaining ${remaining[0]!.value[1]}`);
    // Three requests slower than 0.3 s (not than 1 s), once the series exist (rate() counts only
    // increases between scrapes): over the objective's window they are bad at 0.3 s, none is at
    // 1 s. No sample at all would mean the `le` matcher found no bucket.
    await Promise.all([1, 2, 3].map(() => fetch(`${appUrl}/slow`).then((r) => r.arrayBuffer())));
    const slow = await waitForSamples(prometheus!.url, 'slo:sli_error:ratio_rate6h{sloth_slo="latency"}', 30_000, (s) => s.some((x) => Number(x.value[1]) > 0));
    assert.equal(slow.length, 1, 'latency: no ratio');
    const share = Number(slow[0]!.value[1]);
    assert.ok(share > 0 && share < 0.5, `latency: bad share ${share}`);
    const none = await waitForSamples(prometheus!.url, 'slo:sli_error:ratio_rate6h{sloth_slo="latency-1s"}');
    assert.equal(none.length, 1, 'latency-1s: no ratio');
    assert.equal(Number(none[0]!.value[1]), 0);
  });
});
