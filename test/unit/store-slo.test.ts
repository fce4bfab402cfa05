/**
 * The persisted store keeps each check's service level objective events (issue 15): their
 * encoding (rows without them unchanged), exact sums into tiers, a reopen, and
 * `sloEventsSince`, what the evaluator rebuilds an error budget from.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { MonitoringLevel, type SloEvents } from '../../src/model/index.js';
import {
  HistoryStore,
  bucketEnd,
  decodeRow,
  downsample,
  encodeRow,
  sloEventsSince,
  type MetricRow,
  type SloEventCounts,
} from '../../src/history/store/index.js';
import { START, latencies, rng, rowOf, tempDir } from '../helpers/store.js';

const temp = tempDir();
after(() => temp.remove());
let seq = 0;
const file = (): string => path.join(temp.dir, `s${seq++}`, 'store.ohs');
const quiet = { onReport: (): void => undefined };

/** A row as the format stood before SLO events (commit ed3648e), and its encoding then. */
const PINNED_ROW: MetricRow = {
  serviceId: 'checkout',
  timestamp: Date.UTC(2026, 0, 1, 0, 0, 15),
  windowSeconds: 15,
  status: 'degraded',
  level: MonitoringLevel.WARNING,
  requestCount: 300,
  operationCount: 2,
  requestRate: 20,
  errorCount: 3,
  errorRate: 0.01,
  responseTime: { avg: 0.05, p50: 0.04, p95: 0.2, p99: 0.5, max: 0.75 },
  connections: 4,
  cpu: 0.25,
  memory: { rss: 1.5e8 },
  checksFailed: 1,
  alertsFiring: 0,
  anomaly: { cpu: 0.5 },
  latency: { scale: 3, zeroCount: 1, offset: -40, counts: [5, 0, 290, 4], sum: 15, min: 0.001, max: 0.75 },
};
const PINNED_HEX =
  '0100008029ae6db7794208636865636b6f757405ac0202030100ff8f8062000070410000a0410ad7233ccdcc4c3d0ad7233dcdcc4c3e0000003f0000403f0000' +
  '80400000803e180d0f4d0000003f06014f040500a202040000000000002e406f12833a0000403f';
const PINNED_TIER_HEX =
  '01ac02008029ae6db7794208636865636b6f757405ac0202030100ff8f808001000070410000a0410ad7233ccdcc4c3d0ad7233dcdcc4c3e0000003f0000403f0000' +
  '80400000803e180d0f4d14';
const pinnedTier = (): MetricRow => ({ ...PINNED_ROW, resolution: 300, rows: 20, latency: undefined, anomaly: undefined });

/** Sums of events per name over rows. */
function totals(list: ReadonlyArray<SloEventCounts | undefined>): Record<string, SloEvents> {
  const sums: Record<string, SloEvents> = {};
  for (const events of list) {
    for (const [name, { good, total }] of Object.entries(events ?? {})) {
      const sum = (sums[name] ??= { good: 0, total: 0 });
      sum.good += good;
      sum.total += total;
    }
  }
  return sums;
}

/** A check's row with SLO events derived from its requests: availability (not errors) and latency (≤ 100 ms). */
function checkRow(timestamp: number, random: () => number, windowSeconds: number, serviceId = 'checkout'): MetricRow {
  const values = latencies(random, 5 + Math.floor(random() * 40));
  const row = rowOf(timestamp, values, { windowSeconds, serviceId });
  row.sloEvents = {
    availability: { good: row.requestCount - row.errorCount, total: row.requestCount },
    'latency-100ms': { good: values.filter((v) => v <= 0.1).length, total: row.requestCount },
  };
  return row;
}

describe('store: SLO events in a row', () => {
  it('a row without them is byte for byte the format before them, and reads back without', () => {
    assert.equal(encodeRow(PINNED_ROW).toString('hex'), PINNED_HEX);
    assert.equal(encodeRow(pinnedTier()).toString('hex'), PINNED_TIER_HEX);
    const back = decodeRow(Buffer.from(PINNED_HEX, 'hex'));
    assert.equal('sloEvents' in back, false);
    assert.equal(back.requestCount, 300);
    assert.deepEqual(back.latency!.counts, PINNED_ROW.latency!.counts);
    assert.equal('sloEvents' in decodeRow(Buffer.from(PINNED_TIER_HEX, 'hex')), false);
  });

  it('round trip: exact counts at any size, after a tier row count, the rest of the row unchanged', () => {
    const events: SloEventCounts = {
      availability: { good: 2_999_997, total: 3_000_000 },
      latency: { good: 0, total: 0 },
      huge: { good: Number.MAX_SAFE_INTEGER - 1, total: Number.MAX_SAFE_INTEGER },
    };
    const withEvents = { ...PINNED_ROW, sloEvents: events };
    const payload = encodeRow(withEvents);
    const old = Buffer.from(PINNED_HEX, 'hex');
    const back = decodeRow(payload);
    assert.deepEqual(back.sloEvents, events);
    assert.deepEqual(Object.keys(back.sloEvents!), Object.keys(events), 'order kept');
    const { sloEvents: _, ...rest } = back;
    assert.deepEqual(rest, decodeRow(old));
    const tier = decodeRow(encodeRow({ ...pinnedTier(), sloEvents: events }));
    assert.equal(tier.rows, 20);
    assert.equal(tier.resolution, 300);
    assert.deepEqual(tier.sloEvents, events);
  });

  it('an empty record reads back empty (objectives applied, none counted), not absent', () => {
    const back = decodeRow(encodeRow({ ...PINNED_ROW, sloEvents: {} }));
    assert.deepEqual(back.sloEvents, {});
  });

  it('names with non-ASCII characters, and __proto__ as a plain name', () => {
    const events: SloEventCounts = Object.fromEntries([
      ['disponibilité', { good: 9, total: 10 }],
      ['レイテンシ 300ms', { good: 7, total: 10 }],
      ['checkout ✓ 🚀', { good: 1, total: 2 }],
      ['', { good: 3, total: 3 }],
      ['__proto__', { good: 4, total: 5 }],
    ]) as SloEventCounts;
    const back = decodeRow(encodeRow({ ...PINNED_ROW, sloEvents: events }));
    assert.deepEqual(Object.entries(back.sloEvents!), Object.entries(events));
    assert.equal(Object.getPrototypeOf(back.sloEvents), Object.prototype, '__proto__ stayed a key');
    assert.deepEqual(Object.getOwnPropertyDescriptor(back.sloEvents, '__proto__')?.value, { good: 4, total: 5 });
  });

  it('many objectives: 2 000 of them in one row', () => {
    const events: SloEventCounts = {};
    for (let i = 0; i < 2000; i++) events[`objective-${i}`] = { good: i * 1000, total: i * 1000 + i };
    const payload = encodeRow({ ...PINNED_ROW, sloEvents: events });
    assert.ok(payload.length < 64 * 1024, `${payload.length} bytes`);
    assert.deepEqual(decodeRow(payload).sloEvents, events);
  });

  it('what is not a count is made one: never throws, never writes what would not read back', () => {
    const odd = {
      negative: { good: -5, total: -1 },
      fractional: { good: 2.4, total: 2.6 },
      nan: { good: Number.NaN, total: 10 },
      infinite: { good: 1, total: Number.POSITIVE_INFINITY },
      moreGoodThanAll: { good: 12, total: 10 },
      beyondSafe: { good: 1e300, total: 1e300 },
      missing: { total: 4 },
      aString: { good: '3', total: '4' },
      notAnObject: 7,
      nothing: null,
    } as unknown as SloEventCounts;
    const back = decodeRow(encodeRow({ ...PINNED_ROW, sloEvents: odd }));
    assert.deepEqual(back.sloEvents, {
      negative: { good: 0, total: 0 },
      fractional: { good: 2, total: 3 },
      nan: { good: 0, total: 10 },
      infinite: { good: 0, total: 0 },
      moreGoodThanAll: { good: 10, total: 10 },
      beyondSafe: { good: Number.MAX_SAFE_INTEGER, total: Number.MAX_SAFE_INTEGER },
      missing: { good: 0, total: 4 },
      aString: { good: 0, total: 0 },
    });
  });

  it('a damaged count of entries is refused as a short record (the store skips such a row), not allocated', () => {
    const payload = encodeRow({ ...PINNED_ROW, sloEvents: { a: { good: 1, total: 1 } } });
    const countAt = payload.length - 5; // then: name length, 'a', good, total
    assert.equal(payload[countAt], 1);
    const damaged = Buffer.concat([payload.subarray(0, countAt), Buffer.from([0xff, 0xff, 0xff, 0x7f]), payload.subarray(countAt + 1)]);
    assert.throws(() => decodeRow(damaged), RangeError);
    assert.throws(() => decodeRow(payload.subarray(0, payload.length - 1)), RangeError);
  });

  it('the objectives state after a check (slos) is not stored', () => {
    const slos = { availability: { name: 'availability', budgetRemaining: 0.5 } };
    const row = { ...PINNED_ROW, sloEvents: { availability: { good: 1, total: 2 } }, slos } as MetricRow;
    const back = decodeRow(encodeRow(row));
    assert.equal('slos' in back, false);
    assert.deepEqual(encodeRow(row), encodeRow({ ...PINNED_ROW, sloEvents: { availability: { good: 1, total: 2 } } }));
  });
});

describe('store: SLO events in tiers', () => {
  it('a day of 15 s rows of two objectives: each tier row sums its rows exactly, per name', () => {
    const random = rng(15);
    const rows: MetricRow[] = [];
    for (let i = 1; i <= 5760; i++) rows.push(checkRow(START + i * 15_000, random, 15));
    const fiveMinutes = downsample(rows, 300);
    const hours = downsample(rows, 3600);
    assert.equal(fiveMinutes.length, 288);
    assert.equal(hours.length, 24);
    for (const tierRow of fiveMinutes) {
      const mine = rows.filter((r) => r.timestamp > tierRow.timestamp - 300_000 && r.timestamp <= tierRow.timestamp);
      assert.deepEqual(tierRow.sloEvents, totals(mine.map((r) => r.sloEvents)));
    }
    const day = totals(rows.map((r) => r.sloEvents));
    assert.deepEqual(totals(fiveMinutes.map((r) => r.sloEvents)), day);
    assert.deepEqual(totals(hours.map((r) => r.sloEvents)), day);
    // An hour from 5-minute rows equals an hour from the checks' rows.
    assert.deepEqual(
      downsample(fiveMinutes, 3600).map((r) => r.sloEvents),
      hours.map((r) => r.sloEvents),
    );
    // And the same after the tier rows went through the encoding.
    assert.deepEqual(totals(fiveMinutes.map((r) => decodeRow(encodeRow(r)).sloEvents)), day);
  });

  it('a bucket without any events has none; one with some rows without them sums the others; objectives that come and go', () => {
    const plain = (t: number): MetricRow => rowOf(t, [0.01]);
    assert.equal('sloEvents' in downsample([plain(START + 15_000), plain(START + 30_000)], 300)[0]!, false);
    const mixed = downsample(
      [
        plain(START + 15_000),
        { ...plain(START + 30_000), sloEvents: { a: { good: 1, total: 2 } } },
        { ...plain(START + 45_000), sloEvents: { a: { good: 3, total: 3 }, b: { good: 0, total: 5 } } },
        { ...plain(START + 60_000), sloEvents: {} },
        { ...plain(START + 75_000), sloEvents: { a: { good: Number.NaN, total: -1 } } },
      ],
      300,
    );
    assert.deepEqual(mixed[0]!.sloEvents, { a: { good: 4, total: 5 }, b: { good: 0, total: 5 } });
  });
});

describe('store: SLO events kept across restarts', () => {
  it('raw and tier rows carry them, a reopen reads them back, and sloEventsSince counts every check once', async () => {
    const p = file();
    let now = START;
    // Shorter retentions than the defaults, so two days reach all three levels: raw 6 h, 5 minutes 1 day, 1 hour.
    const options = { path: p, now: () => now, metricsRetention: 6 * 3600, tiers: [{ resolution: 300, retention: 86_400 }, { resolution: 3600, retention: 400 * 86_400 }], ...quiet };
    const store = await HistoryStore.open(options);
    const random = rng(16);
    const appended: MetricRow[] = [];
    // 45 s checks: the raw rows' retention cut falls inside a 5-minute bucket, not on its edge.
    for (let i = 1; i <= (2 * 86_400) / 45; i++) {
      now = START + i * 45_000;
      const row = checkRow(now, random, 45);
      appended.push(row);
      store.appendRow(row);
      await store.maintain(now);
    }
    await store.flush();
    const all = totals(appended.map((r) => r.sloEvents));

    // query at each level returns the events; the tiers' totals are exact (open buckets included).
    assert.deepEqual(totals(store.query('checkout', { since: START, resolution: 3600 }).map((r) => r.sloEvents)), all);
    const raw = store.query('checkout', { resolution: 'raw' });
    assert.ok(raw.length > 0 && raw.every((r) => r.sloEvents !== undefined));
    assert.deepEqual(raw.at(-1)!.sloEvents, appended.at(-1)!.sloEvents);
    const fiveMinutes = store.query('checkout', { since: now - 86_400_000 + 3_600_000, resolution: 300 });
    assert.ok(fiveMinutes.every((r) => r.resolution === 300 && r.sloEvents !== undefined));

    const check = (s: HistoryStore, label: string): void => {
      const since = START;
      const rebuilt = sloEventsSince(s, 'checkout', since);
      assert.deepEqual(totals(rebuilt.map((r) => r.events)), all, `${label}: every check once`);
      // All three levels, coarsest first, and no two rows' spans overlap.
      const resolutions = [...new Set(rebuilt.map((r) => r.resolution))];
      assert.deepEqual(resolutions, [3600, 300, 0], label);
      for (let i = 1; i < rebuilt.length; i++) {
        const start = rebuilt[i]!.resolution > 0 ? rebuilt[i]!.timestamp - rebuilt[i]!.resolution * 1000 : rebuilt[i]!.timestamp - rebuilt[i]!.windowSeconds * 1000;
        assert.ok(start >= rebuilt[i - 1]!.timestamp, `${label}: row ${i} starts at or after the previous one's end`);
      }
      // The raw part is every check's own row still held.
      const rawPart = rebuilt.filter((r) => r.resolution === 0);
      const held = s.query('checkout', { resolution: 'raw' });
      assert.ok(rawPart.length > 0 && rawPart.length <= held.length, `${label}: raw rows where they reach`);
      // Where the raw rows begin mid-bucket (their oldest left at retention), that bucket is its 5-minute row.
      const firstRaw = rebuilt.indexOf(rawPart[0]!);
      const junction = bucketEnd(held[0]!.timestamp, 300);
      assert.equal(rebuilt[firstRaw - 1]!.resolution, 300);
      if (rawPart[0]!.timestamp !== held[0]!.timestamp) {
        assert.equal(rebuilt[firstRaw - 1]!.timestamp, junction, `${label}: the partial bucket from its tier row`);
        assert.deepEqual(rawPart[0], rebuilt.find((r) => r.resolution === 0 && r.timestamp > junction));
        assert.equal(rawPart[0]!.timestamp, held.find((r) => r.timestamp > junction)!.timestamp);
      }
      // A later `since`: only rows ending at or after it; within the raw rows' reach, exactly the checks after it.
      const recent = now - 3_600_000;
      assert.deepEqual(
        totals(sloEventsSince(s, 'checkout', recent).map((r) => r.events)),
        totals(appended.filter((r) => r.timestamp >= recent).map((r) => r.sloEvents)),
      );
    };
    check(store, 'live');
    await store.close();

    const again = await HistoryStore.open(options);
    assert.deepEqual(again.stats().rows, store.stats().rows);
    assert.deepEqual(again.query('checkout', { resolution: 'raw' }), raw);
    check(again, 'reopened');
    await again.close();
  });

  it('the first hours: raw rows only, and a service without events gives nothing', async () => {
    let now = START;
    const store = await HistoryStore.open({ path: file(), now: () => now, ...quiet });
    const random = rng(17);
    const appended: MetricRow[] = [];
    for (let i = 1; i <= 240; i++) {
      now = START + i * 15_000;
      const row = checkRow(now, random, 15);
      appended.push(row);
      store.appendRow(row);
      store.appendRow(rowOf(now, [0.02], { serviceId: 'plain' }));
      await store.maintain(now);
    }
    const rebuilt = sloEventsSince(store, 'checkout', now - 30 * 86_400_000);
    assert.equal(rebuilt.length, 240);
    assert.ok(rebuilt.every((r) => r.resolution === 0 && r.windowSeconds === 15));
    assert.deepEqual(
      rebuilt.map((r) => r.events),
      appended.map((r) => r.sloEvents),
    );
    assert.deepEqual(sloEventsSince(store, 'plain', 0), []);
    assert.deepEqual(sloEventsSince(store, 'nobody', 0), []);
    await store.close();
  });

  it('checks made before any objective applied (or by an older version) are left out; tiers sum the checks that had them', async () => {
    let now = START;
    const store = await HistoryStore.open({ path: file(), now: () => now, ...quiet });
    const random = rng(18);
    const counted: MetricRow[] = [];
    for (let i = 1; i <= 480; i++) {
      now = START + i * 15_000;
      // The first hour and a half without objectives; then two (a restart with a new configuration).
      const row = i <= 350 ? rowOf(now, [0.01, 0.02]) : checkRow(now, random, 15);
      if (i > 350) counted.push(row);
      store.appendRow(row);
      await store.maintain(now);
    }
    const all = totals(counted.map((r) => r.sloEvents));
    const rebuilt = sloEventsSince(store, 'checkout', START);
    assert.deepEqual(totals(rebuilt.map((r) => r.events)), all);
    assert.ok(rebuilt[0]!.timestamp >= counted[0]!.timestamp);
    const tiers = store.query('checkout', { since: START, resolution: 300 });
    assert.equal(tiers.filter((r) => r.sloEvents === undefined).length, Math.floor((350 * 15) / 300), 'buckets of checks without objectives have none');
    assert.deepEqual(totals(tiers.map((r) => r.sloEvents)), all);
    await store.close();
  });
});
