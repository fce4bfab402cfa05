/**
 * Service level objectives in process (issue 15): the event counts, the tracker's budget and
 * burn rates, the rule `slo:<name>` on a manual clock, the configuration's errors, and end to
 * end with a real server and the real SDK (events counted exactly at a latency threshold).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ConfigError, MonitoringLevel, parseConfig, setRoute, startHealthMonitoring, type HealthMonitor } from '../../src/index.js';
import { sloAlertWindows, type SloConfig } from '../../src/config/index.js';
import { RuleEngine, SloTracker, sloRule } from '../../src/evaluator/index.js';
import { EventCounts } from '../../src/evaluator/slo/event-counts.js';
import { ExplicitHistogram } from '../../src/instrumentation/aggregation/explicit-histogram.js';
import { Instrument } from '../../src/instrumentation/aggregation/instrument.js';
import { ValueType } from '@opentelemetry/api';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import type { AlertTransition, DerivedHealthMetrics, SloEvents } from '../../src/model/index.js';
import { close, listen, request, trackSockets } from '../../support/http.js';

const SERVICE = 'checkout';
const T0 = Date.UTC(2026, 11, 1);

function slo(input: Record<string, unknown> = {}, checkInterval = 15): SloConfig {
  return parseConfig({ checkInterval, slos: [{ name: 'availability', objective: 0.999, ...input }] }).slos[0]!;
}

function window(events: SloEvents, timestamp: number, seconds = 15): DerivedHealthMetrics {
  return {
    serviceId: SERVICE,
    timestamp,
    windowSeconds: seconds,
    requestCount: events.total,
    operationCount: 0,
    requestRate: events.total / seconds,
    errorCount: events.total - events.good,
    errorRate: events.total > 0 ? (events.total - events.good) / events.total : 0,
    responseTime: { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 },
    connections: 0,
    checks: [],
    sloEvents: { availability: events },
  };
}

describe('EventCounts', () => {
  it('sums the slots of a window exactly and forgets what is older than its span', () => {
    const counts = new EventCounts(15_000, 3_600_000);
    for (let i = 1; i <= 400; i++) counts.add(T0 + i * 15_000, 90, 100);
    const now = T0 + 400 * 15_000;
    assert.deepEqual(counts.sum(now, 300_000), { good: 1_800, total: 2_000 }, 'the last 20 checks');
    assert.deepEqual(counts.sum(now, 3_600_000), { good: 21_600, total: 24_000 }, 'the last 240 checks');
    assert.deepEqual(counts.sum(now, 7_200_000), { good: 21_600, total: 24_000 }, 'no more than the span');
    assert.deepEqual(counts.sum(now, 1_000), { good: 90, total: 100 }, 'a window shorter than a slot reads the latest slot');
    assert.deepEqual(counts.sum(now + 3_600_000, 300_000), { good: 0, total: 0 }, 'an hour later, nothing in the last 5 min');
    counts.add(T0, 1, 1);
    assert.deepEqual(counts.sum(now, 3_600_000), { good: 21_600, total: 24_000 }, 'an event older than the span is dropped');
  });
});

describe('bucket boundaries at latency thresholds', () => {
  it('rebucketing moves each bucket to the new one with the same upper bound (never counts a value as faster)', () => {
    const h = new ExplicitHistogram([0.1, 0.5]);
    for (const v of [0.05, 0.3, 0.7]) h.record(v);
    const next = h.rebucketed([0.1, 0.3, 0.5]);
    assert.deepEqual(Array.from(next.counts), [1, 0, 1, 1], '0.3 stays in the bucket ending at 0.5');
    assert.deepEqual([next.count, next.sum, next.min, next.max], [3, h.sum, 0.05, 0.7]);
    next.record(0.2);
    assert.deepEqual(Array.from(next.counts), [1, 1, 1, 1], 'new values land in the new buckets');
  });

  it('an instrument gains the boundary for its existing series too, values waiting in the batch included', () => {
    const instrument = new Instrument(
      { name: 'd', description: '', unit: 's', type: InstrumentType.HISTOGRAM, valueType: ValueType.DOUBLE, bounds: [0.1, 0.5] },
      10,
    );
    const series = instrument.createSeries({ a: 1 });
    series.record(0.2);
    series.record(0.4);
    instrument.addBounds([0.3, 0.5, -1, Number.NaN]);
    assert.deepEqual(instrument.descriptor.bounds, [0.1, 0.3, 0.5], 'sorted, no duplicate, nothing invalid');
    series.record(0.25);
    series.flush();
    assert.deepEqual(Array.from(series.explicit!.counts), [0, 1, 2, 0]);
    const before = instrument.descriptor.bounds;
    instrument.addBounds([0.3]);
    assert.equal(instrument.descriptor.bounds, before, 'a boundary already there changes nothing');
  });
});

describe('SloTracker', () => {
  it('gives the budget over the window and the burn rate over each alert window', () => {
    const config = slo();
    const tracker = new SloTracker([config], { checkInterval: 15, serviceName: SERVICE });
    let m: DerivedHealthMetrics | undefined;
    // 1 h of 0.05 % errors (half the allowed rate), then 5 min of 2 % errors.
    for (let i = 1; i <= 240; i++) m = tracker.track(window({ good: 19_990, total: 20_000 }, T0 + i * 15_000));
    let s = m!.slos!.availability!;
    assert.equal(s.total, 240 * 20_000);
    assert.ok(Math.abs(s.budgetRemaining - 0.5) < 1e-9, `half the budget left over the hour (${s.budgetRemaining})`);
    assert.equal(s.covered, 3_600, 'the counts cover the process lifetime, an hour');
    assert.ok(Math.abs(s.burnRates[0]!.long! - 0.5) < 1e-9);
    for (let i = 241; i <= 260; i++) m = tracker.track(window({ good: 19_600, total: 20_000 }, T0 + i * 15_000));
    s = m!.slos!.availability!;
    const fast = s.burnRates.find((a) => a.alert === 'fast')!;
    assert.deepEqual([fast.longWindow, fast.shortWindow, fast.burnRate, fast.level], [3_600, 300, 14.4, MonitoringLevel.CRITICAL]);
    assert.ok(Math.abs(fast.short! - 20) < 1e-9, `20× over the last 5 min (${fast.short})`);
    // Long window: 220 checks at 0.05 % and 20 at 2 %: 0.2125 % errors, 2.125×.
    assert.ok(Math.abs(fast.long! - 2.125) < 1e-9, `2.125× over the last hour (${fast.long})`);
    assert.equal(fast.burning, false, 'the long window is under 14.4×: no page');
  });

  it('takes back stored rows (seed) so the budget covers the whole window, each check once', () => {
    const config = slo({ window: 86_400 });
    const tracker = new SloTracker([config], { checkInterval: 15, serviceName: SERVICE });
    // A day of 5-minute tier rows (bucket end as timestamp), 0.1 % errors: the budget spent.
    const rows = Array.from({ length: 288 }, (_, i) => ({
      timestamp: T0 + (i + 1) * 300_000,
      resolution: 300,
      windowSeconds: 300,
      events: { availability: { good: 9_990, total: 10_000 } },
    }));
    tracker.seed(SERVICE, rows);
    const m = tracker.track(window({ good: 100, total: 100 }, T0 + 86_400_000 + 15_000));
    const s = m.slos!.availability!;
    assert.equal(s.covered, 86_400, 'the whole day is covered');
    // The oldest 5-minute row now starts just outside the window: a day's slots at most.
    assert.ok(s.total >= 287 * 10_000 && s.total <= 288 * 10_000 + 100, `total ${s.total}`);
    assert.ok(Math.abs(s.budgetRemaining) < 0.01, `the budget is spent (${s.budgetRemaining})`);
  });

  it('an objective of another service does not apply, and a route without traffic keeps its whole budget', () => {
    const config = parseConfig({
      serviceName: SERVICE,
      slos: [
        { name: 'other', objective: 0.99, service: 'billing' },
        { name: 'quiet', objective: 0.99, route: '/never' },
      ],
    });
    const tracker = new SloTracker(config.slos, { checkInterval: 15, serviceName: SERVICE });
    assert.deepEqual(tracker.objectivesOf(SERVICE).map((s) => s.name), ['quiet']);
    const m = tracker.track({ ...window({ good: 0, total: 0 }, T0 + 15_000), sloEvents: { quiet: { good: 0, total: 0 } } });
    const s = m.slos!.quiet!;
    assert.deepEqual([s.good, s.total, s.budgetRemaining], [0, 0, 1]);
    assert.ok(s.burnRates.every((a) => a.long === undefined && a.short === undefined && !a.burning), 'no burn rate without events');
    assert.equal(sloRule(config.slos[1]!).value(m), undefined, 'the rule has nothing to judge');
  });
});

/** Run the tracker and the rule on a manual clock: `errorRatio(i)` per 15 s check of 1,000 requests. */
function simulate(config: SloConfig, checks: number, errorRatio: (i: number) => number): Array<{ i: number; t: AlertTransition }> {
  const tracker = new SloTracker([config], { checkInterval: 15, serviceName: SERVICE });
  const engine = new RuleEngine({ rules: [sloRule(config)], staleAfter: 60 });
  const out: Array<{ i: number; t: AlertTransition }> = [];
  for (let i = 1; i <= checks; i++) {
    const now = T0 + i * 15_000;
    const bad = Math.round(1_000 * errorRatio(i));
    const m = tracker.track(window({ good: 1_000 - bad, total: 1_000 }, now));
    for (const t of engine.evaluate(m, now)) out.push({ i, t });
  }
  return out;
}

describe('slo:<name> rule', () => {
  it('100 % errors on a 99.9 % objective page (fast, CRITICAL) once the hour burned 14.4×, and the page resolves 5 min after they stop', () => {
    // An hour of clean traffic, then 10 min of errors (checks 241–280), then clean again.
    const transitions = simulate(slo({ levels: { slow: false, ticket: false } }), 400, (i) => (i > 240 && i <= 280 ? 1 : 0));
    const kinds = transitions.map(({ i, t }) => `${i} ${t.kind} ${t.alert.level}`);
    // The long window passes 1.44 % errors after 52 s of full errors: the 4th check (60 s).
    assert.equal(kinds[0], `244 firing ${MonitoringLevel.CRITICAL}`);
    const fired = transitions[0]!.t.alert;
    assert.equal(fired.rule, 'slo:availability');
    assert.equal(fired.threshold, 14.4, 'the alert carries the burn-rate threshold');
    // 4 erroring checks of the 20 in 5 min: 20 % errors on a 0.1 % budget.
    assert.ok(Math.abs(fired.value - 200) < 1e-6, `and the short window’s burn rate (${fired.value})`);
    assert.match(fired.message, /^checkout: SLO availability \(99\.9% over 30d\) burning its error budget 16\.7× as fast as it allows over 1h, 200× over 5m \(fast alert at ≥ 14\.4×: 2% of the budget in 1h\); error budget exhausted \(1639\.3% of it spent\) \(counted over 1h1m of its 30d\)$/);
    // Resolved when the last erroring check leaves the 5-minute window: check 280 + 20.
    const resolved = transitions.find(({ t }) => t.kind === 'resolved');
    assert.ok(resolved, kinds.join('\n'));
    assert.equal(resolved.i, 300, kinds.join('\n'));
    assert.match(resolved.t.alert.message, /no longer burning its error budget fast \(0× over 5m < 14\.4×\), resolved after 14m/);
  });

  it('with all three alerts: the page first, then each alert steps down as its short window clears', () => {
    const transitions = simulate(slo(), 1_000, (i) => (i > 240 && i <= 280 ? 1 : 0));
    const kinds = transitions.map(({ i, t }) => `${i} ${t.kind} ${t.alert.level}`);
    // An hour of history: the 6-hour and 3-day windows count the time before it as clean, so
    // they need the workbook's share of the budget too (5 % in 6 h: 9 checks; 10 % in 3 days:
    // 18 checks), not a share of the hour.
    assert.deepEqual(kinds.slice(0, 1), [`244 firing ${MonitoringLevel.CRITICAL}`]);
    // Down to ERROR when the 5-min window clears (300), to WARNING when the 30-min one does (400).
    assert.deepEqual(kinds.slice(1, 3), [`300 de-escalated ${MonitoringLevel.ERROR}`, `400 de-escalated ${MonitoringLevel.WARNING}`]);
    // The ticket holds while the 6-hour window burns ≥ 1× (it does, for hours): no resolve yet.
    assert.equal(kinds.length, 3, kinds.join('\n'));
  });

  it('a process a minute old pages after the same share of budget as a long-running one', () => {
    // Errors from the first check: the hour before the process is counted as clean.
    const transitions = simulate(slo(), 40, () => 1);
    assert.deepEqual(
      transitions.map(({ i, t }) => `${i} ${t.kind} ${t.alert.level}`).slice(0, 1),
      [`4 firing ${MonitoringLevel.CRITICAL}`],
      '52 s of full errors, as on a service with a clean hour behind it',
    );
  });

  it('levels follow the configuration, and an alert turned off never fires', () => {
    const config = slo({ levels: { fast: false, slow: 'critical' } });
    assert.deepEqual(sloAlertWindows(config).map((w) => w.alert), ['slow', 'ticket']);
    const transitions = simulate({ ...config, levels: { ...config.levels, ticket: false } }, 480, (i) => (i > 240 ? 1 : 0));
    assert.equal(transitions[0]!.t.kind, 'firing');
    assert.equal(transitions[0]!.t.alert.level, MonitoringLevel.CRITICAL, 'the slow pair at CRITICAL');
    assert.equal(transitions[0]!.t.alert.threshold, 6);
  });

  it('a window scaled to the objective: a 1-day objective pages on 2 % of its budget in 2 min', () => {
    const config = slo({ window: 86_400 });
    const fast = sloAlertWindows(config)[0]!;
    assert.deepEqual([fast.longWindow, fast.shortWindow, fast.burnRate], [120, 10, 14.4]);
    const transitions = simulate(config, 40, (i) => (i > 20 ? 1 : 0));
    // Long window 2 min = 8 checks: 1.44 % of it is the first erroring check; the short window
    // (10 s, under a check) reads the last check.
    assert.equal(transitions[0]!.i, 21);
  });

  it('traffic that stops: nothing burns once the short window is empty, and the page resolves', () => {
    const config = slo({ levels: { slow: false, ticket: false } });
    const tracker = new SloTracker([config], { checkInterval: 15, serviceName: SERVICE });
    const engine = new RuleEngine({ rules: [sloRule(config)], staleAfter: 60 });
    const kinds: string[] = [];
    for (let i = 1; i <= 400; i++) {
      const now = T0 + i * 15_000;
      // Errors for 2 min, then the service receives nothing for over an hour.
      const events = i <= 8 ? { good: 0, total: 100 } : { good: 0, total: 0 };
      for (const t of engine.evaluate(tracker.track(window(events, now)), now)) kinds.push(`${i} ${t.kind}`);
    }
    // Fires after 52 s of errors (the hour before the process counted as clean), resolves when
    // the short window empties (nothing burns: 20 checks after the last error), never again.
    assert.deepEqual(kinds, ['4 firing', '28 resolved']);
  });
});

describe('slos configuration', () => {
  it('lists every bad objective in one ConfigError', () => {
    let error: unknown;
    try {
      parseConfig({
        checkInterval: 30,
        slos: [
          { name: 'a', objective: 1 },
          { name: 'b', objective: 0 },
          { name: 'c', objective: 99.9 },
          { name: 'd', objective: 0.99, window: 10 },
          { name: 'e', objective: 0.99, indicator: { latency: { threshold: -1 } } },
          { name: 'a b', objective: 0.99, indicator: 'speed' as never },
        ],
      });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    const text = error.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    assert.match(text, /slos\[0\]\.objective: must be below 1: an objective of 100 % leaves no error budget/);
    assert.match(text, /slos\[1\]\.objective: must be above 0/);
    assert.match(text, /slos\[2\]\.objective: must be below 1.*99\.9 must be written 0\.999/);
    assert.match(text, /slos\[3\]\.window: must be ≥ checkInterval \(30 s\)/);
    assert.match(text, /slos\[4\]\.indicator\.latency\.threshold: must be > 0 seconds/);
    assert.match(text, /slos\[5\]\.name: must start with a letter or digit/);
    assert.match(text, /slos\[5\]\.indicator: must be 'availability' or \{ latency: \{ threshold \} \}/);
    assert.equal(error.issues.length, 7, text);
  });

  it('the minimal objective is availability over 30 days, fast CRITICAL, slow ERROR, ticket WARNING', () => {
    const s = slo();
    assert.deepEqual(s, {
      name: 'availability',
      objective: 0.999,
      window: 2_592_000,
      indicator: { kind: 'availability' },
      levels: { fast: MonitoringLevel.CRITICAL, slow: MonitoringLevel.ERROR, ticket: MonitoringLevel.WARNING },
    });
    assert.deepEqual(
      sloAlertWindows(s).map((w) => [w.alert, w.burnRate, w.longWindow, w.shortWindow]),
      [
        ['fast', 14.4, 3_600, 300],
        ['slow', 6, 21_600, 1_800],
        ['ticket', 1, 259_200, 21_600],
      ],
    );
  });
});

describe('end to end: a real server, the real SDK', () => {
  let server: http.Server;
  let port: number;
  let sockets: ReturnType<typeof trackSockets>;
  let monitor: HealthMonitor;
  let loggerProvider: LoggerProvider;

  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      setRoute(req, url.pathname === '/checkout' ? '/checkout' : '/other');
      const ms = Number(url.searchParams.get('ms') ?? 0);
      const status = Number(url.searchParams.get('status') ?? 200);
      setTimeout(() => {
        res.statusCode = status;
        res.end('x');
      }, ms);
    });
    sockets = trackSockets(server);
    port = await listen(server);
    loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: new InMemoryLogRecordExporter() })] });
    monitor = await startHealthMonitoring({
      serviceName: SERVICE,
      checkInterval: 3600,
      loggerProvider,
      hostMetrics: false,
      startupMessage: false,
      resourceThresholds: { cpu: false, memory: false, connections: false, eventLoopDelay: false },
      slos: [
        { name: 'availability', objective: 0.99 },
        // 37 ms is no default bucket boundary: the SLO adds it, so the count is exact.
        { name: 'checkout-latency', objective: 0.9, route: '/checkout', indicator: { latency: { threshold: 0.037 } } },
        { name: 'quiet', objective: 0.99, route: '/never' },
      ],
    });
    await monitor.monitorService();
  });

  after(async () => {
    await monitor.shutdown();
    await loggerProvider.shutdown();
    await close(server);
  });

  async function send(paths: string[]): Promise<void> {
    await Promise.all(paths.map((p) => request(port, p)));
    await sockets.allClosed();
  }

  it('counts good and total events per objective, exactly at the latency threshold', async () => {
    await send([
      ...Array.from({ length: 12 }, () => '/checkout'),
      ...Array.from({ length: 5 }, () => '/checkout?ms=80'),
      ...Array.from({ length: 3 }, () => '/other?status=503'),
      ...Array.from({ length: 4 }, () => '/other?status=404'),
    ]);
    const m = await monitor.monitorService();
    assert.deepEqual(m.sloEvents, {
      availability: { good: 21, total: 24 },
      'checkout-latency': { good: 12, total: 17 },
      quiet: { good: 0, total: 0 },
    });
    const latency = m.slos!['checkout-latency']!;
    // 5 slow of 17 against 10 % allowed: 2.94× the budget spent.
    assert.ok(Math.abs(latency.budgetRemaining - (1 - 5 / 17 / 0.1)) < 1e-9, String(latency.budgetRemaining));
    assert.deepEqual([latency.indicator, latency.threshold, latency.route], ['latency', 0.037, '/checkout']);
    assert.equal(m.slos!.quiet!.budgetRemaining, 1, 'a route that never gets traffic keeps its budget');
    // A young process: the alert windows count the time before its first check as clean, so
    // one window of 29 % slow requests (2.94× the budget's rate) is diluted and burns nothing.
    assert.ok(latency.burnRates.every((a) => !a.burning), JSON.stringify(latency.burnRates));
    assert.deepEqual(m.alerts.filter((a) => a.rule.startsWith('slo:')), []);
  });
});
