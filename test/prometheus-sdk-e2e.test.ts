// The generated rules against the real thing end to end: a service monitored by otel-health
// with OTEL_METRICS_EXPORTER=prometheus (the SDK's exporter, suffix-free names), scraped by the
// real Prometheus (Debian package) on loopback, under an error burst.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { listen, close } from './helpers/http.js';
import { startHealthMonitoring, parseConfig, type HealthMonitor } from '../src/index.js';
import { generatePrometheusRules } from '../src/export/prometheus-rules.js';

const installed = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = installed ? false : process.env.CI ? false : 'prometheus not installed (apt-get install -y prometheus)';

async function freePort(): Promise<number> {
  const probe = http.createServer();
  const port = await listen(probe);
  await close(probe);
  return port;
}

let monitor: HealthMonitor | undefined;
let app: http.Server | undefined;
let prometheus: ChildProcess | undefined;
let log = '';
let dir: string | undefined;
let promUrl = '';
let appUrl = '';

before(async () => {
  if (skip) return;
  assert.ok(installed, 'prometheus is not installed; CI must install the Debian "prometheus" package');
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

  dir = mkdtempSync(join(tmpdir(), 'otel-health-prom-sdk-'));
  const generated = generatePrometheusRules(
    parseConfig({ checkInterval: 1, errorThreshold: { warning: 0.05, error: 0.1, critical: 0.25, minRequests: 5 } }),
    { scrapeInterval: 1, naming: 'sdk', serviceLabel: 'job' },
  );
  writeFileSync(join(dir, 'rules.yml'), generated.yaml);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      '  - rules.yml',
      'scrape_configs:',
      '  - job_name: sdk-e2e',
      '    static_configs:',
      `      - targets: ["127.0.0.1:${exporterPort}"]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  prometheus.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  // Bounded polling of an external process that offers no readiness event.
  const deadline = Date.now() + 20_000;
  for (;;) {
    assert.equal(prometheus.exitCode, null, `prometheus exited: ${log}`);
    if (await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false)) break;
    assert.ok(Date.now() < deadline, `prometheus not ready in 20 s: ${log}`);
    await sleep(200);
  }
});

after(async () => {
  if (prometheus !== undefined && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
  }
  if (app !== undefined) await close(app);
  await monitor?.shutdown();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('rules generated with --naming sdk fire on a real Prometheus scraping OTEL_METRICS_EXPORTER=prometheus', { skip }, async () => {
  let stop = false;
  const load = (async () => {
    while (!stop) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${appUrl}/${i % 2 === 0 ? 'fail' : 'ok'}`).then((r) => r.arrayBuffer())));
      await sleep(100);
    }
  })();
  let firing: { labels: Record<string, string> }[] = [];
  let last = '';
  try {
    // Bounded polling: Prometheus has no push notification for alert state.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      last = JSON.stringify(body.data.alerts);
      firing = body.data.alerts.filter((a) => a.labels.alertname === 'OtelHealthErrorRate' && a.state === 'firing');
      if (firing.length === 3) break;
      await sleep(500);
    }
  } finally {
    stop = true;
    await load;
  }
  assert.deepEqual(firing.map((a) => a.labels.severity).sort(), ['critical', 'error', 'warning'], `alerts: ${last}\n${log}`);
  for (const a of firing) assert.equal(a.labels.job, 'sdk-e2e');
});
