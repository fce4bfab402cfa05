import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import { MonitoringLevel, type AlertTransition } from '../../src/model/index.js';
import {
  HistoryStore,
  decodeRow,
  downsample,
  encodeRow,
  histogramCount,
  histogramOf,
  histogramQuantile,
  mergeHistograms,
  type MetricRow,
  type StoreReport,
} from '../../src/history/store/index.js';
import { crc32, crc32Table } from '../../src/history/store/format.js';
import { START, latencies, rng, rowOf, tempDir } from '../helpers/store.js';

const temp = tempDir();
after(() => temp.remove());
let seq = 0;
const file = (): string => path.join(temp.dir, `s${seq++}`, 'store.ohs');

const f32 = Math.fround;

function transition(at: number, over: Partial<AlertTransition> = {}): AlertTransition {
  return {
    kind: 'firing',
    at,
    alert: {
      rule: 'error_rate',
      level: MonitoringLevel.ERROR,
      state: 'firing',
      value: 0.23,
      threshold: 0.1,
      serviceId: 'checkout',
      fingerprint: 'abc123',
      startsAt: at,
      message: 'checkout: error rate 23% ≥ 10% for 30s',
    },
    ...over,
  };
}

/** Exact quantile by the same rank rule as histogramQuantile (rank q × n, the value at ceil). */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Relative width of one bucket at `scale`: the error bound of a quantile read from it. */
const bucketError = (scale: number): number => 2 ** (2 ** -scale) - 1;

describe('store: CRC-32', () => {
  it('the table implementation equals zlib.crc32 (the fallback for Node < 20.15)', () => {
    const data = Buffer.from('otel-health store record ✓'.repeat(37));
    const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
    assert.equal(crc32Table(data), native ? native(data) : crc32(data));
    assert.equal(crc32Table(data.subarray(10), crc32Table(data.subarray(0, 10))), crc32Table(data));
    assert.equal(crc32Table(Buffer.from('123456789')), 0xcbf43926);
  });
});

describe('store: rows encode and decode', () => {
  it('keeps every field (floats at f32), absent optionals stay absent, the histogram exact', () => {
    const values = latencies(rng(1), 500);
    const row = rowOf(START + 15_000, values, {
      status: 'degraded',
      level: MonitoringLevel.WARNING,
      operationCount: 7,
      checksFailed: 2,
      alertsFiring: 1,
      anomaly: { response_time: 0.97, cpu: 0.1 },
    });
    const back = decodeRow(encodeRow(row));
    assert.equal(back.serviceId, 'checkout');
    assert.equal(back.timestamp, row.timestamp);
    assert.equal(back.status, 'degraded');
    assert.equal(back.level, MonitoringLevel.WARNING);
    assert.equal(back.requestCount, 500);
    assert.equal(back.operationCount, 7);
    assert.equal(back.errorCount, row.errorCount);
    assert.equal(back.checksFailed, 2);
    assert.equal(back.alertsFiring, 1);
    assert.equal(back.requestRate, f32(row.requestRate));
    assert.deepEqual(back.responseTime, {
      avg: f32(row.responseTime.avg),
      p50: f32(row.responseTime.p50),
      p95: f32(row.responseTime.p95),
      p99: f32(row.responseTime.p99),
      max: f32(row.responseTime.max),
    });
    assert.equal(back.cpu, f32(0.25));
    assert.deepEqual(back.memory, { rss: 180_000_000, heapUsed: 60_000_000, heapLimit: 4_345_298_944, utilization: f32(0.0138) });
    assert.deepEqual(back.eventLoopDelay, { p50: f32(0.001), p99: f32(0.003), max: f32(0.005), utilization: f32(0.2) });
    assert.deepEqual(back.anomaly, { response_time: f32(0.97), cpu: f32(0.1) });
    assert.deepEqual(back.latency!.counts, row.latency!.counts);
    assert.equal(back.latency!.scale, row.latency!.scale);
    assert.equal(back.latency!.offset, row.latency!.offset);
    assert.equal(back.latency!.sum, row.latency!.sum);
    assert.equal(back.resolution, undefined);
  });

  it('an empty window without optional numbers', () => {
    const row: MetricRow = {
      serviceId: 'idle',
      timestamp: START,
      windowSeconds: 15,
      status: 'unknown',
      level: MonitoringLevel.INFO,
      requestCount: 0,
      operationCount: 0,
      requestRate: 0,
      errorCount: 0,
      errorRate: 0,
      responseTime: { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 },
      connections: 0,
      checksFailed: 0,
      alertsFiring: 0,
    };
    assert.deepEqual(decodeRow(encodeRow(row)), row);
  });

  it('counts stay exact beyond Float32 (a year of requests in one row)', () => {
    const row = rowOf(START, [0.01], { requestCount: 123_456_789_012, errorCount: 98_765_432_109 });
    const back = decodeRow(encodeRow(row));
    assert.equal(back.requestCount, 123_456_789_012);
    assert.equal(back.errorCount, 98_765_432_109);
  });
});

describe('store: histograms', () => {
  it('merged histograms give the percentiles of the concatenated data, within one bucket', () => {
    const random = rng(7);
    const parts = [
      latencies(random, 2000, 0.02, 0.5),
      latencies(random, 300, 0.3, 0.3), // a slow patch
      latencies(random, 5000, 0.05, 1.0),
      [0, 0, 0], // zero-length requests
    ];
    // Different scales on purpose: a narrow part stays fine, a wide one is coarse.
    const hs = parts.map((p, i) => histogramOf(p, [160, 40, 80, 160][i]));
    assert.ok(new Set(hs.map((h) => h.scale)).size > 1, 'the parts have different scales');
    const merged = mergeHistograms(hs)!;
    const all = parts.flat();
    assert.equal(histogramCount(merged), all.length);
    assert.equal(merged.zeroCount, 3);
    const withBuckets = hs.filter((h) => h.counts.length > 0);
    assert.ok(merged.scale <= Math.min(...withBuckets.map((h) => h.scale)), 'at the coarsest scale of the parts');
    const error = bucketError(merged.scale);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = exactQuantile(all, q);
      const got = histogramQuantile(merged, q);
      assert.ok(Math.abs(got - exact) / exact <= error, `q${q}: ${got} vs exact ${exact} (bucket error ${(error * 100).toFixed(1)} %)`);
    }
    assert.equal(merged.min, 0);
    assert.equal(merged.max, Math.max(...all));
  });

  it('merging is independent of order, and the bucket cap is kept', () => {
    const random = rng(3);
    const hs = [0.001, 0.01, 0.1, 1, 10].map((m) => histogramOf(latencies(random, 400, m, 0.3)));
    const a = mergeHistograms(hs, 64)!;
    const b = mergeHistograms([...hs].reverse(), 64)!;
    assert.deepEqual(a.counts, b.counts);
    assert.equal(a.scale, b.scale);
    assert.ok(a.counts.length <= 64);
    assert.equal(histogramCount(a), 2000);
  });
});

describe('store: downsample', () => {
  it('counts exact, rates from counts over summed seconds, percentiles from merged histograms, max of maxima, resources as means', () => {
    const random = rng(11);
    const rows: MetricRow[] = [];
    const all: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const values = latencies(random, 50 + 10 * i, 0.05 * (1 + i / 10));
      all.push(...values);
      rows.push(
        rowOf(START + i * 15_000, values, {
          windowSeconds: i === 7 ? 30 : 15,
          errorCount: i,
          cpu: i / 100,
          connections: i,
          status: i === 9 ? 'unhealthy' : 'healthy',
          level: i === 9 ? MonitoringLevel.ERROR : MonitoringLevel.INFO,
          alertsFiring: i === 9 ? 2 : 0,
          anomaly: { response_time: i / 40 },
        }),
      );
    }
    const [tier, ...rest] = downsample(rows, 300);
    assert.equal(rest.length, 0, 'one 5-minute bucket (START is a multiple of 300 s, rows in (START, START + 300 s])');
    const t = tier!;
    assert.equal(t.timestamp, START + 300_000);
    assert.equal(t.resolution, 300);
    assert.equal(t.rows, 20);
    const requests = rows.reduce((a, r) => a + r.requestCount, 0);
    const seconds = rows.reduce((a, r) => a + r.windowSeconds, 0);
    assert.equal(t.requestCount, requests);
    assert.equal(t.errorCount, 210);
    assert.equal(t.windowSeconds, seconds);
    assert.equal(t.requestRate, requests / seconds);
    assert.equal(t.errorRate, 210 / requests);
    assert.equal(t.responseTime.max, Math.max(...all));
    assert.ok(Math.abs(t.responseTime.avg - all.reduce((a, b) => a + b, 0) / all.length) < 1e-12);
    const error = bucketError(t.latency!.scale);
    for (const [q, key] of [[0.5, 'p50'], [0.95, 'p95'], [0.99, 'p99']] as const) {
      const exact = exactQuantile(all, q);
      assert.ok(Math.abs(t.responseTime[key] - exact) / exact <= error, `${key} ${t.responseTime[key]} vs ${exact}`);
    }
    // Averaging the rows' p95 would not give this: the tier reads the merged distribution.
    const cpuMean = rows.reduce((a, r) => a + r.cpu! * r.windowSeconds, 0) / seconds;
    assert.ok(Math.abs(t.cpu! - cpuMean) < 1e-12);
    assert.equal(t.status, 'unhealthy');
    assert.equal(t.level, MonitoringLevel.ERROR);
    assert.equal(t.alertsFiring, 2);
    assert.equal(t.anomaly!.response_time, 0.5);
  });

  it('an hour from 5-minute rows equals an hour from the raw rows (counts exact, percentiles within a bucket)', () => {
    const random = rng(5);
    const raw: MetricRow[] = [];
    for (let i = 1; i <= 240; i++) raw.push(rowOf(START + i * 15_000, latencies(random, 100, 0.04 + (i % 7) / 100)));
    const direct = downsample(raw, 3600, 64)[0]!;
    const viaTier = downsample(downsample(raw, 300, 64), 3600, 64)[0]!;
    assert.equal(viaTier.requestCount, direct.requestCount);
    assert.equal(viaTier.errorCount, direct.errorCount);
    assert.equal(viaTier.rows, 240);
    assert.deepEqual(viaTier.latency!.counts, direct.latency!.counts);
    assert.equal(viaTier.responseTime.p99, direct.responseTime.p99);
  });
});

describe('store: round trip through a file', () => {
  it('rows, transitions, state puts and deletes survive close and open', async () => {
    const p = file();
    let now = START + 60_000;
    const reports: StoreReport[] = [];
    const a = await HistoryStore.open({ path: p, now: () => now, onReport: (r) => reports.push(r) });
    assert.equal(a.persistent, true);
    const random = rng(2);
    const rows = [1, 2, 3].map((i) => rowOf(START + i * 15_000, latencies(random, 40)));
    rows.forEach((r) => a.appendRow(r));
    a.appendRow(rowOf(START + 15_000, [0.1], { serviceId: 'payments' }));
    a.appendTransition(transition(START + 30_000));
    a.appendTransition(transition(START + 45_000, { kind: 'resolved' }));
    a.put('firing:abc123', { startsAt: START + 30_000, level: 'ERROR' });
    a.put('silence:1', { matchers: { service: 'checkout' }, until: START + 3_600_000 });
    a.put('silence:2', { until: 1 });
    a.delete('silence:2');
    a.put('firing:abc123', { startsAt: START + 30_000, level: 'CRITICAL' }); // the last value wins
    await a.close();

    now = START + 120_000;
    const b = await HistoryStore.open({ path: p, now: () => now, onReport: (r) => reports.push(r) });
    assert.deepEqual(reports, []);
    const back = b.query('checkout', { resolution: 'raw' });
    assert.equal(back.length, 3);
    assert.deepEqual(
      back.map((r) => r.requestCount),
      rows.map((r) => r.requestCount),
    );
    assert.deepEqual(back[2]!.latency!.counts, rows[2]!.latency!.counts);
    assert.deepEqual(b.serviceIds().sort(), ['checkout', 'payments']);
    assert.deepEqual(b.transitions(), [transition(START + 30_000), transition(START + 45_000, { kind: 'resolved' })]);
    assert.deepEqual(b.get('firing:abc123'), { startsAt: START + 30_000, level: 'CRITICAL' });
    assert.equal(b.get('silence:2'), undefined);
    assert.deepEqual(b.keys('silence:'), ['silence:1']);
    assert.equal(b.stats().loadedRecords, 11);
    await b.close();
  });

  it('a put equal to the current value writes nothing', async () => {
    const a = await HistoryStore.open({ path: file(), onReport: () => undefined });
    a.put('k', { a: 1 });
    a.put('k', { a: 1 });
    await a.flush();
    assert.equal(a.stats().appended, 1);
    await a.close();
  });

  it('the file starts with the OTHSTORE magic and format version 1', async () => {
    const p = file();
    const a = await HistoryStore.open({ path: p, onReport: () => undefined });
    await a.close();
    const head = readFileSync(p).subarray(0, 12);
    assert.equal(head.subarray(0, 8).toString('latin1'), 'OTHSTORE');
    assert.equal(head.readUInt32LE(8), 1);
  });
});

describe('store: tiers, retention, query', () => {
  it('raw rows for 24 h, then 5-minute and 1-hour rows; query picks the tier; a reopen keeps them', async () => {
    const p = file();
    let now = START;
    const store = await HistoryStore.open({ path: p, now: () => now, onReport: () => undefined });
    const random = rng(9);
    const days = 3;
    const all: number[] = [];
    let requests = 0;
    for (let i = 1; i <= (days * 86_400) / 60; i++) {
      now = START + i * 60_000;
      const values = latencies(random, 20);
      all.push(...values);
      requests += 20;
      store.appendRow(rowOf(now, values, { windowSeconds: 60 }));
      await store.maintain(now);
    }
    await store.flush();
    const stats = store.stats();
    // Raw rows: 24 h (plus the ones not yet in a closed 5-minute bucket).
    assert.ok(stats.rows[0]! >= 1440 && stats.rows[0]! <= 1446, `raw rows ${stats.rows[0]}`);
    // 5-minute rows for all 3 days but the last open buckets; 1-hour rows likewise.
    assert.ok(stats.rows[300]! >= 863 && stats.rows[300]! <= 864, `5-min rows ${stats.rows[300]}`);
    assert.ok(stats.rows[3600]! >= 71 && stats.rows[3600]! <= 72, `1-h rows ${stats.rows[3600]}`);

    const day = 86_400_000;
    assert.equal(store.query('checkout', { since: now - day / 2 })[0]!.resolution, undefined, 'raw within 24 h');
    const week = store.query('checkout', { since: now - 7 * day });
    assert.ok(week.every((r) => r.resolution === 300));
    const year = store.query('checkout', { since: now - 365 * day });
    assert.ok(year.every((r) => r.resolution === 3600));
    // The 1-hour query covers the whole range, the current hour included: counts exact.
    assert.equal(
      year.reduce((a, r) => a + r.requestCount, 0),
      requests,
    );
    assert.equal(
      week.reduce((a, r) => a + r.requestCount, 0),
      requests,
    );
    // Percentiles of the whole range from the hour rows' merged histograms.
    const merged = mergeHistograms(year.map((r) => r.latency!))!;
    const exact = exactQuantile(all, 0.95);
    assert.ok(Math.abs(histogramQuantile(merged, 0.95) - exact) / exact <= bucketError(merged.scale));
    // Any other resolution: downsampled from the finest level that holds the range.
    const quarter = store.query('checkout', { since: now - 6 * 3_600_000, resolution: 900 });
    assert.ok(quarter.length >= 24 && quarter.length <= 25 && quarter.every((r) => r.resolution === 900));
    await store.close();

    const again = await HistoryStore.open({ path: p, now: () => now, onReport: () => undefined });
    assert.deepEqual(again.stats().rows, store.stats().rows);
    assert.equal(
      again.query('checkout', { since: now - 365 * day }).reduce((a, r) => a + r.requestCount, 0),
      requests,
    );
    await again.close();
  });

  it('rows past retention leave at load, and a compaction drops them from the file', async () => {
    const p = file();
    let now = START;
    const store = await HistoryStore.open({ path: p, now: () => now, metricsRetention: 600, tiers: [{ resolution: 300, retention: 1800 }], onReport: () => undefined });
    for (let i = 1; i <= 120; i++) {
      now = START + i * 15_000;
      store.appendRow(rowOf(now, [0.01, 0.02]));
      await store.maintain(now);
    }
    await store.close();
    const before = statSync(p).size;
    now += 3_600_000; // an hour later: everything is past retention
    const again = await HistoryStore.open({ path: p, now: () => now, metricsRetention: 600, tiers: [{ resolution: 300, retention: 1800 }], onReport: () => undefined });
    assert.deepEqual(again.stats().rows, { 0: 0, 300: 0 });
    await again.flush();
    await again.close();
    assert.ok(statSync(p).size < before / 10, `compacted at open: ${statSync(p).size} < ${before}`);
  });

  it('compaction keeps every live record, and appends made during it land in the new file', async () => {
    const p = file();
    let now = START;
    const store = await HistoryStore.open({ path: p, now: () => now, onReport: () => undefined });
    for (let i = 1; i <= 50; i++) {
      now = START + i * 15_000;
      store.appendRow(rowOf(now, [0.01 * i]));
    }
    store.put('a', 1);
    store.appendTransition(transition(now));
    const compaction = store.compact(now);
    now += 15_000;
    store.appendRow(rowOf(now, [0.5])); // during the compaction
    store.put('b', 2);
    await compaction;
    await store.close();
    assert.equal(store.stats().compactions, 1);
    const again = await HistoryStore.open({ path: p, now: () => now, onReport: () => undefined });
    assert.equal(again.query('checkout', { resolution: 'raw' }).length, 51);
    assert.equal(again.get('a'), 1);
    assert.equal(again.get('b'), 2);
    assert.equal(again.transitions().length, 1);
    await again.close();
  });

  it('alert transitions are capped by count', async () => {
    const store = await HistoryStore.open({ path: file(), maxTransitions: 5, now: () => START + 100_000, onReport: () => undefined });
    for (let i = 0; i < 8; i++) store.appendTransition(transition(START + i));
    await store.maintain(START + 100_000);
    assert.deepEqual(
      store.transitions().map((t) => t.at - START),
      [3, 4, 5, 6, 7],
    );
    await store.close();
  });
});
