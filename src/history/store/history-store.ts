/**
 * HistoryStore: metric rows with retention tiers, alert transitions and keyed state, kept in
 * memory and persisted to one record log (record-log.ts).
 *
 * In memory the store holds each record's encoded payload (a few hundred bytes per row), not
 * decoded objects: a year of one service at the defaults is about the file's size inflated,
 * some 5 MB. Queries decode only the rows they return.
 *
 * - Rows: `appendRow` keeps a check's row (resolution 0). `maintain(now)` (once per check)
 *   downsamples every complete bucket into the tiers (raw → 5 min → 1 h by default; a bucket is
 *   complete `lateness` seconds after its end), appends the tier rows, and drops rows past their
 *   level's retention (never a row not yet downsampled into the next tier).
 * - Transitions: every AlertTransition, as JSON, kept for `alertRetention` (default 400 days)
 *   and at most `maxTransitions`.
 * - State: `put(key, value)` / `delete(key)`; the last value per key wins at load. A put equal
 *   to the key's current value writes nothing.
 * - Compaction: `maintain` rewrites the file with only the live records when the bytes
 *   appended since the last compaction exceed `compactRatio` (default 15 %) of the compacted
 *   file (and 256 KiB), or `compactInterval` (default 1 day) after the last one if anything was
 *   appended: so the file stays within about 1.15 × its live size, and rows past retention
 *   leave the disk within a day. At 15 s checks that is about one compaction a day.
 *
 * If the log is off (a fault, or another process owns the path), everything keeps working in
 * memory: `persistent` turns false and `stats()` counts what was not written.
 */
import { MonitoringLevel, type AlertTransition } from '../../model/index.js';
import { RecordKind, Reader, Writer, frame } from './format.js';
import { DEFAULT_MAX_BUCKETS } from './histogram.js';
import { RowAccumulator, bucketEnd, downsample } from './downsample.js';
import { RecordLog, type RecordLogStats, type StoreReport } from './record-log.js';
import { decodeRow, encodeRow, peekRow, type MetricRow } from './rows.js';

export interface TierOptions {
  /** Bucket length, seconds. */
  resolution: number;
  /** How long its rows are kept, seconds. */
  retention: number;
}

export const DEFAULT_TIERS: readonly TierOptions[] = [
  { resolution: 300, retention: 30 * 86_400 },
  { resolution: 3600, retention: 400 * 86_400 },
];

export interface HistoryStoreOptions {
  /** The store file. Its directory is created if missing; `<path>.lock` sits next to it. */
  path: string;
  /** Seconds a check's own rows are kept (metricsRetention). Default 86 400. */
  metricsRetention?: number;
  /** Downsampled tiers, finest first, each resolution a multiple of the previous. Default 5 min for 30 days, 1 h for 400 days. */
  tiers?: readonly TierOptions[];
  /** Seconds alert transitions are kept. Default 400 days. */
  alertRetention?: number;
  /** Alert transitions kept at most. Default 10 000. */
  maxTransitions?: number;
  /** Buckets a tier row's merged histogram keeps at most. Default 64 (scale 3 over a 250× range of latencies). */
  tierMaxBuckets?: number;
  /** Seconds after a bucket's end before it is downsampled (late rows). Default 60. */
  lateness?: number;
  /** Compact when the bytes appended since the last compaction exceed this share of the compacted file (and 256 KiB). Default 0.15. */
  compactRatio?: number;
  /** Seconds after which to compact anyway, if anything was appended. Default 86 400. */
  compactInterval?: number;
  /** Where warnings go (each kind once): a corrupt file moved aside, the store turned off, the path locked. Default process.emitWarning. */
  onReport?: (report: StoreReport) => void;
  /** Wall clock, ms. Default Date.now. */
  now?: () => number;
  /** A lock untouched this long (ms) is stale. Default 120 000. */
  lockStaleMs?: number;
}

export interface StoreQuery {
  /** Rows with timestamp ≥ since (epoch ms). */
  since?: number;
  /** Rows with timestamp ≤ until (epoch ms); a tier row is kept when its bucket overlaps. */
  until?: number;
  /**
   * 'raw' (or 0): the checks' own rows; a number of seconds: that tier, or rows downsampled to
   * it from the finest level that holds the range; 'auto' (default): the finest level whose
   * retention reaches back to `since` (raw when `since` is absent).
   */
  resolution?: 'auto' | 'raw' | number;
  /** At most this many rows: the newest. */
  limit?: number;
}

export interface HistoryStoreStats extends RecordLogStats {
  /** ms the open took (read, parse, repair). */
  loadMs: number;
  /** Records read at open. */
  loadedRecords: number;
  /** Records at open that could not be decoded (skipped). */
  skippedRecords: number;
  /** Rows held per resolution (0 = raw), all services. */
  rows: Record<number, number>;
  transitions: number;
  stateKeys: number;
}

interface Entry {
  t: number;
  payload: Buffer;
}

/** Index of the first entry with t > value. */
function upperBound(list: readonly Entry[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.t <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first entry with t ≥ value. */
function lowerBound(list: readonly Entry[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.t < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Insert keeping t order; `unique`: replace an entry of the same t. */
function insert(list: Entry[], entry: Entry, unique: boolean): void {
  const last = list[list.length - 1];
  if (last === undefined || entry.t > last.t) {
    list.push(entry);
    return;
  }
  if (unique) {
    const at = lowerBound(list, entry.t);
    if (list[at]?.t === entry.t) {
      list[at] = entry;
      return;
    }
  }
  list.splice(upperBound(list, entry.t), 0, entry);
}

function encodeTransition(t: AlertTransition): Buffer {
  const w = new Writer(512);
  w.u8(RecordKind.Transition);
  w.f64(t.at);
  w.bytes(Buffer.from(JSON.stringify(t)));
  return w.done();
}

function encodePut(key: string, json: string): Buffer {
  const w = new Writer(64 + json.length);
  w.u8(RecordKind.Put);
  w.str(key);
  w.bytes(Buffer.from(json));
  return w.done();
}

function encodeDelete(key: string): Buffer {
  const w = new Writer(32);
  w.u8(RecordKind.Delete);
  w.str(key);
  return w.done();
}

/**
 * Run a check's path once (encode, fold into a bucket, close it, decode) on a made-up row, so
 * its functions are compiled at open rather than in the first checks (lazy compilation of
 * each function costs 0.1–1 ms at its first call). Nothing is stored.
 */
function warmUp(maxBuckets: number): void {
  const row: MetricRow = {
    serviceId: 'warm-up',
    timestamp: 1,
    windowSeconds: 1,
    status: 'healthy',
    level: MonitoringLevel.INFO,
    requestCount: 3,
    operationCount: 0,
    requestRate: 3,
    errorCount: 0,
    errorRate: 0,
    responseTime: { avg: 0.02, p50: 0.02, p95: 0.03, p99: 0.03, max: 0.03 },
    cpu: 0.1,
    memory: { rss: 1e8, heapUsed: 1e7, heapLimit: 1e9, utilization: 0.01 },
    connections: 1,
    eventLoopDelay: { p50: 0.001, p99: 0.002, max: 0.003, utilization: 0.1 },
    checksFailed: 0,
    alertsFiring: 0,
    latency: { scale: 3, zeroCount: 0, offset: -45, counts: [1, 0, 2], sum: 0.06, min: 0.01, max: 0.03 },
  };
  const acc = new RowAccumulator(maxBuckets);
  acc.add(decodeRow(encodeRow(row)));
  acc.add(row);
  const tier = acc.finish(300_000, 300);
  decodeRow(encodeRow(tier));
  frame(encodeRow(tier));
  bucketEnd(row.timestamp, 300);
}

function defaultReport(report: StoreReport): void {
  if (report.level === 'warn') process.emitWarning(report.message, 'OtelHealthStoreWarning');
}

export class HistoryStore {
  /** Per service: one entry list per level (index 0 raw, then the tiers). */
  private readonly series = new Map<string, Entry[][]>();
  /** Per service: per level (index ≥ 1) the end of the last closed bucket (its rows may since have left). */
  private readonly closed = new Map<string, number[]>();
  /** Per service: per level (index ≥ 1) the open buckets, by bucket end. */
  private readonly open = new Map<string, Map<number, RowAccumulator>[]>();
  private transitionEntries: Entry[] = [];
  private readonly state = new Map<string, { json: string; payload: Buffer }>();
  private readonly levels: number[];
  private readonly retentionsMs: number[];
  readonly tierMaxBuckets: number;
  private readonly latenessMs: number;
  private readonly compactIntervalMs: number;
  private readonly compactRatio: number;
  private readonly alertRetentionMs: number;
  private readonly maxTransitions: number;
  private readonly now: () => number;
  private lastCompactionAt: number;
  private loadMs = 0;
  private loadedRecords = 0;
  private skippedRecords = 0;
  private log!: RecordLog;

  private constructor(readonly options: HistoryStoreOptions) {
    const tiers = options.tiers ?? DEFAULT_TIERS;
    let previous = 0;
    for (const t of tiers) {
      if (!(t.resolution > previous) || !(t.retention > 0)) throw new RangeError('tiers: resolutions must rise and retentions be > 0');
      previous = t.resolution;
    }
    this.levels = [0, ...tiers.map((t) => t.resolution)];
    this.retentionsMs = [(options.metricsRetention ?? 86_400) * 1000, ...tiers.map((t) => t.retention * 1000)];
    this.tierMaxBuckets = options.tierMaxBuckets ?? 64;
    this.latenessMs = (options.lateness ?? 60) * 1000;
    this.compactIntervalMs = (options.compactInterval ?? 86_400) * 1000;
    this.compactRatio = options.compactRatio ?? 0.15;
    this.alertRetentionMs = (options.alertRetention ?? 400 * 86_400) * 1000;
    this.maxTransitions = options.maxTransitions ?? 10_000;
    this.now = options.now ?? Date.now;
    this.lastCompactionAt = this.now();
  }

  /**
   * Open the store at `options.path`: read it (repairing a torn tail, moving a corrupt or foreign
   * file aside), bring the tiers up to date and drop what is past retention. Never rejects:
   * on any fault the store runs in memory only (`persistent` false), reported once.
   */
  static async open(options: HistoryStoreOptions): Promise<HistoryStore> {
    const store = new HistoryStore(options);
    const started = performance.now();
    const { log, payloads } = await RecordLog.open(options.path, {
      onReport: options.onReport ?? defaultReport,
      now: store.now,
      lockStaleMs: options.lockStaleMs,
    });
    store.log = log;
    for (const p of payloads) store.replay(p);
    store.loadedRecords = payloads.length;
    store.rebuildOpenBuckets();
    const garbage = store.maintainModel(store.now());
    warmUp(store.tierMaxBuckets);
    store.loadMs = performance.now() - started;
    // Rows evicted at load, or a repaired file: start from a compact file.
    if (store.log.on && garbage > 0) void store.compact();
    return store;
  }

  /** Persisting to disk (false: off after a fault, or the path is another process's). */
  get persistent(): boolean {
    return this.log.on;
  }

  get path(): string {
    return this.options.path;
  }

  private levelsOf(serviceId: string): Entry[][] {
    let lists = this.series.get(serviceId);
    if (lists === undefined) {
      lists = this.levels.map(() => []);
      this.series.set(serviceId, lists);
      this.closed.set(serviceId, this.levels.map(() => -Infinity));
    }
    return lists;
  }

  /** End of the last closed bucket of `level` (-Infinity: none yet; for level 0, +Infinity). */
  private closedUntil(serviceId: string, level: number): number {
    if (level <= 0) return Infinity;
    return this.closed.get(serviceId)?.[level] ?? -Infinity;
  }

  /** At open: the tiers' open buckets, from the rows after each tier's last bucket. */
  private rebuildOpenBuckets(): void {
    for (const [serviceId, lists] of this.series) {
      for (let level = 1; level < this.levels.length; level++) {
        const source = lists[level - 1]!;
        const lastEnd = this.closedUntil(serviceId, level);
        for (let i = upperBound(source, lastEnd); i < source.length; i++) {
          this.feed(serviceId, level, decodeRow(source[i]!.payload));
        }
      }
    }
  }

  private replay(payload: Buffer): void {
    try {
      switch (payload[0]) {
        case RecordKind.Row: {
          const { resolution, timestamp, serviceId } = peekRow(payload);
          const level = this.levels.indexOf(resolution);
          if (level < 0) return; // a tier no longer configured
          insert(this.levelsOf(serviceId)[level]!, { t: timestamp, payload }, level > 0);
          if (level > 0) {
            const closed = this.closed.get(serviceId)!;
            closed[level] = Math.max(closed[level]!, timestamp);
          }
          return;
        }
        case RecordKind.Transition:
          insert(this.transitionEntries, { t: payload.readDoubleLE(1), payload }, false);
          return;
        case RecordKind.Put: {
          const r = new Reader(payload, 1);
          const key = r.str();
          this.state.set(key, { json: r.rest().toString('utf8'), payload });
          return;
        }
        case RecordKind.Delete:
          this.state.delete(new Reader(payload, 1).str());
          return;
        default:
          this.skippedRecords++;
      }
    } catch {
      this.skippedRecords++;
    }
  }

  // ---- writing ----

  /** Keep a check's row (its resolution is taken as 0). One queued write; returns at once. */
  appendRow(row: MetricRow): void {
    const raw = row.resolution ? { ...row, resolution: 0 } : row;
    const payload = encodeRow(raw);
    const lists = this.levelsOf(row.serviceId);
    insert(lists[0]!, { t: row.timestamp, payload }, false);
    this.feed(row.serviceId, 1, raw);
    this.log.append(payload);
  }

  /** Fold a row of level `level - 1` into `level`'s open bucket (a row older than the level's last bucket is left out). */
  private feed(serviceId: string, level: number, row: MetricRow): void {
    if (level >= this.levels.length) return;
    if (row.timestamp <= this.closedUntil(serviceId, level)) return;
    let perLevel = this.open.get(serviceId);
    if (perLevel === undefined) {
      perLevel = this.levels.map(() => new Map<number, RowAccumulator>());
      this.open.set(serviceId, perLevel);
    }
    const end = bucketEnd(row.timestamp, this.levels[level]!);
    let acc = perLevel[level]!.get(end);
    if (acc === undefined) {
      acc = new RowAccumulator(this.tierMaxBuckets);
      perLevel[level]!.set(end, acc);
    }
    acc.add(row);
  }

  appendTransition(transition: AlertTransition): void {
    const payload = encodeTransition(transition);
    insert(this.transitionEntries, { t: transition.at, payload }, false);
    this.log.append(payload);
  }

  /** Keep `value` (anything JSON can hold) under `key`; the last value wins. */
  put(key: string, value: unknown): void {
    const json = JSON.stringify(value);
    if (json === undefined) return this.delete(key);
    if (this.state.get(key)?.json === json) return;
    const payload = encodePut(key, json);
    this.state.set(key, { json, payload });
    this.log.append(payload);
  }

  delete(key: string): void {
    if (!this.state.delete(key)) return;
    this.log.append(encodeDelete(key));
  }

  // ---- reading ----

  get<T = unknown>(key: string): T | undefined {
    const held = this.state.get(key);
    return held === undefined ? undefined : (JSON.parse(held.json) as T);
  }

  /** Keys held, optionally only those starting with `prefix`. */
  keys(prefix = ''): string[] {
    return [...this.state.keys()].filter((k) => k.startsWith(prefix));
  }

  serviceIds(): string[] {
    return [...this.series.keys()];
  }

  /** Alert transitions, oldest first. */
  transitions(query: { since?: number; until?: number; limit?: number } = {}): AlertTransition[] {
    const from = lowerBound(this.transitionEntries, query.since ?? -Infinity);
    const to = upperBound(this.transitionEntries, query.until ?? Infinity);
    let picked = this.transitionEntries.slice(from, to);
    if (query.limit !== undefined && query.limit >= 0 && picked.length > query.limit) picked = picked.slice(picked.length - query.limit);
    return picked.map((e) => JSON.parse(e.payload.toString('utf8', 9)) as AlertTransition);
  }

  /** The level (index into levels) a query reads. */
  private pickLevel(query: StoreQuery, now: number): { level: number; resample?: number } {
    const res = query.resolution ?? 'auto';
    if (res === 'raw' || res === 0) return { level: 0 };
    if (res === 'auto') {
      if (query.since === undefined) return { level: 0 };
      for (let level = 0; level < this.levels.length; level++) {
        if (now - this.retentionsMs[level]! <= query.since) return { level };
      }
      return { level: this.levels.length - 1 };
    }
    const exact = this.levels.indexOf(res);
    if (exact >= 0) return { level: exact };
    // The coarsest level finer than asked that still reaches back to since, then resampled.
    let level = 0;
    for (let l = 0; l < this.levels.length; l++) {
      if (this.levels[l]! <= res && (query.since === undefined || now - this.retentionsMs[l]! <= query.since || l === 0)) level = l;
    }
    return { level, resample: res };
  }

  /** Rows of `level` for `serviceId` overlapping [since, until]: stored ones, then the recent ones not yet downsampled. */
  private rowsAt(serviceId: string, lists: Entry[][], level: number, since: number, until: number): MetricRow[] {
    const list = lists[level]!;
    if (level === 0) {
      return list.slice(lowerBound(list, since), upperBound(list, until)).map((e) => decodeRow(e.payload));
    }
    const resMs = this.levels[level]! * 1000;
    const overlaps = (end: number): boolean => end >= since && end - resMs < until;
    const stored = list.slice(lowerBound(list, since), upperBound(list, until + resMs)).map((e) => e.payload);
    const rows = stored.map(decodeRow).filter((r) => overlaps(r.timestamp));
    const lastEnd = this.closedUntil(serviceId, level);
    if (until > lastEnd) {
      const source = this.rowsAt(serviceId, lists, level - 1, Math.max(since - resMs, lastEnd + 1), until).filter((r) => r.timestamp > lastEnd);
      for (const r of downsample(source, this.levels[level]!, this.tierMaxBuckets)) if (overlaps(r.timestamp)) rows.push(r);
    }
    return rows;
  }

  /** A service's rows, oldest first, at the resolution the query picks. */
  query(serviceId: string, query: StoreQuery = {}): MetricRow[] {
    const lists = this.series.get(serviceId);
    if (lists === undefined) return [];
    const since = query.since ?? -Infinity;
    const until = query.until ?? Infinity;
    const { level, resample } = this.pickLevel(query, this.now());
    let rows = this.rowsAt(serviceId, lists, level, since, until);
    if (resample !== undefined) rows = downsample(rows, resample, this.tierMaxBuckets);
    if (query.limit !== undefined && query.limit >= 0 && rows.length > query.limit) rows = rows.slice(rows.length - query.limit);
    return rows;
  }

  /**
   * A service's rows with timestamp ≥ `since`, oldest first, each stretch of time read from the
   * finest level that still holds all of it: the checks' own rows where they reach, before them
   * the 5-minute rows, before those the 1-hour rows (with the default tiers). Every check is in
   * exactly one row returned, so counts summed over them are exact: what `query` with one
   * resolution cannot give for a range that outlives the raw rows (it reads a single level, and a
   * tier row is that tier's whole bucket).
   *
   * Where two levels meet: the bucket holding the oldest finer row is read from the tier row when
   * some of its finer rows left at their retention (the tier row holds them all), else from the
   * finer rows; earlier buckets from the tier, later ones from the finer rows. Only closed tier
   * rows are read: what is not yet downsampled is in the finer rows.
   * The oldest row may be a tier row whose bucket began before `since` (its timestamp and
   * resolution say so). Resolutions must be multiples of each other (as `DEFAULT_TIERS`), so a
   * coarser bucket's end is a finer bucket's end.
   */
  finestRows(serviceId: string, since = -Infinity): MetricRow[] {
    const lists = this.series.get(serviceId);
    if (lists === undefined) return [];
    const parts: MetricRow[][] = [];
    // Rows of the level being read: timestamp in (handOff, upTo]; the next coarser level takes ≤ handOff.
    let upTo = Infinity;
    for (let level = 0; level < this.levels.length && upTo >= since; level++) {
      const handOff = Math.min(upTo, this.handOff(serviceId, lists, level + 1));
      const list = lists[level]!;
      const from = Math.max(lowerBound(list, since), upperBound(list, handOff));
      parts.push(list.slice(from, upperBound(list, upTo)).map((e) => decodeRow(e.payload)));
      upTo = handOff;
    }
    return parts.reverse().flat();
  }

  /**
   * Up to when (a bucket end, epoch ms) `finestRows` reads `level`'s rows rather than the finer
   * level's; -Infinity past the coarsest level. The finer rows leave at their retention oldest
   * first, so they hold every check after their oldest row; the bucket holding that row is read
   * from the finer rows only when they still hold all of its checks (its tier row's `rows`).
   */
  private handOff(serviceId: string, lists: Entry[][], level: number): number {
    if (level >= this.levels.length) return -Infinity;
    const finer = lists[level - 1]!;
    // No finer rows: the finer level never had any, or its open buckets would hold them.
    if (finer.length === 0) return Infinity;
    const end = bucketEnd(finer[0]!.t, this.levels[level]!);
    const start = end - this.levels[level]! * 1000;
    // An open bucket lost nothing: finer rows leave only once their bucket is closed.
    if (end > this.closedUntil(serviceId, level)) return start;
    const tier = lists[level]!;
    const tierEntry = tier[lowerBound(tier, end)];
    if (tierEntry?.t !== end) return start; // no tier row holds this bucket: the finer rows are all there is
    const tierChecks = decodeRow(tierEntry.payload).rows;
    let finerChecks = 0;
    for (let i = upperBound(finer, start); i < finer.length && finer[i]!.t <= end; i++) {
      finerChecks += level - 1 === 0 ? 1 : (decodeRow(finer[i]!.payload).rows ?? 1);
    }
    return tierChecks !== undefined && finerChecks >= tierChecks ? start : end;
  }

  // ---- upkeep ----

  /**
   * Downsample complete buckets into the tiers, drop what is past retention, and compact when
   * due. Call once per check with the check's wall-clock time. Cheap when nothing is due (a
   * binary search per service and level). The returned promise is the compaction, if one started.
   */
  maintain(now: number = this.now()): Promise<void> {
    this.maintainModel(now);
    const s = this.log.stats();
    const due =
      s.on &&
      !this.log.isCompacting &&
      ((now - this.lastCompactionAt >= this.compactIntervalMs && s.bytesSinceCompaction > 0) ||
        s.bytesSinceCompaction > Math.max(256 * 1024, s.bytesAtCompaction * this.compactRatio));
    return due ? this.compact(now) : Promise.resolve();
  }

  /** Tiering and eviction in memory (tier rows appended to the log). Returns how many entries were dropped. */
  private maintainModel(now: number): number {
    let dropped = 0;
    for (const [serviceId, lists] of this.series) {
      // Close the complete buckets, finest tier first, so a coarser tier takes the rows just made.
      const perLevel = this.open.get(serviceId);
      for (let level = 1; perLevel !== undefined && level < this.levels.length; level++) {
        const buckets = perLevel[level]!;
        if (buckets.size === 0) continue;
        const due = [...buckets.keys()].filter((end) => end + this.latenessMs <= now).sort((a, b) => a - b);
        for (const end of due) {
          const row = buckets.get(end)!.finish(end, this.levels[level]!);
          buckets.delete(end);
          const closed = this.closed.get(serviceId)!;
          closed[level] = Math.max(closed[level]!, end);
          const payload = encodeRow(row);
          insert(lists[level]!, { t: end, payload }, true);
          this.log.append(payload);
          this.feed(serviceId, level + 1, row);
        }
      }
      // Evict: past retention, and never a row not yet downsampled into the next level.
      for (let level = 0; level < this.levels.length; level++) {
        const list = lists[level]!;
        let cutoff = now - this.retentionsMs[level]!;
        if (level + 1 < this.levels.length) cutoff = Math.min(cutoff, this.closedUntil(serviceId, level + 1) + 1);
        const n = lowerBound(list, cutoff);
        if (n > 0) {
          list.splice(0, n);
          dropped += n;
        }
      }
    }
    const cutoff = now - this.alertRetentionMs;
    let n = lowerBound(this.transitionEntries, cutoff);
    n = Math.max(n, this.transitionEntries.length - this.maxTransitions);
    if (n > 0) {
      this.transitionEntries.splice(0, n);
      dropped += n;
    }
    return dropped;
  }

  /** Rewrite the file with only the live records. */
  compact(now: number = this.now()): Promise<void> {
    this.lastCompactionAt = now;
    return this.log.rewrite(() => {
      const payloads: Buffer[] = [];
      for (const { payload } of this.state.values()) payloads.push(payload);
      for (const e of this.transitionEntries) payloads.push(e.payload);
      for (const lists of this.series.values()) {
        for (let level = lists.length - 1; level >= 0; level--) for (const e of lists[level]!) payloads.push(e.payload);
      }
      return payloads;
    });
  }

  /** Resolves when everything appended so far is written. */
  flush(): Promise<void> {
    return this.log.flush();
  }

  /** Write what is queued, fsync, release the lock. The store keeps answering queries from memory. Never rejects. */
  close(): Promise<void> {
    return this.log.close();
  }

  stats(): HistoryStoreStats {
    const rows: Record<number, number> = {};
    this.levels.forEach((res, level) => {
      rows[res] = 0;
      for (const lists of this.series.values()) rows[res] += lists[level]!.length;
    });
    return {
      ...this.log.stats(),
      loadMs: this.loadMs,
      loadedRecords: this.loadedRecords,
      skippedRecords: this.skippedRecords,
      rows,
      transitions: this.transitionEntries.length,
      stateKeys: this.state.size,
    };
  }
}

export { DEFAULT_MAX_BUCKETS };
