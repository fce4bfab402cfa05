/**
 * Downsampling rows into tier rows: one row per bucket of `resolution` seconds. A bucket covers
 * (start, start + resolution] in epoch ms (a row's timestamp is the end of its window), and its
 * row carries the bucket's end as timestamp.
 *
 * How each field of a tier row is made from its rows:
 * - counts (requests, operations, errors): summed, exact;
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
import { levelRank, type AnomalyScores, type AnomalySeries, type MonitoringLevel } from '../../model/index.js';
import { DEFAULT_MAX_BUCKETS, histogramQuantile, mergeHistograms, type StoredHistogram } from './histogram.js';
import { statusRank, type MetricRow } from './rows.js';

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

function merge(rows: readonly MetricRow[], end: number, resolution: number, maxBuckets: number): MetricRow {
  const first = rows[0]!;
  let windowSeconds = 0;
  let requestCount = 0;
  let operationCount = 0;
  let errorCount = 0;
  let checksFailed = 0;
  let alertsFiring = 0;
  let rowCount = 0;
  let rtMax = 0;
  let eldMax: number | undefined;
  let status = first.status;
  let level: MonitoringLevel = first.level;
  const histograms: StoredHistogram[] = [];
  let plainAvgSum = 0;
  let plainCount = 0;
  const upper = { p50: 0, p95: 0, p99: 0 };
  const cpu = new Mean();
  const mem = { rss: new Mean(), heapUsed: new Mean(), heapLimit: new Mean(), limit: new Mean(), utilization: new Mean() };
  const connections = new Mean();
  const eld = { p50: new Mean(), p99: new Mean(), utilization: new Mean() };
  let anomaly: AnomalyScores | undefined;
  for (const r of rows) {
    const w = r.windowSeconds;
    windowSeconds += w;
    requestCount += r.requestCount;
    operationCount += r.operationCount;
    errorCount += r.errorCount;
    checksFailed = Math.max(checksFailed, r.checksFailed);
    alertsFiring = Math.max(alertsFiring, r.alertsFiring);
    rowCount += r.rows ?? 1;
    rtMax = Math.max(rtMax, r.responseTime.max);
    if (statusRank(r.status) > statusRank(status)) status = r.status;
    if (levelRank(r.level) > levelRank(level)) level = r.level;
    if (r.latency !== undefined) histograms.push(r.latency);
    else if (r.requestCount > 0) {
      plainAvgSum += r.responseTime.avg * r.requestCount;
      plainCount += r.requestCount;
    }
    if (r.requestCount > 0) {
      upper.p50 = Math.max(upper.p50, r.responseTime.p50);
      upper.p95 = Math.max(upper.p95, r.responseTime.p95);
      upper.p99 = Math.max(upper.p99, r.responseTime.p99);
    }
    cpu.add(r.cpu, w);
    mem.rss.add(r.memory?.rss, w);
    mem.heapUsed.add(r.memory?.heapUsed, w);
    mem.heapLimit.add(r.memory?.heapLimit, w);
    mem.limit.add(r.memory?.limit, w);
    mem.utilization.add(r.memory?.utilization, w);
    connections.add(r.connections, w);
    if (r.eventLoopDelay !== undefined) {
      eld.p50.add(r.eventLoopDelay.p50, w);
      eld.p99.add(r.eventLoopDelay.p99, w);
      eld.utilization.add(r.eventLoopDelay.utilization, w);
      eldMax = Math.max(eldMax ?? 0, r.eventLoopDelay.max);
    }
    if (r.anomaly !== undefined) {
      anomaly ??= {};
      for (const [series, score] of Object.entries(r.anomaly) as [AnomalySeries, number][]) {
        anomaly[series] = Math.max(anomaly[series] ?? -Infinity, score);
      }
    }
  }
  const latency = mergeHistograms(histograms, maxBuckets);
  let responseTime: MetricRow['responseTime'];
  if (latency !== undefined) {
    let histCount = latency.zeroCount;
    for (const c of latency.counts) histCount += c;
    const total = histCount + plainCount;
    responseTime = {
      avg: total > 0 ? (latency.sum + plainAvgSum) / total : 0,
      p50: histogramQuantile(latency, 0.5),
      p95: histogramQuantile(latency, 0.95),
      p99: histogramQuantile(latency, 0.99),
      max: rtMax,
    };
  } else {
    responseTime = { avg: plainCount > 0 ? plainAvgSum / plainCount : 0, ...upper, max: rtMax };
  }
  const row: MetricRow = {
    serviceId: first.serviceId,
    timestamp: end,
    windowSeconds,
    status,
    level,
    requestCount,
    operationCount,
    requestRate: windowSeconds > 0 ? requestCount / windowSeconds : 0,
    errorCount,
    errorRate: requestCount > 0 ? errorCount / requestCount : 0,
    responseTime,
    connections: connections.value ?? 0,
    checksFailed,
    alertsFiring,
    resolution,
    rows: rowCount,
  };
  if (cpu.value !== undefined) row.cpu = cpu.value;
  const memory = Object.fromEntries(
    Object.entries(mem)
      .map(([k, m]) => [k, m.value] as const)
      .filter(([, v]) => v !== undefined),
  );
  if (Object.keys(memory).length > 0) row.memory = memory;
  if (eldMax !== undefined) {
    row.eventLoopDelay = { p50: eld.p50.value ?? 0, p99: eld.p99.value ?? 0, max: eldMax };
    if (eld.utilization.value !== undefined) row.eventLoopDelay.utilization = eld.utilization.value;
  }
  if (anomaly !== undefined) row.anomaly = anomaly;
  if (latency !== undefined) row.latency = latency;
  return row;
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
    .map(([end, list]) => merge(list, end, resolution, maxBuckets));
}
