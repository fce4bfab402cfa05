// The generated rules against the real thing end to end: a service monitored by otel-health
// with OTEL_METRICS_EXPORTER=prometheus (the SDK's exporter, suffix-free names), scraped by the
// real Prometheus (Debian package) on loopback, under an error burst.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { listen, close } from '../../support/http.js';
import { errorBurstUntilFiring, freePort, prometheusSkip, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { startHealthMonitoring, parseConfig, type HealthMonitor } from '../../src/index.js';
import { generatePrometheusRules } from '../../src/rules/prometheus-rules.js';

let monitor: HealthMonitor | undefined;
let app: http.Server | undefined;
let prometheus: RunningPrometheus | undefined;
let appUrl = '';

before(async () => {
  if (prometheusSkip) return;
  const exporterPort = await freePort();
  process.env.OTEL_METRICS_EXPORTER = 'prometheus';
  process.env.OTEL_EXPORTER_PROMETHEUS_HOST = '127.0.0.1';
  process.env.OTEL_EXPORTER_PROMETHEUS_PORT = String(exporterPort);
  monitor = await startHealthMonitoring({ serviceName: 'sdk-e2e', hostMetrics: false, loggerProvider: new LoggerProvider() });
  app = http.createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end('x');
  });
  appUrl = `http://127.0.0.1:${await listen(app)}`;
  const generated = generatePrometheusRules(
    parseConfig({ checkInterval: 1, errorThreshold: { warning: 0.05, error: 0.1, critical: 0.25, minRequests: 5 } }),
    { scrapeInterval: 1, naming: 'sdk', serviceLabel: 'job' },
  );
  prometheus = await startPrometheus({ target: `127.0.0.1:${exporterPort}`, jobName: 'sdk-e2e', rulesYaml: generated.yaml });
});

after(async () => {
  await prometheus?.stop();
  if (app !== undefined) await close(app);
  await monitor?.shutdown();
});

test('rules generated with --naming sdk fire on a real Prometheus scraping OTEL_METRICS_EXPORTER=prometheus', { skip: prometheusSkip }, async () => {
  const result = await errorBurstUntilFiring(appUrl, prometheus!.url, 'OtelHealthErrorRate', 3);
  assert.deepEqual(result.firing.map((a) => a.labels.severity).sort(), ['critical', 'error', 'warning'], `alerts: ${result.last}\n${prometheus!.log()}`);
  for (const a of result.firing) assert.equal(a.labels.job, 'sdk-e2e');
});
