/**
 * Process CPU: `process.cpu.time` (a monotonic SUM per `cpu.mode`), `process.cpu.utilization`
 * over this source's own window, and the CPUs the process can actually use.
 *
 * Utilisation is computed here rather than taken from host-metrics, whose
 * `process.cpu.utilization` keeps one module-wide previous sample (so a second reader's collect
 * shortens the first reader's window) and divides by every host core even inside a container
 * limited to a fraction of them.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { HrTime } from '@opentelemetry/api';
import { InstrumentType, type MetricData } from '@opentelemetry/sdk-metrics';
import {
  ATTR_CPU_MODE,
  METRIC_CPU_AVAILABLE,
  METRIC_PROCESS_CPU_TIME,
  METRIC_PROCESS_CPU_UTILIZATION,
} from '../names.js';
import {
  NO_ATTRIBUTES,
  SumSeries,
  defineMetric,
  gauge,
  gaugePoint,
  sum,
  type CollectWindow,
} from './points.js';

const CPU_TIME = defineMetric(
  METRIC_PROCESS_CPU_TIME,
  InstrumentType.COUNTER,
  's',
  'Total CPU seconds of the process, by CPU mode.',
);
const CPU_UTILIZATION = defineMetric(
  METRIC_PROCESS_CPU_UTILIZATION,
  InstrumentType.GAUGE,
  '1',
  'CPU time used since the previous collect, divided by the elapsed time and the CPUs available to the process.',
);
const CPU_AVAILABLE = defineMetric(
  METRIC_CPU_AVAILABLE,
  InstrumentType.GAUGE,
  '{cpu}',
  'CPUs available to the process: the cgroup CPU quota when one is set (capped by the cores it may run on), else the cores it may run on.',
);

const USER: Readonly<Record<string, string>> = Object.freeze({ [ATTR_CPU_MODE]: 'user' });
const SYSTEM: Readonly<Record<string, string>> = Object.freeze({ [ATTR_CPU_MODE]: 'system' });

const MICROS_PER_SECOND = 1e6;

/**
 * CPUs the process can use. A cgroup quota (e.g. 1.5) is the real bound inside a container;
 * `os.availableParallelism()` (the cores in the process's affinity mask) still caps it, since a
 * quota of 8 on a 4-core machine cannot buy more than 4.
 */
export function availableCpus(cgroupQuota: number | undefined): number {
  const cores = availableParallelism();
  return cgroupQuota === undefined ? cores : Math.min(cgroupQuota, cores);
}

export class CpuMetrics {
  private readonly user: SumSeries;
  private readonly system: SumSeries;
  /** Baseline of this source's utilisation window: per instance, so per reader. */
  private previousUsage: NodeJS.CpuUsage;
  private previousWallMs: number;

  constructor(
    /** From `availableCpus()`, fixed at creation like the cgroup limits it is derived from. */
    private readonly available: number,
    createdAt: HrTime,
  ) {
    this.previousUsage = process.cpuUsage();
    this.previousWallMs = performance.now();
    this.user = new SumSeries(USER, this.previousUsage.user / MICROS_PER_SECOND, createdAt);
    this.system = new SumSeries(SYSTEM, this.previousUsage.system / MICROS_PER_SECOND, createdAt);
  }

  collect(window: CollectWindow): MetricData[] {
    const usage = process.cpuUsage();
    // A monotonic clock for the elapsed time: wall-clock steps (NTP) must not bend utilisation.
    const nowMs = performance.now();
    const cpuMicros =
      usage.user - this.previousUsage.user + (usage.system - this.previousUsage.system);
    const elapsedMicros = (nowMs - this.previousWallMs) * 1000;
    this.previousUsage = usage;
    this.previousWallMs = nowMs;

    const temporality = window.temporalityOf(CPU_TIME.type);
    const metrics: MetricData[] = [
      sum(CPU_TIME, true, temporality, [
        this.user.point(usage.user / MICROS_PER_SECOND, temporality, window),
        this.system.point(usage.system / MICROS_PER_SECOND, temporality, window),
      ]),
    ];
    // Two collects within the clock's resolution have no window to divide by.
    if (elapsedMicros > 0) {
      const utilization = cpuMicros / (elapsedMicros * this.available);
      metrics.push(
        gauge(CPU_UTILIZATION, window, [gaugePoint(window, NO_ATTRIBUTES, utilization)]),
      );
    }
    metrics.push(gauge(CPU_AVAILABLE, window, [gaugePoint(window, NO_ATTRIBUTES, this.available)]));
    return metrics;
  }
}
