// The published builds (dist/, made by `npm run build`, which `npm test` runs before the tests):
// the ESM and CommonJS builds loaded in one process share one store, so every request counts
// once; and the package's `exports` map resolves `otel-health`, `otel-health/register` and
// `otel-health/testing` by name, for import and for require.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const SKIP = existsSync(join(DIST, 'index.js'))
  ? false
  : 'dist/index.js is absent: run `npm run build` first (`npm test` builds before it tests)';
const N = 25;

/** The environment without any OTEL_* variable of the test runner's own. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_')) env[k] = v;
  return { ...env, ...extra };
}

/** Run an ES module given as source in a child node; resolves to its parsed last stdout line. */
function runModule(source: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', source],
      { cwd: ROOT, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 22 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`child failed (${error.message})\nstdout: ${stdout}\nstderr: ${stderr}`));
          return;
        }
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(last));
        } catch {
          reject(new Error(`child printed no JSON result\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      },
    );
  });
}

// Loads dist/index.js with import and dist/index.cjs with require, starts a monitor through
// each, and counts what each sees. Printed as one JSON line.
const DUAL_BUILD_CHILD = `
import http from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const dist = process.env.DIST;
const N = Number(process.env.N);
const esm = await import(pathToFileURL(dist + '/index.js').href);
const cjs = createRequire(import.meta.url)(dist + '/index.cjs');
const out = {
  twoModuleInstances: esm.HealthMetricProducer !== cjs.HealthMetricProducer && esm.startHealthMonitoring !== cjs.startHealthMonitoring,
};
const options = { serviceName: 'builds-test', checkInterval: 3600, hostMetrics: false };
const viaEsm = await esm.startHealthMonitoring(options);
const viaCjs = await cjs.startHealthMonitoring(options);
const store = globalThis[Symbol.for('otel-health.store')];
out.storeFound = store !== undefined;
out.users = store?.users;

const server = http.createServer((req, res) => res.end('ok'));
const open = new Set();
server.on('connection', (s) => { open.add(s); s.on('close', () => open.delete(s)); });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const get = (path) => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
});
// Server sockets closed: every response finished and was recorded (an event, not a sleep).
const settled = () => Promise.all([...open].map((s) => new Promise((resolve) => s.once('close', resolve))));
async function load(count, tag) {
  for (let i = 0; i < count; i++) await get('/' + tag + '/' + i);
  await settled();
}

await viaEsm.monitorService();
await viaCjs.monitorService();
await load(N, 'both');
out.esmCount = (await viaEsm.monitorService()).requestCount;
out.cjsCount = (await viaCjs.monitorService()).requestCount;

// One build lets go: the instrumentation stays on for the other (one shared hold count).
await viaEsm.shutdown();
out.usersAfterEsmShutdown = store?.users;
await load(N, 'cjs-only');
out.cjsCountAfterEsmShutdown = (await viaCjs.monitorService()).requestCount;

// Both let go: the channels are unsubscribed, nothing is recorded any more.
await viaCjs.shutdown();
out.usersAfterBoth = store?.users;
const producer = new esm.HealthMetricProducer({ runtimeMetrics: false });
await load(3, 'none');
const { resourceMetrics } = await producer.collect();
out.countAfterRelease = resourceMetrics.scopeMetrics
  .flatMap((s) => s.metrics)
  .filter((m) => m.descriptor.name === 'http.server.request.duration')
  .flatMap((m) => m.dataPoints)
  .reduce((a, p) => a + p.value.count, 0);
producer.shutdown();
await new Promise((resolve) => server.close(resolve));
console.log(JSON.stringify(out));
`;

describe('ESM and CommonJS builds in one process', { skip: SKIP }, () => {
  test(`import dist/index.js + require dist/index.cjs, a monitor through each: ${N} requests count ${N} in each`, async () => {
    const out = await runModule(DUAL_BUILD_CHILD, cleanEnv({ DIST, N: String(N) }));
    assert.equal(out.twoModuleInstances, true, 'both builds were really loaded (else this proves nothing)');
    assert.equal(out.storeFound, true, 'the store lives on globalThis[Symbol.for("otel-health.store")]');
    assert.equal(out.users, 2, 'both builds hold the one shared store');
    assert.equal(out.esmCount, N, 'the ESM monitor sees each request once');
    assert.equal(out.cjsCount, N, 'the CommonJS monitor sees each request once');
    assert.equal(out.usersAfterEsmShutdown, 1);
    assert.equal(out.cjsCountAfterEsmShutdown, N, 'the CommonJS monitor keeps counting after the ESM one stopped');
    assert.equal(out.usersAfterBoth, 0);
    assert.equal(out.countAfterRelease, 0, 'with no holder left, nothing is recorded');
  });
});

// Resolves the package by its own name (self-reference through `exports`) from the repo root.
const SELF_REFERENCE_CHILD = `
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
const require = createRequire(process.cwd() + '/');
const out = {
  importMain: fileURLToPath(import.meta.resolve('otel-health')),
  importRegister: fileURLToPath(import.meta.resolve('otel-health/register')),
  requireMain: require.resolve('otel-health'),
  requireRegister: require.resolve('otel-health/register'),
  importTesting: fileURLToPath(import.meta.resolve('otel-health/testing')),
  requireTesting: require.resolve('otel-health/testing'),
};
const esm = await import('otel-health');
const cjs = require('otel-health');
const names = (m) => ['startHealthMonitoring', 'HealthMonitor', 'HealthReader', 'MonitoringLevel', 'parseConfig', 'ConfigError']
  .filter((n) => m[n] !== undefined);
out.esmNames = names(esm);
out.cjsNames = names(cjs);
// The test helpers: in otel-health/testing, not in the main entry.
const helpers = ['ManualScheduler', 'sequence', 'fanOut', 'AlertPipeline'];
const esmTesting = await import('otel-health/testing');
const cjsTesting = require('otel-health/testing');
out.esmTestingNames = helpers.filter((n) => esmTesting[n] !== undefined);
out.cjsTestingNames = helpers.filter((n) => cjsTesting[n] !== undefined);
out.mainHelperNames = helpers.filter((n) => esm[n] !== undefined || cjs[n] !== undefined);
const scheduler = new cjsTesting.ManualScheduler(1000);
let fired = false;
scheduler.setTimeout(() => { fired = true; }, 50);
scheduler.advance(50);
out.manualSchedulerFires = fired;
out.levels = [esm.MonitoringLevel.INFO, cjs.MonitoringLevel.CRITICAL];
let caught;
try { cjs.parseConfig({ checkInterval: -1 }); } catch (e) { caught = e; }
out.cjsConfigErrorIsClass = caught instanceof cjs.ConfigError;
out.pkg = require('otel-health/package.json').name;
console.log(JSON.stringify(out));
`;

describe('the exports map', { skip: SKIP }, () => {
  test('otel-health, otel-health/register and otel-health/testing resolve by name, for import and for require', async () => {
    const out = await runModule(SELF_REFERENCE_CHILD, cleanEnv());
    assert.equal(out.importMain, join(DIST, 'index.js'));
    assert.equal(out.importRegister, join(DIST, 'register.js'));
    assert.equal(out.requireMain, join(DIST, 'index.cjs'));
    assert.equal(out.requireRegister, join(DIST, 'register.cjs'));
    assert.equal(out.importTesting, join(DIST, 'testing.js'));
    assert.equal(out.requireTesting, join(DIST, 'testing.cjs'));
    const helpers = ['ManualScheduler', 'sequence', 'fanOut', 'AlertPipeline'];
    assert.deepEqual(out.esmTestingNames, helpers);
    assert.deepEqual(out.cjsTestingNames, helpers);
    assert.deepEqual(out.mainHelperNames, [], 'the test helpers are not in the main entry');
    assert.equal(out.manualSchedulerFires, true, 'the ManualScheduler of otel-health/testing runs its timers when advanced');
    const contract = ['startHealthMonitoring', 'HealthMonitor', 'HealthReader', 'MonitoringLevel', 'parseConfig', 'ConfigError'];
    assert.deepEqual(out.esmNames, contract);
    assert.deepEqual(out.cjsNames, contract);
    assert.deepEqual(out.levels, ['INFO', 'CRITICAL']);
    assert.equal(out.cjsConfigErrorIsClass, true);
    assert.equal(out.pkg, 'otel-health');
  });

  test('every file the exports map names (code and types) exists in dist', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; main: string; module: string; types: string };
    const targets: string[] = [pkg.main, pkg.module, pkg.types];
    const walk = (node: unknown): void => {
      if (typeof node === 'string') targets.push(node);
      else if (node !== null && typeof node === 'object') for (const v of Object.values(node)) walk(v);
    };
    walk(pkg.exports);
    assert.ok(targets.length >= 11);
    const missing = targets.filter((t) => !existsSync(join(ROOT, t)));
    assert.deepEqual(missing, []);
  });
});
