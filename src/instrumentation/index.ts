import type { HttpInstrumentationOptions } from './http/http-instrumentation.js';
import { getStore } from './store.js';

export type { HttpInstrumentationOptions } from './http/http-instrumentation.js';
export * from './names.js';
export { DEFAULT_MAX_SIZE, ExponentialHistogram, lowerBoundary } from './aggregation/exponential-histogram.js';
export { DEFAULT_EVENT_LOOP_RESOLUTION_MS, startHostMetrics, type HostMetricsHandle } from './runtime/index.js';
export { HealthMetricProducer, type HealthMetricProducerOptions } from './producer.js';
export { setRoute } from './http/routes.js';
export { ignoreServer } from './http/server-classifier.js';
export { recordOperation, startOperation, measureOperation } from './manual.js';
export { otelHealthFastify } from './adapters/fastify.js';
export { expressMountRoute } from './adapters/express.js';

/**
 * Give the request and operation duration histograms a bucket boundary at each of these
 * seconds (latency objectives' thresholds), so a good event (duration ≤ threshold) is counted
 * exactly, in process and as Prometheus' `le` buckets. Process-wide, and kept: boundaries are
 * only ever added.
 */
export function addDurationBounds(seconds: readonly number[]): void {
  if (seconds.length === 0) return;
  const store = getStore();
  store.explicitBucketsWanted = true;
  store.http.duration.addBounds(seconds);
  store.operations.duration.addBounds(seconds);
}

/** A hold on the process-wide HTTP instrumentation; release it once. */
export interface InstrumentationHandle {
  release(): void;
}

/**
 * Subscribe to node's HTTP diagnostics channels (once per process, however many monitors or
 * builds ask) and apply the exclusion options. Unsubscribes when the last holder releases.
 */
export function acquireInstrumentation(options: HttpInstrumentationOptions = {}): InstrumentationHandle {
  const store = getStore();
  store.instrumentation.configure(options);
  store.instrumentation.enable();
  store.users++;
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      store.users--;
      if (store.users <= 0) {
        store.users = 0;
        store.instrumentation.disable();
      }
    },
  };
}
