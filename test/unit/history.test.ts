import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MonitoringLevel, type AlertTransition, type HealthMetrics, type SloStatus } from '../../src/model/types.js';
import {
  AlertHistory,
  DEFAULT_MAX_CAPACITY,
  HealthHistory,
  MetricsHistory,
  historyCapacity,
} from '../../src/history/index.js';

const START = 1_700_000_000_000;
const DAY = 86_400;

function metrics(timestamp: number, over: Partial<HealthMetrics> = {}): HealthMetrics {
  return {
    serviceId: 'checkout',
    timestamp,
    windowSeconds: 15,
    status: 'healthy',
    level: MonitoringLevel.INFO,
    requestCount: 1500,
    operationCount: 0,
    requestRate: 100,
    errorCount: 15,
    errorRate: 0.01,
    responseTime: { avg: 0.02, p50: 0.015, p95: 0.08, p99: 0.2, max: 0.9 },
    cpu: 0.25,
    memory: { rss: 180_000_000, heapUsed: 60_000_000, heapLimit: 4_345_298_944, utilization: 0.0138 },
    connections: 12,
    eventLoopDelay: { p50: 0.01, p99: 0.03, max: 0.05, utilization: 0.2 },
    checks: [
      { name: 'db', ok: true, durationMs: 3 },
      { name: 'cache', ok: false, durationMs: 1, error: 'down' },
    ],
    alerts: [],
    ...over,
  };
}

/** An objective's status after a check, as the evaluator gives it (a 30-day window, all three alerts). */
function slo(name: string, budgetRemaining: number, fast?: number): SloStatus {
  const alert = (a: 'fast' | 'slow' | 'ticket', burnRate: number, longWindow: number, long?: number) => ({
    alert: a, level: MonitoringLevel.WARNING, burnRate, longWindow, shortWindow: longWindow / 12, burning: false,
    ...(long !== undefined ? { long, short: long } : {}),
  });
  return {
    name, objective: 0.999, window: 30 * DAY, indicator: 'availability', good: 999, total: 1000, covered: 3600, budgetRemaining,
    burnRates: [alert('fast', 14.4, 3600, fast), alert('slow', 6, 21_600, 2), alert('ticket', 1, 259_200, 1)],
  };
}

const close = (a: number | undefined, b: number, rel = 1e-6): boolean => a !== undefined && Math.abs(a - b) <= Math.abs(b) * rel;

describe('MetricsHistory', () => {
  it('capacity = ceil(retention / checkInterval) + 1, capped', () => {
    assert.equal(historyCapacity(DAY, 15), 5761);
    assert.equal(historyCapacity(60, 0.2), 301);
    assert.equal(historyCapacity(10, 3), 5);
    assert.equal(historyCapacity(DAY, 0.2), DEFAULT_MAX_CAPACITY);
    assert.equal(historyCapacity(DAY, 0.2, 1000), 1000);
  });

  it('24 h of 15 s checks: 5,761 rows in at most 2 MB', (t) => {
    const h = new MetricsHistory('checkout', { retention: DAY, checkInterval: 15 });
    for (let i = 0; i < 5761; i++) h.push(metrics(START + i * 15_000));
    assert.equal(h.size, 5761);
    const bytes = h.byteSize();
    t.diagnostic(`history of 5761 rows (24 h of 15 s checks, one service): ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB), ${MetricsHistory.BYTES_PER_ROW} bytes/row`);
    assert.equal(bytes, 5761 * MetricsHistory.BYTES_PER_ROW);
    assert.ok(bytes <= 2 * 1024 * 1024, `${bytes} bytes`);
    const rows = h.query();
    assert.equal(rows[0]!.timestamp, START);
    assert.equal(rows.at(-1)!.timestamp, START + 5760 * 15_000);

    // One more check: exactly 24 h is kept, the row before leaves.
    h.push(metrics(START + 5761 * 15_000));
    assert.equal(h.size, 5761);
    assert.equal(h.query()[0]!.timestamp, START + 15_000);
    assert.equal(h.byteSize(), bytes, 'no growth past capacity');
  });

  it('grows with use: a young history is small', () => {
    const h = new MetricsHistory('s', { retention: DAY, checkInterval: 15 });
    h.push(metrics(START));
    assert.ok(h.byteSize() < 10_000, `${h.byteSize()}`);
  });

  it('round-trips the numeric fields; absent values stay absent', () => {
    const h = new MetricsHistory('checkout', { retention: 3600, checkInterval: 15 });
    const full = metrics(START, {
      status: 'unhealthy',
      level: MonitoringLevel.CRITICAL,
      alerts: [
        {
          rule: 'error_rate',
          level: MonitoringLevel.CRITICAL,
          state: 'firing',
          value: 0.5,
          threshold: 0.25,
          serviceId: 'checkout',
          fingerprint: 'f',
          startsAt: START,
          message: 'm',
        },
      ],
    });
    h.push(full);
    h.push(
      metrics(START + 15_000, {
        status: 'unknown',
        cpu: undefined,
        memory: undefined,
        eventLoopDelay: undefined,
        requestCount: 0,
        checks: [],
      }),
    );
    const [a, b] = h.query();
    assert.equal(a!.serviceId, 'checkout');
    assert.equal(a!.status, 'unhealthy');
    assert.equal(a!.level, MonitoringLevel.CRITICAL);
    assert.equal(a!.requestCount, 1500);
    assert.equal(a!.errorCount, 15);
    assert.ok(close(a!.errorRate, 0.01));
    assert.ok(close(a!.responseTime.p95, 0.08));
    assert.ok(close(a!.cpu, 0.25));
    assert.ok(close(a!.memory?.rss, 180_000_000));
    assert.ok(close(a!.memory?.heapLimit, 4_345_298_944));
    assert.equal(a!.memory?.limit, undefined);
    assert.ok(close(a!.eventLoopDelay?.p99, 0.03));
    assert.ok(close(a!.eventLoopDelay?.utilization, 0.2));
    assert.equal(a!.connections, 12);
    assert.equal(a!.checksFailed, 1);
    assert.equal(a!.alertsFiring, 1);
    assert.equal(b!.status, 'unknown');
    assert.equal(b!.cpu, undefined);
    assert.equal(b!.memory, undefined);
    assert.equal(b!.eventLoopDelay, undefined);
    assert.equal(b!.requestCount, 0);
    assert.deepEqual(h.latest(), b);
  });

  it('query since / until / limit', () => {
    const h = new MetricsHistory('s', { retention: 3600, checkInterval: 15 });
    for (let i = 0; i < 10; i++) h.push(metrics(START + i * 15_000));
    assert.deepEqual(
      h.query({ since: START + 7 * 15_000 }).map((r) => r.timestamp),
      [7, 8, 9].map((i) => START + i * 15_000),
    );
    assert.deepEqual(
      h.query({ since: START + 15_000, until: START + 30_000 }).map((r) => r.timestamp),
      [START + 15_000, START + 30_000],
    );
    assert.deepEqual(
      h.query({ limit: 2 }).map((r) => r.timestamp),
      [START + 8 * 15_000, START + 9 * 15_000],
    );
    assert.deepEqual(h.query({ since: START + 3_600_000 }), []);
  });

  it('evicts by retention as well as by capacity', () => {
    const h = new MetricsHistory('s', { retention: 60, checkInterval: 15 });
    assert.equal(h.capacity, 5);
    for (let i = 0; i < 4; i++) h.push(metrics(START + i * 15_000));
    // A pause of 10 minutes: everything older than 60 s before the new row goes.
    h.push(metrics(START + 600_000));
    assert.deepEqual(h.query().map((r) => r.timestamp), [START + 600_000]);
    h.evict(START + 600_000 + 61_000);
    assert.equal(h.size, 0);
    assert.equal(h.latest(), undefined);
  });

  it('wraps around more than once and keeps order', () => {
    const h = new MetricsHistory('s', { retention: 45, checkInterval: 15, maxCapacity: 3 });
    for (let i = 0; i < 11; i++) h.push(metrics(START + i * 15_000, { requestCount: i }));
    assert.deepEqual(h.query().map((r) => r.requestCount), [8, 9, 10]);
  });

  it('keeps anomaly scores once a row carries them, through growth and wrap-around; costs nothing before', () => {
    const h = new MetricsHistory('s', { retention: 3600, checkInterval: 15, maxCapacity: 100 });
    for (let i = 0; i < 3; i++) h.push(metrics(START + i * 15_000));
    const before = h.byteSize();
    assert.equal(h.latest()!.anomaly, undefined);
    for (let i = 3; i < 250; i++) {
      h.push(metrics(START + i * 15_000, { anomaly: i % 2 === 0 ? { response_time: i / 1000, cpu: 0.5 } : { cpu: 0.25 } }));
    }
    assert.ok(h.byteSize() > before);
    const rows = h.query();
    assert.equal(rows.length, 100);
    const last = rows.at(-1)!;
    assert.deepEqual(last.anomaly, { cpu: 0.25 });
    assert.ok(close(rows.at(-2)!.anomaly?.response_time, 0.248));
    assert.ok(close(rows.at(-2)!.anomaly?.cpu, 0.5));
  });
});

describe('MetricsHistory: error budgets of service level objectives', () => {
  it('costs nothing before a row carries slos; then 8 bytes a row per objective, through growth and wrap-around', () => {
    const h = new MetricsHistory('s', { retention: 3600, checkInterval: 15, maxCapacity: 100 });
    for (let i = 0; i < 3; i++) h.push(metrics(START + i * 15_000));
    assert.equal(h.byteSize(), 64 * MetricsHistory.BYTES_PER_ROW, 'no column before');
    assert.equal(h.latest()!.sloBudgets, undefined);
    assert.equal('slos' in h.latest()!, false, 'a row never carries the full SloStatus');
    for (let i = 3; i < 250; i++) {
      h.push(metrics(START + i * 15_000, { slos: { availability: slo('availability', 1 - i / 1000, i % 2 === 0 ? i / 10 : undefined) } }));
    }
    assert.equal(h.byteSize(), 100 * (MetricsHistory.BYTES_PER_ROW + 8), 'two Float32 columns for the one objective');
    const rows = h.query();
    assert.equal(rows.length, 100);
    assert.deepEqual(Object.keys(rows.at(-1)!.sloBudgets!), ['availability']);
    const last = rows.at(-1)!.sloBudgets!.availability!;
    assert.ok(close(last.budgetRemaining, 1 - 249 / 1000));
    assert.equal(last.burnRate, undefined, 'the fast window held no event: no burn rate');
    const before = rows.at(-2)!.sloBudgets!.availability!;
    assert.ok(close(before.budgetRemaining, 1 - 248 / 1000));
    assert.ok(close(before.burnRate, 24.8), 'the fastest alert\'s long-window burn rate');
    // Every kept row is its own check's, in order, after wrapping around twice.
    assert.deepEqual(
      rows.map((r) => Math.round((1 - r.sloBudgets!.availability!.budgetRemaining) * 1000)),
      Array.from({ length: 100 }, (_, k) => 150 + k),
    );
  });

  it('an overspent budget reads back below 0; rows without an objective, or before it appeared, have none', () => {
    const h = new MetricsHistory('s', { retention: 3600, checkInterval: 15 });
    h.push(metrics(START, { slos: { a: slo('a', -2.5, 30) } }));
    h.push(metrics(START + 15_000));
    h.push(metrics(START + 30_000, { slos: { a: slo('a', 0.5), latency: slo('latency', 0.25, 1) } }));
    const [first, second, third] = h.query();
    assert.deepEqual(first!.sloBudgets, { a: { budgetRemaining: -2.5, burnRate: 30 } });
    assert.equal(second!.sloBudgets, undefined, 'a row without slos');
    assert.deepEqual(third!.sloBudgets, { a: { budgetRemaining: 0.5 }, latency: { budgetRemaining: 0.25, burnRate: 1 } });
    // Growth past the first allocation keeps the objective that appeared later.
    for (let i = 3; i < 70; i++) h.push(metrics(START + i * 15_000, { slos: { latency: slo('latency', 0.125) } }));
    const rows = h.query();
    assert.deepEqual(rows[0]!.sloBudgets, { a: { budgetRemaining: -2.5, burnRate: 30 } });
    assert.deepEqual(rows[2]!.sloBudgets, { a: { budgetRemaining: 0.5 }, latency: { budgetRemaining: 0.25, burnRate: 1 } });
    assert.deepEqual(rows.at(-1)!.sloBudgets, { latency: { budgetRemaining: 0.125 } });
  });

  it('the burn rate kept is the fastest alert\'s on: with fast off, the slow alert\'s', () => {
    const h = new MetricsHistory('s', { retention: 3600, checkInterval: 15 });
    const status = slo('a', 0.875, 20);
    h.push(metrics(START, { slos: { a: { ...status, burnRates: status.burnRates.slice(1) } } }));
    h.push(metrics(START + 15_000, { slos: { a: { ...status, burnRates: [] } } }));
    assert.deepEqual(h.query().map((r) => r.sloBudgets), [{ a: { budgetRemaining: 0.875, burnRate: 2 } }, { a: { budgetRemaining: 0.875 } }]);
  });

  it('rows of one history pushed into another keep their budgets', () => {
    const a = new MetricsHistory('s', { retention: 3600, checkInterval: 15 });
    a.push(metrics(START, { slos: { a: slo('a', 0.75, 3) } }));
    const b = new HealthHistory({ retention: 3600, checkInterval: 15 });
    for (const row of a.query()) b.push(row);
    assert.deepEqual(b.latest('s')!.sloBudgets, { a: { budgetRemaining: 0.75, burnRate: 3 } });
  });
});

describe('HealthHistory', () => {
  it('one ring per service', () => {
    const history = new HealthHistory({ retention: 3600, checkInterval: 15 });
    history.push(metrics(START, { serviceId: 'a' }));
    history.push(metrics(START, { serviceId: 'b' }));
    history.push(metrics(START + 15_000, { serviceId: 'a' }));
    assert.equal(history.query('a').length, 2);
    assert.equal(history.query('b').length, 1);
    assert.deepEqual(history.query('nope'), []);
    assert.deepEqual(history.serviceIds().sort(), ['a', 'b']);
    assert.equal(history.latest('a')?.timestamp, START + 15_000);
    assert.equal(history.byteSize(), history.get('a')!.byteSize() + history.get('b')!.byteSize());
    history.evict(START + 15_000 + 3_600_001);
    assert.equal(history.query('a').length, 0);
  });
});

function transition(at: number, kind: AlertTransition['kind'], over: { serviceId?: string; rule?: 'cpu' | 'error_rate' } = {}): AlertTransition {
  return {
    kind,
    at,
    alert: {
      rule: over.rule ?? 'cpu',
      level: MonitoringLevel.ERROR,
      state: kind === 'resolved' ? 'resolved' : 'firing',
      value: 0.9,
      threshold: 0.85,
      serviceId: over.serviceId ?? 'checkout',
      fingerprint: `${over.serviceId ?? 'checkout'}/${over.rule ?? 'cpu'}`,
      startsAt: at,
      message: 'm',
    },
  };
}

describe('AlertHistory', () => {
  it('keeps transitions, queried by time, service, rule and fingerprint', () => {
    const h = new AlertHistory({ retention: 3600 });
    h.push(transition(START, 'firing'));
    h.push({ ...transition(START + 1000, 'escalated'), previousLevel: MonitoringLevel.WARNING });
    h.push(transition(START + 2000, 'firing', { rule: 'error_rate' }));
    h.push(transition(START + 3000, 'firing', { serviceId: 'other' }));
    h.push(transition(START + 4000, 'resolved'));
    assert.equal(h.size, 5);
    assert.deepEqual(h.query({ since: START + 2000 }).map((e) => e.at), [START + 2000, START + 3000, START + 4000]);
    assert.deepEqual(h.query({ rule: 'cpu', serviceId: 'checkout' }).map((e) => e.kind), ['firing', 'escalated', 'resolved']);
    assert.equal(h.query({ fingerprint: 'other/cpu' }).length, 1);
    assert.equal(h.query()[1]!.previousLevel, MonitoringLevel.WARNING);
    assert.deepEqual(h.query({ limit: 1 }).map((e) => e.kind), ['resolved']);
  });

  it('bounded by capacity and by retention', () => {
    const h = new AlertHistory({ retention: 60, capacity: 3 });
    for (let i = 0; i < 5; i++) h.push(transition(START + i * 1000, 'firing'));
    assert.deepEqual(h.query().map((e) => e.at), [START + 2000, START + 3000, START + 4000]);
    h.push(transition(START + 64_000, 'resolved'));
    assert.deepEqual(h.query().map((e) => e.at), [START + 4000, START + 64_000]);
    h.evict(START + 200_000);
    assert.equal(h.size, 0);
  });
});
