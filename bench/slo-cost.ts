/**
 * Cost of service level objectives (the `slos` option), measured the way this shared, noisy
 * machine allows (as bench/anomaly-cost.ts): variants interleaved in one process, in a random
 * order per round, compared by paired per-round ratios and differences (median over rounds, with
 * a percentile-bootstrap 95 % confidence interval of that median) beside an A/A control (the same
 * variant twice), never one absolute time alone.
 *
 * 1. The check. Three monitors built by startHealthMonitoring identically (host metrics on,
 *    otel-health's own MeterProvider, alerts to a LoggerProvider without processors, the
 *    default check interval, which sizes the rings, with their own loop stopped) but for
 *    `slos`: `slo` has SLOS below (availability 0.999; latency ≤ 0.3 s on every route; latency
 *    ≤ 0.3 s on one route), `none` and `none′` have none. A latency objective switches on, for
 *    the whole process, the explicit buckets the health readers' producers hand alongside their
 *    exponential histograms (`getStore().explicitBucketsWanted`): once `slo` exists, `none` builds
 *    them too. So each round has three phases in random order, the flag set before each: `on`,
 *    `on′` (flag on; the phase A/A) and `off` (flag off: what a process without a latency
 *    objective does). In each phase every monitor, in random order, gets the load of
 *    bench/check-cost.ts (bench/support/service-load.ts: 200 HTTP series, one real request each
 *    to an in-process node:http server, untimed) and then one timed `monitorService()`.
 *    Compared per round:
 *    - evaluator part (counting + tracker + rules), flag on in both: slo@on / none@on, A/A
 *      none′@on / none@on;
 *    - explicit buckets alongside: none@on / none@off, A/A none@on′ / none@on;
 *    - all of it, against a process without objectives: slo@on / none@off, A/A none′@on′ /
 *      none@on (across monitors and phases, as the comparison).
 *    Plus, once per round after the checks, the SLO steps alone on one collect captured from the
 *    `slo` monitor's reader: deriveHealthMetrics with the objectives vs without (the counting,
 *    countSloEvents), each run once (cold) and as a hot batch, with an A/A; and SloTracker.track
 *    of one check (budget and burn rates of the three objectives), cold and hot.
 * 2. Memory per objective and service, in a child process run with --expose-gc: N trackers with
 *    the three objectives, each fed one check (so each holds its rings), `process.memoryUsage()`
 *    heapUsed + arrayBuffers after full GCs, with minus before, ÷ (N × 3); beside the ring sizes
 *    read from the trackers (slots × 3 Float64 arrays).
 * 3. Per request: the latency objective's threshold (0.3 s, not one of the default bounds) adds
 *    one bound to the explicit histograms every request is folded into. ExplicitHistogram.record
 *    on the default bounds vs the default bounds + 0.3, on three duration mixes, and the whole
 *    per-request histogram work (Series.record: buffer, fold into the exponential and explicit
 *    histograms), interleaved in chunks with an A/A (the default bounds twice).
 *
 *   node --import tsx bench/slo-cost.ts
 *   ROUNDS=200 SEED=1 node --import tsx bench/slo-cost.ts   (default 400 rounds of part 1)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValueType } from '@opentelemetry/api';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { InstrumentType, type CollectionResult } from '@opentelemetry/sdk-metrics';
import { startHealthMonitoring } from '../src/index.js';
import { deriveHealthMetrics, SloTracker } from '../src/evaluator/index.js';
import { loadConfig, type SloInput } from '../src/config/index.js';
import { getStore } from '../src/instrumentation/store.js';
import { EXPLICIT_BUCKETS_SCOPE } from '../src/instrumentation/names.js';
import { ExplicitHistogram, HTTP_DURATION_BOUNDS, mergeBounds } from '../src/instrumentation/aggregation/explicit-histogram.js';
import { Series, type InstrumentDescriptor } from '../src/instrumentation/aggregation/instrument.js';
import type { Alert, DerivedHealthMetrics } from '../src/model/index.js';
import { prng } from '../support/random.js';
import { describeMachine, machineLines } from './machine.js';
import { formatSpread, median, spread } from './stats.js';
import { BOOTSTRAP, formatPaired, shuffle } from './support/paired.js';
import { OUTCOMES, ROUTES, routeTemplate, startServiceLoad } from './support/service-load.js';
import { fullGc, memoryUsed, totalBytes, runMemoryChild } from './support/memory.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');

const THRESHOLD = 0.3;
const SLOS: SloInput[] = [
  { name: 'availability', objective: 0.999 },
  { name: 'latency', objective: 0.99, indicator: { latency: { threshold: THRESHOLD } } },
  { name: 'route-latency', objective: 0.99, indicator: { latency: { threshold: THRESHOLD } }, route: routeTemplate(0) },
];
const CHECK_INTERVAL = 15; // the default: the monitors' check interval (it sizes the rings) and the tracker steps' clock
const WARMUP_ROUNDS = 20;
const ROUNDS = Math.max(20, Number(process.env.ROUNDS ?? 400));
const STEP_BATCH = 50;
const MEMORY_N = 1000;
const MEMORY_REPEATS = 3;
const RECORD_VALUES = 1 << 16;
const RECORD_CHUNKS = 16;
const RECORD_ROUNDS = 40;

const MONITORS = ['slo', 'none', 'none′'] as const;
const PHASES = ['on', 'on′', 'off'] as const;
type MonitorName = (typeof MONITORS)[number];
type Phase = (typeof PHASES)[number];
const key = (m: MonitorName, p: Phase): string => `${m}@${p}`;

function parsedSlos(): ReturnType<typeof loadConfig>['slos'] {
  return loadConfig({ serviceName: 'bench', slos: SLOS }, {}).slos;
}

// ---------------------------------------------------------------------------------------------
// Part 1: the check.

interface CheckResult {
  /** Alerts firing at each monitor's last check. */
  firing: Map<MonitorName, string>;
  wallUs: Map<string, number[]>;
  /** process.cpuUsage() user + system over the check: all of the process's threads. */
  cpuUs: Map<string, number[]>;
  requestsPerWindow: number[];
  alerts: Map<MonitorName, string[]>;
  slos: string;
  /** The SLO steps alone, µs: derive with / without objectives, and the tracker, cold and hot; wall and CPU. */
  steps: Map<string, number[]>;
  stepsCpu: Map<string, number[]>;
  explicitPoints: number;
}

const STEP_NAMES = ['derive', 'derive′', 'derive + slos'] as const;

async function measureCheck(rng: () => number): Promise<CheckResult> {
  const store = getStore();
  const { load, close } = await startServiceLoad();
  // Identical but for `slos`. Every monitor's reader receives every recording (the store drains
  // to all of them on any collect), so each check reports the same 200 series.
  // The default check interval (it sizes the SLO rings), with the monitor's own loop stopped (a
  // private timer) so that no check but the timed ones takes a window.
  const build = async (slos: SloInput[] | undefined): ReturnType<typeof startHealthMonitoring> => {
    const monitor = await startHealthMonitoring({
      serviceName: 'bench',
      checkInterval: CHECK_INTERVAL,
      hostMetrics: true,
      loggerProvider: new LoggerProvider(),
      startupMessage: false,
      ...(slos !== undefined ? { slos } : {}),
    });
    const loop = monitor as unknown as { timer: NodeJS.Timeout | undefined };
    if (loop.timer === undefined) throw new Error('the monitor has no loop timer to stop');
    clearTimeout(loop.timer);
    loop.timer = undefined;
    return monitor;
  };
  const monitors = new Map<MonitorName, Awaited<ReturnType<typeof startHealthMonitoring>>>([
    ['slo', await build(SLOS)],
    ['none', await build(undefined)],
    ['none′', await build(undefined)],
  ]);
  if (store.explicitBucketsWanted !== true) throw new Error('the latency objectives did not ask for explicit buckets');
  const alerts = new Map<MonitorName, string[]>(MONITORS.map((m) => [m, []]));
  for (const [name, m] of monitors) m.on('alert', (a: Alert) => alerts.get(name)!.push(`${a.rule} ${a.level} ${a.state}`));

  // The SLO steps alone: one collect of the `slo` monitor's reader (a private field), captured in
  // the first warm-up round, derived again and again.
  const objectives = parsedSlos();
  const tracker = new SloTracker(objectives, { checkInterval: CHECK_INTERVAL, serviceName: 'bench' });
  let captured: CollectionResult | undefined;
  let explicitPoints = 0;
  let clock = Date.UTC(2026, 0, 5);
  const derive = (withSlos: boolean): DerivedHealthMetrics =>
    deriveHealthMetrics({
      resourceMetrics: captured!.resourceMetrics,
      windowSeconds: CHECK_INTERVAL,
      now: clock,
      serviceId: 'bench',
      ...(withSlos ? { slos: objectives } : {}),
    });
  let sink = 0;

  const wallUs = new Map<string, number[]>();
  const cpuUs = new Map<string, number[]>();
  for (const m of MONITORS) {
    for (const p of PHASES) {
      wallUs.set(key(m, p), []);
      cpuUs.set(key(m, p), []);
    }
  }
  const steps = new Map<string, number[]>();
  const stepsCpu = new Map<string, number[]>();
  for (const s of [...STEP_NAMES, 'track']) {
    for (const temp of ['cold', 'hot, per call']) {
      steps.set(`${s} (${temp})`, []);
      stepsCpu.set(`${s} (${temp})`, []);
    }
  }
  /** Wall and CPU µs of `work` ÷ `calls`, kept under `name` when `measured`. */
  const timed = (name: string, calls: number, measured: boolean, work: () => void): void => {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    work();
    const wall = ((performance.now() - t0) * 1000) / calls;
    const used = process.cpuUsage(cpu);
    if (!measured) return;
    steps.get(name)!.push(wall);
    stepsCpu.get(name)!.push((used.user + used.system) / calls);
  };
  const requestsPerWindow: number[] = [];
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    const measured = round >= WARMUP_ROUNDS;
    for (const phase of shuffle([...PHASES], rng)) {
      store.explicitBucketsWanted = phase !== 'off';
      for (const name of shuffle([...MONITORS], rng)) {
        await load();
        const monitor = monitors.get(name)!;
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        await monitor.monitorService();
        const us = (performance.now() - t0) * 1000;
        const used = process.cpuUsage(cpu);
        if (measured) {
          wallUs.get(key(name, phase))!.push(us);
          cpuUs.get(key(name, phase))!.push(used.user + used.system);
        }
        if (measured && name === 'none' && phase === 'on') requestsPerWindow.push(monitor.latest()!.requestCount);
      }
    }
    store.explicitBucketsWanted = true;
    if (captured === undefined) {
      await load();
      const reader = (monitors.get('slo') as unknown as { reader: { collectForHealth(): Promise<CollectionResult> } }).reader;
      captured = await reader.collectForHealth();
      explicitPoints = captured.resourceMetrics.scopeMetrics
        .filter((s) => s.scope.name === EXPLICIT_BUCKETS_SCOPE)
        .reduce((n, s) => n + s.metrics.reduce((k, m) => k + m.dataPoints.length, 0), 0);
    }
    // Once per round, after the checks: each step once (caches as a check leaves them), in random
    // order, then each as a hot batch, in random order.
    const order = shuffle([...STEP_NAMES, 'track'] as string[], rng);
    for (const name of order) {
      if (name === 'track') {
        clock += CHECK_INTERVAL * 1000;
        const m = derive(true);
        timed('track (cold)', 1, measured, () => {
          sink += tracker.track(m).slos?.availability?.budgetRemaining ?? 0;
        });
      } else {
        timed(`${name} (cold)`, 1, measured, () => {
          sink += derive(name === 'derive + slos').requestCount;
        });
      }
    }
    for (const name of shuffle(order, rng)) {
      if (name === 'track') {
        const inputs = Array.from({ length: STEP_BATCH }, () => {
          clock += CHECK_INTERVAL * 1000;
          return derive(true);
        });
        timed('track (hot, per call)', STEP_BATCH, measured, () => {
          for (const m of inputs) sink += tracker.track(m).slos?.availability?.budgetRemaining ?? 0;
        });
      } else {
        const withSlos = name === 'derive + slos';
        timed(`${name} (hot, per call)`, STEP_BATCH, measured, () => {
          for (let i = 0; i < STEP_BATCH; i++) sink += derive(withSlos).requestCount;
        });
      }
    }
  }
  if (Number.isNaN(sink)) console.error('NaN');
  const slos = JSON.stringify(
    Object.fromEntries(
      Object.entries(monitors.get('slo')!.latest()!.slos ?? {}).map(([n, s]) => [
        n,
        { good: s.good, total: s.total, budgetRemaining: Number(s.budgetRemaining.toFixed(3)), burning: s.burnRates.filter((b) => b.burning).map((b) => b.alert) },
      ]),
    ),
  );
  const firing = new Map(MONITORS.map((m) => [m, monitors.get(m)!.latest()!.alerts.map((a) => `${a.rule} ${a.level}`).join(', ') || 'none'] as const));
  for (const m of monitors.values()) await m.shutdown();
  await close();
  return { firing, wallUs, cpuUs, requestsPerWindow, alerts, slos, steps, stepsCpu, explicitPoints };
}

// ---------------------------------------------------------------------------------------------
// Part 2 (child process with --expose-gc): memory per objective and service.

interface MemoryResult {
  bytes: number[];
  releasedBytes: number[];
  heap: number[];
  arrays: number[];
  ringSlots: number;
  ringBytes: number;
  rings: string[];
}

function memoryChild(): void {
  fullGc();
  const used = memoryUsed;
  const total = totalBytes;
  const objectives = parsedSlos();
  const per = MEMORY_N * objectives.length;
  // Inputs built before the baseline: one check's metrics per tracker.
  const inputs: DerivedHealthMetrics[] = Array.from({ length: MEMORY_N }, (_, i) => ({
    serviceId: 'bench',
    timestamp: Date.UTC(2026, 0, 5) + i,
    windowSeconds: CHECK_INTERVAL,
    requestCount: 1000,
    operationCount: 0,
    requestRate: 1000 / CHECK_INTERVAL,
    errorCount: 1,
    errorRate: 0.001,
    responseTime: { avg: 0.02, p50: 0.02, p95: 0.04, p99: 0.08, max: 0.2 },
    cpu: 0.2,
    connections: 10,
    checks: [],
    sloEvents: Object.fromEntries(objectives.map((o) => [o.name, { good: 999, total: 1000 }])),
  }));
  const result: MemoryResult = { bytes: [], releasedBytes: [], heap: [], arrays: [], ringSlots: 0, ringBytes: 0, rings: [] };
  let sink = 0;
  for (let rep = 0; rep < MEMORY_REPEATS; rep++) {
    fullGc();
    const before = used();
    let trackers: SloTracker[] | undefined = [];
    for (let i = 0; i < MEMORY_N; i++) {
      const t = new SloTracker(objectives, { checkInterval: CHECK_INTERVAL, serviceName: 'bench' });
      sink += t.track(inputs[i]!).slos?.availability?.total ?? 0;
      trackers.push(t);
    }
    fullGc();
    const withTrackers = used();
    if (rep === 0) {
      // The ring sizes, read from one tracker's private state.
      type Rings = { good: Float64Array; total: Float64Array; slotOf: Float64Array; slotMs: number };
      type State = { alerts: { window: { alert: string }; counts: Rings }[]; budget: Rings };
      const states = (trackers[0] as unknown as { states: Map<string, Map<string, State>> }).states.get('bench')!;
      for (const [name, state] of states) {
        const rings: [string, Rings][] = [...state.alerts.map((a) => [a.window.alert, a.counts] as [string, Rings]), ['budget', state.budget]];
        const slots = rings.reduce((n, [, r]) => n + r.good.length, 0);
        result.ringSlots += slots;
        result.ringBytes += rings.reduce((n, [, r]) => n + r.good.byteLength + r.total.byteLength + r.slotOf.byteLength, 0);
        result.rings.push(`${name}: ${rings.map(([n, r]) => `${n} ${r.good.length} × ${r.slotMs / 1000} s`).join(', ')} (${slots} slots)`);
      }
      result.ringSlots /= states.size;
      result.ringBytes /= states.size;
    }
    sink += trackers.length;
    trackers = undefined;
    fullGc();
    const after = used();
    result.bytes.push((total(withTrackers) - total(before)) / per);
    result.releasedBytes.push((total(withTrackers) - total(after)) / per);
    result.heap.push((withTrackers.heap - before.heap) / per);
    result.arrays.push((withTrackers.arrays - before.arrays) / per);
  }
  if (Number.isNaN(sink)) console.error('NaN');
  process.stdout.write(JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------------
// Part 3: per request, one more bound.

interface RecordResult {
  nsPerValue: Map<string, number[]>;
  mixes: string[];
}

/** Log-normal durations (seconds) with this median and σ of the log. */
function durations(medianSeconds: number, sigma: number, rng: () => number): Float64Array {
  const values = new Float64Array(RECORD_VALUES);
  for (let i = 0; i < values.length; i++) {
    const u1 = Math.max(rng(), 1e-12);
    const gauss = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
    values[i] = medianSeconds * Math.exp(sigma * gauss);
  }
  return values;
}

function recordInto(h: ExplicitHistogram, values: Float64Array, from: number, to: number): number {
  for (let i = from; i < to; i++) h.record(values[i]!);
  return h.count;
}

/** A request's histogram work: Series.record buffers, and folds into both histograms every 64 values. */
function recordSeries(s: Series, values: Float64Array, from: number, to: number): number {
  for (let i = from; i < to; i++) s.record(values[i]!);
  s.flush();
  return s.explicit!.count;
}

function measureRecord(rng: () => number): RecordResult {
  const withThreshold = mergeBounds(HTTP_DURATION_BOUNDS, [THRESHOLD]);
  if (withThreshold.length !== HTTP_DURATION_BOUNDS.length + 1) throw new Error(`${THRESHOLD} is already a default bound`);
  const mixes: [string, Float64Array][] = [
    ['in-process loopback (median 0.5 ms)', durations(0.0005, 0.5, rng)],
    ['web service (median 50 ms, σ 1)', durations(0.05, 1, rng)],
    ['slow service (median 300 ms, σ 0.7)', durations(0.3, 0.7, rng)],
  ];
  const above = (v: Float64Array, x: number): string => `${((v.filter((d) => d > x).length / v.length) * 100).toFixed(0)} %`;
  const mixNames = mixes.map(([n, v]) => `${n}, ${above(v, 0.25)} above 0.25 s`);
  const descriptor = (bounds: readonly number[]): InstrumentDescriptor => ({
    name: 'http.server.request.duration',
    description: '',
    unit: 's',
    type: InstrumentType.HISTOGRAM,
    valueType: ValueType.DOUBLE,
    bounds,
  });
  // Data, not closures: every variant runs through the same two functions (one type feedback),
  // on instances built afresh each round (no variant keeps one instance's placement in memory).
  type Variant = { name: string; kind: 'histogram' | 'series'; bounds: readonly number[] };
  const variants: Variant[] = [
    { name: 'ExplicitHistogram.record, default bounds', kind: 'histogram', bounds: HTTP_DURATION_BOUNDS },
    { name: 'ExplicitHistogram.record, default bounds (A/A twin)', kind: 'histogram', bounds: HTTP_DURATION_BOUNDS },
    { name: 'ExplicitHistogram.record, + 0.3', kind: 'histogram', bounds: withThreshold },
    { name: 'Series.record, default bounds', kind: 'series', bounds: HTTP_DURATION_BOUNDS },
    { name: 'Series.record, default bounds (A/A twin)', kind: 'series', bounds: HTTP_DURATION_BOUNDS },
    { name: 'Series.record, + 0.3', kind: 'series', bounds: withThreshold },
  ];
  const nsPerValue = new Map<string, number[]>();
  let sink = 0;
  for (const [mixName, values] of mixes) {
    for (const v of variants) nsPerValue.set(`${mixName} | ${v.name}`, []);
    const chunk = RECORD_VALUES / RECORD_CHUNKS;
    for (let round = 0; round < 4 + RECORD_ROUNDS; round++) {
      const histograms = new Map(variants.map((v) => [v.name, new ExplicitHistogram(v.bounds)]));
      const series = new Map(variants.map((v) => [v.name, new Series(0, {}, descriptor(v.bounds))]));
      const ns = new Map(variants.map((v) => [v.name, [] as number[]]));
      for (let c = 0; c < RECORD_CHUNKS; c++) {
        for (const v of shuffle([...variants], rng)) {
          const t0 = process.hrtime.bigint();
          if (v.kind === 'histogram') sink += recordInto(histograms.get(v.name)!, values, c * chunk, (c + 1) * chunk);
          else sink += recordSeries(series.get(v.name)!, values, c * chunk, (c + 1) * chunk);
          ns.get(v.name)!.push(Number(process.hrtime.bigint() - t0) / chunk);
        }
      }
      if (round < 4) continue;
      // A round's figure: the median of its chunks (a chunk the scheduler interrupted is an outlier).
      for (const v of variants) nsPerValue.get(`${mixName} | ${v.name}`)!.push(median(ns.get(v.name)!));
    }
  }
  if (Number.isNaN(sink)) console.error('NaN');
  return { nsPerValue, mixes: mixNames };
}

// ---------------------------------------------------------------------------------------------

/** The code measured: commit, and whether the files behind SLOs differ from it (others edit them). */
function codeVersion(): string {
  const files = [
    'src/evaluator/slo/event-counts.ts',
    'src/evaluator/slo/slo-tracker.ts',
    'src/evaluator/slo/slo-rule.ts',
    'src/evaluator/derive.ts',
    'src/instrumentation/producer.ts',
    'src/instrumentation/index.ts',
    'src/instrumentation/aggregation/explicit-histogram.ts',
    'src/instrumentation/aggregation/instrument.ts',
  ];
  const digest = createHash('sha256');
  for (const f of files) digest.update(fs.readFileSync(path.join(REPO, f)));
  let dirty = '';
  try {
    dirty = execFileSync('git', ['status', '--porcelain', '--', ...files], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim())
      .join(', ');
  } catch {
    // not a git checkout
  }
  return `SLO files (evaluator/slo/*, derive.ts, producer.ts, instrumentation/index.ts, aggregation/explicit-histogram.ts and instrument.ts) ${dirty === '' ? 'as committed' : `with uncommitted changes (${dirty})`}; their sha256 ${digest.digest('hex').slice(0, 12)}`;
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  if (process.argv.includes('--memory-child')) {
    memoryChild();
    return;
  }
  const machine = describeMachine(REPO);
  const t0 = performance.now();
  const seed = Number(process.env.SEED ?? (Date.now() % 1_000_000));
  const rng = prng(seed);

  const check = await measureCheck(rng);
  const tCheck = performance.now();

  const memory = runMemoryChild<MemoryResult>(import.meta.url);
  const tMemory = performance.now();

  const record = measureRecord(rng);
  const tRecord = performance.now();
  machine.loadAvgEnd = (await import('node:os')).loadavg();

  const out: string[] = [];
  const line = (s = ''): void => {
    out.push(s);
  };
  line(`# SLO cost: node --import tsx bench/slo-cost.ts (seed ${seed}, ROUNDS=${ROUNDS})`);
  line();
  line(
    `- took ${((tRecord - t0) / 1000).toFixed(0)} s (check ${((tCheck - t0) / 1000).toFixed(0)} s, memory ${((tMemory - tCheck) / 1000).toFixed(0)} s, per request ${((tRecord - tMemory) / 1000).toFixed(0)} s)`,
  );
  for (const l of machineLines(machine)) line(`- ${l}`);
  line(`- ${codeVersion()}`);
  line(`- objectives of \`slo\`: ${JSON.stringify(SLOS)}`);
  line(
    '- Paired figures: median over rounds of the per-round ratio (or difference) [percentile-bootstrap 95 % CI of that median, ' +
      `${BOOTSTRAP} resamples] (range over rounds). Absolute times: median (min–max over rounds).`,
  );
  line();

  // 1.
  const ratio = (a: number[], b: number[]): number[] => a.map((x, i) => x / b[i]!);
  const diff = (a: number[], b: number[]): number[] => a.map((x, i) => x - b[i]!);
  const pairs: [string, MonitorName, Phase, MonitorName, Phase][] = [
    ['evaluator part: slo@on / none@on', 'slo', 'on', 'none', 'on'],
    ['same, phase on′: slo@on′ / none@on′', 'slo', 'on′', 'none', 'on′'],
    ['A/A: none′@on / none@on', 'none′', 'on', 'none', 'on'],
    ['explicit buckets alongside: none@on / none@off', 'none', 'on', 'none', 'off'],
    ['same, none′: none′@on / none′@off', 'none′', 'on', 'none′', 'off'],
    ['A/A (phases): none@on′ / none@on', 'none', 'on′', 'none', 'on'],
    ['all of it: slo@on / none@off', 'slo', 'on', 'none', 'off'],
    ['A/A (monitors and phases): none′@on′ / none@on', 'none′', 'on′', 'none', 'on'],
  ];
  line(`## 1. The check with three objectives`);
  line();
  line(
    `Three monitors from startHealthMonitoring (host metrics on, own MeterProvider, checkInterval ${CHECK_INTERVAL} s with their loop stopped), identical but for \`slos\`: slo (the objectives above), none and none′ (no \`slos\`). ` +
      `${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up rounds; per round three phases in random order, \`getStore().explicitBucketsWanted\` set before each (on, on′: true; off: false), ` +
      `and in each phase every monitor, in random order, gets the load (${ROUTES} routes × ${OUTCOMES.length} statuses = ${ROUTES * OUTCOMES.length} series, one request each) then one timed monitorService(). ` +
      `Every reader receives every recording, so a check's window holds the ${ROUTES * OUTCOMES.length} series with the loads since that monitor's previous check (none@on: ${formatSpread(spread(check.requestsPerWindow), 0)} requests). ` +
      `Explicit points handed alongside per collect (flag on): ${check.explicitPoints}. slo's last check: ${check.slos}. ` +
      `Alert events during the run (the 'alert' event: transitions the pipeline's dedup stage let through): ${MONITORS.map((m) => `${m}: ${summarize(check.alerts.get(m)!)}`).join('; ')}. ` +
      `Firing at the last check: ${MONITORS.map((m) => `${m}: ${check.firing.get(m)!}`).join('; ')}. ` +
      'Wall: performance.now() around monitorService(); CPU: process.cpuUsage() user + system over it (all threads of the process; less sensitive than wall time to the other processes taking the CPU).',
  );
  line();
  for (const [measure, data] of [
    ['wall time', check.wallUs],
    ['CPU time', check.cpuUs],
  ] as const) {
    line(`| compared (${measure}) | per-round ratio | per-round difference, µs |`);
    line('| --- | --- | --- |');
    for (const [label, ma, pa, mb, pb] of pairs) {
      const a = data.get(key(ma, pa))!;
      const b = data.get(key(mb, pb))!;
      line(`| ${label} | ${formatPaired(ratio(a, b), rng, 3)} | ${formatPaired(diff(a, b), rng, 0, true)} |`);
    }
    line();
  }
  line('| check | wall µs, median (min–max) | CPU µs, median (min–max) |');
  line('| --- | --- | --- |');
  for (const [name, xs] of check.wallUs) {
    const note = name === 'slo@off' ? ' (latency objectives fall back to the exponential histograms: not a real configuration)' : '';
    line(`| ${name}${note} | ${formatSpread(spread(xs), 0)} | ${formatSpread(spread(check.cpuUs.get(name)!), 0)} |`);
  }
  line();
  line(
    `The SLO steps alone, on one collect of the slo monitor's reader (${ROUTES * OUTCOMES.length} series), once per round after the checks (cold) and in batches of ${STEP_BATCH} (hot), in random order:`,
  );
  line();
  line('| step | wall µs, median (min–max) | CPU µs, median (min–max) | paired with deriveHealthMetrics: wall ratio; wall difference µs; CPU difference µs |');
  line('| --- | --- | --- | --- |');
  for (const temp of ['cold', 'hot, per call']) {
    const d = check.steps.get(`derive (${temp})`)!;
    const dc = check.stepsCpu.get(`derive (${temp})`)!;
    for (const [label, name] of [
      ['deriveHealthMetrics', 'derive'],
      ['deriveHealthMetrics, A/A twin', 'derive′'],
      ['deriveHealthMetrics + 3 objectives', 'derive + slos'],
      ['SloTracker.track, 3 objectives', 'track'],
    ] as const) {
      const xs = check.steps.get(`${name} (${temp})`)!;
      const cs = check.stepsCpu.get(`${name} (${temp})`)!;
      const paired =
        name === 'derive' || name === 'track'
          ? ''
          : `${formatPaired(ratio(xs, d), rng, 3)}; ${formatPaired(diff(xs, d), rng, 1, true)}; ${formatPaired(diff(cs, dc), rng, 1, true)}`;
      line(`| ${label} (${temp}) | ${formatSpread(spread(xs), 1)} | ${formatSpread(spread(cs), 1)} | ${paired} |`);
    }
  }
  line();

  // 2.
  const mem = (xs: number[]): string => `${kib(median(xs))} (${kib(Math.min(...xs))}–${kib(Math.max(...xs))})`;
  line(`## 2. Memory per objective and service`);
  line();
  line(
    `Child process \`node --expose-gc\`; ${MEMORY_N} SloTrackers (checkInterval ${CHECK_INTERVAL} s) with the 3 objectives, each fed one check, kept alive; ` +
      `\`process.memoryUsage()\` heapUsed + arrayBuffers after 4 × gc(), with them minus before, ÷ ${MEMORY_N} × 3; cross-check: with minus after dropping them. ` +
      `${MEMORY_REPEATS} repetitions: median (min–max).`,
  );
  line();
  line('| per objective and service | measured (with − before) | heap part | typed-array part | measured (with − after release) | from the ring sizes |');
  line('| --- | --- | --- | --- | --- | --- |');
  line(`| SloTracker | ${mem(memory.bytes)} | ${mem(memory.heap)} | ${mem(memory.arrays)} | ${mem(memory.releasedBytes)} | ${kib(memory.ringBytes)} (${memory.ringSlots} slots × 3 × 8 B) |`);
  line();
  for (const r of memory.rings) line(`- ${r}`);
  line();

  // 3.
  line(`## 3. Per request: one more bound in the explicit histogram`);
  line();
  line(
    `The default bounds (${HTTP_DURATION_BOUNDS.length}: ${HTTP_DURATION_BOUNDS.join(', ')}) vs the same + ${THRESHOLD} (the latency objective's threshold). ` +
      `${RECORD_VALUES} log-normal durations per mix, recorded in ${RECORD_CHUNKS} chunks per round, each chunk by every variant in a new random order; a variant's ns/value in a round is the median of its chunks' (an interrupted chunk is an outlier); ${RECORD_ROUNDS} rounds after 4 warm-up. ` +
      `ExplicitHistogram.record is the scan the bound lengthens; Series.record is all of a request's histogram work (buffer, fold into the exponential and the explicit histogram). Mixes (the share above 0.25 s is where the scan reaches the new bound): ${record.mixes.join('; ')}.`,
  );
  line();
  line('| mix | variant | ns/value, median (min–max) | ratio to the default bounds | difference, ns/value |');
  line('| --- | --- | --- | --- | --- |');
  for (const mix of [...new Set([...record.nsPerValue.keys()].map((k) => k.split(' | ')[0]!))]) {
    for (const kind of ['ExplicitHistogram.record', 'Series.record']) {
      const base = record.nsPerValue.get(`${mix} | ${kind}, default bounds`)!;
      for (const suffix of [', default bounds (A/A twin)', ', + 0.3']) {
        const xs = record.nsPerValue.get(`${mix} | ${kind}${suffix}`)!;
        line(`| ${mix} | ${kind}${suffix} | ${formatSpread(spread(xs), 2)} (default: ${formatSpread(spread(base), 2)}) | ${formatPaired(ratio(xs, base), rng, 3)} | ${formatPaired(diff(xs, base), rng, 2, true)} |`);
      }
    }
  }
  console.log(out.join('\n'));
}

/** `slo:availability CRITICAL ×1, …` */
function summarize(transitions: string[]): string {
  if (transitions.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const t of transitions) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${t} ×${n}`).join(', ');
}

await main();
