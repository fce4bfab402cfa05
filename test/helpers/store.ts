/** Helpers for the store's tests and benchmark: rows, latency samples, temp dirs. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MonitoringLevel } from '../../src/model/index.js';
import { histogramOf, type MetricRow, type StoredHistogram } from '../../src/history/store/index.js';

export const START = Date.UTC(2026, 0, 1);

/** A deterministic PRNG (mulberry32). */
export { prng as rng } from '../../support/random.js';

/** `n` log-normal latencies (seconds) around `median`. */
export function latencies(random: () => number, n: number, median = 0.05, sigma = 0.8): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    out[i] = median * Math.exp(sigma * z);
  }
  return out;
}

function quantileOf(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A check's row over `values` (seconds), with its histogram. */
export function rowOf(timestamp: number, values: readonly number[], over: Partial<MetricRow> = {}): MetricRow {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const errors = Math.floor(n / 50);
  const latency: StoredHistogram = histogramOf(values);
  return {
    serviceId: 'checkout',
    timestamp,
    windowSeconds: 15,
    status: 'healthy',
    level: MonitoringLevel.INFO,
    requestCount: n,
    operationCount: 0,
    requestRate: n / 15,
    errorCount: errors,
    errorRate: n > 0 ? errors / n : 0,
    responseTime: {
      avg: n > 0 ? sorted.reduce((a, b) => a + b, 0) / n : 0,
      p50: quantileOf(sorted, 0.5),
      p95: quantileOf(sorted, 0.95),
      p99: quantileOf(sorted, 0.99),
      max: n > 0 ? sorted[n - 1]! : 0,
    },
    cpu: 0.25,
    memory: { rss: 180_000_000, heapUsed: 60_000_000, heapLimit: 4_345_298_944, utilization: 0.0138 },
    connections: 12,
    eventLoopDelay: { p50: 0.001, p99: 0.003, max: 0.005, utilization: 0.2 },
    checksFailed: 0,
    alertsFiring: 0,
    latency,
    ...over,
  };
}

/** A fresh temp dir, and its removal. */
export function tempDir(prefix = 'otel-health-store-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A store at `storePath` whose history of `serviceId` starts `daysAgo` days ago: one check without
 * requests that carries each objective's (empty) SLO events. A monitor started on it knows that
 * much of its objectives' windows, so its alert windows are not diluted as a young process's are
 * (evaluator/slo/slo-tracker.ts) and a few checks' errors can fire an SLO alert.
 */
export async function storeWithSloHistory(storePath: string, serviceId: string, objectives: readonly string[], daysAgo = 4): Promise<void> {
  const { HistoryStore } = await import('../../src/history/store/index.js');
  const store = await HistoryStore.open({ path: storePath, metricsRetention: 86_400 });
  store.appendRow({
    serviceId, timestamp: Date.now() - daysAgo * 86_400_000, windowSeconds: 15, status: 'unknown', level: MonitoringLevel.INFO,
    requestCount: 0, operationCount: 0, requestRate: 0, errorCount: 0, errorRate: 0,
    responseTime: { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 }, connections: 0, checksFailed: 0, alertsFiring: 0,
    sloEvents: Object.fromEntries(objectives.map((name) => [name, { good: 0, total: 0 }])),
  });
  await store.maintain(Date.now());
  await store.close();
}
