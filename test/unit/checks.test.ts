/**
 * Custom health checks end to end: startHealthMonitoring with `checks`, a real server on
 * 127.0.0.1 and the real SDK with an in-memory log exporter. Checks are driven with
 * `monitor.monitorService()` on a monitor whose loop never ticks during a test (an hour's
 * interval), except where the loop itself is the subject.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { MonitoringLevel, startHealthMonitoring, type HealthMonitor, type HealthMonitorOptions } from '../../src/index.js';
import { close, listen, request } from '../../support/http.js';
import { collectUncaught } from '../helpers/uncaught.js';

const SERVICE = 'inventory';
const DRIVEN = 3600;
const QUIET = {
  errorThreshold: false,
  responseTimeThreshold: false,
  resourceThresholds: { cpu: false, memory: false, connections: false, eventLoopDelay: false },
} as const;

let server: http.Server;
let port: number;
const uncaught = collectUncaught();

before(async () => {
  uncaught.start();
  server = http.createServer((_req, res) => res.end('ok'));
  port = await listen(server);
});

after(async () => {
  await close(server);
  uncaught.stop();
  assert.deepEqual(uncaught.errors, [], 'no check failure escapes to the process');
});

async function rig(
  t: TestContext,
  options: HealthMonitorOptions,
): Promise<{ monitor: HealthMonitor; records: () => ReadableLogRecord[] }> {
  const exporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const monitor = await startHealthMonitoring({
    serviceName: SERVICE,
    checkInterval: DRIVEN,
    loggerProvider,
    hostMetrics: false,
    ...QUIET,
    ...options,
  });
  t.after(async () => {
    await monitor.shutdown();
    await loggerProvider.shutdown();
  });
  return { monitor, records: () => exporter.getFinishedLogRecords().filter((r) => r.eventName === 'health.alert') };
}

/** A check that hangs until released; counts its runs and how many run at once. */
function hangingCheck() {
  const state = {
    calls: 0,
    active: 0,
    maxActive: 0,
    signals: [] as AbortSignal[],
    releases: [] as (() => void)[],
    release(): void {
      for (const r of state.releases.splice(0)) r();
    },
    check: (signal: AbortSignal): Promise<void> => {
      state.calls++;
      state.active++;
      state.maxActive = Math.max(state.maxActive, state.active);
      state.signals.push(signal);
      return new Promise<void>((resolve) => {
        state.releases.push(() => {
          state.active--;
          resolve();
        });
      });
    },
  };
  return state;
}

describe('custom checks', () => {
  it('a passing check is ok; false, a throw and a rejection fail with their reason', async (t) => {
    const { monitor } = await rig(t, {
      checks: {
        passes: async () => 'fine',
        undefinedIsFine: () => undefined,
        returnsFalse: () => false,
        throws: () => {
          throw new Error('db down');
        },
        rejects: async () => {
          throw new TypeError('cache unreachable');
        },
        throwsNonError: () => {
          throw 'plain string';
        },
      },
    });
    const m = await monitor.monitorService();
    const byName = Object.fromEntries(m.checks.map((c) => [c.name, c]));
    assert.deepEqual(
      m.checks.map((c) => c.name),
      ['passes', 'undefinedIsFine', 'returnsFalse', 'throws', 'rejects', 'throwsNonError'],
      'results in configuration order',
    );
    assert.equal(byName.passes!.ok, true);
    assert.equal(byName.passes!.error, undefined);
    assert.ok(byName.passes!.durationMs >= 0 && byName.passes!.durationMs < 1000);
    assert.equal(byName.undefinedIsFine!.ok, true);
    assert.deepEqual([byName.returnsFalse!.ok, byName.returnsFalse!.error], [false, 'returned false']);
    assert.deepEqual([byName.throws!.ok, byName.throws!.error], [false, 'db down']);
    assert.deepEqual([byName.rejects!.ok, byName.rejects!.error], [false, 'cache unreachable']);
    assert.deepEqual([byName.throwsNonError!.ok, byName.throwsNonError!.error], [false, 'plain string']);
    for (const c of m.checks) assert.notEqual(c.timedOut, true, `${c.name} did not time out`);
    assert.equal(m.status, 'unhealthy', 'a failing check makes the service unhealthy (ERROR by default)');
  });

  it('a hanging check times out within its timeout, is aborted, and is never run twice at once', async (t) => {
    const hang = hangingCheck();
    const { monitor } = await rig(t, { checks: { hang: { check: hang.check, timeout: 0.2 } } });

    let started = performance.now();
    let m = await monitor.monitorService();
    let elapsed = performance.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 200 + 400, `the check took ${elapsed.toFixed(0)} ms for a 200 ms timeout`);
    let result = m.checks[0]!;
    assert.deepEqual([result.name, result.ok, result.timedOut, result.error], ['hang', false, true, 'timed out after 0.2s']);
    assert.ok(result.durationMs >= 190, `durationMs ${result.durationMs}`);
    assert.equal(hang.calls, 1);
    assert.equal(hang.signals[0]!.aborted, true, 'the signal aborts at the timeout');
    assert.match(String((hang.signals[0]!.reason as Error).message), /timed out/);

    // Still hanging: the next check does not start a second run, and does not wait for it.
    started = performance.now();
    m = await monitor.monitorService();
    elapsed = performance.now() - started;
    result = m.checks[0]!;
    assert.equal(hang.calls, 1, 'no second concurrent run');
    assert.deepEqual([result.ok, result.timedOut, result.error], [false, true, 'previous run still in progress']);
    assert.ok(elapsed < 150, `skipping took ${elapsed.toFixed(0)} ms`);

    // Once the first run settles, the check runs again.
    hang.release();
    await sleep(0);
    const next = monitor.monitorService();
    await sleep(20);
    assert.equal(hang.calls, 2, 'runs again after the previous run ended');
    hang.release();
    result = (await next).checks[0]!;
    assert.equal(result.ok, true);
    assert.equal(hang.maxActive, 1);
  });

  it('with the loop running faster than a check hangs, one run at a time, and every check reports it', async (t) => {
    const hang = hangingCheck();
    const { monitor } = await rig(t, { checkInterval: 0.1, checks: { hang: { check: hang.check, timeout: 0.05 } } });
    const deadline = performance.now() + 5000;
    while (monitor.history().length < 6 && performance.now() < deadline) await sleep(20);
    assert.ok(monitor.history().length >= 6, 'the loop kept checking while the check hung');
    assert.equal(hang.calls, 1);
    assert.equal(hang.maxActive, 1);
    const latest = monitor.latest()!;
    assert.equal(latest.checks[0]!.ok, false);
    assert.equal(latest.checks[0]!.timedOut, true);
    hang.release();
  });

  it('a check that times out and rejects later leaves no unhandled rejection', async (t) => {
    let calls = 0;
    const { monitor } = await rig(t, {
      checks: {
        late: {
          timeout: 0.05,
          // The first run rejects after its timeout; later runs reject at once.
          check: () =>
            ++calls === 1
              ? new Promise((_resolve, reject) => setTimeout(() => reject(new Error('too late')), 100))
              : Promise.reject(new Error('fast failure')),
        },
      },
    });
    const m = await monitor.monitorService();
    assert.equal(m.checks[0]!.timedOut, true);
    await sleep(150); // the rejection has happened; the file's after() asserts nothing escaped
    assert.equal((await monitor.monitorService()).checks[0]!.error, 'fast failure', 'the next run is a fresh one');
    assert.equal(calls, 2);
  });

  it('failing checks fire check:<name> at their level, with the reason in the body; passing again resolves', async (t) => {
    let healthy = false;
    const { monitor, records } = await rig(t, {
      // No inhibition: by default a CRITICAL alert holds back its service's WARNING records,
      // and this test wants one record per level.
      alerts: { cooldown: 0, inhibit: false },
      checks: {
        db: () => {
          if (!healthy) throw new Error('connection refused');
        },
        cache: { check: () => healthy, level: 'warning' },
        queue: { check: async () => healthy, level: 'critical' },
      },
    });
    const failing = await monitor.monitorService();
    assert.equal(failing.level, MonitoringLevel.CRITICAL);
    assert.deepEqual(
      failing.alerts.map((a) => [a.rule, a.level]).sort(),
      [
        ['check:cache', 'WARNING'],
        ['check:db', 'ERROR'],
        ['check:queue', 'CRITICAL'],
      ],
    );
    healthy = true;
    const passing = await monitor.monitorService();
    assert.equal(passing.status, 'healthy');

    const rs = records();
    const summary = rs.map((r) => [r.attributes['health.alert.rule'], r.attributes['health.alert.state'], r.severityNumber]).sort();
    assert.deepEqual(summary, [
      ['check:cache', 'firing', 13],
      ['check:cache', 'resolved', 9],
      ['check:db', 'firing', 17],
      ['check:db', 'resolved', 9],
      ['check:queue', 'firing', 21],
      ['check:queue', 'resolved', 9],
    ]);
    const db = rs.find((r) => r.attributes['health.alert.rule'] === 'check:db' && r.attributes['health.alert.state'] === 'firing')!;
    assert.equal(db.body, `${SERVICE}: check "db" failing: connection refused`);
    assert.equal(db.attributes['health.alert.value'], 1);
    assert.equal(db.attributes['health.alert.threshold'], 1);
    assert.equal(db.attributes['service.name'], SERVICE);
  });

  it('the service keeps serving, at normal speed, while a check hangs', async (t) => {
    const hang = hangingCheck();
    const { monitor } = await rig(t, { checks: { hang: { check: hang.check, timeout: 0.5 } } });
    let checkDone = false;
    const check = monitor.monitorService().then((m) => {
      checkDone = true;
      return m;
    });
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const response = await request(port, '/');
      latencies.push(performance.now() - started);
      assert.equal(response.status, 200);
    }
    assert.equal(checkDone, false, 'all 20 requests were answered while the check was hanging');
    assert.ok(Math.max(...latencies) < 250, `slowest request ${Math.max(...latencies).toFixed(0)} ms`);
    assert.equal((await check).checks[0]!.timedOut, true);
    // The check's window closed when it started; the next one holds the 20 requests (and does
    // not wait for the still-hanging run).
    const next = await monitor.monitorService();
    assert.equal(next.requestCount, 20, 'and they were measured');
    assert.equal(next.checks[0]!.error, 'previous run still in progress');
    hang.release();
  });
});
