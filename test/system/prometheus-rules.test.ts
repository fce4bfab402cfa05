// Prometheus rules generator: unit tests, promtool, and an end-to-end run with the real
// Prometheus (Debian package) scraping a test exposition of the package's own metrics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { runCli } from '../../src/rules/cli.js';
import {
  PROMETHEUS_METRICS,
  prometheusDuration,
  generatePrometheusRules,
  parseDuration,
  yamlString,
} from '../../src/rules/prometheus-rules.js';
import { recordOperation } from '../../src/instrumentation/manual.js';
import { renderExposition } from '../fixtures/prom-exposition.js';
import { startHarness, type Harness } from '../../support/metrics.js';
import { close, listen } from '../../support/http.js';
import { errorBurstUntilFiring, prometheusSkip, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';

const hasBinary = (name: string): boolean => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
/** Absent binary: skip locally, fail in CI (where .ci/run installs it). */
function requireBinary(name: string): string | false {
  if (hasBinary(name)) return false;
  if (process.env.CI) assert.fail(`${name} is not installed; CI must install the Debian "prometheus" package (apt-get install -y prometheus)`);
  return `${name} not installed (apt-get install -y prometheus)`;
}

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

describe('prometheus rules generator', () => {
  it('one alert per rule and level, with severity and rule labels', () => {
    const { rules } = generatePrometheusRules(parseConfig({}), { scrapeInterval: 15 });
    const byAlert = new Map<string, string[]>();
    for (const r of rules) byAlert.set(r.alert, [...(byAlert.get(r.alert) ?? []), r.labels.severity]);
    assert.deepEqual(byAlert.get('OtelHealthErrorRate'), ['warning', 'error', 'critical']);
    assert.deepEqual(byAlert.get('OtelHealthResponseTime'), ['warning', 'error', 'critical']);
    for (const alert of ['OtelHealthCpu', 'OtelHealthMemory', 'OtelHealthConnections', 'OtelHealthEventLoopDelay']) {
      assert.ok(byAlert.has(alert), alert);
    }
    assert.deepEqual(new Set(rules.map((r) => r.labels.rule)), new Set(['error_rate', 'response_time', 'cpu', 'memory', 'connections', 'event_loop_delay']));
  });

  it('levels, disabled rules and minRequests follow the config', () => {
    const config = parseConfig({
      errorThreshold: { error: 0.2, minRequests: 50 },
      responseTimeThreshold: false,
      resourceThresholds: { cpu: false, memory: false, connections: false, eventLoopDelay: 0.25 },
    });
    const { rules } = generatePrometheusRules(config, { scrapeInterval: 15 });
    assert.deepEqual(
      rules.map((r) => [r.alert, r.labels.severity]),
      [
        ['OtelHealthErrorRate', 'error'],
        ['OtelHealthEventLoopDelay', 'error'],
      ],
    );
    assert.match(rules[0]!.expr, /\) > 0\.2 and sum by \(service_name\) \(increase\(.*\[1m\]\)\) >= 50$/);
    // The delay beyond the 10 ms sampling interval, as the in-process rule judges it.
    assert.equal(rules[1]!.expr, 'nodejs_eventloop_delay_p99_seconds - 0.01 > 0.25');
  });

  it('metric names: OTel names as the Collector prometheus exporter exposes them', () => {
    // With an objective's rules too (slo-rules.ts): they read the same names.
    const config = parseConfig({ slos: [{ name: 'fast', objective: 0.99, indicator: { latency: { threshold: 0.25 } } }] });
    const { rules, slo } = generatePrometheusRules(config, { scrapeInterval: 15 });
    const text = [...rules, ...slo.groups.flatMap((g) => g.rules)].map((r) => r.expr).join('\n');
    assert.match(text, /rate\(\{__name__=~"http_server_request_duration_seconds_count\|otel_health_operation_duration_seconds_count",error_type!=""\}\[1m\]\)/);
    assert.match(text, /histogram_quantile\(0\.95, sum by \(le, service_name\) \(rate\(http_server_request_duration_seconds_bucket\[1m\]\)\)\)/);
    for (const name of Object.values(PROMETHEUS_METRICS)) assert.ok(text.includes(name), name);
    const job = generatePrometheusRules(parseConfig({}), { scrapeInterval: 15, serviceLabel: 'job' });
    assert.match(job.rules[0]!.expr, /sum by \(job\)/);
    assert.throws(() => generatePrometheusRules(parseConfig({}), { serviceLabel: 'service.name' }), /label name/);
  });

  it('rate windows are at least 4 scrape intervals: a shorter checkInterval is widened, with a note', () => {
    const config = parseConfig({ checkInterval: 15 });
    const wide = generatePrometheusRules(config, { scrapeInterval: 60 });
    assert.equal(wide.window, 240);
    assert.equal(wide.notes.length, 1);
    assert.match(wide.notes[0]!, /widened from 15s \(checkInterval\) to 4m \(4 × scrape interval 1m\)/);
    for (const r of wide.rules) {
      assert.ok(!/\[(15s|1m)\]/.test(r.expr), r.expr);
      if (/rate\(|increase\(/.test(r.expr)) assert.match(r.expr, /\[4m\]/);
    }
    const fine = generatePrometheusRules(parseConfig({ checkInterval: 120 }), { scrapeInterval: 15 });
    assert.equal(fine.window, 120);
    assert.deepEqual(fine.notes, []);
    assert.match(fine.rules[0]!.expr, /\[2m\]/);
  });

  it('for: the rule\'s for, at least the window', () => {
    const config = parseConfig({ checkInterval: 30, errorThreshold: { warning: 0.1, for: 300 }, responseTimeThreshold: { error: 2, for: 5 } });
    const { rules } = generatePrometheusRules(config, { scrapeInterval: 5 });
    assert.equal(rules.find((r) => r.alert === 'OtelHealthErrorRate')!.for, 300);
    assert.equal(rules.find((r) => r.alert === 'OtelHealthResponseTime')!.for, 30);
    const yaml = generatePrometheusRules(config, { scrapeInterval: 5 }).yaml;
    assert.match(yaml, /for: "5m"/);
    assert.match(yaml, /for: "30s"/);
  });

  it('durations and YAML quoting', () => {
    assert.equal(prometheusDuration(240), '4m');
    assert.equal(prometheusDuration(90), '1m30s');
    assert.equal(prometheusDuration(0.5), '500ms');
    assert.equal(prometheusDuration(3600), '1h');
    assert.equal(parseDuration('1m'), 60);
    assert.equal(parseDuration('1m30s'), 90);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('15'), 15);
    assert.throws(() => parseDuration('1 minute'), /not a duration/);
    assert.throws(() => parseDuration(''), /not a duration/);
    assert.equal(yamlString('a "b" \\ c\nd'), '"a \\"b\\" \\\\ c\\nd"');
  });

  it('CLI: rules to stdout, the note on stderr, --out, a .mjs config, errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-health-cli-'));
    try {
      let c = capture();
      assert.equal(await runCli(['rules'], c.io), 0);
      assert.match(c.out.stdout, /^groups:$/m);
      assert.match(c.out.stderr, /note: rate window widened from 15s \(checkInterval\) to 4m/);

      writeFileSync(join(dir, 'health.mjs'), 'export default { checkInterval: 60, errorThreshold: 0.3, responseTimeThreshold: false };\n');
      c = capture();
      assert.equal(await runCli(['rules', '--config', join(dir, 'health.mjs'), '--scrape-interval', '15s', '--out', join(dir, 'r.yml')], c.io), 0);
      const yaml = readFileSync(join(dir, 'r.yml'), 'utf8');
      assert.match(yaml, /> 0\.3 and/);
      assert.doesNotMatch(yaml, /OtelHealthResponseTime/);
      assert.doesNotMatch(c.out.stderr, /widened/);
      assert.match(c.out.stderr, /wrote \d+ alerting rules/);

      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ errorThreshold: 7 }));
      c = capture();
      assert.equal(await runCli(['rules', '--config', join(dir, 'bad.json')], c.io), 1);
      assert.match(c.out.stderr, /errorThreshold/);
      c = capture();
      assert.equal(await runCli(['rules', '--scrape-interval', 'often'], c.io), 1);
      assert.match(c.out.stderr, /not a duration/);
      c = capture();
      assert.equal(await runCli(['nope'], c.io), 2);
      c = capture();
      assert.equal(await runCli(['rules', '--help'], c.io), 0);
      assert.match(c.out.stdout, /^Usage: otel-health rules/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('promtool check rules accepts the generated rules', (t) => {
    const skip = requireBinary('promtool');
    if (skip) return t.skip(skip);
    const dir = mkdtempSync(join(tmpdir(), 'otel-health-promtool-'));
    try {
      for (const [i, options] of [{ scrapeInterval: 60 }, { scrapeInterval: 1, serviceLabel: 'job' }].entries()) {
        const file = join(dir, `rules-${i}.yml`);
        writeFileSync(file, generatePrometheusRules(parseConfig({ errorThreshold: { warning: 0.01, for: 90 } }), options).yaml);
        const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /SUCCESS: 15 rules found/); // error_rate: warning only
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prometheus end to end: the error-rate alert fires on a real Prometheus', () => {
  const skip = prometheusSkip;
  let harness: Harness | undefined;
  let app: Server | undefined;
  let exposition: Server | undefined;
  let prometheus: RunningPrometheus | undefined;
  let appUrl = '';
  let metricsText = '';

  before(async () => {
    if (skip) return;
    requireBinary('prometheus');
    harness = startHarness({ http: { ignorePaths: ['/metrics'] }, runtimeMetrics: true });
    app = createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('x');
    });
    appUrl = `http://127.0.0.1:${await listen(app)}`;
    // The test's stand-in for the Collector's prometheus exporter: the package's collected data,
    // with service.name as service_name (resource_to_telemetry_conversion) and the scope labels.
    exposition = createServer((_req, res) => {
      harness!.collect().then(
        (metrics) => {
          metricsText = renderExposition(metrics, { service_name: 'e2e-svc', otel_scope_name: 'otel-health' });
          res.setHeader('content-type', 'text/plain; version=0.0.4');
          res.end(metricsText);
        },
        (error: unknown) => {
          res.statusCode = 500;
          res.end(String(error));
        },
      );
    });
    const target = `127.0.0.1:${await listen(exposition)}`;
    const generated = generatePrometheusRules(
      parseConfig({ checkInterval: 1, errorThreshold: { warning: 0.05, error: 0.1, critical: 0.25, minRequests: 5 } }),
      { scrapeInterval: 1 },
    );
    assert.equal(generated.window, 4);
    prometheus = await startPrometheus({ target, jobName: 'e2e', rulesYaml: generated.yaml });
  });

  after(async () => {
    await prometheus?.stop();
    if (exposition !== undefined) await close(exposition);
    if (app !== undefined) await close(app);
    await harness?.close();
  });

  it('an error burst makes OtelHealthErrorRate fire (all three severities), labelled with service_name', { skip }, async () => {
    recordOperation('e2e-job', 0.01);
    const { firing, last } = await errorBurstUntilFiring(appUrl, prometheus!.url, 'OtelHealthErrorRate', 3);
    assert.deepEqual(firing.map((a) => a.labels.severity).sort(), ['critical', 'error', 'warning'], `alerts: ${last}\n${prometheus!.log()}`);
    for (const a of firing) {
      assert.equal(a.labels.service_name, 'e2e-svc');
      assert.equal(a.labels.rule, 'error_rate');
    }
    // Every metric the rules read is in the exposition under the name the generator uses
    // (the cgroup memory limit only where one is set).
    for (const name of Object.values(PROMETHEUS_METRICS)) {
      if (name === PROMETHEUS_METRICS.memoryLimit) continue;
      assert.match(metricsText, new RegExp(`^${name}[{ ]`, 'm'), `${name} not exposed`);
    }
  });
});
