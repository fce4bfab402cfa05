/**
 * The status page in a real browser: headless Chromium (Debian package `chromium`) loads the page
 * of a running service with a firing alert; the test reads the DOM after scripts ran and saves a
 * screenshot to test-output/status-page.png (and status-page-anomaly.png: a service with anomaly
 * rules; status-page-7d.png: the 7 d range of a service with a store holding three days;
 * status-page-slo.png: a service with two service level objectives). Without
 * /usr/bin/chromium the test fails when CI is set and is skipped otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, statusServerOf } from '../../src/index.js';
import { MetricsHistory } from '../../src/history/index.js';
import { HistoryStore, histogramOf } from '../../src/history/store/index.js';
import { MonitoringLevel, type HealthMetrics, type SloStatus } from '../../src/model/index.js';
import { close, listen, request } from '../../support/http.js';
import { storeWithSloHistory } from '../helpers/store.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const OUTPUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-output');
const CHROMIUM_TIMEOUT_MS = 60_000;

/** Run chromium headless on `url` with `args`; resolves to stdout and stderr. Killed (its whole group) at the timeout. */
function chromium(args: string[], url: string): Promise<{ stdout: string; stderr: string }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'otel-health-chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--enable-logging=stderr',
      '--v=0',
      `--user-data-dir=${profile}`,
      '--window-size=1280,1000',
      '--virtual-time-budget=5000',
      ...args,
      url,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c.length > 0 && stderr.length < 1_000_000 ? c : ''));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`chromium did not finish within ${CHROMIUM_TIMEOUT_MS / 1000} s; stderr:\n${stderr.slice(-2000)}`));
    }, CHROMIUM_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`chromium exited with ${code}; stderr:\n${stderr.slice(-2000)}`));
    });
  });
}

test(
  'headless Chromium shows the status page of a service with a firing alert',
  { skip: !HAVE_CHROMIUM && !process.env.CI ? `no ${CHROMIUM} (apt-get install chromium); set CI to make this a failure` : false, timeout: 180_000 },
  async (t) => {
    if (!HAVE_CHROMIUM) assert.fail(`${CHROMIUM} is missing: the CI image must install the Debian package chromium`);

    // A real app answering 500s on /fail; only error_rate can fire.
    const app = http.createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('x');
    });
    const appPort = await listen(app);
    const monitor = await startHealthMonitoring({
      serviceName: 'checkout',
      hostMetrics: false,
      loggerProvider: new LoggerProvider(),
      checkInterval: 3600, // checks run only when the test calls monitorService()
      responseTimeThreshold: false,
      errorThreshold: { warning: 0.05, error: 0.1, critical: 0.5, minRequests: 1 },
      resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false, connections: false },
      statusServer: { port: 0 },
    });
    try {
      // A short history: healthy checks, then a quarter of the requests failing.
      for (let check = 0; check < 8; check++) {
        const failing = check >= 4;
        for (let i = 0; i < 20; i++) await request(appPort, failing && i % 4 === 0 ? '/fail' : '/ok');
        await monitor.monitorService();
        await new Promise((resolve) => setTimeout(resolve, 150)); // spread the checks over the plots' x axis
      }
      const firing = monitor.firingAlerts();
      assert.deepEqual(
        firing.map((a) => [a.rule, a.level]),
        [['error_rate', 'ERROR']],
      );
      const alert = firing[0]!;
      const url = `${statusServerOf(monitor)!.url}/`;

      const { stdout: dom, stderr } = await chromium(['--dump-dom'], url);
      t.diagnostic(`DOM: ${dom.length} characters`);
      assert.match(dom, /<span id="status" class="status st-unhealthy">unhealthy<\/span>/, 'the status is shown');
      const row = /<tr class="alert">(.*?)<\/tr>/s.exec(dom)?.[1] ?? '';
      assert.match(row, /<td class="rule">error_rate<\/td>/, 'the firing alert is listed by rule');
      const message = alert.message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      assert.ok(row.includes(message), `the alert's message is shown: ${alert.message}`);
      assert.match(row, />ERROR</);
      assert.match(dom, /aria-label="alert timeline"/);
      assert.match(dom, /<rect class="bar lv-error"/, 'the timeline has the alert bar');
      for (const plot of ['Error rate', 'p95 response time', 'CPU', 'Memory', 'Open connections']) {
        assert.ok(dom.includes(`aria-label="${plot} over time"`), `plot ${plot}`);
      }
      assert.ok(!dom.includes('Anomaly score'), 'no anomaly plot without the anomaly option');
      // The inline script ran under the CSP: it replaced the UTC times with local ones.
      const times = [...dom.matchAll(/<time datetime="[^"]+">([^<]*)<\/time>/g)].map((m) => m[1]!);
      assert.ok(times.length > 0);
      assert.ok(times.every((x) => !x.endsWith('UTC')), `times localised by the script: ${times.join(', ')}`);
      assert.doesNotMatch(stderr, /Refused to (load|execute|apply)|Content Security Policy/, 'no CSP violation');

      mkdirSync(OUTPUT, { recursive: true });
      const screenshot = path.join(OUTPUT, 'status-page.png');
      rmSync(screenshot, { force: true });
      await chromium([`--screenshot=${screenshot}`], url);
      assert.ok(statSync(screenshot).size > 10_000, 'a screenshot was written');
      t.diagnostic(`screenshot: ${screenshot}`);
    } finally {
      await monitor.shutdown();
      await close(app);
    }
  },
);

test(
  'headless Chromium shows the anomaly score plot of a service with anomaly rules',
  { skip: !HAVE_CHROMIUM && !process.env.CI ? `no ${CHROMIUM} (apt-get install chromium); set CI to make this a failure` : false, timeout: 180_000 },
  async (t) => {
    if (!HAVE_CHROMIUM) assert.fail(`${CHROMIUM} is missing: the CI image must install the Debian package chromium`);

    const app = http.createServer((_req, res) => res.end('x'));
    const appPort = await listen(app);
    const monitor = await startHealthMonitoring({
      serviceName: 'search',
      hostMetrics: false,
      loggerProvider: new LoggerProvider(),
      checkInterval: 3600, // checks run only when the test calls monitorService()
      startupMessage: false,
      responseTimeThreshold: false,
      errorThreshold: false,
      resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false, connections: false },
      anomaly: { series: ['response_time'], warmup: 8 },
      statusServer: { port: 0 },
    });
    try {
      // 12 checks of 6 requests each (minRequests 5): the first 8 are learned, the last 4 scored.
      const scored: number[] = [];
      for (let check = 0; check < 12; check++) {
        for (let i = 0; i < 6; i++) await request(appPort, '/');
        const score = (await monitor.monitorService()).anomaly?.response_time;
        if (score !== undefined) scored.push(score);
      }
      assert.equal(scored.length, 4, 'scored after the warm-up of 8 checks');
      const url = `${statusServerOf(monitor)!.url}/`;

      const { stdout: dom, stderr } = await chromium(['--dump-dom'], url);
      const figure = /<figure class="plot anomaly">(.*?)<\/figure>/s.exec(dom)?.[1];
      assert.ok(figure !== undefined, 'the page has the anomaly plot');
      assert.match(figure, /<svg[^>]*role="img"[^>]*aria-label="Anomaly score over time"/);
      const lines = [...figure.matchAll(/<polyline class="aline [^"]*" data-series="([a-z_]+)" points="([^"]*)"/g)];
      assert.deepEqual(
        lines.map((m) => [m[1], m[2]!.trim().split(/\s+/).length]),
        [['response_time', 4]],
        'one line, one point per scored check',
      );
      // The y axis is 0..1: every point within the plot area, at its score.
      const ys = lines[0]![2]!.trim().split(/\s+/).map((p) => Number(p.split(',')[1]));
      assert.deepEqual(
        ys,
        scored.map((v) => Number((10 + (1 - Math.fround(v)) * (150 - 10 - 22)).toFixed(1))),
      );
      assert.match(figure, /<line class="level level-warning"[^>]*><title>WARNING level 0\.99<\/title><\/line>/, 'the default WARNING level');
      assert.doesNotMatch(figure, /class="level level-(error|critical)"/, 'no ERROR or CRITICAL level configured');
      const legend = /<ul class="legend"[^>]*>(.*?)<\/ul>/s.exec(figure)?.[1] ?? '';
      assert.match(legend, /<li data-series="response_time">.*?p95 response time <span class="now">[0-9.]+<\/span><\/li>/);
      assert.match(legend, /WARNING ≥ 0\.99/);
      assert.doesNotMatch(legend, /no score yet/);
      assert.doesNotMatch(stderr, /Refused to (load|execute|apply)|Content Security Policy/, 'no CSP violation');

      mkdirSync(OUTPUT, { recursive: true });
      const screenshot = path.join(OUTPUT, 'status-page-anomaly.png');
      rmSync(screenshot, { force: true });
      await chromium([`--screenshot=${screenshot}`], url);
      assert.ok(statSync(screenshot).size > 10_000, 'a screenshot was written');
      t.diagnostic(`screenshot: ${screenshot}`);
    } finally {
      await monitor.shutdown();
      await close(app);
    }
  },
);

test(
  'headless Chromium: with a store, the range links lead to 7 d and 30 d of 5-minute rows; the refresh keeps the range; a bogus range is 24 h',
  { skip: !HAVE_CHROMIUM && !process.env.CI ? `no ${CHROMIUM} (apt-get install chromium); set CI to make this a failure` : false, timeout: 240_000 },
  async (t) => {
    if (!HAVE_CHROMIUM) assert.fail(`${CHROMIUM} is missing: the CI image must install the Debian package chromium`);
    const HOUR = 3_600_000;
    const DAY = 24 * HOUR;
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-health-page-store-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const storePath = path.join(dir, 'catalog.store');

    // What a previous process left: three days of 60 s checks, p95 70 ms but 1 s for the hour
    // two days ago.
    const now = Date.now();
    const start = Math.floor((now - 3 * DAY) / 300_000) * 300_000;
    const slowFrom = Math.floor((now - 2 * DAY) / HOUR) * HOUR;
    const store = await HistoryStore.open({ path: storePath, metricsRetention: 86_400, now: () => now });
    for (let ts = start; ts < now - 60_000; ts += 60_000) {
      const slow = ts >= slowFrom && ts < slowFrom + HOUR;
      const p = slow ? 1.02 : 0.07;
      store.appendRow({
        serviceId: 'catalog', timestamp: ts, windowSeconds: 60, status: 'healthy', level: MonitoringLevel.INFO,
        requestCount: 20, operationCount: 0, requestRate: 20 / 60, errorCount: 0, errorRate: 0,
        responseTime: { avg: p, p50: p, p95: p, p99: p, max: p }, cpu: 0.25, memory: { utilization: 0.4 }, connections: 2,
        checksFailed: 0, alertsFiring: 0, latency: histogramOf(Array.from({ length: 20 }, (_, i) => (slow ? 1 : 0.05) + i * 0.001)),
      });
    }
    await store.maintain(now);
    await store.close();

    const monitor = await startHealthMonitoring({
      serviceName: 'catalog',
      hostMetrics: false,
      loggerProvider: new LoggerProvider(),
      checkInterval: 3600, // no check of its own during the test: the page refreshes every 60 s
      startupMessage: false,
      store: { path: storePath },
      statusServer: { port: 0 },
    });
    // Which history each page render asked for (the status server calls monitor.history per render).
    const asked: (number | undefined)[] = [];
    const history = monitor.history.bind(monitor);
    monitor.history = (id, query) => {
      asked.push(query?.since);
      return history(id, query);
    };
    try {
      const base = `${statusServerOf(monitor)!.url}/`;
      const links = (dom: string): Record<string, string> =>
        Object.fromEntries(
          [...(/<nav class="ranges"[^>]*>(.*?)<\/nav>/s.exec(dom)?.[1] ?? '').matchAll(/<a class="range"[^>]*href="([^"]*)"[^>]*data-range="([a-z0-9]+)"([^>]*)>/g)].map(
            (m) => [m[2]!, m[3]!.includes('aria-current') ? `current ${m[1]}` : m[1]!],
          ),
        );
      const p95 = (dom: string) => {
        const fig = /<figure class="plot"><figcaption>p95 response time(.*?)<\/figure>/s.exec(dom)?.[1] ?? '';
        const svg = /data-from="([^"]+)" data-to="([^"]+)"/.exec(fig);
        const xs = [...fig.matchAll(/<polyline class="line" points="([^"]*)"/g)].flatMap((m) => m[1]!.trim().split(/\s+/).map((pt) => Number(pt.split(',')[0])));
        return { note: /<small class="res">([^<]*)</.exec(fig)?.[1] ?? '', from: Date.parse(svg?.[1] ?? ''), to: Date.parse(svg?.[2] ?? ''), xs, fig };
      };

      // 24 h: the raw rows, and the links.
      const { stdout: first } = await chromium(['--dump-dom'], base);
      assert.deepEqual(links(first), { '24h': 'current ?range=24h', '7d': '?range=7d', '30d': '?range=30d' });
      assert.match(p95(first).note, /^raw rows, one per check/);

      // Follow the 7 d link as the browser resolves it, and let the page refresh once (virtual
      // time: the refresh is due after 60 s).
      const sevenDays = new URL(links(first)['7d']!, base).href;
      asked.length = 0;
      const { stdout: week, stderr } = await chromium(['--virtual-time-budget=75000', '--dump-dom'], sevenDays);
      const weekAsks = asked.filter((since) => since !== undefined && Math.abs(since - (Date.now() - 7 * DAY)) < 5 * 60_000);
      assert.ok(weekAsks.length >= 2, `the page and its refresh both asked for 7 days: ${JSON.stringify(asked)}`);
      assert.equal(asked.filter((since) => since === undefined).length, 0, 'the refresh did not fall back to 24 h');
      assert.equal(links(week)['7d'], 'current ?range=7d', 'after the refresh, still 7 d');
      const w = p95(week);
      assert.match(w.note, /^5-minute rows, p95 from merged histograms; drawn as 400 points/);
      assert.ok(w.to - w.from > 2.9 * DAY, `the x axis spans the three days: ${new Date(w.from).toISOString()} .. ${new Date(w.to).toISOString()}`);
      assert.ok(w.xs.length > 300 && w.xs.length <= 400, `${w.xs.length} points`);
      assert.ok(Math.min(...w.xs) < 66 && Math.max(...w.xs) > 545, 'the points span the plot from the first day to now');
      assert.match(w.fig, /<text class="axis"[^>]*>1\.0\d s<\/text>/, 'the slow hour two days ago sets the y axis');
      assert.ok((w.fig.match(/<line class="day"/g) ?? []).length >= 2, 'a line at each UTC midnight');
      assert.doesNotMatch(stderr, /Refused to (load|execute|apply)|Content Security Policy/, 'no CSP violation');

      const { stdout: month } = await chromium(['--dump-dom'], new URL(links(week)['30d']!, sevenDays).href);
      assert.equal(links(month)['30d'], 'current ?range=30d');
      // 30 d is the 5-minute tier's retention: the page names that tier (a query's 'auto' would
      // flip to the hourly one by milliseconds).
      assert.match(month, /\(\d+ 5-minute rows of \d+ checks, last 30 d\)/);

      // A bogus range: the 24 h page, nothing of it on the page.
      const { stdout: bogus } = await chromium(['--dump-dom'], `${base}?range=%3Cb%3Ex%3C%2Fb%3E`);
      assert.equal(links(bogus)['24h'], 'current ?range=24h');
      assert.match(p95(bogus).note, /^raw rows, one per check/);
      assert.doesNotMatch(bogus, /<b>x<\/b>|%3Cb/);

      mkdirSync(OUTPUT, { recursive: true });
      const screenshot = path.join(OUTPUT, 'status-page-7d.png');
      rmSync(screenshot, { force: true });
      await chromium([`--screenshot=${screenshot}`], sevenDays);
      assert.ok(statSync(screenshot).size > 10_000, 'a screenshot was written');
      t.diagnostic(`screenshot: ${screenshot}`);
    } finally {
      await monitor.shutdown();
    }
  },
);

test(
  'headless Chromium shows the service level objectives: budget, burn rates, budget over time, under the CSP',
  { skip: !HAVE_CHROMIUM && !process.env.CI ? `no ${CHROMIUM} (apt-get install chromium); set CI to make this a failure` : false, timeout: 180_000 },
  async (t) => {
    if (!HAVE_CHROMIUM) assert.fail(`${CHROMIUM} is missing: the CI image must install the Debian package chromium`);
    const monitor = await startHealthMonitoring({
      serviceName: 'ledger',
      hostMetrics: false,
      loggerProvider: new LoggerProvider(),
      checkInterval: 3600, // no check of its own: the test hands the page its checks
      startupMessage: false,
      statusServer: { port: 0 },
    });
    try {
      // 30 checks a minute apart, as the evaluator gives them: the availability budget falls
      // from 100 % to -16 % while the fast burn rate climbs past 14.4; the latency objective holds.
      const history = new MetricsHistory('ledger', { retention: 86_400, checkInterval: 60 });
      const now = Date.now();
      const alerts = (fast: number, burning: boolean): SloStatus['burnRates'] => [
        { alert: 'fast', level: MonitoringLevel.CRITICAL, burnRate: 14.4, longWindow: 3600, shortWindow: 300, long: fast, short: fast * 1.25, burning },
        { alert: 'slow', level: MonitoringLevel.ERROR, burnRate: 6, longWindow: 21_600, shortWindow: 1800, long: fast / 2, short: fast / 2, burning: false },
        { alert: 'ticket', level: MonitoringLevel.WARNING, burnRate: 1, longWindow: 259_200, shortWindow: 21_600, burning: false },
      ];
      let last!: HealthMetrics;
      for (let i = 0; i < 30; i++) {
        const fast = i;
        last = {
          serviceId: 'ledger', timestamp: now - (30 - i) * 60_000, windowSeconds: 60, status: 'healthy', level: MonitoringLevel.INFO,
          requestCount: 600, operationCount: 0, requestRate: 10, errorCount: 0, errorRate: 0,
          responseTime: { avg: 0.05, p50: 0.04, p95: 0.1, p99: 0.2, max: 0.3 }, connections: 2, checks: [], alerts: [],
          slos: {
            availability: {
              name: 'availability', objective: 0.999, window: 30 * 86_400, indicator: 'availability', good: 17_979, total: 18_000, covered: 1800,
              budgetRemaining: 1 - i * 0.04, burnRates: alerts(fast, fast >= 14.4),
            },
            'api-latency': {
              name: 'api-latency', objective: 0.99, window: 7 * 86_400, indicator: 'latency', threshold: 0.3, route: '/api/:id', good: 17_950, total: 18_000,
              covered: 1800, budgetRemaining: 0.75, burnRates: alerts(0.5, false),
            },
          },
        };
        history.push(last);
      }
      monitor.history = (id, query) => (id === 'ledger' ? history.query(query) : []);
      monitor.emit('check', last);
      const url = `${statusServerOf(monitor)!.url}/`;

      const { stdout: dom, stderr } = await chromium(['--dump-dom'], url);
      const section = /<section class="slos"[^>]*>(.*?)<\/section>/s.exec(dom)?.[1];
      assert.ok(section !== undefined, 'the page has the objectives\' section');
      const article = (name: string) => new RegExp(`<article class="slo" data-slo="${name}">(.*?)</article>`, 's').exec(section)?.[1] ?? '';
      const availability = article('availability');
      assert.match(availability, /99\.9 % · 30 d · availability/);
      assert.match(availability, /Error budget remaining <strong class="budget-value budget-spent">-16%<\/strong>/);
      assert.match(availability, /\(21 bad of 18000 events in 30 min; the objective allows 18\)/);
      assert.match(availability, /covers this process's lifetime: 30 min of the 30 d window/);
      assert.match(availability, /<tr class="burn" data-alert="fast">.*?1 h: <span class="rate over">29×<\/span>.*?5 min: <span class="rate over">36\.3×<\/span>.*?≥ 14\.4×.*?burning/s);
      assert.match(article('api-latency'), /99 % · 7 d · latency ≤ 300 ms · route \/api\/:id/);
      // The budget over time: one point per check, from 100 % down through the dashed 0 %.
      const budget = /<figure class="plot"><figcaption>Error budget remaining · availability(.*?)<\/figure>/s.exec(section)?.[1] ?? '';
      assert.match(budget, /<svg[^>]*role="img"[^>]*aria-label="Error budget remaining · availability over time"/);
      const points = [...budget.matchAll(/<polyline class="line" points="([^"]*)"/g)].flatMap((m) => m[1]!.trim().split(/\s+/));
      assert.equal(points.length, 30, 'one point per check');
      assert.match(budget, /<line class="threshold"[^>]*><title>budget spent<\/title>/);
      assert.match(section, /aria-label="Burn rate over 1 h · availability over time"/);
      // The inline script ran under the CSP (times localised), and nothing was refused.
      const times = [...dom.matchAll(/<time datetime="[^"]+">([^<]*)<\/time>/g)].map((m) => m[1]!);
      assert.ok(times.length > 0 && times.every((x) => !x.endsWith('UTC')), `times localised by the script: ${times.join(', ')}`);
      assert.doesNotMatch(stderr, /Refused to (load|execute|apply)|Content Security Policy/, 'no CSP violation');

      mkdirSync(OUTPUT, { recursive: true });
      const screenshot = path.join(OUTPUT, 'status-page-slo.png');
      rmSync(screenshot, { force: true });
      await chromium([`--screenshot=${screenshot}`, '--window-size=1280,2400'], url);
      assert.ok(statSync(screenshot).size > 10_000, 'a screenshot was written');
      t.diagnostic(`screenshot: ${screenshot}`);
    } finally {
      await monitor.shutdown();
    }
  },
);

test(
  'headless Chromium shows the objectives a real monitor computed, its slo: alert firing',
  { skip: !HAVE_CHROMIUM && !process.env.CI ? `no ${CHROMIUM} (apt-get install chromium); set CI to make this a failure` : false, timeout: 180_000 },
  async () => {
    if (!HAVE_CHROMIUM) assert.fail(`${CHROMIUM} is missing: the CI image must install the Debian package chromium`);
    const app = http.createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('x');
    });
    const appPort = await listen(app);
    // A store whose history starts 4 days ago: without it the alert windows of this young
    // process would count the time before it as clean, and a few checks' errors would fire nothing.
    const storeDir = mkdtempSync(path.join(tmpdir(), 'otel-health-slo-page-'));
    const storePath = path.join(storeDir, 'health.store');
    await storeWithSloHistory(storePath, 'billing', ['availability']);
    const monitor = await startHealthMonitoring({
      store: { path: storePath },
      serviceName: 'billing',
      hostMetrics: false,
      loggerProvider: new LoggerProvider(),
      checkInterval: 3600, // checks run only when the test calls monitorService()
      startupMessage: false,
      responseTimeThreshold: false,
      errorThreshold: false,
      resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false, connections: false },
      slos: [{ name: 'availability', objective: 0.999 }],
      statusServer: { port: 0 },
    });
    try {
      // Three healthy checks, then a third of the requests failing: every window burns far past 14.4.
      for (let check = 0; check < 5; check++) {
        for (let i = 0; i < 30; i++) await request(appPort, check >= 3 && i % 3 === 0 ? '/fail' : '/ok');
        await monitor.monitorService();
      }
      const slo = monitor.latest()!.slos!.availability!;
      assert.deepEqual([slo.good, slo.total], [130, 150]);
      assert.deepEqual(monitor.firingAlerts().map((a) => [a.rule, a.level]), [['slo:availability', 'CRITICAL']]);

      const { stdout: dom, stderr } = await chromium(['--dump-dom'], `${statusServerOf(monitor)!.url}/`);
      const section = /<section class="slos"[^>]*>(.*?)<\/section>/s.exec(dom)?.[1] ?? '';
      // 20 bad where 99.9 % of 150 allows 0.15: the budget 1 - 20 / 0.15, far overspent.
      const budget = `${Number(((1 - 20 / 0.15) * 100).toFixed(1))}%`;
      assert.ok(section.includes(`<strong class="budget-value budget-spent">${budget}</strong>`), `budget ${budget} shown`);
      assert.match(section, /\(20 bad of 150 events in [^;]+; the objective allows 0\.15\)/);
      assert.match(section, /<tr class="burn" data-alert="fast">.*?1 h: <span class="rate over">133×<\/span>.*?5 min: <span class="rate over">133×<\/span>.*?burning/s);
      assert.match(section, /The store holds 4 d\b.* of the 30 d window so far/);
      const points = [...section.matchAll(/aria-label="Error budget remaining · availability over time">.*?<\/svg>/gs)].flatMap((m) =>
        [...m[0].matchAll(/<polyline class="line" points="([^"]*)"/g)].flatMap((p) => p[1]!.trim().split(/\s+/)),
      );
      assert.equal(points.length, 5, 'one point per check');
      // The firing table: the alert's short-window burn rate against the fast alert's.
      assert.match(dom, /<td class="rule">slo:availability<\/td><td>billing<\/td><td>133× \/ 14\.4×<\/td>/);
      assert.doesNotMatch(stderr, /Refused to (load|execute|apply)|Content Security Policy/, 'no CSP violation');
    } finally {
      await monitor.shutdown();
      await close(app);
      rmSync(storeDir, { recursive: true, force: true });
    }
  },
);
