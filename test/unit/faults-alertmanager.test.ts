// Fault injection for the Alertmanager sink, as test/unit/faults-sinks.test.ts does for webhooks:
// a real startHealthMonitoring whose custom check fails every other run (one alert transition
// per check, cooldown 0), its alerts to an `alertmanager` sink with two members, one of which
// accepts requests and never answers. What must hold: the other member and a callback sink on
// the same route keep getting every change; the hanging member holds one request and a queue of
// at most one alert (the newest state of the one label set); shutdown() returns within its bound,
// aborts the hanging request and counts what it abandoned; nothing reaches the service as an
// uncaughtException or unhandledRejection. Every wait is on an event, bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, type HealthMetrics, type HealthMonitor, type Notification } from '../../src/index.js';
import type { AlertmanagerStats } from '../../src/alerts/sinks/alertmanager.js';
import { countingReceiver } from '../helpers/counting-receiver.js';
import { within } from '../helpers/time.js';
import { collectUncaught } from '../helpers/uncaught.js';

const QUIET = { cpu: false, memory: false, eventLoopDelay: false, connections: false } as const;
const SHUTDOWN_TIMEOUT = 1;

const uncaught = collectUncaught();
before(() => uncaught.start());
after(() => {
  uncaught.stop();
  assert.deepEqual(uncaught.errors, [], 'no uncaughtException or unhandledRejection');
});

function checkUntil(monitor: HealthMonitor, done: (m: HealthMetrics) => boolean): Promise<HealthMetrics> {
  return new Promise((resolve) => {
    const onCheck = (m: HealthMetrics): void => {
      if (!done(m)) return;
      monitor.off('check', onCheck);
      resolve(m);
    };
    monitor.on('check', onCheck);
  });
}

test('an Alertmanager member that never answers holds back only itself; shutdown aborts its request and counts what it abandoned', async () => {
  const hanging = await countingReceiver({ hang: true });
  const healthy = await countingReceiver({ atEnd: true });
  const got: Notification[] = [];
  let runs = 0;
  const monitor = await startHealthMonitoring({
    serviceName: 'faults-alertmanager',
    checkInterval: 0.1,
    hostMetrics: false,
    startupMessage: false,
    shutdownTimeout: SHUTDOWN_TIMEOUT,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: QUIET,
    checks: { flappy: () => runs++ % 2 === 1 },
    alerts: {
      cooldown: 0,
      defaultRoute: { sinks: ['am', 'rec'] },
      sinks: {
        // The hanging member's timeout is long: shutdown must abort its request, not wait it out.
        am: { type: 'alertmanager', url: [hanging.url, healthy.url], timeout: 60, retries: 3 },
        rec: { type: 'callback', fn: (n: Notification) => void got.push(n) },
      },
    },
  });
  const am = (): AlertmanagerStats => monitor.alerting.stats().sinks.am as AlertmanagerStats;
  let shutdownSeconds = 0;
  try {
    await within(
      checkUntil(monitor, () => healthy.stats().requests >= 6 && got.length >= 6),
      15_000,
      'six changes posted to the healthy member and given to the callback sink',
    );
    const [stuck, fine] = am().members;
    assert.equal(hanging.stats().requests, 1, 'one request at a time: the first still hangs');
    assert.equal(hanging.stats().maxOpen, 1);
    assert.ok(stuck!.queued <= 1, `the hanging member queues the newest state of its one alert, ${stuck!.queued} queued`);
    assert.equal(stuck!.dropped, 0);
    assert.equal(stuck!.sent, 0);
    assert.ok(fine!.sent >= 6, `the healthy member got ${fine!.sent}`);
  } finally {
    const started = performance.now();
    await within(monitor.shutdown(), 5000, 'shutdown with a hanging Alertmanager member');
    shutdownSeconds = (performance.now() - started) / 1000;
  }
  try {
    assert.ok(shutdownSeconds < SHUTDOWN_TIMEOUT * 3, `shutdown took ${shutdownSeconds} s`);
    await within(hanging.noneOpen(), 5000, 'the hanging request closed after shutdown');
    const [stuck] = am().members;
    assert.ok((stuck!.abandoned ?? 0) >= 1, 'the request in flight was abandoned, and counted');
    assert.equal(stuck!.queued, 0);
    console.log(`# shutdown() with a hanging Alertmanager member took ${shutdownSeconds.toFixed(3)} s; abandoned ${stuck!.abandoned}`);
  } finally {
    await hanging.close();
    await healthy.close();
  }
});
