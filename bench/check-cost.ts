/**
 * Cost of one health check: `monitor.monitorService()` on a monitor that otel-health set up
 * itself (its own MeterProvider, with host metrics on, as `startHealthMonitoring()` does by
 * default), with a realistic number of HTTP series: 50 routes × 4 status codes = 200 series of
 * `http.server.request.duration`, every one of them recorded into in every window (the costly
 * case: a DELTA collect skips series without recordings).
 *
 * Measured per iteration, in random order so drift and GC fall on both alike:
 * - check: one check after a window in which every series was recorded (the load between
 *   checks is real HTTP requests to an in-process node:http server on 127.0.0.1, not timed);
 * - idle check: a second check right after, its window empty (runtime and host metrics only);
 * - baseline: `reader.collect()` of a MeterProvider with nothing registered, the floor of any
 *   MetricReader.
 * Printed: median, p95 and max of wall time (what the check holds the event loop for, plus any
 * await inside it) and median CPU time of each, and the ratio of the medians to the baseline.
 * Target: a check's median ≤ 5 ms.
 *
 *   npm run bench:check                  (node --import tsx bench/check-cost.ts)
 *   ITERATIONS=500 npm run bench:check   (default 300, after 30 warm-up iterations)
 */
import fs from 'node:fs';
import os from 'node:os';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { startHealthMonitoring } from '../src/index.js';
import { median } from './stats.js';
import { OUTCOMES, ROUTES, startServiceLoad } from './support/service-load.js';

const ITERATIONS = Math.max(10, Number(process.env.ITERATIONS ?? 300));
const WARMUP = 30;

class BareReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function measure(work: () => Promise<unknown>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

function cgroupCpus(): string {
  try {
    // cgroup v2: "max 100000" or "<quota> <period>".
    const [quota, period] = fs.readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (quota === 'max' || quota === undefined || period === undefined) return 'no cgroup CPU limit';
    return `cgroup CPU limit ${(Number(quota) / Number(period)).toFixed(2)} CPUs`;
  } catch {
    return 'no cgroup v2 CPU limit found';
  }
}

async function main(): Promise<void> {
  // The service (50 route templates, the status chosen by the request) and its load.
  const { requests, load, close } = await startServiceLoad();

  // The monitor: otel-health's own MeterProvider with host metrics (the default). The loop's
  // interval is long so that it never takes a window from under the measured checks; alerts
  // go to a LoggerProvider without processors, so nothing prints.
  const monitor = await startHealthMonitoring({
    serviceName: 'bench',
    checkInterval: 3600,
    hostMetrics: true,
    loggerProvider: new LoggerProvider(),
  });

  const bare = new BareReader();
  const bareProvider = new MeterProvider({ readers: [bare] });

  const check: Sample[] = [];
  const idle: Sample[] = [];
  const baseline: Sample[] = [];
  let series = 0;
  let points = 0;

  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    await load();
    const measured = i >= WARMUP;
    const steps: (() => Promise<void>)[] = [
      async () => {
        const s = await measure(() => monitor.monitorService());
        if (measured) check.push(s);
        const m = monitor.latest()!;
        points = m.requestCount;
      },
      async () => {
        const s = await measure(() => bare.collect());
        if (measured) baseline.push(s);
      },
    ];
    if (Math.random() < 0.5) steps.reverse();
    for (const step of steps) await step();
    const s = await measure(() => monitor.monitorService());
    if (measured) idle.push(s);
  }
  series = requests.length;

  // What one collect holds (through the monitor's reader: a private field, read here only to show
  // that host metrics are really part of the measured checks).
  let contents = 'collect contents: not inspected';
  const reader = (monitor as unknown as { reader?: { collectForHealth(): Promise<import('@opentelemetry/sdk-metrics').CollectionResult> } }).reader;
  if (reader !== undefined) {
    await load();
    const { resourceMetrics } = await reader.collectForHealth();
    const scopes = resourceMetrics.scopeMetrics.map((sm) => {
      const pointCount = sm.metrics.reduce((n, m) => n + m.dataPoints.length, 0);
      return `${sm.scope.name}: ${sm.metrics.length} metrics, ${pointCount} points`;
    });
    contents = `one busy collect holds ${scopes.join('; ')}`;
  }

  await monitor.shutdown();
  await bareProvider.shutdown();
  await close();

  const cpus = os.cpus();
  console.log('check cost: monitor.monitorService() with host metrics, otel-health-created MeterProvider');
  console.log(
    `machine: node ${process.version} (${process.platform}/${process.arch}), ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ` +
      `${cpus.length} cores (available parallelism ${os.availableParallelism()}), ${cgroupCpus()}`,
  );
  console.log(
    `series: ${ROUTES} routes × ${OUTCOMES.length} status codes = ${series} http.server.request.duration series, ` +
      `all recorded into each window (${points} requests per window); ${ITERATIONS} iterations after ${WARMUP} warm-up`,
  );
  console.log(contents);
  const row = (name: string, xs: Sample[]): string => {
    const wall = xs.map((x) => x.wallMs);
    return (
      `${name.padEnd(26)} wall median ${median(wall).toFixed(3).padStart(7)} ms  p95 ${quantile(wall, 0.95).toFixed(3).padStart(7)} ms` +
      `  max ${Math.max(...wall).toFixed(3).padStart(7)} ms   cpu median ${median(xs.map((x) => x.cpuMs)).toFixed(3).padStart(7)} ms`
    );
  };
  console.log(row('check (200 fresh series)', check));
  console.log(row('check (idle window)', idle));
  console.log(row('baseline (empty collect)', baseline));
  const checkMedian = median(check.map((x) => x.wallMs));
  const baseMedian = median(baseline.map((x) => x.wallMs));
  console.log(
    `ratio of medians: check / baseline = ${(checkMedian / baseMedian).toFixed(1)}×, ` +
      `idle check / baseline = ${(median(idle.map((x) => x.wallMs)) / baseMedian).toFixed(1)}×`,
  );
  const verdict = checkMedian <= 5 ? 'within' : 'OVER';
  console.log(`target ≤ 5 ms per check: median ${checkMedian.toFixed(2)} ms, ${verdict} target`);
}

await main();
