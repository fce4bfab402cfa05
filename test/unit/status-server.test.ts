import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, startStatusServer, statusServerOf, type HealthMonitor, type StatusServer } from '../../src/index.js';
import { DEFAULT_STORE_TIERS, loadConfig } from '../../src/config/index.js';
import { MetricsHistory, type HistoryQuery, type HistoryRow } from '../../src/history/index.js';
import { HistoryStore, histogramOf } from '../../src/history/store/index.js';
import { rangeResolution } from '../../src/http/status-server.js';
import { downsample } from '../../src/http/plot.js';
import { renderPage } from '../../src/http/page.js';
import { MonitoringLevel, type Alert, type HealthMetrics, type SloStatus } from '../../src/model/index.js';
import { close, listen, request, type Response } from '../../support/http.js';
import { storeWithSloHistory } from '../helpers/store.js';

const TOKEN = 'a-status-token-of-32-characters!';

/** A request to a status server (its url), on a fresh connection. */
function get(server: StatusServer, path: string, options: http.RequestOptions & { body?: string } = {}): Promise<Response> {
  return request(server.port, path, options);
}

/** An app server answering 500 on /fail and 200 elsewhere. */
async function appServer(): Promise<{ server: http.Server; port: number; hit: (path: string, n: number) => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end('x');
  });
  const port = await listen(server);
  return {
    server,
    port,
    hit: async (path, n) => {
      for (let i = 0; i < n; i++) await request(port, path);
    },
  };
}

const quiet = {
  hostMetrics: false,
  loggerProvider: new LoggerProvider(),
  checkInterval: 3600, // checks run only when the test calls monitorService()
  responseTimeThreshold: false,
  errorThreshold: { error: 0.1, minRequests: 1 },
  resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false, connections: false },
} as const;

describe('status server started by startHealthMonitoring', () => {
  let monitor: HealthMonitor;
  let status: StatusServer;
  let app: Awaited<ReturnType<typeof appServer>>;

  before(async () => {
    app = await appServer();
    monitor = await startHealthMonitoring({
      ...quiet,
      serviceName: 'checkout',
      statusServer: { port: 0 },
      checks: { database: () => false },
    });
    status = statusServerOf(monitor)!;
    assert.ok(status, 'statusServerOf returns the server');
  });
  after(async () => {
    await monitor.shutdown();
    await close(app.server);
  });

  it('binds 127.0.0.1 by default; /health/live answers 200; /health/ready is 200 before any alert', async () => {
    assert.equal(status.host, '127.0.0.1');
    assert.match(status.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const live = await get(status, '/health/live');
    assert.equal(live.status, 200);
    assert.deepEqual(JSON.parse(live.body), { status: 'live' });
    const ready = await get(status, '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(JSON.parse(ready.body).status, 'ready');
    assert.equal(ready.headers['cache-control'], 'no-store');
  });

  it('/health has the latest HealthMetrics per service, firing alerts and check results; /health/ready turns 503 at ERROR', async () => {
    await app.hit('/fail', 10);
    const metrics = await monitor.monitorService();
    assert.equal(metrics.status, 'unhealthy');
    const res = await get(status, '/health');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = JSON.parse(res.body);
    assert.equal(body.service, 'checkout');
    assert.equal(body.status, 'unhealthy');
    assert.equal(body.level, 'ERROR');
    assert.equal(body.ready, false);
    assert.equal(body.services.checkout.serviceId, 'checkout');
    assert.equal(body.services.checkout.errorRate, 1);
    const rules = body.alerts.map((a: { rule: string }) => a.rule).sort();
    assert.deepEqual(rules, ['check:database', 'error_rate']);
    assert.deepEqual(
      body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]),
      [['database', false]],
    );
    assert.doesNotMatch(res.body, /TOKEN|stack|\bat .*\.ts:\d+/i);

    const ready = await get(status, '/health/ready');
    assert.equal(ready.status, 503);
    assert.deepEqual(JSON.parse(ready.body), { ready: false, status: 'not ready', reason: 'unhealthy (ERROR)' });
    // HEAD: same status and headers, no body.
    const head = await get(status, '/health/ready', { method: 'HEAD' });
    assert.equal(head.status, 503);
    assert.equal(head.body, '');
  });

  it("the status server's own requests are never measured", async () => {
    await monitor.monitorService(); // close the window of the test above
    for (let i = 0; i < 20; i++) await get(status, i % 2 ? '/health' : '/');
    await app.hit('/ok', 3);
    const metrics = await monitor.monitorService();
    assert.equal(metrics.requestCount, 3, 'only the app requests count');
  });

  it('/ is a self-contained HTML page under a strict CSP', async () => {
    const res = await get(status, '/');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(res.body, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external resources');
    assert.doesNotMatch(res.body, /@import|url\(/i, 'no CSS imports or fetched images');
    assert.match(res.body, /<svg[^>]*aria-label="Error rate over time"/);
    assert.match(res.body, /check:database/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
  });

  it('/health/ready answers 503 as soon as shutdown begins', async () => {
    // Its own instance: shutting `monitor` down here would end the suite's monitor early.
    const second = await startHealthMonitoring({ ...quiet, serviceName: 'draining', statusServer: { port: 0 } });
    const server = statusServerOf(second)!;
    assert.equal((await get(server, '/health/ready')).status, 200);
    const done = second.shutdown();
    assert.equal(server.draining, true, 'draining from the first synchronous step of shutdown()');
    await done;
    await assert.rejects(get(server, '/health/live'), /ECONNREFUSED/, 'closed after shutdown');
  });
});

describe('anomaly scores on /health and the page', () => {
  let app: Awaited<ReturnType<typeof appServer>>;
  before(async () => {
    app = await appServer();
  });
  after(() => close(app.server));

  /** One check of `monitor` after `n` app requests (enough for the default minRequests 5). */
  const check = async (monitor: HealthMonitor, n = 6) => {
    await app.hit('/ok', n);
    return monitor.monitorService();
  };
  /** The points of each polyline and circle of the anomaly plot, by series. */
  const anomalyPoints = (html: string): Record<string, number> => {
    const svg = /<svg[^>]*aria-label="Anomaly score over time">(.*?)<\/svg>/s.exec(html)?.[1];
    assert.ok(svg !== undefined, 'the page has the anomaly plot');
    const points: Record<string, number> = {};
    for (const m of svg.matchAll(/<polyline class="aline[^"]*" data-series="([a-z_]+)" points="([^"]*)"/g)) {
      points[m[1]!] = (points[m[1]!] ?? 0) + m[2]!.trim().split(/\s+/).length;
    }
    for (const m of svg.matchAll(/<circle class="adot[^"]*" data-series="([a-z_]+)"/g)) points[m[1]!] = (points[m[1]!] ?? 0) + 1;
    return points;
  };

  it('with anomaly on: /health carries the latest scores; the page plots one point per scored check and says what is still learning', async () => {
    const monitor = await startHealthMonitoring({
      ...quiet,
      serviceName: 'scored',
      statusServer: { port: 0 },
      anomaly: { series: ['response_time', 'cpu'], warmup: 8, warning: 0.9, error: 0.99 },
    });
    try {
      const status = statusServerOf(monitor)!;
      for (let i = 0; i < 8; i++) await check(monitor);
      let health = JSON.parse((await get(status, '/health')).body);
      assert.deepEqual(health.services.scored.anomaly, {}, 'warming up: no score yet, the key present');
      let page = (await get(status, '/')).body;
      assert.deepEqual(anomalyPoints(page), {}, 'no point while warming up');
      assert.match(page, /<li data-series="response_time">.*?no score yet: learns from its first 8 checks with data/);
      assert.match(page, /no anomaly score yet/);

      const scored: number[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await check(monitor);
        assert.equal(typeof m.anomaly?.response_time, 'number', `check ${9 + i} is scored`);
        scored.push(m.anomaly!.response_time!);
      }
      health = JSON.parse((await get(status, '/health')).body);
      assert.equal(health.services.scored.anomaly.response_time, scored.at(-1), '/health has the latest score');
      assert.ok(health.services.scored.anomaly.response_time >= 0 && health.services.scored.anomaly.response_time <= 1);
      assert.deepEqual(Object.keys(health.services.scored.anomaly).sort(), Object.keys(monitor.latest()!.anomaly!).sort());

      page = (await get(status, '/')).body;
      assert.equal(anomalyPoints(page).response_time, 4, 'one point per scored check');
      assert.doesNotMatch(page, /<li data-series="response_time">[^<]*<svg[^>]*>.*?<\/svg>[^<]*<span class="learning">/s);
      assert.match(page, /<line class="level level-warning"[^>]*><title>WARNING level 0\.9<\/title>/);
      assert.match(page, /<line class="level level-error"[^>]*><title>ERROR level 0\.99<\/title>/);
      assert.doesNotMatch(page, /class="level level-critical"/, 'no CRITICAL level configured, no line');
      assert.match(page, new RegExp(`<li data-series="response_time">.*?<span class="now">${String(Number(scored.at(-1)!.toFixed(3))).replace('.', '\\.')}</span>`));
    } finally {
      await monitor.shutdown();
    }
  });

  it('the plot follows the retained history: the oldest scores leave with their rows, each point at its own check\'s score', async () => {
    // Retention of one interval: the history keeps 2 rows.
    const monitor = await startHealthMonitoring({
      ...quiet,
      serviceName: 'short',
      metricsRetention: 3600,
      statusServer: { port: 0 },
      anomaly: { series: ['response_time'], warmup: 8 },
    });
    try {
      const status = statusServerOf(monitor)!;
      const checks = [];
      for (let i = 0; i < 12; i++) checks.push(await check(monitor, 5 + (i % 4)));
      const rows = monitor.history('short');
      assert.equal(rows.length, 2);
      const page = (await get(status, '/')).body;
      assert.equal(anomalyPoints(page).response_time, 2);
      // The plotted y of each row is its own check's score (Float32 in the history).
      const last = checks.slice(-2).map((m) => m.anomaly!.response_time!);
      const svg = /aria-label="Anomaly score over time">(.*?)<\/svg>/s.exec(page)![1]!;
      const ys = /data-series="response_time" points="([^"]*)"/.exec(svg)![1]!.split(' ').map((p) => Number(p.split(',')[1]));
      const y = (v: number) => 10 + (1 - Math.fround(v)) * (150 - 10 - 22);
      assert.deepEqual(ys, last.map((v) => Number(y(v).toFixed(1))));
    } finally {
      await monitor.shutdown();
    }
  });

  it('with anomaly off: no anomaly key in /health, no anomaly plot', async () => {
    const monitor = await startHealthMonitoring({ ...quiet, serviceName: 'plain', statusServer: { port: 0 } });
    try {
      const status = statusServerOf(monitor)!;
      for (let i = 0; i < 3; i++) await check(monitor);
      const health = JSON.parse((await get(status, '/health')).body);
      assert.equal('anomaly' in health.services.plain, false);
      const page = (await get(status, '/')).body;
      assert.match(page, /aria-label="Error rate over time"/);
      assert.doesNotMatch(page, /Anomaly score|class="legend"|anomaly rule/);
    } finally {
      await monitor.shutdown();
    }
  });
});

describe('status server bounds and token', () => {
  let monitor: HealthMonitor;
  before(async () => {
    monitor = await startHealthMonitoring({ ...quiet, serviceName: 'bounds' });
  });
  after(() => monitor.shutdown());

  it('with a token, / and /health need it (Bearer or Basic, compared in constant time); the probes stay open', async () => {
    const server = await startStatusServer(monitor, { port: 0, token: TOKEN });
    try {
      const denied = await get(server, '/health');
      assert.equal(denied.status, 401);
      assert.match(String(denied.headers['www-authenticate']), /^Basic realm="otel-health"/);
      assert.equal((await get(server, '/', { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await get(server, '/', { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
      assert.equal((await get(server, '/health', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
      const basic = Buffer.from(`any:${TOKEN}`).toString('base64');
      assert.equal((await get(server, '/', { headers: { authorization: `Basic ${basic}` } })).status, 200);
      assert.equal((await get(server, '/health/live')).status, 200);
      assert.equal((await get(server, '/health/ready')).status, 200);
    } finally {
      await server.close();
    }
  });

  it('GET and HEAD only (405), no body (413), unknown paths 404, long URLs 414', async () => {
    const server = await startStatusServer(monitor, { port: 0 });
    try {
      const post = await get(server, '/health', { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
      const withBody = await get(server, '/health', { method: 'GET', headers: { 'content-length': '5' }, body: 'hello' });
      assert.equal(withBody.status, 413);
      const chunked = await get(server, '/health', { method: 'GET', headers: { 'transfer-encoding': 'chunked' }, body: 'x'.repeat(2048) });
      assert.equal(chunked.status, 413);
      assert.equal((await get(server, '/nope')).status, 404);
      assert.equal((await get(server, `/health?${'a'.repeat(3000)}`)).status, 414);
    } finally {
      await server.close();
    }
  });

  it('a process-wide token bucket answers 429 with Retry-After', async () => {
    const server = await startStatusServer(monitor, { port: 0, rateLimit: 5 }); // burst 10
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await get(server, '/health/live')).status);
      assert.ok(statuses.filter((s) => s === 200).length >= 10, statuses.join(','));
      assert.ok(statuses.includes(429), statuses.join(','));
      const limited = await get(server, '/health/live');
      if (limited.status === 429) assert.equal(limited.headers['retry-after'], '1');
    } finally {
      await server.close();
    }
  });

  it('/health/ready ignores SLO alerts: a budget burning fast does not take the instance out of its load balancer', async () => {
    const alert = (rule: string, level: MonitoringLevel): Alert => ({
      rule: rule as Alert['rule'], level, state: 'firing', value: 20, threshold: 14.4, serviceId: 'checkout',
      fingerprint: rule, startsAt: Date.now(), message: rule,
    });
    let firing = [alert('slo:availability', MonitoringLevel.CRITICAL)];
    const probe = Object.create(monitor) as HealthMonitor;
    probe.firingAlerts = () => firing;
    const server = await startStatusServer(probe, { port: 0 });
    try {
      assert.equal((await get(server, '/health/ready')).status, 200, 'an SLO page alone keeps the instance ready');
      firing = [...firing, alert('error_rate', MonitoringLevel.ERROR)];
      const ready = await get(server, '/health/ready');
      assert.equal(ready.status, 503);
      assert.deepEqual(JSON.parse(ready.body), { ready: false, status: 'not ready', reason: 'unhealthy (ERROR)' }, 'the instance’s own alert counts');
    } finally {
      await server.close();
    }
  });

  it('an internal error answers 500 without a stack trace or message', async () => {
    const broken = Object.create(monitor) as HealthMonitor;
    broken.firingAlerts = () => {
      throw new Error('secret-detail at /srv/app/db.ts:12');
    };
    const server = await startStatusServer(broken, { port: 0 });
    try {
      const res = await get(server, '/health');
      assert.equal(res.status, 500);
      assert.deepEqual(JSON.parse(res.body), { error: 'internal error' });
      assert.doesNotMatch(res.body, /secret|\.ts/);
    } finally {
      await server.close();
    }
  });

  it('without a token and bound beyond loopback, it says so at start', async () => {
    const lines: string[] = [];
    const open = await startStatusServer(monitor, { port: 0, host: '0.0.0.0', log: (l) => lines.push(l) });
    await open.close();
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /no token and is bound beyond loopback/);
    const withToken = await startStatusServer(monitor, { port: 0, host: '0.0.0.0', token: TOKEN, log: (l) => lines.push(l) });
    await withToken.close();
    const loopback = await startStatusServer(monitor, { port: 0, log: (l) => lines.push(l) });
    await loopback.close();
    assert.equal(lines.length, 1, 'no warning with a token, or on loopback');
  });

  it('a port in use: startHealthMonitoring still resolves, with no status server, and checks run (issue 10; see test/system/startup.test.ts)', async () => {
    const taken = http.createServer();
    const port = await listen(taken);
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (line: string) => void warned.push(line);
    let monitor: HealthMonitor | undefined;
    try {
      monitor = await startHealthMonitoring({ ...quiet, serviceName: 'clash', statusServer: { port }, startupMessage: false });
    } finally {
      console.warn = warn;
    }
    try {
      assert.equal(statusServerOf(monitor), undefined);
      assert.deepEqual(warned, [`otel-health: the status server cannot listen on 127.0.0.1:${port} (EADDRINUSE); monitoring runs without the status page`]);
      assert.equal((await monitor.monitorService()).serviceId, 'clash');
    } finally {
      await monitor.shutdown();
      await close(taken);
    }
  });
});

describe('status server configuration', () => {
  it('statusServer option and OTEL_HEALTH_STATUS_* variables, explicit options winning', () => {
    assert.equal(loadConfig({}, {}).statusServer, undefined);
    assert.deepEqual(loadConfig({ statusServer: { port: 9464 } }, {}).statusServer, { port: 9464, host: '127.0.0.1' });
    assert.deepEqual(
      loadConfig({}, { OTEL_HEALTH_STATUS_PORT: '9464', OTEL_HEALTH_STATUS_HOST: '0.0.0.0', OTEL_HEALTH_STATUS_TOKEN: TOKEN }).statusServer,
      { port: 9464, host: '0.0.0.0', token: TOKEN },
    );
    assert.deepEqual(loadConfig({ statusServer: { port: 1 } }, { OTEL_HEALTH_STATUS_TOKEN: TOKEN }).statusServer, {
      port: 1,
      host: '127.0.0.1',
      token: TOKEN,
    });
    assert.equal(loadConfig({ statusServer: false }, { OTEL_HEALTH_STATUS_PORT: '9464' }).statusServer, undefined);
  });

  it('bad values are named; a short token is never echoed', () => {
    const issues = (f: () => unknown): { path: string; message: string }[] => {
      try {
        f();
      } catch (e) {
        return (e as { issues: { path: string; message: string }[] }).issues;
      }
      assert.fail('expected a ConfigError');
    };
    const fromEnv = issues(() => loadConfig({}, { OTEL_HEALTH_STATUS_PORT: '70000', OTEL_HEALTH_STATUS_TOKEN: 'hunter2' }));
    assert.ok(fromEnv.some((i) => i.path === 'OTEL_HEALTH_STATUS_PORT'), JSON.stringify(fromEnv));
    assert.ok(fromEnv.some((i) => i.path === 'OTEL_HEALTH_STATUS_TOKEN'), JSON.stringify(fromEnv));
    assert.doesNotMatch(JSON.stringify(fromEnv), /hunter2/);
    const fromOptions = issues(() => loadConfig({ statusServer: { host: '::', token: 'hunter2' } }, {}));
    assert.deepEqual(fromOptions.map((i) => i.path).sort(), ['statusServer.port', 'statusServer.token']);
    assert.doesNotMatch(JSON.stringify(fromOptions), /hunter2/);
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 14: with a store, the page plots 24 h (the raw rows), 7 d and 30 d (the store's tiers).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Fill a store at `storePath` with rows of `serviceId` every `stepMs` from `from` to `to` (epoch
 * ms), 20 requests each, one of them an error; p95 about 70 ms except where `slow` says (about
 * 1 s); no row inside `gap`. Closed before it returns, as a previous process would leave it.
 */
async function fillStore(
  storePath: string,
  o: { serviceId: string; from: number; to: number; stepMs: number; now: number; slow?: [number, number]; gap?: [number, number]; anomaly?: boolean },
): Promise<number> {
  const store = await HistoryStore.open({ path: storePath, metricsRetention: 86_400, now: () => o.now });
  let rows = 0;
  for (let ts = o.from; ts <= o.to; ts += o.stepMs) {
    if (o.gap !== undefined && ts >= o.gap[0] && ts < o.gap[1]) continue;
    const slow = o.slow !== undefined && ts >= o.slow[0] && ts < o.slow[1];
    const latencies = Array.from({ length: 20 }, (_, i) => (slow ? 1 : 0.05) + i * 0.001);
    const p = slow ? 1.02 : 0.07;
    store.appendRow({
      serviceId: o.serviceId, timestamp: ts, windowSeconds: o.stepMs / 1000, status: 'healthy', level: MonitoringLevel.INFO,
      requestCount: 20, operationCount: 0, requestRate: 20_000 / o.stepMs, errorCount: 1, errorRate: 0.05,
      responseTime: { avg: p, p50: p, p95: p, p99: p, max: p },
      cpu: 0.2 + 0.1 * Math.sin(ts / HOUR), memory: { utilization: 0.4 }, connections: 3 + (rows % 5),
      checksFailed: 0, alertsFiring: 0, latency: histogramOf(latencies),
      ...(o.anomaly === true ? { anomaly: { response_time: (rows % 100) / 100 } } : {}),
    });
    rows++;
  }
  await store.maintain(o.now);
  await store.close();
  return rows;
}

/** One plot of the page by its title: caption note, svg range, polylines as [x, y] points, grid labels. */
function plotOf(html: string, title: string) {
  const figure = new RegExp(`<figure class="plot[^"]*"><figcaption>${title}(.*?)</figure>`, 's').exec(html)?.[1];
  assert.ok(figure !== undefined, `the page has the plot ${title}`);
  const note = /<small class="res">([^<]*)<\/small>/.exec(figure)?.[1] ?? '';
  const svg = /<svg[^>]*data-from="([^"]+)" data-to="([^"]+)"/.exec(figure);
  assert.ok(svg !== null, 'the svg names its time range');
  const lines = [...figure.matchAll(/<polyline class="a?line[^"]*"(?: data-series="[a-z_]+")? points="([^"]*)"/g)].map((m) =>
    m[1]!.trim().split(/\s+/).map((pt) => pt.split(',').map(Number) as [number, number]),
  );
  const labels = [...figure.matchAll(/<text class="axis"[^>]*text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]!);
  return { figure, note, from: Date.parse(svg[1]!), to: Date.parse(svg[2]!), lines, labels };
}

/** The range links: key → 'current' | 'link' | 'disabled'. */
function rangeLinks(html: string): Record<string, string> {
  const nav = /<nav class="ranges"[^>]*>(.*?)<\/nav>/s.exec(html)?.[1];
  assert.ok(nav !== undefined, 'the page has the range links');
  const out: Record<string, string> = {};
  for (const m of nav.matchAll(/<(a|span) class="range[^"]*"([^>]*)>/g)) {
    const key = /data-range="([a-z0-9]+)"/.exec(m[2]!)?.[1] ?? '?';
    if (m[1] === 'span') {
      assert.match(m[2]!, /aria-disabled="true"/);
      out[key] = 'disabled';
    } else {
      assert.equal(/href="([^"]*)"/.exec(m[2]!)?.[1], `?range=${key}`, 'a relative link to the range');
      out[key] = m[2]!.includes('aria-current="page"') ? 'current' : 'link';
    }
  }
  return out;
}

describe('history ranges with a store: 24 h raw, 7 d and 30 d from the 5-minute tier', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otel-health-status-range-'));
  const storePath = path.join(dir, 'orders.store');
  let monitor: HealthMonitor;
  let status: StatusServer;
  let now: number;
  // Three days of 60 s checks ending 2 minutes ago; one slow 5-minute bucket two days ago; no
  // check for 6 hours from 36 h ago (the process was down).
  let start: number;
  let slowFrom: number;
  before(async () => {
    now = Date.now();
    start = Math.floor((now - 3 * DAY) / 300_000) * 300_000;
    slowFrom = Math.floor((now - 2 * DAY) / 300_000) * 300_000;
    await fillStore(storePath, {
      serviceId: 'orders', from: start, to: now - 120_000, stepMs: 60_000, now,
      slow: [slowFrom, slowFrom + 300_000], gap: [now - 36 * HOUR, now - 30 * HOUR],
    });
    // Checks every 60 s, as the store's rows: the in-memory history holds a day of them (the
    // first check is due after the tests ran).
    monitor = await startHealthMonitoring({ ...quiet, checkInterval: 60, serviceName: 'orders', startupMessage: false, store: { path: storePath }, statusServer: { port: 0 } });
    status = statusServerOf(monitor)!;
  });
  after(async () => {
    await monitor.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/ shows 24 h of the raw rows as before, with links to 7 d and 30 d', async () => {
    const res = await get(status, '/');
    assert.equal(res.status, 200);
    assert.deepEqual(rangeLinks(res.body), { '24h': 'current', '7d': 'link', '30d': 'link' });
    const raw = monitor.history('orders');
    assert.ok(raw.length > 1000 && raw.every((r) => r.resolution === undefined), `the raw rows taken back from the store: ${raw.length}`);
    assert.match(res.body, new RegExp(`\\(${raw.length} checks, every 60 s\\)`));
    const p95 = plotOf(res.body, 'p95 response time');
    assert.match(p95.note, /^raw rows, one per check; drawn as 400 points, each the maximum of \d\.\d rows$/);
    assert.equal(p95.lines.length, 1, 'one line: no gap in the last 24 h');
    assert.ok(p95.lines[0]!.length <= 400, `${p95.lines[0]!.length} points`);
    assert.ok(p95.to - p95.from <= DAY && p95.to - p95.from > 23 * HOUR, 'the x axis spans the retained day');
    assert.equal(p95.labels[2], '100 ms', 'no slow row in the last day: the y axis stays at its floor');
  });

  it('/?range=7d plots the 5-minute rows since 7 days ago: the days of data, the slow bucket, the gap unjoined', async () => {
    const res = await get(status, '/?range=7d');
    assert.equal(res.status, 200);
    assert.deepEqual(rangeLinks(res.body), { '24h': 'link', '7d': 'current', '30d': 'link' });
    const tier = monitor.history('orders', { since: Date.now() - 7 * DAY });
    assert.ok(tier.length > 700 && tier.every((r) => r.resolution === 300), `5-minute rows: ${tier.length}`);
    const meta = /\((\d+) 5-minute rows of (\d+) checks, last 7 d\)/.exec(res.body);
    assert.ok(meta !== null, 'the section says what the rows are');
    assert.ok(Math.abs(Number(meta[1]) - tier.length) <= 1, `${meta[1]} rows shown, ${tier.length} in the tier`);
    assert.equal(Number(meta[2]), tier.reduce((n, r) => n + r.rows!, 0) + (Number(meta[1]) - tier.length) * 5);

    const p95 = plotOf(res.body, 'p95 response time');
    assert.match(p95.note, /^5-minute rows, p95 from merged histograms; drawn as 400 points, each the maximum of \d\.\d rows$/);
    assert.ok(p95.from <= start + 300_000 && p95.from >= start - 1000, 'the x axis starts at the oldest row, three days ago');
    assert.ok(Math.abs(p95.to - now) < 60_000, 'and ends now');
    assert.equal(p95.lines.length, 2, 'the 6 hours without checks break the line');
    const xs = p95.lines.flat().map(([x]) => x);
    assert.ok(xs[0]! < 66 && xs.at(-1)! > 545, `points span the width (three days): ${xs[0]}..${xs.at(-1)}`);
    // The gap: 36 h to 30 h ago, on a 3-day axis of 486 px from x = 64.
    const gapX = (t: number) => 64 + ((t - p95.from) / (p95.to - p95.from)) * 486;
    assert.ok(p95.lines[0]!.at(-1)![0] <= gapX(now - 36 * HOUR) + 1 && p95.lines[1]![0]![0] >= gapX(now - 30 * HOUR) - 1, 'no point inside the gap');
    // The slow bucket (merged p95 of latencies 1.000–1.019 s) is the plot's maximum.
    assert.match(p95.labels[2]!, /^1\.0\d s$/, `y axis top: ${p95.labels[2]}`);
    const top = Math.min(...p95.lines.flat().map(([, y]) => y));
    assert.ok(top < 25, 'a point at the top of the plot: the slow bucket');
    // Counts stay exact in the tier: 1 error of 20 requests.
    assert.match(plotOf(res.body, 'Error rate').figure, /<span class="now">5\.0%<\/span>/);
    assert.match(plotOf(res.body, 'CPU').note, /^5-minute rows, mean over the row/);
    // Dates on the axis and a line per UTC midnight.
    assert.match(p95.figure, /<text class="axis"[^>]*>\d\d-\d\d \d\d:\d\d<\/text>/);
    assert.ok((p95.figure.match(/<line class="day"/g) ?? []).length >= 2);
  });

  it('/?range=30d reads the same tier with its own link current; the refresh keeps the query', async () => {
    const res = await get(status, '/?range=30d');
    assert.equal(res.status, 200);
    assert.deepEqual(rangeLinks(res.body), { '24h': 'link', '7d': 'link', '30d': 'current' });
    assert.match(res.body, /5-minute rows of \d+ checks, last 30 d\)/);
    const p95 = plotOf(res.body, 'p95 response time');
    assert.match(p95.note, /^5-minute rows, p95 from merged histograms/);
    assert.ok(p95.to - p95.from > 2.9 * DAY, 'the data\'s three days');
    assert.match(res.body, /fetch\(location\.pathname\+location\.search,/, 'the refresh asks for the same range');
    assert.match(res.body, /var every=60000;/, 'a tier view refreshes once a minute');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]+'/);
  });

  it('any other range is 24 h, never an error and never echoed', async () => {
    const bogus = [
      'range=', 'range=7D', 'range=1y', 'range=365d', 'range=7d%00', 'range=%207d', 'range=%E0%A4%A', 'range=%ZZ',
      'range=%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'range=<img%20src=x>', 'RANGE=7d', 'range[]=7d', 'range', '&&&=', 'range=7d%2F..',
    ];
    for (const query of bogus) {
      const res = await get(status, `/?${query}`);
      assert.equal(res.status, 200, query);
      assert.deepEqual(rangeLinks(res.body), { '24h': 'current', '7d': 'link', '30d': 'link' }, query);
      assert.match(plotOf(res.body, 'p95 response time').note, /^raw rows, one per check/, query);
      // The nonces left out: random base64, they may hold '7D' by chance.
      const page = res.body.replace(/ nonce="[A-Za-z0-9+/=]+"/g, '');
      assert.doesNotMatch(page, /<script>alert|<img src=x|%3Cscript|7D|365d/, `nothing of ${query} in the page`);
    }
    const head = await get(status, '/?range=30d', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it('with a token, every range needs it', async () => {
    const server = await startStatusServer(monitor, { port: 0, token: TOKEN });
    try {
      assert.equal((await get(server, '/?range=7d')).status, 401);
      const ok = await get(server, '/?range=7d', { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200);
      assert.equal(rangeLinks(ok.body)['7d'], 'current');
    } finally {
      await server.close();
    }
  });
  it('7 d and 30 d name the 5-minute tier (30 d is its retention: the query\'s \'auto\' would flip to 1 h by milliseconds)', async () => {
    const asked: HistoryQuery[] = [];
    const history = monitor.history.bind(monitor);
    monitor.history = (id, query) => {
      asked.push({ ...query });
      return history(id, query);
    };
    try {
      for (const range of ['7d', '30d']) {
        asked.length = 0;
        const res = await get(status, `/?range=${range}`);
        assert.match(res.body, new RegExp(`\\(\\d+ 5-minute rows of \\d+ checks, last ${range.replace('d', ' d')}\\)`));
        assert.deepEqual(asked.map((q) => q.resolution), [300], `${range} asks for the 5-minute tier by name`);
      }
      asked.length = 0;
      await get(status, '/');
      assert.deepEqual(asked, [{}], '24 h: the raw rows as retained');
    } finally {
      monitor.history = history;
    }
  });

  it('an objective on the 7 d view: its budget and burn rates, and that the 5-minute rows keep no budget to plot', async () => {
    monitor.emit('check', checkWithSlos('orders', Date.now(), { availability: sloStatus({ name: 'availability' }) }));
    const week = (await get(status, '/?range=7d')).body;
    const section = sloSectionOf(week);
    assert.match(section, /Error budget remaining <strong[^>]*>72\.5%<\/strong>/);
    assert.match(section, /<p class="muted no-budget">The store's 5-minute rows keep no error budget: the 24 h view plots it over time\.<\/p>/);
    assert.doesNotMatch(section, /<figure/, 'no empty plot');
    assert.match(section, /The store holds 2 h 13 min of the 30 d window so far: the error budget covers that, not yet the whole window\./);
    const day = (await get(status, '/')).body;
    assert.doesNotMatch(sloSectionOf(day), /no-budget/, 'the raw rows: the plot, drawn where rows have a budget');
    assert.match(plotOf(day, 'Error budget remaining · availability').figure, /no data yet/, 'the rows taken back from the store have none');
    const health = JSON.parse((await get(status, '/health')).body);
    assert.match(health.slos.availability.note, /^The store holds 2 h 13 min of the 30 d window so far/);
  });
});

describe('the store tier a range reads', () => {
  it('the finest tier that keeps the whole range, else the coarsest', () => {
    assert.equal(rangeResolution(7 * 86_400, [...DEFAULT_STORE_TIERS]), 300);
    assert.equal(rangeResolution(30 * 86_400, [...DEFAULT_STORE_TIERS]), 300, 'exactly the 5-minute tier\'s retention');
    const tiers = [{ resolution: 60, retention: 7 * 86_400 }, { resolution: 3600, retention: 90 * 86_400 }];
    assert.equal(rangeResolution(7 * 86_400, tiers), 60);
    assert.equal(rangeResolution(30 * 86_400, tiers), 3600);
    assert.equal(rangeResolution(365 * 86_400, tiers), 3600, 'beyond every tier: the coarsest');
    assert.equal(rangeResolution(86_400, []), undefined);
  });
});

describe('history ranges without a store', () => {
  it('7 d and 30 d are shown disabled with what they need; ?range=7d is 24 h', async () => {
    const monitor = await startHealthMonitoring({ ...quiet, serviceName: 'memory-only', startupMessage: false, statusServer: { port: 0 } });
    try {
      await monitor.monitorService();
      const status = statusServerOf(monitor)!;
      for (const query of ['', '?range=7d', '?range=30d']) {
        const res = await get(status, `/${query}`);
        assert.equal(res.status, 200);
        assert.deepEqual(rangeLinks(res.body), { '24h': 'current', '7d': 'disabled', '30d': 'disabled' }, query);
        assert.match(res.body, /7 d and 30 d need the <code>store<\/code> option/);
        assert.doesNotMatch(res.body, /href="\?range=(7|30)d"/);
        assert.match(res.body, /\(1 checks, every 3600 s\)/);
      }
    } finally {
      await monitor.shutdown();
    }
  });
});

describe('30 days of 5-minute rows on the page', () => {
  it('each plot is drawn from at most 400 points: the page stays under 500 KB', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'otel-health-status-30d-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const storePath = path.join(dir, 'month.store');
    const now = Date.now();
    await fillStore(storePath, { serviceId: 'month', from: now - 30 * DAY + 600_000, to: now - 60_000, stepMs: 300_000, now, anomaly: true });
    const monitor = await startHealthMonitoring({
      ...quiet, serviceName: 'month', startupMessage: false, store: { path: storePath }, statusServer: { port: 0 },
      anomaly: { series: ['response_time'] },
    });
    t.after(() => monitor.shutdown());
    // The tier by name, as the page asks for it ('auto' flips to 1 h at exactly 30 days).
    const rows = monitor.history('month', { since: Date.now() - 30 * DAY, resolution: 300 });
    assert.ok(rows.length > 8500, `a month of 5-minute rows: ${rows.length}`);
    const res = await get(statusServerOf(monitor)!, '/?range=30d');
    assert.equal(res.status, 200);
    t.diagnostic(`30 d page: ${res.body.length} bytes`);
    assert.ok(res.body.length < 500_000, `${res.body.length} bytes`);
    for (const title of ['Error rate', 'p95 response time', 'CPU', 'Memory', 'Open connections', 'Anomaly score']) {
      const plot = plotOf(res.body, title);
      assert.equal(plot.lines.length, 1, title);
      assert.equal(plot.lines[0]!.length, 400, `${title}: 400 points for ${rows.length} rows`);
      assert.match(plot.note, /drawn as 400 points, each the maximum of 2\d rows$/, title);
    }
    // The maximum of each bucket: the anomaly score's 0.99 rows (one in every 100) reach the top.
    const scores = plotOf(res.body, 'Anomaly score').lines[0]!.map(([, y]) => y);
    assert.ok(Math.min(...scores) < 12, 'the highest scores are drawn');
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 15: service level objectives on /health and the page (hand-made HealthMetrics, as the
// evaluator gives them after a check).

/** An objective after a check: 11 bad of 40 000 events (the budget allows 40), 2 h 13 min of 30 days covered. */
function sloStatus(over: Partial<SloStatus> & { name: string }): SloStatus {
  return {
    objective: 0.999, window: 30 * 86_400, indicator: 'availability', good: 39_989, total: 40_000, covered: 8_000, budgetRemaining: 0.725,
    burnRates: [
      { alert: 'fast', level: MonitoringLevel.CRITICAL, burnRate: 14.4, longWindow: 3600, shortWindow: 300, long: 16.5, short: 20, burning: true },
      { alert: 'slow', level: MonitoringLevel.ERROR, burnRate: 6, longWindow: 21_600, shortWindow: 1800, long: 2.5, short: 3, burning: false },
      { alert: 'ticket', level: MonitoringLevel.WARNING, burnRate: 1, longWindow: 259_200, shortWindow: 21_600, burning: false },
    ],
    ...over,
  };
}

function checkWithSlos(serviceId: string, timestamp: number, slos: Record<string, SloStatus> | undefined): HealthMetrics {
  return {
    serviceId, timestamp, windowSeconds: 60, status: 'healthy', level: MonitoringLevel.INFO,
    requestCount: 400, operationCount: 0, requestRate: 400 / 60, errorCount: 1, errorRate: 0.0025,
    responseTime: { avg: 0.05, p50: 0.04, p95: 0.1, p99: 0.2, max: 0.3 }, connections: 2, checks: [], alerts: [],
    ...(slos !== undefined ? { slos, sloEvents: Object.fromEntries(Object.keys(slos).map((k) => [k, { good: 399, total: 400 }])) } : {}),
  };
}

function sloSectionOf(html: string): string {
  const section = /<section class="slos"[^>]*>(.*?)<\/section>/s.exec(html)?.[1];
  assert.ok(section !== undefined, 'the page has the objectives\' section');
  return section;
}

describe('service level objectives on /health and the page', () => {
  it('/health and the page show each objective: budget, burn rates per alert, covered vs window; the budget over time from the history', async () => {
    const monitor = await startHealthMonitoring({ ...quiet, serviceName: 'payments', startupMessage: false, statusServer: { port: 0 } });
    try {
      const status = statusServerOf(monitor)!;
      // No objective: no key, no section.
      await monitor.monitorService();
      assert.equal('slos' in JSON.parse((await get(status, '/health')).body), false);
      assert.doesNotMatch((await get(status, '/')).body, /Service level objectives|class="slos"|Error budget/);

      // Ten checks with two objectives; the budget falls to 72.5 %.
      const budgets = [1, 0.95, 0.9, 0.9, 0.85, 0.8, 0.8, 0.75, 0.75, 0.725];
      const history = new MetricsHistory('payments', { retention: 86_400, checkInterval: 60 });
      const now = Date.now();
      let last!: HealthMetrics;
      budgets.forEach((budgetRemaining, i) => {
        last = checkWithSlos('payments', now - (budgets.length - i) * 60_000, {
          availability: sloStatus({ name: 'availability', budgetRemaining }),
          'checkout-latency': sloStatus({
            name: 'checkout-latency', objective: 0.99, window: 7 * 86_400, indicator: 'latency', threshold: 0.3, route: '/checkout',
            covered: 7 * 86_400, good: 39_900, budgetRemaining: 0.75,
            burnRates: sloStatus({ name: 'x' }).burnRates.map((a) => ({ ...a, long: 0.25, short: 0.5, burning: false })),
          }),
        });
        history.push(last);
      });
      monitor.history = (id, query) => (id === 'payments' ? history.query(query) : []);
      monitor.emit('check', last);

      const health = JSON.parse((await get(status, '/health')).body);
      const availability = health.slos.availability;
      assert.equal(availability.budgetRemaining, 0.725);
      assert.equal(availability.objective, 0.999);
      assert.deepEqual([availability.good, availability.total, availability.covered, availability.window], [39_989, 40_000, 8_000, 30 * 86_400]);
      assert.deepEqual(
        availability.burnRates.map((a: Record<string, unknown>) => [a.alert, a.level, a.burnRate, a.long, a.short, a.burning]),
        [['fast', 'CRITICAL', 14.4, 16.5, 20, true], ['slow', 'ERROR', 6, 2.5, 3, false], ['ticket', 'WARNING', 1, undefined, undefined, false]],
        'each alert\'s burn rates over its long and short windows (none for a window without events)',
      );
      assert.equal(
        availability.note,
        "Without the persisted store (the store option) the error budget covers this process's lifetime: 2 h 13 min of the 30 d window.",
      );
      assert.equal('note' in health.slos['checkout-latency'], false, 'the whole window covered: no note');
      assert.deepEqual(health.services.payments.slos, health.slos, 'the service\'s HealthMetrics carry the same');

      const page = (await get(status, '/')).body;
      const section = sloSectionOf(page);
      const article = (name: string) => new RegExp(`<article class="slo" data-slo="${name}">(.*?)</article>`, 's').exec(section)?.[1] ?? '';
      const a = article('availability');
      assert.match(a, /<h3>availability <span class="meta asks">99\.9 % · 30 d · availability<\/span><\/h3>/);
      assert.match(a, /Error budget remaining <strong class="budget-value budget-ok">72\.5%<\/strong> <span class="meta events">\(11 bad of 40000 events in 2 h 13 min; the objective allows 40\)<\/span>/);
      assert.match(a, /<p class="muted coverage">Without the persisted store \(the store option\) the error budget covers this process&#39;s lifetime: 2 h 13 min of the 30 d window\.<\/p>/);
      const burn = (alert: string) => new RegExp(`<tr class="burn" data-alert="${alert}">(.*?)</tr>`).exec(a)?.[1] ?? '';
      assert.match(burn('fast'), /CRITICAL.*<td class="long">1 h: <span class="rate over">16\.5×<\/span><\/td><td class="short">5 min: <span class="rate over">20×<\/span><\/td><td class="threshold">≥ 14\.4×<\/td><td class="burning"><span class="pill lv-error">burning<\/span>/);
      assert.match(burn('slow'), /<td class="long">6 h: <span class="rate">2\.5×<\/span><\/td><td class="short">30 min: <span class="rate">3×<\/span><\/td><td class="threshold">≥ 6×<\/td><td class="burning"><span class="muted">not burning<\/span>/);
      assert.match(burn('ticket'), /<td class="long">3 d: <span class="muted">no event<\/span><\/td><td class="short">6 h: <span class="muted">no event<\/span>/);
      const latency = article('checkout-latency');
      assert.match(latency, /<span class="meta asks">99 % · 7 d · latency ≤ 300 ms · route \/checkout<\/span>/);
      assert.match(latency, /\(100 bad of 40000 events in 7 d; the objective allows 400\)/);
      assert.doesNotMatch(latency, /class="muted coverage"/);

      // The budget over time: one point per check, at its own budget (Float32 in the history), 0 % dashed.
      const plotted = plotOf(page, 'Error budget remaining · availability');
      assert.equal(plotted.note, 'raw rows, one per check');
      assert.equal(plotted.lines.length, 1);
      const y = (v: number) => Number((10 + (1 - Math.fround(v) / 1.1) * 118).toFixed(1));
      assert.deepEqual(plotted.lines[0]!.map(([, py]) => py), budgets.map(y));
      assert.match(plotted.figure, /<span class="now">72\.5%<\/span>/);
      assert.match(plotted.figure, /<line class="threshold"[^>]*><title>budget spent<\/title>/);
      const rate = plotOf(page, 'Burn rate over 1 h · availability');
      assert.equal(rate.lines[0]!.length, budgets.length);
      assert.match(rate.figure, /<title>fast alert: CRITICAL at 14\.4× \(with the 5 min window\)<\/title>/);
      assert.match(page, /on an objective&#39;s plots|on an objective's plots/);
    } finally {
      await monitor.shutdown();
    }
  });

  it('a real monitor: the numbers its checks computed, on /health and the page; the slo: alert firing with its burn rate', async () => {
    const app = await appServer();
    // A store whose history starts 4 days ago: without it the alert windows of this young
    // process would count the time before it as clean, and a few checks' errors would fire nothing.
    const storeDir = mkdtempSync(path.join(os.tmpdir(), 'otel-health-slo-page-'));
    const storePath = path.join(storeDir, 'health.store');
    await storeWithSloHistory(storePath, 'orders-api', ['availability', 'fast-enough']);
    const monitor = await startHealthMonitoring({
      ...quiet,
      serviceName: 'orders-api',
      startupMessage: false,
      errorThreshold: false,
      statusServer: { port: 0 },
      store: { path: storePath },
      slos: [{ name: 'availability', objective: 0.99 }, { name: 'fast-enough', objective: 0.9, window: 7 * 86_400, indicator: { latency: { threshold: 0.3 } } }],
    });
    try {
      const status = statusServerOf(monitor)!;
      // 200 requests over four checks, 10 failing in the last two: 10 bad where the 99 % objective
      // allows 2, every alert window holding all of them (burn rate 5: the ticket alert burns).
      for (let check = 0; check < 4; check++) {
        await app.hit('/ok', check < 2 ? 50 : 45);
        if (check >= 2) await app.hit('/fail', 5);
        await monitor.monitorService();
      }
      const computed = monitor.latest()!.slos!;
      assert.equal(computed.availability!.total, 200);
      assert.equal(computed.availability!.good, 190);

      const health = JSON.parse((await get(status, '/health')).body);
      assert.deepEqual(
        Object.fromEntries(Object.entries(health.slos).map(([k, v]) => [k, (({ note, ...rest }: Record<string, unknown>) => (void note, rest))(v as Record<string, unknown>)])),
        JSON.parse(JSON.stringify(computed)),
        '/health has what the check computed',
      );
      assert.ok(Math.abs(health.slos.availability.budgetRemaining - -4) < 1e-9, `1 - 10 / (0.01 × 200): ${health.slos.availability.budgetRemaining}`);
      assert.match(health.slos.availability.note, /^The store holds 4 d\b.* of the 30 d window so far: the error budget covers that, not yet the whole window\.$/);
      assert.match(health.slos['fast-enough'].note, /^The store holds 4 d\b.* of the 7 d window so far/);
      assert.deepEqual(health.alerts.map((a: { rule: string; level: string }) => [a.rule, a.level]), [['slo:availability', 'WARNING']]);

      const page = (await get(status, '/')).body;
      const section = sloSectionOf(page);
      assert.match(section, /<article class="slo" data-slo="availability"><h3>availability <span class="meta asks">99 % · 30 d · availability<\/span>/);
      assert.match(section, /Error budget remaining <strong class="budget-value budget-spent">-400%<\/strong> <span class="meta events">\(10 bad of 200 events in [^;]+; the objective allows 2\)/);
      assert.match(section, /<tr class="burn" data-alert="ticket">.*?3 d: <span class="rate over">5×<\/span>.*?6 h: <span class="rate over">5×<\/span>.*?≥ 1×.*?burning/);
      assert.match(section, /<tr class="burn" data-alert="fast">.*?1 h: <span class="rate">5×<\/span>.*?not burning/);
      assert.match(section, /99 % · 30 d · availability/);
      assert.match(section, /90 % · 7 d · latency ≤ 300 ms/);
      assert.match(section, /data-slo="fast-enough">.*?Error budget remaining <strong class="budget-value budget-ok">100%<\/strong>/s);
      // One point per check in the budget plot: the history kept each check's budget.
      const plotted = plotOf(page, 'Error budget remaining · availability');
      assert.equal(plotted.lines.flat().length, 4);
      assert.match(plotted.figure, /<span class="now">-400%<\/span>/);
      // The firing table shows the alert's short-window burn rate against its own.
      assert.match(page, /<td class="rule">slo:availability<\/td><td>orders-api<\/td><td>5× \/ 1×<\/td>/);
    } finally {
      await monitor.shutdown();
      await close(app.server);
      rmSync(storeDir, { recursive: true, force: true });
    }
  });

  it('per service: a section for each service whose check computed objectives, named when the page shows several; names escaped', () => {
    const now = Date.now();
    const other = checkWithSlos('inventory', now, { '<b>odd</b>': sloStatus({ name: '<b>odd</b>', route: '/items/<id>' }) });
    const { html } = renderPage({
      serviceName: 'web', now, checkInterval: 60, retention: 86_400, shuttingDown: false, ready: { ready: true, status: 'ready' }, level: MonitoringLevel.INFO,
      services: [
        { serviceId: 'web', latest: checkWithSlos('web', now, undefined), history: [] },
        { serviceId: 'inventory', latest: other, history: [] },
      ],
      firing: [], alertHistory: [], thresholds: {},
    });
    const sections = [...html.matchAll(/<section class="slos"[^>]*><h2>([^<]*)<\/h2>/g)].map((m) => m[1]);
    assert.deepEqual(sections, ['Service level objectives · inventory'], 'none for the service without objectives');
    assert.match(html, /data-slo="&#60;b&#62;odd&#60;\/b&#62;"><h3>&#60;b&#62;odd&#60;\/b&#62; <span class="meta asks">99\.9 % · 30 d · availability · route \/items\/&#60;id&#62;<\/span>/);
    assert.doesNotMatch(html, /<b>odd|<id>/);
  });

  it('a long history draws each budget point as the lowest of its rows: a dip stays visible', () => {
    const history = new MetricsHistory('dips', { retention: 86_400, checkInterval: 60 });
    const t0 = Date.now() - 1200 * 60_000;
    for (let i = 0; i < 1200; i++) {
      history.push(checkWithSlos('dips', t0 + i * 60_000, { availability: sloStatus({ name: 'availability', budgetRemaining: i === 555 ? 0.125 : 0.875 }) }));
    }
    const budget = (r: HistoryRow) => r.sloBudgets?.availability?.budgetRemaining;
    const lowest = downsample(history.query(), budget, Infinity, 'min');
    assert.equal(lowest.length, 400);
    assert.deepEqual([...new Set(lowest.map((p) => p.v))].sort(), [0.125, 0.875]);
    assert.deepEqual([...new Set(downsample(history.query(), budget).map((p) => p.v))], [0.875], 'the maximum would hide it');
  });

  it('an overspent budget: below 0 on the axis, marked spent; a row without a budget is said, not drawn', async () => {
    const monitor = await startHealthMonitoring({ ...quiet, serviceName: 'spent', startupMessage: false, statusServer: { port: 0 } });
    try {
      const status = statusServerOf(monitor)!;
      const history = new MetricsHistory('spent', { retention: 86_400, checkInterval: 60 });
      // A row from before the objective (as the rows taken back from a store are).
      history.push(checkWithSlos('spent', Date.now() - 4 * 60_000, undefined));
      const budgets = [0.5, -0.5, -1.5];
      let last!: HealthMetrics;
      budgets.forEach((budgetRemaining, i) => {
        last = checkWithSlos('spent', Date.now() - (3 - i) * 60_000, { availability: sloStatus({ name: 'availability', budgetRemaining }) });
        history.push(last);
      });
      monitor.history = (id, query) => (id === 'spent' ? history.query(query) : []);
      monitor.emit('check', last);
      const page = (await get(status, '/')).body;
      assert.match(sloSectionOf(page), /<strong class="budget-value budget-spent">-150%<\/strong>/);
      const plotted = plotOf(page, 'Error budget remaining · availability');
      assert.equal(plotted.labels[0], '-150%', 'the axis reaches the lowest budget');
      assert.ok(plotted.lines[0]!.every(([, py]) => py >= 10 && py <= 128), 'every point inside the plot');
      assert.equal(plotted.lines[0]!.length, 3, 'the three rows with a budget');
      assert.match(sloSectionOf(page), /<\/div><p class="muted partial-budget">Plotted where the rows keep a budget: 3 of 4 \(rows taken back from the store, and checks before the objective was configured, have none\)\.<\/p>/);
      assert.equal(JSON.parse((await get(status, '/health')).body).slos.availability.budgetRemaining, -1.5);
    } finally {
      await monitor.shutdown();
    }
  });
});
