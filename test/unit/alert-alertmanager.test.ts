/**
 * The Alertmanager sink against real local HTTP receivers standing in for Alertmanager members:
 * what it posts (labels, annotations, startsAt/endsAt, generatorURL), re-sends on a manual
 * clock, level changes, resolve, every member getting every alert, outages (retries, bounded
 * queue, counted drops), close; its configuration (one ConfigError for every problem); and its
 * wiring into the alert pipeline (routes, restore after a restart).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { AlertPipeline } from '../../src/alerts/pipeline.js';
import { ManualScheduler } from '../../src/alerts/clock.js';
import { AlertmanagerSink, statusPageLink, type AlertmanagerOptions } from '../../src/alerts/sinks/alertmanager.js';
import { alertLabels, alertName, type AlertmanagerAlert } from '../../src/alerts/sinks/alertmanager-format.js';
import { notificationOf, type Notification } from '../../src/alerts/stage.js';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { MonitoringLevel } from '../../src/model/types.js';
import { T0, tr } from '../helpers/alerts.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A stand-in Alertmanager member: records each POST's alerts. */
async function member(t: TestContext, handler: Handler = (_req, res) => res.writeHead(200).end()) {
  const posts: { path: string; alerts: AlertmanagerAlert[]; headers: IncomingMessage['headers'] }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', alerts: JSON.parse(body) as AlertmanagerAlert[], headers: req.headers });
      handler(req, res, posts.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, endpoint: `${base}/api/v2/alerts`, posts, alerts: () => posts.flatMap((p) => p.alerts) };
}

const OPTIONS: Omit<AlertmanagerOptions, 'url'> = {
  instance: false,
  labels: {},
  headers: { authorization: 'Bearer top-secret' },
  resendDelay: 60,
  timeout: 0.3,
  retries: 3,
  backoff: 1,
  maxBackoff: 30,
  maxRetryAfter: 60,
  queueSize: 100,
  maxBatch: 64,
};

function sink(urls: string[], options: Partial<AlertmanagerOptions> = {}) {
  const scheduler = new ManualScheduler(T0);
  const sleeps: number[] = [];
  const reports: string[] = [];
  const s = new AlertmanagerSink(
    'am',
    { ...OPTIONS, url: urls, ...options },
    { scheduler, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, report: (m) => reports.push(m), hostname: () => 'host-7' },
  );
  return { s, scheduler, sleeps, reports };
}

const note = (kind: Parameters<typeof tr>[0], at = T0, options: Parameters<typeof tr>[2] = {}): Notification =>
  notificationOf(options.service ?? 'checkout', [{ transition: tr(kind, at, { startsAt: T0, ...options }) }], at);

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('alertmanager sink', () => {
  it('firing: one POST to /api/v2/alerts with labels, annotations, startsAt, endsAt 4 re-sends ahead', async (t) => {
    const am = await member(t);
    const { s } = sink([am.endpoint], { generatorURL: 'https://status.example/' });
    s.send(note('firing'));
    await s.flush(5000);
    assert.equal(am.posts.length, 1);
    assert.equal(am.posts[0]!.path, '/api/v2/alerts');
    assert.equal(am.posts[0]!.headers.authorization, 'Bearer top-secret');
    const [alert] = am.posts[0]!.alerts;
    assert.deepEqual(alert!.labels, { alertname: 'OtelHealthErrorRate', service: 'checkout', rule: 'error_rate', severity: 'error' });
    assert.equal(alert!.annotations.summary, 'checkout: error_rate firing');
    assert.match(alert!.annotations.description!, /value 1, threshold 0\.5/);
    assert.equal(alert!.startsAt, new Date(T0).toISOString());
    assert.equal(alert!.endsAt, new Date(T0 + 4 * 60_000).toISOString());
    assert.equal(alert!.generatorURL, 'https://status.example/');
    assert.deepEqual([s.stats().sent, s.stats().firing], [1, 1]);
  });

  it('re-sends what fires every resendDelay with a fresh endsAt; a resolve is posted once with endsAt = when it resolved, and the timer stops', async (t) => {
    const am = await member(t);
    const { s, scheduler } = sink([am.endpoint], { resendDelay: 30 });
    s.send(note('firing'));
    await s.flush(5000);
    scheduler.advance(30_000);
    await s.flush(5000);
    scheduler.advance(30_000);
    await s.flush(5000);
    assert.deepEqual(
      am.alerts().map((a) => a.endsAt),
      [T0 + 120_000, T0 + 150_000, T0 + 180_000].map((ms) => new Date(ms).toISOString()),
    );
    assert.equal(s.stats().resends, 2);
    s.send(note('resolved', T0 + 70_000));
    await s.flush(5000);
    const last = am.alerts().at(-1)!;
    assert.equal(last.endsAt, new Date(T0 + 70_000).toISOString());
    assert.equal(s.stats().firing, 0);
    // Nothing fires: no timer is left, nothing more is posted.
    scheduler.advance(600_000);
    await s.flush(5000);
    assert.equal(am.posts.length, 4);
    assert.equal(scheduler.pendingTimers, 0);
  });

  it('an escalation ends the lower label set (severity) and fires the higher; a de-escalation keeps the highest until the resolve', async (t) => {
    const am = await member(t);
    const { s } = sink([am.endpoint]);
    // Each delivered before the next (what waits in the queue is replaced by a newer state of it).
    for (const [kind, at, level] of [
      ['firing', T0, MonitoringLevel.WARNING],
      ['escalated', T0 + 15_000, MonitoringLevel.CRITICAL],
      ['de-escalated', T0 + 30_000, MonitoringLevel.WARNING],
      ['resolved', T0 + 45_000, MonitoringLevel.WARNING],
    ] as const) {
      s.send(note(kind, at, { level }));
      await s.flush(5000);
    }
    assert.match(am.alerts()[3]!.annotations.summary!, /de-escalated/);
    const iso = (ms: number): string => new Date(ms).toISOString();
    assert.deepEqual(
      am.alerts().map((a) => [a.labels.severity, a.endsAt]),
      [
        ['warning', iso(T0 + 240_000)],
        ['warning', iso(T0 + 15_000)],
        ['critical', iso(T0 + 240_000)],
        ['critical', iso(T0 + 240_000)],
        ['critical', iso(T0 + 45_000)],
      ],
    );
    assert.equal(s.stats().firing, 0);
  });

  it('instance: off by default (replicas merge), true for the host name, or a given value; static labels; check/anomaly/slo labels', () => {
    const alert = tr('firing', T0, { rule: 'check:database' }).alert;
    assert.equal(alertLabels(alert, { labels: {} }).instance, undefined);
    assert.deepEqual(alertLabels(alert, { labels: { env: 'prod' }, instance: 'pod-1' }), {
      env: 'prod',
      alertname: 'OtelHealthCheck',
      service: 'checkout',
      rule: 'check:database',
      severity: 'error',
      check: 'database',
      instance: 'pod-1',
    });
    assert.equal(alertName('anomaly:response_time'), 'OtelHealthAnomaly');
    assert.equal(alertName('slo:availability'), 'OtelHealthSloBurnRate');
    assert.equal(alertName('event_loop_delay'), 'OtelHealthEventLoopDelay');
    assert.equal(statusPageLink('http://0.0.0.0:8150', () => 'web-3'), 'http://web-3:8150/');
    assert.equal(statusPageLink('http://127.0.0.1:8150'), 'http://127.0.0.1:8150/');
  });

  it('instance: true labels each alert with the host name; the status page becomes the generatorURL', async (t) => {
    const am = await member(t);
    const { s } = sink([am.endpoint], { instance: true });
    s.setStatusPage('http://127.0.0.1:8150');
    s.send(note('firing'));
    await s.flush(5000);
    assert.equal(am.alerts()[0]!.labels.instance, 'host-7');
    assert.equal(am.alerts()[0]!.generatorURL, 'http://127.0.0.1:8150/');
  });

  it('every member gets every alert; one down holds back only itself (retried, then failed), and gets the alert on the next re-send', async (t) => {
    let down = true;
    const a = await member(t);
    const b = await member(t, (_req, res) => res.writeHead(down ? 503 : 200).end());
    const { s, scheduler, sleeps, reports } = sink([a.endpoint, b.endpoint], { retries: 2 });
    s.send(note('firing'));
    await until(() => a.posts.length === 1);
    await s.flush(5000);
    assert.equal(b.posts.length, 3);
    assert.deepEqual(sleeps, [750, 1500]);
    const [statsA, statsB] = s.stats().members;
    assert.deepEqual([statsA!.sent, statsA!.failed], [1, 0]);
    assert.deepEqual([statsB!.sent, statsB!.failed, statsB!.retries, statsB!.lastError], [0, 1, 2, 'http 503']);
    assert.equal(reports.length, 1);
    assert.doesNotMatch(reports.join('\n'), /top-secret|api\/v2/);
    down = false;
    scheduler.advance(60_000);
    await s.flush(5000);
    assert.equal(b.posts.at(-1)!.alerts[0]!.labels.alertname, 'OtelHealthErrorRate');
    assert.equal(s.stats().members[1]!.sent, 1);
  });

  it('an outage: the queue keeps the newest state of each alert, bounded; drops are counted; retries honour Retry-After', async (t) => {
    const am = await member(t, () => undefined); // never answers
    const { s, reports } = sink([am.endpoint], { retries: 0, timeout: 0.2, queueSize: 2, maxBatch: 1 });
    s.send(note('firing', T0, { rule: 'cpu' })); // in flight
    s.send(note('firing', T0, { rule: 'memory' }));
    s.send(note('firing', T0, { rule: 'memory', level: MonitoringLevel.ERROR })); // replaces the waiting one
    s.send(note('firing', T0, { rule: 'connections' }));
    s.send(note('firing', T0, { rule: 'error_rate' })); // the queue is full
    assert.deepEqual([s.stats().queued, s.stats().dropped], [2, 1]);
    assert.match(reports[0]!, /queue full/);
    await until(() => s.stats().failed === 3);
    assert.equal(s.stats().lastError, 'timeout');

    const busy = await member(t, (_req, res, n) => (n === 1 ? res.writeHead(429, { 'retry-after': '7' }).end() : res.writeHead(200).end()));
    const second = sink([busy.endpoint]);
    second.s.send(note('firing'));
    await second.s.flush(5000);
    assert.deepEqual([second.s.stats().sent, second.sleeps], [1, [7000]]);
  });

  it('close: the attempt in flight is aborted, the queue abandoned, no re-send timer left; later alerts are abandoned too', async (t) => {
    const am = await member(t, () => undefined);
    const { s, scheduler } = sink([am.endpoint], { timeout: 30, maxBatch: 1 });
    s.send(note('firing', T0, { rule: 'cpu' }));
    s.send(note('firing', T0, { rule: 'memory' }));
    await until(() => am.posts.length === 1);
    s.close();
    await s.flush(2000);
    s.send(note('firing', T0, { rule: 'connections' }));
    assert.equal(s.stats().abandoned, 3);
    assert.equal(scheduler.pendingTimers, 0);
  });
});

describe('alertmanager sink configuration', () => {
  it('defaults; a URL becomes its /api/v2/alerts endpoint', () => {
    const config = parseConfig({ alerts: { sinks: { am: { type: 'alertmanager', url: ['http://am-0:9093', 'https://am.example/prefix/'] } }, defaultRoute: { sinks: ['am'] } } });
    const plan = config.alertsPlan.sinks.get('am') as AlertmanagerOptions & { type: string };
    assert.deepEqual(plan.url, ['http://am-0:9093/api/v2/alerts', 'https://am.example/prefix/api/v2/alerts']);
    assert.deepEqual([plan.resendDelay, plan.timeout, plan.instance, plan.queueSize, plan.maxBatch], [60, 10, false, 1000, 64]);
    // The section as written parses again to the same thing.
    assert.deepEqual(parseConfig({ alerts: config.alerts }).alerts, config.alerts);
  });

  it('one ConfigError names every bad field', () => {
    let error: unknown;
    try {
      parseConfig({
        alerts: {
          sinks: {
            empty: { type: 'alertmanager', url: [] },
            bad: {
              type: 'alertmanager',
              url: ['ftp://am', 'http://user:pw@am:9093', 'http://am:9093', 'http://am:9093/'],
              instance: '',
              labels: { severity: 'page', 'no-dash': 'x' },
              generatorURL: 'status page',
              resendDelay: 0,
            },
            headers: { type: 'alertmanager', url: 'http://am:9093', headers: { authorization: { env: 'OTEL_HEALTH_TEST_UNSET_VARIABLE' } } },
          },
        },
      });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(
      error.issues.map((i) => i.path),
      [
        'alerts.sinks.empty.url',
        'alerts.sinks.bad.url.0',
        'alerts.sinks.bad.url.1',
        'alerts.sinks.bad.url.3',
        'alerts.sinks.bad.instance',
        'alerts.sinks.bad.labels.severity',
        'alerts.sinks.bad.labels.no-dash',
        'alerts.sinks.bad.generatorURL',
        'alerts.sinks.bad.resendDelay',
      ],
    );
    assert.match(error.message, /at least one Alertmanager URL/);
    assert.match(error.message, /http or https/);
    assert.match(error.message, /credentials/);
    assert.match(error.message, /same Alertmanager twice/);
  });

  it('a missing header variable is named, its sink otherwise valid', () => {
    assert.throws(
      () => parseConfig({ alerts: { sinks: { am: { type: 'alertmanager', url: 'http://am:9093', headers: { authorization: { env: 'OTEL_HEALTH_TEST_UNSET_VARIABLE' } } } } } }),
      (e: unknown) => e instanceof ConfigError && e.issues.length === 1 && /OTEL_HEALTH_TEST_UNSET_VARIABLE is not set/.test(e.message),
    );
  });
});

describe('alertmanager sink in the pipeline', () => {
  it('a route to it: the pipeline posts firing and resolved; after a restart the restored firing alert is posted again', async (t) => {
    const am = await member(t);
    const config = parseConfig({
      serviceName: 'checkout',
      alerts: { sinks: { am: { type: 'alertmanager', url: am.base, resendDelay: 10 } }, defaultRoute: { sinks: ['am'] } },
    });
    const scheduler = new ManualScheduler(T0);
    const deps = { serviceName: 'checkout', scheduler, alertmanager: { sleep: async () => undefined } };
    const pipeline = new AlertPipeline(config.alertsPlan, deps);
    const firing = tr('firing', T0);
    pipeline.push([firing]);
    await pipeline.flush();
    assert.deepEqual(am.alerts().map((a) => a.labels.severity), ['error']);
    const snapshot = pipeline.snapshot();
    pipeline.close();

    // A new process restores the state: Alertmanager hears of the alert again at once, and on.
    const restarted = new AlertPipeline(config.alertsPlan, deps);
    scheduler.advance(5_000);
    restarted.restore(snapshot);
    await restarted.flush();
    assert.equal(am.alerts().length, 2);
    assert.equal(am.alerts()[1]!.endsAt, new Date(T0 + 5_000 + 40_000).toISOString());
    scheduler.advance(10_000);
    await restarted.flush();
    assert.equal(am.alerts().length, 3);
    restarted.push([tr('resolved', T0 + 20_000, { startsAt: T0 })]);
    await restarted.flush();
    assert.equal(am.alerts().at(-1)!.endsAt, new Date(T0 + 20_000).toISOString());
    assert.equal((restarted.stats().sinks.am as unknown as { firing: number }).firing, 0);
    restarted.close();
  });
});
