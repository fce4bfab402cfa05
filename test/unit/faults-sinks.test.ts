// Fault injection (issue 6, short versions): alert sinks and callbacks that misbehave. Callback
// sinks that never settle, throw, reject or return garbage; webhook sinks pointed at a real
// 127.0.0.1 server that accepts and never answers, or answers after the sink's timeout.
//
// A real startHealthMonitoring with a custom check that fails every other run, so every check
// makes one alert transition (cooldown 0) and one notification. What must hold: the checks go
// on, the well-behaved sink on another route still gets every notification, the outstanding
// calls and requests stay within the sinks' bounds (extra notifications are dropped and
// counted), shutdown() returns within its bound and leaves no request open, and nothing reaches
// the service as an uncaughtException or unhandledRejection. Each wait is bounded and waits on
// events, not sleeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, type HealthMetrics, type HealthMonitor, type Notification, type WebhookStats } from '../../src/index.js';
import { countingReceiver } from '../helpers/counting-receiver.js';
import { within } from '../helpers/time.js';
import { collectUncaught } from '../helpers/uncaught.js';

const QUIET = { cpu: false, memory: false, eventLoopDelay: false, connections: false } as const;
const CHECK_INTERVAL = 0.1;
const SHUTDOWN_TIMEOUT = 1;

const uncaught = collectUncaught();
before(() => {
  uncaught.start();
});
after(() => {
  uncaught.stop();
  assert.deepEqual(uncaught.errors, [], 'no uncaughtException or unhandledRejection in any sink fault case');
});

/** Resolves at the first 'check' for which `done` is true. */
function checkUntil(monitor: HealthMonitor, done: (m: HealthMetrics) => boolean): Promise<HealthMetrics> {
  return new Promise((resolve) => {
    const onCheck = (m: HealthMetrics) => {
      if (!done(m)) return;
      monitor.off('check', onCheck);
      resolve(m);
    };
    monitor.on('check', onCheck);
  });
}

/** A custom check that fails every other run: one alert transition (and notification) per check. */
function flapping(): () => boolean {
  let runs = 0;
  return () => runs++ % 2 === 1;
}

/** A callback sink that records the notifications it gets (the well-behaved one). */
function recorder(): { fn: (n: Notification) => void; got: Notification[] } {
  const got: Notification[] = [];
  return { got, fn: (n) => void got.push(n) };
}

/** A native promise whose `then` throws: garbage a callback can return. */
class BrokenPromise extends Promise<void> {
  override then(): never {
    throw new Error('broken then');
  }
}

const MAX_IN_FLIGHT = 3;

test('callback sinks that never settle, throw, reject or return garbage: checks go on, the other route gets every notification, slots stay bounded', async () => {
  const rec = recorder();
  let garbageCalls = 0;
  const garbage: unknown[] = [42, 'text', { not: 'a promise' }, null, Symbol('garbage'), Promise.resolve({ weird: true }), () => 'a function'];
  const monitor = await startHealthMonitoring({
    serviceName: 'faults-callbacks',
    checkInterval: CHECK_INTERVAL,
    hostMetrics: false,
    shutdownTimeout: SHUTDOWN_TIMEOUT,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: QUIET,
    checks: { flappy: flapping() },
    alerts: {
      cooldown: 0,
      routes: [
        // Every bad sink on the first route; `continue` takes each alert on to the second.
        { name: 'bad', match: { rule: 'check:flappy' }, sinks: ['hangs', 'hangsThenable', 'throws', 'rejects', 'garbage', 'brokenThen'], continue: true },
        { name: 'good', match: { rule: 'check:flappy' }, sinks: ['rec'] },
      ],
      sinks: {
        hangs: { type: 'callback', fn: () => new Promise(() => undefined), maxInFlight: MAX_IN_FLIGHT },
        hangsThenable: { type: 'callback', fn: () => ({ then: () => undefined }), maxInFlight: MAX_IN_FLIGHT },
        throws: {
          type: 'callback',
          fn: () => {
            throw new Error('callback bug');
          },
        },
        rejects: { type: 'callback', fn: () => Promise.reject(new Error('callback rejected')) },
        garbage: { type: 'callback', fn: () => garbage[garbageCalls++ % garbage.length] },
        brokenThen: { type: 'callback', fn: () => new BrokenPromise(() => undefined), maxInFlight: MAX_IN_FLIGHT },
        rec: { type: 'callback', fn: rec.fn },
      },
    },
  });
  const stats = () => monitor.alerting.stats().sinks as Record<string, { sent: number; failed: number; dropped: number; inFlight?: number }>;
  const maxInFlight: Record<string, number> = {};
  monitor.on('check', () => {
    for (const [name, s] of Object.entries(stats())) maxInFlight[name] = Math.max(maxInFlight[name] ?? 0, s.inFlight ?? 0);
  });
  try {
    // Run until the never-settling sink has dropped notifications for a while: its slots are full.
    await within(checkUntil(monitor, () => stats().hangs!.dropped >= 4), 10_000, 'the never-settling callback fills its slots and drops');
    const recBefore = rec.got.length;
    const notificationsBefore = monitor.alerting.stats().notifications;
    // The checks go on, and the good route keeps getting notifications.
    await within(
      checkUntil(monitor, () => rec.got.length >= recBefore + 4),
      10_000,
      '4 more notifications reach the good route while the bad sinks hang',
    );
    const s = stats();
    const pipeline = monitor.alerting.stats();
    // Each check's notification goes to both routes: the good sink got every "good" one.
    assert.equal(rec.got.length, s.hangs!.sent + s.hangs!.failed + s.hangs!.dropped + s.hangs!.inFlight!, 'rec got as many as the bad route was given');
    assert.ok(pipeline.notifications > notificationsBefore);
    assert.equal(s.hangs!.inFlight, MAX_IN_FLIGHT);
    assert.deepEqual(
      [s.hangsThenable!.inFlight, s.hangsThenable!.sent],
      [MAX_IN_FLIGHT, 0],
      'a non-native thenable that never settles holds a slot (is not counted as sent)',
    );
    assert.ok(maxInFlight.hangs! <= MAX_IN_FLIGHT && maxInFlight.hangsThenable! <= MAX_IN_FLIGHT, JSON.stringify(maxInFlight));
    assert.equal(s.throws!.failed, rec.got.length);
    assert.equal(s.rejects!.failed + s.rejects!.inFlight!, rec.got.length);
    assert.equal(s.garbage!.failed, 0);
    assert.equal(s.garbage!.dropped, 0);
    // A `then` that throws is a failure, and its slot comes back: nothing is ever dropped.
    assert.equal(s.brokenThen!.dropped, 0, `brokenThen: ${JSON.stringify(s.brokenThen)}`);
    assert.ok(s.brokenThen!.failed >= rec.got.length - MAX_IN_FLIGHT, `brokenThen: ${JSON.stringify(s.brokenThen)}`);
    console.log(
      `# callbacks: ${rec.got.length} notifications to the good route; ` +
        Object.entries(s)
          .filter(([name]) => name !== 'otel-log' && name !== 'console')
          .map(([name, x]) => `${name} sent=${x.sent} failed=${x.failed} dropped=${x.dropped} inFlight=${x.inFlight}`)
          .join('; '),
    );
  } finally {
    const started = performance.now();
    await within(monitor.shutdown(), 5000, 'shutdown with hanging callbacks');
    const elapsed = (performance.now() - started) / 1000;
    console.log(`# shutdown() with hanging callbacks took ${elapsed.toFixed(3)} s (shutdownTimeout: ${SHUTDOWN_TIMEOUT})`);
    assert.ok(elapsed < SHUTDOWN_TIMEOUT * 3, `shutdown took ${elapsed} s`);
  }
});

const QUEUE_SIZE = 2;

test('webhook sinks to a receiver that never answers and one that answers after the timeout: bounded queue and requests, other sinks unaffected, shutdown leaves nothing open', async () => {
  const hanging = await countingReceiver({ hang: true }, '/hook');
  const slow = await countingReceiver({ delayMs: 600 }, '/hook');
  const rec = recorder();
  // The hanging receiver's timeout is long: after shutdown() its request must be aborted, not
  // left open (an open request holds the process) until the timeout.
  const monitor = await startHealthMonitoring({
    serviceName: 'faults-webhooks',
    checkInterval: CHECK_INTERVAL,
    hostMetrics: false,
    shutdownTimeout: SHUTDOWN_TIMEOUT,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: QUIET,
    checks: { flappy: flapping() },
    alerts: {
      cooldown: 0,
      defaultRoute: { sinks: ['hanging', 'slow', 'rec'] },
      sinks: {
        hanging: { type: 'webhook', url: hanging.url, allowHttp: true, timeout: 60, retries: 3, queueSize: QUEUE_SIZE },
        slow: { type: 'webhook', url: slow.url, allowHttp: true, timeout: 0.2, retries: 1, backoff: 0.05, queueSize: QUEUE_SIZE },
        rec: { type: 'callback', fn: rec.fn },
      },
    },
  });
  const webhook = (name: string) => monitor.alerting.stats().sinks[name] as WebhookStats;
  let maxQueued = 0;
  monitor.on('check', () => (maxQueued = Math.max(maxQueued, webhook('hanging').queued, webhook('slow').queued)));
  let shutdownSeconds = 0;
  try {
    await within(
      checkUntil(monitor, () => webhook('hanging').dropped >= 4 && webhook('slow').dropped >= 4 && webhook('slow').failed >= 1),
      15_000,
      'both webhook queues full and dropping, the slow receiver timed out at least once per notification',
    );
    const recBefore = rec.got.length;
    await within(checkUntil(monitor, () => rec.got.length >= recBefore + 4), 10_000, '4 more notifications reach the callback sink');
    const h = webhook('hanging');
    const sl = webhook('slow');
    assert.ok(maxQueued <= QUEUE_SIZE, `queued at most ${maxQueued}`);
    assert.equal(h.sent, 0);
    assert.equal(h.queued, QUEUE_SIZE);
    assert.equal(hanging.stats().requests, 1, 'one delivery at a time: the first request still hangs');
    assert.equal(hanging.stats().maxOpen, 1);
    // An aborted request's close can reach the server just after the next attempt's request.
    assert.ok(slow.stats().maxOpen <= 2, `slow receiver saw ${slow.stats().maxOpen} requests open at once`);
    assert.equal(sl.lastError, 'timeout');
    assert.equal(sl.sent, 0);
    console.log(
      `# webhooks: ${rec.got.length} notifications to the callback sink; hanging: requests=${hanging.stats().requests} ` +
        `queued=${h.queued} dropped=${h.dropped}; slow (answers after 0.6 s, timeout 0.2 s): requests=${slow.stats().requests} ` +
        `max open=${slow.stats().maxOpen} failed=${sl.failed} retries=${sl.retries} dropped=${sl.dropped} queued=${sl.queued}`,
    );
  } finally {
    const started = performance.now();
    await within(monitor.shutdown(), 5000, 'shutdown with hanging webhooks');
    shutdownSeconds = (performance.now() - started) / 1000;
  }
  try {
    console.log(`# shutdown() with hanging webhooks took ${shutdownSeconds.toFixed(3)} s (shutdownTimeout: ${SHUTDOWN_TIMEOUT})`);
    assert.ok(shutdownSeconds < SHUTDOWN_TIMEOUT * 3, `shutdown took ${shutdownSeconds} s`);
    // The hanging request (timeout 60 s) is aborted at shutdown, not left open: an open request
    // holds the service's process until it ends.
    const closeStarted = performance.now();
    await within(hanging.noneOpen(), 5000, 'the hanging webhook request closed after shutdown');
    await within(slow.noneOpen(), 5000, 'the slow webhook request closed after shutdown');
    console.log(`# requests open at the receivers after shutdown() resolved: none after ${(performance.now() - closeStarted).toFixed(0)} ms`);
    const h = webhook('hanging');
    assert.equal(h.abandoned, 1 + QUEUE_SIZE, 'the request in flight and the queue were abandoned, and counted');
    assert.equal(h.queued, 0);
  } finally {
    await hanging.close();
    await slow.close();
  }
});
