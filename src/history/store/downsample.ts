/**
 * Downsampling rows into tier rows: one row per bucket of `resolution` seconds. A bucket covers
 * (start, start + resolution] in epoch ms (a row's timestamp is the end of its window), and its
 * row carries the bucket's end as timestamp.
 *
 * How each field of a tier row is made from its rows:
 * - counts (requests, operations, errors): summed, exact; so are the service level objectives'
 *   events, per objective name (present when any of the rows carries them);
 * - windowSeconds: summed; rates: requestRate = requests / windowSeconds, errorRate = errors /
 *   requests, so they stay exact whatever the rows' lengths;
 * - latency: the rows' histograms merged (downscaled to a common scale), and p50/p95/p99 read
 *   from the merged histogram, never averaged. avg = the histograms' summed sum / count (rows
 *   without a histogram: their avg weighted by their requests). max: the largest maximum. When
 *   no row carries a histogram, each percentile is the largest of the rows' (an upper bound);
 *   rows without one in a bucket where others have one add their counts only;
 * - resource numbers (cpu, memory, connections, event-loop delay p50/p99 and utilisation): the
 *   mean over the rows that have them, weighted by window length; event-loop delay max: the
 *   largest maximum;
 * - status and level: the worst; checksFailed and alertsFiring: the most; anomaly scores: the
 *   highest per series (a tier row shows its most unusual moment).
 */
import { MonitoringLevel, levelRank, type AnomalyScores, type AnomalySeries } from '../../model/index.js';
import { DEFAULT_MAX_BUCKETS, HistogramAccumulator, histogramQuantile } from './histogram.js';
import { statusRank, type MetricRow } from './rows.js';
import { SloEventsSum } from './slo-counts.js';

/** Bucket end (epoch ms) of a row at `timestamp` for buckets of `resolution` seconds. */
export function bucketEnd(timestamp: number, resolution: number): number {
  const ms = resolution * 1000;
  return Math.ceil(timestamp / ms) * ms;
}

class Mean {
  private sum = 0;
  private weight = 0;
  add(v: number | undefined, w: number): void {
    if (v === undefined || Number.isNaN(v)) return;
    const weight = w > 0 ? w : 1e-9;
    this.sum += v * weight;
    this.weight += weight;
  }
  get value(): number | undefined {
    return this.weight > 0 ? this.sum / this.weight : undefined;
  }
}

/**
 * One tier row in the making: rows are added one at a time (each costs its histogram's bucket
 * count), `finish` makes the row. What `downsample` uses per bucket, and what the store keeps
 * for a tier's open buckets so a check's row is folded in as it comes.
 */
export class RowAccumulator {
  private serviceId = '';
  private windowSeconds = 0;
  private requestCount = 0;
  private operationCount = 0;
  private errorCount = 0;
  private checksFailed = 0;
  private alertsFiring = 0;
  private rowCount = 0;
  private rtMax = 0;
  private eldMax: number | undefined;
  private status: MetricRow['status'] = 'unknown';
  private level: MonitoringLevel | undefined;
  private readonly histogram: HistogramAccumulator;
  private histograms = 0;
  private plainAvgSum = 0;
  private plainCount = 0;
  private readonly upper = { p50: 0, p95: 0, p99: 0 };
  private readonly cpu = new Mean();
  private readonly mem = { rss: new Mean(), heapUsed: new Mean(), heapLimit: new Mean(), limit: new Mean(), utilization: new Mean() };
  private readonly connections = new Mean();
  private readonly eld = { p50: new Mean(), p99: new Mean(), utilization: new Mean() };
  private anomaly: AnomalyScores | undefined;
  private readonly sloEvents = new SloEventsSum();

  constructor(maxBuckets = DEFAULT_MAX_BUCKETS) {
    this.histogram = new HistogramAccumulator(maxBuckets);
  }

  /** Rows added so far (a tier row counts its own rows). */
  get rows(): number {
    return this.rowCount;
  }

  add(r: MetricRow): void {
    const w = r.windowSeconds;
    this.serviceId = r.serviceId;
    this.windowSeconds += w;
    this.requestCount += r.requestCount;
    this.operationCount += r.operationCount;
    this.errorCount += r.errorCount;
    this.checksFailed = Math.max(this.checksFailed, r.checksFailed);
    this.alertsFiring = Math.max(this.alertsFiring, r.alertsFiring);
    if (this.rowCount === 0 || statusRank(r.status) > statusRank(this.status)) this.status = r.status;
    this.rowCount += r.rows ?? 1;
    this.rtMax = Math.max(this.rtMax, r.responseTime.max);
    if (this.level === undefined || levelRank(r.level) > levelRank(this.level)) this.level = r.level;
    if (r.latency !== undefined) {
      this.histogram.add(r.latency);
      this.histograms++;
    } else if (r.requestCount > 0) {
      this.plainAvgSum += r.responseTime.avg * r.requestCount;
      this.plainCount += r.requestCount;
    }
    if (r.requestCount > 0) {
      this.upper.p50 = Math.max(this.upper.p50, r.responseTime.p50);
      this.upper.p95 = Math.max(this.upper.p95, r.responseTime.p95);
      this.upper.p99 = Math.max(this.upper.p99, r.responseTime.p99);
    }
    this.cpu.add(r.cpu, w);
    const m = r.memory;
    if (m !== undefined) {
      this.mem.rss.add(m.rss, w);
      this.mem.heapUsed.add(m.heapUsed, w);
      this.mem.heapLimit.add(m.heapLimit, w);
      this.mem.limit.add(m.limit, w);
      this.mem.utilization.add(m.utilization, w);
    }
    this.connections.add(r.connections, w);
    if (r.eventLoopDelay !== undefined) {
      this.eld.p50.add(r.eventLoopDelay.p50, w);
      this.eld.p99.add(r.eventLoopDelay.p99, w);
      this.eld.utilization.add(r.eventLoopDelay.utilization, w);
      this.eldMax = Math.max(this.eldMax ?? 0, r.eventLoopDelay.max);
    }
    this.sloEvents.add(r.sloEvents);
    if (r.anomaly !== undefined) {
      const anomaly = (this.anomaly ??= {});
      for (const series in r.anomaly) {
        const score = r.anomaly[series as AnomalySeries]!;
        anomaly[series as AnomalySeries] = Math.max(anomaly[series as AnomalySeries] ?? -Infinity, score);
      }
    }
  }

  /** The tier row of the bucket ending at `end` (epoch ms), `resolution` seconds long. */
  finish(end: number, resolution: number): MetricRow {
    const latency = this.histograms > 0 ? this.histogram.result() : undefined;
    let responseTime: MetricRow['responseTime'];
    if (latency !== undefined) {
      let histCount = latency.zeroCount;
      for (const c of latency.counts) histCount += c;
      const total = histCount + this.plainCount;
      responseTime = {
        avg: total > 0 ? (latency.sum + this.plainAvgSum) / total : 0,
        p50: histogramQuantile(latency, 0.5),
        p95: histogramQuantile(latency, 0.95),
        p99: histogramQuantile(latency, 0.99),
        max: this.rtMax,
      };
    } else {
      responseTime = { avg: this.plainCount > 0 ? this.plainAvgSum / this.plainCount : 0, ...this.upper, max: this.rtMax };
    }
    const row: MetricRow = {
      serviceId: this.serviceId,
      timestamp: end,
      windowSeconds: this.windowSeconds,
      status: this.status,
      level: this.level ?? MonitoringLevel.INFO,
      requestCount: this.requestCount,
      operationCount: this.operationCount,
      requestRate: this.windowSeconds > 0 ? this.requestCount / this.windowSeconds : 0,
      errorCount: this.errorCount,
      errorRate: this.requestCount > 0 ? this.errorCount / this.requestCount : 0,
      responseTime,
      connections: this.connections.value ?? 0,
      checksFailed: this.checksFailed,
      alertsFiring: this.alertsFiring,
      resolution,
      rows: this.rowCount,
    };
    if (this.cpu.value !== undefined) row.cpu = this.cpu.value;
    const memory: NonNullable<MetricRow['memory']> = {};
    for (const key of ['rss', 'heapUsed', 'heapLimit', 'limit', 'utilization'] as const) {
      const v = this.mem[key].value;
      if (v !== undefined) memory[key] = v;
    }
    if (Object.keys(memory).length > 0) row.memory = memory;
    if (this.eldMax !== undefined) {
      row.eventLoopDelay = { p50: this.eld.p50.value ?? 0, p99: this.eld.p99.value ?? 0, max: this.eldMax };
      if (this.eld.utilization.value !== undefined) row.eventLoopDelay.utilization = this.eld.utilization.value;
    }
    if (this.anomaly !== undefined) row.anomaly = { ...this.anomaly };
    if (latency !== undefined) row.latency = latency;
    const sloEvents = this.sloEvents.result();
    if (sloEvents !== undefined) row.sloEvents = sloEvents;
    return row;
  }
}

/**
 * Rows (of one service, any finer resolution, any order) downsampled to one row per bucket of
 * `resolution` seconds, oldest first. Pure. `maxBuckets` bounds each merged histogram.
 */
export function downsample(rows: readonly MetricRow[], resolution: number, maxBuckets = DEFAULT_MAX_BUCKETS): MetricRow[] {
  if (!(resolution > 0)) throw new RangeError('resolution must be > 0 seconds');
  const buckets = new Map<number, MetricRow[]>();
  for (const r of rows) {
    const end = bucketEnd(r.timestamp, resolution);
    let list = buckets.get(end);
    if (list === undefined) buckets.set(end, (list = []));
    list.push(r);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([end, list]) => {
      const acc = new RowAccumulator(maxBuckets);
      for (const r of list) acc.add(r);
      return acc.finish(end, resolution);
    });
}
