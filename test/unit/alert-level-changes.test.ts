/**
 * Issue 11: level changes and flapping as every sink, the alert records, ActiveAlerts,
 * inhibition, routing and the status page see them. Real components: an AlertPipeline on a
 * manual scheduler, a webhook sink POSTing to a receiver on 127.0.0.1, the console sink (also the
 * default console output), the otel-log sink into an SDK LoggerProvider, the page rendered from a real AlertHistory. The transitions are made here (tr()), as the
 * rule engine makes them.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { ActiveAlerts } from '../../src/alerts/active.js';
import { ManualScheduler } from '../../src/alerts/clock.js';
import { AlertPipeline } from '../../src/alerts/pipeline.js';
import { parseAlertsConfig } from '../../src/config/index.js';
import type { Notification } from '../../src/alerts/stage.js';
import { MonitoringLevel, type AlertTransition } from '../../src/model/types.js';
import { AlertHistory } from '../../src/history/alert-history.js';
import { renderPage, type StatusSnapshot } from '../../src/http/page.js';
import type { AlertLogRecord, LoggerLike } from '../../src/model/otel-logs.js';
import { T0, tr } from '../helpers/alerts.js';

const { CRITICAL, ERROR, WARNING } = MonitoringLevel;

function deEscalated(at: number, level: MonitoringLevel, previousLevel: MonitoringLevel, options: Parameters<typeof tr>[2] = {}): AlertTransition {
  return { ...tr('de-escalated', at, { ...options, level }), previousLevel };
}

async function receiver(t: TestContext): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

/** The otel-log sink's logger: records kept, and handed to an SDK logger. */
function loggers(): { logger: LoggerLike; records: AlertLogRecord[]; provider: LoggerProvider } {
  const provider = new LoggerProvider();
  const sdk = provider.getLogger('otel-health');
  const records: AlertLogRecord[] = [];
  return {
    records,
    provider,
    logger: {
      emit(record) {
        records.push(record);
        sdk.emit(record as Parameters<typeof sdk.emit>[0]);
      },
    },
  };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

type WebhookAlert = { transition: string; level: string; state: string; previousLevel?: string; flapping?: { changes: number; windowSeconds: number }; message: string };
const alertsOf = (body: unknown): WebhookAlert[] => (body as { alerts: WebhookAlert[] }).alerts;
const noSleep = { sleep: async () => undefined, random: () => 0.5, report: () => undefined };

describe('de-escalation through the pipeline: CRITICAL → ERROR → resolved', () => {
  it('every sink delivers the drop, at the new level, with the level before', async (t) => {
    const rx = await receiver(t);
    const clock = new ManualScheduler(T0);
    const { logger, records, provider } = loggers();
    const consoleLines: string[] = [];
    const pipeline = new AlertPipeline(
      parseAlertsConfig({
        cooldown: 0,
        sinks: { hook: { type: 'webhook', url: rx.url, allowHttp: true } },
        defaultRoute: { sinks: ['otel-log', 'console', 'hook'] },
      }, {}),
      { logger, serviceName: 'checkout', scheduler: clock, write: (line) => consoleLines.push(line), webhook: noSleep },
    );
    pipeline.push([tr('firing', clock.now(), { level: CRITICAL })]);
    clock.advance(30_000);
    pipeline.push([deEscalated(clock.now(), ERROR, CRITICAL, { startsAt: T0 })]);
    clock.advance(30_000);
    pipeline.push([tr('resolved', clock.now(), { level: ERROR, startsAt: T0 })]);
    await pipeline.flush();
    await until(() => rx.bodies.length === 3);
    pipeline.close();
    await provider.shutdown();

    // Console sink (also the default console output): the drop is a line of its own, at the new
    // level, saying from which.
    assert.equal(consoleLines.length, 3);
    assert.match(consoleLines[0]!, /^\S+ \[otel-health\] CRITICAL firing checkout: error_rate firing$/);
    assert.match(consoleLines[1]!, /^\S+ \[otel-health\] ERROR de-escalated checkout: error_rate de-escalated$/);
    assert.match(consoleLines[2]!, /^\S+ \[otel-health\] ERROR resolved checkout: error_rate resolved$/);
    assert.deepEqual(
      consoleLines.map((l) => l.replace(/^\S+ \[otel-health\] /, '')),
      ['CRITICAL firing checkout: error_rate firing', 'ERROR de-escalated checkout: error_rate de-escalated', 'ERROR resolved checkout: error_rate resolved'],
    );

    // Alert records: the drop has the new level's severity and the level before.
    assert.deepEqual(
      records.map((r) => [r.attributes!['health.alert.transition'], r.severityNumber, r.severityText, r.attributes!['health.alert.level'], r.attributes!['health.alert.previous_level']]),
      [
        ['firing', 21, 'FATAL', 'CRITICAL', undefined],
        ['de-escalated', 17, 'ERROR', 'ERROR', 'CRITICAL'],
        ['resolved', 9, 'INFO', 'ERROR', undefined],
      ],
    );

    // Webhook: the receiver sees the drop before the resolve, so it never gets a resolve at a level it did not see.
    assert.deepEqual(
      rx.bodies.map((b) => alertsOf(b).map((a) => [a.transition, a.level, a.state, a.previousLevel])),
      [[['firing', 'CRITICAL', 'firing', undefined]], [['de-escalated', 'ERROR', 'firing', 'CRITICAL']], [['resolved', 'ERROR', 'resolved', undefined]]],
    );
  });

  it('a route can take drops from CRITICAL by health.alert.previous_level', () => {
    const clock = new ManualScheduler(T0);
    const got: Notification[] = [];
    const pipeline = new AlertPipeline(
      parseAlertsConfig({
        cooldown: 0,
        sinks: { pager: { type: 'callback', fn: (n: Notification) => void got.push(n) } },
        routes: [{ match: { attributes: { 'health.alert.transition': 'de-escalated', 'health.alert.previous_level': 'CRITICAL' } }, sink: 'pager' }],
        defaultRoute: { sinks: ['console'] },
      }, {}),
      { serviceName: 'checkout', scheduler: clock, write: () => undefined },
    );
    pipeline.push([tr('firing', clock.now(), { level: CRITICAL })]);
    pipeline.push([deEscalated(clock.now(), ERROR, CRITICAL)]);
    pipeline.push([tr('escalated', clock.now(), { level: CRITICAL })]);
    pipeline.push([deEscalated(clock.now(), WARNING, ERROR, { rule: 'cpu' })]);
    assert.deepEqual(
      got.flatMap((n) => n.alerts.map((a) => `${a.transition.alert.rule} ${a.transition.kind} ${a.transition.alert.level}`)),
      ['error_rate de-escalated ERROR'],
    );
  });
});

describe('flapping notifications in every sink', () => {
  it('console, default console, alert record and webhook say how often it changed and its state now; the settled state follows', async (t) => {
    const rx = await receiver(t);
    const clock = new ManualScheduler(T0);
    const { logger, records, provider } = loggers();
    const consoleLines: string[] = [];
    const pipeline = new AlertPipeline(
      parseAlertsConfig({
        cooldown: 300,
        flapThreshold: 4,
        sinks: { hook: { type: 'webhook', url: rx.url, allowHttp: true } },
        defaultRoute: { sinks: ['otel-log', 'console', 'hook'] },
      }, {}),
      { logger, serviceName: 'checkout', scheduler: clock, write: (line) => consoleLines.push(line), webhook: noSleep },
    );
    // error_rate fires and resolves twice: its 4th change (a resolve) makes it flapping, now resolved.
    // cpu goes WARNING → ERROR → WARNING → ERROR: its 4th change makes it flapping, now firing at ERROR;
    // its 5th (down to WARNING) is folded, and delivered as its true state once it has settled.
    const steps: AlertTransition[][] = [
      [tr('firing', T0, { level: ERROR }), tr('firing', T0, { rule: 'cpu', level: WARNING })],
      [tr('resolved', T0 + 10_000, { level: ERROR, startsAt: T0 }), { ...tr('escalated', T0 + 10_000, { rule: 'cpu', level: ERROR, startsAt: T0 }), previousLevel: WARNING }],
      [tr('firing', T0 + 20_000, { level: ERROR }), deEscalated(T0 + 20_000, WARNING, ERROR, { rule: 'cpu', startsAt: T0 })],
      [tr('resolved', T0 + 30_000, { level: ERROR, startsAt: T0 + 20_000 }), { ...tr('escalated', T0 + 30_000, { rule: 'cpu', level: ERROR, startsAt: T0 }), previousLevel: WARNING }],
      [deEscalated(T0 + 40_000, WARNING, ERROR, { rule: 'cpu', startsAt: T0 })],
    ];
    for (const step of steps) {
      clock.advance(step[0]!.at - clock.now());
      pipeline.push(step);
    }
    clock.advance(301_000);
    pipeline.tick();
    await pipeline.flush();
    await until(() => rx.bodies.length === 5);
    pipeline.close();
    await provider.shutdown();

    // One console line per alert (the notification held both flapping alerts).
    const flapLines = consoleLines.filter((l) => l.includes(' flapping '));
    assert.equal(flapLines.length, 2, consoleLines.join('\n'));
    assert.equal(flapLines[0]!.slice(0, 24), flapLines[1]!.slice(0, 24), 'one notification: the same time');
    assert.match(consoleLines.at(-1)!, /^\S+ \[otel-health\] WARNING firing checkout: cpu de-escalated$/, 'the settled true state');

    const flapRecords = records.filter((r) => r.attributes!['health.alert.transition'] === 'flapping');
    assert.deepEqual(
      flapRecords.map((r) => [r.attributes!['health.alert.rule'], r.severityNumber, r.severityText, r.attributes!['health.alert.state'], r.attributes!['health.alert.level'], r.attributes!['health.alert.flapping.changes'], r.attributes!['health.alert.flapping.window']]),
      [
        ['error_rate', 9, 'INFO', 'resolved', 'ERROR', 4, 30],
        ['cpu', 17, 'ERROR', 'firing', 'ERROR', 4, 30],
      ],
    );
    assert.deepEqual(
      // Both rules fire together on checkout: each line names the incident and its cause.
      flapLines.map((l) => l.replace(/^\S+ \[otel-health\] /, '').replace(/\(incident [0-9a-f]{16}: /, '(incident <id>: ')),
      [
        'ERROR flapping checkout: error_rate flapping, 4 changes in 30s; now resolved: checkout: error_rate resolved (incident <id>: cpu)',
        'ERROR flapping checkout: cpu flapping, 4 changes in 30s; now firing at ERROR: checkout: cpu escalated (incident <id>: cpu)',
      ],
    );

    const hookAlerts = rx.bodies.flatMap(alertsOf);
    assert.deepEqual(
      hookAlerts.filter((a) => a.transition === 'flapping').map((a) => [a.state, a.level, a.flapping]),
      [
        ['resolved', 'ERROR', { changes: 4, windowSeconds: 30 }],
        ['firing', 'ERROR', { changes: 4, windowSeconds: 30 }],
      ],
    );
    assert.deepEqual(
      hookAlerts.filter((a) => a.transition !== 'flapping').map((a) => [a.transition, a.level, a.previousLevel]),
      [
        ['firing', 'ERROR', undefined],
        ['firing', 'WARNING', undefined],
        ['resolved', 'ERROR', undefined],
        ['escalated', 'ERROR', 'WARNING'],
        ['firing', 'ERROR', undefined],
        ['de-escalated', 'WARNING', 'ERROR'],
        ['firing', 'WARNING', undefined],
      ],
    );
  });
});

describe('ActiveAlerts and inhibition follow level changes', () => {
  it('a de-escalation changes the level in place; a flapping notification of a resolved alert removes it, of a firing one keeps it', () => {
    const active = new ActiveAlerts();
    active.observe(tr('firing', T0, { rule: 'cpu', level: CRITICAL }));
    active.observe(tr('firing', T0, { rule: 'memory', level: WARNING }));
    active.observe(deEscalated(T0 + 1000, ERROR, CRITICAL, { rule: 'cpu' }));
    assert.deepEqual(active.of('checkout').map((a) => `${a.rule} ${a.level}`), ['cpu ERROR', 'memory WARNING']);
    active.observe({ ...tr('flapping', T0 + 2000, { rule: 'cpu', level: ERROR }), flapping: { changes: 5, windowSeconds: 60 } });
    assert.deepEqual(active.of('checkout').map((a) => `${a.rule} ${a.level} ${a.state}`), ['cpu ERROR firing', 'memory WARNING firing']);
    const resolvedFlap = tr('flapping', T0 + 3000, { rule: 'memory', level: WARNING });
    active.observe({ ...resolvedFlap, alert: { ...resolvedFlap.alert, state: 'resolved', endsAt: T0 + 3000 }, flapping: { changes: 5, windowSeconds: 60 } });
    assert.deepEqual(active.of('checkout').map((a) => `${a.rule} ${a.level}`), ['cpu ERROR']);
    assert.equal(active.size, 1);
  });

  it('a CRITICAL that drops to ERROR stops inhibiting the service’s WARNINGs', () => {
    const clock = new ManualScheduler(T0);
    const got: string[] = [];
    const pipeline = new AlertPipeline(
      parseAlertsConfig({ cooldown: 0, sinks: { cb: { type: 'callback', fn: (n: Notification) => void got.push(...n.alerts.map((a) => `${a.transition.alert.rule} ${a.transition.kind} ${a.transition.alert.level}`)) } }, defaultRoute: { sinks: ['cb'] } }, {}),
      { serviceName: 'checkout', scheduler: clock },
    );
    pipeline.push([tr('firing', clock.now(), { rule: 'cpu', level: CRITICAL })]);
    pipeline.push([tr('firing', clock.now(), { rule: 'memory', level: WARNING })]);
    pipeline.push([deEscalated(clock.now(), ERROR, CRITICAL, { rule: 'cpu' })]);
    pipeline.push([tr('firing', clock.now(), { rule: 'connections', level: WARNING })]);
    assert.deepEqual(got, ['cpu firing CRITICAL', 'cpu de-escalated ERROR', 'connections firing WARNING']);
  });

  it('a notified CRITICAL that drops to an inhibited WARNING is still told of the drop; one inhibited before stays inhibited', () => {
    const clock = new ManualScheduler(T0);
    const got: string[] = [];
    const pipeline = new AlertPipeline(
      parseAlertsConfig({ cooldown: 0, sinks: { cb: { type: 'callback', fn: (n: Notification) => void got.push(...n.alerts.map((a) => `${a.transition.alert.rule} ${a.transition.kind} ${a.transition.alert.level}`)) } }, defaultRoute: { sinks: ['cb'] } }, {}),
      { serviceName: 'checkout', scheduler: clock },
    );
    pipeline.push([tr('firing', clock.now(), { rule: 'cpu', level: CRITICAL }), tr('firing', clock.now(), { rule: 'memory', level: CRITICAL })]);
    // memory drops to WARNING while cpu is CRITICAL: its receivers knew it CRITICAL.
    pipeline.push([deEscalated(clock.now(), WARNING, CRITICAL, { rule: 'memory' })]);
    pipeline.push([tr('resolved', clock.now(), { rule: 'memory', level: WARNING })]);
    // A failing check inhibits error_rate at every level: its drop stays inhibited, and so does its resolve.
    pipeline.push([tr('firing', clock.now(), { rule: 'check:db' }), tr('firing', clock.now(), { rule: 'error_rate', level: CRITICAL })]);
    pipeline.push([deEscalated(clock.now(), ERROR, CRITICAL, { rule: 'error_rate' })]);
    pipeline.push([tr('resolved', clock.now(), { rule: 'error_rate', level: ERROR })]);
    assert.deepEqual(got, [
      'cpu firing CRITICAL',
      'memory firing CRITICAL',
      'memory de-escalated WARNING',
      'memory resolved WARNING',
      'check:db firing ERROR',
    ]);
  });
});

describe('status page: the timeline and the transitions table show level changes', () => {
  function snapshot(history: AlertHistory, now: number): StatusSnapshot {
    return {
      serviceName: 'checkout',
      now,
      checkInterval: 15,
      retention: 3600,
      shuttingDown: false,
      ready: { ready: true, status: 'ready' },
      level: MonitoringLevel.INFO,
      services: [{ serviceId: 'checkout', latest: undefined, history: [] }],
      firing: [],
      alertHistory: history.query(),
      thresholds: {},
    };
  }
  const bars = (html: string): string[] => [...html.matchAll(/<rect class="bar lv-(\w+)"[^>]*><title>[^<]*: (\w+) ([\d:]+)–([\d:]+|now)<\/title>/g)].map((m) => `${m[2]} ${m[3]}–${m[4]}`);

  it('a de-escalation ends the CRITICAL bar and starts an ERROR one; the table says from which level', () => {
    const history = new AlertHistory({ retention: 3600 });
    // T0 is 22:13:20 UTC.
    history.push(tr('firing', T0, { level: CRITICAL }));
    history.push(deEscalated(T0 + 60_000, ERROR, CRITICAL, { startsAt: T0 }));
    history.push(tr('resolved', T0 + 120_000, { level: ERROR, startsAt: T0 }));
    const { html } = renderPage(snapshot(history, T0 + 180_000));
    assert.deepEqual(bars(html), ['CRITICAL 22:13:20–22:14:20', 'ERROR 22:14:20–22:15:20']);
    const kinds = [...html.matchAll(/<td class="kind">([^<]*)<\/td>/g)].map((m) => m[1]);
    assert.deepEqual(kinds, ['resolved', 'de-escalated (from CRITICAL)', 'firing']);
  });

  it('a flapping entry (should the history hold one) follows the alert’s state: resolved ends the bar', () => {
    const history = new AlertHistory({ retention: 3600 });
    history.push(tr('firing', T0, { level: ERROR }));
    const flap = tr('flapping', T0 + 30_000, { level: ERROR, startsAt: T0 });
    history.push({ ...flap, alert: { ...flap.alert, state: 'resolved', endsAt: T0 + 30_000 }, flapping: { changes: 5, windowSeconds: 30 } });
    history.push(tr('flapping', T0 + 40_000, { level: ERROR }));
    history.push(tr('flapping', T0 + 50_000, { level: ERROR }));
    const { html } = renderPage(snapshot(history, T0 + 60_000));
    assert.deepEqual(bars(html), ['ERROR 22:13:20–22:13:50', 'ERROR 22:14:00–now']);
  });
});
