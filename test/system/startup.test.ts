/**
 * What a new user hits first (issue 10): start-up with the status port taken, the one-line
 * start-up message, the service name and host metrics when joining an existing SDK.
 *
 * Real components throughout: node:http servers on 127.0.0.1, the real HTTP instrumentation,
 * real sdk-metrics / sdk-logs providers with in-memory exporters, and (for the preload) a real
 * child process running dist/register.js.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { metrics } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  ConfigError,
  HealthReader,
  startHealthMonitoring,
  statusServerOf,
  type Alert,
  type HealthMonitor,
  type HealthMonitorOptions,
} from '../../src/index.js';
import { close, listen, request } from '../../support/http.js';
import { captureOutput } from '../helpers/capture.js';
import { DIST, get, serviceEnv, startService, writeServer, type Service } from '../fixtures/service.js';

const QUIET_RESOURCES = { cpu: false, memory: false, connections: false, eventLoopDelay: false } as const;
/** The loop never ticks within a test: each window ends at monitorService(). */
const DRIVEN = 3600;

let server: http.Server;
let port: number;

before(async () => {
  server = http.createServer((req, res) => {
    res.statusCode = req.url?.startsWith('/fail') ? 500 : 200;
    res.end('ok');
  });
  port = await listen(server);
});
after(async () => {
  await close(server);
});

/** 10 requests, 4 of them answered 500: a 40 % error rate. */
async function fortyPercentErrors(): Promise<void> {
  for (let i = 0; i < 10; i++) await request(port, i < 4 ? `/fail?i=${i}` : `/?i=${i}`);
}

function inMemoryLogs(resourceServiceName?: string): { provider: LoggerProvider; exporter: InMemoryLogRecordExporter } {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    ...(resourceServiceName !== undefined ? { resource: resourceFromAttributes({ 'service.name': resourceServiceName }) } : {}),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  return { provider, exporter };
}

/** Resolves with the first alert of `rule` the monitor emits. */
function nextAlert(monitor: HealthMonitor, rule: string): Promise<Alert> {
  return new Promise((resolve) => {
    const listener = (alert: Alert) => {
      if (alert.rule !== rule) return;
      monitor.off('alert', listener);
      resolve(alert);
    };
    monitor.on('alert', listener);
  });
}

/**
 * What otel-health wrote to a captured stream, one entry per line, from its `otel-health` on
 * (the test runner's own reports share this process's stdout, without line breaks).
 */
const otelHealthLines = (chunks: readonly string[]): string[] =>
  chunks
    .join('')
    .split('\n')
    .filter((line) => line.includes('otel-health'))
    .map((line) => line.slice(line.indexOf('otel-health')));

async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await work();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('status port already in use', () => {
  it('startHealthMonitoring resolves, says once on stderr which address failed and why, and alerts still fire', async () => {
    const holder = http.createServer((_req, res) => res.end('someone else'));
    const taken = await listen(holder);
    const logs = inMemoryLogs();
    const output = captureOutput();
    let monitor: HealthMonitor | undefined;
    try {
      monitor = await startHealthMonitoring({
        serviceName: 'clash',
        checkInterval: DRIVEN,
        statusServer: { port: taken, host: '127.0.0.1' },
        loggerProvider: logs.provider,
        hostMetrics: false,
        resourceThresholds: QUIET_RESOURCES,
      });
      output.restore();
      const problems = otelHealthLines(output.stderr);
      assert.equal(problems.length, 1, `one line on stderr: ${JSON.stringify(problems)}`);
      const line = problems[0]!;
      assert.match(line, new RegExp(`127\\.0\\.0\\.1:${taken}`), 'names the address');
      assert.match(line, /EADDRINUSE/, 'names the error code');
      assert.match(line, /monitoring runs without the status page/);
      assert.equal(line.match(/otel-health:/g)?.length, 1, `the prefix once: ${line}`);
      assert.equal(statusServerOf(monitor), undefined, 'no status server');

      const alert = nextAlert(monitor, 'error_rate');
      await fortyPercentErrors();
      const metrics = await monitor.monitorService();
      assert.ok(Math.abs(metrics.errorRate - 0.4) < 1e-9, `error rate ${metrics.errorRate}`);
      assert.equal((await alert).state, 'firing');
      assert.ok(
        logs.exporter.getFinishedLogRecords().some((r) => r.attributes['health.alert.rule'] === 'error_rate'),
        'the alert log record was emitted',
      );
    } finally {
      output.restore();
      await monitor?.shutdown();
      await close(holder);
    }
  });
});

const NO_DIST = existsSync(join(DIST, 'register.js')) ? false : 'dist/register.js is absent: run `npm run build` first';

describe('register preload', { skip: NO_DIST }, () => {
  const services: Service[] = [];
  let serverFile: ReturnType<typeof writeServer>;
  before(() => {
    serverFile = writeServer();
  });
  after(() => {
    for (const s of services) s.kill();
    serverFile.remove();
  });

  /** Resolves when the child's stdout matches `pattern` (bounded). */
  function waitForStdout(service: Service, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        service.child.stdout!.off('data', check);
        reject(new Error(`stdout never matched ${pattern}: ${service.stdout()}\nstderr: ${service.stderr()}`));
      }, timeoutMs);
      function check() {
        if (!pattern.test(service.stdout())) return;
        clearTimeout(timer);
        service.child.stdout!.off('data', check);
        resolve();
      }
      service.child.stdout!.on('data', check);
      check();
    });
  }

  it('with OTEL_HEALTH_STATUS_PORT taken: one clear stderr line, monitoring runs, an alert fires at 40 % errors', async () => {
    const holder = http.createServer((_req, res) => res.end('someone else'));
    const taken = await listen(holder);
    try {
      const service = await startService(
        ['--import', join(DIST, 'register.js')],
        serverFile.path,
        serviceEnv({
          OTEL_SERVICE_NAME: 'reg-clash',
          OTEL_HEALTH_CHECK_INTERVAL: '0.2',
          OTEL_HEALTH_STATUS_PORT: String(taken),
          OTEL_HEALTH_CPU_THRESHOLD: 'off',
          OTEL_HEALTH_MEMORY_THRESHOLD: 'off',
          OTEL_HEALTH_EVENT_LOOP_DELAY_THRESHOLD: 'off',
        }),
      );
      services.push(service);
      await service.waitForStderr(/EADDRINUSE/);
      for (let i = 0; i < 10; i++) await get(service.port, i < 4 ? '/fail' : '/');
      // The default sink with no OTLP endpoint prints each alert on stdout.
      await waitForStdout(service, /\[otel-health\] \w+ firing reg-clash: error rate/);
      const report = JSON.parse((await get(service.port, '/checks')).body) as { monitor: boolean };
      assert.equal(report.monitor, true, 'the preload started a monitor');
      const problems = service.stderr().split('\n').filter((l) => l.includes('otel-health'));
      assert.equal(problems.length, 1, `one line on stderr: ${service.stderr()}`);
      assert.match(problems[0]!, new RegExp(`^otel-health: the status server cannot listen on 127\\.0\\.0\\.1:${taken} \\(EADDRINUSE\\)`));
      assert.match(problems[0]!, /monitoring runs without the status page/);
      assert.doesNotMatch(service.stderr(), /monitoring not started/);
      service.child.kill('SIGTERM');
      assert.equal(await service.exited(10_000), 0);
    } finally {
      await close(holder);
    }
  });

  it('prints one start-up line on stdout (service, interval, alerts, status page); OTEL_HEALTH_STARTUP_MESSAGE=false turns it off', async () => {
    const on = await startService(
      ['--import', join(DIST, 'register.js')],
      serverFile.path,
      serviceEnv({ OTEL_SERVICE_NAME: 'reg-hello', OTEL_HEALTH_CHECK_INTERVAL: '0.2', OTEL_HEALTH_STATUS_PORT: '0' }),
    );
    services.push(on);
    // One check done: the start-up line was printed before the monitor was handed to the app.
    JSON.parse((await get(on.port, '/checks')).body);
    const lines = on.stdout().split('\n').filter((l) => l.startsWith('otel-health:'));
    assert.equal(lines.length, 1, on.stdout());
    assert.match(lines[0]!, /^otel-health: monitoring reg-hello, checks every 0\.2 s, alerts to console, status page http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.doesNotMatch(on.stderr(), /otel-health/);

    const off = await startService(
      ['--import', join(DIST, 'register.js')],
      serverFile.path,
      serviceEnv({ OTEL_SERVICE_NAME: 'reg-quiet', OTEL_HEALTH_CHECK_INTERVAL: '0.2', OTEL_HEALTH_STARTUP_MESSAGE: 'false' }),
    );
    services.push(off);
    const report = JSON.parse((await get(off.port, '/checks')).body) as { monitor: boolean; serviceIds: string[] };
    assert.equal(report.monitor, true);
    assert.deepEqual(report.serviceIds, ['reg-quiet']);
    // No start-up line (an alert line, e.g. event-loop delay on a loaded machine, may appear).
    assert.doesNotMatch(off.stdout(), /^otel-health:/m);
  });
});

describe('start-up message', () => {
  const base: HealthMonitorOptions = { checkInterval: DRIVEN, hostMetrics: false, resourceThresholds: QUIET_RESOURCES };

  async function startupLines(options: HealthMonitorOptions): Promise<{ stdout: string[]; stderr: string[]; diag: string[] }> {
    const output = captureOutput();
    let monitor: HealthMonitor | undefined;
    try {
      monitor = await startHealthMonitoring(options);
    } finally {
      output.restore();
      await monitor?.shutdown();
    }
    return { stdout: otelHealthLines(output.stdout), stderr: otelHealthLines(output.stderr), diag: output.diag };
  }

  it('one line on stdout: service, interval, where alerts go, the status page URL', async () => {
    const { stdout, stderr } = await startupLines({ ...base, serviceName: 'hello', checkInterval: 15, statusServer: { port: 0 } });
    assert.equal(stdout.length, 1, JSON.stringify(stdout));
    assert.match(stdout[0]!, /^otel-health: monitoring hello, checks every 15 s, alerts to console, status page http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.deepEqual(stderr, []);
  });

  it('names the OTLP endpoint host, the user LoggerProvider and sinks from routes, Alertmanager members by host', async () => {
    const otlp = await withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://user:secret@collector.example:4318/base', OTEL_LOGS_EXPORTER: undefined, OTEL_METRICS_EXPORTER: 'none' }, () =>
      startupLines({ ...base, serviceName: 'otlp-svc' }),
    );
    assert.match(otlp.stdout[0]!, /alerts to OTLP collector\.example:4318(,|$)/);
    assert.doesNotMatch(otlp.stdout[0]!, /secret|user|base/, 'only the host');

    const logs = inMemoryLogs();
    const routed = await startupLines({
      ...base,
      serviceName: 'routed',
      loggerProvider: logs.provider,
      alerts: {
        sinks: {
          pager: { type: 'webhook', url: 'https://alerts.example/hook/TOKEN' },
          mine: { type: 'callback', fn: () => undefined },
          am: { type: 'alertmanager', url: ['http://am-0.example:9093/base/', 'https://am-1.example'] },
        },
        routes: [{ match: { level: 'CRITICAL' }, sinks: ['pager', 'otel-log'] }, { match: { rule: 'cpu' }, sink: 'mine' }, { match: { level: 'ERROR' }, sink: 'am' }],
      },
    });
    assert.match(routed.stdout[0]!, /alerts to your LoggerProvider, webhook pager \(alerts\.example\), callback mine, alertmanager am \(am-0\.example:9093, am-1\.example\)(,|$)/);
    assert.doesNotMatch(routed.stdout[0]!, /TOKEN|\/hook|base/, 'only the hosts');
  });

  it('startupMessage: false and OTEL_HEALTH_STARTUP_MESSAGE=false turn it off; a bad value is a ConfigError naming it', async () => {
    assert.deepEqual((await startupLines({ ...base, startupMessage: false })).stdout, []);
    assert.deepEqual((await withEnv({ OTEL_HEALTH_STARTUP_MESSAGE: 'false' }, () => startupLines(base))).stdout, []);
    assert.equal((await withEnv({ OTEL_HEALTH_STARTUP_MESSAGE: 'false' }, () => startupLines({ ...base, startupMessage: true }))).stdout.length, 1, 'the option wins');
    await withEnv({ OTEL_HEALTH_STARTUP_MESSAGE: 'maybe' }, async () => {
      await assert.rejects(startHealthMonitoring(base), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.issues.map((i) => i.path), ['OTEL_HEALTH_STARTUP_MESSAGE']);
        return true;
      });
    });
    await assert.rejects(startHealthMonitoring({ ...base, startupMessage: 'no' as never }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues.map((i) => i.path), ['startupMessage']);
      return true;
    });
  });

  it('a console that throws does not stop start-up', async () => {
    const original = console.log;
    console.log = () => {
      throw new Error('EPIPE: the console is closed');
    };
    let monitor: HealthMonitor | undefined;
    try {
      monitor = await startHealthMonitoring({ ...base, serviceName: 'closed-console' });
      assert.equal((await monitor.monitorService()).serviceId, 'closed-console');
    } finally {
      console.log = original;
      await monitor?.shutdown();
    }
  });
});

describe('joining an existing SDK', () => {
  it('no serviceName: alerts and HealthMetrics carry service.name of the MeterProvider the HealthReader is on', async () => {
    const reader = new HealthReader();
    const meterProvider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout' }), readers: [reader] });
    const logs = inMemoryLogs();
    const output = captureOutput();
    let monitor: HealthMonitor | undefined;
    try {
      monitor = await startHealthMonitoring({
        reader,
        loggerProvider: logs.provider,
        meterProvider,
        checkInterval: DRIVEN,
        resourceThresholds: QUIET_RESOURCES,
      });
      output.restore();
      const alert = nextAlert(monitor, 'error_rate');
      await fortyPercentErrors();
      const health = await monitor.monitorService();
      assert.equal(health.serviceId, 'checkout');
      assert.equal((await alert).serviceId, 'checkout');
      const records = logs.exporter.getFinishedLogRecords().filter((r) => r.attributes['health.alert.rule'] === 'error_rate');
      assert.equal(records.length, 1);
      assert.equal(records[0]!.attributes['service.name'], 'checkout');
      assert.match(String(records[0]!.body), /^checkout: /);
      assert.match(otelHealthLines(output.stdout)[0] ?? '', /^otel-health: monitoring checkout, /, 'the start-up line names it too');
    } finally {
      output.restore();
      await monitor?.shutdown();
      await meterProvider.shutdown();
    }
  });

  it('only a LoggerProvider: its resource names the service; an explicit serviceName wins over both', async () => {
    const logs = inMemoryLogs('payments');
    let monitor = await startHealthMonitoring({ loggerProvider: logs.provider, checkInterval: DRIVEN, hostMetrics: false, startupMessage: false });
    try {
      assert.equal((await monitor.monitorService()).serviceId, 'payments');
    } finally {
      await monitor.shutdown();
    }

    const reader = new HealthReader();
    const meterProvider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout' }), readers: [reader] });
    monitor = await startHealthMonitoring({ reader, loggerProvider: logs.provider, serviceName: 'explicit', checkInterval: DRIVEN, hostMetrics: false, startupMessage: false });
    try {
      assert.equal((await monitor.monitorService()).serviceId, 'explicit');
    } finally {
      await monitor.shutdown();
      await meterProvider.shutdown();
    }
  });

  it('host metrics go to the user MeterProvider given as meterProvider: system.cpu.* and system.memory.* in its export', async () => {
    const reader = new HealthReader();
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const exportReader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout' }), readers: [reader, exportReader] });
    const logs = inMemoryLogs();
    const monitor = await startHealthMonitoring({ reader, meterProvider, loggerProvider: logs.provider, checkInterval: DRIVEN, startupMessage: false });
    try {
      await exportReader.forceFlush();
      const names = exporter
        .getMetrics()
        .flatMap((rm) => rm.scopeMetrics)
        .flatMap((sm) => sm.metrics)
        .map((m) => m.descriptor.name);
      assert.ok(names.some((n) => n.startsWith('system.cpu.')), `system.cpu.* exported: ${names.join(', ')}`);
      assert.ok(names.some((n) => n.startsWith('system.memory.')), `system.memory.* exported: ${names.join(', ')}`);
    } finally {
      await monitor.shutdown();
      await meterProvider.shutdown();
    }
  });

  it('without meterProvider, host metrics go to the global MeterProvider; with none registered, one warning says so', async () => {
    const reader = new HealthReader();
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const exportReader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader, exportReader] });
    metrics.setGlobalMeterProvider(meterProvider);
    let monitor: HealthMonitor | undefined;
    try {
      monitor = await startHealthMonitoring({ reader, loggerProvider: inMemoryLogs().provider, checkInterval: DRIVEN, startupMessage: false });
      await exportReader.forceFlush();
      const names = exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name)));
      assert.ok(names.some((n) => n.startsWith('system.cpu.')), `system.cpu.* exported: ${names.join(', ')}`);
    } finally {
      await monitor?.shutdown();
      metrics.disable();
      await meterProvider.shutdown();
    }

    // No meterProvider option and no global one: said once, in diag and in the start-up line.
    const lonely = new HealthReader();
    const lonelyProvider = new MeterProvider({ readers: [lonely] });
    const output = captureOutput();
    monitor = undefined;
    try {
      monitor = await startHealthMonitoring({ reader: lonely, loggerProvider: inMemoryLogs().provider, serviceName: 'lonely', checkInterval: DRIVEN });
    } finally {
      output.restore();
      await monitor?.shutdown();
      await lonelyProvider.shutdown();
    }
    const warnings = output.diag.filter((l) => /host metrics/.test(l));
    assert.equal(warnings.length, 1, output.diag.join('\n'));
    assert.match(warnings[0]!, /^warn otel-health: no host metrics/);
    assert.match(otelHealthLines(output.stdout)[0] ?? '', /no host metrics \(/);
  });
});
