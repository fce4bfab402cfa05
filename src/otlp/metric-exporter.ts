// The PushMetricExporter that hands every batch to the shared OTLP export worker
// (export-channel.ts, worker-host.ts).

import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import type { AggregationOption, AggregationTemporality, InstrumentType, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { WorkerExporterBase } from './exporter-base.js';
import { histogramAggregationFromEnv } from './histogram-aggregation.js';
import type { WorkerMetricExporterOptions } from './options.js';
import { toCloneable, wireResourceMetrics } from './serialize.js';

/** The delegate of the stock exporter's base class, which WorkerMetricExporter uses only for its selectors: it never sends. */
type Delegate = ConstructorParameters<typeof OTLPMetricExporterBase>[0];
const NEVER_SENDS: Delegate = {
  export: (_items, resultCallback) =>
    resultCallback({ code: ExportResultCode.FAILED, error: new Error('otel-health: selector-only exporter') }),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
  setMetrics: () => undefined,
};

/**
 * OTLP metric exporter whose serialization and sending run in a worker thread, through the
 * stock `OTLPMetricExporter` of the chosen protocol (`protocol` option, else
 * `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`:
 * exporter-metrics-otlp-proto, -http (`http/json`) or -grpc). Use it like the stock exporter, e.g. with a
 * `PeriodicExportingMetricReader`.
 *
 * The shared worker is unref()'d, so a pending export() does not keep the process alive by
 * itself (the SDK's readers and processors hold their own export timers while they wait);
 * forceFlush() and shutdown() do, for at most `shutdownTimeoutMillis`.
 *
 * A batch that fails after the stock exporter's own retries is lost: metrics have no
 * redelivery queue (unlike {@link WorkerLogRecordExporter}). With cumulative temporality (the
 * default) sums and histograms lose only resolution: the next export after an outage carries
 * the totals since the start (gauge values of the missed exports are gone). With delta
 * temporality (`temporalityPreference`, or
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta` / `lowmemory`) each export carries
 * only its own window, so the windows exported during an outage are gone.
 */
export class WorkerMetricExporter extends WorkerExporterBase implements PushMetricExporter {
  /** The stock exporter's own selector logic (temporality preference, env variable,
   * aggregation preference), run with a delegate that never sends anything. */
  private readonly selectors: OTLPMetricExporterBase;

  constructor(options: WorkerMetricExporterOptions = {}) {
    const aggregationPreference = options.aggregationPreference ?? histogramAggregationFromEnv();
    super('metrics', options);
    this.selectors = new OTLPMetricExporterBase(NEVER_SENDS, {
      temporalityPreference: options.temporalityPreference,
      aggregationPreference,
    });
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.channel.send(
      () => ({ signal: 'metrics', payload: wireResourceMetrics(metrics) }),
      () => ({ signal: 'metrics', payload: toCloneable(wireResourceMetrics(metrics)) as ReturnType<typeof wireResourceMetrics> }),
      resultCallback,
    );
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.selectors.selectAggregationTemporality(instrumentType);
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this.selectors.selectAggregation(instrumentType);
  }
}
