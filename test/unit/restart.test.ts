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
