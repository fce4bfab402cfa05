/**
 * Host metrics (system CPU and memory) through @opentelemetry/host-metrics.
 *
 * Only the `system.*` groups: the `process.*` groups are left out because the runtime source
 * emits the process metrics itself. host-metrics' `process.cpu.utilization` keeps one module-wide
 * previous sample for every reader and divides by all host cores, which is wrong both with two
 * readers and inside a CPU-limited container.
 */
import {
  createNoopMeter,
  diag,
  type BatchObservableCallback,
  type Meter,
  type MeterProvider,
  type Observable,
} from '@opentelemetry/api';
import { HostMetrics } from '@opentelemetry/host-metrics';

/** host-metrics 0.38 group names (see its `_createMetrics`). */
// system.network is left out: host-metrics reads it through systeminformation, whose
// getDefaultNetworkInterface runs execSync (a shell, on the main thread) during collects,
// blocking the service's event loop; measured in a CPU profile under load.
export const HOST_METRIC_GROUPS: readonly string[] = Object.freeze([
  'system.cpu',
  'system.memory',
]);

export interface HostMetricsHandle {
  /**
   * False when host metrics reach nothing: starting them failed, or the MeterProvider handed
   * out the API's no-op meter (the global one when no SDK registered a provider).
   */
  readonly started: boolean;
  /** Stops reporting host metrics. Idempotent; never throws. */
  shutdown(): void;
}

interface Registration {
  readonly meter: Meter;
  readonly callback: BatchObservableCallback;
  readonly observables: Observable[];
}

/**
 * Starts host metrics on `meterProvider`. Never throws: a failure is logged through the OTel
 * diag logger and host metrics are then simply absent.
 *
 * HostMetrics has no stop of its own. It registers one batch observable callback on its meter,
 * so the meter handed to it records that registration, and `shutdown()` removes it; the
 * instruments then stay registered but report nothing.
 */
export function startHostMetrics(meterProvider: MeterProvider): HostMetricsHandle {
  const registrations: Registration[] = [];
  let started = false;
  try {
    // The API's no-op provider answers every getMeter with its one no-op meter.
    const noop = createNoopMeter();
    let real = false;
    const recording: MeterProvider = {
      getMeter: (name, version, options) => {
        const meter = meterProvider.getMeter(name, version, options);
        if (meter !== noop) real = true;
        return recordingMeter(meter, registrations);
      },
    };
    new HostMetrics({ meterProvider: recording, metricGroups: [...HOST_METRIC_GROUPS] }).start();
    started = real;
  } catch (error) {
    diag.warn('otel-health: host metrics not started', error);
  }
  return {
    started,
    shutdown() {
      for (const { meter, callback, observables } of registrations.splice(0)) {
        try {
          meter.removeBatchObservableCallback(callback, observables);
        } catch (error) {
          diag.debug('otel-health: removing a host metrics callback failed', error);
        }
      }
    },
  };
}

/** A Meter that delegates everything and remembers batch observable callbacks. */
function recordingMeter(meter: Meter, registrations: Registration[]): Meter {
  return {
    createGauge: (name, options) => meter.createGauge(name, options),
    createHistogram: (name, options) => meter.createHistogram(name, options),
    createCounter: (name, options) => meter.createCounter(name, options),
    createUpDownCounter: (name, options) => meter.createUpDownCounter(name, options),
    createObservableGauge: (name, options) => meter.createObservableGauge(name, options),
    createObservableCounter: (name, options) => meter.createObservableCounter(name, options),
    createObservableUpDownCounter: (name, options) =>
      meter.createObservableUpDownCounter(name, options),
    addBatchObservableCallback(callback, observables) {
      meter.addBatchObservableCallback(callback, observables);
      registrations.push({
        meter,
        callback: callback as BatchObservableCallback,
        observables: observables as Observable[],
      });
    },
    removeBatchObservableCallback: (callback, observables) =>
      meter.removeBatchObservableCallback(callback, observables),
  };
}
