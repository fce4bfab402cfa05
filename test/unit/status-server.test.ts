import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, startStatusServer, statusServerOf, type HealthMonitor, type StatusServer } from '../../src/index.js';
import { loadConfig } from '../../src/config/index.js';
import { close, listen, request, type Response } from '../../support/http.js';

const TOKEN = 'a-status-token-of-32-characters!';

/** A request to a status server (its url), on a fresh connection. */
function get(server: StatusServer, path: string, options: http.RequestOptions & { body?: string } = {}): Promise<Response> {
  return request(server.port, path, options);
}

/** An app server answering 500 on /fail and 200 elsewhere. */
async function appServer(): Promise<{ server: http.Server; port: number; hit: (path: string, n: number) => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end('x');
  });
  const port = await listen(server);
  return {
    server,
    port,
    hit: async (path, n) => {
      for (let i = 0; i < n; i++) await request(port, path);
    },
  };
}

const quiet = {
  hostMetrics: false,
  loggerProvider: new LoggerProvider(),
  checkInterval: 3600, // checks run only when the test calls monitorService()
  responseTimeThreshold: false,
  errorThreshold: { error: 0.1, minRequests: 1 },
  resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false, connections: false },
} as const;

describe('status server started by startHealthMonitoring', () => {
  let monitor: HealthMonitor;
  let status: StatusServer;
  let app: Awaited<ReturnType<typeof appServer>>;

  before(async () => {
    app = await appServer();
    monitor = await startHealthMonitoring({
      ...quiet,
      serviceName: 'checkout',
      statusServer: { port: 0 },
      checks: { database: () => false },
    });
    status = statusServerOf(monitor)!;
    assert.ok(status, 'statusServerOf returns the server');
  });
  after(async () => {
    await monitor.shutdown();
    await close(app.server);
  });

  it('binds 127.0.0.1 by default; /health/live answers 200; /health/ready is 200 before any alert', async () => {
    assert.equal(status.host, '127.0.0.1');
    assert.match(status.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const live = await get(status, '/health/live');
    assert.equal(live.status, 200);
    assert.deepEqual(JSON.parse(live.body), { status: 'live' });
    const ready = await get(status, '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(JSON.parse(ready.body).status, 'ready');
    assert.equal(ready.headers['cache-control'], 'no-store');
  });

  it('/health has the latest HealthMetrics per service, firing alerts and check results; /health/ready turns 503 at ERROR', async () => {
    await app.hit('/fail', 10);
    const metrics = await monitor.monitorService();
    assert.equal(metrics.status, 'unhealthy');
    const res = await get(status, '/health');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = JSON.parse(res.body);
    assert.equal(body.service, 'checkout');
    assert.equal(body.status, 'unhealthy');
    assert.equal(body.level, 'ERROR');
    assert.equal(body.ready, false);
    assert.equal(body.services.checkout.serviceId, 'checkout');
    assert.equal(body.services.checkout.errorRate, 1);
    const rules = body.alerts.map((a: { rule: string }) => a.rule).sort();
    assert.deepEqual(rules, ['check:database', 'error_rate']);
    assert.deepEqual(
      body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]),
      [['database', false]],
    );
    assert.doesNotMatch(res.body, /TOKEN|stack|\bat .*\.ts:\d+/i);

    const ready = await get(status, '/health/ready');
    assert.equal(ready.status, 503);
    assert.deepEqual(JSON.parse(ready.body), { ready: false, status: 'not ready', reason: 'unhealthy (ERROR)' });
    // HEAD: same status and headers, no body.
    const head = await get(status, '/health/ready', { method: 'HEAD' });
    assert.equal(head.status, 503);
    assert.equal(head.body, '');
  });

  it("the status server's own requests are never measured", async () => {
    await monitor.monitorService(); // close the window of the test above
    for (let i = 0; i < 20; i++) await get(status, i % 2 ? '/health' : '/');
    await app.hit('/ok', 3);
    const metrics = await monitor.monitorService();
    assert.equal(metrics.requestCount, 3, 'only the app requests count');
  });

  it('/ is a self-contained HTML page under a strict CSP', async () => {
    const res = await get(status, '/');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(res.body, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external resources');
    assert.doesNotMatch(res.body, /@import|url\(/i, 'no CSS imports or fetched images');
    assert.match(res.body, /<svg[^>]*aria-label="Error rate over time"/);
    assert.match(res.body, /check:database/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
  });

  it('/health/ready answers 503 as soon as shutdown begins', async () => {
    // Its own instance: shutting `monitor` down here would end the suite's monitor early.
    const second = await startHealthMonitoring({ ...quiet, serviceName: 'draining', statusServer: { port: 0 } });
    const server = statusServerOf(second)!;
    assert.equal((await get(server, '/health/ready')).status, 200);
    const done = second.shutdown();
    assert.equal(server.draining, true, 'draining from the first synchronous step of shutdown()');
    await done;
    await assert.rejects(get(server, '/health/live'), /ECONNREFUSED/, 'closed after shutdown');
  });
});

describe('status server bounds and token', () => {
  let monitor: HealthMonitor;
  before(async () => {
    monitor = await startHealthMonitoring({ ...quiet, serviceName: 'bounds' });
  });
  after(() => monitor.shutdown());

  it('with a token, / and /health need it (Bearer or Basic, compared in constant time); the probes stay open', async () => {
    const server = await startStatusServer(monitor, { port: 0, token: TOKEN });
    try {
      const denied = await get(server, '/health');
      assert.equal(denied.status, 401);
      assert.match(String(denied.headers['www-authenticate']), /^Basic realm="otel-health"/);
      assert.equal((await get(server, '/', { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await get(server, '/', { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
      assert.equal((await get(server, '/health', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
      const basic = Buffer.from(`any:${TOKEN}`).toString('base64');
      assert.equal((await get(server, '/', { headers: { authorization: `Basic ${basic}` } })).status, 200);
      assert.equal((await get(server, '/health/live')).status, 200);
      assert.equal((await get(server, '/health/ready')).status, 200);
    } finally {
      await server.close();
    }
  });

  it('GET and HEAD only (405), no body (413), unknown paths 404, long URLs 414', async () => {
    const server = await startStatusServer(monitor, { port: 0 });
    try {
      const post = await get(server, '/health', { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
      const withBody = await get(server, '/health', { method: 'GET', headers: { 'content-length': '5' }, body: 'hello' });
      assert.equal(withBody.status, 413);
      const chunked = await get(server, '/health', { method: 'GET', headers: { 'transfer-encoding': 'chunked' }, body: 'x'.repeat(2048) });
      assert.equal(chunked.status, 413);
      assert.equal((await get(server, '/nope')).status, 404);
      assert.equal((await get(server, `/health?${'a'.repeat(3000)}`)).status, 414);
    } finally {
      await server.close();
    }
  });

  it('a process-wide token bucket answers 429 with Retry-After', async () => {
    const server = await startStatusServer(monitor, { port: 0, rateLimit: 5 }); // burst 10
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await get(server, '/health/live')).status);
      assert.ok(statuses.filter((s) => s === 200).length >= 10, statuses.join(','));
      assert.ok(statuses.includes(429), statuses.join(','));
      const limited = await get(server, '/health/live');
      if (limited.status === 429) assert.equal(limited.headers['retry-after'], '1');
    } finally {
      await server.close();
    }
  });

  it('an internal error answers 500 without a stack trace or message', async () => {
    const broken = Object.create(monitor) as HealthMonitor;
    broken.firingAlerts = () => {
      throw new Error('secret-detail at /srv/app/db.ts:12');
    };
    const server = await startStatusServer(broken, { port: 0 });
    try {
      const res = await get(server, '/health');
      assert.equal(res.status, 500);
      assert.deepEqual(JSON.parse(res.body), { error: 'internal error' });
      assert.doesNotMatch(res.body, /secret|\.ts/);
    } finally {
      await server.close();
    }
  });

  it('without a token and bound beyond loopback, it says so at start', async () => {
    const lines: string[] = [];
    const open = await startStatusServer(monitor, { port: 0, host: '0.0.0.0', log: (l) => lines.push(l) });
    await open.close();
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /no token and is bound beyond loopback/);
    const withToken = await startStatusServer(monitor, { port: 0, host: '0.0.0.0', token: TOKEN, log: (l) => lines.push(l) });
    await withToken.close();
    const loopback = await startStatusServer(monitor, { port: 0, log: (l) => lines.push(l) });
    await loopback.close();
    assert.equal(lines.length, 1, 'no warning with a token, or on loopback');
  });

  it('a port in use: startHealthMonitoring still resolves, with no status server, and checks run (issue 10; see test/system/startup.test.ts)', async () => {
    const taken = http.createServer();
    const port = await listen(taken);
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (line: string) => void warned.push(line);
    let monitor: HealthMonitor | undefined;
    try {
      monitor = await startHealthMonitoring({ ...quiet, serviceName: 'clash', statusServer: { port }, startupMessage: false });
    } finally {
      console.warn = warn;
    }
    try {
      assert.equal(statusServerOf(monitor), undefined);
      assert.deepEqual(warned, [`otel-health: the status server cannot listen on 127.0.0.1:${port} (EADDRINUSE); monitoring runs without the status page`]);
      assert.equal((await monitor.monitorService()).serviceId, 'clash');
    } finally {
      await monitor.shutdown();
      await close(taken);
    }
  });
});

describe('status server configuration', () => {
  it('statusServer option and OTEL_HEALTH_STATUS_* variables, explicit options winning', () => {
    assert.equal(loadConfig({}, {}).statusServer, undefined);
    assert.deepEqual(loadConfig({ statusServer: { port: 9464 } }, {}).statusServer, { port: 9464, host: '127.0.0.1' });
    assert.deepEqual(
      loadConfig({}, { OTEL_HEALTH_STATUS_PORT: '9464', OTEL_HEALTH_STATUS_HOST: '0.0.0.0', OTEL_HEALTH_STATUS_TOKEN: TOKEN }).statusServer,
      { port: 9464, host: '0.0.0.0', token: TOKEN },
    );
    assert.deepEqual(loadConfig({ statusServer: { port: 1 } }, { OTEL_HEALTH_STATUS_TOKEN: TOKEN }).statusServer, {
      port: 1,
      host: '127.0.0.1',
      token: TOKEN,
    });
    assert.equal(loadConfig({ statusServer: false }, { OTEL_HEALTH_STATUS_PORT: '9464' }).statusServer, undefined);
  });

  it('bad values are named; a short token is never echoed', () => {
    const issues = (f: () => unknown): { path: string; message: string }[] => {
      try {
        f();
      } catch (e) {
        return (e as { issues: { path: string; message: string }[] }).issues;
      }
      assert.fail('expected a ConfigError');
    };
    const fromEnv = issues(() => loadConfig({}, { OTEL_HEALTH_STATUS_PORT: '70000', OTEL_HEALTH_STATUS_TOKEN: 'hunter2' }));
    assert.ok(fromEnv.some((i) => i.path === 'OTEL_HEALTH_STATUS_PORT'), JSON.stringify(fromEnv));
    assert.ok(fromEnv.some((i) => i.path === 'OTEL_HEALTH_STATUS_TOKEN'), JSON.stringify(fromEnv));
    assert.doesNotMatch(JSON.stringify(fromEnv), /hunter2/);
    const fromOptions = issues(() => loadConfig({ statusServer: { host: '::', token: 'hunter2' } }, {}));
    assert.deepEqual(fromOptions.map((i) => i.path).sort(), ['statusServer.port', 'statusServer.token']);
    assert.doesNotMatch(JSON.stringify(fromOptions), /hunter2/);
  });
});
