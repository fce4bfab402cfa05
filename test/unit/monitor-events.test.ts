import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, type HealthMetrics } from '../../src/index.js';

test("'check' fires with each HealthMetrics; a throwing listener stops neither the loop nor other listeners", async () => {
  const monitor = await startHealthMonitoring({
    serviceName: 'events',
    checkInterval: 0.1,
    hostMetrics: false,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false, connections: false },
  });
  try {
    monitor.on('check', () => {
      throw new Error('listener bug');
    });
    const seen: HealthMetrics[] = [];
    const three = new Promise<void>((resolve) =>
      monitor.on('check', (metrics: HealthMetrics) => {
        seen.push(metrics);
        if (seen.length === 3) resolve();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      three,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no three checks within 5 s')), 5000))),
    ]);
    clearTimeout(timer);
    assert.equal(seen[0]!.serviceId, 'events');
    assert.ok(seen[1]!.timestamp >= seen[0]!.timestamp);
    assert.ok(monitor.internalErrors >= 3, 'the throwing listener was caught each time');
    const direct = await monitor.monitorService();
    assert.equal(seen.at(-1), direct, 'monitorService() is a check too');
  } finally {
    await monitor.shutdown();
  }
});

test('one ConfigError lists bad monitoring options and bad alert settings together', async () => {
  await assert.rejects(
    startHealthMonitoring({
      checkInterval: -1,
      loggerProvider: new LoggerProvider(),
      alerts: { routes: [{ match: { level: 'LOUD' as never }, sink: 'nowhere' }], sinks: { hook: { type: 'webhook', url: 'http://x.example/hook' } } },
    }),
    (error: Error & { issues?: { path: string }[] }) => {
      assert.equal(error.name, 'ConfigError');
      const paths = (error.issues ?? []).map((i) => i.path);
      assert.ok(paths.includes('checkInterval'), paths.join(', '));
      assert.ok(paths.some((p) => p.startsWith('alerts.routes.0')), paths.join(', '));
      return true;
    },
  );
});

test("once('check') runs once and is removed; on() listeners get `this` = the monitor", async () => {
  const monitor = await startHealthMonitoring({
    serviceName: 'events-once',
    checkInterval: 3600,
    hostMetrics: false,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false, connections: false },
  });
  try {
    let onceCalls = 0;
    const receivers: unknown[] = [];
    monitor.once('check', () => onceCalls++);
    monitor.on('check', function (this: unknown) {
      receivers.push(this);
    });
    for (let i = 0; i < 3; i++) await monitor.monitorService();
    assert.equal(onceCalls, 1);
    assert.equal(monitor.listenerCount('check'), 1);
    assert.equal(receivers.length, 3);
    assert.ok(receivers.every((r) => r === monitor));
  } finally {
    await monitor.shutdown();
  }
});
