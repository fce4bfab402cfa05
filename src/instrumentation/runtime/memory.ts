/**
 * Memory: RSS, the V8 heap per space, the V8 heap size limit, and the cgroup memory limit.
 *
 * The semantic conventions make `process.memory.usage` and `v8js.memory.heap.*` UpDownCounters,
 * so they are non-monotonic SUMs here; the two limits follow the same convention (memory limits
 * in the conventions, e.g. `k8s.container.memory.limit`, are UpDownCounters too).
 */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { InstrumentType, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import {
  ATTR_V8JS_HEAP_SPACE_NAME,
  METRIC_HEAP_SIZE_LIMIT,
  METRIC_MEMORY_LIMIT,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_V8JS_HEAP_LIMIT,
  METRIC_V8JS_HEAP_USED,
} from '../names.js';
import { NO_ATTRIBUTES, SumSeries, defineMetric, sum, type CollectWindow } from './points.js';

const UDC = InstrumentType.UP_DOWN_COUNTER;
const RSS = defineMetric(
  METRIC_PROCESS_MEMORY_USAGE,
  UDC,
  'By',
  'The amount of physical memory in use (resident set size).',
  ValueType.INT,
);
const HEAP_USED = defineMetric(
  METRIC_V8JS_HEAP_USED,
  UDC,
  'By',
  'Heap memory size allocated, per V8 heap space.',
  ValueType.INT,
);
const HEAP_LIMIT = defineMetric(
  METRIC_V8JS_HEAP_LIMIT,
  UDC,
  'By',
  'Total heap memory size pre-allocated, per V8 heap space.',
  ValueType.INT,
);
const HEAP_SIZE_LIMIT = defineMetric(
  METRIC_HEAP_SIZE_LIMIT,
  UDC,
  'By',
  'The V8 heap size limit (--max-old-space-size and the young generation).',
  ValueType.INT,
);
const MEMORY_LIMIT = defineMetric(
  METRIC_MEMORY_LIMIT,
  UDC,
  'By',
  'The memory limit of the cgroup the process runs in.',
  ValueType.INT,
);

interface SpaceSeries {
  readonly used: SumSeries;
  readonly size: SumSeries;
}

export class MemoryMetrics {
  private readonly rss: SumSeries;
  private readonly heapSizeLimit: SumSeries;
  private readonly memoryLimit: { readonly bytes: number; readonly series: SumSeries } | undefined;
  /** One attribute set per heap space, built once: V8's set of spaces is fixed for a process. */
  private readonly spaces = new Map<string, SpaceSeries>();

  constructor(
    /** The cgroup memory limit in bytes, or undefined when none is set (then not reported). */
    cgroupMemoryLimit: number | undefined,
    private readonly createdAt: HrTime,
  ) {
    this.rss = new SumSeries(NO_ATTRIBUTES, process.memoryUsage.rss(), createdAt);
    this.heapSizeLimit = new SumSeries(
      NO_ATTRIBUTES,
      getHeapStatistics().heap_size_limit,
      createdAt,
    );
    this.memoryLimit =
      cgroupMemoryLimit === undefined
        ? undefined
        : {
            bytes: cgroupMemoryLimit,
            series: new SumSeries(NO_ATTRIBUTES, cgroupMemoryLimit, createdAt),
          };
    for (const space of getHeapSpaceStatistics()) {
      this.spaceSeries(space.space_name, space.space_used_size, space.space_size);
    }
  }

  collect(window: CollectWindow): MetricData[] {
    const temporality = window.temporalityOf(UDC);
    const used: DataPoint<number>[] = [];
    const size: DataPoint<number>[] = [];
    for (const space of getHeapSpaceStatistics()) {
      const series = this.spaceSeries(space.space_name, 0, 0);
      used.push(series.used.point(space.space_used_size, temporality, window));
      size.push(series.size.point(space.space_size, temporality, window));
    }
    const metrics: MetricData[] = [
      sum(RSS, false, temporality, [
        this.rss.point(process.memoryUsage.rss(), temporality, window),
      ]),
      sum(HEAP_USED, false, temporality, used),
      sum(HEAP_LIMIT, false, temporality, size),
      sum(HEAP_SIZE_LIMIT, false, temporality, [
        this.heapSizeLimit.point(getHeapStatistics().heap_size_limit, temporality, window),
      ]),
    ];
    if (this.memoryLimit) {
      const { bytes, series } = this.memoryLimit;
      metrics.push(
        sum(MEMORY_LIMIT, false, temporality, [series.point(bytes, temporality, window)]),
      );
    }
    return metrics;
  }

  /** The series of a heap space; created on first sight (at creation for every known space). */
  private spaceSeries(name: string, used: number, size: number): SpaceSeries {
    let series = this.spaces.get(name);
    if (!series) {
      const attributes: Attributes = Object.freeze({ [ATTR_V8JS_HEAP_SPACE_NAME]: name });
      series = {
        used: new SumSeries(attributes, used, this.createdAt),
        size: new SumSeries(attributes, size, this.createdAt),
      };
      this.spaces.set(name, series);
    }
    return series;
  }
}
