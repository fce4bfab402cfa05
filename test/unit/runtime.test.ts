import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as immediate, setTimeout as delay } from 'node:timers/promises';
import { hrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { CollectContext, MetricSource } from '../../src/instrumentation/metric-source.js';
import {
  ATTR_CPU_MODE,
  ATTR_V8JS_HEAP_SPACE_NAME,
  METRIC_CPU_AVAILABLE,
  METRIC_HEAP_SIZE_LIMIT,
  METRIC_MEMORY_LIMIT,
  METRIC_NODEJS_ELD_MAX,
  METRIC_NODEJS_ELD_MEAN,
  METRIC_NODEJS_ELD_MIN,
  METRIC_NODEJS_ELD_P50,
  METRIC_NODEJS_ELD_P90,
  METRIC_NODEJS_ELD_P99,
  METRIC_NODEJS_ELU,
  METRIC_PROCESS_CPU_TIME,
  METRIC_PROCESS_CPU_UTILIZATION,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_V8JS_HEAP_LIMIT,
  METRIC_V8JS_HEAP_USED,
} from '../../src/instrumentation/names.js';
import {
  createRuntimeSource,
  readCgroupLimits,
  startHostMetrics,
} from '../../src/instrumentation/runtime/index.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** A CollectContext as one reader would give it: now, and one temporality for every type. */
function contextFor(temporality = AggregationTemporality.CUMULATIVE): CollectContext {
  return {
    endTime: hrTime(),
    temporalityOf: () => temporality,
    wantsExponentialHistogram: () => false,
  };
}

function find(metrics: MetricData[], name: string): MetricData | undefined {
  return metrics.find((m) => m.descriptor.name === name);
}

function metric(metrics: MetricData[], name: string): MetricData {
  const found = find(metrics, name);
  assert.ok(
    found,
    `${name} is collected (got ${metrics.map((m) => m.descriptor.name).join(', ')})`,
  );
  return found;
}

/** The value of a single-point metric. */
function value(metrics: MetricData[], name: string): number {
  const [point, ...rest] = metric(metrics, name).dataPoints;
  assert.ok(point, `${name} has a point`);
  assert.equal(rest.length, 0, `${name} has one point`);
  assert.equal(typeof point.value, 'number');
  return point.value as number;
}

function cpuTimeOf(metrics: MetricData[], mode: 'user' | 'system') {
  const point = metric(metrics, METRIC_PROCESS_CPU_TIME).dataPoints.find(
    (p) => p.attributes[ATTR_CPU_MODE] === mode,
  );
  assert.ok(point, `process.cpu.time has a ${mode} point`);
  return point as { startTime: [number, number]; endTime: [number, number]; value: number };
}

function totalCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU seconds the process spent while `work` ran (load on the machine can make it small). */
function cpuSecondsOf(work: () => void): number {
  const before = totalCpuSeconds();
  work();
  return totalCpuSeconds() - before;
}

/** Keeps a CPU busy, synchronously, for about `ms` of wall time. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
}

const sources: MetricSource[] = [];
function source(...args: Parameters<typeof createRuntimeSource>): MetricSource {
  const created = createRuntimeSource(...args);
  sources.push(created);
  return created;
}
after(() => {
  for (const s of sources) s.shutdown();
});

/**
 * Lets the delay histograms take a few samples. The histogram records nothing until its timer
 * has turned once after creation or reset, so a block must not start before that; there is no
 * event to await for it.
 */
async function letHistogramSample(resolutionMs = 10): Promise<void> {
  await delay(resolutionMs * 5);
}

/**
 * Blocks the loop for ~200 ms, then waits for the timers phase that follows, in which the delay
 * histograms' timers (due long before) record the block ahead of this later-due timer.
 */
async function blockEventLoop(): Promise<void> {
  busy(200);
  await immediate();
  await delay(1);
}

// ---------------------------------------------------------------------------------------------
// cgroup

describe('readCgroupLimits', () => {
  const roots: string[] = [];
  after(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  /** A fake filesystem root holding the given files. */
  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'otel-health-cgroup-'));
    roots.push(root);
    for (const [file, content] of Object.entries(files)) {
      const path = join(root, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    return root;
  }

  it('reads a v2 CPU quota and memory limit from the process cgroup', () => {
    const fsRoot = tree({
      'proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
      'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '150000 100000\n',
      'sys/fs/cgroup/kubepods/pod1/ctr/memory.max': '536870912\n',
      'sys/fs/cgroup/cpu.max': 'max 100000\n', // not the process's cgroup
    });
    assert.deepEqual(readCgroupLimits({ fsRoot }), { cpuQuota: 1.5, memoryLimit: 536870912 });
  });

  it('reads v2 "max" as no limit', () => {
    const fsRoot = tree({
      'proc/self/cgroup': '0::/\n',
      'sys/fs/cgroup/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/memory.max': 'max\n',
    });
    assert.deepEqual(readCgroupLimits({ fsRoot }), { cpuQuota: undefined, memoryLimit: undefined });
  });

  it('takes the tightest limit on the way up to the root of the mount', () => {
    const fsRoot = tree({
      'proc/self/cgroup': '0::/system.slice/app.service\n',
      'sys/fs/cgroup/system.slice/app.service/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/system.slice/app.service/memory.max': '2147483648\n',
      'sys/fs/cgroup/system.slice/cpu.max': '50000 100000\n',
      'sys/fs/cgroup/system.slice/memory.max': '4294967296\n',
    });
    assert.deepEqual(readCgroupLimits({ fsRoot }), { cpuQuota: 0.5, memoryLimit: 2147483648 });
  });

  it('falls back to the root of the mount when the cgroup path is not there (no cgroup namespace)', () => {
    const fsRoot = tree({
      'proc/self/cgroup': '0::/docker/0123abcd\n',
      'sys/fs/cgroup/cpu.max': '200000 100000\n',
      'sys/fs/cgroup/memory.max': '1073741824\n',
    });
    assert.deepEqual(readCgroupLimits({ fsRoot }), { cpuQuota: 2, memoryLimit: 1073741824 });
  });

  it('reads a v1 CPU quota and memory limit', () => {
    const fsRoot = tree({
      'proc/self/cgroup': [
        '12:memory:/docker/abc',
        '4:cpu,cpuacct:/docker/abc',
        '1:name=systemd:/docker/abc',
        '0::/docker/abc',
      ].join('\n'),
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '250000\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': '268435456\n',
    });
    assert.deepEqual(readCgroupLimits({ fsRoot }), { cpuQuota: 2.5, memoryLimit: 268435456 });
  });

  it('reads v1 quota -1 and the huge v1 memory value as no limit', () => {
    const fsRoot = tree({
      'proc/self/cgroup': '4:memory:/\n2:cpu:/\n',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
    });
    assert.deepEqual(readCgroupLimits({ fsRoot }), { cpuQuota: undefined, memoryLimit: undefined });
  });

  it('reports no limit when the files are missing', () => {
    assert.deepEqual(readCgroupLimits({ fsRoot: tree({}) }), {
      cpuQuota: undefined,
      memoryLimit: undefined,
    });
    assert.deepEqual(readCgroupLimits({ fsRoot: tree({ 'proc/self/cgroup': '0::/app\n' }) }), {
      cpuQuota: undefined,
      memoryLimit: undefined,
    });
    assert.deepEqual(readCgroupLimits({ fsRoot: join(tmpdir(), 'otel-health-does-not-exist') }), {
      cpuQuota: undefined,
      memoryLimit: undefined,
    });
  });

  it('feeds the runtime source: CPUs available and the memory limit', () => {
    const fsRoot = tree({
      'proc/self/cgroup': '0::/\n',
      'sys/fs/cgroup/cpu.max': '150000 100000\n',
      'sys/fs/cgroup/memory.max': '536870912\n',
    });
    const metrics = source({ fsRoot }).collect(contextFor());
    assert.equal(value(metrics, METRIC_CPU_AVAILABLE), Math.min(1.5, availableParallelism()));
    assert.equal(value(metrics, METRIC_MEMORY_LIMIT), 536870912);

    const unlimited = source({ fsRoot: tree({}) }).collect(contextFor());
    assert.equal(value(unlimited, METRIC_CPU_AVAILABLE), availableParallelism());
    assert.equal(find(unlimited, METRIC_MEMORY_LIMIT), undefined, 'no limit, no metric');
  });
});

// ---------------------------------------------------------------------------------------------
// CPU

describe('runtime source: CPU', () => {
  it('reports utilisation of a busy loop over the CPUs available', () => {
    const s = source();
    busy(100);
    const metrics = s.collect(contextFor());
    const utilization = value(metrics, METRIC_PROCESS_CPU_UTILIZATION);
    const available = value(metrics, METRIC_CPU_AVAILABLE);
    assert.ok(utilization > 0, `utilisation ${utilization} > 0`);
    // CPU seconds per wall second cannot exceed the cores the process runs on (10 % slack for
    // clock granularity); normalised by the available CPUs that is ≤ 1 without a quota.
    assert.ok(
      utilization * available <= availableParallelism() * 1.1,
      `utilisation ${utilization} × ${available} CPUs`,
    );
    if (available === availableParallelism()) assert.ok(utilization <= 1.1);

    const descriptor = metric(metrics, METRIC_PROCESS_CPU_UTILIZATION);
    assert.equal(descriptor.dataPointType, DataPointType.GAUGE);
    assert.equal(descriptor.descriptor.unit, '1');
    assert.equal(metric(metrics, METRIC_CPU_AVAILABLE).descriptor.unit, '{cpu}');
  });

  it('reports process.cpu.time as a cumulative monotonic sum from the creation time', () => {
    const s = source();
    const first = s.collect(contextFor(AggregationTemporality.CUMULATIVE));
    busy(50);
    const second = s.collect(contextFor(AggregationTemporality.CUMULATIVE));

    const data = metric(second, METRIC_PROCESS_CPU_TIME);
    assert.equal(data.dataPointType, DataPointType.SUM);
    assert.ok(data.dataPointType === DataPointType.SUM && data.isMonotonic);
    assert.equal(data.aggregationTemporality, AggregationTemporality.CUMULATIVE);
    assert.equal(data.descriptor.unit, 's');
    assert.equal((data.descriptor as { type?: InstrumentType }).type, InstrumentType.COUNTER);

    const [u1, s1, u2, s2] = [
      cpuTimeOf(first, 'user'),
      cpuTimeOf(first, 'system'),
      cpuTimeOf(second, 'user'),
      cpuTimeOf(second, 'system'),
    ];
    assert.ok(u2.value + s2.value > u1.value + s1.value, 'cpu time grows');
    assert.ok(u2.value >= u1.value && s2.value >= s1.value, 'per mode too');
    // Total CPU time of the process, as `process.cpuUsage()` has it.
    const now = process.cpuUsage();
    assert.ok(u2.value <= now.user / 1e6 && u2.value > 0);
    assert.deepEqual(u2.startTime, u1.startTime, 'cumulative points share the start time');
  });

  it('reports process.cpu.time as deltas that tile time when the reader asks for DELTA', () => {
    const s = source();
    const first = s.collect(contextFor(AggregationTemporality.DELTA));
    const spent = cpuSecondsOf(() => busy(50));
    const second = s.collect(contextFor(AggregationTemporality.DELTA));

    const data = metric(second, METRIC_PROCESS_CPU_TIME);
    assert.equal(data.aggregationTemporality, AggregationTemporality.DELTA);
    for (const mode of ['user', 'system'] as const) {
      const [a, b] = [cpuTimeOf(first, mode), cpuTimeOf(second, mode)];
      assert.deepEqual(
        b.startTime,
        a.endTime,
        `${mode}: second point starts where the first ended`,
      );
      assert.ok(b.value >= 0, `${mode}: a delta of a monotonic sum is not negative`);
    }
    const delta = cpuTimeOf(second, 'user').value + cpuTimeOf(second, 'system').value;
    // The window holds the busy loop (measured on its own) and is less than the whole process's.
    assert.ok(delta >= spent - 1e-9, `delta ${delta} s covers the busy loop's ${spent} s`);
    assert.ok(delta < totalCpuSeconds());
  });
});

// ---------------------------------------------------------------------------------------------
// Event loop

describe('runtime source: event loop', () => {
  it('reports the delay of a blocked loop in seconds, and starts a new window after collect', async () => {
    const s = source();
    await letHistogramSample();
    await blockEventLoop();
    const blocked = s.collect(contextFor());
    const max = value(blocked, METRIC_NODEJS_ELD_MAX);
    assert.ok(max >= 0.1, `max delay ${max} s after a ~200 ms block`);
    assert.ok(max < 60, `max delay ${max} is in seconds, not nanoseconds`);
    const min = value(blocked, METRIC_NODEJS_ELD_MIN);
    for (const name of [
      METRIC_NODEJS_ELD_MEAN,
      METRIC_NODEJS_ELD_P50,
      METRIC_NODEJS_ELD_P90,
      METRIC_NODEJS_ELD_P99,
    ]) {
      const v = value(blocked, name);
      assert.ok(v >= min * 0.99 && v <= max * 1.01, `${name} ${v} within [min ${min}, max ${max}]`);
      assert.equal(metric(blocked, name).descriptor.unit, 's');
    }

    await letHistogramSample();
    const calm = s.collect(contextFor());
    const calmMax = value(calm, METRIC_NODEJS_ELD_MAX);
    assert.ok(calmMax < 0.1, `after the reset the max ${calmMax} s no longer holds the block`);
  });

  it('reports event-loop utilisation since the previous collect', async () => {
    const s = source();
    await delay(20);
    s.collect(contextFor());
    busy(100);
    await immediate();
    const busyWindow = value(s.collect(contextFor()), METRIC_NODEJS_ELU);
    assert.ok(busyWindow > 0.5 && busyWindow <= 1, `utilisation ${busyWindow} of a busy window`);

    await delay(100);
    const idleWindow = value(s.collect(contextFor()), METRIC_NODEJS_ELU);
    assert.ok(idleWindow < busyWindow, `idle window ${idleWindow} < busy window ${busyWindow}`);
  });

  it('keeps two sources independent: collecting one leaves the other its window', async () => {
    const a = source();
    const b = source();
    const delta = AggregationTemporality.DELTA;
    a.collect(contextFor(delta));
    b.collect(contextFor(delta));
    await letHistogramSample();
    const before = totalCpuSeconds();
    await blockEventLoop();
    const spent = totalCpuSeconds() - before;

    const fromA = a.collect(contextFor(delta));
    assert.ok(value(fromA, METRIC_NODEJS_ELD_MAX) >= 0.1, 'a sees the block');
    const againA = a.collect(contextFor(delta));
    const againMax = find(againA, METRIC_NODEJS_ELD_MAX) && value(againA, METRIC_NODEJS_ELD_MAX);
    assert.ok(
      againMax === undefined || againMax < 0.1,
      `a's new window ${againMax} lacks the block`,
    );

    // b was not collected meanwhile: its histogram still holds the block, its CPU baseline
    // still predates the busy loop.
    const fromB = b.collect(contextFor(delta));
    assert.ok(value(fromB, METRIC_NODEJS_ELD_MAX) >= 0.1, 'b still sees the block');
    const cpuSeconds = (metrics: MetricData[]) =>
      cpuTimeOf(metrics, 'user').value + cpuTimeOf(metrics, 'system').value;
    assert.ok(
      cpuSeconds(fromB) >= spent - 1e-9,
      `b's CPU delta ${cpuSeconds(fromB)} s holds the blocked loop's ${spent} s`,
    );
    assert.ok(
      cpuSeconds(fromB) > cpuSeconds(againA),
      `b's CPU delta ${cpuSeconds(fromB)} s > a's new window ${cpuSeconds(againA)} s`,
    );
    assert.ok(value(fromB, METRIC_PROCESS_CPU_UTILIZATION) > 0);
  });
});

// ---------------------------------------------------------------------------------------------
// Memory

describe('runtime source: memory', () => {
  it('reports RSS, heap per space and the heap size limit', () => {
    const metrics = source().collect(contextFor());
    const rss = metric(metrics, METRIC_PROCESS_MEMORY_USAGE);
    assert.equal(rss.descriptor.unit, 'By');
    assert.equal(rss.dataPointType, DataPointType.SUM);
    assert.ok(rss.dataPointType === DataPointType.SUM && !rss.isMonotonic);
    assert.ok(value(metrics, METRIC_PROCESS_MEMORY_USAGE) > 0);

    const used = metric(metrics, METRIC_V8JS_HEAP_USED).dataPoints;
    const size = metric(metrics, METRIC_V8JS_HEAP_LIMIT).dataPoints;
    const spaces = used.map((p) => p.attributes[ATTR_V8JS_HEAP_SPACE_NAME]);
    assert.ok(
      spaces.includes('old_space') && spaces.includes('new_space'),
      `spaces: ${spaces.join(', ')}`,
    );
    assert.equal(new Set(spaces).size, spaces.length, 'one point per space');
    assert.deepEqual(
      size.map((p) => p.attributes[ATTR_V8JS_HEAP_SPACE_NAME]),
      spaces,
    );
    const heapUsed = used.reduce((total, p) => total + (p.value as number), 0);
    assert.ok(heapUsed > 0);
    assert.ok(value(metrics, METRIC_HEAP_SIZE_LIMIT) > heapUsed, 'heap size limit > heap used');
  });

  it('reuses attribute objects across collects', () => {
    const s = source();
    const first = metric(s.collect(contextFor()), METRIC_V8JS_HEAP_USED).dataPoints;
    const second = metric(s.collect(contextFor()), METRIC_V8JS_HEAP_USED).dataPoints;
    assert.equal(first[0]?.attributes, second[0]?.attributes);
  });
});

// ---------------------------------------------------------------------------------------------
// Lifecycle and the SDK

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('runtime source: lifecycle', () => {
  it('rejects an invalid event-loop resolution at creation', () => {
    assert.throws(() => createRuntimeSource({ eventLoopResolutionMs: 0 }), RangeError);
    assert.throws(() => createRuntimeSource({ eventLoopResolutionMs: 2.5 }), RangeError);
  });

  it('collects nothing after shutdown, and shutdown is idempotent', () => {
    const s = createRuntimeSource();
    assert.ok(s.collect(contextFor()).length > 0);
    s.shutdown();
    s.shutdown();
    assert.deepEqual(s.collect(contextFor()), []);
  });

  it('skips a failing piece instead of throwing', () => {
    const s = source();
    let calls = 0;
    const flaky: CollectContext = {
      endTime: hrTime(),
      temporalityOf: (type) => {
        calls++;
        if (type === InstrumentType.COUNTER) throw new Error('boom');
        return AggregationTemporality.CUMULATIVE;
      },
      wantsExponentialHistogram: () => false,
    };
    const metrics = s.collect(flaky);
    assert.ok(calls > 0);
    assert.equal(find(metrics, METRIC_PROCESS_CPU_TIME), undefined, 'the failing piece is skipped');
    assert.ok(find(metrics, METRIC_PROCESS_MEMORY_USAGE), 'the others still report');
  });
});

describe('startHostMetrics', () => {
  it('reports system metrics only, and stops on shutdown', async () => {
    // DELTA: a series nobody observed since the last collect is then absent (CUMULATIVE would
    // repeat the last values).
    const reader = new TestReader({
      aggregationTemporalitySelector: () => AggregationTemporality.DELTA,
    });
    const provider = new MeterProvider({ readers: [reader] });
    const host = startHostMetrics(provider);
    try {
      const { resourceMetrics } = await reader.collect();
      const names = resourceMetrics.scopeMetrics.flatMap((s) =>
        s.metrics.map((m) => m.descriptor.name),
      );
      assert.ok(names.includes('system.cpu.time'), `names: ${names.join(', ')}`);
      assert.ok(names.includes('system.memory.usage'));
      // system.network would run execSync on the main thread (see host.ts): left out.
      assert.ok(!names.some((n) => n.startsWith('system.network')), 'no system.network.* metrics');
      assert.deepEqual(
        names.filter((n) => n.startsWith('process.')),
        [],
        'no process.* metrics',
      );

      host.shutdown();
      host.shutdown();
      const afterShutdown = await reader.collect();
      const points = afterShutdown.resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .reduce((total, m) => total + m.dataPoints.length, 0);
      assert.equal(points, 0, 'no host data after shutdown');
    } finally {
      host.shutdown();
      await provider.shutdown();
    }
  });
});
