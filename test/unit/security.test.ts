// Security (issue 6): no raw URL, query string or header value ever becomes a metric or log
// attribute, a log body, alert text, status-server output, a diag message or anything written
// to stdout/stderr; webhook URLs (path, query, userinfo) and header values never appear in logs,
// while webhook failures themselves are reported.
//
// Every secret is a unique marker starting with its test's tag, so one search finds any of them
// (and only that test's: the runner writes other tests' results to stdout too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  ConfigError,
  HealthReader,
  expressMountRoute,
  setRoute,
  startHealthMonitoring,
  statusServerOf,
  type HealthMetrics,
  type HealthMonitor,
  type HealthMonitorOptions,
} from '../../src/index.js';
import { startHostMetrics } from '../../src/instrumentation/runtime/host.js';
import { acquireInstrumentation } from '../../src/instrumentation/index.js';
import { close, listen, request, trackSockets } from '../../support/http.js';
import { TestReader } from '../../support/metrics.js';
import { captureOutput, type CapturedOutput } from '../helpers/capture.js';
import { clientRequest } from '../../support/bad-traffic.js';
import { freePort } from '../helpers/prometheus.js';

/** A tag for one test's secrets, and a maker of unique secrets carrying it. */
function markers(): { tag: string; secret: (where: string) => string } {
  const tag = `zsec${randomBytes(3).toString('hex')}`;
  return { tag, secret: (where) => `${tag}${where}${randomBytes(6).toString('hex')}` };
}
const QUIET = { cpu: false, memory: false, eventLoopDelay: false, connections: false } as const;

/** Where any needle occurs in any haystack (case-insensitive), as `where: …context…`. */
function leaks(haystacks: Record<string, string>, needles: string[]): string[] {
  const found: string[] = [];
  for (const [where, text] of Object.entries(haystacks)) {
    const lower = text.toLowerCase();
    for (const needle of needles) {
      const at = lower.indexOf(needle.toLowerCase());
      if (at >= 0) found.push(`${where}: …${text.slice(Math.max(0, at - 120), at + needle.length + 40)}…`);
    }
  }
  return found;
}

/** Bounded poll for state with no event of its own (log exports, sink stats). */
async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The monitor's next 'check'. Not events.once: the monitor calls `listeners()` itself, which
 * leaves a once-wrapper registered.
 */
function nextCheck(monitor: HealthMonitor): Promise<void> {
  return new Promise((resolve) => {
    const onCheck = () => {
      monitor.off('check', onCheck);
      resolve();
    };
    monitor.on('check', onCheck);
  });
}

/** Send `round()` after each check until the monitor emits an alert for `rule` (bounded). */
async function burstUntilAlert(monitor: HealthMonitor, rule: string, round: () => Promise<unknown>): Promise<void> {
  let fired = false;
  const onAlert = (alert: { rule: string }) => (fired ||= alert.rule === rule);
  monitor.on('alert', onAlert);
  const deadline = Date.now() + 15_000;
  try {
    while (!fired) {
      if (Date.now() > deadline) throw new Error(`no ${rule} alert within 15 s`);
      await round();
      await nextCheck(monitor);
    }
  } finally {
    monitor.off('alert', onAlert);
  }
}

/** Everything the monitor and its providers hold, and the status server shows. */
async function monitorHaystacks(monitor: HealthMonitor): Promise<Record<string, string>> {
  const status = statusServerOf(monitor);
  const haystacks: Record<string, string> = {
    alertHistory: JSON.stringify(monitor.alertHistory()),
    firingAlerts: JSON.stringify(monitor.firingAlerts()),
    latest: JSON.stringify(monitor.latest()),
    history: JSON.stringify(monitor.history()),
    alertingStats: JSON.stringify(monitor.alerting.stats()),
  };
  if (status !== undefined) {
    haystacks.statusHealth = (await request(status.port, '/health')).body;
    haystacks.statusPage = (await request(status.port, '/')).body;
    haystacks.statusReady = (await request(status.port, '/health/ready')).body;
  }
  return haystacks;
}

test('secrets in paths, query strings and headers never reach metrics, logs, alerts, the status server, diag or stdout/stderr', async () => {
  const { tag, secret } = markers();
  const S = {
    path: secret('path'),
    mount: secret('mount'),
    notFound: secret('notfound'),
    query: secret('query'),
    bearer: secret('bearer'),
    basic: secret('basic'),
    cookie: secret('cookie'),
    apiKey: secret('apikey'),
    userAgent: secret('useragent'),
    custom: secret('custom'),
    host: secret('host'),
    slow: secret('slow'),
  };
  const basic = Buffer.from(`user:${S.basic}`).toString('base64');
  const needles = [tag, basic];
  const headers = (i: number): http.OutgoingHttpHeaders => ({
    authorization: i % 2 === 0 ? `Bearer ${S.bearer}` : `Basic ${basic}`,
    cookie: `session=${S.cookie}; theme=dark`,
    'x-api-key': S.apiKey,
    'user-agent': `agent/1.0 (${S.userAgent})`,
    'x-tenant-token': S.custom,
    host: `${S.host}.example.com`,
  });

  const capture: CapturedOutput = captureOutput();
  const exporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const healthReader = new HealthReader();
  // Every instrument otel-health has (HTTP, runtime) plus the host metrics, cumulative.
  const testReader = new TestReader(AggregationTemporality.CUMULATIVE, false, true);
  const meterProvider = new MeterProvider({ readers: [healthReader, testReader] });
  const host = startHostMetrics(meterProvider);

  // The service: an Express app (a param route, a router on a parameterised mount with its
  // template named, errors, a slow route) and a plain node:http server naming its template.
  let sawSecrets = 0;
  const app = express();
  app.use((req, _res, next) => {
    if (req.url.includes(S.query) && req.headers['x-api-key'] === S.apiKey) sawSecrets++;
    next();
  });
  app.get('/users/:id', (req, res) => void res.json({ ok: req.params.id.length }));
  const orgs = express.Router();
  orgs.use(expressMountRoute('/orgs/:org'));
  orgs.get('/repos/:repo', (_req, res) => void res.send('repo'));
  app.use('/orgs/:org', orgs);
  app.get('/fail/:id', (_req, res) => void res.status(500).send('failed'));
  app.get('/throw/:id', () => {
    throw new Error('handler failed');
  });
  app.get('/slow/:id', (_req, res) => {
    res.writeHead(200);
    res.flushHeaders();
  });
  // The app itself logs nothing (Express's default handler would print the stack to stderr).
  app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => void res.status(500).end());
  const expressServer = http.createServer(app);
  const plainServer = http.createServer((req, res) => {
    if (req.url?.startsWith('/items/')) {
      setRoute(req, '/items/:id');
      res.statusCode = 503;
      res.end();
    } else {
      res.writeHead(200);
      res.flushHeaders();
    }
  });
  const sockets = [trackSockets(expressServer), trackSockets(plainServer)];
  const expressPort = await listen(expressServer);
  const plainPort = await listen(plainServer);

  let monitor: HealthMonitor | undefined;
  let haystacks: Record<string, string> = {};
  const checks: HealthMetrics[] = [];
  try {
    monitor = await startHealthMonitoring({
      serviceName: 'security',
      reader: healthReader,
      loggerProvider,
      checkInterval: 0.2,
      errorThreshold: { error: 0.1, minRequests: 1 },
      responseTimeThreshold: false,
      resourceThresholds: QUIET,
      statusServer: { port: 0 },
      alerts: { defaultRoute: { sinks: ['otel-log', 'console'] } },
    });
    monitor.on('check', (m: HealthMetrics) => checks.push(m));
    const m = monitor;
    const q = `?token=${S.query}&q=${S.query}`;
    let round = 0;
    await burstUntilAlert(m, 'error_rate', async () => {
      const i = round++;
      await Promise.all([
        request(expressPort, `/users/${S.path}${q}`, { headers: headers(i) }),
        request(expressPort, `/orgs/${S.mount}/repos/${S.path}${q}`, { headers: headers(i + 1) }),
        ...Array.from({ length: 3 }, (_, j) => request(expressPort, `/fail/${S.path}${q}`, { headers: headers(i + j) })),
        request(expressPort, `/throw/${S.path}${q}`, { headers: headers(i) }),
        request(expressPort, `/nothing/${S.notFound}${q}`, { headers: headers(i) }),
        request(plainPort, `/items/${S.path}${q}`, { headers: headers(i) }),
        clientRequest(expressPort, false, 'GET', `/slow/${S.slow}${q}`, { headers: headers(i), abortOnResponse: true }),
        clientRequest(plainPort, false, 'POST', `/slow/${S.slow}${q}`, { headers: headers(i + 1), abortOnResponse: true }),
      ]);
    });
    await Promise.all(sockets.map((s) => s.allClosed()));
    // The alert reached both sinks: a health.alert log record, a console line.
    await until('a health.alert log record', () => exporter.getFinishedLogRecords().some((r) => r.eventName === 'health.alert'));
    await until('the console sink line', () => capture.stdout.some((line) => /\[otel-health\] \w+ firing security: error rate/.test(line)));
    await nextCheck(m); // one more check after the aborted requests closed

    // The status server, also asked with the secrets in its own URL and headers.
    const status = statusServerOf(m)!;
    const statusNotFound = await request(status.port, `/nope/${S.notFound}${q}`, { headers: headers(0) });
    const statusHealthAsked = await request(status.port, `/health${q}`, { headers: headers(1) });

    const { resourceMetrics, errors } = await testReader.collect();
    assert.deepEqual(errors, []);
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const points = metrics.flatMap((metric) => metric.dataPoints.map((p) => ({ metric: metric.descriptor.name, attributes: p.attributes })));
    const records = exporter.getFinishedLogRecords().map((r) => ({
      eventName: r.eventName,
      severityText: r.severityText,
      body: r.body,
      attributes: r.attributes,
      resource: r.resource.attributes,
    }));
    haystacks = {
      metricAttributes: JSON.stringify(points),
      metricDescriptors: JSON.stringify(metrics.map((x) => x.descriptor)),
      logRecords: JSON.stringify(records),
      checkEvents: JSON.stringify(checks),
      statusNotFound: JSON.stringify(statusNotFound),
      statusHealthAsked: statusHealthAsked.body,
      ...(await monitorHaystacks(m)),
    };

    // The run produced what the search runs over (so an empty search means something).
    assert.ok(sawSecrets > 0, 'the app received the secrets');
    const durations = points.filter((p) => p.metric === 'http.server.request.duration');
    const has = (key: string, value: unknown) => durations.some((p) => p.attributes[key] === value);
    assert.ok(has('error.type', '500') && has('error.type', '503') && has('error.type', 'aborted'), JSON.stringify(durations));
    assert.ok(has('http.route', '/users/:id') && has('http.route', '/orgs/:org/repos/:repo') && has('http.route', '/items/:id'), JSON.stringify(durations));
    assert.ok(points.some((p) => p.metric === 'v8js.memory.heap.used'), 'runtime metrics collected');
    assert.ok(points.some((p) => p.metric.startsWith('system.')), 'host metrics collected');
    assert.ok(records.some((r) => r.attributes['health.alert.rule'] === 'error_rate'), 'alert log record');
    assert.ok(m.alertHistory().length > 0);
    assert.match(haystacks.statusHealth!, /error_rate/);
    assert.match(haystacks.statusPage!, /<html/i);
  } finally {
    await monitor?.shutdown();
    host.shutdown();
    await meterProvider.shutdown();
    await close(expressServer);
    await close(plainServer);
    capture.restore();
  }
  haystacks.stdout = capture.stdout.join('');
  haystacks.stderr = capture.stderr.join('');
  haystacks.diag = capture.diag.join('\n');
  assert.match(haystacks.stdout, /\[otel-health\] \w+ firing security: error rate/, 'the console sink wrote to stdout');
  assert.deepEqual(leaks(haystacks, needles), []);
  console.log(
    `# searched ${Object.keys(haystacks).length} outputs (${Object.values(haystacks).reduce((n, h) => n + h.length, 0)} characters) for ${Object.keys(S).length} secrets: none found`,
  );
});

test('webhook URL and header secrets never reach logs; each way a webhook fails is reported', async () => {
  const { tag, secret } = markers();
  const S = {
    path: secret('hookpath'),
    query: secret('hookquery'),
    fragment: secret('hookfragment'),
    user: secret('hookuser'),
    password: secret('hookpassword'),
    bearer: secret('hookbearer'),
    envKey: secret('hookenvkey'),
    redirect: secret('hookredirect'),
    badUrl: secret('hookbadurl'),
  };
  const ENV = 'OTEL_HEALTH_SECURITY_TEST_KEY';
  process.env[ENV] = S.envKey;
  const capture = captureOutput();

  // Endpoints that fail in each way: 500, 429 (Retry-After 0), a redirect, a hang past the
  // timeout, and a port nobody listens on.
  const received: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  const endpoint = (answer: (res: http.ServerResponse) => void) =>
    http.createServer((req, res) => {
      received.push({ path: req.url ?? '', headers: req.headers });
      req.resume();
      answer(res);
    });
  const servers = {
    '500': endpoint((res) => res.writeHead(500).end()),
    '429': endpoint((res) => res.writeHead(429, { 'retry-after': '0' }).end()),
    redirect: endpoint((res) => res.writeHead(302, { location: `/elsewhere/${S.redirect}?t=${S.redirect}` }).end()),
    hang: endpoint(() => undefined),
  };
  const ports = Object.fromEntries(await Promise.all(Object.entries(servers).map(async ([k, s]) => [k, await listen(s)] as const))) as Record<keyof typeof servers, number>;
  const refusedPort = await freePort();
  const hookUrl = (port: number) => `http://127.0.0.1:${port}/hook/${S.path}?token=${S.query}#${S.fragment}`;
  const webhook = (port: number) => ({
    type: 'webhook' as const,
    url: hookUrl(port),
    allowHttp: true,
    headers: { authorization: `Bearer ${S.bearer}`, 'x-api-key': { env: ENV } },
    timeout: 0.3,
    retries: 1,
    backoff: 0.01,
    maxBackoff: 0.02,
    maxRetryAfter: 1,
  });
  const sinks = {
    'hook-500': webhook(ports['500']),
    'hook-429': webhook(ports['429']),
    'hook-redirect': webhook(ports.redirect),
    'hook-hang': webhook(ports.hang),
    'hook-refused': webhook(refusedPort),
  };
  const expected: Record<keyof typeof sinks, RegExp> = {
    'hook-500': /http 500/,
    'hook-429': /http 429/,
    'hook-redirect': /network/,
    'hook-hang': /timeout/,
    'hook-refused': /network/,
  };

  const app = http.createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end();
  });
  const appPort = await listen(app);
  const base: HealthMonitorOptions = {
    serviceName: 'security-webhook',
    hostMetrics: false,
    loggerProvider: new LoggerProvider(),
    checkInterval: 0.2,
    errorThreshold: { error: 0.1, minRequests: 1 },
    responseTimeThreshold: false,
    resourceThresholds: QUIET,
  };
  let configError: unknown;
  let monitor: HealthMonitor | undefined;
  let haystacks: Record<string, string> = {};
  try {
    // Bad webhook definitions are refused at start, by field, without their values.
    try {
      await startHealthMonitoring({
        ...base,
        alerts: {
          sinks: {
            creds: { ...webhook(ports['500']), url: `http://${S.user}:${S.password}@127.0.0.1:${ports['500']}/hook/${S.path}?token=${S.query}` },
            garbage: { ...webhook(ports['500']), url: `not a url/${S.badUrl}?token=${S.query}` },
            plain: { ...webhook(ports['500']), url: hookUrl(ports['500']), allowHttp: false },
            unset: { ...webhook(ports['500']), headers: { authorization: `Bearer ${S.bearer}`, 'x-other': { env: `${ENV}_UNSET` } } },
          },
        },
      });
    } catch (error) {
      configError = error;
    }
    assert.ok(configError instanceof ConfigError, String(configError));
    const issues = Object.fromEntries(configError.issues.map((i) => [i.path, i.message]));
    assert.match(issues['alerts.sinks.creds.url'] ?? '', /credentials/);
    assert.match(issues['alerts.sinks.garbage.url'] ?? '', /absolute URL/);
    assert.match(issues['alerts.sinks.plain.url'] ?? '', /https/);
    assert.match(issues[`alerts.sinks.unset.headers.x-other`] ?? '', new RegExp(`${ENV}_UNSET is not set`));

    monitor = await startHealthMonitoring({ ...base, alerts: { sinks, defaultRoute: { sinks: Object.keys(sinks) } } });
    const m = monitor;
    await burstUntilAlert(m, 'error_rate', () => Promise.all(Array.from({ length: 5 }, () => request(appPort, '/fail'))));
    // Every sink gave up on its notification (retries included).
    await until('every webhook sink failed once', () => Object.keys(sinks).every((name) => (m.alerting.stats().sinks[name]?.failed ?? 0) >= 1));
    haystacks = await monitorHaystacks(m);
  } finally {
    await monitor?.shutdown();
    await close(app);
    for (const server of Object.values(servers)) await close(server);
    capture.restore();
    delete process.env[ENV];
  }
  haystacks.configError = `${String(configError)} ${JSON.stringify((configError as ConfigError).issues)}`;
  haystacks.stdout = capture.stdout.join('');
  haystacks.stderr = capture.stderr.join('');
  haystacks.diag = capture.diag.join('\n');

  // The secrets were in play: the endpoints got the path, query and both header values.
  const got = received.find((r) => r.path.includes(S.path));
  assert.ok(got !== undefined, 'an endpoint received a notification');
  assert.equal(got.path, `/hook/${S.path}?token=${S.query}`);
  assert.equal(got.headers.authorization, `Bearer ${S.bearer}`);
  assert.equal(got.headers['x-api-key'], S.envKey);
  assert.ok(received.filter((r) => r.path.includes(S.path)).length >= Object.keys(servers).length, 'every listening endpoint was tried');

  // Each failure is reported, named by sink and origin, with its kind.
  const reports = `${haystacks.stderr}\n${haystacks.stdout}\n${haystacks.diag}`;
  for (const [name, kind] of Object.entries(expected)) {
    const line = reports.split('\n').find((l) => l.includes(`webhook sink "${name}"`) && l.includes('gave up'));
    assert.ok(line !== undefined, `a report for ${name} in:\n${reports}`);
    assert.match(line, kind);
    assert.match(line, /\(http:\/\/127\.0\.0\.1:\d+\)/, 'the origin, to tell sinks apart');
  }
  assert.deepEqual(leaks(haystacks, [tag, Buffer.from(`${S.user}:${S.password}`).toString('base64')]), []);
  console.log(`# webhook: ${Object.keys(sinks).length} failing sinks reported (${Object.values(expected).map(String).join(', ')}); config refused 4 bad sinks; no secret in ${Object.keys(haystacks).join(', ')}`);
});

test(
  'a router on a parameterised mount without expressMountRoute: the actual mount path is not an http.route',
  async () => {
    const { tag, secret } = markers();
    const mount = secret('mount');
    const reader = new TestReader(AggregationTemporality.CUMULATIVE);
    const meterProvider = new MeterProvider({ readers: [reader] });
    const handle = acquireInstrumentation();
    const app = express();
    const orgs = express.Router();
    orgs.get('/repos/:repo', (_req, res) => void res.send('repo'));
    app.use('/orgs/:org', orgs);
    const server = http.createServer(app);
    const port = await listen(server);
    try {
      assert.equal((await request(port, `/orgs/${mount}/repos/x`)).status, 200);
      const { resourceMetrics } = await reader.collect();
      const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
      const text = JSON.stringify(metrics.flatMap((x) => x.dataPoints.map((p) => p.attributes)));
      // req.baseUrl holds the actual value and is not known to be a template: no http.route.
      const duration = metrics.find((m) => m.descriptor.name === 'http.server.request.duration');
      const measured = (duration?.dataPoints ?? []).map((p) => p.attributes);
      // Other points may be in this process-wide store (a late aborted request of an earlier
      // test closes on its socket's close), so look for this request's point rather than count.
      assert.ok(
        measured.some((a) => a['http.request.method'] === 'GET' && a['http.response.status_code'] === 200 && a['http.route'] === undefined),
        `the request was measured, without a route: ${text}`,
      );
      assert.ok(
        measured.every((a) => typeof a['http.route'] !== 'string' || !a['http.route'].startsWith('/orgs')),
        `no /orgs route at all: ${text}`,
      );
      assert.deepEqual(leaks({ metricAttributes: text }, [tag]), []);
    } finally {
      await close(server);
      handle.release();
      await meterProvider.shutdown();
    }
  },
);
