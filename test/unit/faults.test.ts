// Fault injection (issue 6, short versions): a hanging OTLP endpoint at shutdown, malformed and
// half-open HTTP connections, custom checks and listeners that misbehave, a blocked event loop.
// Each case is bounded and waits on events, not sleeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { startHealthMonitoring, type HealthMetrics, type HealthMonitor } from '../../src/index.js';
import { startOtlpReceiver } from '../../support/otlp-receiver.js';
import { listen, close, request, trackSockets } from '../../support/http.js';
import { startHarness, sumOf } from '../../support/metrics.js';
import { within } from '../helpers/time.js';
import { collectUncaught } from '../helpers/uncaught.js';

const QUIET = { cpu: false, memory: false, eventLoopDelay: false, connections: false } as const;

const uncaught = collectUncaught(['uncaughtException']);
before(() => uncaught.start());
after(() => {
  uncaught.stop();
  assert.deepEqual(uncaught.errors, [], 'no uncaught exception in any fault case');
});

/** Resolves with the next `n` HealthMetrics the monitor emits. */
function nextChecks(monitor: HealthMonitor, n: number): Promise<HealthMetrics[]> {
  return new Promise((resolve) => {
    const seen: HealthMetrics[] = [];
    const onCheck = (m: HealthMetrics) => {
      seen.push(m);
      if (seen.length === n) {
        monitor.off('check', onCheck);
        resolve(seen);
      }
    };
    monitor.on('check', onCheck);
  });
}

/** Writes `data` on a raw connection, then (unless `keepOpen`) half-closes it; resolves with what the server sent before closing. */
function raw(port: number, data: string, how: 'end' | 'destroy' = 'end'): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (got += chunk));
    socket.on('error', () => undefined); // a reset is an expected outcome here
    socket.on('close', () => resolve(got));
    socket.on('connect', () => {
      socket.write(data, () => {
        if (how === 'end') socket.end();
        else socket.destroy();
      });
    });
  });
}

test('malformed, oversized and half-open connections: the server keeps serving and active requests return to 0', async () => {
  const harness = startHarness({ temporality: AggregationTemporality.CUMULATIVE });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`ok ${Buffer.concat(chunks).length}`));
    req.on('error', () => undefined);
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  try {
    // Baseline, not 0: a request in flight when an earlier monitor shut down (the hanging OTLP
    // export of the first case, on this process's receiver) leaves its -1 to the next reader.
    const baseline = sumOf(await harness.collect(), 'http.server.active_requests');
    const started = performance.now();
    const answers = await within(
      Promise.all([
        raw(port, 'GARBAGE\r\n\r\n'),
        raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n'),
        raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`),
        raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n'), // headers never finished, write side closed
        raw(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b'), // body cut short
        raw(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b', 'destroy'),
        raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'),
      ]),
      10_000,
      'raw sockets closed by the server',
    );
    assert.match(answers[0]!, /^HTTP\/1\.1 400/);
    assert.match(answers[2]!, /^HTTP\/1\.1 431/);
    await within(sockets.allClosed(), 10_000, 'server-side sockets closed');
    const normal = await request(port, '/after', { method: 'POST', body: 'hello' });
    assert.equal(normal.status, 200);
    assert.equal(normal.body, 'ok 5');
    await within(sockets.allClosed(), 10_000, 'the normal request socket closed');
    const metrics = await harness.collect();
    const active = sumOf(metrics, 'http.server.active_requests');
    assert.equal(active - baseline, 0, `active requests returned to the baseline (${baseline})`);
    console.log(
      `# 7 malformed/oversized/half-open connections handled in ${(performance.now() - started).toFixed(0)} ms; ` +
        `active requests ${baseline} before, ${active} after; answers: ${answers.map((a) => a.split('\r\n')[0] || '(closed, no answer)').join(' | ')}`,
    );
  } finally {
    await close(server);
    await harness.close();
  }
});

test('shutdown() with a hanging OTLP endpoint resolves within the shutdown timeout', async () => {
  const receiver = await startOtlpReceiver({ mode: 'hang' });
  const saved = {
    endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
    interval: process.env.OTEL_METRIC_EXPORT_INTERVAL,
    timeout: process.env.OTEL_EXPORTER_OTLP_TIMEOUT,
  };
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_METRIC_EXPORT_INTERVAL = '200';
  // The exporters' own default (10 s) applies: shutdown() abandons the stuck batches once its
  // bound runs out, so the export worker does not hold this test process for those 10 s.
  try {
    const monitor = await startHealthMonitoring({
      serviceName: 'faults-hang',
      checkInterval: 0.1,
      hostMetrics: false,
      shutdownTimeout: 1,
      resourceThresholds: QUIET,
    });
    // An export is stuck on the endpoint before shutdown begins.
    await receiver.waitFor(() => receiver.requests.some((r) => r.path === '/v1/metrics'), 5000);
    const started = performance.now();
    await within(monitor.shutdown(), 5000, 'shutdown() with a hanging endpoint');
    const elapsed = (performance.now() - started) / 1000;
    console.log(`# shutdown() with a hanging OTLP endpoint took ${elapsed.toFixed(3)} s (shutdownTimeout: 1)`);
    assert.ok(elapsed < 3, `shutdown took ${elapsed} s`);
  } finally {
    if (saved.endpoint === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved.endpoint;
    if (saved.interval === undefined) delete process.env.OTEL_METRIC_EXPORT_INTERVAL;
    else process.env.OTEL_METRIC_EXPORT_INTERVAL = saved.interval;
    if (saved.timeout === undefined) delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
    else process.env.OTEL_EXPORTER_OTLP_TIMEOUT = saved.timeout;
    await receiver.close();
  }
});

test('checks returning garbage and a throwing alert listener do not stop the checks', async () => {
  const monitor = await startHealthMonitoring({
    serviceName: 'faults-garbage',
    checkInterval: 0.1,
    hostMetrics: false,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: QUIET,
    checks: {
      object: () => ({ not: 'a boolean' }),
      symbol: () => Symbol('garbage'),
      never: () => new Promise(() => undefined),
    },
  });
  try {
    let alerts = 0;
    const alerted = new Promise<void>((resolve) =>
      monitor.on('alert', () => {
        alerts++;
        resolve();
        throw new Error('alert listener bug');
      }),
    );
    await within(alerted, 5000, "an 'alert' (the never-settling check times out)");
    const checks = await within(nextChecks(monitor, 3), 5000, "3 'check' events after the throwing listener ran");
    const last = checks.at(-1)!;
    const byName = Object.fromEntries(last.checks.map((c) => [c.name, c]));
    assert.equal(byName.object?.ok, true, JSON.stringify(last.checks));
    assert.equal(byName.symbol?.ok, true, JSON.stringify(last.checks));
    assert.equal(byName.never?.ok, false, JSON.stringify(last.checks));
    assert.ok(alerts >= 1);
    assert.ok(monitor.internalErrors >= 1, 'the throwing listener was counted');
    console.log(`# garbage checks: 3 more checks after the throwing 'alert' listener; internalErrors=${monitor.internalErrors}`);
  } finally {
    await within(monitor.shutdown(), 5000, 'shutdown');
  }
});

test('a 1 s blocked event loop: checks resume one at a time and the next check reads the delay', async () => {
  const monitor = await startHealthMonitoring({
    serviceName: 'faults-block',
    checkInterval: 0.1,
    hostMetrics: false,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: { cpu: false, memory: false, connections: false },
  });
  try {
    const stamps: Array<{ at: number; metrics: HealthMetrics }> = [];
    monitor.on('check', (metrics: HealthMetrics) => stamps.push({ at: performance.now(), metrics }));
    await within(nextChecks(monitor, 2), 5000, 'two checks before the block');
    // Block away from a collect (a block starting within one resolution of a collect can be missed).
    await new Promise((resolve) => setTimeout(resolve, 30));
    const before = stamps.length;
    const blockStart = performance.now();
    while (performance.now() - blockStart < 1000) {
      // the service's synchronous busy loop
    }
    const unblocked = performance.now();
    await within(nextChecks(monitor, 3), 5000, 'three checks after the block');
    const afterBlock = stamps.slice(before);
    const burst = afterBlock.filter((s) => s.at - unblocked <= 50).length;
    const next = afterBlock[0]!.metrics;
    const delayMax = next.eventLoopDelay?.max;
    console.log(
      `# blocked 1 s: checks before=${before}, after=${afterBlock.length}, within 50 ms of unblocking=${burst}, ` +
        `next check eventLoopDelay.max=${delayMax?.toFixed(3)} s, gaps after=${afterBlock
          .slice(1)
          .map((s, i) => (s.at - afterBlock[i]!.at).toFixed(0))
          .join(',')} ms`,
    );
    assert.ok(burst <= 2, `${burst} checks within 50 ms of unblocking`);
    assert.ok(delayMax !== undefined && delayMax >= 0.5, `eventLoopDelay.max of the next check: ${delayMax}`);
  } finally {
    await within(monitor.shutdown(), 5000, 'shutdown');
  }
});
