import { HttpServerMetrics } from './http/http-server-metrics.js';
import { HttpInstrumentation } from './http/http-instrumentation.js';
import { OperationMetrics } from './operations.js';
import type { Instrument, Series } from './aggregation/instrument.js';

/** Default cap on distinct attribute sets per instrument (the SDK's default cardinality limit). */
export const DEFAULT_MAX_SERIES = 2000;

/**
 * Receives each series' window of recordings when the store drains: one per MetricProducer
 * (and so per MetricReader), so readers with different cadences and temporalities each get
 * every recording exactly once.
 */
export interface DrainTarget {
  accept(instrument: Instrument, series: Series): void;
}

/**
 * The one process-wide home of the hot-path state. Kept on globalThis under a registry symbol
 * so that the ESM and CommonJS builds, loaded in one process, share it: otherwise each would
 * subscribe to the channels and every request would count twice.
 */
export interface Store {
  readonly version: 1;
  readonly http: HttpServerMetrics;
  readonly operations: OperationMetrics;
  readonly instrumentation: HttpInstrumentation;
  readonly targets: Set<DrainTarget>;
  /** How many running monitors hold the instrumentation enabled. */
  users: number;
  /**
   * A latency objective asked for exact counts at its threshold (addDurationBounds): producers
   * with `explicitBucketsAlongside` hand out explicit buckets only then. Absent: never asked.
   */
  explicitBucketsWanted?: boolean;
}

const STORE_KEY = Symbol.for('otel-health.store');

export function getStore(): Store {
  const holder = globalThis as unknown as { [STORE_KEY]?: Store };
  let store = holder[STORE_KEY];
  if (store === undefined) {
    const http = new HttpServerMetrics(DEFAULT_MAX_SERIES);
    store = {
      version: 1,
      http,
      operations: new OperationMetrics(DEFAULT_MAX_SERIES),
      instrumentation: new HttpInstrumentation(http),
      targets: new Set(),
      users: 0,
    };
    holder[STORE_KEY] = store;
  }
  return store;
}

export function allInstruments(store: Store): Instrument[] {
  return [...store.http.instruments, store.operations.duration];
}

/**
 * Hand every series' recordings since the last drain to every registered target, then start a
 * new window. Runs on a reader's collect, never on the request path.
 */
export function drain(store: Store): void {
  for (const instrument of allInstruments(store)) {
    for (const series of instrument.series) {
      if (!series.touched) continue;
      series.flush();
      for (const target of store.targets) target.accept(instrument, series);
      series.total += series.value;
      series.resetWindow();
    }
  }
}
