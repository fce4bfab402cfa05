import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { listen, close, request } from '../../support/http.js';
import { freePort } from '../helpers/prometheus.js';
import { startHealthMonitoring } from '../../src/index.js';
import { prometheusMetricNames } from '../../src/rules/prometheus-rules.js';

test('OTEL_METRICS_EXPORTER=prometheus serves the metrics for scraping; scrapes are not counted as requests', async () => {
  const port = await freePort();
  process.env.OTEL_METRICS_EXPORTER = 'prometheus';
  process.env.OTEL_EXPORTER_PROMETHEUS_HOST = '127.0.0.1';
  process.env.OTEL_EXPORTER_PROMETHEUS_PORT = String(port);
  const monitor = await startHealthMonitoring({
    serviceName: 'prom-svc',
    checkInterval: 3600,
    hostMetrics: false,
    loggerProvider: new LoggerProvider(),
  });
  const app = http.createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end();
  });
  const appPort = await listen(app);
  try {
    for (const path of ['/a', '/b', '/fail']) await request(appPort, path);
    // The exporter's server starts asynchronously; the first scrape may race it, so retry a few times.
    let scrape: Awaited<ReturnType<typeof request>> | undefined;
    for (let attempt = 0; attempt < 20 && scrape === undefined; attempt++) {
      scrape = await request(port, '/metrics').catch(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return undefined;
      });
    }
    assert.ok(scrape, 'the scrape endpoint answers');
    assert.equal(scrape.status, 200);
    const text = scrape.body;
    console.log(text.split("\n").filter((l) => l.startsWith("# TYPE")).join("\n"));
    assert.match(text, /# TYPE http_server_request_duration histogram/);
    assert.match(text, /http_server_request_duration_count\{[^}]*http_request_method="GET"[^}]*http_response_status_code="500"[^}]*error_type="500"[^}]*\} 1/);
    assert.match(text, /http_server_request_duration_bucket\{[^}]*le="0.005"/, 'explicit buckets in seconds');
    assert.match(text, /target_info\{[^}]*service_name="prom-svc"/);
    await request(port, '/metrics');
    const metrics = await monitor.monitorService();
    assert.equal(metrics.requestCount, 3, 'two scrapes are not service traffic');
    // The SDK exporter adds no unit suffixes (unlike the Collector's): the names the rules
    // generator uses with `naming: 'sdk'` must all be here (the cgroup limit only when one is set).
    for (const [key, name] of Object.entries(prometheusMetricNames('sdk'))) {
      if (key === 'memoryLimit' || key === 'operationDurationCount' || key === 'eventLoopDelayP99') continue;
      assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), `${name} is scraped`);
    }
  } finally {
    await close(app);
    await monitor.shutdown();
  }
});

test("rules for the SDK exporter's names: no unit suffixes, and promtool-free shape checks", async () => {
  const { generatePrometheusRules } = await import('../../src/rules/prometheus-rules.js');
  const { parseConfig } = await import('../../src/config/index.js');
  const sdk = generatePrometheusRules(parseConfig({}), { scrapeInterval: 15, naming: 'sdk', serviceLabel: 'job' }).yaml;
  assert.match(sdk, /http_server_request_duration_bucket/);
  assert.doesNotMatch(sdk, /_seconds|_ratio|_bytes/);
  const collector = generatePrometheusRules(parseConfig({}), { scrapeInterval: 15 }).yaml;
  assert.match(collector, /http_server_request_duration_seconds_bucket/);
});
