/**
 * Long versions of the clock-step and sink fault cases (issue 6), the short ones being
 * test/unit/clock-step.test.ts and test/unit/faults-sinks.test.ts:
 *
 * 1. The event loop blocked for 2 s by the service, repeated: no burst of checks afterwards, and
 *    the next check reports the delay.
 * 2. Wall-clock steps of +1 h and −1 h every few seconds, for a minute, on a running monitor
 *    (real timers, real performance.now, the wall clock stepped): `for`, cooldown and
 *    groupInterval keep their monotonic lengths, no alert is held back, history keeps its rows.
 * 3. Sinks that hang for minutes (a webhook receiver that never answers, one that answers after
 *    the sink's timeout, a callback that never settles) while alerts flap 20 times a second:
 *    queues and in-flight calls stay within their bounds, the well-behaved sink keeps getting
 *    notifications, heap (after GC) stays flat.
 * 4. A child process with a webhook stuck on a receiver that never answers (timeout 60 s): after
 *    shutdown() resolves, the process exits at once instead of when the request times out.
 *
 * Run: `node --import tsx bench/reliability/cases/clock-and-sinks.ts` (about 4 minutes;
 * CLOCK_AND_SINKS_SCALE=0.25 shortens the long phases; RELIABILITY_SHORT=1, set by run.ts --short, does the same). Prints a markdown section with the
 * figures; exits 1 when an assertion fails (listed under "Failed").
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  HealthMonitor,
  HealthReader,
  parseConfig,
  startHealthMonitoring,
  type HealthMetrics,
  type Notification,
  type Sink,
  type SinkStats,
  type WebhookStats,
} from '../../../src/index.js';
import { close, listen } from '../../../support/http.js';

const HERE = fileURLToPath(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(HERE), '..', '..', '..');
// RELIABILITY_SHORT=1 (run.ts --short) means a quarter-length run unless a scale is given.
const SCALE_TEXT = process.env.CLOCK_AND_SINKS_SCALE ?? (process.env.RELIABILITY_SHORT === '1' ? '0.25' : '1');
const SCALE = Number(SCALE_TEXT) > 0 ? Number(SCALE_TEXT) : 1;
const HOUR = 3_600_000;
const QUIET = { cpu: false, memory: false, eventLoopDelay: false, connections: false } as const;

const failures: string[] = [];
const out: string[] = [];
function check(ok: boolean, what: string): void {
  if (!ok) failures.push(what);
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0): string => n.toFixed(digits);
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** GC on demand without --expose-gc on the command line, so heap samples are live data only. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Resolves with the next `n` checks, or rejects after `ms`. */
function nextChecks(monitor: HealthMonitor, n: number, ms = 10_000): Promise<Array<{ at: number; metrics: HealthMetrics }>> {
  return new Promise((resolve, reject) => {
    const seen: Array<{ at: number; metrics: HealthMetrics }> = [];
    const timer = setTimeout(() => {
      monitor.off('check', onCheck);
      reject(new Error(`only ${seen.length} of ${n} checks within ${ms} ms`));
    }, ms);
    const onCheck = (metrics: HealthMetrics): void => {
      seen.push({ at: performance.now(), metrics });
      if (seen.length < n) return;
      clearTimeout(timer);
      monitor.off('check', onCheck);
      resolve(seen);
    };
    monitor.on('check', onCheck);
  });
}

// ---------------------------------------------------------------------------------------------
// 1. The event loop blocked for 2 s, repeated.

async function blockedLoop(): Promise<void> {
  const BLOCKS = 5;
  const BLOCK_MS = 2000;
  const interval = 0.1;
  const monitor = await startHealthMonitoring({
    serviceName: 'case-block',
    checkInterval: interval,
    hostMetrics: false,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: { cpu: false, memory: false, connections: false },
  });
  const rows: string[] = [];
  try {
    for (let i = 0; i < BLOCKS; i++) {
      await nextChecks(monitor, 2);
      await sleep(30); // away from a collect: a block that starts within one resolution of it can be missed
      const all: number[] = [];
      const onCheck = (): number => all.push(performance.now());
      monitor.on('check', onCheck);
      const start = performance.now();
      while (performance.now() - start < BLOCK_MS) {
        // the service's synchronous busy loop
      }
      const unblocked = performance.now();
      const after = await nextChecks(monitor, 3);
      monitor.off('check', onCheck);
      const burst = all.filter((t) => t - unblocked <= 50).length;
      const delayMax = after[0]!.metrics.eventLoopDelay?.max ?? 0;
      const gaps = after.slice(1).map((c, j) => c.at - after[j]!.at);
      rows.push(`| ${i + 1} | ${burst} | ${fmt(delayMax, 3)} | ${gaps.map((g) => fmt(g)).join(', ')} |`);
      check(burst <= 2, `block ${i + 1}: ${burst} checks within 50 ms of unblocking`);
      check(delayMax >= BLOCK_MS / 1000 - 0.5, `block ${i + 1}: next check's eventLoopDelay.max ${delayMax} s`);
    }
  } finally {
    await monitor.shutdown();
  }
  out.push(
    `### Event loop blocked ${BLOCK_MS / 1000} s, ${BLOCKS} times`,
    '',
    `startHealthMonitoring, checkInterval ${interval} s. Asserted: ≤ 2 checks within 50 ms after each unblock (no burst), the next check's \`eventLoopDelay.max\` ≥ ${BLOCK_MS / 1000 - 0.5} s.`,
    '',
    '| block | checks ≤ 50 ms after | next check eventLoopDelay.max (s) | gaps between the next 3 checks (ms) |',
    '|---|---|---|---|',
    ...rows,
    '',
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Wall-clock steps every few seconds on a running monitor.

async function clockSteps(): Promise<void> {
  const duration = 60_000 * SCALE;
  const STEP_EVERY = 2000;
  const interval = 0.1;
  const FOR = 0.5;
  const COOLDOWN = 4;
  const GROUP_INTERVAL = 0.5;
  const PHASE = 1500; // the check fails for 1.5 s, passes for 1.5 s
  let offset = 0;
  const reader = new HealthReader({ runtimeMetrics: false });
  const provider = new MeterProvider({ readers: [reader] });
  const notes: Array<{ at: number; kind: string; stamp: number; wall: number }> = [];
  const sink: Sink = {
    name: 'rec',
    send: (n: Notification) => {
      for (const { transition, repeat } of n.alerts) notes.push({ at: performance.now(), kind: repeat === true ? 'repeat' : transition.kind, stamp: n.at, wall: Date.now() + offset });
    },
    stats: () => ({ sent: notes.length, failed: 0, dropped: 0, queued: 0 }),
  };
  const started = performance.now();
  const failing = (): boolean => Math.floor((performance.now() - started) / PHASE) % 2 === 0;
  const monitor = new HealthMonitor({
    config: parseConfig({
      serviceName: 'case-clock',
      checkInterval: interval,
      metricsRetention: 3600, // one hour: each +1 h step used to evict all of it
      errorThreshold: false,
      responseTimeThreshold: false,
      resourceThresholds: QUIET,
      checks: { flappy: { check: () => !failing(), for: FOR } },
      alerts: { cooldown: COOLDOWN, repeatInterval: 0, groupWait: 0, groupInterval: GROUP_INTERVAL, defaultRoute: { sinks: ['rec'] } },
    }, { sinks: ['rec'] }), // `rec` is given as an object (alertSinks)
    reader,
    logger: new LoggerProvider().getLogger('case-clock'),
    now: () => Date.now() + offset,
    alertSinks: { rec: sink },
  });
  const windows: number[] = [];
  let checks = 0;
  monitor.on('check', (m: HealthMetrics) => {
    checks++;
    windows.push(m.windowSeconds);
  });
  monitor.start();
  let steps = 0;
  while (performance.now() - started < duration) {
    await sleep(STEP_EVERY);
    offset = offset === 0 ? HOUR : 0; // +1 h, then −1 h, …
    steps++;
  }
  await monitor.shutdown();
  await provider.shutdown();
  const rows = monitor.history();
  const firings = notes.filter((n) => n.kind === 'firing').map((n) => n.at);
  const firingGaps = firings.slice(1).map((t, i) => (t - firings[i]!) / 1000);
  const noteGaps = notes.slice(1).map((n, i) => (n.at - notes[i]!.at) / 1000);
  const cycle = (2 * PHASE) / 1000;
  const stampsOk = notes.every((n) => Math.abs(n.stamp - n.wall) < 1000 || Math.abs(Math.abs(n.stamp - n.wall) - HOUR) < 1000);
  check(firingGaps.every((g) => g >= COOLDOWN - 0.01), `notified firings closer than the cooldown: ${firingGaps.map((g) => fmt(g, 2)).join(', ')}`);
  check(firingGaps.every((g) => g <= 2 * cycle + 1), `a firing held back: gaps ${firingGaps.map((g) => fmt(g, 2)).join(', ')}`);
  check(firings.length >= Math.floor(duration / 1000 / (2 * cycle)) - 1, `only ${firings.length} notified firings`);
  check(noteGaps.every((g) => g >= GROUP_INTERVAL - 0.01), `notifications closer than groupInterval: min ${fmt(Math.min(...noteGaps), 3)} s`);
  check(windows.every((w) => w >= interval * 0.9 && w < 2), `a check window outside [${interval * 0.9}, 2) s: ${Math.min(...windows)}–${Math.max(...windows)}`);
  check(rows.length === checks, `history holds ${rows.length} rows of ${checks} checks`);
  check(stampsOk, 'a notification stamped off the (stepped) wall clock');
  out.push(
    `### Wall-clock steps of ±1 h every ${STEP_EVERY / 1000} s for ${fmt(duration / 1000)} s`,
    '',
    `HealthMonitor with real timers and performance.now, wall clock \`Date.now() + offset\`, offset toggled 0 ↔ +1 h every ${STEP_EVERY / 1000} s (${steps} steps). ` +
      `Check \`flappy\` fails ${PHASE / 1000} s / passes ${PHASE / 1000} s; for ${FOR} s, cooldown ${COOLDOWN} s, groupInterval ${GROUP_INTERVAL} s, checkInterval ${interval} s, metricsRetention 3600 s.`,
    '',
    '| measured | value | asserted |',
    '|---|---|---|',
    `| checks / history rows | ${checks} / ${rows.length} | equal (no row evicted by a step) |`,
    `| check windows (s) | ${fmt(Math.min(...windows), 3)}–${fmt(Math.max(...windows), 3)} | within [${fmt(interval * 0.9, 3)}, 2) |`,
    `| notifications (firing / resolved) | ${firings.length} / ${notes.filter((n) => n.kind === 'resolved').length} | firings ≥ ${Math.floor(duration / 1000 / (2 * cycle)) - 1} |`,
    `| gaps between notified firings (s) | ${fmt(Math.min(...firingGaps), 2)}–${fmt(Math.max(...firingGaps), 2)} | within [cooldown ${COOLDOWN}, ${2 * cycle + 1}] |`,
    `| smallest gap between notifications (s) | ${fmt(Math.min(...noteGaps), 3)} | ≥ groupInterval ${GROUP_INTERVAL} |`,
    `| notification timestamps | ${stampsOk ? 'the stepped wall clock' : 'OFF'} | the stepped wall clock |`,
    '',
  );
}

// ---------------------------------------------------------------------------------------------
// 3. Sinks that hang for minutes.

/** A receiver that reads each request and never answers (`hang`) or answers after `delayMs`. */
async function receiver(behaviour: { hang: true } | { delayMs: number }) {
  let requests = 0;
  let open = 0;
  const server = http.createServer((req, res) => {
    requests++;
    open++;
    res.on('close', () => open--);
    req.resume();
    if ('delayMs' in behaviour) {
      const timer = setTimeout(() => res.end('late'), behaviour.delayMs);
      res.on('close', () => clearTimeout(timer));
    }
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/hook`, stats: () => ({ requests, open }), close: () => close(server) };
}

async function hangingSinks(): Promise<void> {
  const duration = 120_000 * SCALE;
  const SAMPLE_EVERY = 5000;
  const interval = 0.05;
  const hanging = await receiver({ hang: true });
  const slow = await receiver({ delayMs: 600 });
  let runs = 0;
  let recGot = 0;
  const monitor = await startHealthMonitoring({
    serviceName: 'case-sinks',
    checkInterval: interval,
    metricsRetention: 30, // history at its steady size after 30 s: heap growth after that is a leak
    hostMetrics: false,
    shutdownTimeout: 1,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: QUIET,
    checks: { flappy: () => runs++ % 2 === 1 },
    alerts: {
      cooldown: 0,
      defaultRoute: { sinks: ['hanging', 'slow', 'hangs', 'rec'] },
      sinks: {
        hanging: { type: 'webhook', url: hanging.url, allowHttp: true, timeout: 60 },
        slow: { type: 'webhook', url: slow.url, allowHttp: true, timeout: 0.2, retries: 1, backoff: 0.05 },
        hangs: { type: 'callback', fn: () => new Promise(() => undefined) },
        rec: { type: 'callback', fn: () => void recGot++ },
      },
    },
  });
  // The webhooks' "queue full" reports go to console.warn once a minute: keep them off the report.
  const warn = console.warn;
  console.warn = () => undefined;
  const samples: Array<{ t: number; heap: number; rss: number; rec: number; hangingQueued: number; slowQueued: number; inFlight: number; hangingOpen: number; slowOpen: number }> = [];
  const started = performance.now();
  try {
    while (performance.now() - started < duration) {
      await sleep(SAMPLE_EVERY);
      gc();
      const sinks = monitor.alerting.stats().sinks;
      samples.push({
        t: (performance.now() - started) / 1000,
        heap: process.memoryUsage().heapUsed,
        rss: process.memoryUsage().rss,
        rec: recGot,
        hangingQueued: sinks.hanging!.queued,
        slowQueued: sinks.slow!.queued,
        inFlight: (sinks.hangs as SinkStats & { inFlight: number }).inFlight,
        hangingOpen: hanging.stats().open,
        slowOpen: slow.stats().open,
      });
    }
  } finally {
    const t = performance.now();
    await monitor.shutdown();
    const shutdownMs = performance.now() - t;
    console.warn = warn;
    const sinks = monitor.alerting.stats().sinks;
    const h = sinks.hanging as WebhookStats;
    const s = sinks.slow as WebhookStats;
    const cb = sinks.hangs as SinkStats & { inFlight: number };
    // Let the aborted requests' closes reach the receivers.
    for (let i = 0; i < 100 && hanging.stats().open + slow.stats().open > 0; i++) await sleep(10);
    const openAfter = hanging.stats().open + slow.stats().open;
    await hanging.close();
    await slow.close();
    const steady = samples.filter((x) => x.t >= 35);
    const heapGrowth = steady.length >= 2 ? steady.at(-1)!.heap - steady[0]!.heap : 0;
    const recStalls = samples.slice(1).filter((x, i) => x.rec === samples[i]!.rec).length;
    check(samples.every((x) => x.hangingQueued <= 100 && x.slowQueued <= 100), 'a webhook queue above its queueSize (100)');
    check(samples.every((x) => x.inFlight <= 100), 'callback in-flight above maxInFlight (100)');
    check(samples.every((x) => x.hangingOpen <= 1 && x.slowOpen <= 2), 'more than one request open per webhook');
    check(recStalls === 0, `the callback sink got nothing for ${recStalls} sample interval(s)`);
    check(shutdownMs < 3000, `shutdown took ${fmt(shutdownMs)} ms`);
    check(openAfter === 0, `${openAfter} webhook request(s) still open after shutdown`);
    check(steady.length < 2 || heapGrowth < 8 * 2 ** 20, `heap grew ${mb(heapGrowth)} MB after the history filled`);
    out.push(
      `### Hanging sinks for ${fmt(duration / 1000)} s, alerts flapping every check`,
      '',
      `startHealthMonitoring, checkInterval ${interval} s, a check failing every other run, cooldown 0: one notification per check to four sinks: ` +
        'a webhook to a receiver that never answers (timeout 60 s), a webhook to one that answers after 0.6 s (timeout 0.2 s, 1 retry), ' +
        'a callback that never settles (maxInFlight 100), and a counting callback. Heap sampled after GC every 5 s; metricsRetention 30 s.',
      '',
      '| t (s) | heap (MB) | rss (MB) | counting callback got | hanging webhook queued / open | slow webhook queued / open | never-settling callback in flight |',
      '|---|---|---|---|---|---|---|',
      ...samples.filter((_, i) => i % 3 === 0 || i === samples.length - 1).map(
        (x) => `| ${fmt(x.t)} | ${mb(x.heap)} | ${mb(x.rss)} | ${x.rec} | ${x.hangingQueued} / ${x.hangingOpen} | ${x.slowQueued} / ${x.slowOpen} | ${x.inFlight} |`,
      ),
      '',
      `At the end: hanging webhook requests=${hanging.stats().requests} dropped=${h.dropped} abandoned at shutdown=${h.abandoned ?? 0}; ` +
        `slow webhook requests=${slow.stats().requests} failed=${s.failed} retries=${s.retries} dropped=${s.dropped} abandoned=${s.abandoned ?? 0}; ` +
        `never-settling callback dropped=${cb.dropped}. shutdown() took ${fmt(shutdownMs)} ms; requests open afterwards: ${openAfter}. ` +
        `Heap growth from t=${steady[0] ? fmt(steady[0].t) : '–'} s to the end: ${mb(heapGrowth)} MB.`,
      '',
      'Asserted: queues ≤ 100, callback in flight ≤ 100, ≤ 1 request open at the hanging receiver (≤ 2 at the slow one: an aborted request’s close can arrive after the next request), ' +
        'the counting callback got notifications in every 5 s interval, shutdown() < 3 s, no request open after it, heap growth after 35 s < 8 MB.',
      '',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// 4. The process exits after shutdown() with a webhook stuck on a hanging receiver.

/** The child: a monitor whose webhook is stuck on `url`; prints `SHUTDOWN <ms>` and lets the event loop drain. */
async function exitChild(url: string): Promise<void> {
  let runs = 0;
  const monitor = await startHealthMonitoring({
    serviceName: 'case-exit',
    checkInterval: 0.05,
    hostMetrics: false,
    shutdownTimeout: 1,
    loggerProvider: new LoggerProvider(),
    resourceThresholds: QUIET,
    checks: { flappy: () => runs++ % 2 === 1 },
    alerts: { cooldown: 0, defaultRoute: { sinks: ['hook'] }, sinks: { hook: { type: 'webhook', url, allowHttp: true, timeout: 60 } } },
  });
  console.warn = () => undefined;
  // Wait (bounded) until a request is stuck and more are queued behind it.
  const deadline = setTimeout(() => process.exit(3), 10_000);
  while ((monitor.alerting.stats().sinks.hook as WebhookStats).queued < 3) await sleep(20);
  clearTimeout(deadline);
  const t = performance.now();
  await monitor.shutdown();
  process.stdout.write(`SHUTDOWN ${fmt(performance.now() - t)}\n`);
}

async function processExit(): Promise<void> {
  const server = await receiver({ hang: true });
  const child = spawn(process.execPath, ['--import', 'tsx', HERE, '--exit-child', server.url], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const KILL_AFTER = 90_000;
  const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER);
  let shutdownMs: number | undefined;
  let shutdownAt = 0;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const match = /SHUTDOWN (\d+)/.exec(chunk);
    if (match) {
      shutdownMs = Number(match[1]);
      shutdownAt = performance.now();
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(killer);
  const exitMs = shutdownMs === undefined ? undefined : performance.now() - shutdownAt;
  await server.close();
  check(code === 0, `the child exited with code ${code}`);
  check(exitMs !== undefined && exitMs < 3000, `the child exited ${exitMs === undefined ? '(never shut down)' : `${fmt(exitMs)} ms`} after shutdown() resolved`);
  out.push(
    '### Process exit after shutdown() with a webhook stuck on a receiver that never answers',
    '',
    'A child process (`--exit-child`): startHealthMonitoring with one webhook sink (timeout 60 s) to a receiver that never answers; once a request is stuck and 3 more are queued, `shutdown()` (shutdownTimeout 1 s), then nothing: the event loop drains.',
    '',
    `Measured: shutdown() ${shutdownMs ?? '–'} ms; the child exited ${exitMs === undefined ? '–' : fmt(exitMs)} ms after shutdown() resolved (exit code ${code}). Asserted: exit code 0, exit < 3 s after shutdown() (the request's own timeout is 60 s).`,
    '',
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  for (const [name, run] of [
    ['blocked event loop', blockedLoop],
    ['clock steps', clockSteps],
    ['hanging sinks', hangingSinks],
    ['process exit', processExit],
  ] as const) {
    try {
      await run();
    } catch (error) {
      failures.push(`${name}: ${(error as Error).stack ?? String(error)}`);
    }
  }
  const header = [
    '## Clock steps, a blocked event loop and hanging sinks (long versions)',
    '',
    `Command: \`node --import tsx bench/reliability/cases/clock-and-sinks.ts\`${SCALE !== 1 ? ` with CLOCK_AND_SINKS_SCALE=${SCALE}` : ''}. Node ${process.version}, ${process.platform}; ${fmt((performance.now() - started) / 1000)} s wall.`,
    '',
  ];
  const footer = failures.length === 0 ? ['All assertions held.'] : ['### Failed', '', ...failures.map((f) => `- ${f}`)];
  process.stdout.write([...header, ...out, ...footer, ''].join('\n'));
  process.exitCode = failures.length === 0 ? 0 : 1;
}

if (process.argv[2] === '--exit-child') await exitChild(process.argv[3]!);
else await main();
