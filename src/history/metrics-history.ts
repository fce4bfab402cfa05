/**
 * Bounded history of one service's HealthMetrics: a columnar ring buffer.
 *
 * Each numeric field is one typed array (timestamps Float64, everything else Float32: 7
 * significant digits, plenty for rates, seconds and byte counts; counts stay exact up to 16.7
 * million per window), status and level are one byte each. An absent value (no CPU sample) is
 * stored as NaN and read back as absent. Checks and alerts are not stored per row, only how many
 * failed and fired; the alert history keeps the alerts.
 *
 * Rows leave by age (older than `retention` seconds before the newest row, or before the `now`
 * given to `evict`) and by capacity (the oldest row makes room). Age is measured on the clock
 * given to `push` as `at` (the HealthMonitor gives its monotonic clock; default: the row's
 * timestamp), so a forward step of the wall clock does not evict a window of rows at once;
 * timestamps stay the wall clock's, and `query` filters on them. Capacity is
 * ceil(retention / checkInterval) + 1 (both ends of the retention window), capped at
 * `maxCapacity` (default 20 000 rows, about 2 MB): with very short intervals the cap, not the
 * retention, bounds the history. Arrays grow by doubling up to the capacity, so a young or
 * short-lived history stays small.
 *
 * Anomaly scores (the `anomaly` option) are one more Float32 column per series, allocated only
 * once a row carries scores (NaN: the series had no score in that check), so a history without
 * the option pays nothing for them.
 *
 * Service level objectives (the `slos` option) are kept the same way, reduced to what the status
 * page plots (`HistoryRow.sloBudgets`): two Float32 columns per objective, its error budget
 * remaining and the burn rate over its fastest alert's long window, allocated once a row carries
 * `slos` (an objective first seen later gets its columns then, NaN for the rows before). The
 * objectives' counts and alert windows are not kept per row: the evaluator keeps its own windows.
 *
 * Rows are expected in time order (one per check); a row older than the newest (the wall clock
 * stepped back) is still kept, and `query` filters by timestamp rather than assuming order.
 */
import { ANOMALY_SERIES, MonitoringLevel, type AnomalyScores, type HealthMetrics, type HealthStatus, type SloStatus } from '../model/index.js';

/** Default cap on rows per service. */
export const DEFAULT_MAX_CAPACITY = 20_000;
const INITIAL_ALLOCATION = 64;

/**
 * One objective's error budget in a history row: HealthMetrics.slos reduced to what a plot of
 * the budget over time needs (8 bytes a row per objective in memory).
 */
export interface SloBudgetSample {
  /** SloStatus.budgetRemaining after the check: 1 untouched, 0 spent, below 0 overspent. */
  budgetRemaining: number;
  /**
   * The burn rate over the fastest alert's long window after the check (`fast`: 1 h of a 30-day
   * objective); absent when that window held no event, or the objective has no alert on.
   */
  burnRate?: number;
}

/**
 * One stored check: HealthMetrics without checks and alerts, with their counts instead; without
 * `slos` and `sloEvents`, with each objective's budget instead (`sloBudgets`).
 */
export interface HistoryRow extends Omit<HealthMetrics, 'checks' | 'alerts' | 'slos' | 'sloEvents'> {
  /** Custom checks that failed in this check. */
  checksFailed: number;
  /** Alerts firing after this check. */
  alertsFiring: number;
  /**
   * Per service level objective (by name), its error budget after this check. Absent when the
   * check computed no objective (none configured for the service, and every row of the persisted
   * store's tiers: they keep no budget).
   */
  sloBudgets?: Record<string, SloBudgetSample>;
  /** A downsampled row of the persisted store (monitor.history with `resolution`): its bucket, seconds. */
  resolution?: number;
  /** A downsampled row: how many checks it was made of. */
  rows?: number;
}

export interface HistoryQuery {
  /** Only rows with timestamp ≥ since (epoch ms). */
  since?: number;
  /** Only rows with timestamp ≤ until (epoch ms). */
  until?: number;
  /** At most this many rows: the most recent ones. */
  limit?: number;
  /**
   * With the persisted store (`store` option): 'raw' the checks' own rows; a number of seconds a
   * tier's rows (5-minute, 1-hour by default, or rows downsampled to it); 'auto' (default) the
   * finest level that reaches back to `since`. Without the store, always the checks' own rows.
   */
  resolution?: 'auto' | 'raw' | number;
}

export interface MetricsHistoryOptions {
  /** Seconds of history kept (metricsRetention). */
  retention: number;
  /** Seconds between checks (checkInterval): sizes the buffer. */
  checkInterval: number;
  /** Cap on rows. Default 20 000. */
  maxCapacity?: number;
}

/** Rows needed for `retention` seconds of checks every `checkInterval` seconds, capped. */
export function historyCapacity(retention: number, checkInterval: number, maxCapacity = DEFAULT_MAX_CAPACITY): number {
  const needed = Math.ceil(retention / checkInterval - 1e-9) + 1;
  return Math.max(2, Math.min(Number.isFinite(needed) ? needed : maxCapacity, maxCapacity));
}

const STATUSES: readonly HealthStatus[] = ['healthy', 'degraded', 'unhealthy', 'unknown'];
const LEVELS: readonly MonitoringLevel[] = [
  MonitoringLevel.INFO,
  MonitoringLevel.WARNING,
  MonitoringLevel.ERROR,
  MonitoringLevel.CRITICAL,
];

/** Float32 columns, in storage order. */
const FIELDS = [
  'windowSeconds',
  'requestCount',
  'operationCount',
  'requestRate',
  'errorCount',
  'errorRate',
  'rtAvg',
  'rtP50',
  'rtP95',
  'rtP99',
  'rtMax',
  'cpu',
  'rss',
  'heapUsed',
  'heapLimit',
  'memoryLimit',
  'memoryUtilization',
  'connections',
  'eldP50',
  'eldP99',
  'eldMax',
  'elu',
  'checksFailed',
  'alertsFiring',
] as const;
type Field = (typeof FIELDS)[number];

function values(m: HealthMetrics | HistoryRow): Record<Field, number> {
  const opt = (v: number | undefined): number => (v === undefined ? NaN : v);
  return {
    windowSeconds: m.windowSeconds,
    requestCount: m.requestCount,
    operationCount: m.operationCount,
    requestRate: m.requestRate,
    errorCount: m.errorCount,
    errorRate: m.errorRate,
    rtAvg: m.responseTime.avg,
    rtP50: m.responseTime.p50,
    rtP95: m.responseTime.p95,
    rtP99: m.responseTime.p99,
    rtMax: m.responseTime.max,
    cpu: opt(m.cpu),
    rss: opt(m.memory?.rss),
    heapUsed: opt(m.memory?.heapUsed),
    heapLimit: opt(m.memory?.heapLimit),
    memoryLimit: opt(m.memory?.limit),
    memoryUtilization: opt(m.memory?.utilization),
    connections: m.connections,
    eldP50: opt(m.eventLoopDelay?.p50),
    eldP99: opt(m.eventLoopDelay?.p99),
    eldMax: opt(m.eventLoopDelay?.max),
    elu: opt(m.eventLoopDelay?.utilization),
    checksFailed: 'checks' in m ? m.checks.filter((c) => !c.ok).length : m.checksFailed,
    alertsFiring: 'alerts' in m ? m.alerts.length : m.alertsFiring,
  };
}

/** The burn rate a budget sample keeps: the fastest alert's (burnRates are fastest first) long window. */
function budgetSample(slo: SloStatus): SloBudgetSample {
  const burnRate = slo.burnRates[0]?.long;
  return burnRate === undefined ? { budgetRemaining: slo.budgetRemaining } : { budgetRemaining: slo.budgetRemaining, burnRate };
}

/** A row's budgets: HealthMetrics' `slos` reduced, or a HistoryRow's own (another history's rows). */
function sloBudgetsOf(m: HealthMetrics | HistoryRow): Record<string, SloBudgetSample> | undefined {
  if ('slos' in m && m.slos !== undefined) {
    return Object.fromEntries(Object.entries(m.slos).map(([name, slo]) => [name, budgetSample(slo)]));
  }
  return 'sloBudgets' in m ? m.sloBudgets : undefined;
}

/** An objective's two columns. */
interface SloColumns {
  budget: Float32Array;
  burnRate: Float32Array;
}

export class MetricsHistory {
  readonly capacity: number;
  private readonly retentionMs: number;
  private allocated = 0;
  private head = 0;
  private count = 0;
  private timestamps = new Float64Array(0);
  /** Each row's `at` (push): what its age is measured on. */
  private ages = new Float64Array(0);
  private status = new Uint8Array(0);
  private level = new Uint8Array(0);
  private columns = {} as Record<Field, Float32Array>;
  /** One column per ANOMALY_SERIES, once a row carried anomaly scores. */
  private anomalyColumns: Float32Array[] | undefined;
  /** Per objective (by name), once a row carried it. */
  private readonly sloColumns = new Map<string, SloColumns>();

  constructor(
    readonly serviceId: string,
    options: MetricsHistoryOptions,
  ) {
    if (!(options.retention > 0) || !(options.checkInterval > 0)) {
      throw new RangeError('retention and checkInterval must be > 0 seconds');
    }
    this.capacity = historyCapacity(options.retention, options.checkInterval, options.maxCapacity);
    this.retentionMs = options.retention * 1000;
    this.allocate(Math.min(INITIAL_ALLOCATION, this.capacity));
  }

  /** Rows held. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the typed arrays (as allocated so far). */
  byteSize(): number {
    let bytes = this.timestamps.byteLength + this.ages.byteLength + this.status.byteLength + this.level.byteLength;
    for (const f of FIELDS) bytes += this.columns[f].byteLength;
    for (const column of this.anomalyColumns ?? []) bytes += column.byteLength;
    for (const slo of this.sloColumns.values()) bytes += slo.budget.byteLength + slo.burnRate.byteLength;
    return bytes;
  }

  /** Bytes per row at full capacity, without anomaly scores and objectives (4 bytes more per series, 8 per objective). */
  static readonly BYTES_PER_ROW = 8 + 8 + 2 + FIELDS.length * 4;

  private allocate(rows: number): void {
    const timestamps = new Float64Array(rows);
    const ages = new Float64Array(rows);
    const status = new Uint8Array(rows);
    const level = new Uint8Array(rows);
    const columns = {} as Record<Field, Float32Array>;
    for (const f of FIELDS) columns[f] = new Float32Array(rows);
    const anomaly = this.anomalyColumns?.map(() => new Float32Array(rows).fill(NaN));
    const slos = [...this.sloColumns].map(([name, old]) => ({ name, old, budget: new Float32Array(rows).fill(NaN), burnRate: new Float32Array(rows).fill(NaN) }));
    // Copy the held rows in order, oldest at 0.
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.allocated;
      timestamps[i] = this.timestamps[from]!;
      ages[i] = this.ages[from]!;
      status[i] = this.status[from]!;
      level[i] = this.level[from]!;
      for (const f of FIELDS) columns[f][i] = this.columns[f][from]!;
      if (anomaly !== undefined) anomaly.forEach((column, k) => (column[i] = this.anomalyColumns![k]![from]!));
      for (const slo of slos) {
        slo.budget[i] = slo.old.budget[from]!;
        slo.burnRate[i] = slo.old.burnRate[from]!;
      }
    }
    this.anomalyColumns = anomaly;
    for (const { name, budget, burnRate } of slos) this.sloColumns.set(name, { budget, burnRate });
    this.timestamps = timestamps;
    this.ages = ages;
    this.status = status;
    this.level = level;
    this.columns = columns;
    this.allocated = rows;
    this.head = 0;
  }

  /**
   * Add a row. `at`: the row's time on the clock its age is measured on (ms; default its
   * timestamp). Give a monotonic clock, and the same one to `evict`.
   */
  push(metrics: HealthMetrics | HistoryRow, at: number = metrics.timestamp): void {
    this.evict(at);
    if (this.count === this.allocated) {
      if (this.allocated < this.capacity) {
        this.allocate(Math.min(this.capacity, this.allocated * 2));
      } else {
        this.head = (this.head + 1) % this.allocated;
        this.count--;
      }
    }
    const slot = (this.head + this.count) % this.allocated;
    this.timestamps[slot] = metrics.timestamp;
    this.ages[slot] = at;
    this.status[slot] = Math.max(0, STATUSES.indexOf(metrics.status));
    this.level[slot] = Math.max(0, LEVELS.indexOf(metrics.level));
    const v = values(metrics);
    for (const f of FIELDS) this.columns[f][slot] = v[f];
    if (metrics.anomaly !== undefined && this.anomalyColumns === undefined) {
      this.anomalyColumns = ANOMALY_SERIES.map(() => new Float32Array(this.allocated).fill(NaN));
    }
    if (this.anomalyColumns !== undefined) {
      const scores: AnomalyScores = metrics.anomaly ?? {};
      ANOMALY_SERIES.forEach((series, k) => (this.anomalyColumns![k]![slot] = scores[series] ?? NaN));
    }
    this.pushBudgets(slot, sloBudgetsOf(metrics));
    this.count++;
  }

  /** An objective's columns, allocated (NaN: not in those rows) the first time a row carries it. */
  private columnsOf(name: string): SloColumns {
    let columns = this.sloColumns.get(name);
    if (columns === undefined) {
      columns = { budget: new Float32Array(this.allocated).fill(NaN), burnRate: new Float32Array(this.allocated).fill(NaN) };
      this.sloColumns.set(name, columns);
    }
    return columns;
  }

  private pushBudgets(slot: number, budgets: Record<string, SloBudgetSample> | undefined): void {
    for (const columns of this.sloColumns.values()) {
      columns.budget[slot] = NaN;
      columns.burnRate[slot] = NaN;
    }
    for (const [name, sample] of Object.entries(budgets ?? {})) {
      const columns = this.columnsOf(name);
      columns.budget[slot] = sample.budgetRemaining;
      columns.burnRate[slot] = sample.burnRate ?? NaN;
    }
  }

  /** Drop rows older than `retention` before `now`, on the clock of push's `at` (default epoch ms). */
  evict(now: number): void {
    const cutoff = now - this.retentionMs;
    while (this.count > 0 && this.ages[this.head]! < cutoff) {
      this.head = (this.head + 1) % this.allocated;
      this.count--;
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private row(at: number): HistoryRow {
    const c = this.columns;
    const num = (f: Field): number => c[f][at]!;
    const opt = (f: Field): number | undefined => (Number.isNaN(c[f][at]!) ? undefined : c[f][at]!);
    const row: HistoryRow = {
      serviceId: this.serviceId,
      timestamp: this.timestamps[at]!,
      status: STATUSES[this.status[at]!]!,
      level: LEVELS[this.level[at]!]!,
      windowSeconds: num('windowSeconds'),
      requestCount: num('requestCount'),
      operationCount: num('operationCount'),
      requestRate: num('requestRate'),
      errorCount: num('errorCount'),
      errorRate: num('errorRate'),
      responseTime: { avg: num('rtAvg'), p50: num('rtP50'), p95: num('rtP95'), p99: num('rtP99'), max: num('rtMax') },
      connections: num('connections'),
      checksFailed: num('checksFailed'),
      alertsFiring: num('alertsFiring'),
    };
    const cpu = opt('cpu');
    if (cpu !== undefined) row.cpu = cpu;
    const memory = {
      rss: opt('rss'),
      heapUsed: opt('heapUsed'),
      heapLimit: opt('heapLimit'),
      limit: opt('memoryLimit'),
      utilization: opt('memoryUtilization'),
    };
    const memoryEntries = Object.entries(memory).filter(([, v]) => v !== undefined);
    if (memoryEntries.length > 0) row.memory = Object.fromEntries(memoryEntries);
    const eldP50 = opt('eldP50');
    const eldP99 = opt('eldP99');
    const eldMax = opt('eldMax');
    const elu = opt('elu');
    if (eldP50 !== undefined || eldP99 !== undefined || eldMax !== undefined || elu !== undefined) {
      row.eventLoopDelay = { p50: eldP50 ?? 0, p99: eldP99 ?? 0, max: eldMax ?? 0 };
      if (elu !== undefined) row.eventLoopDelay.utilization = elu;
    }
    if (this.anomalyColumns !== undefined) {
      const scores: AnomalyScores = {};
      ANOMALY_SERIES.forEach((series, k) => {
        const score = this.anomalyColumns![k]![at]!;
        if (!Number.isNaN(score)) scores[series] = score;
      });
      row.anomaly = scores;
    }
    const budgets: Record<string, SloBudgetSample> = {};
    for (const [name, columns] of this.sloColumns) {
      const budgetRemaining = columns.budget[at]!;
      if (Number.isNaN(budgetRemaining)) continue;
      const burnRate = columns.burnRate[at]!;
      budgets[name] = Number.isNaN(burnRate) ? { budgetRemaining } : { budgetRemaining, burnRate };
    }
    if (Object.keys(budgets).length > 0) row.sloBudgets = budgets;
    return row;
  }

  /** Rows, oldest first. */
  query(query: HistoryQuery = {}): HistoryRow[] {
    const since = query.since ?? -Infinity;
    const until = query.until ?? Infinity;
    const picked: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % this.allocated;
      const t = this.timestamps[at]!;
      if (t >= since && t <= until) picked.push(at);
    }
    const limit = query.limit;
    const from = limit !== undefined && limit >= 0 && limit < picked.length ? picked.length - limit : 0;
    return picked.slice(from).map((at) => this.row(at));
  }

  /** The newest row, if any. */
  latest(): HistoryRow | undefined {
    return this.count === 0 ? undefined : this.row((this.head + this.count - 1) % this.allocated);
  }
}

/** One MetricsHistory per service, created on first push. */
export class HealthHistory {
  private readonly services = new Map<string, MetricsHistory>();

  constructor(private readonly options: MetricsHistoryOptions) {}

  /** Add a row to its service's history; `at` as for MetricsHistory.push. */
  push(metrics: HealthMetrics | HistoryRow, at: number = metrics.timestamp): void {
    let history = this.services.get(metrics.serviceId);
    if (history === undefined) {
      history = new MetricsHistory(metrics.serviceId, this.options);
      this.services.set(metrics.serviceId, history);
    }
    history.push(metrics, at);
  }

  /** A service's rows, oldest first (none for an unknown service). */
  query(serviceId: string, query: HistoryQuery = {}): HistoryRow[] {
    return this.services.get(serviceId)?.query(query) ?? [];
  }

  latest(serviceId: string): HistoryRow | undefined {
    return this.services.get(serviceId)?.latest();
  }

  get(serviceId: string): MetricsHistory | undefined {
    return this.services.get(serviceId);
  }

  serviceIds(): string[] {
    return [...this.services.keys()];
  }

  evict(now: number): void {
    for (const h of this.services.values()) h.evict(now);
  }

  byteSize(): number {
    let bytes = 0;
    for (const h of this.services.values()) bytes += h.byteSize();
    return bytes;
  }
}
