/**
 * Synthetic check rows for the store's size and cost benchmark (bench/store/run.ts) and tests:
 * one service checked every `interval` seconds, a diurnal request rate, log-normal latencies.
 * Histograms start from a pool built from real samples (one per hour of the day and variant),
 * and every row's bucket counts are then varied by Poisson-like noise (± √count), so a year of
 * rows costs seconds to make, every row's histogram has the size a real check's would have, and
 * no two rows repeat (repeated rows would flatter the compression).
 */
import { histogramOf, type MetricRow, type StoredHistogram } from '../../src/history/store/index.js';
import { MonitoringLevel } from '../../src/model/index.js';
import { latencies, rng } from './store.js';

export interface SynthOptions {
  serviceId?: string;
  /** Seconds between checks. Default 15. */
  interval?: number;
  /** Mean requests per second at the daily peak. Default 100. */
  peakRate?: number;
  seed?: number;
}

export class RowSynth {
  private readonly random: () => number;
  private readonly pool: { latency: StoredHistogram; n: number; sorted: number[] }[] = [];
  readonly interval: number;
  private readonly serviceId: string;

  constructor(options: SynthOptions = {}) {
    this.random = rng(options.seed ?? 42);
    this.interval = options.interval ?? 15;
    this.serviceId = options.serviceId ?? 'checkout';
    const peak = options.peakRate ?? 100;
    // 24 load levels (one per hour of the day) × 4 variants.
    for (let hour = 0; hour < 24; hour++) {
      const load = 0.2 + 0.8 * (0.5 - 0.5 * Math.cos(((hour - 3) / 24) * 2 * Math.PI));
      for (let v = 0; v < 4; v++) {
        const n = Math.max(1, Math.round(peak * load * this.interval * (0.9 + 0.2 * this.random())));
        const values = latencies(this.random, n, 0.04 + 0.03 * load, 0.7 + 0.2 * this.random());
        this.pool.push({ latency: histogramOf(values), n, sorted: values.sort((a, b) => a - b) });
      }
    }
  }

  private gaussian(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /** The check row at `timestamp`. */
  row(timestamp: number): MetricRow {
    const hour = new Date(timestamp).getUTCHours();
    const entry = this.pool[hour * 4 + Math.floor(this.random() * 4)]!;
    const { sorted } = entry;
    const counts = entry.latency.counts.map((c) => Math.max(0, Math.round(c + Math.sqrt(c) * this.gaussian())));
    const n = Math.max(1, counts.reduce((a, b) => a + b, entry.latency.zeroCount));
    const latency: StoredHistogram = { ...entry.latency, counts, sum: (entry.latency.sum * n) / entry.n };
    const errors = Math.round(n * 0.01 * this.random() * 2);
    const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
    const r = this.random;
    return {
      serviceId: this.serviceId,
      timestamp,
      windowSeconds: this.interval,
      status: 'healthy',
      level: MonitoringLevel.INFO,
      requestCount: n,
      operationCount: 0,
      requestRate: n / this.interval,
      errorCount: errors,
      errorRate: errors / n,
      responseTime: { avg: latency.sum / n, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: sorted[sorted.length - 1]! },
      cpu: 0.1 + 0.3 * r(),
      memory: { rss: 150e6 + 50e6 * r(), heapUsed: 50e6 + 20e6 * r(), heapLimit: 4_345_298_944, utilization: 0.012 + 0.005 * r() },
      connections: Math.round(5 + 20 * r()),
      eventLoopDelay: { p50: 0.0005 * r(), p99: 0.002 + 0.003 * r(), max: 0.005 + 0.01 * r(), utilization: 0.1 + 0.3 * r() },
      checksFailed: 0,
      alertsFiring: 0,
      latency,
    };
  }
}
