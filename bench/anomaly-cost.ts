/**
 * Cost of the anomaly detector (issue 13, item 3), measured the way this shared, noisy machine
 * allows: variants interleaved in one process, in a random order per round, compared by paired
 * per-round ratios (median over rounds, with a percentile-bootstrap 95 % confidence interval of
 * that median) beside an A/A control (the same variant twice), never one absolute time alone.
 *
 * 1. Time per point of one AnomalyDetector (src/evaluator/anomaly.ts) on realistic series: a few
 *    NAB series (realAWSCloudwatch, realKnownCause only) plus a synthetic noisy p95-latency series.
 *    Per round, every variant gets fresh detectors (built outside the timing) and scores all the
 *    series, one detector per series, in chunks of 1,024 points interleaved across the variants;
 *    ns/point = time / points. Variants:
 *    - `context`: the default detector, as AnomalyScorer builds it (`warmup: 0`);
 *    - `context (A/A twin)`: the same again (the control);
 *    - `gauss`: `combine: 'gauss'` (the earlier mode's output; the context component still runs);
 *    - `gauss only`: `combine: 'gauss', context: null` (the earlier Gaussian ensemble alone);
 *    - `context, 1,000 detectors`: 1,000 detectors that each learned 2,000 points, fed one point
 *      each in turn, so every point touches another detector's tables (caches cold, as in a
 *      process watching many series).
 *    Goal: ≤ 5 µs per point.
 * 2. Memory per series, in a child process run with --expose-gc: N = 1,000 detectors each fed
 *    2,000 points, retained; `process.memoryUsage()` heapUsed + arrayBuffers after full GCs, with
 *    the detectors minus before them (and minus after dropping them), divided by N. The same for an
 *    AnomalyScorer holding 250 services × 4 default series (its maps included). Goal ≤ 64 KiB.
 * 3. The check's total cost: three monitors built by startHealthMonitoring identically (host
 *    metrics on, otel-health's own MeterProvider, alerts to a LoggerProvider without processors)
 *    except `anomaly: true` for one. Per round, in random order, each gets the load of
 *    bench/check-cost.ts (200 HTTP series, one real request each to an in-process node:http
 *    server, not timed) and then one timed `monitorService()`. Ratios on/off and the A/A control
 *    off′/off, and the paired differences in µs. Plus the anomaly step alone: AnomalyScorer.score
 *    of one DerivedHealthMetrics (4 default series), once per round after the checks (cold) and as
 *    a batch of 200 calls (hot).
 *
 *   npm run bench:anomaly          (node --import tsx bench/anomaly-cost.ts)
 *   SEED=1 node --import tsx bench/anomaly-cost.ts
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring } from '../src/index.js';
import { AnomalyDetector, type AnomalyDetectorOptions } from '../src/evaluator/anomaly.js';
import { AnomalyScorer } from '../src/evaluator/index.js';
import { loadConfig } from '../src/config/index.js';
import type { DerivedHealthMetrics } from '../src/model/index.js';
import { formatSpread, median, spread } from './stats.js';
import { prng } from '../support/random.js';
import { BOOTSTRAP, formatPaired, shuffle } from './support/paired.js';
import { OUTCOMES, ROUTES, startServiceLoad } from './support/service-load.js';
import { fullGc, memoryUsed, runMemoryChild } from './support/memory.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const NAB = process.env.NAB_DATA ?? path.resolve(REPO, '../shared/nab/data');
/** Realistic series: NAB realAWSCloudwatch / realKnownCause only (the others are held out). */
const NAB_FILES = [
  'realKnownCause/ec2_request_latency_system_failure.csv',
  'realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv',
  'realAWSCloudwatch/elb_request_count_8c0756.csv',
  'realKnownCause/nyc_taxi.csv',
];
const DETECTOR_WARMUP_ROUNDS = 4;
const DETECTOR_ROUNDS = 60;
const COLD_DETECTORS = 1000;
/** Points per timed slice of part 1. */
const CHUNK = 1024;
const TRAIN_POINTS = 2000;
const MEMORY_N = 1000;
const MEMORY_REPEATS = 3;
const CHECK_WARMUP_ROUNDS = 80; // > the 64-check warm-up of `anomaly: true`: measured checks are judged
const CHECK_ROUNDS = Math.max(20, Number(process.env.CHECK_ROUNDS ?? 400));
const SCORER_BATCH = 200;
const GOAL_NS_PER_POINT = 5000;
const GOAL_BYTES_PER_SERIES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Statistics: seeded PRNG (shuffle and bootstrap: bench/support/paired.ts).

const mulberry32 = prng;

// ---------------------------------------------------------------------------------------------
// Series.

interface Series {
  name: string;
  values: Float64Array;
  timestamps: Float64Array;
}

function readNab(file: string): Series {
  const lines = fs.readFileSync(path.join(NAB, file), 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const rows = lines.slice(1).map((l) => l.split(','));
  return {
    name: file,
    values: Float64Array.from(rows, (r) => Number(r[1])),
    timestamps: Float64Array.from(rows, (r) => Date.parse(`${r[0]!.replace(' ', 'T')}Z`)),
  };
}

/**
 * p95 latency of a service, one point per 15 s check: 40 ms on a daily cycle (±30 %), log-normal
 * noise (σ 0.15), a spike ×2–4 in 1 % of windows, a step ×1.8 that stays at three quarters.
 */
function syntheticLatency(points: number, seed: number): Series {
  const rng = mulberry32(seed);
  const values = new Float64Array(points);
  const timestamps = new Float64Array(points);
  const t0 = Date.UTC(2026, 0, 5);
  for (let i = 0; i < points; i++) {
    const u1 = Math.max(rng(), 1e-12);
    const gauss = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
    let v = 0.04 * (1 + 0.3 * Math.sin((2 * Math.PI * i) / 5760)) * Math.exp(0.15 * gauss);
    if (rng() < 0.01) v *= 2 + 2 * rng();
    if (i >= Math.floor(points * 0.75)) v *= 1.8;
    values[i] = v;
    timestamps[i] = t0 + i * 15_000;
  }
  return { name: 'synthetic p95 latency (15 s checks)', values, timestamps };
}

function loadSeries(): Series[] {
  return [...NAB_FILES.map(readNab), syntheticLatency(4000, 13)];
}

// ---------------------------------------------------------------------------------------------
// Part 2 (child process with --expose-gc): memory per series.

interface MemoryResult {
  detectorBytes: number[];
  detectorReleasedBytes: number[];
  detectorHeap: number[];
  detectorArrays: number[];
  scorerBytes: number[];
  scorerReleasedBytes: number[];
}

function memoryChild(): void {
  fullGc();
  const used = memoryUsed;
  const series = loadSeries();
  const scorerConfig = loadConfig({ anomaly: true }, {}).anomaly;
  if (scorerConfig === false) throw new Error('anomaly: true gave no configuration');
  // Every input built before the baseline, so it is on both sides.
  const services = MEMORY_N / scorerConfig.series.length;
  const template = baseMetrics();
  const inputs: DerivedHealthMetrics[] = Array.from({ length: TRAIN_POINTS }, (_, i) => metricsAt(template, series, i, 'svc'));
  const result: MemoryResult = { detectorBytes: [], detectorReleasedBytes: [], detectorHeap: [], detectorArrays: [], scorerBytes: [], scorerReleasedBytes: [] };
  let sink = 0;
  for (let rep = 0; rep < MEMORY_REPEATS; rep++) {
    // Detectors alone.
    fullGc();
    const before = used();
    let detectors: AnomalyDetector[] | undefined = [];
    for (let d = 0; d < MEMORY_N; d++) {
      const det = new AnomalyDetector({ warmup: 0 });
      const s = series[d % series.length]!;
      const offset = (d * 37) % s.values.length;
      for (let i = 0; i < TRAIN_POINTS; i++) {
        const j = (offset + i) % s.values.length;
        sink += det.score(s.values[j]!, s.timestamps[j]!);
      }
      detectors.push(det);
    }
    fullGc();
    const withDetectors = used();
    sink += detectors.length;
    detectors = undefined;
    fullGc();
    const after = used();
    const total = (m: { heap: number; arrays: number }): number => m.heap + m.arrays;
    result.detectorBytes.push((total(withDetectors) - total(before)) / MEMORY_N);
    result.detectorReleasedBytes.push((total(withDetectors) - total(after)) / MEMORY_N);
    result.detectorHeap.push((withDetectors.heap - before.heap) / MEMORY_N);
    result.detectorArrays.push((withDetectors.arrays - before.arrays) / MEMORY_N);

    // AnomalyScorer: `services` services × the default series, TRAIN_POINTS checks each.
    fullGc();
    const sBefore = used();
    let scorer: AnomalyScorer | undefined = new AnomalyScorer(scorerConfig);
    for (let svc = 0; svc < services; svc++) {
      const id = `service-${svc}`;
      for (let i = 0; i < TRAIN_POINTS; i++) {
        const m = inputs[(i + svc * 7) % TRAIN_POINTS]!;
        sink += scorer.score({ ...m, serviceId: id }).anomaly?.cpu ?? 0;
      }
    }
    fullGc();
    const sWith = used();
    sink += scorer.learned('service-0', 'cpu');
    scorer = undefined;
    fullGc();
    const sAfter = used();
    result.scorerBytes.push((total(sWith) - total(sBefore)) / MEMORY_N);
    result.scorerReleasedBytes.push((total(sWith) - total(sAfter)) / MEMORY_N);
  }
  if (Number.isNaN(sink)) console.error('NaN score');
  process.stdout.write(JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------------
// DerivedHealthMetrics for the scorer: the series as p95 latency, error rate, request rate, CPU.

function baseMetrics(): DerivedHealthMetrics {
  return {
    serviceId: 'svc',
    timestamp: Date.UTC(2026, 0, 5),
    windowSeconds: 15,
    requestCount: 3000,
    operationCount: 0,
    requestRate: 200,
    errorCount: 3,
    errorRate: 0.001,
    responseTime: { avg: 0.025, p50: 0.02, p95: 0.04, p99: 0.08, max: 0.2 },
    cpu: 0.2,
    connections: 10,
    checks: [],
  };
}

/** Point i of the series set as one window's metrics (latency: synthetic; rate: ELB counts; CPU: EC2). */
function metricsAt(template: DerivedHealthMetrics, series: Series[], i: number, serviceId: string): DerivedHealthMetrics {
  const pick = (s: Series): number => s.values[i % s.values.length]!;
  const latency = pick(series[4]!);
  const rate = pick(series[2]!) / 300 + 1;
  const cpu = pick(series[1]!) / 100;
  const errors = Math.max(0, pick(series[0]!) / 1000 - 0.03);
  return {
    ...template,
    serviceId,
    timestamp: template.timestamp + i * 15_000,
    requestRate: rate,
    requestCount: Math.round(rate * 15),
    errorRate: Math.min(1, errors),
    responseTime: { ...template.responseTime, p95: latency },
    cpu,
  };
}

// ---------------------------------------------------------------------------------------------
// Part 1: time per point.

interface DetectorVariant {
  name: string;
  options: AnomalyDetectorOptions;
}

const DETECTOR_VARIANTS: DetectorVariant[] = [
  { name: 'context', options: { warmup: 0 } },
  { name: 'context (A/A twin)', options: { warmup: 0 } },
  { name: "gauss (combine: 'gauss')", options: { warmup: 0, combine: 'gauss' } },
  { name: "gauss only (+ context: null)", options: { warmup: 0, combine: 'gauss', context: null } },
];
const COLD = 'context, 1,000 detectors in turn';

function scoreRange(detector: AnomalyDetector, series: Series, from: number, to: number): number {
  let sink = 0;
  const { values, timestamps } = series;
  for (let i = from; i < to; i++) sink += detector.score(values[i]!, timestamps[i]!);
  return sink;
}

/** One point to each detector in turn, each from its own series. */
function scoreInTurn(detectors: AnomalyDetector[], feeds: Series[], positions: Int32Array, passes: number): number {
  let sink = 0;
  for (let r = 0; r < passes; r++) {
    for (let d = 0; d < detectors.length; d++) {
      const { values, timestamps } = feeds[d]!;
      const j = positions[d]! % values.length;
      sink += detectors[d]!.score(values[j]!, timestamps[j]!);
      positions[d] = j + 1;
    }
  }
  return sink;
}

interface DetectorResult {
  nsPerPoint: Map<string, number[]>;
  points: number;
  chunks: number;
}

/**
 * Per round: fresh detectors for every variant (built untimed), then the series in chunks of
 * CHUNK points, each chunk run by every variant in a new random order, so that the variants share
 * the machine's moments at a grain of about half a millisecond; the cold variant runs one pass
 * over its 1,000 detectors per chunk. A variant's ns/point in a round: its summed chunk times ÷
 * its points.
 */
function measureDetector(series: Series[], rng: () => number): DetectorResult {
  const points = series.reduce((n, s) => n + s.values.length, 0);
  const chunks: { series: number; from: number; to: number }[] = [];
  series.forEach((s, i) => {
    for (let from = 0; from < s.values.length; from += CHUNK) chunks.push({ series: i, from, to: Math.min(from + CHUNK, s.values.length) });
  });
  // The cold variant's detectors: each learned TRAIN_POINTS points of one series.
  const cold: AnomalyDetector[] = [];
  const feeds: Series[] = [];
  const positions = new Int32Array(COLD_DETECTORS);
  let sink = 0;
  for (let d = 0; d < COLD_DETECTORS; d++) {
    const s = series[d % series.length]!;
    cold.push(new AnomalyDetector({ warmup: 0 }));
    feeds.push(s);
    positions[d] = (d * 37) % s.values.length;
  }
  sink += scoreInTurn(cold, feeds, positions, TRAIN_POINTS);

  const names = [...DETECTOR_VARIANTS.map((v) => v.name), COLD];
  const nsPerPoint = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let round = 0; round < DETECTOR_WARMUP_ROUNDS + DETECTOR_ROUNDS; round++) {
    const detectors = new Map(DETECTOR_VARIANTS.map((v) => [v.name, series.map(() => new AnomalyDetector(v.options))]));
    const ms = new Map(names.map((n) => [n, 0]));
    for (const chunk of chunks) {
      for (const name of shuffle([...names], rng)) {
        const t0 = performance.now();
        if (name === COLD) sink += scoreInTurn(cold, feeds, positions, 1);
        else sink += scoreRange(detectors.get(name)![chunk.series]!, series[chunk.series]!, chunk.from, chunk.to);
        ms.set(name, ms.get(name)! + performance.now() - t0);
      }
    }
    if (round < DETECTOR_WARMUP_ROUNDS) continue;
    for (const name of names) nsPerPoint.get(name)!.push((ms.get(name)! * 1e6) / (name === COLD ? COLD_DETECTORS * chunks.length : points));
  }
  if (Number.isNaN(sink)) console.error('NaN score');
  return { nsPerPoint, points, chunks: chunks.length };
}

// ---------------------------------------------------------------------------------------------
// Part 3: the check (the load of bench/check-cost.ts: bench/support/service-load.ts).

interface CheckResult {
  wallUs: Map<string, number[]>;
  scorerColdUs: number[];
  scorerHotUs: number[];
  judged: string[];
  requestsPerWindow: number[];
  alerts: Map<string, number>;
}

async function measureCheck(series: Series[], rng: () => number): Promise<CheckResult> {
  const { load, close } = await startServiceLoad();

  // Identical but for `anomaly`. Every monitor's reader receives every recording (the store
  // drains to all of them on any collect), so each check reports the same 200 series.
  const build = (anomaly: boolean): ReturnType<typeof startHealthMonitoring> =>
    startHealthMonitoring({
      serviceName: 'bench',
      checkInterval: 3600,
      hostMetrics: true,
      loggerProvider: new LoggerProvider(),
      startupMessage: false,
      anomaly,
    });
  const monitors = new Map([
    ['on', await build(true)],
    ['off', await build(false)],
    ["off′", await build(false)],
  ]);
  const alerts = new Map([...monitors.keys()].map((k) => [k, 0]));
  for (const [name, m] of monitors) m.on('alert', () => alerts.set(name, alerts.get(name)! + 1));

  // The anomaly step alone: a scorer of its own, trained past its warm-up.
  const scorerConfig = loadConfig({ anomaly: true }, {}).anomaly;
  if (scorerConfig === false) throw new Error('anomaly: true gave no configuration');
  const scorer = new AnomalyScorer(scorerConfig);
  const template = baseMetrics();
  const inputs = Array.from({ length: 4096 }, (_, i) => metricsAt(template, series, i, 'svc'));
  let next = 0;
  let sink = 0;
  for (; next < TRAIN_POINTS; next++) sink += scorer.score(inputs[next % inputs.length]!).anomaly?.cpu ?? 0;

  const wallUs = new Map([...monitors.keys()].map((k) => [k, [] as number[]]));
  const scorerColdUs: number[] = [];
  const scorerHotUs: number[] = [];
  const requestsPerWindow: number[] = [];
  for (let round = 0; round < CHECK_WARMUP_ROUNDS + CHECK_ROUNDS; round++) {
    const measured = round >= CHECK_WARMUP_ROUNDS;
    for (const name of shuffle([...monitors.keys()], rng)) {
      await load();
      const monitor = monitors.get(name)!;
      const t0 = performance.now();
      await monitor.monitorService();
      const us = (performance.now() - t0) * 1000;
      if (measured) wallUs.get(name)!.push(us);
      if (measured && name === 'off') requestsPerWindow.push(monitor.latest()!.requestCount);
    }
    // Once per round, after the checks: one call (caches as after a check), then a hot batch.
    let t0 = performance.now();
    sink += scorer.score(inputs[next++ % inputs.length]!).anomaly?.cpu ?? 0;
    const cold = (performance.now() - t0) * 1000;
    t0 = performance.now();
    for (let i = 0; i < SCORER_BATCH; i++) sink += scorer.score(inputs[next++ % inputs.length]!).anomaly?.cpu ?? 0;
    const hot = ((performance.now() - t0) * 1000) / SCORER_BATCH;
    if (measured) {
      scorerColdUs.push(cold);
      scorerHotUs.push(hot);
    }
  }
  const judged = Object.keys(monitors.get('on')!.latest()!.anomaly ?? {});
  if (Number.isNaN(sink)) console.error('NaN score');

  for (const m of monitors.values()) await m.shutdown();
  await close();
  return { wallUs, scorerColdUs, scorerHotUs, judged, requestsPerWindow, alerts };
}

// ---------------------------------------------------------------------------------------------

function cgroupCpus(): string {
  try {
    const [quota, period] = fs.readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (quota === 'max' || quota === undefined || period === undefined) return 'no cgroup CPU limit';
    return `cgroup CPU limit ${(Number(quota) / Number(period)).toFixed(2)} CPUs`;
  } catch {
    return 'no cgroup v2 CPU limit found';
  }
}

/** The code measured: commit, and whether the detector's files differ from it (others edit them). */
function codeVersion(): string {
  const files = ['src/evaluator/anomaly.ts', 'src/evaluator/anomaly/context.ts', 'src/evaluator/anomaly-scorer.ts'];
  const digest = createHash('sha256');
  for (const f of files) digest.update(fs.readFileSync(path.join(REPO, f)));
  let commit = 'unknown';
  let dirty = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--', ...files], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim())
      .join(', ');
  } catch {
    // not a git checkout
  }
  return `commit ${commit}; detector files ${dirty === '' ? 'as committed' : `with uncommitted changes (${dirty})`}; sha256 of anomaly.ts + anomaly/context.ts + anomaly-scorer.ts ${digest.digest('hex').slice(0, 12)}`;
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  if (process.argv.includes('--memory-child')) {
    memoryChild();
    return;
  }
  const started = new Date();
  const t0 = performance.now();
  const seed = Number(process.env.SEED ?? (Date.now() % 1_000_000));
  const rng = mulberry32(seed);
  const series = loadSeries();

  const detector = measureDetector(series, rng);
  const tDetector = performance.now();

  const memory = runMemoryChild<MemoryResult>(import.meta.url);
  const tMemory = performance.now();

  const check = await measureCheck(series, rng);
  const tCheck = performance.now();

  const cpus = os.cpus();
  const out: string[] = [];
  const line = (s = ''): void => {
    out.push(s);
  };
  line(`# anomaly cost: node --import tsx bench/anomaly-cost.ts (seed ${seed})`);
  line();
  line(`- started ${started.toISOString()}; took ${((tCheck - t0) / 1000).toFixed(0)} s (time per point ${((tDetector - t0) / 1000).toFixed(0)} s, memory ${((tMemory - tDetector) / 1000).toFixed(0)} s, check ${((tCheck - tMemory) / 1000).toFixed(0)} s)`);
  line(
    `- node ${process.version} (${process.platform}/${process.arch}), ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ` +
      `${cpus.length} cores (nproc / available parallelism ${os.availableParallelism()}), ${cgroupCpus()}; ` +
      `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')} at the end`,
  );
  line(`- ${codeVersion()}`);
  line('- Paired figures: median over rounds of the per-round ratio (or difference) [percentile-bootstrap 95 % CI of that median, ' + `${BOOTSTRAP} resamples] (range over rounds). Absolute times: median (min–max over rounds).`);
  line();

  // 1.
  line(`## 1. Time per point of one detector`);
  line();
  line(
    `${DETECTOR_ROUNDS} rounds after ${DETECTOR_WARMUP_ROUNDS} warm-up. Per round every variant gets fresh detectors (one per series) and scores all the series, ` +
      `${detector.points} points, in ${detector.chunks} chunks of up to ${CHUNK} points; each chunk is run by every variant in a new random order (the variants share the machine's moments), ` +
      `and a variant's ns/point in a round is its summed chunk times ÷ its points. Series: ${series.map((s) => `${s.name} (${s.values.length})`).join(', ')}. ` +
      `Cold variant: ${COLD_DETECTORS} detectors that first learned ${TRAIN_POINTS} points each, then per chunk one point to each detector in turn (${COLD_DETECTORS * detector.chunks} points per round).`,
  );
  line();
  line('| variant | ns/point, median (min–max) | ratio to `context`, per round |');
  line('| --- | --- | --- |');
  const base = detector.nsPerPoint.get('context')!;
  for (const [name, xs] of detector.nsPerPoint) {
    const ratio = name === 'context' ? '1 (reference)' : formatPaired(xs.map((x, i) => x / base[i]!), rng, 3);
    line(`| ${name} | ${formatSpread(spread(xs), 0)} | ${ratio} |`);
  }
  line();
  const med = median(base);
  const coldMed = median(detector.nsPerPoint.get(COLD)!);
  line(
    `Goal ≤ 5 µs per point: ${(med / 1000).toFixed(2)} µs (one detector per series, hot), ${(coldMed / 1000).toFixed(2)} µs (${COLD_DETECTORS} detectors in turn): ` +
      `${Math.max(med, coldMed) <= GOAL_NS_PER_POINT ? 'met' : 'NOT met'}.`,
  );
  line();

  // 2.
  const mem = (xs: number[]): string => `${kib(median(xs))} (${kib(Math.min(...xs))}–${kib(Math.max(...xs))})`;
  line(`## 2. Memory per series`);
  line();
  line(
    `Child process \`node --expose-gc\`; ${MEMORY_N} detectors each fed ${TRAIN_POINTS} points (NAB/synthetic series above, staggered offsets), kept alive; ` +
      `\`process.memoryUsage()\` heapUsed + arrayBuffers after 4 × gc(), with the detectors minus before creating them, ÷ ${MEMORY_N}; ` +
      `cross-check: with minus after dropping them. ${MEMORY_REPEATS} repetitions in the same process: median (min–max).`,
  );
  line();
  line('| what | per series (with − before) | heap part | typed-array part | per series (with − after release) |');
  line('| --- | --- | --- | --- | --- |');
  line(`| AnomalyDetector | ${mem(memory.detectorBytes)} | ${mem(memory.detectorHeap)} | ${mem(memory.detectorArrays)} | ${mem(memory.detectorReleasedBytes)} |`);
  line(`| AnomalyScorer, ${MEMORY_N / 4} services × 4 default series | ${mem(memory.scorerBytes)} | | | ${mem(memory.scorerReleasedBytes)} |`);
  line();
  const worst = Math.max(median(memory.detectorBytes), median(memory.scorerBytes));
  line(`Goal ≤ 64 KiB per series: ${kib(worst)} at most: ${worst <= GOAL_BYTES_PER_SERIES ? 'met' : 'NOT met'}.`);
  line();

  // 3.
  const on = check.wallUs.get('on')!;
  const off = check.wallUs.get('off')!;
  const off2 = check.wallUs.get("off′")!;
  line(`## 3. The check with anomaly rules on every default series`);
  line();
  line(
    `Three monitors from startHealthMonitoring (host metrics on, own MeterProvider), identical but for \`anomaly\`: on (true), off and off′ (false). ` +
      `${CHECK_ROUNDS} rounds after ${CHECK_WARMUP_ROUNDS} warm-up rounds (more than the 64-check warm-up: the measured checks are judged); per round, in random order, ` +
      `each monitor gets the load of bench/check-cost.ts (${ROUTES} routes × ${OUTCOMES.length} statuses = ${ROUTES * OUTCOMES.length} series, one request each) then one timed monitorService(). Every reader receives every recording, so a check's window holds the ${ROUTES * OUTCOMES.length} series with the loads since that monitor's previous check (off: ${formatSpread(spread(check.requestsPerWindow), 0)} requests, by the random order). ` +
      `Series judged by the on monitor's last check: ${check.judged.join(', ') || 'none'}; alert transitions during the run (the load's 25 % of 500s fire the static error-rate rule on every monitor): ${[...check.alerts].map(([k, n]) => `${k} ${n}`).join(', ')}.`,
  );
  line();
  line('| compared | per-round ratio of wall time | per-round difference, µs |');
  line('| --- | --- | --- |');
  line(`| on / off (anomaly cost) | ${formatPaired(on.map((x, i) => x / off[i]!), rng, 3)} | ${formatPaired(on.map((x, i) => x - off[i]!), rng, 0, true)} |`);
  line(`| off′ / off (A/A control) | ${formatPaired(off2.map((x, i) => x / off[i]!), rng, 3)} | ${formatPaired(off2.map((x, i) => x - off[i]!), rng, 0, true)} |`);
  line();
  line('| check | wall µs, median (min–max) |');
  line('| --- | --- |');
  for (const [name, xs] of check.wallUs) line(`| ${name} | ${formatSpread(spread(xs), 0)} |`);
  line();
  line(
    `Anomaly step alone (AnomalyScorer.score of one DerivedHealthMetrics, 4 series, past its warm-up): ` +
      `once per round after the checks ${formatSpread(spread(check.scorerColdUs), 2)} µs; in a batch of ${SCORER_BATCH} ${formatSpread(spread(check.scorerHotUs), 2)} µs per call.`,
  );
  console.log(out.join('\n'));
}

await main();
