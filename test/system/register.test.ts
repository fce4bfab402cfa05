// `node --import otel-health/register app.js`: the preload starts monitoring from the
// environment, and a bad environment never stops the service from serving. Each service is a
// real child process running dist/register.js (built by `npm run build`, which `npm test` runs).
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, get, serviceEnv, startService, writeServer, type Service } from '../fixtures/service.js';

const SKIP = existsSync(join(DIST, 'register.js')) && existsSync(join(DIST, 'register.cjs'))
  ? false
  : 'dist/register.js is absent: run `npm run build` first (`npm test` builds before it tests)';

const services: Service[] = [];
let server: ReturnType<typeof writeServer> | undefined;

before(() => {
  server = writeServer();
});
after(() => {
  for (const s of services) s.kill();
  server?.remove();
});

async function start(nodeArgs: string[], env: Record<string, string>): Promise<Service> {
  const service = await startService(nodeArgs, server!.path, serviceEnv(env));
  services.push(service);
  return service;
}

interface ChecksReport {
  monitor: boolean;
  checks: number;
  requestCount: number;
  serviceIds: string[];
  statuses: string[];
  users: number;
}

describe('register preload', { skip: SKIP }, () => {
  test('--import dist/register.js with OTEL_SERVICE_NAME and a 0.2 s check interval: serves, checks run, requests counted', async () => {
    const service = await start(['--import', join(DIST, 'register.js')], {
      OTEL_SERVICE_NAME: 'reg-test',
      OTEL_HEALTH_CHECK_INTERVAL: '0.2',
    });
    for (let i = 0; i < 3; i++) assert.deepEqual(await get(service.port, `/?i=${i}`), { status: 200, body: 'hello' });
    assert.equal((await get(service.port, '/fail')).status, 500);
    // Two periodic checks after these four requests finished (0.2 s apart, bounded in the child).
    const report = JSON.parse((await get(service.port, '/checks?n=2')).body) as ChecksReport;
    assert.equal(report.monitor, true, 'the preload started a monitor');
    assert.ok(report.checks >= 2, `periodic checks ran: ${report.checks}`);
    assert.deepEqual(report.serviceIds, ['reg-test']);
    assert.equal(report.requestCount, 4, 'each finished request counted once across the checks');
    assert.equal(report.users, 1);
    assert.doesNotMatch(service.stderr(), /otel-health/, `no complaint on stderr: ${service.stderr()}`);

    // SIGTERM closes the server: the preload must not keep the process alive.
    service.child.kill('SIGTERM');
    assert.equal(await service.exited(10_000), 0);
  });

  test('a bad OTEL_HEALTH_CHECK_INTERVAL: the service still serves, stderr names the variable', async () => {
    const service = await start(['--import', join(DIST, 'register.js')], {
      OTEL_SERVICE_NAME: 'reg-test',
      OTEL_HEALTH_CHECK_INTERVAL: '-1',
    });
    await service.waitForStderr(/OTEL_HEALTH_CHECK_INTERVAL/);
    assert.match(service.stderr(), /otel-health: monitoring not started/);
    assert.deepEqual(await get(service.port, '/'), { status: 200, body: 'hello' });
    assert.deepEqual(await get(service.port, '/again'), { status: 200, body: 'hello' });
    const report = JSON.parse((await get(service.port, '/checks')).body) as ChecksReport;
    assert.equal(report.monitor, false, 'unmonitored');
    assert.equal(report.users, 0, 'no instrumentation left subscribed');
    service.child.kill('SIGTERM');
    assert.equal(await service.exited(10_000), 0);
  });

  test('several bad variables are all named', async () => {
    const service = await start(['--import', join(DIST, 'register.js')], {
      OTEL_HEALTH_CHECK_INTERVAL: 'soon',
      OTEL_HEALTH_ERROR_THRESHOLD: '2',
    });
    await service.waitForStderr(/monitoring not started/);
    await service.waitForStderr(/OTEL_HEALTH_CHECK_INTERVAL[\s\S]*OTEL_HEALTH_ERROR_THRESHOLD|OTEL_HEALTH_ERROR_THRESHOLD[\s\S]*OTEL_HEALTH_CHECK_INTERVAL/);
    assert.equal((await get(service.port, '/')).status, 200);
  });

  test('--require dist/register.cjs works the same; with --import too there is still one monitor', async () => {
    const service = await start(['--require', join(DIST, 'register.cjs'), '--import', join(DIST, 'register.js')], {
      OTEL_SERVICE_NAME: 'reg-cjs',
      OTEL_HEALTH_CHECK_INTERVAL: '0.2',
    });
    assert.equal((await get(service.port, '/')).status, 200);
    assert.equal((await get(service.port, '/')).status, 200);
    const report = JSON.parse((await get(service.port, '/checks?n=2')).body) as ChecksReport;
    assert.equal(report.monitor, true);
    assert.deepEqual(report.serviceIds, ['reg-cjs']);
    assert.equal(report.requestCount, 2, 'counted once, not once per build');
    assert.equal(report.users, 1, 'one monitor holds the instrumentation');
    assert.doesNotMatch(service.stderr(), /otel-health/);
  });
});
