/**
 * End to end: a real node:http server on 127.0.0.1, the real HTTP instrumentation, the real
 * OTel SDK (sdk-metrics through the HealthReader, sdk-logs with an in-memory exporter) and
 * startHealthMonitoring as a user calls it.
 *
 * Two kinds of monitor:
 * - "driven" ones have a check interval of an hour, so the background loop never ticks during
 *   a test and every window is exactly the requests sent since the previous
 *   `monitor.monitorService()` call: the values the rules judge are the values the test chose;
 * - "looping" ones have checkInterval 0.2 s and prove the timing claims (an alert within one
 *   check interval plus the rule's `for`, the loop surviving a throwing listener, shutdown
 *   stopping the loop).
 *
 * The CPU, memory, connections and event-loop rules are off unless a test is about them: a
 * loaded test machine can push them over their thresholds in a 0.2 s window.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SeverityNumber } from '../../src/model/otel-logs.js';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  ConfigError,
  HealthReader,
  MonitoringLevel,
  startHealthMonitoring,
  type Alert,
  type AlertTransition,
  type HealthMonitor,
  type HealthMonitorOptions,
} from '../../src/index.js';
import { alertFingerprint } from '../../src/evaluator/rules.js';
import { getStore } from '../../src/instrumentation/store.js';
import { close, listen, request, trackSockets } from '../../support/http.js';
import { collectUncaught } from '../helpers/uncaught.js';

const SERVICE = 'checkout';
/** A check interval the loop never reaches within a test: windows end only at monitorService(). */
const DRIVEN = 3600;
const LOOP = 0.2;
const QUIET_RESOURCES = { cpu: false, memory: false, connections: false, eventLoopDelay: false } as const;

// ---------------------------------------------------------------------------------------------
// The service under test.

let server: http.Server;
let port: number;
let sockets: ReturnType<typeof trackSockets>;
const uncaught = collectUncaught();

before(async () => {
  uncaught.start();
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/fail') {
      res.statusCode = 500;
      res.end('boom');
    } else if (url.pathname === '/slow') {
      const timer = setTimeout(() => res.end('slow'), Number(url.searchParams.get('ms') ?? 150));
      res.on('close', () => clearTimeout(timer));
    } else {
      res.end('ok');
    }
  });
  sockets = trackSockets(server);
  port = await listen(server);
});

after(async () => {
  await close(server);
  uncaught.stop();
  assert.deepEqual(uncaught.errors, [], 'nothing escapes to the process');
});

/** Send the paths with bounded concurrency; resolves once the server closed every connection. */
async function send(paths: readonly string[], concurrency = 10): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      statuses.push((await request(port, path)).status);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  // The server records a request when its response finishes, before it closes the connection.
  await sockets.allClosed();
  return statuses;
}

/** `total` requests of which `failures` answer 500, failures spread through the batch. */
function mix(total: number, failures: number): string[] {
  return Array.from({ length: total }, (_, i) => (Math.floor(((i + 1) * failures) / total) > Math.floor((i * failures) / total) ? '/fail' : '/ok'));
}

// ---------------------------------------------------------------------------------------------
// The monitor under test.

interface Rig {
  monitor: HealthMonitor;
  exporter: InMemoryLogRecordExporter;
  loggerProvider: LoggerProvider;
  /** The health.alert records exported so far. */
  records(): ReadableLogRecord[];
  /** Alerts seen by an 'alert' listener, with their transitions. */
  events: { alert: Alert; transition: AlertTransition; at: number }[];
}

async function rig(t: TestContext, options: HealthMonitorOptions): Promise<Rig> {
  const exporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const monitor = await startHealthMonitoring({
    serviceName: SERVICE,
    loggerProvider,
    hostMetrics: false,
    resourceThresholds: QUIET_RESOURCES,
    ...options,
  });
  t.after(async () => {
    await monitor.shutdown();
    await loggerProvider.shutdown();
  });
  const events: Rig['events'] = [];
  monitor.on('alert', (alert: Alert, transition: AlertTransition) => events.push({ alert, transition, at: performance.now() }));
  // Start with an empty window: whatever earlier tests left undrained is not this test's.
  if (options.checkInterval === DRIVEN) await monitor.monitorService();
  return {
    monitor,
    exporter,
    loggerProvider,
    events,
    records: () => exporter.getFinishedLogRecords().filter((r) => r.eventName === 'health.alert'),
  };
}

/** Resolve with the first 'alert' matching `filter`, or reject after `ms`. */
function nextAlert(monitor: HealthMonitor, filter: (t: AlertTransition) => boolean, ms: number): Promise<AlertTransition> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      monitor.off('alert', listener);
      reject(new Error(`no matching alert within ${ms} ms`));
    }, ms);
    const listener = (_alert: Alert, transition: AlertTransition): void => {
      if (!filter(transition)) return;
      clearTimeout(timer);
      monitor.off('alert', listener);
      resolve(transition);
    };
    monitor.on('alert', listener);
  });
}

/** Poll a condition (no event exists for "a check ran"); fails after `ms`. */
async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function attributesOf(record: ReadableLogRecord): Record<string, unknown> {
  return { ...record.attributes };
}

const kinds = (monitor: HealthMonitor): string[] => monitor.alertHistory().map((e) => `${e.kind}:${e.alert.level}`);

// ---------------------------------------------------------------------------------------------

describe('alerts as health.alert log records', () => {
  it('an error burst fires one ERROR record carrying every contract attribute', async (t) => {
    const { monitor, records, events } = await rig(t, { checkInterval: DRIVEN, responseTimeThreshold: false });
    assert.deepEqual((await send(mix(100, 20))).sort(), [...Array(80).fill(200), ...Array(20).fill(500)].sort());

    const metrics = await monitor.monitorService();
    assert.equal(metrics.requestCount, 100);
    assert.equal(metrics.errorCount, 20);
    assert.equal(metrics.errorRate, 0.2);
    assert.equal(metrics.status, 'unhealthy');
    assert.equal(metrics.level, MonitoringLevel.ERROR);
    assert.deepEqual(
      metrics.alerts.map((a) => [a.rule, a.level, a.state]),
      [['error_rate', MonitoringLevel.ERROR, 'firing']],
    );

    const [record, ...rest] = records();
    assert.ok(record, 'one record');
    assert.deepEqual(rest, []);
    assert.equal(record.eventName, 'health.alert');
    assert.equal(record.severityNumber, SeverityNumber.ERROR);
    assert.equal(record.severityNumber, 17);
    assert.equal(record.severityText, 'ERROR');
    assert.match(String(record.body), /^checkout: error rate 20% ≥ 10% over the last \d/);
    const attributes = attributesOf(record);
    assert.deepEqual(
      {
        rule: attributes['health.alert.rule'],
        state: attributes['health.alert.state'],
        level: attributes['health.alert.level'],
        value: attributes['health.alert.value'],
        threshold: attributes['health.alert.threshold'],
        fingerprint: attributes['health.alert.fingerprint'],
        service: attributes['service.name'],
      },
      {
        rule: 'error_rate',
        state: 'firing',
        level: 'ERROR',
        value: 0.2,
        threshold: 0.1,
        fingerprint: alertFingerprint(SERVICE, 'error_rate'),
        service: SERVICE,
      },
    );
    assert.match(String(attributes['health.alert.fingerprint']), /^[0-9a-f]{16}$/);

    // The same transition reached the 'alert' listeners and the alert history.
    assert.equal(events.length, 1);
    assert.equal(events[0]!.transition.kind, 'firing');
    assert.equal(events[0]!.alert.message, record.body);
    assert.deepEqual(kinds(monitor), ['firing:ERROR']);
  });

  it('WARNING is severity 13, an escalation to CRITICAL is 21 (FATAL), recovery is one resolved record at 9', async (t) => {
    const { monitor, records } = await rig(t, { checkInterval: DRIVEN, responseTimeThreshold: false, alerts: { cooldown: 0 } });
    // Default levels: WARNING 5 %, ERROR 10 %, CRITICAL 25 %.
    await send(mix(100, 7));
    await monitor.monitorService();
    await send(mix(100, 40));
    assert.equal((await monitor.monitorService()).level, MonitoringLevel.CRITICAL);
    await send(mix(50, 0));
    const recovered = await monitor.monitorService();
    assert.equal(recovered.status, 'healthy');
    assert.equal(recovered.level, MonitoringLevel.INFO);
    assert.deepEqual(recovered.alerts, []);

    const rs = records();
    assert.deepEqual(
      rs.map((r) => [r.severityNumber, r.severityText, r.attributes['health.alert.state'], r.attributes['health.alert.level'], r.attributes['health.alert.transition']]),
      [
        [13, 'WARN', 'firing', 'WARNING', 'firing'],
        [21, 'FATAL', 'firing', 'CRITICAL', 'escalated'],
        [9, 'INFO', 'resolved', 'CRITICAL', 'resolved'],
      ],
    );
    const resolved = rs[2]!;
    assert.equal(resolved.eventName, 'health.alert');
    assert.equal(resolved.attributes['health.alert.value'], 0);
    assert.equal(resolved.attributes['health.alert.rule'], 'error_rate');
    assert.equal(resolved.attributes['service.name'], SERVICE);
    // One fingerprint across the alert's whole life, whatever its level.
    assert.equal(new Set(rs.map((r) => r.attributes['health.alert.fingerprint'])).size, 1);
    assert.match(String(resolved.body), /^checkout: error rate 0% < .*resolved after /);
    assert.deepEqual(kinds(monitor), ['firing:WARNING', 'escalated:CRITICAL', 'resolved:CRITICAL']);
  });

  it('a slow handler fires response_time (p95) at ERROR, and fast answers resolve it', async (t) => {
    const { monitor, records } = await rig(t, {
      checkInterval: DRIVEN,
      errorThreshold: false,
      responseTimeThreshold: { error: 0.1 },
    });
    await send(Array(10).fill('/slow?ms=150'));
    const slow = await monitor.monitorService();
    assert.equal(slow.requestCount, 10);
    assert.ok(slow.responseTime.p95 >= 0.14 && slow.responseTime.p95 < 2, `p95 ${slow.responseTime.p95}`);
    assert.equal(slow.level, MonitoringLevel.ERROR);

    await send(Array(10).fill('/ok'));
    const fast = await monitor.monitorService();
    assert.ok(fast.responseTime.p95 < 0.08, `p95 ${fast.responseTime.p95}`);

    const rs = records();
    assert.deepEqual(
      rs.map((r) => [r.attributes['health.alert.rule'], r.attributes['health.alert.state'], r.severityNumber]),
      [
        ['response_time', 'firing', 17],
        ['response_time', 'resolved', 9],
      ],
    );
    assert.ok(Number(rs[0]!.attributes['health.alert.value']) >= 0.14);
    assert.equal(rs[0]!.attributes['health.alert.threshold'], 0.1);
    assert.match(String(rs[0]!.body), /^checkout: p95 response time 1\d\dms ≥ 100ms over the last /);
  });
});

describe('a restart with the alerting state (issue 14)', () => {
  it('a firing alert taken over by a new monitor sends no second firing and one resolved; silences carry over', async (t) => {
    const first = await rig(t, { checkInterval: DRIVEN, responseTimeThreshold: false });
    await send(mix(100, 20));
    assert.deepEqual((await first.monitor.monitorService()).alerts.map((a) => a.rule), ['error_rate']);
    const silence = first.monitor.silences.add({ matchers: { rule: 'cpu' }, expiresAt: Date.now() + 3_600_000, comment: 'deploy' });
    const state = JSON.parse(JSON.stringify(first.monitor.alertState()));
    await first.monitor.shutdown();
    assert.deepEqual(first.records().map((r) => attributesOf(r)['health.alert.state']), ['firing']);

    const second = await rig(t, { checkInterval: DRIVEN, responseTimeThreshold: false });
    const taken = second.monitor.restoreAlertState(state);
    assert.deepEqual(taken.map((a) => [a.rule, a.level]), [['error_rate', MonitoringLevel.ERROR]]);
    assert.deepEqual(second.monitor.silences.list().map((s) => [s.id, s.comment]), [[silence.id, 'deploy']]);
    await send(mix(100, 20));
    const still = await second.monitor.monitorService();
    assert.deepEqual(still.alerts.map((a) => a.rule), ['error_rate'], 'firing on, as before the restart');
    assert.deepEqual(second.records(), [], 'no second firing');
    await send(mix(100, 0));
    assert.deepEqual((await second.monitor.monitorService()).alerts, []);
    const states = second.records().map((r) => [attributesOf(r)['health.alert.rule'], attributesOf(r)['health.alert.state']]);
    assert.deepEqual(states, [['error_rate', 'resolved']], 'its resolved, once');
    assert.deepEqual(second.monitor.restoreAlertState({ version: 9 } as never), []);
  });
});

describe('anomaly rules end to end', () => {
  it('a latency spike with the static latency rule off fires anomaly:response_time as a WARNING record, then resolves', async (t) => {
    const { monitor, records } = await rig(t, {
      checkInterval: DRIVEN,
      responseTimeThreshold: false,
      errorThreshold: false,
      anomaly: { series: ['response_time'], warmup: 8 },
    });
    // Steady at about 20 ms: a timer, so the p95 holds on a loaded machine better than /ok's
    // sub-millisecond answers, whose jitter is all there is to learn. Nothing is asserted while
    // steady (a loaded test machine may produce a genuinely unusual check); the spike is 20×.
    const steady = Array(10).fill('/slow?ms=20');
    for (let i = 0; i < 30; i++) {
      await send(steady);
      await monitor.monitorService();
    }
    while (monitor.firingAlerts().length > 0) {
      await send(steady);
      await monitor.monitorService();
    }
    const before = records().length;

    await send(Array(10).fill('/slow?ms=400'));
    const spiked = await monitor.monitorService();
    assert.ok(spiked.responseTime.p95 >= 0.4);
    assert.equal(spiked.anomaly?.response_time, 1, 'far above anything learned');
    assert.deepEqual(spiked.alerts.map((a) => [a.rule, a.level]), [['anomaly:response_time', MonitoringLevel.WARNING]]);
    assert.equal(spiked.status, 'degraded');
    const fired = records()[before];
    assert.ok(fired, 'a health.alert record');
    assert.equal(fired.severityNumber, 13);
    assert.equal(attributesOf(fired)['health.alert.rule'], 'anomaly:response_time');
    assert.match(String(fired.body), /^checkout: unusual p95 response time 4\d\dms \(anomaly score 1 ≥ 0\.99\)/);

    let resolvedAfter = -1;
    for (let i = 0; i < 30 && resolvedAfter < 0; i++) {
      await send(steady);
      if ((await monitor.monitorService()).alerts.length === 0) resolvedAfter = i + 1;
    }
    assert.ok(resolvedAfter > 0, 'resolved once latency is back');
    const states = records()
      .slice(before)
      .map((r) => [attributesOf(r)['health.alert.rule'], attributesOf(r)['health.alert.state']]);
    assert.deepEqual(states, [
      ['anomaly:response_time', 'firing'],
      ['anomaly:response_time', 'resolved'],
    ]);
    const row = monitor.history(SERVICE).find((r) => r.timestamp === spiked.timestamp);
    assert.ok(row?.anomaly?.response_time !== undefined && row.anomaly.response_time >= 0.99, 'the score is in the history');
  });
});

describe('timing, with the loop running every 0.2 s', () => {
  it('an error burst fires within one check interval plus `for`, and recovery resolves within one interval', async (t) => {
    const forSeconds = 0.4;
    const margin = 0.6; // a loaded CI machine: timer lateness plus one check's own cost
    const { monitor } = await rig(t, {
      checkInterval: LOOP,
      responseTimeThreshold: false,
      errorThreshold: { error: 0.1, for: forSeconds, minRequests: 3 },
    });
    let path = '/fail';
    let running = true;
    const load = (async () => {
      const worker = async (): Promise<void> => {
        while (running) await request(port, path);
      };
      await Promise.all([worker(), worker()]);
    })();
    try {
      const started = performance.now();
      const fired = await nextAlert(monitor, (tr) => tr.kind === 'firing', (LOOP + forSeconds + margin) * 1000 + 2000);
      const firedAfter = (performance.now() - started) / 1000;
      assert.ok(fired.alert.level === MonitoringLevel.ERROR || fired.alert.level === MonitoringLevel.CRITICAL);
      assert.equal(fired.alert.rule, 'error_rate');
      t.diagnostic(`fired ${firedAfter.toFixed(3)} s after the burst started (bound ${(LOOP + forSeconds + margin).toFixed(1)} s)`);
      assert.ok(firedAfter <= LOOP + forSeconds + margin, `fired after ${firedAfter.toFixed(3)} s`);
      // `for` counts from the first check that saw the errors, which came after the burst
      // started: it cannot fire sooner than `for` after the burst (it used to count from the
      // start of that check's window, up to one interval earlier).
      assert.ok(firedAfter >= forSeconds - 0.01, `fired too soon: ${firedAfter.toFixed(3)} s`);

      path = '/ok';
      const switched = performance.now();
      const resolved = await nextAlert(monitor, (tr) => tr.kind === 'resolved', (2 * LOOP + margin) * 1000 + 2000);
      const resolvedAfter = (performance.now() - switched) / 1000;
      assert.equal(resolved.alert.rule, 'error_rate');
      assert.equal(resolved.alert.state, 'resolved');
      // The window in progress at the switch may still hold failures: allow it, plus the next.
      t.diagnostic(`resolved ${resolvedAfter.toFixed(3)} s after the load turned healthy (bound ${(2 * LOOP + margin).toFixed(1)} s)`);
      assert.ok(resolvedAfter <= 2 * LOOP + margin, `resolved after ${resolvedAfter.toFixed(3)} s`);
    } finally {
      running = false;
      await load;
      await sockets.allClosed();
    }
  });

  it("a listener that throws (or rejects) stops neither the other listeners nor the loop", async (t) => {
    const { monitor, records } = await rig(t, {
      checkInterval: LOOP,
      responseTimeThreshold: false,
      errorThreshold: { error: 0.1, minRequests: 1 },
    });
    const seen: string[] = [];
    monitor.prependListener('alert', () => {
      throw new Error('listener bug');
    });
    monitor.prependListener('alert', async () => {
      throw new Error('async listener bug');
    });
    monitor.on('alert', (alert: Alert) => seen.push(`${alert.rule}:${alert.state}`));

    const firing = nextAlert(monitor, (tr) => tr.kind === 'firing', 5000);
    await send(Array(10).fill('/fail'));
    await firing;
    await until(() => seen.includes('error_rate:firing'), 1000, 'the later listener');
    assert.equal(records().length >= 1, true, 'the log record was emitted too');
    // The loop goes on: more checks happen after the throwing listeners ran.
    const rows = monitor.history().length;
    await until(() => monitor.history().length >= rows + 3, 5000, 'three more checks');
    await until(() => monitor.internalErrors >= 2, 1000, 'both listener failures counted');
    // And alerts still flow: recovery (or staleness after 4 intervals without requests) resolves it.
    await send(Array(10).fill('/ok'));
    await until(() => seen.includes('error_rate:resolved'), 5000, 'the resolved alert');
  });

  it('shutdown() is idempotent, stops the loop even mid-check, and leaves a user-given LoggerProvider running', async (t) => {
    const users = getStore().users;
    // A custom check that reports when the loop's check is under way and holds it there.
    let checkStarted: () => void = () => undefined;
    let releaseCheck: () => void = () => undefined;
    const { monitor, exporter, loggerProvider } = await rig(t, {
      checkInterval: LOOP,
      checks: {
        gate: () =>
          new Promise<void>((resolve) => {
            checkStarted();
            releaseCheck = resolve;
          }),
      },
    });
    assert.equal(getStore().users, users + 1, 'the instrumentation is held');
    const inCheck = (): Promise<void> => new Promise((resolve) => (checkStarted = resolve));
    await inCheck();
    releaseCheck();
    await inCheck(); // the second loop check is in flight now
    assert.equal(monitor.history().length, 1);

    const first = monitor.shutdown();
    let finished = false;
    void first.then(() => (finished = true));
    await sleep(20);
    assert.equal(finished, false, 'shutdown waits for the check in flight');
    releaseCheck();
    const second = monitor.shutdown();
    assert.equal(first, second, 'the same promise');
    await Promise.all([first, second, monitor.shutdown()]);
    assert.equal(getStore().users, users, 'the instrumentation is released once');

    const rows = monitor.history().length;
    assert.equal(rows, 2, 'the check in flight completed');
    const latest = monitor.latest()!.timestamp;
    let startedAfterShutdown = false;
    checkStarted = () => (startedAfterShutdown = true);
    await sleep(LOOP * 1000 * 4);
    assert.equal(startedAfterShutdown, false, 'no check started after shutdown');
    assert.equal(monitor.history().length, rows, 'no check after shutdown');
    assert.equal(monitor.latest()!.timestamp, latest);

    // otel-health does not shut down what the user owns.
    loggerProvider.getLogger('user').emit({ body: 'still here' });
    assert.ok(exporter.getFinishedLogRecords().some((r) => r.body === 'still here'));
  });
});

describe('hysteresis and cooldown', () => {
  // Error rate around an ERROR threshold of 10 % (recovery 0.8: holds down to 8 %).
  const oscillation = [12, 9, 11, 9, 12, 9] as const;

  it('a value oscillating between the recovery bound and the threshold fires once and resolves once', async (t) => {
    const { monitor, records } = await rig(t, {
      checkInterval: DRIVEN,
      responseTimeThreshold: false,
      errorThreshold: { error: 0.1 },
      alerts: { cooldown: 0 },
    });
    for (const failures of oscillation) {
      await send(mix(100, failures));
      const m = await monitor.monitorService();
      assert.equal(m.errorRate, failures / 100);
      assert.equal(m.level, MonitoringLevel.ERROR, `still firing at ${failures}%`);
      assert.equal(m.status, 'unhealthy');
    }
    await send(mix(100, 3));
    assert.equal((await monitor.monitorService()).level, MonitoringLevel.INFO);
    assert.deepEqual(kinds(monitor), ['firing:ERROR', 'resolved:ERROR']);
    assert.deepEqual(
      records().map((r) => r.attributes['health.alert.state']),
      ['firing', 'resolved'],
    );
  });

  it('(control) without hysteresis (recovery 1) the same values flap: the test above can see flapping', async (t) => {
    const { monitor, records } = await rig(t, {
      checkInterval: DRIVEN,
      responseTimeThreshold: false,
      errorThreshold: { error: 0.1, recovery: 1 },
      alerts: { cooldown: 0 },
    });
    for (const failures of oscillation) {
      await send(mix(100, failures));
      await monitor.monitorService();
    }
    assert.deepEqual(
      records().map((r) => r.attributes['health.alert.state']),
      ['firing', 'resolved', 'firing', 'resolved', 'firing', 'resolved'],
    );
  });

  it('a second incident right after a delivered resolve is delivered, within the cooldown too; the alert history has every transition', async (t) => {
    const { monitor, records, events } = await rig(t, {
      checkInterval: DRIVEN,
      responseTimeThreshold: false,
      errorThreshold: { error: 0.1 },
      alerts: { cooldown: 300 },
    });
    for (const failures of [10, 0, 10, 0]) {
      await send(mix(10, failures));
      await monitor.monitorService();
    }
    assert.deepEqual(records().map((r) => r.attributes['health.alert.state']), ['firing', 'resolved', 'firing', 'resolved']);
    assert.deepEqual(events.map((e) => e.transition.kind), ['firing', 'resolved', 'firing', 'resolved']);
    const history = monitor.alertHistory();
    assert.deepEqual(
      history.map((e) => e.kind),
      ['firing', 'resolved', 'firing', 'resolved'],
    );
    assert.equal(new Set(history.map((e) => e.alert.fingerprint)).size, 1);
    assert.deepEqual(monitor.alertHistory({ since: history[2]!.at }).map((e) => e.kind), ['firing', 'resolved']);
  });

  it('a service flapping within the cooldown gets one flapping record, and the history keeps every transition', async (t) => {
    const { monitor, records } = await rig(t, {
      checkInterval: DRIVEN,
      responseTimeThreshold: false,
      errorThreshold: { error: 0.1 },
      alerts: { cooldown: 300, flapThreshold: 5 },
    });
    for (const failures of [10, 0, 10, 0, 10, 0, 10, 0]) {
      await send(mix(10, failures));
      await monitor.monitorService();
    }
    assert.deepEqual(records().map((r) => r.attributes['health.alert.transition']), ['firing', 'resolved', 'firing', 'resolved', 'flapping']);
    assert.equal(monitor.alertHistory().length, 8);
    await monitor.shutdown();
    assert.equal(records().at(-1)!.attributes['health.alert.state'], 'resolved', 'shutdown leaves the sinks with the true state');
  });
});

describe('status and configuration', () => {
  it('a window with no data at all is unknown; requests make it healthy', async (t) => {
    // No runtime metrics: with them, every window holds CPU and memory samples and is judged on them.
    const reader = new HealthReader({ runtimeMetrics: false });
    const meterProvider = new MeterProvider({ readers: [reader] });
    t.after(() => meterProvider.shutdown());
    const { monitor, records } = await rig(t, { checkInterval: DRIVEN, reader });

    const empty = await monitor.monitorService();
    assert.equal(empty.requestCount, 0);
    assert.equal(empty.errorRate, 0);
    assert.equal(empty.status, 'unknown');
    assert.equal(empty.level, MonitoringLevel.INFO);

    await send(Array(5).fill('/ok'));
    const busy = await monitor.monitorService();
    assert.equal(busy.requestCount, 5);
    assert.equal(busy.status, 'healthy');

    assert.equal((await monitor.monitorService()).status, 'unknown', 'quiet again');
    assert.deepEqual(records(), []);
  });

  it('too few requests (below minRequests) are not judged: no alert from a couple of failures', async (t) => {
    const { monitor, records } = await rig(t, { checkInterval: DRIVEN, responseTimeThreshold: false });
    await send(['/fail', '/fail']);
    const m = await monitor.monitorService();
    assert.equal(m.errorRate, 1);
    assert.equal(m.level, MonitoringLevel.INFO);
    assert.deepEqual(records(), []);
  });

  it('bad options reject with one ConfigError naming every bad field, and start nothing', async () => {
    const users = getStore().users;
    const exporter = new InMemoryLogRecordExporter();
    const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    const error = await startHealthMonitoring({
      serviceName: '',
      checkInterval: -1,
      errorThreshold: 1.5,
      responseTimeThreshold: { warning: 2, error: 1 },
      resourceThresholds: { cpu: 'high' as never },
      alerts: { cooldown: -5 },
      checks: { db: 'not a function' as never },
      loggerProvider,
    }).then(
      () => assert.fail('expected a ConfigError'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, `got ${String(error)}`);
    assert.deepEqual(error.issues.map((i) => i.path).sort(), [
      'alerts.cooldown',
      'checkInterval',
      'checks.db',
      'errorThreshold',
      'resourceThresholds.cpu',
      'responseTimeThreshold',
      'serviceName',
    ]);
    for (const issue of error.issues) {
      assert.ok(issue.message.length > 5, `a reason for ${issue.path}`);
      assert.ok(error.message.includes(`${issue.path}: ${issue.message}`), 'the message lists every issue');
    }
    assert.equal(getStore().users, users, 'no instrumentation was started');
    await loggerProvider.shutdown();
  });
});
