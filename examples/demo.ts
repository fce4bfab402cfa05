/**
 * otel-health demo: a small node:http shop service, monitored by otel-health, under generated
 * load that goes through four phases:
 *
 *   steady         45 s  answers in 5–25 ms; the anomaly rules learn the service's normal
 *                         (30 checks), then judge it: no anomaly alert
 *   latency spike  15 s  a slow dependency: every request waits 1.1–1.5 s
 *                         → anomaly:response_time fires at WARNING (a p95 far outside anything
 *                           learned), and resolves a check or two later, the new level learned
 *                         → response_time (static rule: p95 ≥ 1 s) fires at ERROR and holds
 *   error burst    15 s  the dependency fails: ~30 % of requests wait for its 1 s timeout and
 *                         answer 503, the rest are fast again
 *                         → error_rate fires at ERROR; p95 stays ≥ 1 s, so response_time holds
 *                           (anomaly:error_rate fires too, for a check or two: errors, never seen)
 *   recovery       20 s  the dependency is back → every alert resolves
 *
 * Two kinds of rules watch the service. The static rules fire on what someone predicted (p95 ≥
 * 1 s, error rate ≥ 10 %). The anomaly rules (the `anomaly` option, here on p95 response time
 * and error rate) need no threshold: each check, a detector scores the check's value 0..1
 * against the series' own history, and `anomaly:<series>` fires at WARNING when the score is
 * ≥ 0.99. They judge nothing until they have learned ANOMALY_WARMUP checks (the `warmup`
 * option: 64 by default, 30 here to fit the demo), hence the longer steady phase. They flag a
 * change, not a state: once the new level is learned the alert resolves, however bad the level;
 * holding an alert while latency stays high is the static rule's job.
 * DEMO_STATIC_LATENCY=off turns the static latency rule off: anomaly:response_time alone then
 * catches the spike.
 *
 * It prints one line of HealthMetrics per check (every second): time, phase, status, level,
 * requests/s, error rate, p50/p95/p99 response time, the anomaly scores of p95 and error rate
 * (– while learning, or for a window with fewer than 5 requests), CPU, RSS, open connections and
 * event-loop delay p99. Each alert prints once as it fires and resolves: that line comes from
 * otel-health's embedded console sink (the default LoggerProvider writes each `health.alert` log
 * event to the console when no OTLP endpoint is configured); with OTEL_EXPORTER_OTLP_ENDPOINT set,
 * the alerts go to your collector as log records and the demo prints them itself instead. At the
 * end: a summary of the alerts. The demo shuts the monitor down and exits by itself after about
 * 100 s (exit code 1 if the alerts above did not fire and resolve as described, or if an anomaly
 * alert fired in the steady phase).
 *
 * Run it:   npm ci && npm run demo   (on a fresh clone; `npm run demo` alone once installed)
 *
 * DEMO_PHASE_SECONDS=N makes every phase last N seconds instead (at least 3), except the steady
 * phase, which lasts at least STEADY_MIN_SECONDS (45 s), for the anomaly rules to learn before
 * the spike: e.g. N = 5 for a ~65 s run, as test/system/fresh-clone.test.ts does; the alerts
 * fire and resolve the same.
 * DEMO_STATIC_LATENCY=off (default on): no static latency rule; the spike is caught by
 * anomaly:response_time alone.
 *
 * History and alert state survive restarts: the demo keeps them in the store
 * `.otel-health/demo.store` (DEMO_STORE=<path> elsewhere; delete the file to start afresh) and
 * serves the status page on 127.0.0.1 (DEMO_STATUS_PORT, default a free port; the start-up line
 * and the demo print its URL). A second run's page shows the first run's checks in its history
 * plots, and the demo says how many it found.
 *
 * The load generator is a child process (this file with the argument `load`): at most 24
 * concurrent keep-alive requests, to 127.0.0.1 only, each worker pausing 20–100 ms between
 * requests (a closed loop: when the service slows down, the request rate drops, as with real
 * clients). Keeping it out of the service's process keeps the CPU figures the service's own.
 */
import http from 'node:http';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { setRoute, startHealthMonitoring, statusServerOf, type Alert, type AlertTransition, type HealthMetrics } from '../src/index.js';

/** DEMO_PHASE_SECONDS: every phase's length in seconds (≥ 3), for a shorter run. */
function phaseSeconds(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.DEMO_PHASE_SECONDS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 3) {
    console.error(`demo: DEMO_PHASE_SECONDS must be a number of seconds ≥ 3, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}
const PHASE_SECONDS = phaseSeconds();

/** DEMO_STATIC_LATENCY: `off` turns the static response_time rule off (default `on`). */
function staticLatency(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = (env.DEMO_STATIC_LATENCY ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  console.error(`demo: DEMO_STATIC_LATENCY must be on or off, got ${JSON.stringify(env.DEMO_STATIC_LATENCY)}`);
  process.exit(2);
}
const STATIC_LATENCY = staticLatency();

/**
 * Checks the anomaly rules learn before they judge (the option's minimum is 8, its default 64).
 * 30 one-second checks of the steady phase: enough for the range of the service's normal
 * latency to be known, so that what lies far outside it stands out.
 */
const ANOMALY_WARMUP = 30;
/** DEMO_STORE: where the demo keeps history and alert state between runs. */
const STORE_PATH = process.env.DEMO_STORE || path.join('.otel-health', 'demo.store');
/** DEMO_STATUS_PORT: the status page's port on 127.0.0.1; default 0, a free port. */
const STATUS_PORT = Number(process.env.DEMO_STATUS_PORT || 0);
/** The steady phase is never shorter than this: the warm-up, then 15 checks judged before the spike. */
const STEADY_MIN_SECONDS = 45;

const PHASES = [
  { name: 'steady', seconds: Math.max(STEADY_MIN_SECONDS, PHASE_SECONDS ?? STEADY_MIN_SECONDS), about: 'answers in 5–25 ms' },
  { name: 'latency spike', seconds: PHASE_SECONDS ?? 15, about: 'a slow dependency: every request waits 1.1–1.5 s' },
  { name: 'error burst', seconds: PHASE_SECONDS ?? 15, about: '~30% of requests time out on the dependency after 1 s and answer 503' },
  { name: 'recovery', seconds: PHASE_SECONDS ?? 20, about: 'the dependency is back' },
] as const;
type PhaseName = (typeof PHASES)[number]['name'];

const CONCURRENCY = 24;
const CHECK_INTERVAL = 1;
/** Hard stop, whatever happens: the phases, plus time to stop the load and shut down. */
const DEADLINE_MS = (PHASES.reduce((sum, p) => sum + p.seconds, 0) + 40) * 1000;

// ---------------------------------------------------------------------------------------------
// The load generator (child process).

async function generateLoad(port: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let running = true;
  const stop = (): void => {
    running = false;
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  const send = (method: string, path: string, body?: string): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request(
        { host: '127.0.0.1', port, method, path, agent, headers: body ? { 'content-type': 'application/json' } : {} },
        (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      req.setTimeout(10_000, () => req.destroy());
      req.on('error', () => resolve());
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (running) {
      const r = Math.random();
      if (r < 0.5) await send('GET', `/api/products/${1 + Math.floor(Math.random() * 500)}`);
      else if (r < 0.85) await send('GET', '/api/products?page=1');
      else await send('POST', '/api/orders', JSON.stringify({ product: 42, quantity: 1 }));
      await sleep(20 + Math.random() * 80);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The service.

let phase: PhaseName | 'load stopped' = 'steady';
const served = { total: 0, errors: 0 };

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && /^\/api\/products\/\d+$/.test(url.pathname)) setRoute(req, '/api/products/:id');
  else if (req.method === 'GET' && url.pathname === '/api/products') setRoute(req, '/api/products');
  else if (req.method === 'POST' && url.pathname === '/api/orders') setRoute(req, '/api/orders');
  else {
    res.statusCode = 404;
    res.end();
    return;
  }
  req.resume(); // a POST body is read and ignored

  let delay = 5 + Math.random() * 20;
  let status = req.method === 'POST' ? 201 : 200;
  if (phase === 'latency spike') delay = 1100 + Math.random() * 400;
  if (phase === 'error burst' && Math.random() < 0.3) {
    delay = 1000 + Math.random() * 100;
    status = 503;
  }
  const timer = setTimeout(() => {
    served.total++;
    if (status >= 500) served.errors++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status >= 500 ? '{"error":"upstream timeout"}' : '{"ok":true}');
  }, delay);
  res.on('close', () => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Output.

const started = performance.now();
const since = (): string => `+${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s`;

function pad(value: string, width: number): string {
  return value.padEnd(width);
}

function num(value: number | undefined, width: number, digits = 0): string {
  return (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits)).padStart(width);
}

const HEADER =
  `${pad('time', 7)} ${pad('phase', 13)} ${pad('status', 9)} ${pad('level', 8)} ${'req/s'.padStart(6)} ${'err%'.padStart(6)}` +
  `  ${'p50/p95/p99 ms'.padStart(16)}  ${'anomaly p95/err'.padStart(15)} ${'cpu%'.padStart(5)} ${'rss MB'.padStart(6)} ${'conns'.padStart(5)} ${'eld p99 ms'.padStart(10)}`;

function line(m: HealthMetrics, at: typeof phase): string {
  const rt = m.responseTime;
  const ms = (seconds: number, width: number): string => (m.requestCount === 0 ? '–'.padStart(width) : num(seconds * 1000, width));
  const latency = `${ms(rt.p50, 4)}/${ms(rt.p95, 5)}/${ms(rt.p99, 5)}`;
  // Anomaly scores 0..1; absent (–) while the detector learns, or for a window it does not judge.
  const scores = `${num(m.anomaly?.response_time, 5, 3)}/${num(m.anomaly?.error_rate, 5, 3)}`;
  return (
    `${since()} ${pad(at, 13)} ${pad(m.status, 9)} ${pad(m.level, 8)} ${num(m.requestRate, 6)} ${num(m.errorRate * 100, 6, 1)}` +
    `  ${latency.padStart(16)}  ${scores.padStart(15)} ${num(m.cpu === undefined ? undefined : m.cpu * 100, 5)} ${num(m.memory?.rss === undefined ? undefined : m.memory.rss / 2 ** 20, 6)}` +
    ` ${num(m.connections, 5)} ${num(m.eventLoopDelay === undefined ? undefined : m.eventLoopDelay.p99 * 1000, 10, 1)}`
  );
}

/** Whether otel-health's embedded console sink prints alerts (no OTLP logs endpoint configured). */
function embeddedConsoleSink(env: NodeJS.ProcessEnv = process.env): boolean {
  const choices = (env.OTEL_LOGS_EXPORTER ?? 'otlp').split(',').map((s) => s.trim().toLowerCase());
  if (choices.includes('none')) return false;
  if (choices.includes('console')) return true;
  return !(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT);
}

// ---------------------------------------------------------------------------------------------
// Main.

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error('demo: did not finish within its deadline; exiting');
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();

  const server = http.createServer(handle);
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  const monitor = await startHealthMonitoring({
    serviceName: 'demo-shop',
    checkInterval: CHECK_INTERVAL,
    // Defaults except: CRITICAL error rate raised from 25 % to 75 %. The burst averages ~30 %
    // but swings 20–50 % from one 1 s window to the next (its failures take a second each), and
    // the demo should read as one ERROR alert, not ERROR and CRITICAL taking turns.
    errorThreshold: { warning: 0.05, error: 0.1, critical: 0.75 },
    // Default: WARNING 0.5 s, ERROR 1 s, CRITICAL 2.5 s (p95); off with DEMO_STATIC_LATENCY=off.
    responseTimeThreshold: STATIC_LATENCY ? {} : false,
    // Rules anomaly:response_time and anomaly:error_rate, default levels (WARNING at score ≥ 0.99),
    // judging after ANOMALY_WARMUP checks instead of 64.
    anomaly: { series: ['response_time', 'error_rate'], warmup: ANOMALY_WARMUP },
    // History and alert state in a file: a second run starts with the first run's checks.
    store: { path: STORE_PATH },
    statusServer: { port: STATUS_PORT },
  });

  const cpu = os.cpus();
  console.log(
    `otel-health demo — service demo-shop on 127.0.0.1:${port}, checks every ${CHECK_INTERVAL}s; ` +
      `node ${process.version}, ${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}`,
  );
  console.log(`load: ${CONCURRENCY} concurrent keep-alive clients in a child process`);
  console.log(
    `rules: ${STATIC_LATENCY ? 'response_time (static: p95 ≥ 1 s ERROR)' : 'no static latency rule (DEMO_STATIC_LATENCY=off)'}, ` +
      `error_rate (static: ≥ 10 % ERROR), anomaly:response_time and anomaly:error_rate ` +
      `(WARNING at anomaly score ≥ 0.99; learning for the first ${ANOMALY_WARMUP} checks)`,
  );
  const earlier = monitor.history();
  console.log(
    `status page: ${statusServerOf(monitor)?.url ?? 'not started'}; store ${STORE_PATH}: ` +
      (earlier.length > 0
        ? `${earlier.length} checks from earlier runs (since ${new Date(earlier[0]!.timestamp).toISOString()}), in the page's history plots`
        : 'empty (a second run of the demo shows this run in its history)'),
  );
  const printAlerts = !embeddedConsoleSink();

  // Alerts: counted here; printed by otel-health's console sink (or here, when it is not active).
  const alerts: { transition: AlertTransition; phase: typeof phase; at: string }[] = [];
  monitor.on('alert', (alert: Alert, transition: AlertTransition) => {
    alerts.push({ transition, phase, at: since() });
    if (printAlerts) console.log(`${since()} ALERT ${alert.level} ${transition.kind} ${alert.message}`);
  });

  // One line per check: the monitor keeps the latest HealthMetrics; print each new one.
  let lastPrinted = 0;
  let checks = 0;
  const printer = setInterval(() => {
    const m = monitor.latest();
    if (m === undefined || m.timestamp === lastPrinted) return;
    lastPrinted = m.timestamp;
    checks++;
    console.log(line(m, phase));
  }, 50);

  const load: ChildProcess = fork(fileURLToPath(import.meta.url), ['load', String(port)], { stdio: 'inherit' });
  const loadExited = once(load, 'exit');

  for (const p of PHASES) {
    phase = p.name;
    console.log(`── ${p.name} (${p.seconds} s): ${p.about}`);
    if (p.name === 'steady') console.log(HEADER);
    await sleep(p.seconds * 1000);
  }

  // Stop the load, let the last check print, then shut down cleanly.
  phase = 'load stopped';
  load.disconnect();
  await Promise.race([loadExited, sleep(5_000).then(() => load.kill())]);
  await sleep(CHECK_INTERVAL * 1000 + 100);
  clearInterval(printer);
  await monitor.shutdown();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  // Summary.
  const count = (kind: AlertTransition['kind']): number => alerts.filter((a) => a.transition.kind === kind).length;
  console.log('── summary');
  console.log(
    `${checks} checks, ${served.total} requests served (${served.errors} answered 5xx); ` +
      `alerts: ${count('firing')} fired, ${count('escalated')} escalated, ${count('resolved')} resolved`,
  );
  for (const { transition, phase: during, at } of alerts) {
    const a = transition.alert;
    console.log(`  ${at}  ${pad(a.rule, 21)} ${pad(transition.kind, 9)} ${pad(a.level, 8)} during ${during}`);
  }
  const firing = monitor.firingAlerts();
  if (firing.length > 0) console.log(`still firing at the end: ${firing.map((a) => `${a.rule} (${a.level})`).join(', ')}`);

  // What must happen. anomaly:response_time resolves whenever its detector has learned the new
  // level (during the spike, or later): "nothing still firing" covers it.
  type Expected = readonly [rule: string, kind: AlertTransition['kind'], during: PhaseName];
  const everyRule: Expected[] = [
    ['response_time', 'firing', 'latency spike'],
    ['anomaly:response_time', 'firing', 'latency spike'],
    ['error_rate', 'firing', 'error burst'],
    ['response_time', 'resolved', 'recovery'],
    ['error_rate', 'resolved', 'recovery'],
  ];
  const story = everyRule.filter(([rule]) => STATIC_LATENCY || rule !== 'response_time');
  const missing = story.filter(
    ([rule, kind, during]) => !alerts.some((a) => a.transition.alert.rule === rule && a.transition.kind === kind && a.phase === during),
  );
  // A false alarm: an anomaly alert while the service behaves as it always has.
  const falseAlarms = alerts.filter((a) => a.phase === 'steady' && a.transition.alert.rule.startsWith('anomaly:') && a.transition.kind === 'firing');
  if (missing.length === 0 && falseAlarms.length === 0 && firing.length === 0) {
    console.log(
      `as expected: the spike fired ${STATIC_LATENCY ? 'response_time and ' : ''}anomaly:response_time` +
        `${STATIC_LATENCY ? '' : ' (static latency rule off)'}, the burst fired error_rate, all resolved, ` +
        'no anomaly alert in the steady phase',
    );
  } else {
    for (const [rule, kind, during] of missing) console.log(`unexpected: no ${rule} ${kind} during ${during}`);
    for (const { transition, at } of falseAlarms) console.log(`unexpected: ${transition.alert.rule} fired during steady (${at})`);
    process.exitCode = 1;
  }
  clearTimeout(deadline);
}

if (process.argv[2] === 'load') {
  await generateLoad(Number(process.argv[3]));
} else {
  await main();
}
