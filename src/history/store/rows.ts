/**
 * A stored metric row and its binary encoding.
 *
 * `MetricRow` is the in-memory history's `HistoryRow` (HealthMetrics without checks and alerts,
 * with their counts), plus the window's latency histogram and the row's resolution: 0 for a
 * check's own row, else the tier's bucket length in seconds.
 *
 * Encoding (payload of a `Row` record, after its kind byte): resolution (uvarint, seconds),
 * timestamp (f64, epoch ms), service (uvarint length + UTF-8), status and level (one byte),
 * the counts as uvarints (exact at any size), a presence mask (uvarint) over the float fields
 * then each present one as f32 (7 significant digits, as the in-memory history keeps them; an
 * absent optional value costs nothing), and the histogram when the mask says so: scale
 * (zigzag), zero count, offset (zigzag), bucket count, the bucket counts (uvarints), sum (f64),
 * min and max (f32). A check's row with a 120-bucket histogram is about 260 bytes.
 * Then, each when the mask says so: the tier row's row count (uvarint), and the service level
 * objectives' events: their number, then per objective its name (uvarint length + UTF-8), good
 * and total (uvarints, exact at any size). Both come after everything older rows hold, so a row
 * without them is byte for byte what earlier versions wrote, and their rows read back without.
 */
import { ANOMALY_SERIES, MonitoringLevel, type AnomalyScores, type HealthMetrics, type HealthStatus } from '../../model/index.js';
import { RecordKind, Reader, Writer } from './format.js';
import type { StoredHistogram } from './histogram.js';
import { eventCount, sloEntriesOf, sloEventsFrom } from './slo-counts.js';

/**
 * One stored row: a check's (resolution 0) or a tier's (resolution: its bucket in seconds).
 * `sloEvents` is kept (a tier row: summed per objective); `slos`, the objectives' state after the
 * check, is not: the evaluator derives it again from the events.
 */
export interface MetricRow extends Omit<HealthMetrics, 'checks' | 'alerts' | 'slos'> {
  /** Custom checks that failed in this check (a tier row: the most in any of its checks). */
  checksFailed: number;
  /** Alerts firing after this check (a tier row: the most after any of its checks). */
  alertsFiring: number;
  /** 0: a check's own row; else the tier's resolution in seconds. Absent reads as 0. */
  resolution?: number;
  /** The window's latency histogram (seconds), what tiers merge their percentiles from. */
  latency?: StoredHistogram;
  /** A tier row: how many rows it was made of. */
  rows?: number;
}

const STATUSES: readonly HealthStatus[] = ['healthy', 'degraded', 'unhealthy', 'unknown'];
const LEVELS: readonly MonitoringLevel[] = [MonitoringLevel.INFO, MonitoringLevel.WARNING, MonitoringLevel.ERROR, MonitoringLevel.CRITICAL];

export function statusRank(s: HealthStatus): number {
  // worst last: unknown < healthy < degraded < unhealthy
  return s === 'unknown' ? 0 : s === 'healthy' ? 1 : s === 'degraded' ? 2 : 3;
}

/** Float fields in mask order (bit i). */
const FLOATS = [
  'windowSeconds',
  'requestRate',
  'errorRate',
  'rtAvg',
  'rtP50',
  'rtP95',
  'rtP99',
  'rtMax',
  'connections',
  'cpu',
  'rss',
  'heapUsed',
  'heapLimit',
  'memoryLimit',
  'memoryUtilization',
  'eldP50',
  'eldP99',
  'eldMax',
  'elu',
  ...ANOMALY_SERIES.map((s) => `anomaly:${s}` as const),
] as const;
type FloatField = (typeof FLOATS)[number];
const HISTOGRAM_BIT = FLOATS.length;
const ANOMALY_BIT = FLOATS.indexOf(`anomaly:${ANOMALY_SERIES[0]}`);
/** A row carried an (empty) anomaly object: kept so it reads back as `{}`. */
const ANOMALY_PRESENT_BIT = FLOATS.length + 1;
const ROWS_BIT = FLOATS.length + 2;
const SLO_EVENTS_BIT = FLOATS.length + 3;

function floatsOf(r: MetricRow): Partial<Record<FloatField, number>> {
  const f: Partial<Record<FloatField, number>> = {
    windowSeconds: r.windowSeconds,
    requestRate: r.requestRate,
    errorRate: r.errorRate,
    rtAvg: r.responseTime.avg,
    rtP50: r.responseTime.p50,
    rtP95: r.responseTime.p95,
    rtP99: r.responseTime.p99,
    rtMax: r.responseTime.max,
    connections: r.connections,
    cpu: r.cpu,
    rss: r.memory?.rss,
    heapUsed: r.memory?.heapUsed,
    heapLimit: r.memory?.heapLimit,
    memoryLimit: r.memory?.limit,
    memoryUtilization: r.memory?.utilization,
    eldP50: r.eventLoopDelay?.p50,
    eldP99: r.eventLoopDelay?.p99,
    eldMax: r.eventLoopDelay?.max,
    elu: r.eventLoopDelay?.utilization,
  };
  if (r.anomaly !== undefined) for (const s of ANOMALY_SERIES) f[`anomaly:${s}`] = r.anomaly[s];
  return f;
}

/** A count as stored: a whole number ≥ 0 and ≤ 2^53 − 1 (a larger varint would not read back). */
const count = eventCount;

/** The payload of a Row record (kind byte first). */
export function encodeRow(r: MetricRow): Buffer {
  const w = new Writer(r.latency ? 160 + r.latency.counts.length * 2 : 160);
  w.u8(RecordKind.Row);
  w.uvar(count(r.resolution ?? 0));
  w.f64(r.timestamp);
  w.str(r.serviceId);
  w.u8(Math.max(0, STATUSES.indexOf(r.status)) | (Math.max(0, LEVELS.indexOf(r.level)) << 2));
  w.uvar(count(r.requestCount));
  w.uvar(count(r.operationCount));
  w.uvar(count(r.errorCount));
  w.uvar(count(r.checksFailed));
  w.uvar(count(r.alertsFiring));
  const floats = floatsOf(r);
  let mask = 0;
  FLOATS.forEach((name, bit) => {
    const v = floats[name];
    if (v !== undefined && !Number.isNaN(v)) mask += 2 ** bit;
  });
  if (r.latency !== undefined) mask += 2 ** HISTOGRAM_BIT;
  if (r.anomaly !== undefined) mask += 2 ** ANOMALY_PRESENT_BIT;
  if (r.rows !== undefined) mask += 2 ** ROWS_BIT;
  if (r.sloEvents !== undefined) mask += 2 ** SLO_EVENTS_BIT;
  w.uvar(mask);
  FLOATS.forEach((name, bit) => {
    if (Math.floor(mask / 2 ** bit) % 2 === 1) w.f32(floats[name]!);
  });
  if (r.latency !== undefined) {
    const h = r.latency;
    w.svar(h.scale);
    w.uvar(count(h.zeroCount));
    w.svar(h.offset);
    w.uvar(h.counts.length);
    for (const c of h.counts) w.uvar(count(c));
    w.f64(h.sum);
    w.f32(h.min);
    w.f32(h.max);
  }
  if (r.rows !== undefined) w.uvar(count(r.rows));
  if (r.sloEvents !== undefined) {
    const entries = sloEntriesOf(r.sloEvents);
    w.uvar(entries.length);
    for (const [name, { good, total }] of entries) {
      w.str(name);
      w.uvar(good);
      w.uvar(total);
    }
  }
  return w.done();
}

/** Resolution, timestamp and service of a Row payload, without decoding the rest. */
export function peekRow(payload: Buffer): { resolution: number; timestamp: number; serviceId: string } {
  // The load path reads every row's head: plain reads, no Reader (one- and two-byte varints inline).
  let at = 1;
  let resolution = payload[at++]!;
  if (resolution >= 0x80) {
    const b = payload[at++]!;
    if (b >= 0x80) {
      const r = new Reader(payload, 1);
      return { resolution: r.uvar(), timestamp: r.f64(), serviceId: r.str() };
    }
    resolution = (resolution & 0x7f) + b * 0x80;
  }
  const timestamp = payload.readDoubleLE(at);
  at += 8;
  let length = payload[at++]!;
  if (length >= 0x80) {
    const r = new Reader(payload, at - 1);
    length = r.uvar();
    at = r.at;
  }
  if (at + length > payload.length) throw new RangeError('record ends early');
  return { resolution, timestamp, serviceId: serviceName(payload, at, length) };
}

// The last service name read, and its bytes: rows of one service follow each other at load, so
// most rows reuse the string instead of decoding a new one.
let lastName = '';
let lastBytes = Buffer.alloc(0);

function serviceName(payload: Buffer, at: number, length: number): string {
  if (length === lastBytes.length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (payload[at + i] !== lastBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastName;
  }
  lastBytes = Buffer.from(payload.subarray(at, at + length));
  lastName = lastBytes.toString('utf8');
  return lastName;
}

export function decodeRow(payload: Buffer): MetricRow {
  const r = new Reader(payload, 1);
  const resolution = r.uvar();
  const timestamp = r.f64();
  const serviceId = r.str();
  const sl = r.u8();
  const requestCount = r.uvar();
  const operationCount = r.uvar();
  const errorCount = r.uvar();
  const checksFailed = r.uvar();
  const alertsFiring = r.uvar();
  const mask = r.uvar();
  const has = (bit: number): boolean => Math.floor(mask / 2 ** bit) % 2 === 1;
  const f: Partial<Record<FloatField, number>> = {};
  FLOATS.forEach((name, bit) => {
    if (has(bit)) f[name] = r.f32();
  });
  const row: MetricRow = {
    serviceId,
    timestamp,
    windowSeconds: f.windowSeconds ?? 0,
    status: STATUSES[sl & 3]!,
    level: LEVELS[(sl >> 2) & 3]!,
    requestCount,
    operationCount,
    requestRate: f.requestRate ?? 0,
    errorCount,
    errorRate: f.errorRate ?? 0,
    responseTime: { avg: f.rtAvg ?? 0, p50: f.rtP50 ?? 0, p95: f.rtP95 ?? 0, p99: f.rtP99 ?? 0, max: f.rtMax ?? 0 },
    connections: f.connections ?? 0,
    checksFailed,
    alertsFiring,
  };
  if (resolution > 0) row.resolution = resolution;
  if (f.cpu !== undefined) row.cpu = f.cpu;
  const memory = { rss: f.rss, heapUsed: f.heapUsed, heapLimit: f.heapLimit, limit: f.memoryLimit, utilization: f.memoryUtilization };
  const memoryEntries = Object.entries(memory).filter(([, v]) => v !== undefined);
  if (memoryEntries.length > 0) row.memory = Object.fromEntries(memoryEntries);
  if (f.eldP50 !== undefined || f.eldP99 !== undefined || f.eldMax !== undefined || f.elu !== undefined) {
    row.eventLoopDelay = { p50: f.eldP50 ?? 0, p99: f.eldP99 ?? 0, max: f.eldMax ?? 0 };
    if (f.elu !== undefined) row.eventLoopDelay.utilization = f.elu;
  }
  if (has(ANOMALY_PRESENT_BIT)) {
    const scores: AnomalyScores = {};
    ANOMALY_SERIES.forEach((s, k) => {
      if (has(ANOMALY_BIT + k)) scores[s] = f[`anomaly:${s}`]!;
    });
    row.anomaly = scores;
  }
  if (has(HISTOGRAM_BIT)) {
    const scale = r.svar();
    const zeroCount = r.uvar();
    const offset = r.svar();
    const n = r.uvar();
    if (n > 1 << 16) throw new RangeError('histogram too large');
    const counts = new Array<number>(n);
    for (let i = 0; i < n; i++) counts[i] = r.uvar();
    const sum = r.f64();
    const min = r.f32();
    const max = r.f32();
    row.latency = { scale, zeroCount, offset, counts, sum, min, max };
  }
  if (has(ROWS_BIT)) row.rows = r.uvar();
  if (has(SLO_EVENTS_BIT)) {
    const n = r.uvar();
    // Each entry takes at least 3 bytes: a count beyond what is left is damage, not a row.
    if (n > r.remaining) throw new RangeError('record ends early');
    const entries = new Array<[string, { good: number; total: number }]>(n);
    for (let i = 0; i < n; i++) entries[i] = [r.str(), { good: r.uvar(), total: r.uvar() }];
    row.sloEvents = sloEventsFrom(entries);
  }
  return row;
}
