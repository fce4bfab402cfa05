/**
 * Issue 14: history and alert state that survive a restart, through `store: { path }`.
 * - In process: a monitor shut down (planned) and a second one started on the same store: the
 *   history and alert history are back, a firing alert fires on without a second `firing`
 *   record, and its `resolved` record comes once.
 * - Across processes: a service killed with SIGKILL while an alert fires, and started again on
 *   the same store, admits no second `firing` for it and one `resolved` when it clears.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, type HealthMonitor } from '../../src/index.js';
import { close, listen, request } from '../../support/http.js';
import { Child, installCleanup } from '../../support/children.js';

installCleanup();
const dir = mkdtempSync(path.join(os.tmpdir(), 'otel-health-restart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const QUIET = { cpu: false, memory: false, connections: false, eventLoopDelay: false } as const;

describe('restart on the same store, in process', () => {
  it('history, alert history and a firing alert carry over: no second firing, one resolved', async (t: TestContext) => {
    let failing = true;
    const server = http.createServer((_req, res) => {
      res.statusCode = failing ? 500 : 200;
      res.end();
    });
    const port = await listen(server);
    t.after(() => close(server));
    const storePath = path.join(dir, 'in-process.store');
    const start = async (): Promise<{ monitor: HealthMonitor; states: () => unknown[] }> => {
      const exporter = new InMemoryLogRecordExporter();
      const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
      const monitor = await startHealthMonitoring({
        serviceName: 'checkout',
        checkInterval: 3600,
        store: { path: storePath },
        loggerProvider,
        hostMetrics: false,
        startupMessage: false,
        responseTimeThreshold: false,
        resourceThresholds: QUIET,
      });
      t.after(() => loggerProvider.shutdown());
      const states = (): unknown[] =>
        exporter.getFinishedLogRecords().map((r) => [r.attributes['health.alert.rule'], r.attributes['health.alert.state']]);
      return { monitor, states };
    };
    const burst = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await request(port, '/');
    };

    const first = await start();
    await first.monitor.monitorService(); // an empty first window
    await burst();
    assert.deepEqual((await first.monitor.monitorService()).alerts.map((a) => a.rule), ['error_rate']);
    await burst();
    await first.monitor.monitorService();
    const rowsBefore = first.monitor.history().map((r) => r.timestamp);
    assert.equal(rowsBefore.length, 3);
    assert.deepEqual(first.states(), [['error_rate', 'firing']]);
    await first.monitor.shutdown();

    const second = await start();
    t.after(() => second.monitor.shutdown());
    assert.deepEqual(second.monitor.history().map((r) => r.timestamp), rowsBefore, 'the history is back');
    assert.deepEqual(second.monitor.alertHistory().map((e) => [e.alert.rule, e.kind]), [['error_rate', 'firing']]);
    assert.deepEqual(second.monitor.firingAlerts().map((a) => a.rule), ['error_rate']);
    await burst();
    assert.deepEqual((await second.monitor.monitorService()).alerts.map((a) => a.rule), ['error_rate']);
    assert.deepEqual(second.states(), [], 'no second firing');
    failing = false;
    await burst();
    assert.deepEqual((await second.monitor.monitorService()).alerts, []);
    assert.deepEqual(second.states(), [['error_rate', 'resolved']]);
    assert.equal(second.monitor.history().length, 5);
  });
});

describe('restart on the same store: SLO budgets', () => {
  const objective = { name: 'availability', objective: 0.9, window: 86_400 };
  const options = (storePath: string) => ({
    serviceName: 'checkout',
    checkInterval: 3600,
    store: { path: storePath },
    loggerProvider: new LoggerProvider(),
    hostMetrics: false,
    startupMessage: false,
    errorThreshold: false as const,
    responseTimeThreshold: false as const,
    resourceThresholds: QUIET,
    slos: [objective],
  });

  it('a restarted process counts the events of the one before it', async (t: TestContext) => {
    let failing = 0;
    const server = http.createServer((_req, res) => {
      res.statusCode = failing > 0 ? (failing--, 500) : 200;
      res.end();
    });
    const port = await listen(server);
    t.after(() => close(server));
    const storePath = path.join(dir, 'slo.store');
    const check = async (monitor: HealthMonitor, requests: number, errors: number) => {
      failing = errors;
      for (let i = 0; i < requests; i++) await request(port, '/');
      return (await monitor.monitorService()).slos!.availability!;
    };

    const first = await startHealthMonitoring(options(storePath));
    await first.monitorService();
    await check(first, 10, 1);
    const before = await check(first, 10, 1);
    assert.deepEqual([before.good, before.total], [18, 20]);
    await first.shutdown();

    const second = await startHealthMonitoring(options(storePath));
    t.after(() => second.shutdown());
    const after = await check(second, 10, 0);
    assert.deepEqual([after.good, after.total], [28, 30], 'the earlier process’s events count');
    assert.ok(Math.abs(after.budgetRemaining - (1 - 2 / 30 / 0.1)) < 1e-9, String(after.budgetRemaining));
    assert.ok(after.covered > 0 && after.covered < 86_400, `covered ${after.covered} s: the processes' time, not the day`);
  });

  it('two days of stored checks: the budget covers exactly the day-long window, from raw and 5-minute rows', async (t: TestContext) => {
    const { HistoryStore } = await import('../../src/history/store/index.js');
    const storePath = path.join(dir, 'slo-days.store');
    const now = Date.now();
    const store = await HistoryStore.open({ path: storePath, metricsRetention: 86_400, now: () => now });
    // A check every 15 s for two days up to a minute ago, 100 requests each, 1 failed.
    for (let ts = now - 2 * 86_400_000; ts < now - 60_000; ts += 15_000) {
      store.appendRow({
        serviceId: 'checkout', timestamp: ts, windowSeconds: 15, status: 'healthy', level: 'INFO' as never,
        requestCount: 100, operationCount: 0, requestRate: 100 / 15, errorCount: 1, errorRate: 0.01,
        responseTime: { avg: 0.01, p50: 0.01, p95: 0.01, p99: 0.01, max: 0.01 },
        connections: 0, checksFailed: 0, alertsFiring: 0, sloEvents: { availability: { good: 99, total: 100 } },
      });
    }
    await store.maintain(now);
    await store.close();

    const monitor = await startHealthMonitoring(options(storePath));
    t.after(() => monitor.shutdown());
    const s = (await monitor.monitorService()).slos!.availability!;
    assert.equal(s.covered, 86_400, 'the whole window');
    // 5,756 stored checks in the last day (none in its last minute), and this check's (no
    // requests). At the window's start: rounded to the budget's 60 s slots (up to 4 checks
    // fewer), and where raw rows were already dropped, the 5-minute row of the bucket that holds
    // the start counts whole (up to 20 checks more).
    const checks = s.total / 100;
    assert.ok(checks >= 5_752 && checks <= 5_776, `${checks} checks in the window`);
    assert.equal(s.total - s.good, checks, 'one failure per stored check, none counted twice');
    assert.ok(Math.abs(s.budgetRemaining - 0.9) < 1e-9, `1 % errors of a 10 % budget: 90 % left (${s.budgetRemaining})`);
  });
});

describe('restart on the same store, across processes', () => {
  it('SIGKILL while an alert fires: the next process admits no second firing, and one resolved', async () => {
    const script = fileURLToPath(new URL('../helpers/restart-service.ts', import.meta.url));
    const storePath = path.join(dir, 'killed.store');
    const env = { ...process.env, OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' };
    const alertOf = (msg: unknown): string | undefined => (msg as { alert?: string }).alert;
    const checkOf = (msg: unknown): number | undefined => (msg as { check?: number }).check;

    const first = new Child('failing service', script, [storePath, 'failing'], { cwd: process.cwd(), env });
    await first.waitFor((m) => (alertOf(m) === 'error_rate firing' ? true : undefined), 20_000, 'error_rate firing');
    const firedAt = await first.waitFor(checkOf, 5_000, 'a check');
    // Two more checks: the firing check's writes are on disk (at most the last check is lost).
    await first.waitFor((m) => ((checkOf(m) ?? 0) >= firedAt + 2 ? true : undefined), 5_000, 'two more checks');
    first.kill();
    await first.stop(5_000);

    const second = new Child('healthy service', script, [storePath, 'healthy'], { cwd: process.cwd(), env });
    const alerts: string[] = [];
    second.proc.on('message', (m) => {
      const a = alertOf(m);
      if (a !== undefined) alerts.push(a);
    });
    const ready = await second.waitFor((m) => ((m as { ready?: boolean }).ready ? (m as { restoredRows: number; firing: string[] }) : undefined), 20_000, 'ready');
    assert.ok(ready.restoredRows >= firedAt, `history rows before the kill are back (${ready.restoredRows})`);
    assert.deepEqual(ready.firing, ['error_rate'], 'the alert still fires after the restart');
    await second.waitFor((m) => (alertOf(m) === 'error_rate resolved' ? true : undefined), 20_000, 'error_rate resolved');
    const resolvedAt = await second.waitFor(checkOf, 5_000, 'a check');
    await second.waitFor((m) => ((checkOf(m) ?? 0) >= resolvedAt + 3 ? true : undefined), 5_000, 'three more checks');
    second.kill();
    await second.stop(5_000);
    assert.deepEqual(alerts, ['error_rate resolved'], 'no second firing; one resolved');
  });
});

describe('monitor.history with the store: tiers', () => {
  it('a query reaching back past metricsRetention reads the 5-minute tier, percentiles merged; raw stays in memory', async (t: TestContext) => {
    const { HistoryStore, histogramOf } = await import('../../src/history/store/index.js');
    const storePath = path.join(dir, 'tiers.store');
    const now = Date.now();
    const store = await HistoryStore.open({ path: storePath, metricsRetention: 86_400, now: () => now });
    // Two days of 15 s checks, ending an hour ago: p95 0.1 s except one 5-minute bucket of slow checks.
    // On the 5-minute grid, so the slow stretch fills one bucket exactly.
    const start = Math.floor((now - 2 * 86_400_000 - 3_600_000) / 300_000) * 300_000;
    const slowFrom = start + 86_400_000;
    for (let ts = start; ts < now - 3_600_000; ts += 15_000) {
      const slow = ts >= slowFrom && ts < slowFrom + 300_000;
      const latencies = Array.from({ length: 20 }, (_, i) => (slow ? 1 : 0.05) + i * 0.001);
      store.appendRow({
        serviceId: 'checkout', timestamp: ts, windowSeconds: 15, status: 'healthy', level: 'INFO' as never,
        requestCount: 20, operationCount: 0, requestRate: 20 / 15, errorCount: 0, errorRate: 0,
        responseTime: { avg: slow ? 1 : 0.06, p50: slow ? 1 : 0.06, p95: slow ? 1.02 : 0.07, p99: slow ? 1.02 : 0.07, max: slow ? 1.02 : 0.07 },
        connections: 1, checksFailed: 0, alertsFiring: 0, latency: histogramOf(latencies),
      });
    }
    await store.maintain(now);
    await store.close();

    const monitor = await startHealthMonitoring({
      serviceName: 'checkout', checkInterval: 3600, store: { path: storePath }, hostMetrics: false, startupMessage: false,
    });
    t.after(() => monitor.shutdown());
    const week = monitor.history(undefined, { since: now - 3 * 86_400_000 });
    assert.ok(week.length > 500 && week.length < 600, `5-minute rows for two days: ${week.length}`);
    assert.ok(week.every((r) => r.resolution === 300));
    const slowRows = week.filter((r) => r.responseTime.p95 > 0.5);
    assert.equal(slowRows.length, 1, 'one slow 5-minute bucket');
    assert.equal(slowRows[0]!.requestCount, 400, 'counts are exact: 20 checks × 20 requests');
    // Its 400 latencies are 1.000–1.019 s: the merged histogram's p95 lies among them.
    assert.ok(Math.abs(slowRows[0]!.responseTime.p95 - 1.018) < 0.03, `p95 ${slowRows[0]!.responseTime.p95}`);
    const hourly = monitor.history(undefined, { since: now - 3 * 86_400_000, resolution: 3600 });
    assert.ok(hourly.length >= 47 && hourly.length <= 50, `hourly rows: ${hourly.length}`);
    const raw = monitor.history(undefined, { since: now - 3_600_000 * 2 });
    assert.ok(raw.every((r) => r.resolution === undefined));
  });
});

describe('a store that cannot be used', () => {
  it('a path under a file: monitoring runs in memory, one warning, checks and history go on', async (t: TestContext) => {
    const { writeFileSync } = await import('node:fs');
    const file = path.join(dir, 'not-a-directory');
    writeFileSync(file, 'x');
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      if (w.name === 'OtelHealthStoreWarning') warnings.push(w.message);
    };
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const monitor = await startHealthMonitoring({
      serviceName: 'checkout', checkInterval: 3600, store: { path: path.join(file, 'health.store') }, hostMetrics: false, startupMessage: false,
    });
    t.after(() => monitor.shutdown());
    await monitor.monitorService();
    await monitor.monitorService();
    assert.equal(monitor.history().length, 2);
    // process.emitWarning is delivered on the next tick.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /not-a-directory/);
  });
});
